//! Tests only: real okapi-ospf instances over simulated links, in virtual time, and their
//! views serialized exactly as okapi-ospfd answers them, for the renderer and handler tests.
//!
//! ```text
//!   TestNet::p2p()   r1 (10.0.0.1) eth1 10.0.12.1/30 ──── 10.0.12.2/30 eth1 r2 (10.0.0.2)
//!   TestNet::lan()   r1, r2, r3 on eth1 10.0.123.{1,2,3}/24 (r3 becomes DR, r2 Backup)
//!
//!   router ──Output::Send──► link ──(1 ms)──► Input::Packet on every other member (multicast)
//!                                               or the member with that address (unicast)
//!   clock: jumps to the next delivery or the earliest Instance::next_deadline, then Tick
//! ```
//!
//! Every router also has `lo` (ifindex 1) with its router ID as a /32, announced as a stub.
//!
//! [`FakeOspfd`] serves one router's views on `<run dir>/ospf.sock` with okapi-ospfd's
//! endpoints, for the handler tests and tests/cli.rs (which includes this file by path).

#![allow(dead_code, reason = "shared by the unit tests and tests/cli.rs, each using a part")]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use okapi_ospf::instance::{ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use okapi_ospf::neighbor::NeighborState;
use okapi_ospf::{Config, Input, Instance, InterfaceConfig, LsaType, NetworkType, Output};
use okapi_runtime::control;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// One router's interface on a link.
#[derive(Debug, Clone, Copy)]
struct Port {
    router: usize,
    ifindex: u32,
    address: Ipv4Addr,
    prefix_len: u8,
}

pub struct TestNet {
    pub now: Instant,
    configs: Vec<Config>,
    routers: Vec<Option<Instance>>,
    links: Vec<Vec<Port>>,
    /// (router, ifindex) -> link.
    link_of: BTreeMap<(usize, u32), usize>,
    deliveries: BinaryHeap<Reverse<(Instant, u64)>>,
    pending: BTreeMap<u64, (usize, Input)>,
    sequence: u64,
}

impl TestNet {
    /// `count` routers, 10.0.0.1 upwards, each with an announced loopback; no links yet.
    pub fn new(count: usize) -> Self {
        let configs = (0..count)
            .map(|index| {
                let id = router_id(index);
                Config::new(id).announce(id, 32, 0)
            })
            .collect();
        TestNet {
            now: Instant::now(),
            configs,
            routers: (0..count).map(|_| None).collect(),
            links: Vec::new(),
            link_of: BTreeMap::new(),
            deliveries: BinaryHeap::new(),
            pending: BTreeMap::new(),
            sequence: 0,
        }
    }

    /// Two routers on a point-to-point link, Full.
    pub fn p2p() -> Self {
        let mut net = TestNet::new(2);
        net.link(NetworkType::PointToPoint, &[0, 1], [10, 0, 12], 30);
        net.start();
        net.converge();
        net
    }

    /// Three routers on a broadcast LAN: r3 DR, r2 Backup, r1 DROther; all Full with the DR
    /// and the Backup.
    pub fn lan() -> Self {
        TestNet::lan_of(3)
    }

    /// `count` routers on a broadcast LAN 10.0.123.0/24 (the highest router ID is DR, the next
    /// Backup); DROthers stay 2-Way with each other.
    pub fn lan_of(count: usize) -> Self {
        let mut net = TestNet::new(count);
        let members: Vec<usize> = (0..count).collect();
        net.link(NetworkType::Broadcast, &members, [10, 0, 123], 24);
        net.start();
        net.converge();
        net
    }

    /// A link joining `members` on `net.0/len`: member `i` gets `net.(i+1)` on its next
    /// interface (`eth1`, `eth2`, ... with ifindex 2, 3, ...), cost 10, Hello 1 s, dead 4 s.
    pub fn link(&mut self, network_type: NetworkType, members: &[usize], net: [u8; 3], prefix_len: u8) {
        let link = self.links.len();
        let mut ports = Vec::new();
        for (position, router) in members.iter().enumerate() {
            let config = &mut self.configs[*router];
            let ifindex = config.interfaces.len() as u32 + 2;
            let mut interface = InterfaceConfig::new(ifindex, format!("eth{}", ifindex - 1));
            interface.network_type = network_type;
            interface.hello_interval = 1;
            interface.dead_interval = 4;
            config.interfaces.push(interface);
            let port = Port {
                router: *router,
                ifindex,
                address: Ipv4Addr::new(net[0], net[1], net[2], position as u8 + 1),
                prefix_len,
            };
            self.link_of.insert((*router, ifindex), link);
            ports.push(port);
        }
        self.links.push(ports);
    }

