//! Satisfaction surveys on SQLite: dossiers and their single survey instance, dispatch claims,
//! chat steps and submissions with raw answers, opt-outs. Every write runs in `BEGIN IMMEDIATE`
//! on the single writer connection, so a claim can never be taken twice.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqliteConnection};

use super::jobs::insert_job;
use super::stats::apply_delta;
use super::{from_ms, to_ms, SqliteStore};
use crate::stats::aggregate::{cells, InstanceDelta, StatsDelta};
use crate::store::{BuildReminder, Context, DecideSend, PlanInstance, StoreError, StoreResult, SurveyStore};
use crate::surveys::answer::AnswerValue;
use crate::surveys::model::{
    AnswerChannel, ChatStepRecord, ContactHistory, DispatchReport, Dossier, DossierChannel, DossierOutcome,
    DueInstance, InstancePlan, InstanceState, Level, NewAnswer, OptOutReport, SendDecision, SkipReason, StoredAnswer,
    Submission, SubmitOutcome, SurveyInstance, UnmatchedFeedback,
};

#[derive(FromRow)]
struct DossierRow {
    code: String,
    procedure_code: String,
    procedure_name: String,
    field: String,
    agency_code: String,
    agency_name: String,
    level: String,
    received_at: i64,
    completed_at: i64,
    channel: String,
    citizen_name: Option<String>,
    phone: Option<String>,
    zalo_user_id: Option<String>,
}

impl TryFrom<DossierRow> for Dossier {
    type Error = StoreError;

    fn try_from(row: DossierRow) -> Result<Self, Self::Error> {
        Ok(Dossier {
            level: Level::parse(&row.level)
                .ok_or_else(|| StoreError::Invalid(format!("dossier {}: unknown level {:?}", row.code, row.level)))?,
            channel: DossierChannel::parse(&row.channel).ok_or_else(|| {
                StoreError::Invalid(format!("dossier {}: unknown channel {:?}", row.code, row.channel))
            })?,
            code: row.code,
            procedure_code: row.procedure_code,
            procedure_name: row.procedure_name,
            field: row.field,
            agency_code: row.agency_code,
            agency_name: row.agency_name,
            received_at: from_ms(row.received_at),
            completed_at: from_ms(row.completed_at),
            citizen_name: row.citizen_name,
            phone: row.phone,
            zalo_user_id: row.zalo_user_id,
        })
    }
}

#[derive(FromRow)]
struct InstanceRow {
    id: i64,
    dossier_code: String,
    token: String,
    state: String,
    skip_reason: Option<String>,
    zalo_user_id: Option<String>,
    phone: Option<String>,
    due_at: Option<i64>,
    sent_at: Option<i64>,
    reminder_at: Option<i64>,
    reminded_at: Option<i64>,
    expires_at: Option<i64>,
    chat_step: Option<String>,
    answered_at: Option<i64>,
    answer_channel: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<InstanceRow> for SurveyInstance {
    type Error = StoreError;

    fn try_from(row: InstanceRow) -> Result<Self, Self::Error> {
        Ok(SurveyInstance {
            state: InstanceState::parse(&row.state).ok_or_else(|| {
                StoreError::Invalid(format!("survey instance {}: unknown state {:?}", row.id, row.state))
            })?,
            skip_reason: row.skip_reason.as_deref().and_then(SkipReason::parse),
            answer_channel: row.answer_channel.as_deref().and_then(AnswerChannel::parse),
            id: row.id,
            dossier_code: row.dossier_code,
            token: row.token,
            zalo_user_id: row.zalo_user_id,
            phone: row.phone,
            due_at: row.due_at.map(from_ms),
            sent_at: row.sent_at.map(from_ms),
            reminder_at: row.reminder_at.map(from_ms),
            reminded_at: row.reminded_at.map(from_ms),
            expires_at: row.expires_at.map(from_ms),
            chat_step: row.chat_step,
            answered_at: row.answered_at.map(from_ms),
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
        })
    }
}

/// An instance with what the dispatcher needs to know about its citizen.
#[derive(FromRow)]
struct DueRow {
    #[sqlx(flatten)]
    instance: InstanceRow,
    opted_out: bool,
    other_sent_at: Option<i64>,
}

#[derive(FromRow)]
struct AnswerRow {
    instance_id: i64,
    dossier_code: String,
    survey_id: String,
    survey_version: i64,
    question_code: String,
    value_int: Option<i64>,
    value_text: Option<String>,
    answered_at: i64,
    channel: String,
    agency_code: String,
    agency_name: String,
    level: String,
    field: String,
    procedure_code: String,
    procedure_name: String,
    dossier_channel: String,
    completed_at: i64,
}

impl TryFrom<AnswerRow> for StoredAnswer {
    type Error = StoreError;

