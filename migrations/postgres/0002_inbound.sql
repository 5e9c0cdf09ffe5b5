-- Webhook intake and conversations (see src/inbound).

-- Every accepted webhook event, with its exact body, before it is acknowledged.
CREATE TABLE inbound_events (
    id            BIGSERIAL   PRIMARY KEY,
    event_key     TEXT        NOT NULL UNIQUE,
    event_name    TEXT        NOT NULL,
    -- The citizen (OA-scoped Zalo user id) the event concerns; '_oa' for OA-level events.
    citizen_id    TEXT        NOT NULL,
    raw_body      BYTEA       NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    num_retry     INTEGER     NOT NULL DEFAULT 0,
    state         TEXT        NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'processed', 'ignored', 'failed')),
    attempts      INTEGER     NOT NULL DEFAULT 0,
    last_error    TEXT,
    processed_at  TIMESTAMPTZ
);
CREATE INDEX inbound_events_pending ON inbound_events (citizen_id, id) WHERE state = 'pending';
CREATE INDEX inbound_events_received ON inbound_events (received_at);

-- Signed bodies that could not be parsed: kept for inspection, never processed.
CREATE TABLE rejected_webhooks (
    id            BIGSERIAL   PRIMARY KEY,
    received_at   TIMESTAMPTZ NOT NULL,
    reason        TEXT        NOT NULL,
    raw_body      BYTEA       NOT NULL
);

-- One row per citizen: the conversation state and the per-citizen processing lease.
CREATE TABLE conversations (
    citizen_id    TEXT        PRIMARY KEY,
    state         JSONB,
    version       BIGINT      NOT NULL DEFAULT 0,
    pending       INTEGER     NOT NULL DEFAULT 0,
    locked_by     TEXT,
    locked_until  TIMESTAMPTZ,
    retry_at      TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_pending ON conversations (retry_at, updated_at) WHERE pending > 0;
