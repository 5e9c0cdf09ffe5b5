-- Complaints and feedback (PAKN): tickets, their history, evidence attachments and console
-- notifications (see src/tickets). Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE tickets (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    code                  TEXT    NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1,
    branch                INTEGER NOT NULL,
    department_code       TEXT    NOT NULL,
    category              TEXT    NOT NULL CHECK (category IN ('procedure_feedback', 'official_conduct')),
    misconduct            INTEGER NOT NULL DEFAULT 0,
    out_of_scope          TEXT    CHECK (out_of_scope IN ('complaint', 'denunciation')),
    processable           INTEGER NOT NULL,
    content               TEXT    NOT NULL,
    place                 TEXT,
    procedure_name        TEXT,
    citizen_user_id       TEXT,
    citizen_name          TEXT,
    phone                 TEXT,
    consent_decision      TEXT    NOT NULL CHECK (consent_decision IN ('given', 'refused', 'not_asked')),
    consent_text_version  TEXT,
    consent_at            INTEGER,
    channel               TEXT    NOT NULL CHECK (channel IN ('zalo', 'api')),
    status                TEXT    NOT NULL
                          CHECK (status IN ('received', 'classified', 'in_progress', 'forwarded', 'answered', 'closed', 'rejected')),
    rejection_reason      TEXT,
    received_at           INTEGER NOT NULL,
    sla_started_at        INTEGER NOT NULL,
    due_at                INTEGER,
    forward_due_at        INTEGER,
    remind_at             INTEGER,
    reminded_at           INTEGER,
    escalated             INTEGER NOT NULL DEFAULT 0,
    escalated_at          INTEGER,
    answered_at           INTEGER,
    closed_at             INTEGER,
    answer_text           TEXT,
    forward_count         INTEGER NOT NULL DEFAULT 0,
    search_text           TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE UNIQUE INDEX tickets_code ON tickets (code);
CREATE INDEX tickets_department_status ON tickets (department_code, status, due_at);
CREATE INDEX tickets_status_due ON tickets (status, due_at);
CREATE INDEX tickets_citizen ON tickets (citizen_user_id);
CREATE INDEX tickets_misconduct ON tickets (received_at) WHERE misconduct = 1;
CREATE INDEX tickets_remind ON tickets (remind_at) WHERE reminded_at IS NULL;

CREATE TABLE ticket_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    actor_kind   TEXT    NOT NULL CHECK (actor_kind IN ('officer', 'system', 'citizen', 'api_key')),
    actor_name   TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    detail       TEXT    NOT NULL,
    reason       TEXT,
    data         TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_attachments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id      INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('image', 'file', 'video', 'audio', 'link', 'location')),
    url            TEXT,
    name           TEXT,
    declared_size  INTEGER,
    msg_id         TEXT,
    latitude       REAL,
    longitude      REAL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'fetched', 'failed', 'recorded')),
    content_type   TEXT,
    size_bytes     INTEGER,
    sha256         TEXT,
    local_path     TEXT,
    error          TEXT,
    created_at     INTEGER NOT NULL,
    fetched_at     INTEGER,
    UNIQUE (ticket_id, seq)
);

CREATE TABLE ticket_notifications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id        INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
    ticket_code      TEXT    NOT NULL,
    recipient_kind   TEXT    NOT NULL CHECK (recipient_kind IN ('department', 'inspection_team')),
    department_code  TEXT,
    kind             TEXT    NOT NULL,
    message          TEXT    NOT NULL,
    dedupe_key       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    read_at          INTEGER
);

CREATE UNIQUE INDEX ticket_notifications_dedupe ON ticket_notifications (dedupe_key);
CREATE INDEX ticket_notifications_recipient ON ticket_notifications (recipient_kind, department_code, created_at);
