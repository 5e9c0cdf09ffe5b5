//! Conversation layer of the chatbot: Vietnamese text folding, the branch catalogue and the
//! matcher that turns what a citizen typed into a branch or a global command.

pub mod catalogue;
pub mod matcher;
pub mod text;
