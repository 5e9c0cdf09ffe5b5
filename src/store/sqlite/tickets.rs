//! Tickets on SQLite: tickets, history, attachments and notifications. Multi-statement writes
//! run in `BEGIN IMMEDIATE` on the writer; a change applies only to the version it was computed
//! from (optimistic concurrency). Scopes are applied in the SQL of every read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::jobs::insert_job;
use super::{from_ms, to_ms, SqliteStore};
use crate::store::{Context, CreateTicketOutcome, NewJob, StoreResult, TicketStore};
use crate::tickets::filter::{Flag, Scope, Sort, TicketFilter, TicketPage};
use crate::tickets::model::{
    Actor, ActorKind, Attachment, AttachmentKind, AttachmentState, Category, Channel, ConsentDecision, ConsentRecord,
    EventAction, FetchOutcome, NewAttachment, NewEvent, NewNotification, Notification, NotificationKind, OutOfScope,
    Recipient, Ticket, TicketEvent,
};
use crate::tickets::status::TicketStatus;

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    code: String,
    version: i64,
    branch: i64,
    department_code: String,
    category: String,
    misconduct: bool,
    out_of_scope: Option<String>,
    processable: bool,
    content: String,
    place: Option<String>,
    procedure_name: Option<String>,
    citizen_user_id: Option<String>,
    citizen_name: Option<String>,
    phone: Option<String>,
    consent_decision: String,
    consent_text_version: Option<String>,
    consent_at: Option<i64>,
    channel: String,
    status: String,
    rejection_reason: Option<String>,
    received_at: i64,
    sla_started_at: i64,
    due_at: Option<i64>,
    forward_due_at: Option<i64>,
    remind_at: Option<i64>,
    reminded_at: Option<i64>,
    escalated: bool,
    escalated_at: Option<i64>,
    answered_at: Option<i64>,
    closed_at: Option<i64>,
    answer_text: Option<String>,
    forward_count: i64,
    updated_at: i64,
}

