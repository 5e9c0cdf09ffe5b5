//! Who may use the service: machine clients with API keys (stored as SHA-256 digests, checked by
//! an axum extractor for the scope a route needs), and the officials' console — accounts and
//! roles, database-backed sessions, and the append-only audit log of what they did.

pub mod api_keys;
pub mod audit;
pub mod cli;
pub mod extract;
pub mod sessions;
pub mod users;
