//! Console accounts and sessions on SQLite. Account changes and their audit entries commit in
//! one `BEGIN IMMEDIATE` transaction; ending a user's sessions is part of the same change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::audit::insert_audit;
use super::{from_ms, to_ms, SqliteStore};
use crate::auth::audit::NewAuditEntry;
use crate::auth::sessions::{Flash, NewSession, SessionRecord, SessionStore};
use crate::auth::users::{FailureState, LockoutPolicy, NewUser, Role, User, UserStore};
use crate::store::{Context, StoreResult};

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.department, u.password_hash, u.disabled, \
     u.must_change_password, u.failed_logins, u.failed_window_start, u.locked_until, u.created_at, u.updated_at, \
     u.last_login_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    department: Option<String>,
    password_hash: String,
    disabled: bool,
    must_change_password: bool,
    failed_logins: i32,
    failed_window_start: Option<i64>,
    locked_until: Option<i64>,
    created_at: i64,
    updated_at: i64,
    last_login_at: Option<i64>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            // The table's CHECK allows only known roles; an unknown one gets the least power.
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            department: row.department,
            password_hash: row.password_hash,
            disabled: row.disabled,
            must_change_password: row.must_change_password,
            failures: FailureState {
                failed_logins: row.failed_logins,
                window_start: row.failed_window_start.map(from_ms),
                locked_until: row.locked_until.map(from_ms),
            },
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
            last_login_at: row.last_login_at.map(from_ms),
        }
    }
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    id_hash: String,
    user_id: i64,
    csrf_token: String,
    session_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    flash: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