impl From<TicketRow> for Ticket {
    fn from(r: TicketRow) -> Self {
        Ticket {
            id: r.id,
            code: r.code,
            version: r.version,
            branch: u8::try_from(r.branch).unwrap_or(0),
            department_code: r.department_code,
            category: Category::parse(&r.category).unwrap_or(Category::ProcedureFeedback),
            misconduct: r.misconduct,
            out_of_scope: r.out_of_scope.as_deref().and_then(OutOfScope::parse),
            processable: r.processable,
            content: r.content,
            place: r.place,
            procedure: r.procedure_name,
            citizen_user_id: r.citizen_user_id,
            citizen_name: r.citizen_name,
            phone: r.phone,
            consent: ConsentRecord {
                decision: ConsentDecision::parse(&r.consent_decision).unwrap_or(ConsentDecision::NotAsked),
                text_version: r.consent_text_version,
                at: r.consent_at.map(from_ms),
            },
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Zalo),
            status: TicketStatus::parse(&r.status).unwrap_or(TicketStatus::Received),
            rejection_reason: r.rejection_reason,
            received_at: from_ms(r.received_at),
            sla_started_at: from_ms(r.sla_started_at),
            due_at: r.due_at.map(from_ms),
            forward_due_at: r.forward_due_at.map(from_ms),
            remind_at: r.remind_at.map(from_ms),
            reminded_at: r.reminded_at.map(from_ms),
            escalated: r.escalated,
            escalated_at: r.escalated_at.map(from_ms),
            answered_at: r.answered_at.map(from_ms),
            closed_at: r.closed_at.map(from_ms),
            answer_text: r.answer_text,
            forward_count: i32::try_from(r.forward_count).unwrap_or(i32::MAX),
            updated_at: from_ms(r.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    ticket_id: i64,
    at: i64,
    actor_kind: String,
    actor_name: String,
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    detail: String,
    reason: Option<String>,
    data: String,
}

impl From<EventRow> for TicketEvent {
    fn from(r: EventRow) -> Self {
        TicketEvent {
            id: r.id,
            ticket_id: r.ticket_id,
            at: from_ms(r.at),
            actor: Actor { kind: ActorKind::parse(&r.actor_kind).unwrap_or(ActorKind::System), name: r.actor_name },
            action: EventAction::parse(&r.action).unwrap_or(EventAction::Note),
            from_status: r.from_status.as_deref().and_then(TicketStatus::parse),
            to_status: r.to_status.as_deref().and_then(TicketStatus::parse),
            detail: r.detail,
            reason: r.reason,
            data: serde_json::from_str(&r.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: i64,
    ticket_id: i64,
    seq: i64,
    kind: String,
    url: Option<String>,
    name: Option<String>,
    declared_size: Option<i64>,
    msg_id: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    state: String,
    content_type: Option<String>,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    local_path: Option<String>,
    error: Option<String>,
    created_at: i64,
    fetched_at: Option<i64>,
}

impl From<AttachmentRow> for Attachment {
    fn from(r: AttachmentRow) -> Self {
        Attachment {
            id: r.id,
            ticket_id: r.ticket_id,
            seq: i32::try_from(r.seq).unwrap_or(0),
            kind: AttachmentKind::parse(&r.kind).unwrap_or(AttachmentKind::File),
            url: r.url,
            name: r.name,
            declared_size: r.declared_size,
            msg_id: r.msg_id,
            latitude: r.latitude,
            longitude: r.longitude,
            state: AttachmentState::parse(&r.state).unwrap_or(AttachmentState::Failed),
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            local_path: r.local_path,
            error: r.error,
            created_at: from_ms(r.created_at),
            fetched_at: r.fetched_at.map(from_ms),
        }
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    ticket_id: Option<i64>,
    ticket_code: String,
    recipient_kind: String,
    department_code: Option<String>,
    kind: String,
    message: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        let recipient = match (r.recipient_kind.as_str(), r.department_code) {
            ("department", Some(code)) => Recipient::Department(code),
            _ => Recipient::InspectionTeam,
        };
        Notification {
            id: r.id,
            ticket_id: r.ticket_id,
            ticket_code: r.ticket_code,
            recipient,
            kind: NotificationKind::parse(&r.kind).unwrap_or(NotificationKind::NewTicket),
            message: r.message,
            created_at: from_ms(r.created_at),
            read_at: r.read_at.map(from_ms),
        }
    }
}

fn open_statuses_sql() -> String {
    TicketStatus::OPEN.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

async fn insert_event(
    conn: &mut SqliteConnection,
    ticket_id: i64,
    event: &NewEvent,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, actor_kind, actor_name, action, from_status, to_status, detail, reason, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(ticket_id)
    .bind(to_ms(now))
    .bind(event.actor.kind.as_str())
    .bind(&event.actor.name)
    .bind(event.action.as_str())
    .bind(event.from_status.map(TicketStatus::as_str))
    .bind(event.to_status.map(TicketStatus::as_str))
    .bind(&event.detail)
    .bind(&event.reason)
    .bind(event.data.to_string())
    .execute(&mut *conn)
    .await
    .context("recording a ticket history entry")?;
    Ok(())
}

/// Appends the WHERE clause of a list (scope first, so it can never be left out).
fn push_filter(q: &mut QueryBuilder<'_, Sqlite>, filter: &TicketFilter, now: DateTime<Utc>) {
    q.push(" WHERE 1 = 1");
    match &filter.scope {
        Scope::All => {}
        Scope::Department(code) => {
            q.push(" AND department_code = ").push_bind(code.clone());
        }
        Scope::MisconductOnly => {
            q.push(" AND misconduct = 1");
        }
    }
    if !filter.statuses.is_empty() {
        q.push(" AND status IN (");
        let mut list = q.separated(", ");
        for status in &filter.statuses {
            list.push_bind(status.as_str());
        }
        q.push(")");
    }
    if let Some(branch) = filter.branch {
        q.push(" AND branch = ").push_bind(i64::from(branch));
    }
    if let Some(category) = filter.category {
        q.push(" AND category = ").push_bind(category.as_str());
    }
    if let Some(department) = &filter.department {
        q.push(" AND department_code = ").push_bind(department.clone());
    }
    if let Some(overdue) = filter.overdue {
        q.push(if overdue { " AND " } else { " AND NOT " });
        q.push(format!("(status IN ({}) AND due_at IS NOT NULL AND due_at < ", open_statuses_sql()));
        q.push_bind(to_ms(now)).push(")");
    }
    match filter.flag {
        None => {}
        Some(Flag::Misconduct) => {
            q.push(" AND misconduct = 1");
        }
        Some(Flag::OutOfScope) => {
            q.push(" AND out_of_scope IS NOT NULL");
        }
        Some(Flag::Escalated) => {
            q.push(" AND escalated = 1");
        }
        Some(Flag::Unprocessable) => {
            q.push(" AND processable = 0");
        }
    }
    for word in filter.text_words() {
        q.push(" AND instr(search_text, ").push_bind(word).push(") > 0");
    }
}

#[async_trait]
impl TicketStore for SqliteStore {
    async fn create_ticket(
        &self,
        t: &Ticket,
        attachments: &[NewAttachment],
        events: &[NewEvent],
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<CreateTicketOutcome> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO tickets (code, version, branch, department_code, category, misconduct, out_of_scope, processable,
                content, place, procedure_name, citizen_user_id, citizen_name, phone, consent_decision, consent_text_version,
                consent_at, channel, status, rejection_reason, received_at, sla_started_at, due_at, forward_due_at, remind_at,
                reminded_at, escalated, escalated_at, answered_at, closed_at, answer_text, forward_count, search_text,
                created_at, updated_at)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?33)
             ON CONFLICT (code) DO NOTHING
             RETURNING id",
        )
        .bind(&t.code)
        .bind(i64::from(t.branch))
        .bind(&t.department_code)
        .bind(t.category.as_str())
        .bind(t.misconduct)
        .bind(t.out_of_scope.map(OutOfScope::as_str))
        .bind(t.processable)
        .bind(&t.content)
        .bind(&t.place)
        .bind(&t.procedure)
        .bind(&t.citizen_user_id)
        .bind(&t.citizen_name)
        .bind(&t.phone)
        .bind(t.consent.decision.as_str())
        .bind(&t.consent.text_version)
        .bind(t.consent.at.map(to_ms))
        .bind(t.channel.as_str())
        .bind(t.status.as_str())
        .bind(&t.rejection_reason)
        .bind(to_ms(t.received_at))
        .bind(to_ms(t.sla_started_at))
        .bind(t.due_at.map(to_ms))
        .bind(t.forward_due_at.map(to_ms))
        .bind(t.remind_at.map(to_ms))
        .bind(t.reminded_at.map(to_ms))
        .bind(t.escalated)
        .bind(t.escalated_at.map(to_ms))
        .bind(t.answered_at.map(to_ms))
        .bind(t.closed_at.map(to_ms))
        .bind(&t.answer_text)
        .bind(i64::from(t.forward_count))
        .bind(t.search_text())
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await
        .context("inserting a ticket")?;
        let Some(id) = id else {
            tx.rollback().await.context("rolling back a ticket with a taken code")?;
            return Ok(CreateTicketOutcome::CodeTaken);
        };
        for a in attachments {
            sqlx::query(
                "INSERT INTO ticket_attachments (ticket_id, seq, kind, url, name, declared_size, msg_id, latitude, longitude,
                    state, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .bind(id)
            .bind(a.seq)
            .bind(a.kind.as_str())
            .bind(&a.url)
            .bind(&a.name)
            .bind(a.declared_size)
            .bind(&a.msg_id)
            .bind(a.latitude)
            .bind(a.longitude)
            .bind(a.state.as_str())
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await
            .context("recording a ticket attachment")?;
        }
        for event in events {
            insert_event(&mut tx, id, event, now).await?;
        }
        for job in jobs {
            insert_job(&mut tx, job, now).await?;
        }
        tx.commit().await.context("committing a new ticket")?;
        let mut stored = t.clone();
        stored.id = id;
        stored.version = 1;
        stored.updated_at = now;
        Ok(CreateTicketOutcome::Created(Box::new(stored)))
    }

    async fn get_ticket(&self, code: &str, scope: &Scope) -> StoreResult<Option<Ticket>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM tickets WHERE code = ");
        q.push_bind(code.to_owned());
        match scope {
            Scope::All => {}
            Scope::Department(department) => {
                q.push(" AND department_code = ").push_bind(department.clone());
            }
            Scope::MisconductOnly => {
                q.push(" AND misconduct = 1");
            }
        }
        let row: Option<TicketRow> =
            q.build_query_as().fetch_optional(&self.reader).await.context("reading a ticket")?;
        Ok(row.map(Ticket::from))
    }

    async fn get_ticket_for_citizen(&self, code: &str, citizen_user_id: &str) -> StoreResult<Option<Ticket>> {
        let row: Option<TicketRow> = sqlx::query_as("SELECT * FROM tickets WHERE code = ?1 AND citizen_user_id = ?2")
            .bind(code)
            .bind(citizen_user_id)
            .fetch_optional(&self.reader)
            .await
            .context("reading a citizen's ticket")?;
        Ok(row.map(Ticket::from))
    }

    async fn update_ticket(
        &self,
        t: &Ticket,
        events: &[NewEvent],
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE tickets SET version = version + 1, department_code = ?3, category = ?4, misconduct = ?5,
                out_of_scope = ?6, processable = ?7, status = ?8, rejection_reason = ?9, sla_started_at = ?10, due_at = ?11,
                forward_due_at = ?12, remind_at = ?13, reminded_at = ?14, escalated = ?15, escalated_at = ?16,
                answered_at = ?17, closed_at = ?18, answer_text = ?19, forward_count = ?20, updated_at = ?21
              WHERE id = ?1 AND version = ?2",
        )
        .bind(t.id)
        .bind(t.version)
        .bind(&t.department_code)
        .bind(t.category.as_str())
        .bind(t.misconduct)
        .bind(t.out_of_scope.map(OutOfScope::as_str))
        .bind(t.processable)
        .bind(t.status.as_str())
        .bind(&t.rejection_reason)
        .bind(to_ms(t.sla_started_at))
        .bind(t.due_at.map(to_ms))
        .bind(t.forward_due_at.map(to_ms))
        .bind(t.remind_at.map(to_ms))
        .bind(t.reminded_at.map(to_ms))
        .bind(t.escalated)
        .bind(t.escalated_at.map(to_ms))
        .bind(t.answered_at.map(to_ms))
        .bind(t.closed_at.map(to_ms))
        .bind(&t.answer_text)
        .bind(i64::from(t.forward_count))
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await
        .context("updating a ticket")?;
        if done.rows_affected() != 1 {
            tx.rollback().await.context("rolling back a stale ticket change")?;
            return Ok(false);
        }
        for event in events {
            insert_event(&mut tx, t.id, event, now).await?;
        }
        for job in jobs {
            insert_job(&mut tx, job, now).await?;
        }
        tx.commit().await.context("committing a ticket change")?;
        Ok(true)
    }

    async fn list_tickets(&self, filter: &TicketFilter, now: DateTime<Utc>) -> StoreResult<TicketPage> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM tickets");
        push_filter(&mut count, filter, now);
        let total: i64 = count.build_query_scalar().fetch_one(&self.reader).await.context("counting tickets")?;
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM tickets");
        push_filter(&mut q, filter, now);
        q.push(match filter.sort {
            Sort::Deadline => " ORDER BY due_at IS NULL, due_at, received_at, id",
            Sort::Newest => " ORDER BY received_at DESC, id DESC",
            Sort::Oldest => " ORDER BY received_at, id",
        });
        q.push(" LIMIT ").push_bind(i64::from(filter.page_size()));
        q.push(" OFFSET ").push_bind(i64::from(filter.offset));
        let rows: Vec<TicketRow> = q.build_query_as().fetch_all(&self.reader).await.context("listing tickets")?;
        Ok(TicketPage { items: rows.into_iter().map(Ticket::from).collect(), total })
    }

    async fn ticket_events(&self, ticket_id: i64) -> StoreResult<Vec<TicketEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as("SELECT * FROM ticket_events WHERE ticket_id = ?1 ORDER BY id")
            .bind(ticket_id)
            .fetch_all(&self.reader)
            .await
            .context("reading a ticket's history")?;
        Ok(rows.into_iter().map(TicketEvent::from).collect())
    }

    async fn ticket_attachments(&self, ticket_id: i64) -> StoreResult<Vec<Attachment>> {
        let rows: Vec<AttachmentRow> =
            sqlx::query_as("SELECT * FROM ticket_attachments WHERE ticket_id = ?1 ORDER BY seq")
                .bind(ticket_id)
                .fetch_all(&self.reader)
                .await
                .context("reading a ticket's attachments")?;
        Ok(rows.into_iter().map(Attachment::from).collect())
    }

    async fn attachment(&self, code: &str, seq: i32) -> StoreResult<Option<Attachment>> {
        let row: Option<AttachmentRow> = sqlx::query_as(
            "SELECT a.* FROM ticket_attachments a JOIN tickets t ON t.id = a.ticket_id WHERE t.code = ?1 AND a.seq = ?2",
        )
        .bind(code)
        .bind(seq)
        .fetch_optional(&self.reader)
        .await
        .context("reading an attachment")?;
        Ok(row.map(Attachment::from))
    }

    async fn record_fetch(
        &self,
        attachment_id: i64,
        outcome: &FetchOutcome,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let (state, content_type, size, sha, path, error) = match outcome {
            FetchOutcome::Fetched { content_type, size_bytes, sha256, local_path } => {
                ("fetched", Some(content_type), Some(*size_bytes), Some(sha256), Some(local_path), None)
            }
            FetchOutcome::Failed { error } => ("failed", None, None, None, None, Some(error)),
        };
        let ticket_id: Option<i64> = sqlx::query_scalar(
            "UPDATE ticket_attachments SET state = ?2, content_type = ?3, size_bytes = ?4, sha256 = ?5, local_path = ?6,
                error = ?7, fetched_at = ?8
              WHERE id = ?1 AND state = 'pending'
             RETURNING ticket_id",
        )
        .bind(attachment_id)
        .bind(state)
        .bind(content_type)
        .bind(size)
        .bind(sha)
        .bind(path)
        .bind(error)
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await
        .context("recording an attachment download")?;
        let Some(ticket_id) = ticket_id else {
            tx.rollback().await.context("rolling back a repeated attachment download")?;
            return Ok(false);
        };
        insert_event(&mut tx, ticket_id, event, now).await?;
        tx.commit().await.context("committing an attachment download")?;
        Ok(true)
    }

    async fn tickets_to_remind(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Ticket>> {
        let sql = format!(
            "SELECT * FROM tickets
              WHERE reminded_at IS NULL AND remind_at IS NOT NULL AND remind_at <= ?1 AND processable = 1
                AND status IN ({})
              ORDER BY remind_at, id LIMIT ?2",
            open_statuses_sql()
        );
        let rows: Vec<TicketRow> = sqlx::query_as(&sql)
            .bind(to_ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .context("finding tickets to remind")?;
        Ok(rows.into_iter().map(Ticket::from).collect())
    }

    async fn tickets_to_escalate(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Ticket>> {
        let sql = format!(
            "SELECT * FROM tickets
              WHERE escalated = 0 AND due_at IS NOT NULL AND due_at < ?1 AND status IN ({})
              ORDER BY due_at, id LIMIT ?2",
            open_statuses_sql()
        );
        let rows: Vec<TicketRow> = sqlx::query_as(&sql)
            .bind(to_ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .context("finding overdue tickets")?;
        Ok(rows.into_iter().map(Ticket::from).collect())
    }

    async fn record_notification(&self, n: &NewNotification) -> StoreResult<bool> {
        let (kind, department) = match &n.recipient {
            Recipient::Department(code) => ("department", Some(code.as_str())),
            Recipient::InspectionTeam => ("inspection_team", None),
        };
        let done = sqlx::query(
            "INSERT INTO ticket_notifications (ticket_id, ticket_code, recipient_kind, department_code, kind, message,
                dedupe_key, created_at)
             VALUES ((SELECT id FROM tickets WHERE code = ?1), ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(&n.ticket_code)
        .bind(kind)
        .bind(department)
        .bind(n.kind.as_str())
        .bind(&n.message)
        .bind(&n.dedupe_key)
        .bind(to_ms(n.created_at))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("recording a notification")?;
        Ok(done.rows_affected() == 1)
    }

    async fn notifications(&self, scope: &Scope, unread_only: bool, limit: u32) -> StoreResult<Vec<Notification>> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM ticket_notifications WHERE 1 = 1");
        push_recipient_scope(&mut q, scope);
        if unread_only {
            q.push(" AND read_at IS NULL");
        }
        q.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        let rows: Vec<NotificationRow> =
            q.build_query_as().fetch_all(&self.reader).await.context("listing notifications")?;
        Ok(rows.into_iter().map(Notification::from).collect())
    }

    async fn mark_notification_read(&self, id: i64, scope: &Scope, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE ticket_notifications SET read_at = ");
        q.push_bind(to_ms(now)).push(" WHERE id = ").push_bind(id).push(" AND read_at IS NULL");
        push_recipient_scope(&mut q, scope);
        let done = q.build().execute(&mut *self.write_conn().await?).await.context("marking a notification read")?;
        Ok(done.rows_affected() == 1)
    }
}

fn push_recipient_scope(q: &mut QueryBuilder<'_, Sqlite>, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Department(code) => {
            q.push(" AND recipient_kind = 'department' AND department_code = ").push_bind(code.clone());
        }
        Scope::MisconductOnly => {
            q.push(" AND recipient_kind = 'inspection_team'");
        }
    }
}
