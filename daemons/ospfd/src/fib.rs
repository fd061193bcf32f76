//! Kernel routes: the SPF's routing table, as routes with protocol 188 and metric =
//! `distance`, reconciled by a task of its own so that the protocol never waits on netlink.
//!
//! ```text
//!   main loop ── RoutesChanged ──► Fib::apply ──► desired[prefix], dirty{prefix} ──notify──┐
//!                                                                                        ▼
//!   kernel ◄── route_replace / route_delete ◄── worker: for each dirty prefix, make the
//!                                               kernel's routes (installed) equal desired
//! ```
//!
//! - The state is *desired* routes plus a set of dirty prefixes, so the memory is one entry
//!   per prefix however fast the SPF runs, and a burst of changes to one prefix costs one
//!   netlink request.
//! - Routes marked `connected` (the kernel has them) and routes without a next hop are not
//!   installed.
//! - **Restart**: routes of protocol 188 found at start are *installed* (adopted). A prefix
//!   the SPF reproduces is replaced only if its next hops differ (no gap in forwarding); the
//!   others are *stale* and stay until the grace period ends (the largest dead interval of
//!   the configuration plus [`GRACE_MARGIN`], from the daemon's start): by then every
//!   neighbor that was up before the restart is Full again and its routes computed. Then
//!   the stale routes are deleted.
//! - A failed request is logged with what was attempted, counted, and retried on the next
//!   change and every [`RETRY_INTERVAL`].
//! - A route the kernel lost is forgotten: deleted by someone (a netlink event), it is
//!   installed again at once if still desired; flushed with its interface (no event), the
//!   SPF's next change for it installs it again.
//! - When netlink events were lost, the kernel's routes (re-dumped) replace what the worker
//!   believes is installed, and every prefix is reconciled again.
//! - On stop, every route of ours is deleted unless `keep-routes-on-stop`.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use okapi_ospf::spf::{Ipv4Prefix, OspfRoute, RouteChange};
use okapi_runtime::netlink::{MAX_NEXTHOPS, Netlink, NextHop, RT_TABLE_MAIN, RTPROT_OSPF, Route};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Added to the largest dead interval to make the restart grace period.
pub const GRACE_MARGIN: Duration = Duration::from_secs(5);
/// How often failed requests are retried when nothing else changes.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(5);
/// The most routes the worker forgets at once on kernel events (a bound on that queue).
const MAX_FORGET: usize = 100_000;

/// A prefix as the kernel keys it (with the table and the metric).
type Key = (Ipv4Addr, u8);

/// What a kernel request returned, reduced to what the worker needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    pub message: String,
    /// The route to delete was not there.
    pub not_found: bool,
}

/// The kernel's routing table, as the worker uses it (netlink in the daemon, a recorder in
/// tests).
pub trait Kernel: Send + Sync + 'static {
    fn replace(&self, route: &Route) -> impl Future<Output = Result<(), KernelError>> + Send;
    fn delete(&self, route: &Route) -> impl Future<Output = Result<(), KernelError>> + Send;
}

impl Kernel for Netlink {
    async fn replace(&self, route: &Route) -> Result<(), KernelError> {
        self.route_replace(route).await.map_err(|error| KernelError {
            message: error.to_string(),
            not_found: error.is_not_found(),
        })
    }

    async fn delete(&self, route: &Route) -> Result<(), KernelError> {
        self.route_delete(route).await.map_err(|error| KernelError {
            message: error.to_string(),
            not_found: error.is_not_found(),
        })
    }
}

