-- API keys of machine clients (see src/auth/api_keys.rs): only a SHA-256 digest of each key
-- and a short prefix that identifies it are stored.
CREATE TABLE api_keys (
    id               BIGSERIAL   PRIMARY KEY,
    name             TEXT        NOT NULL,
    prefix           TEXT        NOT NULL,
    key_hash         TEXT        NOT NULL,
    scopes           JSONB       NOT NULL,
    department_code  TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ
);

CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_prefix ON api_keys (prefix) WHERE revoked_at IS NULL;