    fn try_from(row: AnswerRow) -> Result<Self, Self::Error> {
        let value = match (row.value_int, row.value_text) {
            (Some(value), _) => AnswerValue::Score(value),
            (None, Some(text)) => AnswerValue::Text(text),
            (None, None) => return Err(StoreError::Invalid(format!("answer {} has no value", row.question_code))),
        };
        Ok(StoredAnswer {
            channel: AnswerChannel::parse(&row.channel)
                .ok_or_else(|| StoreError::Invalid(format!("unknown answer channel {:?}", row.channel)))?,
            level: Level::parse(&row.level)
                .ok_or_else(|| StoreError::Invalid(format!("unknown level {:?}", row.level)))?,
            dossier_channel: DossierChannel::parse(&row.dossier_channel)
                .ok_or_else(|| StoreError::Invalid(format!("unknown dossier channel {:?}", row.dossier_channel)))?,
            instance_id: row.instance_id,
            dossier_code: row.dossier_code,
            survey_id: row.survey_id,
            survey_version: u32::try_from(row.survey_version).unwrap_or(0),
            question_code: row.question_code,
            value,
            answered_at: from_ms(row.answered_at),
            agency_code: row.agency_code,
            agency_name: row.agency_name,
            field: row.field,
            procedure_code: row.procedure_code,
            procedure_name: row.procedure_name,
            completed_at: from_ms(row.completed_at),
        })
    }
}

/// The columns of an instance plus the citizen's opt-out flag and latest other send.
const DUE_COLUMNS: &str = "i.*,
    EXISTS (SELECT 1 FROM survey_opt_outs o
             WHERE (o.kind = 'zalo_user_id' AND o.value = i.zalo_user_id)
                OR (o.kind = 'phone' AND o.value = i.phone)) AS opted_out,
    (SELECT MAX(j.sent_at) FROM survey_instances j
      WHERE j.id <> i.id AND j.sent_at IS NOT NULL
        AND (j.zalo_user_id = i.zalo_user_id OR j.phone = i.phone)) AS other_sent_at";

async fn contact_history(conn: &mut SqliteConnection, dossier: &Dossier) -> StoreResult<ContactHistory> {
    let (opted_out, last): (bool, Option<i64>) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM survey_opt_outs
                         WHERE (kind = 'zalo_user_id' AND value = ?1) OR (kind = 'phone' AND value = ?2)),
                (SELECT MAX(COALESCE(sent_at, due_at)) FROM survey_instances
                  WHERE (zalo_user_id = ?1 OR phone = ?2)
                    AND state IN ('scheduled', 'sent', 'answering', 'answered', 'expired'))",
    )
    .bind(&dossier.zalo_user_id)
    .bind(&dossier.phone)
    .fetch_one(&mut *conn)
    .await
    .context("reading a citizen's survey history")?;
    Ok(ContactHistory { opted_out, last_survey_at: last.map(from_ms) })
}

