//! One observation loop per Connect cluster.
//!
//! Each cluster's poller calls `GET /connectors?expand=status&expand=info` once per resync
//! and keeps the answer; every Connector of that cluster reads it instead of calling Connect
//! itself, so steady-state REST calls grow with clusters, not connectors. When a connector's
//! entry changes between two polls (a state change, or drift made behind Sluice's back), the
//! poller asks for that Connector to be reconciled at once.
//!
//! A cluster is keyed by its endpoint and the credentials used for it. A Connector that moves
//! (another endpoint, rotated credentials, another name on Connect) or goes away leaves its
//! old cluster at once, and a poller with no Connector left stops and leaves the map: nothing
//! goes on polling with old credentials, and the map holds only clusters in use.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use kube::runtime::reflector::ObjectRef;
use tokio::sync::mpsc;
use tracing::{debug, info};

use crate::connect::worker_version::{self, KafkaVersion};
use crate::connect_rest::{ConnectClient, ExpandedConnector, RestError};
use crate::connector::ConnectorRunState;
use crate::crd::Connector;

/// The connectors of one cluster, as last listed.
pub type Listing = Arc<BTreeMap<String, ExpandedConnector>>;

/// A failed listing, kept briefly so that many connectors of a dead cluster share one error.
#[derive(Clone, Debug)]
pub struct ListingError(pub Arc<RestError>);

#[derive(Default)]
struct Cluster {
    client: Option<ConnectClient>,
    /// The last listing and when it was taken.
    last: Option<(Instant, Result<Listing, ListingError>)>,
    /// Connector names on this cluster and the resources that manage them.
    watchers: HashMap<String, ObjectRef<Connector>>,
    poller_running: bool,
    /// The worker's Kafka version (`GET /`) and when it was read.
    version: Option<(Instant, Option<KafkaVersion>)>,
}

/// The observation cache of every Connect cluster Sluice talks to.
pub struct ConnectCache {
    clusters: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Cluster>>>>,
    /// Where each Connector is watched: its cluster's key and its name on Connect.
    homes: Mutex<HashMap<ObjectRef<Connector>, (String, String)>>,
    resync: Duration,
    trigger: mpsc::UnboundedSender<ObjectRef<Connector>>,
}

/// How long a failed listing is reused before Connect is asked again.
const ERROR_TTL: Duration = Duration::from_secs(3);
/// How long a worker's version is reused: workers are upgraded by a roll, rarely, and a
/// call their new version has waits at most this long for it.
const VERSION_TTL: Duration = Duration::from_secs(600);

impl ConnectCache {
    /// The cache, and the stream of Connectors its pollers want reconciled.
    pub fn new(resync: Duration) -> (Arc<Self>, mpsc::UnboundedReceiver<ObjectRef<Connector>>) {
        let (trigger, rx) = mpsc::unbounded_channel();
        let cache = Self { clusters: Mutex::default(), homes: Mutex::default(), resync, trigger };
        (Arc::new(cache), rx)
    }

    /// The cluster `key`, locked; created when missing. A poller that stops removes its
    /// cluster from the map under that cluster's lock, so a lock on a cluster that is no
    /// longer the map's is let go and the map asked again.
    async fn locked(&self, key: &str) -> tokio::sync::OwnedMutexGuard<Cluster> {
        loop {
            let cluster = self
                .clusters
                .lock()
                .expect("cluster map lock")
                .entry(key.to_owned())
                .or_default()
                .clone();
            let guard = cluster.clone().lock_owned().await;
            let current = self
                .clusters
                .lock()
                .expect("cluster map lock")
                .get(key)
                .is_some_and(|c| Arc::ptr_eq(c, &cluster));
            if current {
                return guard;
            }
        }
    }

    /// The cluster `key`, if it is in the map.
    fn existing(&self, key: &str) -> Option<Arc<tokio::sync::Mutex<Cluster>>> {
        self.clusters.lock().expect("cluster map lock").get(key).cloned()
    }

    /// Number of clusters held, for tests.
    pub fn cluster_count(&self) -> usize {
        self.clusters.lock().expect("cluster map lock").len()
    }

