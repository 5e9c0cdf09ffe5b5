//! Officer chats on SQLite: reads apply the caller's scope in the query; officers' messages and
//! end requests are one `BEGIN IMMEDIATE` transaction each; conversation turns apply their
//! chat changes with [`apply_changes`] inside the turn's transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::jobs::insert_job;
use super::{from_ms, to_ms, SqliteStore};
use crate::handoff::model::{
    ChatChange, ChatListFilter, ChatMessage, ChatScope, ChatStatus, ChatSummary, EndRequestOutcome, EndedBy,
    NewOfficerMessage, OfficerChat, OfficerChatStore, OfficerMessageOutcome, OfficerRef, Sender, SystemNote,
};
use crate::store::{Context, NewInboundEvent, StoreResult};
use crate::tickets::draft::Evidence;

/// The columns of a chat (alias `c`, with the citizen's name from `citizens`, alias `z`).
const CHAT_COLUMNS: &str = "c.id, c.citizen_id, z.display_name AS citizen_name, c.branch, c.department_code, c.status,
    c.opened_at, c.assigned_at, c.assigned_user_id, c.assigned_name, c.awaiting_reply_since, c.last_message_at,
    c.end_requested_at, c.end_requested_by, c.ended_at, c.ended_by, c.ended_by_name, c.updated_at";

/// The scope condition on `c`, with the scope kind as `?1` and the department as `?2`.
const SCOPE: &str = "(?1 = 'all' OR (?1 = 'department' AND c.department_code = ?2))";

#[derive(sqlx::FromRow)]
struct ChatRow {
    id: i64,
    citizen_id: String,
    citizen_name: Option<String>,
    branch: i64,
    department_code: String,
    status: String,
    opened_at: i64,
    assigned_at: Option<i64>,
    assigned_user_id: Option<i64>,
    assigned_name: Option<String>,
    awaiting_reply_since: Option<i64>,
    last_message_at: i64,
    end_requested_at: Option<i64>,
    end_requested_by: Option<String>,
    ended_at: Option<i64>,
    ended_by: Option<String>,
    ended_by_name: Option<String>,
    updated_at: i64,
}

impl From<ChatRow> for OfficerChat {
    fn from(row: ChatRow) -> Self {
        OfficerChat {
            id: row.id,
            citizen_id: row.citizen_id,
            citizen_name: row.citizen_name,
            branch: u8::try_from(row.branch).unwrap_or_default(),
            department_code: row.department_code,
            status: ChatStatus::parse(&row.status).unwrap_or(ChatStatus::Ended),
            opened_at: from_ms(row.opened_at),
            assigned_at: row.assigned_at.map(from_ms),
            assigned: officer(row.assigned_user_id, row.assigned_name),
            awaiting_reply_since: row.awaiting_reply_since.map(from_ms),
            last_message_at: from_ms(row.last_message_at),
            end_requested_at: row.end_requested_at.map(from_ms),
            end_requested_by: row.end_requested_by,
            ended_at: row.ended_at.map(from_ms),
            ended_by: row.ended_by.as_deref().and_then(EndedBy::parse),
            ended_by_name: row.ended_by_name,
            updated_at: from_ms(row.updated_at),
        }
    }
}

fn officer(user_id: Option<i64>, name: Option<String>) -> Option<OfficerRef> {
    Some(OfficerRef { user_id: user_id?, name: name.unwrap_or_default() })
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    chat_id: i64,
    sender: String,
    body: Option<String>,
    attachment: Option<String>,
    note: Option<String>,
    officer_user_id: Option<i64>,
    officer_name: Option<String>,
    send_job_key: Option<String>,
    created_at: i64,
}

impl From<MessageRow> for ChatMessage {
    fn from(row: MessageRow) -> Self {
        ChatMessage {
            id: row.id,
            chat_id: row.chat_id,
            sender: Sender::parse(&row.sender).unwrap_or(Sender::System),
            body: row.body,
            attachment: row.attachment.and_then(|json| serde_json::from_str::<Evidence>(&json).ok()),
            note: row.note.as_deref().and_then(SystemNote::parse),
            officer: officer(row.officer_user_id, row.officer_name),
            send_job_key: row.send_job_key,
            created_at: from_ms(row.created_at),
        }
    }
}

/// A chat row joined with its latest message that is not a note (columns `m_…`).
#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    chat: ChatRow,
    m_id: Option<i64>,
    m_sender: Option<String>,
    m_body: Option<String>,
    m_attachment: Option<String>,
    m_officer_user_id: Option<i64>,
    m_officer_name: Option<String>,
    m_created_at: Option<i64>,
}

