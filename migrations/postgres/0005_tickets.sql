-- Complaints and feedback (PAKN): tickets, their history, evidence attachments and console
-- notifications (see src/tickets).
CREATE TABLE tickets (
    id                    BIGSERIAL   PRIMARY KEY,
    code                  TEXT        NOT NULL,
    version               BIGINT      NOT NULL DEFAULT 1,
    branch                INTEGER     NOT NULL,
    department_code       TEXT        NOT NULL,
    category              TEXT        NOT NULL CHECK (category IN ('procedure_feedback', 'official_conduct')),
    misconduct            BOOLEAN     NOT NULL DEFAULT FALSE,
    out_of_scope          TEXT        CHECK (out_of_scope IN ('complaint', 'denunciation')),
    processable           BOOLEAN     NOT NULL,
    content               TEXT        NOT NULL,
    place                 TEXT,
    procedure_name        TEXT,
    citizen_user_id       TEXT,
    citizen_name          TEXT,
    phone                 TEXT,
    consent_decision      TEXT        NOT NULL CHECK (consent_decision IN ('given', 'refused', 'not_asked')),
    consent_text_version  TEXT,
    consent_at            TIMESTAMPTZ,
    channel               TEXT        NOT NULL CHECK (channel IN ('zalo', 'api')),
    status                TEXT        NOT NULL
                          CHECK (status IN ('received', 'classified', 'in_progress', 'forwarded', 'answered', 'closed', 'rejected')),
    rejection_reason      TEXT,
    received_at           TIMESTAMPTZ NOT NULL,
    sla_started_at        TIMESTAMPTZ NOT NULL,
    due_at                TIMESTAMPTZ,
    forward_due_at        TIMESTAMPTZ,
    remind_at             TIMESTAMPTZ,
    reminded_at           TIMESTAMPTZ,
    escalated             BOOLEAN     NOT NULL DEFAULT FALSE,
    escalated_at          TIMESTAMPTZ,
    answered_at           TIMESTAMPTZ,
    closed_at             TIMESTAMPTZ,
    answer_text           TEXT,
    forward_count         INTEGER     NOT NULL DEFAULT 0,
    search_text           TEXT        NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX tickets_code ON tickets (code);
CREATE INDEX tickets_department_status ON tickets (department_code, status, due_at);
CREATE INDEX tickets_status_due ON tickets (status, due_at);
CREATE INDEX tickets_citizen ON tickets (citizen_user_id);
CREATE INDEX tickets_misconduct ON tickets (received_at) WHERE misconduct;
CREATE INDEX tickets_remind ON tickets (remind_at) WHERE reminded_at IS NULL;

CREATE TABLE ticket_events (
    id           BIGSERIAL   PRIMARY KEY,
    ticket_id    BIGINT      NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at           TIMESTAMPTZ NOT NULL,
    actor_kind   TEXT        NOT NULL CHECK (actor_kind IN ('officer', 'system', 'citizen', 'api_key')),
    actor_name   TEXT        NOT NULL,
    action       TEXT        NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    detail       TEXT        NOT NULL,
    reason       TEXT,
    data         JSONB       NOT NULL DEFAULT '{}'
);

CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_attachments (
    id             BIGSERIAL        PRIMARY KEY,
    ticket_id      BIGINT           NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    seq            INTEGER          NOT NULL,
    kind           TEXT             NOT NULL CHECK (kind IN ('image', 'file', 'video', 'audio', 'link', 'location')),
    url            TEXT,
    name           TEXT,
    declared_size  BIGINT,
    msg_id         TEXT,
    latitude       DOUBLE PRECISION,
    longitude      DOUBLE PRECISION,
    state          TEXT             NOT NULL CHECK (state IN ('pending', 'fetched', 'failed', 'recorded')),
    content_type   TEXT,
    size_bytes     BIGINT,
    sha256         TEXT,
    local_path     TEXT,
    error          TEXT,
    created_at     TIMESTAMPTZ      NOT NULL,
    fetched_at     TIMESTAMPTZ,
    UNIQUE (ticket_id, seq)
);

CREATE TABLE ticket_notifications (
    id               BIGSERIAL   PRIMARY KEY,
    ticket_id        BIGINT      REFERENCES tickets (id) ON DELETE CASCADE,
    ticket_code      TEXT        NOT NULL,
    recipient_kind   TEXT        NOT NULL CHECK (recipient_kind IN ('department', 'inspection_team')),
    department_code  TEXT,
    kind             TEXT        NOT NULL,
    message          TEXT        NOT NULL,
    dedupe_key       TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    read_at          TIMESTAMPTZ
);

CREATE UNIQUE INDEX ticket_notifications_dedupe ON ticket_notifications (dedupe_key);
CREATE INDEX ticket_notifications_recipient ON ticket_notifications (recipient_kind, department_code, created_at);