async fn write_dossier(conn: &mut SqliteConnection, d: &Dossier, now: DateTime<Utc>, insert: bool) -> StoreResult<()> {
    let sql = if insert {
        "INSERT INTO survey_dossiers (code, procedure_code, procedure_name, field, agency_code, agency_name, level,
             received_at, completed_at, channel, citizen_name, phone, zalo_user_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
    } else {
        "UPDATE survey_dossiers SET procedure_code = ?2, procedure_name = ?3, field = ?4, agency_code = ?5,
             agency_name = ?6, level = ?7, received_at = ?8, completed_at = ?9, channel = ?10, citizen_name = ?11,
             phone = ?12, zalo_user_id = ?13, updated_at = ?14
         WHERE code = ?1"
    };
    sqlx::query(sql)
        .bind(&d.code)
        .bind(&d.procedure_code)
        .bind(&d.procedure_name)
        .bind(&d.field)
        .bind(&d.agency_code)
        .bind(&d.agency_name)
        .bind(d.level.as_str())
        .bind(to_ms(d.received_at))
        .bind(to_ms(d.completed_at))
        .bind(d.channel.as_str())
        .bind(&d.citizen_name)
        .bind(&d.phone)
        .bind(&d.zalo_user_id)
        .bind(to_ms(now))
        .execute(&mut *conn)
        .await
        .context("writing a dossier")?;
    Ok(())
}

async fn insert_instance(
    conn: &mut SqliteConnection,
    d: &Dossier,
    plan: &InstancePlan,
    now: DateTime<Utc>,
) -> StoreResult<(i64, InstanceState)> {
    let (token, state, reason, due_at) = match plan {
        InstancePlan::Scheduled { token, due_at } => (token, InstanceState::Scheduled, None, Some(to_ms(*due_at))),
        InstancePlan::Skipped { token, reason } => (token, InstanceState::Skipped, Some(reason.as_str()), None),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO survey_instances (dossier_code, token, state, skip_reason, zalo_user_id, phone, due_at,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
    )
    .bind(&d.code)
    .bind(token)
    .bind(state.as_str())
    .bind(reason)
    .bind(&d.zalo_user_id)
    .bind(&d.phone)
    .bind(due_at)
    .bind(to_ms(now))
    .fetch_one(&mut *conn)
    .await
    .context("creating a survey instance")?;
    Ok((id, state))
}

/// Dossiers by code, for a set of instances.
async fn dossiers_of(conn: &mut SqliteConnection, rows: &[DueRow]) -> StoreResult<BTreeMap<String, Dossier>> {
    let codes: Vec<&str> = rows.iter().map(|r| r.instance.dossier_code.as_str()).collect();
    let found: Vec<DossierRow> =
        sqlx::query_as("SELECT * FROM survey_dossiers WHERE code IN (SELECT value FROM json_each(?1))")
            .bind(serde_json::to_string(&codes).unwrap_or_default())
            .fetch_all(&mut *conn)
            .await
            .context("reading the dossiers of due surveys")?;
    found.into_iter().map(|row| Dossier::try_from(row).map(|d| (d.code.clone(), d))).collect()
}

async fn due_instances(conn: &mut SqliteConnection, rows: Vec<DueRow>) -> StoreResult<Vec<DueInstance>> {
    let mut dossiers = dossiers_of(conn, &rows).await?;
    rows.into_iter()
        .map(|row| {
            let instance = SurveyInstance::try_from(row.instance)?;
            let dossier = dossiers.remove(&instance.dossier_code).ok_or_else(|| {
                StoreError::Invalid(format!("survey instance {} has no dossier {}", instance.id, instance.dossier_code))
            })?;
            Ok(DueInstance {
                instance,
                dossier,
                opted_out: row.opted_out,
                other_sent_at: row.other_sent_at.map(from_ms),
            })
        })
        .collect()
}

/// The dossier of a survey instance.
async fn dossier_of_instance(conn: &mut SqliteConnection, instance_id: i64) -> StoreResult<Dossier> {
    let row: DossierRow = sqlx::query_as(
        "SELECT d.* FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code WHERE i.id = ?1",
    )
    .bind(instance_id)
    .fetch_one(&mut *conn)
    .await
    .context("reading a survey's dossier")?;
    Dossier::try_from(row)
}

/// Inserts raw answers with the dossier's dimensions (a question answered already is skipped)
/// and adds them to `delta`: integer answers to the answer counts, and one response when these
/// are the instance's first answers to the survey.
#[allow(clippy::too_many_arguments)]
async fn insert_answers(
    conn: &mut SqliteConnection,
    instance_id: i64,
    dossier: &Dossier,
    survey_id: &str,
    survey_version: u32,
    answers: &[NewAnswer],
    channel: AnswerChannel,
    now: DateTime<Utc>,
    delta: &mut StatsDelta,
) -> StoreResult<()> {
    let answered_before: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM survey_answers WHERE instance_id = ?1 AND survey_id = ?2)")
            .bind(instance_id)
            .bind(survey_id)
            .fetch_one(&mut *conn)
            .await
            .context("checking a survey's earlier answers")?;
    let mut inserted_any = false;
    for answer in answers {
        let (value_int, value_text) = match &answer.value {
            AnswerValue::Score(value) => (Some(*value), None),
            AnswerValue::Text(text) => (None, Some(text.as_str())),
        };
        let done = sqlx::query(
            "INSERT INTO survey_answers (instance_id, dossier_code, survey_id, survey_version, question_code, value_int,
                 value_text, answered_at, channel, agency_code, agency_name, level, field, procedure_code, procedure_name,
                 dossier_channel, completed_at)
             SELECT i.id, d.code, ?2, ?3, ?4, ?5, ?6, ?7, ?8, d.agency_code, d.agency_name, d.level, d.field,
                    d.procedure_code, d.procedure_name, d.channel, d.completed_at
               FROM survey_instances i JOIN survey_dossiers d ON d.code = i.dossier_code
              WHERE i.id = ?1
             ON CONFLICT (dossier_code, question_code) DO NOTHING",
        )
        .bind(instance_id)
        .bind(survey_id)
        .bind(i64::from(survey_version))
        .bind(&answer.question_code)
        .bind(value_int)
        .bind(value_text)
        .bind(to_ms(now))
        .bind(channel.as_str())
        .execute(&mut *conn)
        .await
        .context("storing a survey answer")?;
        if done.rows_affected() == 1 {
            inserted_any = true;
            if let Some(value) = value_int {
                delta.answer(survey_id, dossier, &answer.question_code, value);
            }
        }
    }
    if inserted_any && !answered_before {
        delta.response(survey_id, dossier);
    }
    Ok(())
}

