//! A separate async runtime for background work (the conversation worker, the job workers and
//! the scheduled ticks), on its own threads at a lower CPU priority than the HTTP side.
//!
//! Zalo waits for each webhook's acknowledgement; processing can wait a moment. On one shared
//! runtime a burst of processing occupies the runtime's threads and an acknowledgement that is
//! ready waits behind it (tasks are not preempted). On their own threads, with a nice value of
//! [`NICE`], the operating system runs request handling first whenever both want a core, and
//! background work uses whatever is left.

use std::future::Future;

use anyhow::Context as _;
use tokio::sync::oneshot;

/// The background threads' nice value (0 is normal, 19 the lowest priority).
pub const NICE: i32 = 10;

/// The background runtime; it stops (cancelling what is still running there) when dropped.
/// Await the tasks spawned on it before dropping it.
pub struct BackgroundRuntime {
    handle: tokio::runtime::Handle,
    /// Dropped with the runtime: its thread leaves `block_on` and shuts the runtime down.
    _stop: oneshot::Sender<()>,
}

impl BackgroundRuntime {
    /// Starts the runtime with `threads` worker threads.
    pub fn start(threads: usize) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("tongdai-background")
            .enable_all()
            .on_thread_start(lower_priority)
            .build()
            .context("starting the background runtime")?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("tongdai-background".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // Dropping the runtime here (not in an async context) ends its threads.
                drop(runtime);
            })
            .context("starting the background runtime's thread")?;
        Ok(Self { handle, _stop: stop })
    }

    /// Makes `tokio::spawn` start tasks on the background runtime while the guard lives.
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.handle.enter()
    }

    /// Runs `task` on the background runtime.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(task)
    }
}

/// Lowers the calling thread's CPU priority to [`NICE`]; if the system refuses, the thread
/// runs at normal priority (a note in the log says so).
fn lower_priority() {
    // On Linux the "process" priority of a thread id is that thread's own.
    let thread = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(thread), NICE) {
        tracing::info!(error = %e, "background threads run at normal CPU priority (lowering it was refused)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nice value of the calling thread.
    fn current_nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("getpriority")
    }

    #[tokio::test]
    async fn tasks_run_on_lower_priority_threads_and_report_back() {
        let background = BackgroundRuntime::start(1).expect("runtime");
        let (nice, name) = background
            .spawn(async { (current_nice(), std::thread::current().name().map(str::to_owned)) })
            .await
            .expect("task");
        assert_eq!(name.as_deref(), Some("tongdai-background"));
        // Raising one's nice value needs no privilege; a caller already nicer stays as it is.
        let caller = current_nice();
        assert_eq!(nice, caller.max(NICE), "background threads run at nice {NICE}");
        assert!(caller <= nice);
    }
}