/// What `GET /ospf` shows under `kernel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FibStats {
    /// The metric of our routes.
    pub distance: u32,
    /// Routes of ours in the kernel (as far as the worker knows).
    pub installed: usize,
    /// Prefixes waiting for the worker (dirty, or failed and waiting for a retry).
    pub pending: usize,
    /// Routes found at start that the SPF has not reproduced (deleted when the grace ends).
    pub stale: usize,
    /// Milliseconds until the restart grace period ends (`None`: it ended).
    pub grace_remaining_ms: Option<u64>,
    pub replaced: u64,
    pub deleted: u64,
    /// Failed netlink requests.
    pub errors: u64,
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    desired: BTreeMap<Key, Route>,
    dirty: BTreeSet<Key>,
    stale: BTreeSet<Key>,
    /// Kernel routes lost behind our back: forget them (key, metric), and whole interfaces.
    forget_routes: BTreeSet<(Key, u32)>,
    forget_ifindexes: BTreeSet<u32>,
    /// Netlink events were lost: the kernel's routes of ours, as dumped.
    resync: Option<Vec<Route>>,
    /// `Some(keep)`: stop, deleting our routes unless `keep`.
    stop: Option<bool>,
    stats: FibStats,
}

/// The main loop's handle on the route worker.
pub struct Fib {
    shared: Arc<Mutex<Shared>>,
    notify: Arc<Notify>,
    worker: JoinHandle<()>,
    distance: u32,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // The worker and the main loop never panic while holding the lock; if one did, the
    // data is still a consistent map (each update is one insert or remove).
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn key_of(route: &Route) -> Option<Key> {
    match route.destination {
        IpAddr::V4(address) => Some((address, route.prefix_len)),
        IpAddr::V6(_) => None,
    }
}

/// The next hops in a canonical order, so that a route read back from the kernel compares
/// equal to the one we asked for.
fn normalized(mut route: Route) -> Route {
    for hop in &mut route.nexthops {
        hop.weight = 1;
    }
    route.nexthops.sort_by_key(|hop| (hop.ifindex, hop.gateway));
    route.nexthops.dedup();
    route
}

/// The kernel route for an SPF route, or `None` when it must not be installed (connected,
/// or no next hop).
pub fn kernel_route(prefix: Ipv4Prefix, route: &OspfRoute, distance: u32) -> Option<Route> {
    if route.connected {
        return None;
    }
    let nexthops: Vec<NextHop> = route
        .nexthops
        .iter()
        .filter(|hop| hop.ifindex != 0)
        .take(MAX_NEXTHOPS)
        .map(|hop| NextHop::new(hop.gateway.map(IpAddr::V4), Some(hop.ifindex)))
        .collect();
    if nexthops.is_empty() {
        return None;
    }
    Some(normalized(Route {
        destination: IpAddr::V4(prefix.addr()),
        prefix_len: prefix.prefix_len(),
        table: RT_TABLE_MAIN,
        protocol: RTPROT_OSPF,
        metric: distance,
        nexthops,
    }))
}

impl Fib {
    /// Starts the worker with the routes of ours the kernel has (`existing`, protocol 188,
    /// main table) and the restart grace period.
    pub fn start<K: Kernel>(kernel: K, existing: Vec<Route>, distance: u32, grace: Duration) -> Fib {
        let mut installed: BTreeMap<Key, BTreeMap<u32, Route>> = BTreeMap::new();
        for route in existing {
            if route.protocol != RTPROT_OSPF || route.table != RT_TABLE_MAIN {
                continue;
            }
            if let Some(key) = key_of(&route) {
                installed
                    .entry(key)
                    .or_default()
                    .insert(route.metric, normalized(route));
            }
        }
        let stale: BTreeSet<Key> = installed.keys().copied().collect();
        if !stale.is_empty() {
            tracing::info!(
                routes = stale.len(),
                grace_secs = grace.as_secs(),
                "adopted routes of a previous run; the ones SPF does not reproduce go when the grace period ends"
            );
        }
        let shared = Arc::new(Mutex::new(Shared {
            stale,
            stats: FibStats {
                distance,
                ..FibStats::default()
            },
            ..Shared::default()
        }));
        let notify = Arc::new(Notify::new());
        let worker = Worker {
            kernel,
            shared: shared.clone(),
            notify: notify.clone(),
            installed,
            failed: BTreeMap::new(),
            grace_deadline: Some(Instant::now() + grace),
            stats: FibStats {
                distance,
                ..FibStats::default()
            },
        };
        let worker = tokio::spawn(worker.run());
        notify.notify_one();
        Fib {
            shared,
            notify,
            worker,
            distance,
        }
    }

