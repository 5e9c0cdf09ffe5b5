//! The console's reads of survey data on SQLite: dossiers with their survey (filtered, paged),
//! counts by status, the agencies found on dossiers, the opt-out list. Contact columns are
//! selected only for full access.

use async_trait::async_trait;
use sqlx::{FromRow, QueryBuilder, Sqlite};

use super::{from_ms, to_ms, SqliteStore};
use crate::store::{like_contains, Context, StoreError, StoreResult};
use crate::surveys::messages::SEND_PURPOSE;
use crate::surveys::model::{AnswerChannel, DossierChannel, InstanceState, Level, SkipReason};
use crate::surveys::overview::{
    Agency, DossierAccess, DossierFilter, DossierPage, DossierSummary, OptOutEntry, OptOutKind, SurveyCounts,
    SurveyOverviewStore, SurveyStatus,
};

const FROM: &str = " FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code";

/// Sent (or expired) with no delivered message: every attempt undeliverable or failed.
fn unreachable_condition() -> String {
    format!(
        "(i.state IN ('sent', 'expired')
          AND NOT EXISTS (SELECT 1 FROM outbound_messages m
                           WHERE m.reference = d.code AND m.purpose = '{SEND_PURPOSE}' AND m.status = 'sent')
          AND EXISTS (SELECT 1 FROM outbound_messages m
                       WHERE m.reference = d.code AND m.purpose = '{SEND_PURPOSE}'
                         AND m.status IN ('undeliverable', 'failed')))"
    )
}

