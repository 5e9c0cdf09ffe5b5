//! A complaint being collected in the chat, before it becomes a ticket: the contract between the
//! conversation (which fills it step by step) and case management (which files it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Evidence the citizen attached: a photo, a file, a place, …
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A photo or GIF; `url` is Zalo's link (it expires: the service downloads it when filing).
    Image {
        url: String,
        msg_id: Option<String>,
    },
    File {
        url: String,
        name: Option<String>,
        size: Option<u64>,
        msg_id: Option<String>,
    },
    Video {
        url: String,
        msg_id: Option<String>,
    },
    Audio {
        url: String,
        msg_id: Option<String>,
    },
    Link {
        url: String,
        msg_id: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        msg_id: Option<String>,
    },
}

/// The citizen's answer to the personal-data consent question (Decree 13/2023, Law 91/2025).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Consent {
    NotAsked,
    /// Consent given to the text with this version, at this time.
    Given {
        text_version: String,
        at: DateTime<Utc>,
    },
    /// Refused: the feedback is still recorded, but not formally processable.
    Refused {
        text_version: String,
        at: DateTime<Utc>,
    },
}

/// A complaint or feedback as collected so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintDraft {
    /// Branch number (1–8) the complaint is for.
    pub branch: u8,
    /// The citizen's messages describing the problem, in order.
    pub content: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Place, agency or office concerned (optional).
    pub place: Option<String>,
    /// Administrative procedure concerned (optional).
    pub procedure: Option<String>,
    pub citizen_name: Option<String>,
    /// Normalised to `84…` (see `crate::zalo::phone`).
    pub phone: Option<String>,
    pub consent: Consent,
    pub started_at: DateTime<Utc>,
}

impl ComplaintDraft {
    pub fn new(branch: u8, started_at: DateTime<Utc>) -> Self {
        Self {
            branch,
            content: Vec::new(),
            evidence: Vec::new(),
            place: None,
            procedure: None,
            citizen_name: None,
            phone: None,
            consent: Consent::NotAsked,
            started_at,
        }
    }

    /// The whole description as one text.
    pub fn content_text(&self) -> String {
        self.content.join("\n")
    }
}
