//! Complaints and feedback (phản ánh, kiến nghị — PAKN): what the conversation collects, and (in
//! later modules) classification, routing, deadlines and case management.

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
