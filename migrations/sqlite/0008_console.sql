-- Officials' web console: user accounts, server-side sessions and the append-only audit log
-- (see src/auth). Times are epoch milliseconds (UTC); JSON is TEXT.

-- Officials who sign in to the console. Usernames are stored lower-case: unique without regard to case.
CREATE TABLE console_users (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    username              TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    display_name          TEXT    NOT NULL,
    role                  TEXT    NOT NULL
                          CHECK (role IN ('admin', 'coordinator', 'officer', 'inspector', 'viewer')),
    -- Department code from the branch catalogue; required for officers.
    department            TEXT,
    -- argon2id, PHC string format.
    password_hash         TEXT    NOT NULL,
    disabled              INTEGER NOT NULL DEFAULT 0,
    -- Set when someone else chose the password (an administrator's reset): changed at next sign-in.
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    failed_window_start   INTEGER,
    locked_until          INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    last_login_at         INTEGER,
    CHECK (role <> 'officer' OR department IS NOT NULL)
);

-- Signed-in browsers. Only the SHA-256 of the session id is kept.
CREATE TABLE console_sessions (
    id_hash       TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    -- Absolute end of the session, whatever the activity.
    expires_at    INTEGER NOT NULL,
    -- One message to show on the next page (JSON), then cleared.
    flash         TEXT
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- Who did what, when, from where. Append-only: the triggers refuse changes and deletions.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    -- The signed-in user, when there was one.
    actor_user_id  INTEGER,
    -- Username of the actor ("cli" for the command line; for a failed sign-in, the name tried).
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    target         TEXT,
    details        TEXT    NOT NULL DEFAULT '{}',
    ip             TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor COLLATE NOCASE, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
