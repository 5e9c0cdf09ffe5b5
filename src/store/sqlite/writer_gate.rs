//! Who gets SQLite's single writer connection next. Webhook intake is urgent: Zalo waits for
//! its acknowledgement, which needs the write. Everything else (conversation turns, jobs,
//! console writes) is background work that can wait a moment. The pool hands the connection
//! out first come, first served, so a burst of background writers queued in front of intake
//! would make every acknowledgement wait for all of them. The gate lets at most one background
//! writer at a time queue for the connection, and none while an urgent writer is waiting; an
//! acknowledgement then waits for at most the write in progress and one background write.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, MutexGuard, Notify};

/// Orders the writers of one SQLite database (see the module comment).
#[derive(Debug, Default)]
pub(super) struct WriterGate {
    /// Urgent writers waiting for (or holding) the connection.
    urgent: AtomicUsize,
    /// Wakes background writers when no urgent writer is left.
    urgent_done: Notify,
    /// One background writer at a time goes to the pool's queue.
    background: Mutex<()>,
}

/// Held by an urgent writer until it has the connection.
pub(super) struct UrgentTurn<'a> {
    gate: &'a WriterGate,
}

impl Drop for UrgentTurn<'_> {
    fn drop(&mut self) {
        if self.gate.urgent.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.gate.urgent_done.notify_waiters();
        }
    }
}

impl WriterGate {
    /// An urgent writer's turn: take the connection while holding it.
    pub(super) fn urgent(&self) -> UrgentTurn<'_> {
        self.urgent.fetch_add(1, Ordering::AcqRel);
        UrgentTurn { gate: self }
    }

    /// A background writer's turn: wait for the other background writers and for every urgent
    /// one, then take the connection while holding it.
    pub(super) async fn background(&self) -> MutexGuard<'_, ()> {
        let turn = self.background.lock().await;
        loop {
            let done = self.urgent_done.notified();
            tokio::pin!(done);
            // Registered before the check, so a notification between the two is not missed.
            done.as_mut().enable();
            if self.urgent.load(Ordering::Acquire) == 0 {
                return turn;
            }
            done.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn background_writers_wait_while_an_urgent_writer_waits() {
        let gate = Arc::new(WriterGate::default());
        let urgent = gate.urgent();
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _turn = gate.background().await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a background writer waits for the urgent one");
        drop(urgent);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("woken").expect("task");
    }

    #[tokio::test]
    async fn background_writers_go_one_at_a_time() {
        let gate = Arc::new(WriterGate::default());
        let first = gate.background().await;
        let second = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _turn = gate.background().await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!second.is_finished());
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), second).await.expect("woken").expect("task");
    }
}
