//! Matches the bot's replies to the citizens' messages for `tongdai bench e2e`. Each citizen's
//! messages wait in order; the first chat message the OA sends that citizen answers the oldest
//! waiting one (a turn's further messages, e.g. a welcome then a menu, find none waiting and are
//! counted as extra). Exact while a citizen's turn is answered before the same citizen writes
//! again; a message sent while the previous one still waits is counted as `overlapped`, since
//! from then on a late extra message could be taken for the next answer.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The waiting messages and the answers so far.
#[derive(Debug, Default)]
pub struct Replies {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    waiting: HashMap<String, VecDeque<Instant>>,
    latencies: Vec<Duration>,
    extra: usize,
    overlapped: usize,
}

/// What was answered, and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyReport {
    /// From each answered message's scheduled send time to its first reply, in answer order.
    pub latencies: Vec<Duration>,
    /// Messages still waiting for a reply.
    pub unanswered: usize,
    /// OA chat messages that answered nothing (the second and later messages of a turn).
    pub extra: usize,
    /// Messages sent while the same citizen's previous one was still waiting.
    pub overlapped: usize,
}

impl Replies {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The citizen's message scheduled at `scheduled` is about to be sent.
    pub fn sent(&self, user_id: &str, scheduled: Instant) {
        let mut inner = self.lock();
        let queue = inner.waiting.entry(user_id.to_owned()).or_default();
        let overlapped = !queue.is_empty();
        queue.push_back(scheduled);
        if overlapped {
            inner.overlapped += 1;
        }
    }

    /// A chat message of the OA reached the citizen at `at`.
    pub fn received(&self, user_id: &str, at: Instant) {
        let mut inner = self.lock();
        let scheduled = inner.waiting.get_mut(user_id).and_then(VecDeque::pop_front);
        match scheduled {
            Some(scheduled) => inner.latencies.push(at.saturating_duration_since(scheduled)),
            None => inner.extra += 1,
        }
    }

    /// Messages answered so far.
    pub fn answered(&self) -> usize {
        self.lock().latencies.len()
    }

    /// OA chat messages received so far (answers and extra).
    pub fn messages(&self) -> usize {
        let inner = self.lock();
        inner.latencies.len() + inner.extra
    }

    /// The report so far; starts afresh (messages still waiting are dropped).
    pub fn reset(&self) -> ReplyReport {
        let inner = std::mem::take(&mut *self.lock());
        ReplyReport {
            unanswered: inner.waiting.values().map(VecDeque::len).sum(),
            latencies: inner.latencies,
            extra: inner.extra,
            overlapped: inner.overlapped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reply_answers_the_oldest_waiting_message_of_that_citizen() {
        let replies = Replies::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        replies.sent("a", t0);
        replies.sent("b", t0 + ms(1));
        replies.received("b", t0 + ms(6)); // b's answer: 5 ms
        replies.received("b", t0 + ms(7)); // b's turn goes on: extra
        replies.received("a", t0 + ms(10)); // a's answer: 10 ms
        replies.received("c", t0 + ms(11)); // nobody waiting: extra
        replies.sent("a", t0 + ms(20));
        assert_eq!((replies.answered(), replies.messages()), (2, 4));
        let report = replies.reset();
        assert_eq!(report.latencies, vec![ms(5), ms(10)]);
        assert_eq!((report.unanswered, report.extra, report.overlapped), (1, 2, 0));
        assert_eq!((replies.answered(), replies.messages()), (0, 0), "reset");
        replies.received("a", t0 + ms(30));
        assert_eq!(replies.reset().extra, 1, "what waited before the reset is forgotten");
    }

    #[test]
    fn writing_again_before_the_answer_counts_as_overlapped() {
        let replies = Replies::default();
        let t0 = Instant::now();
        replies.sent("a", t0);
        replies.sent("a", t0 + Duration::from_millis(100));
        replies.received("a", t0 + Duration::from_millis(150));
        let report = replies.reset();
        assert_eq!(report.latencies, vec![Duration::from_millis(150)], "the oldest is answered first");
        assert_eq!((report.unanswered, report.overlapped), (1, 1));
    }
}
