//! Who gets SQLite's single writer connection next. Webhook intake is urgent: Zalo waits for
//! its acknowledgement, which needs the write. Everything else (conversation turns, jobs,
//! console writes) is background work that can wait a moment.
//!
//! The gate is a lock with two queues: a writer holds a [`WritePermit`] for as long as it uses
//! the connection, and when it lets go the permit passes to the longest-waiting urgent writer,
//! or, when none waits, to the longest-waiting background writer. An acknowledgement therefore
//! waits for at most the write in progress, never for background writers that came before it.
//! A background writer with much to write (a batch of conversation turns) commits what it has
//! and steps aside whenever an urgent writer waits ([`WritePermit::yield_to_urgent`]), then
//! goes on before the other background writers.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

/// Orders the writers of one SQLite database (see the module comment).
#[derive(Debug, Default)]
pub(super) struct WriterGate {
    state: Mutex<GateState>,
}

#[derive(Debug, Default)]
struct GateState {
    /// A permit is out.
    busy: bool,
    /// Waiting writers, oldest first; the permit is handed over by a message.
    urgent: VecDeque<oneshot::Sender<()>>,
    background: VecDeque<oneshot::Sender<()>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Urgent,
    Background,
    /// The front of the background queue (a writer that stepped aside for intake).
    BackgroundFront,
}

/// The right to use the writer connection; passed on to the next writer when dropped.
#[derive(Debug)]
pub(super) struct WritePermit {
    gate: Arc<WriterGate>,
}

impl Drop for WritePermit {
    fn drop(&mut self) {
        self.gate.pass_on();
    }
}

impl WriterGate {
    /// An urgent writer's permit (webhook intake).
    pub(super) async fn urgent(self: &Arc<Self>) -> WritePermit {
        self.acquire(Queue::Urgent).await
    }

    /// A background writer's permit: after every urgent writer and the background writers that
    /// came before.
    pub(super) async fn background(self: &Arc<Self>) -> WritePermit {
        self.acquire(Queue::Background).await
    }

    /// A background writer's permit if nobody holds or waits for one.
    pub(super) fn try_background(self: &Arc<Self>) -> Option<WritePermit> {
        let mut state = self.lock();
        if state.busy {
            return None;
        }
        state.busy = true;
        Some(WritePermit { gate: self.clone() })
    }

