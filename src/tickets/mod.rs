//! Complaints and feedback (phản ánh, kiến nghị — PAKN): what the conversation collects (`draft`),
//! and case management — model, status machine, classification, codes, deadlines, the service
//! that holds the business rules, its jobs, exports and command line.

pub mod attachments;
pub mod classify;
pub mod cli;
pub mod code;
pub mod config;
pub mod draft;
pub mod export;
pub mod filter;
pub mod jobs;
pub mod model;
pub mod service;
pub mod sla;
pub mod status;
pub mod texts;
