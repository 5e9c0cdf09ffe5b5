//! Benchmarks run from the command line (`tongdai bench …`): load generators and the summaries
//! written up in BENCHMARKS.md.

pub mod cli;
pub mod http1;
pub mod stats;
pub mod webhook;