fn push_filter(q: &mut QueryBuilder<'_, Sqlite>, filter: &DossierFilter, with_status: bool) {
    q.push(" WHERE 1 = 1");
    if let Some(text) = &filter.text {
        let pattern = like_contains(text);
        q.push(" AND (lower(d.code) LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(d.procedure_code) LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(level) = filter.level {
        q.push(" AND d.level = ").push_bind(level.as_str());
    }
    if let Some(channel) = filter.channel {
        q.push(" AND d.channel = ").push_bind(channel.as_str());
    }
    if let Some(agency) = &filter.agency {
        q.push(" AND d.agency_code = ").push_bind(agency.clone());
    }
    if let Some(from) = filter.completed_from {
        q.push(" AND d.completed_at >= ").push_bind(to_ms(from));
    }
    if let Some(until) = filter.completed_until {
        q.push(" AND d.completed_at < ").push_bind(to_ms(until));
    }
    if with_status {
        match filter.status.map(SurveyStatus::state) {
            None => {}
            Some(Some(state)) => {
                q.push(" AND i.state = ").push_bind(state.as_str());
            }
            Some(None) => {
                q.push(" AND ").push(unreachable_condition());
            }
        }
    }
}

#[derive(FromRow)]
struct SummaryRow {
    code: String,
    procedure_code: String,
    procedure_name: String,
    field: String,
    agency_code: String,
    agency_name: String,
    level: String,
    channel: String,
    completed_at: i64,
    citizen_name: Option<String>,
    phone: Option<String>,
    has_zalo: bool,
    state: String,
    skip_reason: Option<String>,
    due_at: Option<i64>,
    sent_at: Option<i64>,
    answered_at: Option<i64>,
    answer_channel: Option<String>,
    expires_at: Option<i64>,
    unreachable: bool,
}

impl TryFrom<SummaryRow> for DossierSummary {
    type Error = StoreError;

    fn try_from(row: SummaryRow) -> Result<Self, Self::Error> {
        let invalid =
            |what: &str, value: &str| StoreError::Invalid(format!("dossier {}: unknown {what} {value:?}", row.code));
        Ok(DossierSummary {
            level: Level::parse(&row.level).ok_or_else(|| invalid("level", &row.level))?,
            channel: DossierChannel::parse(&row.channel).ok_or_else(|| invalid("channel", &row.channel))?,
            state: InstanceState::parse(&row.state).ok_or_else(|| invalid("survey state", &row.state))?,
            skip_reason: row.skip_reason.as_deref().and_then(SkipReason::parse),
            answer_channel: row.answer_channel.as_deref().and_then(AnswerChannel::parse),
            completed_at: from_ms(row.completed_at),
            due_at: row.due_at.map(from_ms),
            sent_at: row.sent_at.map(from_ms),
            answered_at: row.answered_at.map(from_ms),
            expires_at: row.expires_at.map(from_ms),
            code: row.code,
            procedure_code: row.procedure_code,
            procedure_name: row.procedure_name,
            field: row.field,
            agency_code: row.agency_code,
            agency_name: row.agency_name,
            citizen_name: row.citizen_name,
            phone: row.phone,
            has_zalo: row.has_zalo,
            unreachable: row.unreachable,
        })
    }
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

#[async_trait]
impl SurveyOverviewStore for SqliteStore {
    async fn survey_counts(&self, filter: &DossierFilter) -> StoreResult<SurveyCounts> {
        let mut q = QueryBuilder::new(format!("SELECT i.state, i.skip_reason, COUNT(*){FROM}"));
        push_filter(&mut q, filter, false);
        q.push(" GROUP BY i.state, i.skip_reason");
        let rows: Vec<(String, Option<String>, i64)> =
            q.build_query_as().fetch_all(&self.reader).await.context("counting surveys by status")?;
        let mut q = QueryBuilder::new(format!("SELECT COUNT(*){FROM}"));
        push_filter(&mut q, filter, false);
        q.push(" AND ").push(unreachable_condition());
        let unreachable: i64 =
            q.build_query_scalar().fetch_one(&self.reader).await.context("counting unreachable surveys")?;
        let mut counts = SurveyCounts { unreachable: to_u64(unreachable), ..SurveyCounts::default() };
        for (state, reason, n) in rows {
            let n = to_u64(n);
            counts.dossiers += n;
            let Some(state) = InstanceState::parse(&state) else { continue };
            match counts.by_state.iter_mut().find(|(s, _)| *s == state) {
                Some((_, total)) => *total += n,
                None => counts.by_state.push((state, n)),
            }
            if let Some(reason) = reason.as_deref().and_then(SkipReason::parse) {
                counts.skipped_by_reason.push((reason, n));
            }
        }
        Ok(counts)
    }

    async fn list_dossiers(
        &self,
        filter: &DossierFilter,
        access: DossierAccess,
        limit: u32,
        offset: u64,
    ) -> StoreResult<DossierPage> {
        let mut q = QueryBuilder::new(format!("SELECT COUNT(*){FROM}"));
        push_filter(&mut q, filter, true);
        let total: i64 = q.build_query_scalar().fetch_one(&self.reader).await.context("counting dossiers")?;
        let contact = match access {
            DossierAccess::Full => "d.citizen_name, d.phone",
            DossierAccess::FiguresOnly => "NULL AS citizen_name, NULL AS phone",
        };
        let mut q = QueryBuilder::new(format!(
            "SELECT d.code, d.procedure_code, d.procedure_name, d.field, d.agency_code, d.agency_name, d.level,
                    d.channel, d.completed_at, {contact}, d.zalo_user_id IS NOT NULL AS has_zalo, i.state,
                    i.skip_reason, i.due_at, i.sent_at, i.answered_at, i.answer_channel, i.expires_at,
                    {} AS unreachable{FROM}",
            unreachable_condition()
        ));
        push_filter(&mut q, filter, true);
        q.push(" ORDER BY d.completed_at DESC, d.code LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows: Vec<SummaryRow> = q.build_query_as().fetch_all(&self.reader).await.context("listing dossiers")?;
        let items = rows.into_iter().map(DossierSummary::try_from).collect::<StoreResult<Vec<_>>>()?;
        Ok(DossierPage { items, total: to_u64(total) })
    }

    async fn dossier_agencies(&self) -> StoreResult<Vec<Agency>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT agency_code, MIN(agency_name) AS name FROM survey_dossiers GROUP BY agency_code ORDER BY name, agency_code",
        )
        .fetch_all(&self.reader)
        .await
        .context("listing the agencies of dossiers")?;
        Ok(rows.into_iter().map(|(code, name)| Agency { code, name }).collect())
    }

    async fn list_opt_outs(
        &self,
        value: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<OptOutEntry>, u64)> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM survey_opt_outs");
        if let Some(value) = value {
            q.push(" WHERE value = ").push_bind(value.to_owned());
        }
        let total: i64 = q.build_query_scalar().fetch_one(&self.reader).await.context("counting opt-outs")?;
        let mut q = QueryBuilder::<Sqlite>::new("SELECT kind, value, source, created_at FROM survey_opt_outs");
        if let Some(value) = value {
            q.push(" WHERE value = ").push_bind(value.to_owned());
        }
        q.push(" ORDER BY created_at DESC, kind, value LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows: Vec<(String, String, String, i64)> =
            q.build_query_as().fetch_all(&self.reader).await.context("listing opt-outs")?;
        let entries = rows
            .into_iter()
            .filter_map(|(kind, value, source, at)| {
                OptOutKind::parse(&kind).map(|kind| OptOutEntry { kind, value, source, created_at: from_ms(at) })
            })
            .collect();
        Ok((entries, to_u64(total)))
    }
}