    /// Starts every router: its loopback, its addresses and its links up.
    pub fn start(&mut self) {
        for index in 0..self.routers.len() {
            let (instance, outputs) = Instance::new(self.configs[index].clone(), self.now);
            self.routers[index] = Some(instance);
            self.process(index, outputs);
            let mut inputs = vec![
                Input::InterfaceUp { ifindex: 1, mtu: 65535 },
                Input::AddressAdded {
                    ifindex: 1,
                    address: router_id(index),
                    prefix_len: 32,
                },
            ];
            for port in self.links.iter().flatten().filter(|port| port.router == index) {
                inputs.push(Input::AddressAdded {
                    ifindex: port.ifindex,
                    address: port.address,
                    prefix_len: port.prefix_len,
                });
                inputs.push(Input::InterfaceUp {
                    ifindex: port.ifindex,
                    mtu: 1500,
                });
            }
            for input in inputs {
                self.input(index, input);
            }
        }
    }

    /// Runs until every adjacency that should be Full is, every router has a route to every
    /// other loopback and nothing waits for retransmission, then 2 s more (so that ages and
    /// timers are not all zero).
    pub fn converge(&mut self) {
        let deadline = self.now + Duration::from_secs(120);
        while !self.converged() {
            assert!(self.now < deadline, "the test network did not converge in 120 s");
            assert!(self.step(), "the test network went idle before converging");
        }
        self.run_for(Duration::from_secs(2));
    }

    fn converged(&self) -> bool {
        let count = self.routers.len();
        (0..count).all(|router| {
            let instance = self.instance(router);
            let neighbors = instance.neighbors_view(self.now);
            let adjacent = neighbors.iter().all(|neighbor| {
                neighbor.state == NeighborState::Full
                    || (neighbor.state == NeighborState::TwoWay && neighbor.role == "DROther")
            });
            let expected = self
                .links
                .iter()
                .filter(|ports| ports.iter().any(|p| p.router == router));
            let peers: usize = expected.map(|ports| ports.len() - 1).sum();
            let quiet = neighbors
                .iter()
                .all(|neighbor| neighbor.retransmit_list == 0 && neighbor.request_list == 0);
            let routes = (0..count).filter(|other| *other != router).all(|other| {
                instance
                    .routes()
                    .iter()
                    .any(|(prefix, _)| prefix.addr() == router_id(other) && prefix.prefix_len() == 32)
            });
            neighbors.len() == peers && adjacent && quiet && routes
        })
    }

    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.next_event().is_some_and(|at| at <= end) {
            self.step();
        }
        self.now = end;
    }

    pub fn instance(&self, router: usize) -> &Instance {
        self.routers[router].as_ref().expect("the router was started")
    }

    fn input(&mut self, router: usize, input: Input) {
        let now = self.now;
        let Some(instance) = self.routers[router].as_mut() else {
            return;
        };
        let outputs = instance.handle(input, now);
        self.process(router, outputs);
    }

    fn process(&mut self, router: usize, outputs: Vec<Output>) {
        for output in outputs {
            if let Output::Send {
                ifindex,
                destination,
                ttl,
                bytes,
            } = output
            {
                let Some(link) = self.link_of.get(&(router, ifindex)).copied() else {
                    continue;
                };
                let ports = &self.links[link];
                let Some(source) = ports.iter().find(|p| p.router == router).map(|p| p.address) else {
                    continue;
                };
                let multicast = destination == ALL_SPF_ROUTERS || destination == ALL_D_ROUTERS;
                let receivers: Vec<Port> = ports
                    .iter()
                    .filter(|p| p.router != router && (multicast || p.address == destination))
                    .copied()
                    .collect();
                for receiver in receivers {
                    self.sequence += 1;
                    let input = Input::Packet {
                        ifindex: receiver.ifindex,
                        source,
                        destination,
                        ttl,
                        bytes: bytes.clone(),
                    };
                    self.pending.insert(self.sequence, (receiver.router, input));
                    self.deliveries
                        .push(Reverse((self.now + Duration::from_millis(1), self.sequence)));
                }
            }
        }
    }

    fn next_event(&self) -> Option<Instant> {
        let delivery = self.deliveries.peek().map(|Reverse((at, _))| *at);
        let deadline = self.routers.iter().flatten().filter_map(Instance::next_deadline).min();
        match (delivery, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances to the next instant with work and does it; false when idle.
    fn step(&mut self) -> bool {
        let Some(at) = self.next_event() else { return false };
        self.now = self.now.max(at);
        while let Some(Reverse((when, sequence))) = self.deliveries.peek().copied() {
            if when > self.now {
                break;
            }
            self.deliveries.pop();
            if let Some((router, input)) = self.pending.remove(&sequence) {
                self.input(router, input);
            }
        }
        for router in 0..self.routers.len() {
            let due = self.routers[router]
                .as_ref()
                .and_then(Instance::next_deadline)
                .is_some_and(|deadline| deadline <= self.now);
            if due {
                self.input(router, Input::Tick);
            }
        }
        true
    }

    // ----- the daemon's answers -----

    /// `GET /ospf`.
    pub fn instance_json(&self, router: usize) -> Value {
        serde_json::to_value(self.instance(router).view(self.now)).expect("serializes")
    }

    /// `GET /ospf/interfaces`.
    pub fn interfaces_json(&self, router: usize) -> Value {
        json!({ "interfaces": self.instance(router).interfaces_view(self.now) })
    }

    /// `GET /ospf/neighbors`.
    pub fn neighbors_json(&self, router: usize) -> Value {
        json!({ "neighbors": self.instance(router).neighbors_view(self.now) })
    }

    /// `GET /ospf/database`.
    pub fn database_json(&self, router: usize) -> Value {
        json!({ "lsas": self.instance(router).database_view(self.now) })
    }

    /// `GET /ospf/database?type=...[&lsid=...]`: the LSAs of that type in full (`lsid` is
    /// checked only when given).
    pub fn database_detail_json(&self, router: usize, lsa_type: LsaType, lsid: Option<Ipv4Addr>) -> Value {
        let instance = self.instance(router);
        let details: Vec<_> = instance
            .lsdb()
            .iter()
            .filter(|(key, _)| key.lsa_type == lsa_type && lsid.is_none_or(|id| key.link_state_id == id))
            .filter_map(|(key, _)| instance.lsa_detail(key, self.now))
            .collect();
        json!({ "lsas": details })
    }

    /// `GET /ospf/routes`.
    pub fn routes_json(&self, router: usize) -> Value {
        json!({ "routes": self.instance(router).routes() })
    }
}

pub fn router_id(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, index as u8 + 1)
}

