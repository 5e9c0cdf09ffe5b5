//! Complaints and feedback (phản ánh, kiến nghị — PAKN): what the conversation collects, and (in
//! later modules) classification, routing, deadlines and case management.

pub mod draft;
