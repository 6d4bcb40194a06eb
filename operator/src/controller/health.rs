//! What `/healthz` and `/readyz` answer from: each controller's task, its caches and its
//! reconciles in flight. The answer itself is [`Health::liveness`] and [`Health::readiness`],
//! decided from this state and the time alone.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A reconcile running longer than this means its controller has stopped making progress:
/// every REST call and API request it makes has a timeout far below it.
pub const STALL_AFTER: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
struct ControllerState {
    /// Why the controller's task ended, when it ended outside a shutdown.
    died: Option<String>,
    /// Whether its watch caches have listed once.
    synced: bool,
    /// Start times of its running reconciles, by a per-controller sequence number.
    running: BTreeMap<u64, Instant>,
    next: u64,
    /// Its task, for the `/debug/stop` test hook.
    task: Option<tokio::task::AbortHandle>,
}

/// The health of every controller in this process.
#[derive(Debug, Default)]
pub struct Health {
    controllers: Mutex<BTreeMap<&'static str, ControllerState>>,
    /// Set while this replica stands by for the leader Lease: it is ready to take over.
    standby: AtomicBool,
}

/// One running reconcile; dropping it (also when the reconcile is cancelled) ends it.
pub struct Running<'a> {
    health: &'a Health,
    controller: &'static str,
    id: u64,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.health.lock().get_mut(self.controller) {
            c.running.remove(&self.id);
        }
    }
}

impl Health {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, ControllerState>> {
        // A panic elsewhere while holding the lock leaves plain data; keep answering.
        self.controllers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A controller that is about to start (its task may be tracked already).
    pub fn register(&self, controller: &'static str) {
        self.lock().entry(controller).or_default();
    }

    pub fn synced(&self, controller: &'static str) {
        if let Some(c) = self.lock().get_mut(controller) {
            c.synced = true;
        }
    }

    /// The controller's task ended without a shutdown (`why` says how, a panic's message
    /// included).
    pub fn died(&self, controller: &'static str, why: String) {
        self.lock().entry(controller).or_default().died = Some(why);
    }

    pub fn track(&self, controller: &'static str, task: tokio::task::AbortHandle) {
        self.lock().entry(controller).or_default().task = Some(task);
    }

    /// Aborts a controller's task, as a fault would end it; `false` if there is none.
    pub fn stop(&self, controller: &str) -> bool {
        let all = self.lock();
        all.get(controller)
            .and_then(|c| c.task.as_ref())
            .map(tokio::task::AbortHandle::abort)
            .is_some()
    }

    pub fn set_standby(&self, standby: bool) {
        self.standby.store(standby, Ordering::Relaxed);
    }

    pub fn begin(&self, controller: &'static str) -> Running<'_> {
        let mut all = self.lock();
        let c = all.entry(controller).or_default();
        let id = c.next;
        c.next += 1;
        c.running.insert(id, Instant::now());
        Running { health: self, controller, id }
    }

    /// `Err` names each controller that died or has a reconcile running past [`STALL_AFTER`].
    pub fn liveness(&self, now: Instant) -> Result<(), String> {
        let problems: Vec<String> = self
            .lock()
            .iter()
            .filter_map(|(name, c)| {
                if let Some(why) = &c.died {
                    return Some(format!("controller {name} stopped: {why}"));
                }
                let oldest = c.running.values().min()?;
                let running = now.saturating_duration_since(*oldest);
                (running > STALL_AFTER).then(|| {
                    format!("controller {name} has a reconcile running for {}s", running.as_secs())
                })
            })
            .collect();
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }

    /// Ready when every controller's caches have synced, or while standing by for the Lease.
    pub fn readiness(&self) -> Result<(), String> {
        if self.standby.load(Ordering::Relaxed) {
            return Ok(());
        }
        let all = self.lock();
        if all.is_empty() {
            return Err("no controller has started".into());
        }
        let waiting: Vec<&str> =
            all.iter().filter(|(_, c)| !c.synced).map(|(name, _)| *name).collect();
        if waiting.is_empty() {
            Ok(())
        } else {
            Err(format!("waiting for the caches of {}", waiting.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_fails_for_a_dead_or_stalled_controller() {
        let h = Health::default();
        h.register("connector");
        h.register("policy");
        let start = Instant::now();
        assert_eq!(h.liveness(start), Ok(()));
        let running = h.begin("connector");
        assert_eq!(h.liveness(start + Duration::from_secs(10)), Ok(()));
        let stalled = h.liveness(start + STALL_AFTER + Duration::from_secs(5)).unwrap_err();
        assert!(stalled.contains("controller connector has a reconcile running"), "{stalled}");
        drop(running);
        assert_eq!(h.liveness(start + STALL_AFTER * 2), Ok(()));
        h.died("policy", "panicked: boom".into());
        let dead = h.liveness(start).unwrap_err();
        assert_eq!(dead, "controller policy stopped: panicked: boom");
    }

    #[test]
    fn readiness_waits_for_every_cache_unless_standing_by() {
        let h = Health::default();
        assert!(h.readiness().is_err());
        h.register("connector");
        h.register("connect");
        h.synced("connector");
        assert_eq!(h.readiness().unwrap_err(), "waiting for the caches of connect");
        h.synced("connect");
        assert_eq!(h.readiness(), Ok(()));
        let f = Health::default();
        f.set_standby(true);
        assert_eq!(f.readiness(), Ok(()));
    }
}