    /// The cluster's connectors, listed at most `max_age` (at most the resync) ago.
    /// Concurrent callers of a stale cluster wait for one listing rather than each making
    /// their own, so a cluster is listed at most once per `max_age` however many connectors
    /// ask.
    pub async fn listing(
        self: &Arc<Self>,
        key: &str,
        client: &ConnectClient,
        connector: &str,
        resource: ObjectRef<Connector>,
        max_age: Duration,
    ) -> Result<Listing, ListingError> {
        let home = (key.to_owned(), connector.to_owned());
        let moved = self
            .homes
            .lock()
            .expect("homes lock")
            .insert(resource.clone(), home.clone())
            .filter(|old| *old != home);
        if let Some((old_key, old_name)) = moved {
            self.unwatch(&old_key, &old_name, &resource).await;
        }
        let mut c = self.locked(key).await;
        c.client = Some(client.clone());
        c.watchers.insert(connector.to_owned(), resource);
        if !c.poller_running {
            c.poller_running = true;
            let cluster = self.existing(key).expect("held under its lock");
            tokio::spawn(poll_loop(Arc::downgrade(self), key.to_owned(), cluster));
        }
        let fresh = match &c.last {
            Some((at, Ok(_))) => at.elapsed() < max_age.min(self.resync),
            Some((at, Err(_))) => at.elapsed() < ERROR_TTL.min(self.resync),
            None => false,
        };
        if !fresh {
            let result = list(key, client).await;
            c.last = Some((Instant::now(), result));
        }
        c.last.as_ref().expect("just set").1.clone()
    }

    /// The Kafka version of the cluster's workers, read at most every [`VERSION_TTL`];
    /// `None` when the worker does not say (or did not answer: the listing's error tells).
    pub async fn version(&self, key: &str, client: &ConnectClient) -> Option<KafkaVersion> {
        let cluster = self.existing(key)?;
        let mut c = cluster.lock().await;
        if let Some((at, version)) = c.version
            && at.elapsed() < VERSION_TTL
        {
            return version;
        }
        let read = match client.version().await {
            Ok(reported) => worker_version::of_worker(&reported),
            Err(e) => {
                debug!(cluster = %key, "GET / failed: {e}");
                return None;
            }
        };
        c.version = Some((Instant::now(), read));
        read
    }

    /// Forgets the cluster's listing, after Sluice changed something there.
    pub async fn invalidate(&self, key: &str) {
        if let Some(cluster) = self.existing(key) {
            cluster.lock().await.last = None;
        }
    }

    /// The Connector no longer needs watching (it is being deleted).
    pub async fn release(&self, resource: &ObjectRef<Connector>) {
        let home = self.homes.lock().expect("homes lock").remove(resource);
        if let Some((key, name)) = home {
            self.unwatch(&key, &name, resource).await;
        }
    }

    /// Stops watching `name` on cluster `key` for `resource`, unless another resource
    /// watches that name now.
    async fn unwatch(&self, key: &str, name: &str, resource: &ObjectRef<Connector>) {
        let Some(cluster) = self.existing(key) else { return };
        let mut c = cluster.lock().await;
        if c.watchers.get(name) == Some(resource) {
            c.watchers.remove(name);
        }
    }
}

async fn list(key: &str, client: &ConnectClient) -> Result<Listing, ListingError> {
    let started = std::time::Instant::now();
    let result = client.list_expanded().await;
    let states: Option<Vec<ConnectorRunState>> = result.as_ref().ok().map(|l| {
        l.values()
            .map(|c| {
                c.status.as_ref().map_or(ConnectorRunState::Unknown, |s| {
                    ConnectorRunState::parse(&s.connector.state)
                })
            })
            .collect()
    });
    crate::metrics::listing(key, started.elapsed(), states.as_deref());
    result.map(Arc::new).map_err(|e| ListingError(Arc::new(e)))
}

async fn poll_loop(
    cache: std::sync::Weak<ConnectCache>,
    key: String,
    cluster: Arc<tokio::sync::Mutex<Cluster>>,
) {
    info!(cluster = %key, "observing Connect cluster");
    loop {
        let Some(resync) = cache.upgrade().map(|c| c.resync) else { return };
        tokio::time::sleep(resync).await;
        let Some(cache) = cache.upgrade() else { return };
        let mut c = cluster.lock().await;
        if c.watchers.is_empty() {
            c.poller_running = false;
            // Under this cluster's lock, so no caller adds a watcher to a cluster that left.
            cache
                .clusters
                .lock()
                .expect("cluster map lock")
                .retain(|k, v| *k != key || !Arc::ptr_eq(v, &cluster));
            info!(cluster = %key, "no connectors left; stopped observing");
            crate::metrics::forget_cluster(&key);
            return;
        }
        let Some(client) = c.client.clone() else { continue };
        let before = c.last.as_ref().and_then(|(_, r)| r.as_ref().ok().cloned());
        let after = list(&key, &client).await;
        let changed =
            changed_connectors(before.as_deref(), after.as_ref().ok().map(|l| &**l), &c.watchers);
        let became_unreachable = after.is_err() && before.is_some();
        c.last = Some((Instant::now(), after));
        let to_trigger: Vec<ObjectRef<Connector>> = if became_unreachable {
            c.watchers.values().cloned().collect()
        } else {
            changed.into_iter().filter_map(|name| c.watchers.get(&name).cloned()).collect()
        };
        drop(c);
        for resource in to_trigger {
            debug!(cluster = %key, connector = %resource.name, "connector changed on Connect");
            if cache.trigger.send(resource).is_ok() {
                crate::metrics::queued(super::connector::CONTROLLER, 1);
            }
        }
    }
}

