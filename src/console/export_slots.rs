//! How many statistics downloads one process makes at once (`stats.max_concurrent_exports`): a
//! download takes a slot before its export starts and keeps it until its file is sent (or the
//! client goes away); when none is free it is turned away at once, never queued, so a burst of
//! downloads cannot pile up database reads, workbook writers and temporary files.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a turned-away download is told to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 30;

/// The slots of this process (cloned handles share them).
#[derive(Debug, Clone)]
pub struct ExportSlots {
    slots: Arc<Semaphore>,
}

/// One taken slot, given back when dropped.
#[derive(Debug)]
pub struct ExportSlot {
    _permit: OwnedSemaphorePermit,
}

impl ExportSlots {
    /// `max` slots (at least one: the configuration check refuses 0).
    pub fn new(max: usize) -> Self {
        Self { slots: Arc::new(Semaphore::new(max.max(1))) }
    }

    /// A free slot, or `None` when every slot is taken.
    pub fn try_take(&self) -> Option<ExportSlot> {
        self.slots.clone().try_acquire_owned().ok().map(|permit| ExportSlot { _permit: permit })
    }

    /// Slots free now.
    pub fn free(&self) -> usize {
        self.slots.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_refused_and_given_back() {
        let slots = ExportSlots::new(2);
        let first = slots.try_take().expect("a free slot");
        let second = slots.clone().try_take().expect("a second slot");
        assert!(slots.try_take().is_none(), "both taken");
        assert_eq!(slots.free(), 0);
        drop(first);
        let third = slots.try_take().expect("given back when dropped");
        drop((second, third));
        assert_eq!(slots.free(), 2);
        assert_eq!(ExportSlots::new(0).free(), 1, "never none");
    }
}
