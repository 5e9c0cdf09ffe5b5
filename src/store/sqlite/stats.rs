//! Statistics on SQLite: answer and instance counts of a slice read from the maintained cubes
//! (`stats_*_counts`) for the aligned part of the period and from the raw rows for the rest
//! ([`plan`]); the upserts that keep the cubes, the rebuild, and the bulk seeding of benchmarks.
//! Raw times are epoch ms; months and quarters are Vietnamese local time (UTC+7).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use super::{from_ms, to_ms, SqliteStore};
use crate::stats::aggregate::StatsDelta;
use crate::stats::model::{
    AnswerCount, Dimension, InstanceCounts, RawAnswer, SeedDossier, Source, StatsSlice, StatsStore,
    LOCAL_OFFSET_SECONDS,
};
use crate::stats::plan::{matches_nothing, merge_answer_counts, merge_instance_counts, plan, CubeRead};
use crate::stats::tickets::TicketStatRow;
use crate::store::stats_sql::{self, Dialect, UPSERT_CHUNK};
use crate::store::{Context, StoreError, StoreResult};
use crate::tickets::filter::Scope;
use crate::tickets::model::{Category, Channel};
use crate::tickets::status::TicketStatus;

const MIGRATION: &str = include_str!("../../../migrations/sqlite/0012_stats_aggregates.sql");

/// SQL expression of the group key for `slice` on the table aliased `alias`.
fn group_expr(dimension: Option<Dimension>, source: Source, alias: &str) -> String {
    let local = format!("({alias}.completed_at + {}) / 1000, 'unixepoch'", i64::from(LOCAL_OFFSET_SECONDS) * 1000);
    match dimension {
        None => "NULL".to_owned(),
        Some(Dimension::Month) => format!("strftime('%Y-%m', {local})"),
        Some(Dimension::Year) => format!("strftime('%Y', {local})"),
        Some(Dimension::Quarter) => {
            format!("strftime('%Y', {local}) || '-Q' || ((CAST(strftime('%m', {local}) AS INTEGER) + 2) / 3)")
        }
        Some(other) => format!("{alias}.{}", other.column(source).unwrap_or("NULL")),
    }
}

fn name_expr(dimension: Option<Dimension>, alias: &str) -> String {
    dimension.and_then(Dimension::name_column).map_or_else(|| "NULL".to_owned(), |c| format!("MAX({alias}.{c})"))
}

/// `AND column = ?` for each filter set and `AND agency_code IN (…)` for an agency scope; the
/// values to bind, in order.
fn filters<'a>(slice: &'a StatsSlice, source: Source, alias: &str) -> (String, Vec<&'a str>) {
    let conditions = slice.filter.conditions(source);
    let mut sql: String = conditions.iter().map(|(column, _)| format!(" AND {alias}.{column} = ?")).collect();
    let mut values: Vec<&str> = conditions.into_iter().map(|(_, value)| value).collect();
    if let Some(agencies) = slice.filter.agencies.as_deref().filter(|a| !a.is_empty()) {
        sql.push_str(&format!(" AND {alias}.agency_code IN ({})", vec!["?"; agencies.len()].join(", ")));
        values.extend(agencies.iter().map(String::as_str));
    }
    (sql, values)
}

#[derive(FromRow)]
struct CountRow {
    grp: Option<String>,
    question_code: String,
    value_int: i64,
    n: i64,
}

#[derive(FromRow)]
struct TicketRow {
    code: String,
    branch: i64,
    department_code: String,
    category: String,
    misconduct: bool,
    channel: String,
    status: String,
    received_at: i64,
    due_at: Option<i64>,
    answered_at: Option<i64>,
}

impl TryFrom<TicketRow> for TicketStatRow {
    type Error = StoreError;

