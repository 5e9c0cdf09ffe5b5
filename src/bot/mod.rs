//! Conversation layer of the chatbot: Vietnamese text folding, the branch catalogue and the
//! matcher that turns what a citizen typed into a branch or a global command; the settings, the
//! inputs, the stored state and the pure state machine (`flow::step`) of a citizen's chat, with
//! every message it says (`texts`).

pub mod catalogue;
pub mod flow;
pub mod input;
pub mod intents;
pub mod matcher;
pub mod payload;
pub mod scope;
pub mod settings;
pub mod state;
pub mod text;
pub mod texts;
pub mod ticket_code;

pub use flow::{step, BotContext, Effect, Step};
pub use input::{input_from_event, BotInput, MediaKind};
pub use settings::BotSettings;
pub use state::ConversationState;