    /// Takes the SPF's changes.
    pub fn apply(&mut self, changes: &[RouteChange]) {
        if changes.is_empty() {
            return;
        }
        {
            let mut shared = lock(&self.shared);
            for change in changes {
                let (prefix, route) = match change {
                    RouteChange::Add { prefix, route } => (*prefix, Some(route)),
                    RouteChange::Replace { prefix, new, .. } => (*prefix, Some(new)),
                    RouteChange::Remove { prefix, .. } => (*prefix, None),
                };
                let key = (prefix.addr(), prefix.prefix_len());
                match route.and_then(|route| kernel_route(prefix, route, self.distance)) {
                    Some(route) => {
                        shared.stale.remove(&key);
                        shared.desired.insert(key, route);
                    }
                    None => {
                        shared.desired.remove(&key);
                    }
                }
                shared.dirty.insert(key);
            }
        }
        self.notify.notify_one();
    }

    /// A new distance (reload): every route moves to the new metric.
    pub fn set_distance(&mut self, distance: u32) {
        if distance == self.distance {
            return;
        }
        self.distance = distance;
        {
            let mut shared = lock(&self.shared);
            let keys: Vec<Key> = shared.desired.keys().copied().collect();
            for route in shared.desired.values_mut() {
                route.metric = distance;
            }
            shared.dirty.extend(keys);
            shared.stats.distance = distance;
        }
        self.notify.notify_one();
    }

    /// The kernel deleted a route of protocol 188 (an administrator, or ourselves).
    pub fn route_removed(&self, route: &Route) {
        let Some(key) = key_of(route) else { return };
        {
            let mut shared = lock(&self.shared);
            if shared.forget_routes.len() >= MAX_FORGET {
                return;
            }
            shared.forget_routes.insert((key, route.metric));
            shared.dirty.insert(key);
        }
        self.notify.notify_one();
    }

    /// Netlink events were lost and the kernel dumped again: `routes` (all of them; ours are
    /// picked) replace what the worker believes is installed, and every prefix is checked.
    pub fn resync(&self, routes: &[Route]) {
        let ours: Vec<Route> = routes
            .iter()
            .filter(|route| route.protocol == RTPROT_OSPF && route.table == RT_TABLE_MAIN && key_of(route).is_some())
            .cloned()
            .collect();
        lock(&self.shared).resync = Some(ours);
        self.notify.notify_one();
    }

    /// The link `ifindex` went down or away: the kernel flushed the routes through it without
    /// saying so.
    pub fn link_down(&self, ifindex: u32) {
        lock(&self.shared).forget_ifindexes.insert(ifindex);
        self.notify.notify_one();
    }

    pub fn stats(&self) -> FibStats {
        let shared = lock(&self.shared);
        let mut stats = shared.stats.clone();
        stats.stale = shared.stale.len();
        stats.pending = stats.pending.max(shared.dirty.len());
        stats
    }

