//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's rules: a Lease is
//! expired when its record has not changed for `leaseDurationSeconds` as *this* replica
//! measured it (clocks of other pods are never compared), every write carries the
//! `resourceVersion` it read so two candidates cannot both win, and a leader that cannot
//! renew within the renew deadline stops acting. Releasing clears the holder, so the
//! follower takes over at its next retry instead of after a whole lease duration.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ObjectMeta, PostParams};
use tracing::{info, warn};

/// How this replica takes part in the election.
#[derive(Clone, Debug)]
pub struct Election {
    pub namespace: String,
    pub name: String,
    /// This replica's name in `holderIdentity` (the pod name).
    pub identity: String,
    /// How long a Lease holds without renewal.
    pub lease_duration: Duration,
    /// How often the leader renews and a follower tries to acquire; the longest the leader
    /// keeps acting without a renewal is `lease_duration - renew_period`.
    pub renew_period: Duration,
}

/// What a candidate decides from the Lease it read.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Write the Lease with us as holder (`transition`: the holder changes).
    Take { transition: bool },
    /// Someone else holds it and it has not expired.
    Wait,
}

/// The pure rule: take the Lease when it is ours, free, or unchanged for longer than its
/// duration since `observed` (when this replica last saw its record change).
pub fn verdict(
    spec: Option<&LeaseSpec>,
    identity: &str,
    observed: Instant,
    now: Instant,
    default_duration: Duration,
) -> Verdict {
    let holder = spec.and_then(|s| s.holder_identity.as_deref()).unwrap_or("");
    if holder == identity {
        return Verdict::Take { transition: false };
    }
    if holder.is_empty() {
        return Verdict::Take { transition: true };
    }
    let duration = spec
        .and_then(|s| s.lease_duration_seconds)
        .and_then(|d| u64::try_from(d).ok())
        .map_or(default_duration, Duration::from_secs);
    if now.saturating_duration_since(observed) >= duration {
        Verdict::Take { transition: true }
    } else {
        Verdict::Wait
    }
}

/// One replica's view of the Lease.
pub struct Elector {
    api: Api<Lease>,
    election: Election,
    /// The record last read and when it last changed, as this replica saw it.
    seen: Option<(String, Instant)>,
}

impl Elector {
    pub fn new(client: kube::Client, election: Election) -> Self {
        let api = Api::namespaced(client, &election.namespace);
        Self { api, election, seen: None }
    }

