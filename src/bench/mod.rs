//! Benchmarks run from the command line (`tongdai bench …`): load generators, the ceilings they
//! are compared with (a no-op HTTP handler, raw inserts), the service as a measured child
//! process, and the summaries written up in BENCHMARKS.md.

pub mod child;
pub mod cli;
pub mod dossier_csv;
pub mod e2e;
pub mod http1;
pub mod import;
pub mod memory;
pub mod noop;
pub mod replies;
pub mod scratch;
pub mod simhost;
pub mod stats;
pub mod storage;
pub mod surveys;
pub mod webhook;