    /// Stops the worker: our routes are deleted unless `keep`. Waits at most `limit`.
    pub async fn stop(self, keep: bool, limit: Duration) {
        lock(&self.shared).stop = Some(keep);
        self.notify.notify_one();
        let worker = self.worker;
        tokio::pin!(worker);
        if tokio::time::timeout(limit, &mut worker).await.is_err() {
            tracing::warn!("kernel routes: not done within {} s; giving up", limit.as_secs());
            worker.abort();
        }
    }
}

struct Worker<K> {
    kernel: K,
    shared: Arc<Mutex<Shared>>,
    notify: Arc<Notify>,
    /// What the kernel has, as far as we know: prefix -> metric -> route.
    installed: BTreeMap<Key, BTreeMap<u32, Route>>,
    /// Prefixes whose last request failed, with the error last logged.
    failed: BTreeMap<Key, String>,
    grace_deadline: Option<Instant>,
    stats: FibStats,
}

/// What the worker takes from the shared state for one round.
struct Batch {
    work: Vec<(Key, Option<Route>, bool)>,
    stop: Option<bool>,
}

impl<K: Kernel> Worker<K> {
    async fn run(mut self) {
        loop {
            let retry_at = (!self.failed.is_empty()).then(|| Instant::now() + RETRY_INTERVAL);
            let wake_at = match (retry_at, self.grace_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        _ = self.notify.notified() => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => self.notify.notified().await,
            }
            let batch = self.take_batch();
            for (key, desired, stale) in batch.work {
                self.reconcile(key, desired, stale).await;
            }
            self.publish();
            if let Some(keep) = batch.stop {
                if !keep {
                    self.remove_all().await;
                }
                self.publish();
                return;
            }
        }
    }

    fn take_batch(&mut self) -> Batch {
        let mut shared = lock(&self.shared);
        // The grace period ends: stale routes become ordinary work (deleted, as not desired).
        if self.grace_deadline.is_some_and(|at| at <= Instant::now()) || shared.stale.is_empty() {
            if self.grace_deadline.take().is_some() && !shared.stale.is_empty() {
                tracing::info!(
                    routes = shared.stale.len(),
                    "restart grace period over: deleting the routes of the previous run SPF did not reproduce"
                );
            }
            let stale = std::mem::take(&mut shared.stale);
            shared.dirty.extend(stale);
        }
        if let Some(routes) = shared.resync.take() {
            self.installed.clear();
            for route in routes {
                if let Some(key) = key_of(&route) {
                    self.installed
                        .entry(key)
                        .or_default()
                        .insert(route.metric, normalized(route));
                }
            }
            let keys: Vec<Key> = self.installed.keys().chain(shared.desired.keys()).copied().collect();
            shared.dirty.extend(keys);
            shared.forget_routes.clear();
        }
        for (key, metric) in std::mem::take(&mut shared.forget_routes) {
            if let Some(routes) = self.installed.get_mut(&key) {
                routes.remove(&metric);
                if routes.is_empty() {
                    self.installed.remove(&key);
                }
            }
        }
        let ifindexes = std::mem::take(&mut shared.forget_ifindexes);
        if !ifindexes.is_empty() {
            let through = |route: &Route| {
                route
                    .nexthops
                    .iter()
                    .any(|hop| hop.ifindex.is_some_and(|ifindex| ifindexes.contains(&ifindex)))
            };
            // Forgotten, not re-installed: the SPF is about to replace them (the interface
            // went down), and whatever it asks for then is compared with what is left.
            for routes in self.installed.values_mut() {
                routes.retain(|_, route| !through(route));
            }
            self.installed.retain(|_, routes| !routes.is_empty());
        }
        let mut keys = std::mem::take(&mut shared.dirty);
        keys.extend(self.failed.keys().copied());
        let work = keys
            .into_iter()
            .map(|key| (key, shared.desired.get(&key).cloned(), shared.stale.contains(&key)))
            .collect();
        Batch {
            work,
            stop: shared.stop,
        }
    }

    fn publish(&mut self) {
        self.stats.installed = self.installed.values().map(BTreeMap::len).sum();
        self.stats.pending = self.failed.len();
        self.stats.grace_remaining_ms = self
            .grace_deadline
            .map(|at| u64::try_from(at.saturating_duration_since(Instant::now()).as_millis()).unwrap_or(u64::MAX));
        let mut shared = lock(&self.shared);
        let distance = shared.stats.distance;
        shared.stats = FibStats {
            distance,
            ..self.stats.clone()
        };
    }