    fn try_from(r: TicketRow) -> Result<Self, Self::Error> {
        let invalid =
            |what: &str, value: &str| StoreError::Invalid(format!("ticket {}: unknown {what} {value:?}", r.code));
        Ok(TicketStatRow {
            branch: u8::try_from(r.branch).map_err(|_| invalid("branch", &r.branch.to_string()))?,
            category: Category::parse(&r.category).ok_or_else(|| invalid("category", &r.category))?,
            channel: Channel::parse(&r.channel).ok_or_else(|| invalid("channel", &r.channel))?,
            status: TicketStatus::parse(&r.status).ok_or_else(|| invalid("status", &r.status))?,
            misconduct: r.misconduct,
            received_at: from_ms(r.received_at),
            due_at: r.due_at.map(from_ms),
            answered_at: r.answered_at.map(from_ms),
            department_code: r.department_code,
            code: r.code,
        })
    }
}

impl From<CountRow> for AnswerCount {
    fn from(r: CountRow) -> Self {
        AnswerCount { group: r.grp, question: r.question_code, value: r.value_int, count: r.n }
    }
}

#[derive(FromRow)]
struct InstanceRow {
    grp: Option<String>,
    name: Option<String>,
    sent: i64,
    answered: i64,
}

impl From<InstanceRow> for InstanceCounts {
    fn from(r: InstanceRow) -> Self {
        InstanceCounts { group: r.grp, group_name: r.name, sent: r.sent, answered: r.answered, responses: 0 }
    }
}

#[derive(FromRow)]
struct ResponseRow {
    grp: Option<String>,
    name: Option<String>,
    responses: i64,
}

impl From<ResponseRow> for InstanceCounts {
    fn from(r: ResponseRow) -> Self {
        InstanceCounts { group: r.grp, group_name: r.name, sent: 0, answered: 0, responses: r.responses }
    }
}

#[derive(FromRow)]
struct RawRow {
    instance_id: i64,
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

impl From<RawRow> for RawAnswer {
    fn from(r: RawRow) -> Self {
        RawAnswer {
            instance_id: r.instance_id,
            question_code: r.question_code,
            value_int: r.value_int,
            value_text: r.value_text,
            answered_at: from_ms(r.answered_at),
            channel: r.channel,
            agency_code: r.agency_code,
            agency_name: r.agency_name,
            level: r.level,
            field: r.field,
            procedure_code: r.procedure_code,
            procedure_name: r.procedure_name,
            dossier_channel: r.dossier_channel,
            completed_at: from_ms(r.completed_at),
        }
    }
}

impl SqliteStore {
    async fn raw_answer_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<AnswerCount>> {
        let (extra, values) = filters(slice, Source::Answers, "a");
        let sql = format!(
            "SELECT {} AS grp, a.question_code, a.value_int, COUNT(*) AS n FROM survey_answers a \
             WHERE a.survey_id = ? AND a.completed_at >= ? AND a.completed_at < ? AND a.value_int IS NOT NULL{extra} \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            group_expr(slice.group_by, Source::Answers, "a")
        );
        let mut query =
            sqlx::query_as::<_, CountRow>(&sql).bind(&slice.survey_id).bind(to_ms(slice.from)).bind(to_ms(slice.to));
        for value in values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.reader).await.context("counting survey answers")?;
        Ok(rows.into_iter().map(AnswerCount::from).collect())
    }

