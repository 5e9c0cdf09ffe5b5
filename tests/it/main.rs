//! Integration tests: one binary, one module per area. Store and queue tests run on SQLite always
//! and on PostgreSQL when TONGDAI_TEST_POSTGRES_URL is set (each test on a fresh database).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod bench;
mod cli;
mod console;
mod console_cli;
mod console_store;
mod http;
mod inbound;
mod layout;
mod queue;
mod store_contract;