    /// Makes the kernel's routes for `key` what is desired.
    async fn reconcile(&mut self, key: Key, desired: Option<Route>, stale: bool) {
        let installed: Vec<Route> = self
            .installed
            .get(&key)
            .map(|routes| routes.values().cloned().collect())
            .unwrap_or_default();
        let mut ok = true;
        match &desired {
            Some(route) => {
                let present = installed.iter().any(|other| other == route);
                if !present {
                    match self.kernel.replace(route).await {
                        Ok(()) => {
                            self.stats.replaced += 1;
                            self.installed
                                .entry(key)
                                .or_default()
                                .insert(route.metric, route.clone());
                        }
                        Err(error) => {
                            self.failure(key, "replace", error);
                            return;
                        }
                    }
                }
                // Routes of another metric (the distance changed, or a previous run's).
                for old in installed.iter().filter(|old| old.metric != route.metric) {
                    ok &= self.delete(key, old).await;
                }
            }
            None if stale => {}
            None => {
                for old in &installed {
                    ok &= self.delete(key, old).await;
                }
            }
        }
        if ok && self.failed.remove(&key).is_some() {
            tracing::info!(prefix = %format!("{}/{}", key.0, key.1), "kernel route request succeeded after a failure");
        }
    }

    async fn delete(&mut self, key: Key, route: &Route) -> bool {
        let result = self.kernel.delete(route).await;
        match result {
            Ok(()) => self.stats.deleted += 1,
            Err(error) if error.not_found => {}
            Err(error) => {
                self.failure(key, "delete", error);
                return false;
            }
        }
        if let Some(routes) = self.installed.get_mut(&key) {
            routes.remove(&route.metric);
            if routes.is_empty() {
                self.installed.remove(&key);
            }
        }
        true
    }

    fn failure(&mut self, key: Key, what: &str, error: KernelError) {
        self.stats.errors += 1;
        self.stats.last_error = Some(error.message.clone());
        let repeated = self.failed.get(&key) == Some(&error.message);
        if repeated {
            tracing::debug!(error = %error.message, "kernel route {what} failed again; retrying later");
        } else {
            tracing::warn!(error = %error.message, "kernel route {what} failed; retrying on the next change");
        }
        self.failed.insert(key, error.message);
    }

    async fn remove_all(&mut self) {
        let routes: Vec<(Key, Route)> = self
            .installed
            .iter()
            .flat_map(|(key, routes)| routes.values().map(move |route| (*key, route.clone())))
            .collect();
        let count = routes.len();
        for (key, route) in routes {
            self.delete(key, &route).await;
        }
        if count > 0 {
            tracing::info!(routes = count, "removed our routes from the kernel");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okapi_ospf::spf::{NextHop as OspfNextHop, PathType};

    /// A kernel that records requests and fails the ones for prefixes listed in `failing`.
    #[derive(Clone, Default)]
    struct Recorder {
        log: Arc<Mutex<Vec<String>>>,
        failing: Arc<Mutex<BTreeSet<Ipv4Addr>>>,
    }

    impl Recorder {
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.log.lock().unwrap())
        }
        fn record(&self, what: &str, route: &Route) -> Result<(), KernelError> {
            let hops: Vec<String> = route
                .nexthops
                .iter()
                .map(|hop| {
                    format!(
                        "{}@{}",
                        hop.gateway.map(|g| g.to_string()).unwrap_or_default(),
                        hop.ifindex.unwrap_or(0)
                    )
                })
                .collect();
            self.log.lock().unwrap().push(format!(
                "{what} {}/{} metric {} [{}]",
                route.destination,
                route.prefix_len,
                route.metric,
                hops.join(",")
            ));
            let IpAddr::V4(address) = route.destination else {
                unreachable!()
            };
            if self.failing.lock().unwrap().contains(&address) {
                return Err(KernelError {
                    message: format!("{what} failed"),
                    not_found: false,
                });
            }
            Ok(())
        }
    }

    impl Kernel for Recorder {
        async fn replace(&self, route: &Route) -> Result<(), KernelError> {
            self.record("replace", route)
        }
        async fn delete(&self, route: &Route) -> Result<(), KernelError> {
            self.record("delete", route)
        }
    }

