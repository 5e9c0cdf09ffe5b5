-- Statistics (see src/stats): answer counts by survey and completion period, and the dossiers of a
-- period for sent/answered counts.
CREATE INDEX survey_answers_stats ON survey_answers (survey_id, completed_at, question_code, value_int);
CREATE INDEX survey_dossiers_completed ON survey_dossiers (completed_at);