async fn user_on(conn: &mut SqliteConnection, id: i64) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM console_users u WHERE u.id = ?1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context("reading a console user")?;
    Ok(row.map(User::from))
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &NewUser, audit: &NewAuditEntry) -> StoreResult<Option<User>> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO console_users
                 (username, display_name, role, department, password_hash, must_change_password, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (username) DO NOTHING
             RETURNING id",
        )
        .bind(user.username.to_lowercase())
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(&user.department)
        .bind(&user.password_hash)
        .bind(user.must_change_password)
        .bind(to_ms(audit.at))
        .fetch_optional(&mut *tx)
        .await
        .context("inserting a console user")?;
        let Some(id) = id else { return Ok(None) };
        insert_audit(&mut tx, audit).await?;
        let created = user_on(&mut tx, id).await?;
        tx.commit().await.context("committing a new console user")?;
        Ok(created)
    }

    async fn user(&self, id: i64) -> StoreResult<Option<User>> {
        let mut conn = self.reader.acquire().await.context("taking a SQLite reader connection")?;
        user_on(&mut conn, id).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM console_users u WHERE u.username = ?1"))
                .bind(username.trim().to_lowercase())
                .fetch_optional(&self.reader)
                .await
                .context("looking a console user up by name")?;
        Ok(row.map(User::from))
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM console_users u ORDER BY u.username"))
                .fetch_all(&self.reader)
                .await
                .context("listing console users")?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE console_users
                SET password_hash = ?2, must_change_password = ?3, failed_logins = 0, failed_window_start = NULL,
                    locked_until = NULL, updated_at = ?4
              WHERE id = ?1",
        )
        .bind(user_id)
        .bind(password_hash)
        .bind(must_change)
        .bind(to_ms(audit.at))
        .execute(&mut *tx)
        .await
        .context("changing a password")?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM console_sessions WHERE user_id = ?1 AND id_hash IS NOT ?2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await
            .context("ending the user's other sessions")?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.context("committing a password change")?;
        Ok(true)
    }

    async fn set_disabled(&self, user_id: i64, disabled: bool, audit: &NewAuditEntry) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE console_users SET disabled = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(user_id)
            .bind(disabled)
            .bind(to_ms(audit.at))
            .execute(&mut *tx)
            .await
            .context("disabling or enabling a console user")?
            .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        if disabled {
            sqlx::query("DELETE FROM console_sessions WHERE user_id = ?1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .context("ending a disabled user's sessions")?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.context("committing a change of account status")?;
        Ok(true)
    }

    async fn record_login_failure(
        &self,
        user_id: i64,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<FailureState>> {
        let mut tx = self.begin_write().await?;
        let Some(user) = user_on(&mut tx, user_id).await? else { return Ok(None) };
        let next = policy.after_failure(&user.failures, now);
        sqlx::query(
            "UPDATE console_users SET failed_logins = ?2, failed_window_start = ?3, locked_until = ?4 WHERE id = ?1",
        )
        .bind(user_id)
        .bind(next.failed_logins)
        .bind(next.window_start.map(to_ms))
        .bind(next.locked_until.map(to_ms))
        .execute(&mut *tx)
        .await
        .context("counting a failed sign-in")?;
        tx.commit().await.context("committing a failed sign-in")?;
        Ok(Some(next))
    }

    async fn record_login_success(&self, user_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE console_users
                SET failed_logins = 0, failed_window_start = NULL, locked_until = NULL, last_login_at = ?2
              WHERE id = ?1",
        )
        .bind(user_id)
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("recording a sign-in")?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        )
        .bind(&session.id_hash)
        .bind(session.user_id)
        .bind(&session.csrf_token)
        .bind(to_ms(session.created_at))
        .bind(to_ms(session.expires_at))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("creating a session")?;
        Ok(())
    }

    async fn session_with_user(&self, id_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
        let row: Option<SessionUserRow> = sqlx::query_as(&format!(
            "SELECT s.id_hash, s.user_id, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at,
                    s.expires_at, s.flash, {USER_COLUMNS}
               FROM console_sessions s JOIN console_users u ON u.id = s.user_id
              WHERE s.id_hash = ?1"
        ))
        .bind(id_hash)
        .fetch_optional(&self.reader)
        .await
        .context("reading a session")?;
        Ok(row.map(|row| {
            let record = SessionRecord {
                id_hash: row.id_hash,
                user_id: row.user_id,
                csrf_token: row.csrf_token,
                created_at: from_ms(row.session_created_at),
                last_seen_at: from_ms(row.last_seen_at),
                expires_at: from_ms(row.expires_at),
                flash: row.flash.and_then(|text| serde_json::from_str::<Flash>(&text).ok()),
            };
            (record, User::from(row.user))
        }))
    }

    async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = ?2 WHERE id_hash = ?1")
            .bind(id_hash)
            .bind(to_ms(now))
            .execute(&mut *self.write_conn().await?)
            .await
            .context("recording session activity")?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM console_sessions WHERE id_hash = ?1")
            .bind(id_hash)
            .execute(&mut *self.write_conn().await?)
            .await
            .context("ending a session")?
            .rows_affected();
        Ok(deleted > 0)
    }

    async fn purge_expired_sessions(&self, idle_cutoff: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM console_sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2")
            .bind(to_ms(now))
            .bind(to_ms(idle_cutoff))
            .execute(&mut *self.write_conn().await?)
            .await
            .context("deleting expired sessions")?
            .rows_affected();
        Ok(deleted)
    }

    async fn set_flash(&self, id_hash: &str, flash: Option<&Flash>) -> StoreResult<()> {
        let text = flash.map(|f| serde_json::to_string(f).unwrap_or_default());
        sqlx::query("UPDATE console_sessions SET flash = ?2 WHERE id_hash = ?1")
            .bind(id_hash)
            .bind(text)
            .execute(&mut *self.write_conn().await?)
            .await
            .context("setting a flash message")?;
        Ok(())
    }

    async fn count_user_sessions(&self, user_id: i64) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM console_sessions WHERE user_id = ?1")
            .bind(user_id)
            .fetch_one(&self.reader)
            .await
            .context("counting a user's sessions")
    }
}