    fn prefix(text: &str) -> Ipv4Prefix {
        let (address, len) = text.split_once('/').unwrap();
        Ipv4Prefix::new(address.parse().unwrap(), len.parse().unwrap())
    }

    fn ospf_route(hops: &[(&str, u32)], connected: bool) -> OspfRoute {
        OspfRoute {
            cost: 10,
            path_type: PathType::IntraArea,
            nexthops: hops
                .iter()
                .map(|(gateway, ifindex)| OspfNextHop {
                    ifindex: *ifindex,
                    gateway: Some(gateway.parse().unwrap()),
                })
                .collect(),
            advertising_routers: BTreeSet::new(),
            connected,
        }
    }

    fn kernel(destination: &str, len: u8, metric: u32, hops: &[(&str, u32)]) -> Route {
        Route {
            destination: destination.parse().unwrap(),
            prefix_len: len,
            table: RT_TABLE_MAIN,
            protocol: RTPROT_OSPF,
            metric,
            nexthops: hops
                .iter()
                .map(|(gateway, ifindex)| NextHop::new(Some(gateway.parse().unwrap()), Some(*ifindex)))
                .collect(),
        }
    }

    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    #[tokio::test]
    async fn installs_replaces_removes_and_skips_connected() {
        let recorder = Recorder::default();
        let mut fib = Fib::start(recorder.clone(), Vec::new(), 110, Duration::from_secs(60));
        settle().await;
        fib.apply(&[
            RouteChange::Add {
                prefix: prefix("10.0.0.2/32"),
                route: ospf_route(&[("10.0.12.2", 2)], false),
            },
            RouteChange::Add {
                prefix: prefix("10.0.12.0/30"),
                route: ospf_route(&[("10.0.12.2", 2)], true),
            },
            RouteChange::Add {
                prefix: prefix("10.0.0.9/32"),
                route: ospf_route(&[("10.0.13.3", 3), ("10.0.12.2", 2)], false),
            },
        ]);
        settle().await;
        assert_eq!(
            recorder.take(),
            vec![
                "replace 10.0.0.2/32 metric 110 [10.0.12.2@2]",
                "replace 10.0.0.9/32 metric 110 [10.0.12.2@2,10.0.13.3@3]",
            ]
        );
        assert_eq!(fib.stats().installed, 2);
        fib.apply(&[
            RouteChange::Replace {
                prefix: prefix("10.0.0.9/32"),
                old: ospf_route(&[("10.0.13.3", 3), ("10.0.12.2", 2)], false),
                new: ospf_route(&[("10.0.13.3", 3)], false),
            },
            RouteChange::Remove {
                prefix: prefix("10.0.0.2/32"),
                route: ospf_route(&[("10.0.12.2", 2)], false),
            },
        ]);
        settle().await;
        assert_eq!(
            recorder.take(),
            vec![
                "delete 10.0.0.2/32 metric 110 [10.0.12.2@2]",
                "replace 10.0.0.9/32 metric 110 [10.0.13.3@3]",
            ]
        );
        fib.set_distance(120);
        settle().await;
        assert_eq!(
            recorder.take(),
            vec![
                "replace 10.0.0.9/32 metric 120 [10.0.13.3@3]",
                "delete 10.0.0.9/32 metric 110 [10.0.13.3@3]",
            ]
        );
        fib.stop(false, Duration::from_secs(1)).await;
        assert_eq!(recorder.take(), vec!["delete 10.0.0.9/32 metric 120 [10.0.13.3@3]"]);
    }

