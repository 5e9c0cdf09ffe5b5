//! SQL text of the statistics cubes, shared by both backends (the statements are the same but for
//! placeholders): reads of `stats_answer_counts`, `stats_response_counts` and
//! `stats_instance_counts`, the multi-row upserts that apply a [`StatsDelta`], and the columns of
//! the raw-data export.
//!
//! [`StatsDelta`]: crate::stats::aggregate::StatsDelta

use crate::stats::plan::{CubeGroup, CubeRead};

/// Placeholder style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The `n`th (1-based) placeholder.
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}"),
        }
    }
}

/// The columns a raw-data export reads from `survey_answers` (aliased `a`): no dossier code.
pub(crate) const RAW_ANSWER_COLUMNS: &str =
    "a.instance_id, a.question_code, a.value_int, a.value_text, a.answered_at, \
     a.channel, a.agency_code, a.agency_name, a.level, a.field, a.procedure_code, a.procedure_name, a.dossier_channel, \
     a.completed_at";

/// Rows per multi-row upsert (SQLite allows 32,766 bound values per statement).
pub(crate) const UPSERT_CHUNK: usize = 400;

/// The group's display name: only when grouping by the cube's own dimension.
fn name_expr(group: CubeGroup) -> &'static str {
    match group {
        CubeGroup::Key => "MAX(dim_name)",
        CubeGroup::None | CubeGroup::Month | CubeGroup::Quarter | CubeGroup::Year => "CAST(NULL AS TEXT)",
    }
}

fn group_expr(group: CubeGroup) -> &'static str {
    match group {
        CubeGroup::None => "CAST(NULL AS TEXT)",
        CubeGroup::Key => "dim_key",
        CubeGroup::Month => "substr(period, 1, 7)",
        CubeGroup::Quarter => {
            "substr(period, 1, 4) || '-Q' || CAST((CAST(substr(period, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)"
        }
        CubeGroup::Year => "substr(period, 1, 4)",
    }
}

/// A cube query's SQL and its text parameters, in order.
pub(crate) struct CubeQuery {
    pub sql: String,
    pub binds: Vec<String>,
}

/// `WHERE` conditions of a cube read (after `first_binds`, e.g. the survey id).
fn conditions(read: &CubeRead, dialect: Dialect, mut binds: Vec<String>) -> (String, Vec<String>) {
    binds.push(read.dimension.to_owned());
    let mut sql = format!("dimension = {}", dialect.placeholder(binds.len()));
    binds.push(read.from_period.clone());
    sql.push_str(&format!(" AND period >= {}", dialect.placeholder(binds.len())));
    binds.push(read.to_period.clone());
    sql.push_str(&format!(" AND period < {}", dialect.placeholder(binds.len())));
    if !read.keys.is_empty() {
        let mut list = Vec::new();
        for key in &read.keys {
            binds.push(key.clone());
            list.push(dialect.placeholder(binds.len()));
        }
        sql.push_str(&format!(" AND dim_key IN ({})", list.join(", ")));
    }
    (sql, binds)
}

/// Answers per (group, question, value): columns `grp`, `question_code`, `value_int`, `n`.
pub(crate) fn answer_counts(survey_id: &str, read: &CubeRead, dialect: Dialect) -> CubeQuery {
    let (conditions, binds) = conditions(read, dialect, vec![survey_id.to_owned()]);
    let sql = format!(
        "SELECT {} AS grp, question_code, value_int, CAST(SUM(answers) AS BIGINT) AS n FROM stats_answer_counts \
         WHERE survey_id = {} AND {conditions} GROUP BY 1, 2, 3 HAVING SUM(answers) <> 0 ORDER BY 1, 2, 3",
        group_expr(read.group),
        dialect.placeholder(1)
    );
    CubeQuery { sql, binds }
}

/// Responses per group: columns `grp`, `name`, `responses`.
pub(crate) fn response_counts(survey_id: &str, read: &CubeRead, dialect: Dialect) -> CubeQuery {
    let (conditions, binds) = conditions(read, dialect, vec![survey_id.to_owned()]);
    let sql = format!(
        "SELECT {} AS grp, {} AS name, CAST(SUM(responses) AS BIGINT) AS responses \
         FROM stats_response_counts WHERE survey_id = {} AND {conditions} \
         GROUP BY 1 HAVING SUM(responses) <> 0 ORDER BY 1",
        group_expr(read.group),
        name_expr(read.group),
        dialect.placeholder(1)
    );
    CubeQuery { sql, binds }
}

/// Instances per group: columns `grp`, `name`, `sent`, `answered` (groups with instances only).
pub(crate) fn instance_counts(read: &CubeRead, dialect: Dialect) -> CubeQuery {
    let (conditions, binds) = conditions(read, dialect, Vec::new());
    let sql = format!(
        "SELECT {} AS grp, {} AS name, CAST(SUM(sent) AS BIGINT) AS sent, \
         CAST(SUM(answered) AS BIGINT) AS answered FROM stats_instance_counts WHERE {conditions} \
         GROUP BY 1 HAVING SUM(instances) > 0 ORDER BY 1",
        group_expr(read.group),
        name_expr(read.group)
    );
    CubeQuery { sql, binds }
}