impl From<SummaryRow> for ChatSummary {
    fn from(row: SummaryRow) -> Self {
        let chat = OfficerChat::from(row.chat);
        let last_message = match (row.m_id, row.m_sender, row.m_created_at) {
            (Some(id), Some(sender), Some(created_at)) => Some(ChatMessage::from(MessageRow {
                id,
                chat_id: chat.id,
                sender,
                body: row.m_body,
                attachment: row.m_attachment,
                note: None,
                officer_user_id: row.m_officer_user_id,
                officer_name: row.m_officer_name,
                send_job_key: None,
                created_at,
            })),
            _ => None,
        };
        ChatSummary { chat, last_message }
    }
}

/// A message to insert on an open connection.
struct NewRow<'a> {
    chat_id: i64,
    sender: Sender,
    body: Option<&'a str>,
    attachment: Option<&'a Evidence>,
    note: Option<SystemNote>,
    officer: Option<&'a OfficerRef>,
    send_job_key: Option<&'a str>,
}

async fn insert_message(conn: &mut SqliteConnection, row: &NewRow<'_>, now: DateTime<Utc>) -> StoreResult<MessageRow> {
    let attachment = row.attachment.and_then(|evidence| serde_json::to_string(evidence).ok());
    sqlx::query_as(
        "INSERT INTO officer_chat_messages
             (chat_id, sender, body, attachment, note, officer_user_id, officer_name, send_job_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         RETURNING *",
    )
    .bind(row.chat_id)
    .bind(row.sender.as_str())
    .bind(row.body)
    .bind(attachment)
    .bind(row.note.map(SystemNote::as_str))
    .bind(row.officer.map(|o| o.user_id))
    .bind(row.officer.map(|o| o.name.as_str()))
    .bind(row.send_job_key)
    .bind(to_ms(now))
    .fetch_one(&mut *conn)
    .await
    .context("storing a chat message")
}

fn note(chat_id: i64, note: SystemNote, officer: Option<&OfficerRef>) -> NewRow<'_> {
    NewRow {
        chat_id,
        sender: Sender::System,
        body: None,
        attachment: None,
        note: Some(note),
        officer,
        send_job_key: None,
    }
}

async fn open_chat_id(conn: &mut SqliteConnection, citizen_id: &str) -> StoreResult<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM officer_chats WHERE citizen_id = ?1 AND status <> 'ended'")
        .bind(citizen_id)
        .fetch_optional(&mut *conn)
        .await
        .context("finding the citizen's open chat")
}

async fn open_new(
    conn: &mut SqliteConnection,
    citizen_id: &str,
    branch: u8,
    department_code: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO officer_chats (citizen_id, branch, department_code, status, opened_at, awaiting_reply_since,
                                    last_message_at, updated_at)
         VALUES (?1, ?2, ?3, 'waiting', ?4, ?4, ?4, ?4)
         RETURNING id",
    )
    .bind(citizen_id)
    .bind(i64::from(branch))
    .bind(department_code)
    .bind(to_ms(now))
    .fetch_one(&mut *conn)
    .await
    .context("opening an officer chat")?;
    insert_message(conn, &note(id, SystemNote::Opened, None), now).await?;
    Ok(id)
}

/// Ends the citizen's open chat (only `chat_id`, when given) and notes why.
async fn end_open(
    conn: &mut SqliteConnection,
    citizen_id: &str,
    chat_id: Option<i64>,
    by: EndedBy,
    officer: Option<&OfficerRef>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let ended: Vec<i64> = sqlx::query_scalar(
        "UPDATE officer_chats
            SET status = 'ended', ended_at = ?1, ended_by = ?2, ended_by_user_id = ?3, ended_by_name = ?4,
                awaiting_reply_since = NULL, updated_at = ?1
          WHERE citizen_id = ?5 AND status <> 'ended' AND (?6 IS NULL OR id = ?6)
         RETURNING id",
    )
    .bind(to_ms(now))
    .bind(by.as_str())
    .bind(officer.map(|o| o.user_id))
    .bind(officer.map(|o| o.name.as_str()))
    .bind(citizen_id)
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await
    .context("ending an officer chat")?;
    for id in ended {
        insert_message(conn, &note(id, SystemNote::Ended(by), officer), now).await?;
    }
    Ok(())
}