    #[tokio::test(start_paused = true)]
    async fn restart_adopts_reproduced_routes_and_deletes_stale_ones_after_the_grace() {
        let recorder = Recorder::default();
        let existing = vec![
            kernel("10.0.0.2", 32, 110, &[("10.0.12.2", 2)]),
            kernel("10.0.0.3", 32, 110, &[("10.0.12.2", 2)]),
            kernel("10.0.0.4", 32, 110, &[("10.0.12.2", 2)]),
        ];
        let mut fib = Fib::start(recorder.clone(), existing, 110, Duration::from_secs(9));
        settle().await;
        assert_eq!(recorder.take(), Vec::<String>::new(), "nothing touched at start");
        assert_eq!(fib.stats().stale, 3);
        fib.apply(&[
            // Same next hop: adopted without a request.
            RouteChange::Add {
                prefix: prefix("10.0.0.2/32"),
                route: ospf_route(&[("10.0.12.2", 2)], false),
            },
            // Another next hop: replaced at once.
            RouteChange::Add {
                prefix: prefix("10.0.0.3/32"),
                route: ospf_route(&[("10.0.13.3", 3)], false),
            },
        ]);
        settle().await;
        assert_eq!(recorder.take(), vec!["replace 10.0.0.3/32 metric 110 [10.0.13.3@3]"]);
        assert_eq!(fib.stats().stale, 1);
        tokio::time::sleep(Duration::from_secs(10)).await;
        settle().await;
        assert_eq!(recorder.take(), vec!["delete 10.0.0.4/32 metric 110 [10.0.12.2@2]"]);
        let stats = fib.stats();
        assert_eq!((stats.stale, stats.installed, stats.grace_remaining_ms), (0, 2, None));
        fib.stop(true, Duration::from_secs(1)).await;
        assert_eq!(recorder.take(), Vec::<String>::new(), "keep-routes-on-stop");
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_counted_and_retried() {
        let recorder = Recorder::default();
        recorder.failing.lock().unwrap().insert("10.0.0.2".parse().unwrap());
        let mut fib = Fib::start(recorder.clone(), Vec::new(), 110, Duration::ZERO);
        settle().await;
        fib.apply(&[RouteChange::Add {
            prefix: prefix("10.0.0.2/32"),
            route: ospf_route(&[("10.0.12.2", 2)], false),
        }]);
        settle().await;
        assert_eq!(recorder.take().len(), 1);
        let stats = fib.stats();
        assert_eq!((stats.errors, stats.pending, stats.installed), (1, 1, 0));
        assert_eq!(stats.last_error.as_deref(), Some("replace failed"));
        recorder.failing.lock().unwrap().clear();
        tokio::time::sleep(RETRY_INTERVAL + Duration::from_millis(10)).await;
        settle().await;
        assert_eq!(recorder.take(), vec!["replace 10.0.0.2/32 metric 110 [10.0.12.2@2]"]);
        let stats = fib.stats();
        assert_eq!((stats.errors, stats.pending, stats.installed), (1, 0, 1));
        // The kernel flushed it with its interface: forgotten, and installed again when the
        // SPF asks for it again, even unchanged.
        fib.link_down(2);
        settle().await;
        assert_eq!(recorder.take(), Vec::<String>::new());
        fib.apply(&[RouteChange::Add {
            prefix: prefix("10.0.0.2/32"),
            route: ospf_route(&[("10.0.12.2", 2)], false),
        }]);
        settle().await;
        assert_eq!(recorder.take(), vec!["replace 10.0.0.2/32 metric 110 [10.0.12.2@2]"]);
        // Deleted behind our back: installed again at once.
        fib.route_removed(&kernel("10.0.0.2", 32, 110, &[("10.0.12.2", 2)]));
        settle().await;
        assert_eq!(recorder.take(), vec!["replace 10.0.0.2/32 metric 110 [10.0.12.2@2]"]);
        // Events lost: the dump says the route is gone and a stray one of ours is there.
        fib.resync(&[kernel("10.0.0.7", 32, 110, &[("10.0.12.2", 2)])]);
        settle().await;
        assert_eq!(
            recorder.take(),
            vec![
                "replace 10.0.0.2/32 metric 110 [10.0.12.2@2]",
                "delete 10.0.0.7/32 metric 110 [10.0.12.2@2]"
            ]
        );
        fib.stop(false, Duration::from_secs(1)).await;
        assert_eq!(recorder.take(), vec!["delete 10.0.0.2/32 metric 110 [10.0.12.2@2]"]);
    }
}
