//! The audit log on SQLite: inserts (also inside other stores' transactions) and filtered,
//! paged reads. The table's triggers refuse updates and deletions.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{from_ms, to_ms, SqliteStore};
use crate::auth::audit::{AuditEntry, AuditFilter, AuditStore, NewAuditEntry};
use crate::store::{Context, StoreResult};

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor_user_id: Option<i64>,
    actor: String,
    action: String,
    target: Option<String>,
    details: String,
    ip: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            id: row.id,
            at: from_ms(row.at),
            actor_user_id: row.actor_user_id,
            actor: row.actor,
            action: row.action,
            target: row.target,
            details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
            ip: row.ip,
        }
    }
}

/// Appends an entry on an open connection, so that a change and its audit entry commit together.
pub(crate) async fn insert_audit(conn: &mut SqliteConnection, entry: &NewAuditEntry) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor_user_id, actor, action, target, details, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    )
    .bind(to_ms(entry.at))
    .bind(entry.actor_user_id)
    .bind(&entry.actor)
    .bind(entry.action.as_str())
    .bind(&entry.target)
    .bind(entry.details.to_string())
    .bind(&entry.ip)
    .fetch_one(&mut *conn)
    .await
    .context("appending to the audit log")
}

fn push_filter(query: &mut QueryBuilder<'_, Sqlite>, filter: &AuditFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(actor) = &filter.actor {
        query.push(" AND actor = ").push_bind(actor.clone()).push(" COLLATE NOCASE");
    }
    if let Some(action) = filter.action {
        query.push(" AND action = ").push_bind(action.as_str());
    }
    if let Some(from) = filter.from {
        query.push(" AND at >= ").push_bind(to_ms(from));
    }
    if let Some(until) = filter.until {
        query.push(" AND at < ").push_bind(to_ms(until));
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append(&self, entry: &NewAuditEntry) -> StoreResult<i64> {
        let mut conn = self.write_conn().await?;
        insert_audit(&mut conn, entry).await
    }

    async fn query(&self, filter: &AuditFilter, limit: u32, offset: u64) -> StoreResult<Vec<AuditEntry>> {
        let mut query = QueryBuilder::new("SELECT * FROM audit_log");
        push_filter(&mut query, filter);
        query.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        query.push(" OFFSET ").push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows: Vec<AuditRow> =
            query.build_query_as().fetch_all(&self.reader).await.context("reading the audit log")?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn count(&self, filter: &AuditFilter) -> StoreResult<u64> {
        let mut query = QueryBuilder::new("SELECT COUNT(*) FROM audit_log");
        push_filter(&mut query, filter);
        let count: i64 =
            query.build_query_scalar().fetch_one(&self.reader).await.context("counting audit log entries")?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