/// Applies a conversation turn's chat changes on the turn's open transaction.
pub(crate) async fn apply_changes(
    conn: &mut SqliteConnection,
    citizen_id: &str,
    changes: &[ChatChange],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for change in changes {
        match change {
            ChatChange::Open { branch, department_code } => {
                end_open(conn, citizen_id, None, EndedBy::Replaced, None, now).await?;
                open_new(conn, citizen_id, *branch, department_code, now).await?;
            }
            ChatChange::CitizenMessage { branch, department_code, text, attachment } => {
                let id = match open_chat_id(conn, citizen_id).await? {
                    Some(id) => id,
                    None => open_new(conn, citizen_id, *branch, department_code, now).await?,
                };
                let row = NewRow {
                    chat_id: id,
                    sender: Sender::Citizen,
                    body: text.as_deref(),
                    attachment: attachment.as_ref(),
                    note: None,
                    officer: None,
                    send_job_key: None,
                };
                insert_message(conn, &row, now).await?;
                sqlx::query(
                    "UPDATE officer_chats
                        SET awaiting_reply_since = COALESCE(awaiting_reply_since, ?1), last_message_at = ?1,
                            updated_at = ?1
                      WHERE id = ?2",
                )
                .bind(to_ms(now))
                .bind(id)
                .execute(&mut *conn)
                .await
                .context("noting a citizen's message on the chat")?;
            }
            ChatChange::End { chat_id, by, officer } => {
                end_open(conn, citizen_id, *chat_id, *by, officer.as_ref(), now).await?;
            }
        }
    }
    Ok(())
}

/// The status and end request of a chat inside a scope (on an open transaction).
async fn scoped_state(
    conn: &mut SqliteConnection,
    chat_id: i64,
    scope: &ChatScope,
) -> StoreResult<Option<(String, Option<i64>)>> {
    let (kind, department) = scope.sql_parts();
    sqlx::query_as(&format!("SELECT c.status, c.end_requested_at FROM officer_chats c WHERE c.id = ?3 AND {SCOPE}"))
        .bind(kind)
        .bind(department)
        .bind(chat_id)
        .fetch_optional(&mut *conn)
        .await
        .context("reading a chat's state")
}

