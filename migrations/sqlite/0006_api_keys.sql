-- API keys of machine clients (see src/auth/api_keys.rs): only a SHA-256 digest of each key
-- and a short prefix that identifies it are stored. Times are epoch milliseconds (UTC).
CREATE TABLE api_keys (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL,
    prefix           TEXT    NOT NULL,
    key_hash         TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    department_code  TEXT,
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER
);

CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_prefix ON api_keys (prefix) WHERE revoked_at IS NULL;