/// Stores dossiers on an open transaction (see `SurveyStore::store_dossiers`), calling `on_row`
/// after each row.
pub(super) async fn store_dossiers_in(
    conn: &mut SqliteConnection,
    dossiers: &[Dossier],
    plan: &PlanInstance<'_>,
    on_row: &(dyn Fn() + Send + Sync),
    now: DateTime<Utc>,
) -> StoreResult<Vec<DossierOutcome>> {
    let mut outcomes = Vec::with_capacity(dossiers.len());
    let mut delta = StatsDelta::default();
    for dossier in dossiers {
        let existing: Option<DossierRow> = sqlx::query_as("SELECT * FROM survey_dossiers WHERE code = ?1")
            .bind(&dossier.code)
            .fetch_optional(&mut *conn)
            .await
            .context("looking up a dossier")?;
        let existing = existing.map(Dossier::try_from).transpose()?;
        let outcome = match existing {
            Some(stored) if stored == *dossier => DossierOutcome::Unchanged,
            Some(stored) => {
                write_dossier(&mut *conn, dossier, now, false).await?;
                if cells(&stored) != cells(dossier) {
                    let (sent, answered): (bool, bool) = sqlx::query_as(
                        "SELECT sent_at IS NOT NULL, state = 'answered' FROM survey_instances WHERE dossier_code = ?1",
                    )
                    .bind(&dossier.code)
                    .fetch_one(&mut *conn)
                    .await
                    .context("reading a dossier's survey for statistics")?;
                    let counted = InstanceDelta { instances: 1, sent: i64::from(sent), answered: i64::from(answered) };
                    delta.move_instance(&stored, dossier, counted);
                }
                sqlx::query(
                    "UPDATE survey_instances SET zalo_user_id = ?2, phone = ?3, updated_at = ?4
                      WHERE dossier_code = ?1 AND state = 'scheduled'",
                )
                .bind(&dossier.code)
                .bind(&dossier.zalo_user_id)
                .bind(&dossier.phone)
                .bind(to_ms(now))
                .execute(&mut *conn)
                .await
                .context("updating a scheduled survey's contact")?;
                DossierOutcome::Updated
            }
            None => {
                let history = contact_history(&mut *conn, dossier).await?;
                let decided = plan(dossier, &history);
                write_dossier(&mut *conn, dossier, now, true).await?;
                let (instance_id, state) = insert_instance(&mut *conn, dossier, &decided, now).await?;
                delta.instance(dossier, InstanceDelta { instances: 1, ..InstanceDelta::default() });
                DossierOutcome::Created { instance_id, state }
            }
        };
        on_row();
        outcomes.push(outcome);
    }
    apply_delta(&mut *conn, &delta).await?;
    Ok(outcomes)
}

