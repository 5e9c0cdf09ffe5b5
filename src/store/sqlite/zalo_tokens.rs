//! The Zalo token pair, its refresh lease and pending OAuth authorisations on SQLite. The lease is
//! taken with one conditional UPDATE on the single writer connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{from_ms, to_ms, SqliteStore};
use crate::store::{
    Context, PendingAuthorization, RefreshFailure, RefreshStatus, SealedTokens, StoreResult, StoredTokens, TokenSource,
    TokenStore,
};

#[derive(sqlx::FromRow)]
struct TokenRow {
    access_token_sealed: Option<String>,
    refresh_token_sealed: Option<String>,
    access_expires_at: Option<i64>,
    token_version: i64,
    token_source: Option<String>,
    tokens_updated_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    last_refresh_at: Option<i64>,
    failure_at: Option<i64>,
    failure_code: Option<i64>,
    failure_message: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    state: String,
    verifier_sealed: String,
    created_at: i64,
    expires_at: i64,
}

impl From<PendingRow> for PendingAuthorization {
    fn from(row: PendingRow) -> Self {
        Self {
            state: row.state,
            verifier_sealed: row.verifier_sealed,
            created_at: from_ms(row.created_at),
            expires_at: from_ms(row.expires_at),
        }
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn load_tokens(&self) -> StoreResult<Option<StoredTokens>> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT access_token_sealed, refresh_token_sealed, access_expires_at, token_version, token_source,
                    tokens_updated_at
               FROM zalo_auth WHERE id = 1",
        )
        .fetch_optional(&self.reader)
        .await
        .context("loading the Zalo tokens")?;
        Ok(row.and_then(|row| {
            Some(StoredTokens {
                sealed: SealedTokens {
                    access_token: row.access_token_sealed?,
                    refresh_token: row.refresh_token_sealed?,
                    access_expires_at: from_ms(row.access_expires_at?),
                },
                version: row.token_version,
                source: row.token_source.as_deref().and_then(TokenSource::parse).unwrap_or(TokenSource::Config),
                updated_at: from_ms(row.tokens_updated_at?),
            })
        }))
    }

    async fn bootstrap_tokens(&self, tokens: &SealedTokens, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE zalo_auth
                SET access_token_sealed = ?1, refresh_token_sealed = ?2, access_expires_at = ?3,
                    token_version = token_version + 1, token_source = 'config', tokens_updated_at = ?4
              WHERE id = 1 AND access_token_sealed IS NULL",
        )
        .bind(&tokens.access_token)
        .bind(&tokens.refresh_token)
        .bind(to_ms(tokens.access_expires_at))
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("storing the first Zalo tokens")?;
        Ok(done.rows_affected() == 1)
    }

    async fn save_tokens(&self, tokens: &SealedTokens, source: TokenSource, now: DateTime<Utc>) -> StoreResult<i64> {
        let version: i64 = sqlx::query_scalar(
            "UPDATE zalo_auth
                SET access_token_sealed = ?1, refresh_token_sealed = ?2, access_expires_at = ?3,
                    token_version = token_version + 1, token_source = ?4, tokens_updated_at = ?5,
                    last_refresh_at = CASE WHEN ?4 = 'refresh' THEN ?5 ELSE last_refresh_at END,
                    failure_at = NULL, failure_code = NULL, failure_message = NULL
              WHERE id = 1
              RETURNING token_version",
        )
        .bind(&tokens.access_token)
        .bind(&tokens.refresh_token)
        .bind(to_ms(tokens.access_expires_at))
        .bind(source.as_str())
        .bind(to_ms(now))
        .fetch_one(&mut *self.write_conn().await?)
        .await
        .context("saving the Zalo tokens")?;
        Ok(version)
    }

    async fn try_claim_refresh(&self, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE zalo_auth SET refresh_holder = ?1, refresh_lease_until = ?2
              WHERE id = 1 AND (refresh_lease_until IS NULL OR refresh_lease_until <= ?3)",
        )
        .bind(holder)
        .bind(to_ms(until))
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("claiming the Zalo token refresh lease")?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_refresh(&self, holder: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE zalo_auth SET refresh_holder = NULL, refresh_lease_until = NULL
              WHERE id = 1 AND refresh_holder = ?1",
        )
        .bind(holder)
        .execute(&mut *self.write_conn().await?)
        .await
        .context("releasing the Zalo token refresh lease")?;
        Ok(())
    }

    async fn record_refresh_failure(&self, failure: &RefreshFailure) -> StoreResult<()> {
        sqlx::query("UPDATE zalo_auth SET failure_at = ?1, failure_code = ?2, failure_message = ?3 WHERE id = 1")
            .bind(to_ms(failure.at))
            .bind(failure.code)
            .bind(&failure.message)
            .execute(&mut *self.write_conn().await?)
            .await
            .context("recording a failed Zalo token refresh")?;
        Ok(())
    }

    async fn refresh_status(&self) -> StoreResult<RefreshStatus> {
        let row: Option<StatusRow> = sqlx::query_as(
            "SELECT last_refresh_at, failure_at, failure_code, failure_message FROM zalo_auth WHERE id = 1",
        )
        .fetch_optional(&self.reader)
        .await
        .context("reading the Zalo token refresh status")?;
        Ok(row.map_or_else(RefreshStatus::default, |row| RefreshStatus {
            last_refresh_at: row.last_refresh_at.map(from_ms),
            failure: row.failure_at.map(|at| RefreshFailure {
                at: from_ms(at),
                code: row.failure_code,
                message: row.failure_message.unwrap_or_default(),
            }),
        }))
    }

    async fn save_pending_authorization(&self, pending: &PendingAuthorization, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM zalo_oauth_pending WHERE expires_at <= ?1")
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await
            .context("forgetting expired OAuth authorisations")?;
        sqlx::query(
            "INSERT INTO zalo_oauth_pending (state, verifier_sealed, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&pending.state)
        .bind(&pending.verifier_sealed)
        .bind(to_ms(pending.created_at))
        .bind(to_ms(pending.expires_at))
        .execute(&mut *tx)
        .await
        .context("saving a pending OAuth authorisation")?;
        tx.commit().await.context("committing a pending OAuth authorisation")?;
        Ok(())
    }

    async fn take_pending_authorization(
        &self,
        state: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PendingAuthorization>> {
        let row: Option<PendingRow> = sqlx::query_as(
            "DELETE FROM zalo_oauth_pending
              WHERE state = (SELECT state FROM zalo_oauth_pending
                              WHERE expires_at > ?1 AND (?2 IS NULL OR state = ?2)
                              ORDER BY created_at DESC, id DESC LIMIT 1)
              RETURNING state, verifier_sealed, created_at, expires_at",
        )
        .bind(to_ms(now))
        .bind(state)
        .fetch_optional(&mut *self.write_conn().await?)
        .await
        .context("taking a pending OAuth authorisation")?;
        Ok(row.map(Into::into))
    }
}