/// Watched connectors whose entry differs between two listings (or all of them when the
/// cluster was not reachable before).
fn changed_connectors(
    before: Option<&BTreeMap<String, ExpandedConnector>>,
    after: Option<&BTreeMap<String, ExpandedConnector>>,
    watched: &HashMap<String, ObjectRef<Connector>>,
) -> Vec<String> {
    watched
        .keys()
        .filter(|name| match (before, after) {
            (Some(b), Some(a)) => b.get(*name) != a.get(*name),
            (None, Some(_)) => true,
            _ => false,
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect_rest::{ConnectorStateInfo, StateInfo};

    fn entry(state: &str) -> ExpandedConnector {
        ExpandedConnector {
            status: Some(ConnectorStateInfo {
                name: "a".into(),
                connector: StateInfo { state: state.into(), worker_id: None, trace: None },
                tasks: vec![],
            }),
            info: None,
        }
    }

    #[tokio::test]
    async fn a_connector_that_moves_or_goes_leaves_its_cluster_and_idle_pollers_stop() {
        crate::tls::install_crypto_provider();
        let (cache, _triggers) = ConnectCache::new(Duration::from_millis(30));
        // Nothing listens there: listings fail fast, which is all this needs.
        let client = ConnectClient::new(reqwest::Client::new(), "http://127.0.0.1:1").unwrap();
        let resource = ObjectRef::new("orders").within("team-a");
        // Pollers tick every 30 ms; wait for the one that must stop, however slow the machine.
        let clusters_become = |n: usize| {
            let cache = cache.clone();
            async move {
                for _ in 0..1000 {
                    if cache.cluster_count() == n {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                panic!("{} clusters held, not {n}", cache.cluster_count());
            }
        };
        let _ =
            cache.listing("old#creds", &client, "orders", resource.clone(), Duration::ZERO).await;
        assert_eq!(cache.cluster_count(), 1);
        // Rotated credentials: another key. The old poller has nothing left and stops.
        let _ =
            cache.listing("old#rotated", &client, "orders", resource.clone(), Duration::ZERO).await;
        clusters_become(1).await;
        assert!(cache.existing("old#creds").is_none());
        // Renamed on Connect, same cluster: the old name is no longer watched.
        let _ = cache
            .listing("old#rotated", &client, "orders-v2", resource.clone(), Duration::ZERO)
            .await;
        let watched: Vec<String> = {
            let cluster = cache.existing("old#rotated").unwrap();
            cluster.lock().await.watchers.keys().cloned().collect()
        };
        assert_eq!(watched, ["orders-v2"]);
        // Deleted: nothing is polled any more.
        cache.release(&resource).await;
        clusters_become(0).await;
        // Invalidating a cluster nobody watches creates nothing.
        cache.invalidate("old#creds").await;
        assert_eq!(cache.cluster_count(), 0);
    }

    #[test]
    fn only_watched_connectors_that_changed_are_triggered() {
        let before = BTreeMap::from([
            ("a".to_owned(), entry("RUNNING")),
            ("b".to_owned(), entry("RUNNING")),
        ]);
        let after =
            BTreeMap::from([("a".to_owned(), entry("FAILED")), ("b".to_owned(), entry("RUNNING"))]);
        let watched: HashMap<String, ObjectRef<Connector>> = ["a", "b", "c"]
            .into_iter()
            .map(|n| (n.to_owned(), ObjectRef::new(n).within("ns")))
            .collect();
        let mut changed = changed_connectors(Some(&before), Some(&after), &watched);
        changed.sort();
        // c: absent before and after, no change.
        assert_eq!(changed, vec!["a".to_owned()]);
        let gone = BTreeMap::from([("b".to_owned(), entry("RUNNING"))]);
        assert_eq!(changed_connectors(Some(&before), Some(&gone), &watched), vec!["a".to_owned()]);
    }
}