    /// One attempt to acquire or renew; `Ok(true)` while we hold the Lease.
    pub async fn try_acquire(&mut self) -> Result<bool, kube::Error> {
        let e = &self.election;
        let now = Instant::now();
        let current = self.api.get_opt(&e.name).await?;
        let Some(lease) = current else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(e.name.clone()),
                    namespace: Some(e.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(None, true)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(err) => Err(err),
            };
        };
        let version = lease.metadata.resource_version.clone().unwrap_or_default();
        let observed = match &self.seen {
            Some((v, at)) if *v == version => *at,
            _ => now,
        };
        self.seen = Some((version, observed));
        let Verdict::Take { transition } =
            verdict(lease.spec.as_ref(), &e.identity, observed, now, e.lease_duration)
        else {
            return Ok(false);
        };
        let mut next = lease.clone();
        next.spec = Some(self.spec(lease.spec.as_ref(), transition));
        match self.api.replace(&e.name, &PostParams::default(), &next).await {
            Ok(_) => Ok(true),
            // Someone else wrote it first: read again next time.
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(err) => Err(err),
        }
    }

    fn spec(&self, previous: Option<&LeaseSpec>, transition: bool) -> LeaseSpec {
        let now = MicroTime(jiff::Timestamp::now());
        let transitions = previous.and_then(|s| s.lease_transitions).unwrap_or(0);
        LeaseSpec {
            holder_identity: Some(self.election.identity.clone()),
            lease_duration_seconds: i32::try_from(self.election.lease_duration.as_secs()).ok(),
            acquire_time: if transition {
                Some(now.clone())
            } else {
                previous.and_then(|s| s.acquire_time.clone()).or(Some(now.clone()))
            },
            renew_time: Some(now),
            lease_transitions: Some(if transition && previous.is_some() {
                transitions + 1
            } else {
                transitions
            }),
            ..LeaseSpec::default()
        }
    }

    /// Waits until this replica holds the Lease; `false` if `stop` fired first.
    pub async fn acquire(&mut self, stop: &super::Shutdown) -> bool {
        loop {
            // An attempt hung on a dead connection must not keep this replica from the Lease.
            let attempt = tokio::time::timeout(self.election.lease_duration, self.try_acquire());
            match attempt.await {
                Ok(Ok(true)) => {
                    info!(lease = %self.election.name, identity = %self.election.identity, "became the leader");
                    return true;
                }
                Ok(Ok(false)) => {}
                Ok(Err(e)) => warn!(error = %e, "reading the leader Lease failed; trying again"),
                Err(_) => warn!("reading the leader Lease timed out; trying again"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.election.renew_period) => {}
                () = stop.wait() => return false,
            }
        }
    }

    /// Renews the Lease until `stop` fires (then returns `true`) or a renewal has not
    /// succeeded within the renew deadline (then `false`: leadership is lost).
    pub async fn hold(&mut self, stop: &super::Shutdown) -> bool {
        let deadline = self
            .election
            .lease_duration
            .saturating_sub(self.election.renew_period)
            .max(self.election.renew_period);
        let mut last_renewal = Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.election.renew_period) => {}
                () = stop.wait() => return true,
            }
            // A renewal may take no longer than what is left of the deadline: a request hung
            // past it would let this replica act after a follower took the Lease.
            let left = deadline.saturating_sub(last_renewal.elapsed());
            match tokio::time::timeout(left, self.try_acquire()).await {
                Ok(Ok(true)) => last_renewal = Instant::now(),
                Ok(Ok(false)) => {
                    warn!("another replica holds the leader Lease");
                    return false;
                }
                Ok(Err(e)) => warn!(error = %e, "renewing the leader Lease failed"),
                Err(_) => warn!("renewing the leader Lease timed out"),
            }
            if last_renewal.elapsed() >= deadline {
                warn!("the leader Lease was not renewed within its deadline");
                return false;
            }
        }
    }

    /// Gives the Lease up, so that a follower takes it at its next retry.
    pub async fn release(&mut self) {
        let e = &self.election;
        let Ok(Some(mut lease)) = self.api.get_opt(&e.name).await else { return };
        let ours = lease.spec.as_ref().and_then(|s| s.holder_identity.as_deref())
            == Some(e.identity.as_str());
        if !ours {
            return;
        }
        if let Some(spec) = lease.spec.as_mut() {
            spec.holder_identity = None;
            spec.lease_duration_seconds = Some(1);
            spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
        }
        match self.api.replace(&e.name, &PostParams::default(), &lease).await {
            Ok(_) => info!(lease = %e.name, "released the leader Lease"),
            Err(err) => {
                warn!(error = %err, "releasing the leader Lease failed; it expires instead")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_by(holder: Option<&str>, seconds: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: holder.map(str::to_owned),
            lease_duration_seconds: Some(seconds),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn a_lease_is_taken_when_ours_free_or_unchanged_for_its_duration() {
        let t0 = Instant::now();
        let d = Duration::from_secs(15);
        let s = |x| t0 + Duration::from_secs(x);
        let table = [
            ("no Lease yet", None, 0, Verdict::Take { transition: true }),
            ("ours", Some(held_by(Some("me"), 15)), 0, Verdict::Take { transition: false }),
            ("released", Some(held_by(None, 1)), 0, Verdict::Take { transition: true }),
            ("held and fresh", Some(held_by(Some("other"), 15)), 14, Verdict::Wait),
            (
                "held and expired",
                Some(held_by(Some("other"), 15)),
                15,
                Verdict::Take { transition: true },
            ),
            (
                "short lease expired",
                Some(held_by(Some("other"), 2)),
                3,
                Verdict::Take { transition: true },
            ),
        ];
        for (case, spec, after, want) in table {
            assert_eq!(verdict(spec.as_ref(), "me", t0, s(after), d), want, "{case}");
        }
    }
}
