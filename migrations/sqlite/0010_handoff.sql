-- Officer chats (handoff): a citizen who asked to talk to an officer, the department the chat
-- belongs to, and every message of it (see src/handoff). Times are epoch milliseconds (UTC);
-- JSON is TEXT.

-- One row per chat (a conversation session with an officer). At most one open chat per citizen.
CREATE TABLE officer_chats (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The citizen's OA-scoped Zalo user id.
    citizen_id            TEXT    NOT NULL,
    branch                INTEGER NOT NULL,
    department_code       TEXT    NOT NULL,
    status                TEXT    NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'ended')),
    opened_at             INTEGER NOT NULL,
    -- The first officer who answered.
    assigned_at           INTEGER,
    assigned_user_id      INTEGER,
    assigned_name         TEXT,
    -- Since when the citizen waits for an officer's answer (NULL once answered).
    awaiting_reply_since  INTEGER,
    last_message_at       INTEGER NOT NULL,
    -- An officer ended the chat from the console; the conversation applies it (then `ended`).
    end_requested_at      INTEGER,
    end_requested_by      TEXT,
    ended_at              INTEGER,
    ended_by              TEXT    CHECK (ended_by IN ('citizen', 'officer', 'unfollow', 'replaced')),
    ended_by_user_id      INTEGER,
    ended_by_name         TEXT,
    updated_at            INTEGER NOT NULL,
    CHECK ((status = 'ended') = (ended_at IS NOT NULL))
);
CREATE UNIQUE INDEX officer_chats_open ON officer_chats (citizen_id) WHERE status <> 'ended';
CREATE INDEX officer_chats_department ON officer_chats (department_code, status);
CREATE INDEX officer_chats_ended ON officer_chats (ended_at) WHERE status = 'ended';

-- The chat's messages: the citizen's (text and/or an attachment as described in the event),
-- the officers' (with the key of the `zalo.send` job that delivers it) and system notes.
CREATE TABLE officer_chat_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id          INTEGER NOT NULL REFERENCES officer_chats (id) ON DELETE CASCADE,
    sender           TEXT    NOT NULL CHECK (sender IN ('citizen', 'officer', 'system')),
    body             TEXT,
    -- The attachment as the event described it (crate::tickets::draft::Evidence as JSON).
    attachment       TEXT,
    -- What a system note records (`opened`, `ended`…).
    note             TEXT,
    officer_user_id  INTEGER,
    officer_name     TEXT,
    send_job_key     TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX officer_chat_messages_chat ON officer_chat_messages (chat_id, id);
