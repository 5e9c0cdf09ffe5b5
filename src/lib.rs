//! tongdai ("tổng đài", switchboard): the Zalo Official Account chatbot, complaint (PAKN) handling
//! and SIPAS satisfaction-survey service of a provincial administrative-reform hotline.
//! See DESIGN.md for the architecture; `main.rs` is the command line.

pub mod app;
pub mod auth;
pub mod background;
pub mod backup;
pub mod bench;
pub mod bot;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod console;
pub mod demo;
pub mod handoff;
pub mod health;
pub mod inbound;
pub mod jobs;
pub mod metrics;
pub mod shutdown;
pub mod sim;
pub mod stats;
pub mod store;
pub mod surveys;
pub mod tickets;
pub mod web;
pub mod zalo;
