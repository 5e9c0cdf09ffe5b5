//! Zalo Official Account: wire formats (webhook events and their signature, outbound message
//! bodies, API responses, error classification, Vietnamese phone numbers) and the sending side
//! (HTTP client, encrypted tokens and their refresh, OAuth, channel choice, the `zalo.send` job).

pub mod api;
pub mod channel;
pub mod client;
pub mod crypto;
pub mod errors;
pub mod events;
pub mod messages;
pub mod oauth;
pub mod outbound;
pub mod phone;
pub mod rate_limit;
pub mod recorder;
pub mod records;
pub mod responses;
pub mod sender;
pub mod service;
pub mod signature;
pub mod tokens;
pub mod wire;
