//! API keys on SQLite: digests and prefixes only; a name is unique among active keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{from_ms, to_ms, SqliteStore};
use crate::auth::api_keys::{ApiKeyRecord, ApiScope, NewApiKey};
use crate::store::{ApiKeyStore, Context, CreateApiKeyOutcome, StoreResult};

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    key_hash: String,
    scopes: String,
    department_code: Option<String>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl From<KeyRow> for ApiKeyRecord {
    fn from(r: KeyRow) -> Self {
        let names: Vec<String> = serde_json::from_str(&r.scopes).unwrap_or_default();
        ApiKeyRecord {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            key_hash: r.key_hash,
            scopes: names.iter().filter_map(|n| ApiScope::parse(n)).collect(),
            department_code: r.department_code,
            created_at: from_ms(r.created_at),
            revoked_at: r.revoked_at.map(from_ms),
        }
    }
}

fn scopes_json(scopes: &[ApiScope]) -> serde_json::Value {
    serde_json::Value::from(scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>())
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(&self, key: &NewApiKey, now: DateTime<Utc>) -> StoreResult<CreateApiKeyOutcome> {
        let row: Option<KeyRow> = sqlx::query_as(
            "INSERT INTO api_keys (name, prefix, key_hash, scopes, department_code, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING
             RETURNING *",
        )
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(scopes_json(&key.scopes).to_string())
        .bind(&key.department_code)
        .bind(to_ms(now))
        .fetch_optional(&mut *self.write_conn().await?)
        .await
        .context("creating an API key")?;
        Ok(row.map_or(CreateApiKeyOutcome::NameTaken, |r| CreateApiKeyOutcome::Created(r.into())))
    }

    async fn active_api_keys_by_prefix(&self, prefix: &str) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows: Vec<KeyRow> = sqlx::query_as("SELECT * FROM api_keys WHERE prefix = ?1 AND revoked_at IS NULL")
            .bind(prefix)
            .fetch_all(&self.reader)
            .await
            .context("looking up an API key")?;
        Ok(rows.into_iter().map(ApiKeyRecord::from).collect())
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows: Vec<KeyRow> = sqlx::query_as("SELECT * FROM api_keys ORDER BY name, id")
            .fetch_all(&self.reader)
            .await
            .context("listing API keys")?;
        Ok(rows.into_iter().map(ApiKeyRecord::from).collect())
    }

    async fn revoke_api_key(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL")
            .bind(name)
            .bind(to_ms(now))
            .execute(&mut *self.write_conn().await?)
            .await
            .context("revoking an API key")?;
        Ok(done.rows_affected() == 1)
    }
}