#[async_trait]
impl OfficerChatStore for SqliteStore {
    async fn open_chat(&self, citizen_id: &str) -> StoreResult<Option<OfficerChat>> {
        let row: Option<ChatRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM officer_chats c LEFT JOIN citizens z ON z.zalo_user_id = c.citizen_id
              WHERE c.citizen_id = ?1 AND c.status <> 'ended'"
        ))
        .bind(citizen_id)
        .fetch_optional(&self.reader)
        .await
        .context("reading the citizen's open chat")?;
        Ok(row.map(OfficerChat::from))
    }

    async fn list_chats(&self, filter: &ChatListFilter) -> StoreResult<Vec<ChatSummary>> {
        let (kind, department) = filter.scope.sql_parts();
        let (which, order) = if filter.open {
            (
                "c.status <> 'ended'",
                "(c.awaiting_reply_since IS NULL), c.awaiting_reply_since, c.last_message_at DESC, c.id",
            )
        } else {
            ("c.status = 'ended'", "c.ended_at DESC, c.id DESC")
        };
        let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS}, m.id AS m_id, m.sender AS m_sender, m.body AS m_body,
                    m.attachment AS m_attachment, m.officer_user_id AS m_officer_user_id,
                    m.officer_name AS m_officer_name, m.created_at AS m_created_at
               FROM officer_chats c
               LEFT JOIN citizens z ON z.zalo_user_id = c.citizen_id
               LEFT JOIN officer_chat_messages m ON m.id = (
                    SELECT MAX(id) FROM officer_chat_messages WHERE chat_id = c.id AND sender <> 'system')
              WHERE {which} AND {SCOPE}
              ORDER BY {order}
              LIMIT ?3"
        ))
        .bind(kind)
        .bind(department)
        .bind(i64::from(filter.limit))
        .fetch_all(&self.reader)
        .await
        .context("listing officer chats")?;
        Ok(rows.into_iter().map(ChatSummary::from).collect())
    }

    async fn chat(&self, id: i64, scope: &ChatScope) -> StoreResult<Option<OfficerChat>> {
        let (kind, department) = scope.sql_parts();
        let row: Option<ChatRow> = sqlx::query_as(&format!(
            "SELECT {CHAT_COLUMNS} FROM officer_chats c LEFT JOIN citizens z ON z.zalo_user_id = c.citizen_id
              WHERE c.id = ?3 AND {SCOPE}"
        ))
        .bind(kind)
        .bind(department)
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .context("reading an officer chat")?;
        Ok(row.map(OfficerChat::from))
    }

    async fn messages(
        &self,
        chat_id: i64,
        scope: &ChatScope,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<ChatMessage>> {
        let (kind, department) = scope.sql_parts();
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT m.* FROM officer_chat_messages m JOIN officer_chats c ON c.id = m.chat_id
              WHERE m.chat_id = ?3 AND m.id > ?4 AND {SCOPE}
              ORDER BY m.id
              LIMIT ?5"
        ))
        .bind(kind)
        .bind(department)
        .bind(chat_id)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .context("reading a chat's messages")?;
        Ok(rows.into_iter().map(ChatMessage::from).collect())
    }

    async fn count_awaiting(&self, scope: &ChatScope) -> StoreResult<i64> {
        let (kind, department) = scope.sql_parts();
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM officer_chats c
              WHERE c.status <> 'ended' AND c.awaiting_reply_since IS NOT NULL AND {SCOPE}"
        ))
        .bind(kind)
        .bind(department)
        .fetch_one(&self.reader)
        .await
        .context("counting citizens waiting for an officer")
    }

    async fn add_officer_message(
        &self,
        message: &NewOfficerMessage,
        scope: &ChatScope,
        now: DateTime<Utc>,
    ) -> StoreResult<OfficerMessageOutcome> {
        let mut tx = self.begin_write().await?;
        match scoped_state(&mut tx, message.chat_id, scope).await? {
            None => return Ok(OfficerMessageOutcome::NotFound),
            Some((status, end_requested)) if status == ChatStatus::Ended.as_str() || end_requested.is_some() => {
                return Ok(OfficerMessageOutcome::Closed)
            }
            Some(_) => {}
        }
        let row = NewRow {
            chat_id: message.chat_id,
            sender: Sender::Officer,
            body: Some(&message.text),
            attachment: None,
            note: None,
            officer: Some(&message.officer),
            send_job_key: message.job.unique_key.as_deref(),
        };
        let stored = insert_message(&mut tx, &row, now).await?;
        sqlx::query(
            "UPDATE officer_chats
                SET status = 'active',
                    assigned_user_id = CASE WHEN assigned_at IS NULL THEN ?1 ELSE assigned_user_id END,
                    assigned_name = CASE WHEN assigned_at IS NULL THEN ?2 ELSE assigned_name END,
                    assigned_at = COALESCE(assigned_at, ?3),
                    awaiting_reply_since = NULL, last_message_at = ?3, updated_at = ?3
              WHERE id = ?4",
        )
        .bind(message.officer.user_id)
        .bind(&message.officer.name)
        .bind(to_ms(now))
        .bind(message.chat_id)
        .execute(&mut *tx)
        .await
        .context("marking the chat answered")?;
        insert_job(&mut tx, &message.job, now).await?;
        tx.commit().await.context("committing an officer's message")?;
        Ok(OfficerMessageOutcome::Sent(ChatMessage::from(stored)))
    }

    async fn request_end(
        &self,
        chat_id: i64,
        scope: &ChatScope,
        officer: &OfficerRef,
        event: &NewInboundEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<EndRequestOutcome> {
        let mut tx = self.begin_write().await?;
        match scoped_state(&mut tx, chat_id, scope).await? {
            None => return Ok(EndRequestOutcome::NotFound),
            Some((status, _)) if status == ChatStatus::Ended.as_str() => return Ok(EndRequestOutcome::Closed),
            Some((_, Some(_))) => return Ok(EndRequestOutcome::AlreadyRequested),
            Some(_) => {}
        }
        sqlx::query(
            "UPDATE officer_chats SET end_requested_at = ?1, end_requested_by = ?2, updated_at = ?1 WHERE id = ?3",
        )
        .bind(to_ms(now))
        .bind(&officer.name)
        .bind(chat_id)
        .execute(&mut *tx)
        .await
        .context("recording a request to end a chat")?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO inbound_events (event_key, event_name, citizen_id, raw_body, received_at, num_retry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (event_key) DO NOTHING RETURNING id",
        )
        .bind(&event.event_key)
        .bind(&event.event_name)
        .bind(&event.citizen_id)
        .bind(&event.raw_body)
        .bind(to_ms(now))
        .bind(event.num_retry)
        .fetch_optional(&mut *tx)
        .await
        .context("queueing the end of a chat for the conversation")?;
        if inserted.is_some() {
            sqlx::query(
                "INSERT INTO conversations (citizen_id, pending, created_at, updated_at) VALUES (?1, 1, ?2, ?2)
                 ON CONFLICT (citizen_id) DO UPDATE SET pending = conversations.pending + 1, updated_at = excluded.updated_at",
            )
            .bind(&event.citizen_id)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await
            .context("counting the queued input on the conversation")?;
        }
        tx.commit().await.context("committing a request to end a chat")?;
        Ok(EndRequestOutcome::Requested)
    }
}
