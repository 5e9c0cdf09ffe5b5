//! Zalo Official Account wire formats: webhook events and their signature, outbound
//! message bodies, API responses, error classification and Vietnamese phone numbers.
//! Pure types and functions; the HTTP client lives elsewhere.

pub mod errors;
pub mod events;
pub mod messages;
pub mod outbound;
pub mod phone;
pub mod responses;
pub mod signature;
pub mod wire;