#[async_trait]
impl SurveyStore for SqliteStore {
    async fn store_dossiers(
        &self,
        dossiers: &[Dossier],
        plan: &PlanInstance<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DossierOutcome>> {
        let mut tx = self.begin_write().await?;
        let outcomes = store_dossiers_in(&mut tx, dossiers, plan, &|| {}, now).await?;
        tx.commit().await.context("committing dossiers")?;
        Ok(outcomes)
    }

    async fn dossier(&self, code: &str) -> StoreResult<Option<Dossier>> {
        let row: Option<DossierRow> = sqlx::query_as("SELECT * FROM survey_dossiers WHERE code = ?1")
            .bind(code)
            .fetch_optional(&self.reader)
            .await
            .context("reading a dossier")?;
        row.map(Dossier::try_from).transpose()
    }

    async fn instance_by_dossier(&self, dossier_code: &str) -> StoreResult<Option<SurveyInstance>> {
        let row: Option<InstanceRow> = sqlx::query_as("SELECT * FROM survey_instances WHERE dossier_code = ?1")
            .bind(dossier_code)
            .fetch_optional(&self.reader)
            .await
            .context("reading a dossier's survey")?;
        row.map(SurveyInstance::try_from).transpose()
    }

    async fn instance_by_token(&self, token: &str) -> StoreResult<Option<SurveyInstance>> {
        let row: Option<InstanceRow> = sqlx::query_as("SELECT * FROM survey_instances WHERE token = ?1")
            .bind(token)
            .fetch_optional(&self.reader)
            .await
            .context("reading a survey by token")?;
        row.map(SurveyInstance::try_from).transpose()
    }

    async fn active_chat_instance(
        &self,
        zalo_user_id: &str,
        now: DateTime<Utc>,
        suggestion_since: DateTime<Utc>,
    ) -> StoreResult<Option<SurveyInstance>> {
        let row: Option<InstanceRow> = sqlx::query_as(
            "SELECT * FROM survey_instances
              WHERE zalo_user_id = ?1
                AND ((state IN ('sent', 'answering') AND expires_at > ?2)
                  OR (state = 'answered' AND answer_channel = 'chat' AND chat_step IS NOT NULL
                      AND answered_at >= ?3))
              ORDER BY sent_at DESC, id DESC
              LIMIT 1",
        )
        .bind(zalo_user_id)
        .bind(to_ms(now))
        .bind(to_ms(suggestion_since))
        .fetch_optional(&self.reader)
        .await
        .context("finding a citizen's open survey")?;
        row.map(SurveyInstance::try_from).transpose()
    }

    async fn dispatch_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        decide: &DecideSend<'_>,
    ) -> StoreResult<DispatchReport> {
        let mut tx = self.begin_write().await?;
        let rows: Vec<DueRow> = sqlx::query_as(&format!(
            "SELECT {DUE_COLUMNS} FROM survey_instances i
              WHERE i.state = 'scheduled' AND i.due_at <= ?1
              ORDER BY i.due_at, i.id LIMIT ?2"
        ))
        .bind(to_ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .context("claiming due surveys")?;
        let due = due_instances(&mut tx, rows).await?;
        let mut report = DispatchReport { claimed: due.len(), ..DispatchReport::default() };
        let mut delta = StatsDelta::default();
        for item in &due {
            match decide(item) {
                SendDecision::Send { job, reminder_at, expires_at, first_step } => {
                    let marked = sqlx::query(
                        "UPDATE survey_instances SET state = 'sent', sent_at = ?2, reminder_at = ?3, expires_at = ?4,
                                chat_step = ?5, updated_at = ?2
                          WHERE id = ?1 AND state = 'scheduled'",
                    )
                    .bind(item.instance.id)
                    .bind(to_ms(now))
                    .bind(reminder_at.map(to_ms))
                    .bind(to_ms(expires_at))
                    .bind(first_step)
                    .execute(&mut *tx)
                    .await
                    .context("marking a survey sent")?;
                    if marked.rows_affected() == 1 {
                        delta.instance(&item.dossier, InstanceDelta { sent: 1, ..InstanceDelta::default() });
                    }
                    insert_job(&mut tx, &job, now).await?;
                    report.sent += 1;
                }
                SendDecision::Skip(reason) => {
                    sqlx::query(
                        "UPDATE survey_instances SET state = 'skipped', skip_reason = ?2, updated_at = ?3
                          WHERE id = ?1 AND state = 'scheduled'",
                    )
                    .bind(item.instance.id)
                    .bind(reason.as_str())
                    .bind(to_ms(now))
                    .execute(&mut *tx)
                    .await
                    .context("skipping a due survey")?;
                    report.skipped += 1;
                }
            }
        }
        apply_delta(&mut tx, &delta).await?;
        tx.commit().await.context("committing a survey dispatch")?;
        Ok(report)
    }

    async fn remind_due(&self, now: DateTime<Utc>, limit: u32, build: &BuildReminder<'_>) -> StoreResult<usize> {
        let mut tx = self.begin_write().await?;
        let rows: Vec<DueRow> = sqlx::query_as(&format!(
            "SELECT {DUE_COLUMNS} FROM survey_instances i
              WHERE i.state = 'sent' AND i.reminded_at IS NULL AND i.reminder_at IS NOT NULL
                AND i.reminder_at <= ?1 AND i.expires_at > ?1
              ORDER BY i.reminder_at, i.id LIMIT ?2"
        ))
        .bind(to_ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .context("claiming due reminders")?;
        let due = due_instances(&mut tx, rows).await?;
        for item in &due {
            sqlx::query("UPDATE survey_instances SET reminded_at = ?2, updated_at = ?2 WHERE id = ?1")
                .bind(item.instance.id)
                .bind(to_ms(now))
                .execute(&mut *tx)
                .await
                .context("marking a survey reminded")?;
            insert_job(&mut tx, &build(item), now).await?;
        }
        tx.commit().await.context("committing survey reminders")?;
        Ok(due.len())
    }

    async fn expire_due(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE survey_instances SET state = 'expired', updated_at = ?1
              WHERE state IN ('sent', 'answering') AND expires_at <= ?1",
        )
        .bind(to_ms(now))
        .execute(&mut *self.write_conn().await?)
        .await
        .context("expiring surveys")?;
        Ok(done.rows_affected())
    }

    async fn record_chat_step(&self, step: &ChatStepRecord, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE survey_instances
                SET chat_step = ?3,
                    state = CASE WHEN ?4 THEN 'answered' WHEN state = 'sent' THEN 'answering' ELSE state END,
                    answered_at = CASE WHEN ?4 THEN ?5 ELSE answered_at END,
                    answer_channel = CASE WHEN ?4 THEN 'chat' ELSE answer_channel END,
                    updated_at = ?5
              WHERE id = ?1 AND chat_step = ?2
                AND ((state IN ('sent', 'answering') AND expires_at > ?5)
                  OR (state = 'answered' AND answer_channel = 'chat' AND NOT ?4))",
        )
        .bind(step.instance_id)
        .bind(&step.expected_step)
        .bind(&step.next_step)
        .bind(step.completes)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await
        .context("moving a chat survey on")?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        if !step.completes && step.answer.is_none() {
            tx.commit().await.context("committing a chat step")?;
            return Ok(true);
        }
        let dossier = dossier_of_instance(&mut tx, step.instance_id).await?;
        let mut delta = StatsDelta::default();
        if step.completes {
            delta.instance(&dossier, InstanceDelta { answered: 1, ..InstanceDelta::default() });
        }
        if let Some(answer) = &step.answer {
            insert_answers(
                &mut tx,
                step.instance_id,
                &dossier,
                &step.survey_id,
                step.survey_version,
                std::slice::from_ref(answer),
                AnswerChannel::Chat,
                now,
                &mut delta,
            )
            .await?;
        }
        apply_delta(&mut tx, &delta).await?;
        tx.commit().await.context("committing a chat answer")?;
        Ok(true)
    }

