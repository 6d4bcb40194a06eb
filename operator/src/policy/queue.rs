//! Admission of policy calls and compiles. The instance pool has a fixed number of slots
//! and the operator a fixed amount of memory: a call waits for a slot and for its memory
//! limit under the operator-wide budget, so a burst of calls queues instead of failing as
//! "trapped" on an exhausted pool, and all calls together stay within the budget that
//! `--memory-limit` set. A call that waited its whole timeout gives up with its own error.

use std::{sync::Arc, time::Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::PolicyError;
use super::limits::{CallLimits, EngineLimits};

/// The memory budget is counted in MiB so a large budget fits a semaphore's permits.
const UNIT: u64 = 1 << 20;
/// Compiles that may run at once: each takes a core for tens of milliseconds (Rust) to
/// seconds (Python); the reconcilers keep the rest.
const CONCURRENT_COMPILES: usize = 2;

pub struct Queue {
    slots: Arc<Semaphore>,
    slot_count: u32,
    memory: Arc<Semaphore>,
    compiles: Arc<Semaphore>,
}

/// What an admitted call holds until it ends.
pub struct Admitted {
    _slot: OwnedSemaphorePermit,
    _memory: OwnedSemaphorePermit,
}

impl Queue {
    pub fn new(limits: &EngineLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.concurrent_calls as usize)),
            slot_count: limits.concurrent_calls,
            memory: Arc::new(Semaphore::new(units(limits.memory_budget) as usize)),
            compiles: Arc::new(Semaphore::new(CONCURRENT_COMPILES)),
        }
    }

    /// A slot and `limits.memory_bytes` of the budget, waited for at most `limits.timeout`.
    pub async fn admit(&self, limits: CallLimits) -> Result<Admitted, PolicyError> {
        let started = Instant::now();
        let wanted = units(limits.memory_bytes);
        let wait = async {
            let slot = self.slots.clone().acquire_owned().await;
            let memory = self.memory.clone().acquire_many_owned(wanted).await;
            match (slot, memory) {
                (Ok(slot), Ok(memory)) => Some(Admitted { _slot: slot, _memory: memory }),
                _ => None,
            }
        };
        match tokio::time::timeout(limits.timeout, wait).await {
            Ok(Some(admitted)) => Ok(admitted),
            // The semaphores are never closed; a closed one would be a host fault.
            Ok(None) => Err(PolicyError::Host("the policy call queue is closed".into())),
            Err(_) => Err(PolicyError::Busy { slots: self.slot_count, waited: started.elapsed() }),
        }
    }

    /// A compile permit; compiles wait as long as it takes.
    pub async fn compile(&self) -> OwnedSemaphorePermit {
        self.compiles.clone().acquire_owned().await.expect("the compile semaphore is never closed")
    }
}

/// `bytes` in budget units, rounded up: a call is never admitted for less than it may use.
fn units(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits(memory_bytes: u64, timeout_ms: u64) -> CallLimits {
        CallLimits { memory_bytes, fuel: 1, timeout: Duration::from_millis(timeout_ms) }
    }

    #[tokio::test]
    async fn a_call_waits_for_a_slot_and_says_so_when_none_frees() {
        let engine = EngineLimits { concurrent_calls: 2, ..EngineLimits::default() };
        let queue = Queue::new(&engine);
        let _a = queue.admit(limits(1 << 20, 100)).await.unwrap();
        let _b = queue.admit(limits(1 << 20, 100)).await.unwrap();
        let busy = queue.admit(limits(1 << 20, 50)).await.err().expect("no slot is free");
        assert!(matches!(busy, PolicyError::Busy { slots: 2, .. }), "{busy}");
        assert!(busy.to_string().contains("policy call slots"), "{busy}");
    }

    #[tokio::test]
    async fn a_slot_freed_while_a_call_waits_is_taken_by_it() {
        let engine = EngineLimits { concurrent_calls: 1, ..EngineLimits::default() };
        let queue = Arc::new(Queue::new(&engine));
        let held = queue.admit(limits(1 << 20, 100)).await.unwrap();
        let waiter = queue.clone();
        let waiting = tokio::spawn(async move {
            waiter.admit(limits(1 << 20, 5_000)).await.map(|_| Instant::now())
        });
        // The call is queued on the slot (polled, pending) before the slot frees: it has
        // waited, not found a free slot on its first poll.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiting.is_finished(), "the call did not wait for the held slot");
        let freed = Instant::now();
        drop(held);
        let admitted_at = waiting.await.unwrap().expect("the freed slot is taken");
        assert!(admitted_at >= freed, "admitted before the slot was freed");
    }

    #[tokio::test]
    async fn at_most_two_compiles_run_at_once() {
        let queue = Queue::new(&EngineLimits::default());
        let (a, b) = (queue.compile().await, queue.compile().await);
        let third = tokio::time::timeout(Duration::from_millis(50), queue.compile()).await;
        assert!(third.is_err(), "a third compile ran beside two");
        drop(a);
        let third = tokio::time::timeout(Duration::from_secs(5), queue.compile()).await;
        assert!(third.is_ok(), "a compile slot freed is taken");
        drop(b);
    }

    #[tokio::test]
    async fn calls_together_stay_within_the_memory_budget() {
        let engine = EngineLimits::for_memory_limit(256 << 20); // a budget of 128 MiB
        let queue = Queue::new(&engine);
        let held: Vec<_> =
            futures::future::join_all((0..4).map(|_| queue.admit(limits(32 << 20, 100)))).await;
        assert!(held.iter().all(Result::is_ok), "four calls of 32 MiB fit 128 MiB");
        let over = queue.admit(limits(1, 50)).await;
        assert!(matches!(over, Err(PolicyError::Busy { .. })), "a fifth byte does not fit");
        drop(held);
        assert!(queue.admit(limits(32 << 20, 50)).await.is_ok());
    }
}