    /// Instance rows and response rows of `slice` from the raw tables.
    async fn raw_instance_counts(&self, slice: &StatsSlice) -> StoreResult<(Vec<InstanceCounts>, Vec<InstanceCounts>)> {
        let (extra, values) = filters(slice, Source::Dossiers, "d");
        let sql = format!(
            "SELECT {} AS grp, {} AS name, \
             COUNT(i.sent_at) AS sent, COALESCE(SUM(i.state = 'answered'), 0) AS answered \
             FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code \
             WHERE d.completed_at >= ? AND d.completed_at < ?{extra} GROUP BY 1 ORDER BY 1",
            group_expr(slice.group_by, Source::Dossiers, "d"),
            name_expr(slice.group_by, "d")
        );
        let mut query = sqlx::query_as::<_, InstanceRow>(&sql).bind(to_ms(slice.from)).bind(to_ms(slice.to));
        for value in values {
            query = query.bind(value);
        }
        let instances = query.fetch_all(&self.reader).await.context("counting survey instances")?;

        let (extra, values) = filters(slice, Source::Answers, "a");
        let sql = format!(
            "SELECT {} AS grp, {} AS name, COUNT(DISTINCT a.instance_id) AS responses FROM survey_answers a \
             WHERE a.survey_id = ? AND a.completed_at >= ? AND a.completed_at < ?{extra} GROUP BY 1 ORDER BY 1",
            group_expr(slice.group_by, Source::Answers, "a"),
            name_expr(slice.group_by, "a")
        );
        let mut query =
            sqlx::query_as::<_, ResponseRow>(&sql).bind(&slice.survey_id).bind(to_ms(slice.from)).bind(to_ms(slice.to));
        for value in values {
            query = query.bind(value);
        }
        let responses = query.fetch_all(&self.reader).await.context("counting survey responses")?;
        Ok((
            instances.into_iter().map(InstanceCounts::from).collect(),
            responses.into_iter().map(InstanceCounts::from).collect(),
        ))
    }

    async fn cube_answer_counts(&self, survey_id: &str, read: &CubeRead) -> StoreResult<Vec<AnswerCount>> {
        let query = stats_sql::answer_counts(survey_id, read, Dialect::Sqlite);
        let mut q = sqlx::query_as::<_, CountRow>(&query.sql);
        for bind in &query.binds {
            q = q.bind(bind);
        }
        let rows = q.fetch_all(&self.reader).await.context("reading answer aggregates")?;
        Ok(rows.into_iter().map(AnswerCount::from).collect())
    }

    async fn cube_instance_counts(
        &self,
        survey_id: &str,
        read: &CubeRead,
    ) -> StoreResult<(Vec<InstanceCounts>, Vec<InstanceCounts>)> {
        let query = stats_sql::instance_counts(read, Dialect::Sqlite);
        let mut q = sqlx::query_as::<_, InstanceRow>(&query.sql);
        for bind in &query.binds {
            q = q.bind(bind);
        }
        let instances = q.fetch_all(&self.reader).await.context("reading instance aggregates")?;
        let query = stats_sql::response_counts(survey_id, read, Dialect::Sqlite);
        let mut q = sqlx::query_as::<_, ResponseRow>(&query.sql);
        for bind in &query.binds {
            q = q.bind(bind);
        }
        let responses = q.fetch_all(&self.reader).await.context("reading response aggregates")?;
        Ok((
            instances.into_iter().map(InstanceCounts::from).collect(),
            responses.into_iter().map(InstanceCounts::from).collect(),
        ))
    }
}

/// Adds `delta` to the cubes, inside the caller's transaction.
pub(crate) async fn apply_delta(conn: &mut SqliteConnection, delta: &StatsDelta) -> StoreResult<()> {
    let answers: Vec<_> = delta.answers.iter().collect();
    for chunk in answers.chunks(UPSERT_CHUNK) {
        let sql = stats_sql::upsert_answers(chunk.len(), Dialect::Sqlite);
        let mut query = sqlx::query(&sql);
        for (key, count) in chunk {
            query = query
                .bind(&key.survey_id)
                .bind(key.cell.dimension)
                .bind(&key.cell.key)
                .bind(&key.cell.period)
                .bind(&key.question_code)
                .bind(key.value)
                .bind(**count);
        }
        query.execute(&mut *conn).await.context("updating answer aggregates")?;
    }
    let responses: Vec<_> = delta.responses.iter().collect();
    for chunk in responses.chunks(UPSERT_CHUNK) {
        let sql = stats_sql::upsert_responses(chunk.len(), Dialect::Sqlite);
        let mut query = sqlx::query(&sql);
        for (key, named) in chunk {
            query = query
                .bind(&key.survey_id)
                .bind(key.cell.dimension)
                .bind(&key.cell.key)
                .bind(&key.cell.period)
                .bind(named.delta)
                .bind(&named.name);
        }
        query.execute(&mut *conn).await.context("updating response aggregates")?;
    }
    let instances: Vec<_> = delta.instances.iter().collect();
    for chunk in instances.chunks(UPSERT_CHUNK) {
        let sql = stats_sql::upsert_instances(chunk.len(), Dialect::Sqlite);
        let mut query = sqlx::query(&sql);
        for (cell, named) in chunk {
            query = query
                .bind(cell.dimension)
                .bind(&cell.key)
                .bind(&cell.period)
                .bind(named.delta.instances)
                .bind(named.delta.sent)
                .bind(named.delta.answered)
                .bind(&named.name);
        }
        query.execute(&mut *conn).await.context("updating instance aggregates")?;
    }
    Ok(())
}

