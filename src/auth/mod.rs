//! Authentication of machine clients: API keys (stored as SHA-256 digests) and the axum
//! extractor that checks a bearer key and the scope a route needs.

pub mod api_keys;

pub mod cli;
pub mod extract;