    /// Whether an urgent writer is waiting for the permit now.
    pub(super) fn urgent_waiting(&self) -> bool {
        self.lock().urgent.iter().any(|waiter| !waiter.is_closed())
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state stays consistent even if a holder panicked: every change is one push or pop.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The permit at once when free, otherwise a place in `queue`.
    fn acquire(self: &Arc<Self>, queue: Queue) -> Waiting {
        Waiting { gate: self.clone(), queue, receiver: self.enqueue(queue) }
    }

    /// `None`: the permit is taken now. `Some`: where it will arrive.
    fn enqueue(&self, queue: Queue) -> Option<oneshot::Receiver<()>> {
        let mut state = self.lock();
        if !state.busy {
            state.busy = true;
            return None;
        }
        let (sender, receiver) = oneshot::channel();
        match queue {
            Queue::Urgent => state.urgent.push_back(sender),
            Queue::Background => state.background.push_back(sender),
            Queue::BackgroundFront => state.background.push_front(sender),
        }
        Some(receiver)
    }

    /// The permit's holder let go: hand it to the next writer that still waits, or free it.
    fn pass_on(&self) {
        let mut state = self.lock();
        loop {
            let next = match state.urgent.pop_front() {
                Some(next) => next,
                None => match state.background.pop_front() {
                    Some(next) => next,
                    None => {
                        state.busy = false;
                        return;
                    }
                },
            };
            // A waiter that gave up (its future was dropped) refuses the permit: try the next.
            if next.send(()).is_ok() {
                return;
            }
        }
    }
}

impl WritePermit {
    /// Lets the urgent writers waiting now go first, then continues before every other
    /// background writer. Returns at once when no urgent writer waits.
    pub(super) async fn yield_to_urgent(self) -> WritePermit {
        if !self.gate.urgent_waiting() {
            return self;
        }
        let gate = self.gate.clone();
        let (sender, receiver) = oneshot::channel();
        gate.lock().background.push_front(sender);
        drop(self); // passes the permit on: to an urgent writer, which is waiting
        Waiting { gate, queue: Queue::BackgroundFront, receiver: Some(receiver) }.await
    }
}

/// A writer waiting for the permit. Dropping it (a cancelled request) gives up its place, and
/// passes the permit on if it had arrived meanwhile.
struct Waiting {
    gate: Arc<WriterGate>,
    queue: Queue,
    receiver: Option<oneshot::Receiver<()>>,
}

impl Future for Waiting {
    type Output = WritePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<WritePermit> {
        loop {
            let Some(receiver) = self.receiver.as_mut() else {
                return Poll::Ready(WritePermit { gate: self.gate.clone() });
            };
            match Pin::new(receiver).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => self.receiver = None,
                // The sender went without a permit (cannot happen while the gate lives): ask again.
                Poll::Ready(Err(_)) => {
                    let queue = self.queue;
                    self.receiver = self.gate.enqueue(queue);
                }
            }
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(mut receiver) = self.receiver.take() {
            receiver.close();
            if receiver.try_recv().is_ok() {
                self.gate.pass_on();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::*;

    /// Starts a writer that takes a permit from `gate`, reports `name` and holds the permit
    /// for 5 ms.
    fn writer(
        gate: &Arc<WriterGate>,
        name: &'static str,
        urgent: bool,
        order: mpsc::UnboundedSender<&'static str>,
    ) -> tokio::task::JoinHandle<()> {
        let gate = gate.clone();
        tokio::spawn(async move {
            let _permit = if urgent { gate.urgent().await } else { gate.background().await };
            let _ = order.send(name);
            tokio::time::sleep(Duration::from_millis(5)).await;
        })
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[tokio::test]
    async fn urgent_writers_go_before_background_writers_that_came_earlier() {
        let gate = Arc::new(WriterGate::default());
        let (order, mut seen) = mpsc::unbounded_channel();
        let holder = gate.background().await;
        let first = writer(&gate, "background 1", false, order.clone());
        settle().await;
        let second = writer(&gate, "background 2", false, order.clone());
        settle().await;
        let urgent = writer(&gate, "urgent", true, order.clone());
        settle().await;
        assert!(gate.urgent_waiting());
        drop(holder);
        for task in [first, second, urgent] {
            tokio::time::timeout(Duration::from_secs(5), task).await.expect("finished").expect("task");
        }
        let order: Vec<_> = std::iter::from_fn(|| seen.try_recv().ok()).collect();
        assert_eq!(order, ["urgent", "background 1", "background 2"]);
        assert!(gate.try_background().is_some(), "free again");
    }

    #[tokio::test]
    async fn one_permit_at_a_time() {
        let gate = Arc::new(WriterGate::default());
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for n in 0..40 {
            let (gate, inside) = (gate.clone(), inside.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = if n % 3 == 0 { gate.urgent().await } else { gate.background().await };
                assert_eq!(inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst), 0, "alone with the permit");
                tokio::task::yield_now().await;
                inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }));
        }
        for task in tasks {
            tokio::time::timeout(Duration::from_secs(5), task).await.expect("finished").expect("task");
        }
        assert!(gate.try_background().is_some());
    }

    #[tokio::test]
    async fn a_yielding_writer_lets_intake_in_and_goes_on_before_other_background_writers() {
        let gate = Arc::new(WriterGate::default());
        let (order, mut seen) = mpsc::unbounded_channel();
        let batch = gate.background().await;
        let batch = batch.yield_to_urgent().await; // nobody waits: keeps the permit
        let other = writer(&gate, "other background", false, order.clone());
        settle().await;
        let intake = writer(&gate, "intake", true, order.clone());
        settle().await;
        let batch = batch.yield_to_urgent().await;
        let _ = order.send("batch goes on");
        assert!(!other.is_finished(), "the other background writer still waits");
        drop(batch);
        for task in [intake, other] {
            tokio::time::timeout(Duration::from_secs(5), task).await.expect("finished").expect("task");
        }
        let order: Vec<_> = std::iter::from_fn(|| seen.try_recv().ok()).collect();
        assert_eq!(order, ["intake", "batch goes on", "other background"]);
    }

    #[tokio::test]
    async fn a_writer_that_gives_up_waiting_loses_no_permit() {
        let gate = Arc::new(WriterGate::default());
        let holder = gate.background().await;
        let impatient = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_millis(10), gate.urgent()).await;
            })
        };
        impatient.await.expect("task");
        assert!(!gate.urgent_waiting(), "its place was given up");
        drop(holder);
        tokio::time::timeout(Duration::from_secs(5), gate.background()).await.expect("the permit is free");
    }
}
