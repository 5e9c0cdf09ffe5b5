//! Statistics on PostgreSQL: answer counts per (group, question, value) and instance counts per
//! group, over `completed_at`; months and quarters are Vietnamese local time (UTC+7).

use async_trait::async_trait;
use sqlx::FromRow;

use super::PgStore;
use crate::stats::model::{
    merge_group_rows, AnswerCount, Dimension, GroupRow, InstanceCounts, Source, StatsSlice, StatsStore,
    LOCAL_OFFSET_SECONDS,
};
use crate::store::{Context, StoreResult};

/// SQL expression of the group key for `slice` on the table aliased `alias`.
fn group_expr(dimension: Option<Dimension>, source: Source, alias: &str) -> String {
    let local = format!("(({alias}.completed_at AT TIME ZONE 'UTC') + interval '{LOCAL_OFFSET_SECONDS} seconds')");
    match dimension {
        None => "NULL::text".to_owned(),
        Some(Dimension::Month) => format!("to_char({local}, 'YYYY-MM')"),
        Some(Dimension::Quarter) => format!("to_char({local}, 'YYYY-\"Q\"Q')"),
        Some(other) => format!("{alias}.{}", other.column(source).unwrap_or("NULL")),
    }
}

fn name_expr(dimension: Option<Dimension>, alias: &str) -> String {
    dimension.and_then(Dimension::name_column).map_or_else(|| "NULL::text".to_owned(), |c| format!("MAX({alias}.{c})"))
}

/// `AND column = $n` for each filter set (numbered from `first`); the values to bind, in order.
fn filters<'a>(slice: &'a StatsSlice, source: Source, alias: &str, first: usize) -> (String, Vec<&'a str>) {
    let conditions = slice.filter.conditions(source);
    let sql = conditions
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!(" AND {alias}.{column} = ${}", first + i))
        .collect();
    (sql, conditions.into_iter().map(|(_, value)| value).collect())
}

#[derive(FromRow)]
struct CountRow {
    grp: Option<String>,
    question_code: String,
    value_int: i64,
    n: i64,
}

#[derive(FromRow)]
struct InstanceRow {
    grp: Option<String>,
    name: Option<String>,
    sent: i64,
    answered: i64,
}

#[derive(FromRow)]
struct ResponseRow {
    grp: Option<String>,
    name: Option<String>,
    responses: i64,
}

#[async_trait]
impl StatsStore for PgStore {
    async fn answer_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<AnswerCount>> {
        let (extra, values) = filters(slice, Source::Answers, "a", 4);
        let sql = format!(
            "SELECT {} AS grp, a.question_code, a.value_int, COUNT(*) AS n FROM survey_answers a \
             WHERE a.survey_id = $1 AND a.completed_at >= $2 AND a.completed_at < $3 AND a.value_int IS NOT NULL{extra} \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            group_expr(slice.group_by, Source::Answers, "a")
        );
        let mut query = sqlx::query_as::<_, CountRow>(&sql).bind(&slice.survey_id).bind(slice.from).bind(slice.to);
        for value in values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await.context("counting survey answers")?;
        Ok(rows
            .into_iter()
            .map(|r| AnswerCount { group: r.grp, question: r.question_code, value: r.value_int, count: r.n })
            .collect())
    }

    async fn instance_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<InstanceCounts>> {
        let (extra, values) = filters(slice, Source::Dossiers, "d", 3);
        let sql = format!(
            "SELECT {} AS grp, {} AS name, \
             COUNT(i.sent_at) AS sent, COUNT(*) FILTER (WHERE i.state = 'answered') AS answered \
             FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code \
             WHERE d.completed_at >= $1 AND d.completed_at < $2{extra} GROUP BY 1 ORDER BY 1",
            group_expr(slice.group_by, Source::Dossiers, "d"),
            name_expr(slice.group_by, "d")
        );
        let mut query = sqlx::query_as::<_, InstanceRow>(&sql).bind(slice.from).bind(slice.to);
        for value in values {
            query = query.bind(value);
        }
        let instances = query.fetch_all(&self.pool).await.context("counting survey instances")?;

        let (extra, values) = filters(slice, Source::Answers, "a", 4);
        let sql = format!(
            "SELECT {} AS grp, {} AS name, COUNT(DISTINCT a.instance_id) AS responses FROM survey_answers a \
             WHERE a.survey_id = $1 AND a.completed_at >= $2 AND a.completed_at < $3{extra} GROUP BY 1 ORDER BY 1",
            group_expr(slice.group_by, Source::Answers, "a"),
            name_expr(slice.group_by, "a")
        );
        let mut query = sqlx::query_as::<_, ResponseRow>(&sql).bind(&slice.survey_id).bind(slice.from).bind(slice.to);
        for value in values {
            query = query.bind(value);
        }
        let responses = query.fetch_all(&self.pool).await.context("counting survey responses")?;
        Ok(merge_group_rows(
            instances
                .into_iter()
                .map(|r| GroupRow { group: r.grp, name: r.name, sent: r.sent, answered: r.answered, responses: 0 })
                .collect(),
            responses
                .into_iter()
                .map(|r| GroupRow { group: r.grp, name: r.name, sent: 0, answered: 0, responses: r.responses })
                .collect(),
        ))
    }
}
