//! Integration tests: one binary, one module per area. Store and queue tests run on SQLite always
//! and on PostgreSQL when TONGDAI_TEST_POSTGRES_URL is set (each test on a fresh database).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod backup;
mod bench;
mod browser;
mod cli;
mod console;
mod console_cli;
mod console_store;
mod console_surveys;
mod e2e;
mod fake_zalo;
mod http;
mod inbound;
mod layout;
mod multi_instance;
mod queue;
mod sim;
mod stats;
mod stats_aggregates;
mod stats_export;
mod stats_tickets;
mod store_contract;
mod survey_store;
mod surveys;
mod tickets_api;
mod tickets_attachments;
mod tickets_cli;
mod tickets_service;
mod tickets_store;
mod tickets_support;
mod webdriver;
mod zalo_client;
mod zalo_oauth;
mod zalo_sender;
mod zalo_store;
mod zalo_tokens;
