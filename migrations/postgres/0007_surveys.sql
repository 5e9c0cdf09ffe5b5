-- Satisfaction surveys (see src/surveys).

-- Completed procedure dossiers pushed by the one-stop system or imported from CSV.
CREATE TABLE survey_dossiers (
    code            TEXT    PRIMARY KEY,
    procedure_code  TEXT    NOT NULL,
    procedure_name  TEXT    NOT NULL,
    field           TEXT    NOT NULL,
    agency_code     TEXT    NOT NULL,
    agency_name     TEXT    NOT NULL,
    level           TEXT    NOT NULL CHECK (level IN ('tinh', 'huyen', 'xa')),
    received_at     TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ NOT NULL,
    channel         TEXT    NOT NULL CHECK (channel IN ('truc_tiep', 'truc_tuyen')),
    citizen_name    TEXT,
    -- Normalised 84… mobile number.
    phone           TEXT,
    zalo_user_id    TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- Exactly one survey per dossier.
CREATE TABLE survey_instances (
    id              BIGSERIAL   PRIMARY KEY,
    dossier_code    TEXT    NOT NULL UNIQUE REFERENCES survey_dossiers (code),
    -- Public random reference (chat payloads, signed links, ZNS tracking_id).
    token           TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL
                    CHECK (state IN ('scheduled', 'skipped', 'sent', 'answering', 'answered', 'expired')),
    skip_reason     TEXT    CHECK (skip_reason IN ('not_sampled', 'no_contact', 'opted_out', 'frequency_cap', 'too_old')),
    zalo_user_id    TEXT,
    phone           TEXT,
    due_at          TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    reminder_at     TIMESTAMPTZ,
    reminded_at     TIMESTAMPTZ,
    expires_at      TIMESTAMPTZ,
    chat_step       TEXT,
    answered_at     TIMESTAMPTZ,
    answer_channel  TEXT    CHECK (answer_channel IN ('chat', 'web', 'zns')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX survey_instances_due ON survey_instances (due_at, id) WHERE state = 'scheduled';
CREATE INDEX survey_instances_reminder ON survey_instances (reminder_at)
    WHERE state = 'sent' AND reminded_at IS NULL AND reminder_at IS NOT NULL;
CREATE INDEX survey_instances_open ON survey_instances (expires_at) WHERE state IN ('sent', 'answering');
CREATE INDEX survey_instances_user ON survey_instances (zalo_user_id, sent_at) WHERE zalo_user_id IS NOT NULL;
CREATE INDEX survey_instances_phone ON survey_instances (phone, sent_at) WHERE phone IS NOT NULL;

-- Raw answers, with the dossier's dimensions copied in so statistics need no joins.
CREATE TABLE survey_answers (
    id              BIGSERIAL   PRIMARY KEY,
    instance_id     BIGINT  NOT NULL REFERENCES survey_instances (id),
    dossier_code    TEXT    NOT NULL,
    survey_id       TEXT    NOT NULL,
    survey_version  INTEGER NOT NULL,
    question_code   TEXT    NOT NULL,
    value_int       BIGINT,
    value_text      TEXT,
    answered_at     TIMESTAMPTZ NOT NULL,
    channel         TEXT    NOT NULL CHECK (channel IN ('chat', 'web', 'zns')),
    agency_code     TEXT    NOT NULL,
    agency_name     TEXT    NOT NULL,
    level           TEXT    NOT NULL,
    field           TEXT    NOT NULL,
    procedure_code  TEXT    NOT NULL,
    procedure_name  TEXT    NOT NULL,
    dossier_channel TEXT    NOT NULL,
    completed_at    TIMESTAMPTZ NOT NULL,
    CHECK ((value_int IS NULL) <> (value_text IS NULL)),
    -- One answer per question per dossier: a dossier is answered by one submission.
    UNIQUE (dossier_code, question_code)
);
CREATE INDEX survey_answers_instance ON survey_answers (instance_id);
CREATE INDEX survey_answers_survey ON survey_answers (survey_id, answered_at);

-- Citizens who asked not to be surveyed, by Zalo user id or phone.
CREATE TABLE survey_opt_outs (
    kind            TEXT    NOT NULL CHECK (kind IN ('zalo_user_id', 'phone')),
    value           TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, value)
);

-- Ratings (user_feedback) whose tracking id matched no survey instance: kept, not processed.
CREATE TABLE survey_unmatched_feedback (
    id              BIGSERIAL   PRIMARY KEY,
    tracking_id     TEXT,
    msg_id          TEXT,
    rate            BIGINT,
    note            TEXT,
    received_at     TIMESTAMPTZ NOT NULL
);
