//! Who may use the officials' console: accounts and roles, database-backed sessions, and the
//! append-only audit log of what they did.

pub mod audit;
pub mod sessions;
pub mod users;
