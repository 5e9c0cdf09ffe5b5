-- Dossier files uploaded in the console (see src/surveys/imports.rs): checked and imported by a
-- `surveys.import` job, all rows or none. The file is kept only until the job has finished.
-- Times are epoch milliseconds (UTC).
CREATE TABLE survey_imports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name        TEXT    NOT NULL,
    size_bytes       INTEGER NOT NULL,
    -- The uploaded bytes; NULL once the import has finished.
    content          BLOB,
    status           TEXT    NOT NULL
                     CHECK (status IN ('queued', 'checking', 'importing', 'imported', 'rejected', 'failed')),
    -- Data rows in the file (known once it has been read).
    rows_total       INTEGER,
    rows_checked     INTEGER NOT NULL DEFAULT 0,
    -- Rows stored so far (progress while importing; all of them once imported).
    rows_stored      INTEGER NOT NULL DEFAULT 0,
    created_count    INTEGER NOT NULL DEFAULT 0,
    updated_count    INTEGER NOT NULL DEFAULT 0,
    unchanged_count  INTEGER NOT NULL DEFAULT 0,
    -- Why the file was refused: every problem counted, the first ones kept as a JSON array of
    -- {"line", "column", "message"}.
    problem_count    INTEGER NOT NULL DEFAULT 0,
    problems         TEXT    NOT NULL DEFAULT '[]',
    -- What went wrong when the import failed for a reason other than the file's content.
    error            TEXT,
    uploaded_by      INTEGER,
    uploaded_by_name TEXT    NOT NULL,
    uploaded_from    TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
);

-- The console's survey pages: the agencies of dossiers (filter), and a dossier's survey sends
-- by the dossier code (whether it could be delivered).
CREATE INDEX survey_dossiers_agency ON survey_dossiers (agency_code, agency_name);
CREATE INDEX outbound_messages_reference ON outbound_messages (reference, purpose, status)
    WHERE reference IS NOT NULL;