/// `(?1, ?2, …), (…)` for `rows` rows of `columns` values.
fn values(rows: usize, columns: usize, dialect: Dialect) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=columns).map(|c| dialect.placeholder(row * columns + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name stays when the incoming one is empty.
const KEEP_NAME: &str = "CASE WHEN excluded.dim_name = '' THEN {table}.dim_name ELSE excluded.dim_name END";

fn keep_name(table: &str) -> String {
    KEEP_NAME.replace("{table}", table)
}

/// Upsert of `rows` answer cells: survey_id, dimension, dim_key, period, question_code, value_int, answers.
pub(crate) fn upsert_answers(rows: usize, dialect: Dialect) -> String {
    format!(
        "INSERT INTO stats_answer_counts (survey_id, dimension, dim_key, period, question_code, value_int, answers) \
         VALUES {} ON CONFLICT (survey_id, dimension, period, dim_key, question_code, value_int) \
         DO UPDATE SET answers = stats_answer_counts.answers + excluded.answers",
        values(rows, 7, dialect)
    )
}

/// Upsert of `rows` response cells: survey_id, dimension, dim_key, period, responses, dim_name.
pub(crate) fn upsert_responses(rows: usize, dialect: Dialect) -> String {
    format!(
        "INSERT INTO stats_response_counts (survey_id, dimension, dim_key, period, responses, dim_name) \
         VALUES {} ON CONFLICT (survey_id, dimension, period, dim_key) \
         DO UPDATE SET responses = stats_response_counts.responses + excluded.responses, dim_name = {}",
        values(rows, 6, dialect),
        keep_name("stats_response_counts")
    )
}

/// Upsert of `rows` instance cells: dimension, dim_key, period, instances, sent, answered, dim_name.
pub(crate) fn upsert_instances(rows: usize, dialect: Dialect) -> String {
    format!(
        "INSERT INTO stats_instance_counts (dimension, dim_key, period, instances, sent, answered, dim_name) \
         VALUES {} ON CONFLICT (dimension, period, dim_key) \
         DO UPDATE SET instances = stats_instance_counts.instances + excluded.instances, \
         sent = stats_instance_counts.sent + excluded.sent, \
         answered = stats_instance_counts.answered + excluded.answered, dim_name = {}",
        values(rows, 7, dialect),
        keep_name("stats_instance_counts")
    )
}

/// The aggregate tables, emptied before a rebuild.
pub(crate) const AGGREGATE_TABLES: [&str; 3] =
    ["stats_answer_counts", "stats_response_counts", "stats_instance_counts"];

/// The backfill statements of a migration file (everything after the `-- Backfill` line), one by one.
pub(crate) fn backfill(migration: &str) -> Vec<&str> {
    let rest = migration.split_once("-- Backfill").map_or("", |(_, rest)| rest);
    let rest = rest.split_once('\n').map_or("", |(_, statements)| statements);
    rest.split(';')
        .map(str::trim)
        .filter(|statement| statement.lines().any(|line| !line.trim().is_empty() && !line.trim().starts_with("--")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_values_follow_the_dialect() {
        assert_eq!(values(2, 2, Dialect::Sqlite), "(?1, ?2), (?3, ?4)");
        assert_eq!(values(1, 3, Dialect::Postgres), "($1, $2, $3)");
        let read = CubeRead {
            dimension: "agency",
            from_period: "2026-01".into(),
            to_period: "2026-03".into(),
            keys: vec!["H27.01".into()],
            group: CubeGroup::Month,
        };
        let query = answer_counts("s", &read, Dialect::Postgres);
        assert!(query.sql.contains("dim_key IN ($5)"), "{}", query.sql);
        assert_eq!(query.binds, ["s", "agency", "2026-01", "2026-03", "H27.01"]);
        assert!(instance_counts(&read, Dialect::Sqlite).sql.contains("dimension = ?1"));
    }

    #[test]
    fn both_migrations_carry_a_backfill() {
        for migration in [
            include_str!("../../migrations/sqlite/0012_stats_aggregates.sql"),
            include_str!("../../migrations/postgres/0012_stats_aggregates.sql"),
        ] {
            let statements = backfill(migration);
            assert_eq!(statements.len(), 18);
            assert!(statements.iter().all(|s| s.starts_with("INSERT INTO stats_")), "{statements:?}");
            for table in AGGREGATE_TABLES {
                let count = statements.iter().filter(|s| s.contains(&format!("INSERT INTO {table}"))).count();
                assert_eq!(count, 6, "{table}");
            }
        }
    }
}
