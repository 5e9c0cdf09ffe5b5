//! Officer chats (the "talk to an officer" handoff): the stored chat of a citizen with a
//! department's officers and its messages, the changes conversation turns make to it, and the
//! service the console's chat pages use (list, history, writing to the citizen, ending).

pub mod model;
pub mod service;
pub mod turn;

pub use model::{ChatChange, ChatScope, OfficerChatStore};
pub use service::{ChatError, ChatService, ChatUser};