/// The daemon's answers for one router, taken once.
struct Snapshot {
    instance: Value,
    interfaces: Value,
    neighbors: Value,
    database: Value,
    /// `type=` word -> `{"lsas": [LsaDetailView...]}` of every LSA of that type.
    details: BTreeMap<&'static str, Value>,
    routes: Value,
}

/// The words of `?type=` and their LS types.
const TYPES: &[(&str, LsaType)] = &[
    ("router", LsaType::ROUTER),
    ("network", LsaType::NETWORK),
    ("summary", LsaType::SUMMARY_NETWORK),
    ("asbr-summary", LsaType::SUMMARY_ASBR),
    ("external", LsaType::AS_EXTERNAL),
];

/// okapi-ospfd's control API on `<run dir>/ospf.sock`, answering with one router's views as
/// they were when it started; stopped on drop. Every request is recorded (`path?query`).
pub struct FakeOspfd {
    pub requests: Arc<Mutex<Vec<String>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeOspfd {
    pub fn start(net: &TestNet, router: usize, run_dir: &Path) -> FakeOspfd {
        let snapshot = Arc::new(Snapshot {
            instance: net.instance_json(router),
            interfaces: net.interfaces_json(router),
            neighbors: net.neighbors_json(router),
            database: net.database_json(router),
            details: TYPES
                .iter()
                .map(|(word, lsa_type)| (*word, net.database_detail_json(router, *lsa_type, None)))
                .collect(),
            routes: net.routes_json(router),
        });
        let requests = Arc::new(Mutex::new(Vec::new()));
        let api = control::Router::new();
        let answer = |pick: fn(&Snapshot, &control::Request) -> Result<Value, control::ApiError>| {
            let snapshot = snapshot.clone();
            let requests = requests.clone();
            move |request: control::Request| {
                let query: Vec<String> = request.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let line = if query.is_empty() {
                    request.path.clone()
                } else {
                    format!("{}?{}", request.path, query.join("&"))
                };
                requests
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(line);
                let result = pick(&snapshot, &request);
                async move { result }
            }
        };
        api.get("/ospf", answer(|s, _| Ok(s.instance.clone())));
        api.get("/ospf/interfaces", answer(|s, _| Ok(s.interfaces.clone())));
        api.get("/ospf/neighbors", answer(|s, _| Ok(s.neighbors.clone())));
        api.get("/ospf/routes", answer(|s, _| Ok(s.routes.clone())));
        api.get(
            "/ospf/database",
            answer(|s, request| {
                let Some(word) = request.param("type") else {
                    return Ok(s.database.clone());
                };
                let all = s
                    .details
                    .get(word)
                    .ok_or_else(|| control::ApiError::bad_request(format!("unknown LSA type {word}")))?;
                let lsas = all["lsas"].as_array().cloned().unwrap_or_default();
                let kept: Vec<Value> = match request.param("lsid") {
                    Some(lsid) => lsas
                        .into_iter()
                        .filter(|lsa| lsa["link_state_id"].as_str() == Some(lsid))
                        .collect(),
                    None => lsas,
                };
                Ok(json!({ "lsas": kept }))
            }),
        );
        let socket = run_dir.join("ospf.sock");
        let (shutdown, stop) = oneshot::channel::<()>();
        let (ready, started) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the fake okapi-ospfd");
            runtime.block_on(async move {
                let listener = control::bind(&socket).await.expect("bind the fake okapi-ospfd socket");
                let _ = ready.send(());
                control::serve(listener, socket, api, async {
                    let _ = stop.await;
                })
                .await;
            });
        });
        started.recv().expect("the fake okapi-ospfd started");
        FakeOspfd {
            requests,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The requests so far, and forgets them.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

impl Drop for FakeOspfd {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
