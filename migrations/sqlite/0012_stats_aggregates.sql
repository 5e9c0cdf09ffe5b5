-- Maintained statistics aggregates (see src/stats/aggregate.rs and plan.rs): counts kept up to
-- date in the transaction of every survey write, so a report reads a few thousand rows instead of
-- every answer. Two kinds of cube:
--   dimension 'all'                      the whole province, period = local day 'YYYY-MM-DD', dim_key '';
--   'agency', 'level', 'field',          one dimension, dim_key = its value (agency code, level,
--   'procedure', 'channel'               field, procedure code, dossier channel), period = local month 'YYYY-MM'.
-- Local time is UTC+7; periods are those of the dossier's completion time. dim_name is the
-- agency's or procedure's name ('' for the other dimensions).

-- Integer answers per survey, cell, question and value.
CREATE TABLE stats_answer_counts (
    survey_id       TEXT    NOT NULL,
    dimension       TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    dim_key         TEXT    NOT NULL,
    question_code   TEXT    NOT NULL,
    value_int       INTEGER NOT NULL,
    answers         INTEGER NOT NULL,
    PRIMARY KEY (survey_id, dimension, period, dim_key, question_code, value_int)
) WITHOUT ROWID;

-- Breakdowns by a dimension's values read in this order without sorting.
CREATE INDEX stats_answer_counts_by_key
    ON stats_answer_counts (survey_id, dimension, dim_key, question_code, value_int, period, answers);

-- Responses: survey instances with at least one answer to the survey, counted in the cells of
-- the instance's first answer.
CREATE TABLE stats_response_counts (
    survey_id       TEXT    NOT NULL,
    dimension       TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    dim_key         TEXT    NOT NULL,
    responses       INTEGER NOT NULL,
    dim_name        TEXT    NOT NULL,
    PRIMARY KEY (survey_id, dimension, period, dim_key)
) WITHOUT ROWID;

-- Survey instances (one per dossier, any questionnaire) in the cells of their dossier's current
-- dimensions: all of them, those sent, those answered.
CREATE TABLE stats_instance_counts (
    dimension       TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    dim_key         TEXT    NOT NULL,
    instances       INTEGER NOT NULL,
    sent            INTEGER NOT NULL,
    answered        INTEGER NOT NULL,
    dim_name        TEXT    NOT NULL,
    PRIMARY KEY (dimension, period, dim_key)
) WITHOUT ROWID;

-- Slices with two dimensions (e.g. one agency broken down by procedure) and the days of partial
-- months are read from the raw answers: one agency's answers without scanning the others.
CREATE INDEX survey_answers_agency ON survey_answers (survey_id, agency_code, completed_at);

-- Backfill (also run by `tongdai stats rebuild` after emptying the three tables).
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'all', strftime('%Y-%m-%d', (completed_at + 25200000) / 1000, 'unixepoch'), '', question_code,
       value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'agency', strftime('%Y-%m', (completed_at + 25200000) / 1000, 'unixepoch'), agency_code,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'level', strftime('%Y-%m', (completed_at + 25200000) / 1000, 'unixepoch'), level,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'field', strftime('%Y-%m', (completed_at + 25200000) / 1000, 'unixepoch'), field,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'procedure', strftime('%Y-%m', (completed_at + 25200000) / 1000, 'unixepoch'), procedure_code,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'channel', strftime('%Y-%m', (completed_at + 25200000) / 1000, 'unixepoch'), dossier_channel,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'all', strftime('%Y-%m-%d', (a.completed_at + 25200000) / 1000, 'unixepoch'), '', COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'agency', strftime('%Y-%m', (a.completed_at + 25200000) / 1000, 'unixepoch'), a.agency_code,
       COUNT(*), MAX(a.agency_name)
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'level', strftime('%Y-%m', (a.completed_at + 25200000) / 1000, 'unixepoch'), a.level,
       COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'field', strftime('%Y-%m', (a.completed_at + 25200000) / 1000, 'unixepoch'), a.field,
       COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'procedure', strftime('%Y-%m', (a.completed_at + 25200000) / 1000, 'unixepoch'),
       a.procedure_code, COUNT(*), MAX(a.procedure_name)
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'channel', strftime('%Y-%m', (a.completed_at + 25200000) / 1000, 'unixepoch'),
       a.dossier_channel, COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;

INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'all', strftime('%Y-%m-%d', (d.completed_at + 25200000) / 1000, 'unixepoch'), '', COUNT(*), COUNT(i.sent_at),
       SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'agency', strftime('%Y-%m', (d.completed_at + 25200000) / 1000, 'unixepoch'), d.agency_code, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), MAX(d.agency_name)
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'level', strftime('%Y-%m', (d.completed_at + 25200000) / 1000, 'unixepoch'), d.level, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'field', strftime('%Y-%m', (d.completed_at + 25200000) / 1000, 'unixepoch'), d.field, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'procedure', strftime('%Y-%m', (d.completed_at + 25200000) / 1000, 'unixepoch'), d.procedure_code, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), MAX(d.procedure_name)
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'channel', strftime('%Y-%m', (d.completed_at + 25200000) / 1000, 'unixepoch'), d.channel, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