#[async_trait]
impl StatsStore for SqliteStore {
    async fn answer_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<AnswerCount>> {
        let plan = plan(slice);
        let mut rows = match &plan.cube {
            Some(read) => self.cube_answer_counts(&slice.survey_id, read).await?,
            None => Vec::new(),
        };
        for part in &plan.raw {
            rows.extend(self.raw_answer_counts(part).await?);
        }
        Ok(merge_answer_counts(rows))
    }

    async fn instance_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<InstanceCounts>> {
        let plan = plan(slice);
        let (mut instances, mut responses) = match &plan.cube {
            Some(read) => self.cube_instance_counts(&slice.survey_id, read).await?,
            None => (Vec::new(), Vec::new()),
        };
        for part in &plan.raw {
            let (more_instances, more_responses) = self.raw_instance_counts(part).await?;
            instances.extend(more_instances);
            responses.extend(more_responses);
        }
        // Names from the dossiers first, as the raw reading always did.
        Ok(merge_instance_counts(instances.into_iter().chain(responses)))
    }

    async fn raw_answers(&self, slice: &StatsSlice, after_instance: i64, limit: u32) -> StoreResult<Vec<RawAnswer>> {
        if matches_nothing(slice) {
            return Ok(Vec::new());
        }
        let (extra, values) = filters(slice, Source::Answers, "a");
        // The instance index yields the keyset order; the period and filters are checked on the way.
        let sql = format!(
            "SELECT {} FROM survey_answers a INDEXED BY survey_answers_instance \
             WHERE a.instance_id > ? AND a.survey_id = ? AND a.completed_at >= ? AND a.completed_at < ?{extra} \
             ORDER BY a.instance_id, a.id LIMIT ?",
            stats_sql::RAW_ANSWER_COLUMNS
        );
        let mut query = sqlx::query_as::<_, RawRow>(&sql)
            .bind(after_instance)
            .bind(&slice.survey_id)
            .bind(to_ms(slice.from))
            .bind(to_ms(slice.to));
        for value in values {
            query = query.bind(value);
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.reader).await.context("reading raw survey answers")?;
        Ok(rows.into_iter().map(RawAnswer::from).collect())
    }

