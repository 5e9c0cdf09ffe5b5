-- Officer chats (handoff): a citizen who asked to talk to an officer, the department the chat
-- belongs to, and every message of it (see src/handoff).

-- One row per chat (a conversation session with an officer). At most one open chat per citizen.
CREATE TABLE officer_chats (
    id                    BIGSERIAL   PRIMARY KEY,
    -- The citizen's OA-scoped Zalo user id.
    citizen_id            TEXT        NOT NULL,
    branch                INTEGER     NOT NULL,
    department_code       TEXT        NOT NULL,
    status                TEXT        NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'ended')),
    opened_at             TIMESTAMPTZ NOT NULL,
    -- The first officer who answered.
    assigned_at           TIMESTAMPTZ,
    assigned_user_id      BIGINT,
    assigned_name         TEXT,
    -- Since when the citizen waits for an officer's answer (NULL once answered).
    awaiting_reply_since  TIMESTAMPTZ,
    last_message_at       TIMESTAMPTZ NOT NULL,
    -- An officer ended the chat from the console; the conversation applies it (then `ended`).
    end_requested_at      TIMESTAMPTZ,
    end_requested_by      TEXT,
    ended_at              TIMESTAMPTZ,
    ended_by              TEXT        CHECK (ended_by IN ('citizen', 'officer', 'unfollow', 'replaced')),
    ended_by_user_id      BIGINT,
    ended_by_name         TEXT,
    updated_at            TIMESTAMPTZ NOT NULL,
    CHECK ((status = 'ended') = (ended_at IS NOT NULL))
);
CREATE UNIQUE INDEX officer_chats_open ON officer_chats (citizen_id) WHERE status <> 'ended';
CREATE INDEX officer_chats_department ON officer_chats (department_code, status);
CREATE INDEX officer_chats_ended ON officer_chats (ended_at) WHERE status = 'ended';

-- The chat's messages: the citizen's (text and/or an attachment as described in the event),
-- the officers' (with the key of the `zalo.send` job that delivers it) and system notes.
CREATE TABLE officer_chat_messages (
    id               BIGSERIAL   PRIMARY KEY,
    chat_id          BIGINT      NOT NULL REFERENCES officer_chats (id) ON DELETE CASCADE,
    sender           TEXT        NOT NULL CHECK (sender IN ('citizen', 'officer', 'system')),
    body             TEXT,
    -- The attachment as the event described it (crate::tickets::draft::Evidence).
    attachment       JSONB,
    -- What a system note records (`opened`, `ended`…).
    note             TEXT,
    officer_user_id  BIGINT,
    officer_name     TEXT,
    send_job_key     TEXT,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX officer_chat_messages_chat ON officer_chat_messages (chat_id, id);
