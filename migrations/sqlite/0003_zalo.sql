-- Zalo OA sending side: encrypted tokens with the refresh lease, pending OAuth authorisations,
-- citizens' contact facts, the record of every outbound attempt, and messages held for later.
-- Times are milliseconds since the Unix epoch (UTC); JSON is TEXT.

-- The OA's token pair (one row, id = 1, created here). Tokens are sealed by crate::zalo::crypto.
-- refresh_holder/refresh_lease_until: the single-flight lease of a token refresh, claimed with one
-- conditional UPDATE; failure_*: the last refused refresh (cleared by the next saved pair).
CREATE TABLE zalo_auth (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    access_token_sealed  TEXT,
    refresh_token_sealed TEXT,
    access_expires_at    INTEGER,
    token_version        INTEGER NOT NULL DEFAULT 0,
    token_source         TEXT,
    tokens_updated_at    INTEGER,
    refresh_holder       TEXT,
    refresh_lease_until  INTEGER,
    last_refresh_at      INTEGER,
    failure_at           INTEGER,
    failure_code         INTEGER,
    failure_message      TEXT
);
INSERT INTO zalo_auth (id) VALUES (1);

-- PKCE verifiers of OAuth authorisations in progress (sealed), keyed by their `state`.
CREATE TABLE zalo_oauth_pending (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    state            TEXT    NOT NULL UNIQUE,
    verifier_sealed  TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);

-- What the service knows about a citizen on Zalo (personal data: name and phone).
CREATE TABLE citizens (
    zalo_user_id         TEXT    PRIMARY KEY,
    display_name         TEXT,
    phone                TEXT,
    is_follower          INTEGER NOT NULL DEFAULT 0,
    follower_changed_at  INTEGER,
    last_interaction_at  INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

-- Every attempt to send something to a citizen, and its result.
CREATE TABLE outbound_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id           INTEGER,
    part             INTEGER NOT NULL DEFAULT 0,
    user_id          TEXT,
    phone_masked     TEXT,
    channel          TEXT    NOT NULL CHECK (channel IN ('cs', 'zbs', 'zns', 'none')),
    purpose          TEXT    NOT NULL,
    reference        TEXT,
    zalo_message_id  TEXT,
    tracking_id      TEXT,
    status           TEXT    NOT NULL CHECK (status IN ('sent', 'failed', 'undeliverable', 'held')),
    error_code       INTEGER,
    error_message    TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX outbound_messages_job ON outbound_messages (job_id);
CREATE INDEX outbound_messages_zalo_message_id ON outbound_messages (zalo_message_id) WHERE zalo_message_id IS NOT NULL;
CREATE INDEX outbound_messages_tracking_id ON outbound_messages (tracking_id) WHERE tracking_id IS NOT NULL;

-- Messages that could not be delivered and wait for the citizen's next message.
CREATE TABLE zalo_held_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          TEXT    NOT NULL,
    source_job_id    INTEGER,
    payload          TEXT    NOT NULL,
    max_attempts     INTEGER NOT NULL,
    held_at          INTEGER NOT NULL,
    released_at      INTEGER,
    released_job_id  INTEGER
);
CREATE UNIQUE INDEX zalo_held_messages_source_job ON zalo_held_messages (source_job_id) WHERE source_job_id IS NOT NULL;
CREATE INDEX zalo_held_messages_waiting ON zalo_held_messages (user_id, id) WHERE released_at IS NULL;