    async fn submit(&self, submission: &Submission, now: DateTime<Utc>) -> StoreResult<SubmitOutcome> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE survey_instances
                SET state = 'answered', answered_at = ?2, answer_channel = ?3, chat_step = NULL, updated_at = ?2
              WHERE id = ?1 AND state IN ('sent', 'answering') AND expires_at > ?2",
        )
        .bind(submission.instance_id)
        .bind(to_ms(now))
        .bind(submission.channel.as_str())
        .execute(&mut *tx)
        .await
        .context("marking a survey answered")?;
        if moved.rows_affected() == 0 {
            let state: Option<String> = sqlx::query_scalar("SELECT state FROM survey_instances WHERE id = ?1")
                .bind(submission.instance_id)
                .fetch_optional(&mut *tx)
                .await
                .context("reading a survey's state")?;
            return Ok(if state.as_deref() == Some("answered") {
                SubmitOutcome::AlreadyAnswered
            } else {
                SubmitOutcome::Closed
            });
        }
        let dossier = dossier_of_instance(&mut tx, submission.instance_id).await?;
        let mut delta = StatsDelta::default();
        delta.instance(&dossier, InstanceDelta { answered: 1, ..InstanceDelta::default() });
        insert_answers(
            &mut tx,
            submission.instance_id,
            &dossier,
            &submission.survey_id,
            submission.survey_version,
            &submission.answers,
            submission.channel,
            now,
            &mut delta,
        )
        .await?;
        apply_delta(&mut tx, &delta).await?;
        tx.commit().await.context("committing a survey submission")?;
        Ok(SubmitOutcome::Stored)
    }

    async fn answers(&self, instance_id: i64) -> StoreResult<Vec<StoredAnswer>> {
        let rows: Vec<AnswerRow> = sqlx::query_as("SELECT * FROM survey_answers WHERE instance_id = ?1 ORDER BY id")
            .bind(instance_id)
            .fetch_all(&self.reader)
            .await
            .context("reading survey answers")?;
        rows.into_iter().map(StoredAnswer::try_from).collect()
    }

    async fn record_unmatched_feedback(&self, feedback: &UnmatchedFeedback, now: DateTime<Utc>) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO survey_unmatched_feedback (tracking_id, msg_id, rate, note, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .bind(&feedback.tracking_id)
        .bind(&feedback.msg_id)
        .bind(feedback.rate)
        .bind(&feedback.note)
        .bind(to_ms(now))
        .fetch_one(&mut *self.write_conn().await?)
        .await
        .context("keeping an unmatched rating")
    }

    async fn list_unmatched_feedback(&self, limit: u32) -> StoreResult<Vec<UnmatchedFeedback>> {
        let rows: Vec<(Option<String>, Option<String>, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT tracking_id, msg_id, rate, note FROM survey_unmatched_feedback ORDER BY id DESC LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .context("listing unmatched ratings")?;
        Ok(rows
            .into_iter()
            .map(|(tracking_id, msg_id, rate, note)| UnmatchedFeedback { tracking_id, msg_id, rate, note })
            .collect())
    }

    async fn opt_out(
        &self,
        zalo_user_id: Option<&str>,
        phone: Option<&str>,
        source: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<OptOutReport> {
        let mut tx = self.begin_write().await?;
        let mut users: Vec<String> = zalo_user_id.map(str::to_owned).into_iter().collect();
        let mut phones: Vec<String> = phone.map(str::to_owned).into_iter().collect();
        if let Some(user) = zalo_user_id {
            let found: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT phone FROM survey_instances WHERE zalo_user_id = ?1 AND phone IS NOT NULL",
            )
            .bind(user)
            .fetch_all(&mut *tx)
            .await
            .context("finding a citizen's phones")?;
            phones.extend(found);
        }
        if let Some(phone) = phone {
            let found: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT zalo_user_id FROM survey_instances WHERE phone = ?1 AND zalo_user_id IS NOT NULL",
            )
            .bind(phone)
            .fetch_all(&mut *tx)
            .await
            .context("finding a citizen's Zalo ids")?;
            users.extend(found);
        }
        users.sort();
        users.dedup();
        phones.sort();
        phones.dedup();
        let mut report = OptOutReport::default();
        let identifiers = users.iter().map(|u| ("zalo_user_id", u)).chain(phones.iter().map(|p| ("phone", p)));
        for (kind, value) in identifiers {
            sqlx::query(
                "INSERT INTO survey_opt_outs (kind, value, source, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, value) DO NOTHING",
            )
            .bind(kind)
            .bind(value)
            .bind(source)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await
            .context("adding to the survey opt-out list")?;
            let column = if kind == "phone" { "phone" } else { "zalo_user_id" };
            let skipped = sqlx::query(&format!(
                "UPDATE survey_instances SET state = 'skipped', skip_reason = 'opted_out', updated_at = ?2
                  WHERE state = 'scheduled' AND {column} = ?1"
            ))
            .bind(value)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await
            .context("skipping an opted-out citizen's surveys")?;
            let cancelled = sqlx::query(&format!(
                "UPDATE survey_instances SET reminder_at = NULL, updated_at = ?2
                  WHERE state IN ('sent', 'answering') AND reminded_at IS NULL AND reminder_at IS NOT NULL
                    AND {column} = ?1"
            ))
            .bind(value)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await
            .context("cancelling an opted-out citizen's reminders")?;
            report.skipped += skipped.rows_affected();
            report.reminders_cancelled += cancelled.rows_affected();
        }
        tx.commit().await.context("committing an opt-out")?;
        Ok(report)
    }

    async fn is_opted_out(&self, zalo_user_id: Option<&str>, phone: Option<&str>) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM survey_opt_outs
                             WHERE (kind = 'zalo_user_id' AND value = ?1) OR (kind = 'phone' AND value = ?2))",
        )
        .bind(zalo_user_id)
        .bind(phone)
        .fetch_one(&self.reader)
        .await
        .context("checking the survey opt-out list")
    }

    async fn count_instances(&self, state: InstanceState) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM survey_instances WHERE state = ?1")
            .bind(state.as_str())
            .fetch_one(&self.reader)
            .await
            .context("counting survey instances")
    }
}
