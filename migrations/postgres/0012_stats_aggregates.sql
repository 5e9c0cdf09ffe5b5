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
    period          TEXT    COLLATE "C" NOT NULL,
    dim_key         TEXT    COLLATE "C" NOT NULL,
    question_code   TEXT    NOT NULL,
    value_int       BIGINT  NOT NULL,
    answers         BIGINT  NOT NULL,
    PRIMARY KEY (survey_id, dimension, period, dim_key, question_code, value_int)
);

-- Breakdowns by a dimension's values read in this order without sorting.
CREATE INDEX stats_answer_counts_by_key
    ON stats_answer_counts (survey_id, dimension, dim_key, question_code, value_int, period, answers);

-- Responses: survey instances with at least one answer to the survey, counted in the cells of
-- the instance's first answer.
CREATE TABLE stats_response_counts (
    survey_id       TEXT    NOT NULL,
    dimension       TEXT    NOT NULL,
    period          TEXT    COLLATE "C" NOT NULL,
    dim_key         TEXT    COLLATE "C" NOT NULL,
    responses       BIGINT  NOT NULL,
    dim_name        TEXT    NOT NULL,
    PRIMARY KEY (survey_id, dimension, period, dim_key)
);

-- Survey instances (one per dossier, any questionnaire) in the cells of their dossier's current
-- dimensions: all of them, those sent, those answered.
CREATE TABLE stats_instance_counts (
    dimension       TEXT    NOT NULL,
    period          TEXT    COLLATE "C" NOT NULL,
    dim_key         TEXT    COLLATE "C" NOT NULL,
    instances       BIGINT  NOT NULL,
    sent            BIGINT  NOT NULL,
    answered        BIGINT  NOT NULL,
    dim_name        TEXT    NOT NULL,
    PRIMARY KEY (dimension, period, dim_key)
);

-- Slices with two dimensions (e.g. one agency broken down by procedure) and the days of partial
-- months are read from the raw answers: one agency's answers without scanning the others.
CREATE INDEX survey_answers_agency ON survey_answers (survey_id, agency_code, completed_at);

-- Backfill (also run by `tongdai stats rebuild` after emptying the three tables).
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'all', to_char(completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM-DD'), '', question_code,
       value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'agency', to_char(completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), agency_code,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'level', to_char(completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), level,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'field', to_char(completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), field,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'procedure', to_char(completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), procedure_code,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO stats_answer_counts (survey_id, dimension, period, dim_key, question_code, value_int, answers)
SELECT survey_id, 'channel', to_char(completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), dossier_channel,
       question_code, value_int, COUNT(*)
  FROM survey_answers WHERE value_int IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'all', to_char(a.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM-DD'), '', COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'agency', to_char(a.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), a.agency_code,
       COUNT(*), MAX(a.agency_name)
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'level', to_char(a.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), a.level,
       COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'field', to_char(a.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), a.field,
       COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'procedure', to_char(a.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'),
       a.procedure_code, COUNT(*), MAX(a.procedure_name)
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;
INSERT INTO stats_response_counts (survey_id, dimension, period, dim_key, responses, dim_name)
SELECT a.survey_id, 'channel', to_char(a.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'),
       a.dossier_channel, COUNT(*), ''
  FROM survey_answers a WHERE a.id IN (SELECT MIN(id) FROM survey_answers GROUP BY survey_id, instance_id)
 GROUP BY 1, 2, 3, 4;

INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'all', to_char(d.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM-DD'), '', COUNT(*), COUNT(i.sent_at),
       SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'agency', to_char(d.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), d.agency_code, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), MAX(d.agency_name)
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'level', to_char(d.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), d.level, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'field', to_char(d.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), d.field, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'procedure', to_char(d.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), d.procedure_code, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), MAX(d.procedure_name)
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
INSERT INTO stats_instance_counts (dimension, period, dim_key, instances, sent, answered, dim_name)
SELECT 'channel', to_char(d.completed_at AT TIME ZONE 'UTC' + interval '7 hours', 'YYYY-MM'), d.channel, COUNT(*),
       COUNT(i.sent_at), SUM(CASE WHEN i.state = 'answered' THEN 1 ELSE 0 END), ''
  FROM survey_dossiers d JOIN survey_instances i ON i.dossier_code = d.code GROUP BY 1, 2, 3;
