-- Officials' web console: user accounts, server-side sessions and the append-only audit log
-- (see src/auth).

-- Officials who sign in to the console. Usernames are stored lower-case: unique without regard to case.
CREATE TABLE console_users (
    id                    BIGSERIAL   PRIMARY KEY,
    username              TEXT        NOT NULL,
    display_name          TEXT        NOT NULL,
    role                  TEXT        NOT NULL
                          CHECK (role IN ('admin', 'coordinator', 'officer', 'inspector', 'viewer')),
    -- Department code from the branch catalogue; required for officers.
    department            TEXT,
    -- argon2id, PHC string format.
    password_hash         TEXT        NOT NULL,
    disabled              BOOLEAN     NOT NULL DEFAULT FALSE,
    -- Set when someone else chose the password (an administrator's reset): changed at next sign-in.
    must_change_password  BOOLEAN     NOT NULL DEFAULT FALSE,
    failed_logins         INTEGER     NOT NULL DEFAULT 0,
    failed_window_start   TIMESTAMPTZ,
    locked_until          TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    last_login_at         TIMESTAMPTZ,
    CHECK (role <> 'officer' OR department IS NOT NULL)
);
CREATE UNIQUE INDEX console_users_username ON console_users (lower(username));

-- Signed-in browsers. Only the SHA-256 of the session id is kept.
CREATE TABLE console_sessions (
    id_hash       TEXT        PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token    TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    -- Absolute end of the session, whatever the activity.
    expires_at    TIMESTAMPTZ NOT NULL,
    -- One message to show on the next page, then cleared.
    flash         JSONB
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- Who did what, when, from where. Append-only: the trigger refuses changes and deletions.
CREATE TABLE audit_log (
    id             BIGSERIAL   PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    -- The signed-in user, when there was one.
    actor_user_id  BIGINT,
    -- Username of the actor ("cli" for the command line; for a failed sign-in, the name tried).
    actor          TEXT        NOT NULL,
    action         TEXT        NOT NULL,
    target         TEXT,
    details        JSONB       NOT NULL DEFAULT '{}',
    ip             TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (lower(actor), at);
CREATE INDEX audit_log_action ON audit_log (action, at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