    async fn ticket_rows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: &Scope,
    ) -> StoreResult<Vec<TicketStatRow>> {
        let (condition, value) = match scope {
            Scope::All => ("", None),
            Scope::Department(code) => (" AND department_code = ?3", Some(code.as_str())),
            Scope::MisconductOnly => (" AND misconduct = 1", None),
        };
        let sql = format!(
            "SELECT code, branch, department_code, category, misconduct, channel, status, received_at, due_at, answered_at \
             FROM tickets WHERE received_at >= ?1 AND received_at < ?2{condition} ORDER BY received_at, id"
        );
        let mut query = sqlx::query_as::<_, TicketRow>(&sql).bind(to_ms(from)).bind(to_ms(to));
        if let Some(value) = value {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.reader).await.context("reading tickets for statistics")?;
        rows.into_iter().map(TicketStatRow::try_from).collect()
    }

    async fn rebuild_aggregates(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for table in stats_sql::AGGREGATE_TABLES {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await.context("emptying aggregates")?;
        }
        for statement in stats_sql::backfill(MIGRATION) {
            sqlx::query(statement).execute(&mut *tx).await.context("rebuilding aggregates")?;
        }
        tx.commit().await.context("committing rebuilt aggregates")?;
        Ok(())
    }

    async fn seed_answered(&self, batch: &[SeedDossier]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in batch.chunks(1000) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO survey_dossiers (code, procedure_code, procedure_name, field, agency_code, agency_name, \
                 level, received_at, completed_at, channel, citizen_name, phone, zalo_user_id, created_at, updated_at) ",
            );
            insert.push_values(chunk, |mut row, seed| {
                let d = &seed.dossier;
                row.push_bind(&d.code)
                    .push_bind(&d.procedure_code)
                    .push_bind(&d.procedure_name)
                    .push_bind(&d.field)
                    .push_bind(&d.agency_code)
                    .push_bind(&d.agency_name)
                    .push_bind(d.level.as_str())
                    .push_bind(to_ms(d.received_at))
                    .push_bind(to_ms(d.completed_at))
                    .push_bind(d.channel.as_str())
                    .push_bind(&d.citizen_name)
                    .push_bind(&d.phone)
                    .push_bind(&d.zalo_user_id)
                    .push_bind(to_ms(seed.answered_at))
                    .push_bind(to_ms(seed.answered_at));
            });
            insert.build().execute(&mut *tx).await.context("seeding dossiers")?;

            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO survey_instances (dossier_code, token, state, zalo_user_id, phone, sent_at, expires_at, \
                 answered_at, answer_channel, created_at, updated_at) ",
            );
            insert.push_values(chunk, |mut row, seed| {
                let d = &seed.dossier;
                let at = to_ms(seed.answered_at);
                row.push_bind(&d.code)
                    .push_bind(format!("seed-{}", d.code))
                    .push_bind("answered")
                    .push_bind(&d.zalo_user_id)
                    .push_bind(&d.phone)
                    .push_bind(at)
                    .push_bind(at)
                    .push_bind(at)
                    .push_bind("web")
                    .push_bind(at)
                    .push_bind(at);
            });
            insert.push(" RETURNING id, dossier_code");
            let ids: Vec<(i64, String)> =
                insert.build_query_as().fetch_all(&mut *tx).await.context("seeding survey instances")?;
            let ids: std::collections::HashMap<String, i64> = ids.into_iter().map(|(id, code)| (code, id)).collect();

            let answers: Vec<(i64, &SeedDossier, &(String, i64))> = chunk
                .iter()
                .flat_map(|seed| {
                    let id = ids.get(&seed.dossier.code).copied().unwrap_or_default();
                    seed.answers.iter().map(move |answer| (id, seed, answer))
                })
                .collect();
            for rows in answers.chunks(1500) {
                let mut insert = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO survey_answers (instance_id, dossier_code, survey_id, survey_version, question_code, \
                     value_int, answered_at, channel, agency_code, agency_name, level, field, procedure_code, \
                     procedure_name, dossier_channel, completed_at) ",
                );
                insert.push_values(rows, |mut row, (id, seed, (question, value))| {
                    let d = &seed.dossier;
                    row.push_bind(*id)
                        .push_bind(&d.code)
                        .push_bind(&seed.survey_id)
                        .push_bind(i64::from(seed.survey_version))
                        .push_bind(question)
                        .push_bind(*value)
                        .push_bind(to_ms(seed.answered_at))
                        .push_bind("web")
                        .push_bind(&d.agency_code)
                        .push_bind(&d.agency_name)
                        .push_bind(d.level.as_str())
                        .push_bind(&d.field)
                        .push_bind(&d.procedure_code)
                        .push_bind(&d.procedure_name)
                        .push_bind(d.channel.as_str())
                        .push_bind(to_ms(d.completed_at));
                });
                insert.build().execute(&mut *tx).await.context("seeding survey answers")?;
            }
        }
        tx.commit().await.context("committing seeded answers")?;
        Ok(())
    }
}
