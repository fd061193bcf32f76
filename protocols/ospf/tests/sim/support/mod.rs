//! A network of okapi-ospf instances in one process, over simulated links, in virtual time.
//!
//! ```text
//!   Network::new().hello(1, 4).routers(4).p2p(0, 1, 10).lan(&[1, 2, 3]).loopbacks().start()
//!
//!   router ──Output::Send{ifindex, destination}──► link ──(after its latency)──► Input::Packet
//!          (multicast: every other member; unicast: the member with that address)
//!
//!   deliveries: a FIFO per link latency (packets sent     ┐ step(): the clock jumps to the
//!               later arrive later on equal latencies)    │ earliest of both; every router
//!   deadlines:  one heap of (next_deadline, router),      │ with packets due handles them,
//!               pushed when a router's deadline changes;  │ then its timers if due (the
//!               stale entries are skipped                 ┘ busy routers in parallel)
//! ```
//!
//! Routers are numbered in the order they are added (router `i` has router ID
//! `10.255.0.1 + i` unless given one, see [`router_id`]); links too. A packet goes from the
//! sending interface straight to its link and receivers by index (no search): queueing and
//! delivering it is O(1), a router's deadline O(log n) in the number of routers. Each router
//! keeps the routing table built from its `Output::RoutesChanged` (see
//! [`Router::track_routes`]), checked against the instance's own table by
//! [`Network::route`] and [`Network::routes_consistent`].
//!
//! Everything is deterministic: the same builder calls give the same run, packet for
//! packet, whatever the number of threads. Random topologies come from seeded generators
//! ([`model`]), and the tests that use one print the seed when they fail (`OKAPI_SIM_SEED`
//! and `OKAPI_SIM_SEEDS` choose others).

#![allow(dead_code)]

pub mod model;

use std::cmp::Reverse;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use okapi_ospf::instance::{ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use okapi_ospf::interface::InterfaceState;
use okapi_ospf::lsdb::LsaKey;
use okapi_ospf::neighbor::NeighborState;
use okapi_ospf::spf::{Ipv4Prefix, OspfRoute, RouteChange};
use okapi_ospf::{Config, Input, Instance, InterfaceAuth, InterfaceConfig, Output};

/// How many seeds the tests over random topologies run: `OKAPI_SIM_SEEDS`, or `default`.
pub fn seeds(default: u64) -> u64 {
    std::env::var("OKAPI_SIM_SEEDS")
        .ok()
        .and_then(|seeds| seeds.parse().ok())
        .unwrap_or(default)
}

/// The seed of a test on one random topology: `OKAPI_SIM_SEED`, or `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("OKAPI_SIM_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(default)
}

/// The router ID of router `index` (unless the builder gave it another).
pub fn router_id(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 255, 0, 1)) + index as u32)
}

/// The loopback address of router `index` (a /32 announced by [`Network::loopbacks`]).
pub fn loopback(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(172, 16, 0, 1)) + index as u32)
}

/// The ifindex of every router's loopback (not an OSPF interface: its address is announced).
pub const LOOPBACK_IFINDEX: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    PointToPoint,
    Lan,
}

/// One end of a link: a router's interface on it.
#[derive(Debug, Clone, Copy)]
pub struct Attachment {
    pub router: usize,
    pub ifindex: u32,
    pub address: Ipv4Addr,
    pub prefix_len: u8,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub kind: LinkKind,
    pub members: Vec<Attachment>,
    pub up: bool,
    /// One-way delay.
    pub latency: Duration,
}

/// A member of a LAN for [`Network::lan_members`].
#[derive(Debug, Clone, Copy)]
pub struct LanMember {
    pub router: usize,
    pub address: Ipv4Addr,
    pub cost: u16,
    pub priority: u8,
}

pub struct Router {
    pub id: Ipv4Addr,
    pub config: Config,
    pub instance: Option<Instance>,
    /// (ifindex, address, prefix length) of every address to add at start.
    pub addresses: Vec<(u32, Ipv4Addr, u8)>,
    /// The announced loopback, if any.
    pub loopback: Option<Ipv4Addr>,
    /// The routing table built from `RoutesChanged` (when `track_routes`).
    pub routes: BTreeMap<Ipv4Prefix, OspfRoute>,
    /// Keep `routes` (on by default; a large network keeps it for a sample of routers: a
    /// table of 2,500 routes is about a megabyte).
    pub track_routes: bool,
    /// The last outputs other than `Send` and `RoutesChanged` (bounded).
    pub events: VecDeque<Output>,
    /// Route changes received (RoutesChanged entries).
    pub route_changes: u64,
    /// Not started by [`Network::start`] (boot it later with [`Network::boot`]).
    pub offline: bool,
    next_ifindex: u32,
}

/// A packet on its way.
struct Delivery {
    at: Instant,
    sequence: u64,
    router: usize,
    ifindex: u32,
    source: Ipv4Addr,
    destination: Ipv4Addr,
    ttl: u8,
    bytes: Bytes,
}

/// One router's work at one instant (see [`Network::step`]).
struct Work {
    router: usize,
    instance: Instance,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
}

impl Work {
    fn run(&mut self, now: Instant) {
        for input in self.inputs.drain(..) {
            let outputs = self.instance.handle(input, now);
            self.outputs.extend(outputs);
        }
        if self.instance.next_deadline().is_some_and(|deadline| deadline <= now) {
            let outputs = self.instance.handle(Input::Tick, now);
            self.outputs.extend(outputs);
        }
    }
}

/// Below this many busy routers at one instant, they run on the calling thread.
const PARALLEL_MIN_ROUTERS: usize = 4;

/// Runs of routers' work, each with its place among the runs.
type Runs = Arc<Mutex<Vec<(usize, Vec<Work>)>>>;

/// Takes runs from `stack` and does them until it is empty; returns them done.
fn drain_runs(stack: &Runs, now: Instant) -> Vec<(usize, Vec<Work>)> {
    let mut done = Vec::new();
    loop {
        // The lock is held for the pop only.
        let next = stack.lock().ok().and_then(|mut stack| stack.pop());
        let Some((run, mut chunk)) = next else { break };
        chunk.iter_mut().for_each(|work| work.run(now));
        done.push((run, chunk));
    }
    done
}

/// Worker threads for [`Network::run_work`]: at each busy instant every worker is handed
/// the stack of runs of routers (moved in with their instances), takes runs until none is
/// left and sends back those it did.
struct Pool {
    workers: Vec<mpsc::Sender<(Runs, Instant)>>,
    done: mpsc::Receiver<Vec<(usize, Vec<Work>)>>,
}

impl Pool {
    fn new(workers: usize) -> Self {
        let (done_tx, done) = mpsc::channel();
        let workers = (0..workers)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<(Runs, Instant)>();
                let done_tx = done_tx.clone();
                // Exits when the network (holding the sender) is dropped.
                std::thread::spawn(move || {
                    for (stack, now) in rx {
                        if done_tx.send(drain_runs(&stack, now)).is_err() {
                            break;
                        }
                    }
                });
                tx
            })
            .collect();
        Self { workers, done }
    }
}

pub struct Network {
    pub start: Instant,
    pub now: Instant,
    pub routers: Vec<Router>,
    pub links: Vec<Link>,
    /// One-way delay of the links added after it is set.
    pub latency: Duration,
    /// Packets in flight, one FIFO per distinct link latency: within one, arrival times
    /// never decrease (the clock does not go back), so the earliest packet is the earliest
    /// of the fronts.
    deliveries: Vec<(Duration, VecDeque<Delivery>)>,
    /// (deadline, router): pushed when a router's next deadline changes.
    deadlines: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The deadline last pushed per router.
    queued: Vec<Option<Instant>>,
    sequence: u64,
    template: InterfaceConfig,
    pub packets_delivered: u64,
    /// Packets delivered by OSPF packet type (1 Hello to 5 LSAck; 0 anything else), and
    /// their bytes.
    pub delivered_by_type: [u64; 6],
    pub bytes_by_type: [u64; 6],
    /// [router][ifindex] -> (link, position among its members).
    link_index: Vec<Vec<Option<(usize, usize)>>>,
    /// Events kept per router.
    pub event_limit: usize,
    /// `run_until` checks its condition at most this often in virtual time (zero: after
    /// every instant). Raise it for large networks with costly conditions.
    pub check_interval: Duration,
    /// Threads running the routers busy at one instant (the results do not depend on it):
    /// `OKAPI_SIM_THREADS`, or the available parallelism (at most 8).
    pub threads: usize,
    scratch_due: Vec<(usize, Input)>,
    scratch_busy: Vec<usize>,
    scratch_work: Vec<Work>,
    pool: Option<Pool>,
}

fn default_threads() -> usize {
    std::env::var("OKAPI_SIM_THREADS")
        .ok()
        .and_then(|threads| threads.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |threads| threads.get().min(8)))
        .max(1)
}

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

impl Network {
    pub fn new() -> Self {
        let start = Instant::now();
        Self {
            start,
            now: start,
            routers: Vec::new(),
            links: Vec::new(),
            latency: Duration::from_millis(1),
            deliveries: Vec::new(),
            deadlines: BinaryHeap::new(),
            queued: Vec::new(),
            sequence: 0,
            template: InterfaceConfig::new(0, ""),
            packets_delivered: 0,
            delivered_by_type: [0; 6],
            bytes_by_type: [0; 6],
            link_index: Vec::new(),
            event_limit: 100,
            check_interval: Duration::ZERO,
            threads: default_threads(),
            scratch_due: Vec::new(),
            scratch_busy: Vec::new(),
            scratch_work: Vec::new(),
            pool: None,
        }
    }

    // ───────────────────────────── building ─────────────────────────────

    /// Hello and dead intervals of the links added after this call.
    pub fn hello(mut self, hello: u16, dead: u32) -> Self {
        self.template.hello_interval = hello;
        self.template.dead_interval = dead;
        self
    }

    /// Authentication of the links added after this call.
    pub fn auth(mut self, auth: InterfaceAuth) -> Self {
        self.template.auth = auth;
        self
    }

    /// One-way delay of the links added after this call.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the one-way delay of every link added so far from its index.
    pub fn latencies(mut self, mut latency: impl FnMut(usize) -> Duration) -> Self {
        for (index, link) in self.links.iter_mut().enumerate() {
            link.latency = latency(index);
        }
        self
    }

    /// Adds a router (numbered from 0) with the router ID [`router_id`] of its index.
    pub fn router(self) -> Self {
        let id = router_id(self.routers.len());
        self.router_with_id(id)
    }

    /// Adds a router with this router ID.
    pub fn router_with_id(mut self, id: Ipv4Addr) -> Self {
        self.routers.push(Router {
            id,
            config: Config::new(id),
            instance: None,
            addresses: Vec::new(),
            loopback: None,
            routes: BTreeMap::new(),
            track_routes: true,
            events: VecDeque::new(),
            route_changes: 0,
            offline: false,
            next_ifindex: 2,
        });
        self.queued.push(None);
        self
    }

    pub fn routers(mut self, count: usize) -> Self {
        for _ in 0..count {
            self = self.router();
        }
        self
    }

    /// Changes a router's configuration before start.
    pub fn configure(mut self, router: usize, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.routers[router].config);
        self
    }

    /// Keeps the routing table built from RoutesChanged only for `routers` (see
    /// [`Router::track_routes`]).
    pub fn track_routes_of(mut self, routers: &[usize]) -> Self {
        for (index, router) in self.routers.iter_mut().enumerate() {
            router.track_routes = routers.contains(&index);
        }
        self
    }

    /// `router` is not started by [`start`](Self::start): it joins when booted.
    pub fn offline(mut self, router: usize) -> Self {
        self.routers[router].offline = true;
        self
    }

    fn subnet(&self) -> (u8, u8) {
        let index = self.links.len();
        ((index >> 8) as u8, (index & 0xff) as u8)
    }

    fn attach(
        &mut self,
        router: usize,
        kind: LinkKind,
        address: Ipv4Addr,
        prefix_len: u8,
        cost: u16,
        priority: u8,
    ) -> Attachment {
        let router_state = &mut self.routers[router];
        let ifindex = router_state.next_ifindex;
        router_state.next_ifindex += 1;
        let mut interface = self.template.clone();
        interface.ifindex = ifindex;
        interface.name = format!("eth{}", ifindex - 2);
        interface.cost = cost;
        interface.priority = priority;
        interface.network_type = match kind {
            LinkKind::PointToPoint => okapi_ospf::NetworkType::PointToPoint,
            LinkKind::Lan => okapi_ospf::NetworkType::Broadcast,
        };
        router_state.config.interfaces.push(interface);
        router_state.addresses.push((ifindex, address, prefix_len));
        Attachment {
            router,
            ifindex,
            address,
            prefix_len,
        }
    }

    /// A point-to-point link between routers `a` and `b` (a /30 in 10.x.y.0/24).
    pub fn p2p(self, a: usize, b: usize, cost: u16) -> Self {
        let (x, y) = self.subnet();
        self.p2p_with(
            [
                (a, Ipv4Addr::new(10, x, y, 1), cost),
                (b, Ipv4Addr::new(10, x, y, 2), cost),
            ],
            30,
        )
    }

    /// A point-to-point link with explicit ends: (router, address, cost) each.
    pub fn p2p_with(mut self, ends: [(usize, Ipv4Addr, u16); 2], prefix_len: u8) -> Self {
        let members = ends
            .iter()
            .map(|&(router, address, cost)| self.attach(router, LinkKind::PointToPoint, address, prefix_len, cost, 1))
            .collect();
        self.add_link(LinkKind::PointToPoint, members);
        self
    }

    /// A broadcast LAN (10.x.y.0/24) joining `members`, cost 10, priority 1.
    pub fn lan(self, members: &[usize]) -> Self {
        let with: Vec<(usize, u8)> = members.iter().map(|member| (*member, 1)).collect();
        self.lan_with(&with, 10)
    }

    /// A broadcast LAN (10.x.y.0/24) with a priority per member.
    pub fn lan_with(self, members: &[(usize, u8)], cost: u16) -> Self {
        let (x, y) = self.subnet();
        let members: Vec<LanMember> = members
            .iter()
            .enumerate()
            .map(|(position, &(router, priority))| LanMember {
                router,
                address: Ipv4Addr::new(10, x, y, position as u8 + 1),
                cost,
                priority,
            })
            .collect();
        self.lan_members(24, &members)
    }

    /// A broadcast LAN with explicit members.
    pub fn lan_members(mut self, prefix_len: u8, members: &[LanMember]) -> Self {
        let attachments = members
            .iter()
            .map(|member| {
                self.attach(
                    member.router,
                    LinkKind::Lan,
                    member.address,
                    prefix_len,
                    member.cost,
                    member.priority,
                )
            })
            .collect();
        self.add_link(LinkKind::Lan, attachments);
        self
    }

    /// A passive broadcast interface on `router` with `address/len`, attached to nothing.
    pub fn passive(mut self, router: usize, address: Ipv4Addr, len: u8) -> Self {
        let attachment = self.attach(router, LinkKind::Lan, address, len, 10, 1);
        if let Some(interface) = self.routers[router]
            .config
            .interfaces
            .iter_mut()
            .find(|interface| interface.ifindex == attachment.ifindex)
        {
            interface.passive = true;
        }
        self
    }

    /// Gives every router a loopback address ([`loopback`], ifindex 1, /32) announced as a
    /// stub of cost 0.
    pub fn loopbacks(mut self) -> Self {
        for index in 0..self.routers.len() {
            self = self.loopback(index, loopback(index), 0);
        }
        self
    }

    /// Gives `router` the loopback `address/32`, announced as a stub of `cost`.
    pub fn loopback(mut self, router: usize, address: Ipv4Addr, cost: u16) -> Self {
        let router = &mut self.routers[router];
        router.loopback = Some(address);
        router.addresses.push((LOOPBACK_IFINDEX, address, 32));
        router.config.announce.push(okapi_ospf::AnnouncedPrefix {
            prefix: address,
            len: 32,
            cost,
        });
        self
    }

    fn add_link(&mut self, kind: LinkKind, members: Vec<Attachment>) {
        let index = self.links.len();
        for (position, member) in members.iter().enumerate() {
            if self.link_index.len() <= member.router {
                self.link_index.resize(member.router + 1, Vec::new());
            }
            let interfaces = &mut self.link_index[member.router];
            let ifindex = member.ifindex as usize;
            if interfaces.len() <= ifindex {
                interfaces.resize(ifindex + 1, None);
            }
            interfaces[ifindex] = Some((index, position));
        }
        self.links.push(Link {
            kind,
            members,
            up: true,
            latency: self.latency,
        });
    }

    /// Starts every router not marked [`offline`](Self::offline).
    pub fn start(mut self) -> Self {
        for index in 0..self.routers.len() {
            if !self.routers[index].offline {
                self.boot(index);
            }
        }
        self
    }

    /// (Re)starts one router from its configuration: `Instance::new`, its addresses, its
    /// links up.
    pub fn boot(&mut self, index: usize) {
        let now = self.now;
        let config = self.routers[index].config.clone();
        let (instance, outputs) = Instance::new(config, now);
        self.routers[index].instance = Some(instance);
        self.routers[index].offline = false;
        // A restarted daemon starts from an empty table (it reconciles the kernel's).
        self.routers[index].routes.clear();
        self.process(index, outputs);
        let addresses = self.routers[index].addresses.clone();
        let mut inputs = vec![Input::InterfaceUp {
            ifindex: LOOPBACK_IFINDEX,
            mtu: 65535,
        }];
        for (ifindex, address, prefix_len) in &addresses {
            inputs.push(Input::AddressAdded {
                ifindex: *ifindex,
                address: *address,
                prefix_len: *prefix_len,
            });
        }
        let ifindexes: BTreeSet<u32> = addresses.iter().map(|(ifindex, _, _)| *ifindex).collect();
        for ifindex in ifindexes {
            if ifindex == LOOPBACK_IFINDEX {
                continue;
            }
            let up = self.link_of(index, ifindex).is_none_or(|(link, _)| self.links[link].up);
            if up {
                inputs.push(Input::InterfaceUp { ifindex, mtu: 1500 });
            }
        }
        for input in inputs {
            self.input(index, input);
        }
    }

    // ───────────────────────────── running ─────────────────────────────

    /// Feeds one input to a router now.
    pub fn input(&mut self, router: usize, input: Input) {
        let now = self.now;
        let Some(instance) = self.routers[router].instance.as_mut() else {
            return;
        };
        let outputs = instance.handle(input, now);
        self.process(router, outputs);
    }

    /// Carries out what a router's instance returned to a test that drove it directly
    /// (through [`Router::instance`]): sends its packets, records its routes and events.
    pub fn carry_out(&mut self, router: usize, outputs: Vec<Output>) {
        self.process(router, outputs);
    }

    fn link_of(&self, router: usize, ifindex: u32) -> Option<(usize, usize)> {
        *self.link_index.get(router)?.get(ifindex as usize)?
    }

    fn process(&mut self, router: usize, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Send {
                    ifindex,
                    destination,
                    ttl,
                    bytes,
                } => self.transmit(router, ifindex, destination, ttl, bytes),
                Output::RoutesChanged(changes) => {
                    let router = &mut self.routers[router];
                    router.route_changes += changes.len() as u64;
                    if !router.track_routes {
                        continue;
                    }
                    for change in changes {
                        match change {
                            RouteChange::Add { prefix, route } | RouteChange::Replace { prefix, new: route, .. } => {
                                router.routes.insert(prefix, route);
                            }
                            RouteChange::Remove { prefix, .. } => {
                                router.routes.remove(&prefix);
                            }
                        }
                    }
                }
                other => self.record(router, other),
            }
        }
        let deadline = self.routers[router].instance.as_ref().and_then(Instance::next_deadline);
        if let Some(deadline) = deadline
            && self.queued[router] != Some(deadline)
        {
            self.queued[router] = Some(deadline);
            self.deadlines.push(Reverse((deadline, router)));
        }
    }

    fn record(&mut self, router: usize, output: Output) {
        let limit = self.event_limit;
        let events = &mut self.routers[router].events;
        events.push_back(output);
        while events.len() > limit {
            events.pop_front();
        }
    }

    fn transmit(&mut self, router: usize, ifindex: u32, destination: Ipv4Addr, ttl: u8, bytes: Bytes) {
        let Some((link, position)) = self.link_of(router, ifindex) else {
            return;
        };
        let link = &self.links[link];
        if !link.up {
            return;
        }
        let source = link.members[position].address;
        let latency = link.latency;
        let at = self.now + latency;
        let multicast = destination == ALL_SPF_ROUTERS || destination == ALL_D_ROUTERS;
        let queue = match self.deliveries.iter().position(|(queued, _)| *queued == latency) {
            Some(queue) => queue,
            None => {
                self.deliveries.push((latency, VecDeque::new()));
                self.deliveries.len() - 1
            }
        };
        for (index, receiver) in link.members.iter().enumerate() {
            if index == position || !(multicast || receiver.address == destination) {
                continue;
            }
            self.sequence += 1;
            self.deliveries[queue].1.push_back(Delivery {
                at,
                sequence: self.sequence,
                router: receiver.router,
                ifindex: receiver.ifindex,
                source,
                destination,
                ttl,
                bytes: bytes.clone(),
            });
        }
    }

    /// The queue holding the earliest packet in flight (by arrival, then sending order).
    fn earliest_queue(&self) -> Option<usize> {
        self.deliveries
            .iter()
            .enumerate()
            .filter_map(|(index, (_, queue))| queue.front().map(|delivery| ((delivery.at, delivery.sequence), index)))
            .min()
            .map(|(_, index)| index)
    }

    /// The next instant something happens.
    fn next_event(&mut self) -> Option<Instant> {
        // Drop stale deadlines (a router's deadline moved or it died).
        while let Some(Reverse((at, router))) = self.deadlines.peek().copied() {
            let current = self.routers[router].instance.as_ref().and_then(Instance::next_deadline);
            if current == Some(at) {
                break;
            }
            self.deadlines.pop();
            if self.queued[router] == Some(at) {
                self.queued[router] = None;
            }
            if let Some(current) = current
                && self.queued[router] != Some(current)
            {
                self.queued[router] = Some(current);
                self.deadlines.push(Reverse((current, router)));
            }
        }
        let delivery = self
            .earliest_queue()
            .and_then(|queue| self.deliveries[queue].1.front())
            .map(|delivery| delivery.at);
        let deadline = self.deadlines.peek().map(|Reverse((at, _))| *at);
        match (delivery, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances to the next instant with work and does all of it: each router with packets
    /// due handles them (in the order they were sent), then its timers if due. False when
    /// idle.
    ///
    /// What one router does at an instant depends only on its own state and its inputs
    /// (packets sent now arrive a latency later), so the routers busy at an instant run in
    /// parallel on [`threads`](Self::threads) threads; their outputs are then taken in router
    /// order, so a run is the same whatever the number of threads.
    pub fn step(&mut self) -> bool {
        let Some(at) = self.next_event() else { return false };
        self.now = self.now.max(at);
        let now = self.now;
        // The packets due, by router (stable: each router's in sending order). The buffers
        // are kept from one step to the next.
        let mut due = std::mem::take(&mut self.scratch_due);
        let mut busy = std::mem::take(&mut self.scratch_busy);
        let mut work = std::mem::take(&mut self.scratch_work);
        while let Some(queue) = self.earliest_queue() {
            let queue = &mut self.deliveries[queue].1;
            if queue.front().is_none_or(|delivery| delivery.at > now) {
                break;
            }
            let Some(delivery) = queue.pop_front() else { break };
            self.packets_delivered += 1;
            let kind = usize::from(delivery.bytes.get(1).copied().unwrap_or(0));
            let kind = if kind <= 5 { kind } else { 0 };
            self.delivered_by_type[kind] += 1;
            self.bytes_by_type[kind] += delivery.bytes.len() as u64;
            due.push((
                delivery.router,
                Input::Packet {
                    ifindex: delivery.ifindex,
                    source: delivery.source,
                    destination: delivery.destination,
                    ttl: delivery.ttl,
                    bytes: delivery.bytes,
                },
            ));
        }
        // The routers whose deadline may be due.
        busy.extend(due.iter().map(|(router, _)| *router));
        while let Some(Reverse((when, router))) = self.deadlines.peek().copied() {
            if when > now {
                break;
            }
            self.deadlines.pop();
            if self.queued[router] == Some(when) {
                self.queued[router] = None;
            }
            busy.push(router);
        }
        busy.sort_unstable();
        busy.dedup();
        due.sort_by_key(|(router, _)| *router);
        let mut pending = due.drain(..).peekable();
        for &router in &busy {
            let mut inputs = Vec::new();
            while let Some((_, input)) = pending.next_if(|(next, _)| *next == router) {
                inputs.push(input);
            }
            // A dead router's packets are lost.
            if let Some(instance) = self.routers[router].instance.take() {
                work.push(Work {
                    router,
                    instance,
                    inputs,
                    outputs: Vec::new(),
                });
            }
        }
        drop(pending);
        self.run_work(&mut work, now);
        for done in work.drain(..) {
            self.routers[done.router].instance = Some(done.instance);
            self.process(done.router, done.outputs);
        }
        busy.clear();
        self.scratch_due = due;
        self.scratch_busy = busy;
        self.scratch_work = work;
        true
    }

    /// Runs each router's inputs, then its timers if due, on up to `threads` threads: this
    /// one and `threads - 1` workers kept for the network's life take small runs of routers
    /// from a shared stack until it is empty (an SPF run costs as much as a thousand packets:
    /// shares fixed in advance would leave threads idle).
    fn run_work(&mut self, work: &mut Vec<Work>, now: Instant) {
        let threads = self.threads.max(1);
        if threads == 1 || work.len() < PARALLEL_MIN_ROUTERS {
            work.iter_mut().for_each(|work| work.run(now));
            return;
        }
        let pool = self.pool.get_or_insert_with(|| Pool::new(threads - 1));
        let runs = (threads * 8).min(work.len());
        let mut items = std::mem::take(work).into_iter();
        let mut stack: Vec<(usize, Vec<Work>)> = Vec::with_capacity(runs);
        for run in 0..runs {
            let size = items.len() / (runs - run);
            stack.push((run, items.by_ref().take(size).collect()));
        }
        // Taken from the end: the first runs last, by this thread.
        stack.reverse();
        let stack = Arc::new(Mutex::new(stack));
        for worker in &pool.workers {
            worker.send((Arc::clone(&stack), now)).expect("a simulation worker");
        }
        let mut done = drain_runs(&stack, now);
        for _ in &pool.workers {
            done.extend(pool.done.recv().expect("a simulation worker"));
        }
        // Back in router order.
        done.sort_unstable_by_key(|(run, _)| *run);
        for (_, chunk) in done {
            work.extend(chunk);
        }
    }

    /// Runs until `done` holds (checked after each instant, or every `check_interval`) or
    /// `limit` of virtual time passes. Returns the virtual time it took.
    pub fn run_until(&mut self, mut done: impl FnMut(&Network) -> bool, limit: Duration) -> Result<Duration, String> {
        let begin = self.now;
        let mut checked: Option<Instant> = None;
        loop {
            let due = checked.is_none_or(|at| self.now >= at + self.check_interval);
            if due {
                checked = Some(self.now);
                if done(self) {
                    return Ok(self.now - begin);
                }
            }
            if self.now - begin > limit {
                return Err(format!("not done after {:?} of virtual time", self.now - begin));
            }
            if !self.step() {
                return Err("the network went idle".into());
            }
        }
    }

    /// Runs until the network is converged and stays so: every adjacency up, no neighbor
    /// that is not running any more, every LSDB identical, nothing waiting for an
    /// acknowledgment or a request, and then no change to any database over `SETTLE` (longer
    /// than MinLSInterval plus the longest SPF delay, so that deferred originations and SPF
    /// runs are done). Returns the virtual time it took.
    pub fn converge(&mut self, limit: Duration) -> Result<Duration, String> {
        /// MinLSInterval (5 s) + the RFC 8405 long delay (5 s) + margin.
        const SETTLE: Duration = Duration::from_secs(11);
        let begin = self.now;
        loop {
            let left = limit.saturating_sub(self.now - begin);
            self.run_until(
                // Cheapest first: the databases are compared last.
                |net| net.adjacencies_up() && net.no_dead_neighbors() && net.quiescent() && net.lsdbs_identical(),
                left,
            )
            .map_err(|error| format!("{error} ({})", self.convergence_report()))?;
            let before: Vec<(usize, u64)> = (0..self.routers.len()).map(|router| self.lsdb_digest(router)).collect();
            let settled_at = self.now;
            self.run_for(SETTLE);
            let after: Vec<(usize, u64)> = (0..self.routers.len()).map(|router| self.lsdb_digest(router)).collect();
            if before == after && self.adjacencies_up() && self.no_dead_neighbors() && self.quiescent() {
                return Ok(settled_at - begin);
            }
            if self.now - begin > limit {
                return Err(format!("not stable after {limit:?} ({})", self.convergence_report()));
            }
        }
    }

    /// What is not converged yet, for failure messages.
    pub fn convergence_report(&self) -> String {
        let down: Vec<usize> = (0..self.links.len())
            .filter(|&link| self.links[link].up && !self.link_adjacent(&self.links[link]))
            .collect();
        let live = self.live_routers();
        let digests: BTreeSet<(usize, u64)> = live.iter().map(|&router| self.lsdb_digest(router)).collect();
        let busy = live
            .iter()
            .filter(|&&router| {
                self.instance(router)
                    .neighbors_view(self.now)
                    .iter()
                    .any(|neighbor| neighbor.retransmit_list > 0 || neighbor.request_list > 0)
            })
            .count();
        format!(
            "links not adjacent: {down:?}; {} distinct databases among {} routers; {busy} routers with \
             lists not empty; at {:?} of virtual time",
            digests.len(),
            live.len(),
            self.elapsed()
        )
    }

    /// Runs for `duration` of virtual time.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.next_event().is_some_and(|at| at <= end) {
            self.step();
        }
        self.now = self.now.max(end);
    }

    /// Runs for `duration`, calling `each` at every multiple of `every` (and at the end).
    pub fn run_sampling(&mut self, duration: Duration, every: Duration, mut each: impl FnMut(&Network)) {
        let end = self.now + duration;
        while self.now < end {
            let next = (self.now + every).min(end);
            self.run_for(next - self.now);
            each(self);
        }
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    // ───────────────────────────── failures ─────────────────────────────

    /// Stops a router: it sends and receives nothing more (packets already sent arrive).
    pub fn kill(&mut self, router: usize) {
        self.routers[router].instance = None;
    }

    /// Takes a link down (every end sees InterfaceDown) or up again.
    pub fn set_link(&mut self, link: usize, up: bool) {
        self.links[link].up = up;
        for member in self.links[link].members.clone() {
            let input = if up {
                Input::InterfaceUp {
                    ifindex: member.ifindex,
                    mtu: 1500,
                }
            } else {
                Input::InterfaceDown {
                    ifindex: member.ifindex,
                }
            };
            self.input(member.router, input);
        }
    }

    /// Cuts a link silently: packets are lost but the interfaces stay up (a failure the
    /// routers only notice when the dead interval passes), or repairs it.
    pub fn cut_link(&mut self, link: usize, cut: bool) {
        self.links[link].up = !cut;
    }

    // ───────────────────────────── observations ─────────────────────────────

    pub fn instance(&self, router: usize) -> &Instance {
        self.routers[router].instance.as_ref().expect("router is running")
    }

    pub fn is_running(&self, router: usize) -> bool {
        self.routers[router].instance.is_some()
    }

    /// The state of `a`'s neighbor `b` (the best over the links they share), if any.
    pub fn neighbor_state(&self, a: usize, b: usize) -> Option<NeighborState> {
        let id = self.routers[b].id;
        let instance = self.routers[a].instance.as_ref()?;
        self.routers[a]
            .config
            .interfaces
            .iter()
            .filter_map(|interface| instance.neighbor_state(interface.ifindex, id))
            .max()
    }

    /// The state of `router`'s interface on `link`.
    pub fn interface_state(&self, router: usize, link: usize) -> Option<InterfaceState> {
        let member = self.links[link].members.iter().find(|member| member.router == router)?;
        self.routers[router].instance.as_ref()?.interface_state(member.ifindex)
    }

    /// The state of the neighbor `b` (an attachment) on `a`'s interface.
    fn attachment_neighbor(&self, a: &Attachment, b: &Attachment) -> Option<NeighborState> {
        self.routers[a.router]
            .instance
            .as_ref()?
            .neighbor_state(a.ifindex, self.routers[b.router].id)
    }

    /// Every live pair of routers on every up link is adjacent as it should be: Full on
    /// point-to-point links; on LANs Full with the DR and the BDR, 2-Way between others.
    pub fn adjacencies_up(&self) -> bool {
        self.links
            .iter()
            .filter(|link| link.up)
            .all(|link| self.link_adjacent(link))
    }

    fn link_adjacent(&self, link: &Link) -> bool {
        let live: Vec<&Attachment> = link
            .members
            .iter()
            .filter(|member| self.is_running(member.router))
            .collect();
        match link.kind {
            LinkKind::PointToPoint => {
                live.len() < 2
                    || (self.attachment_neighbor(live[0], live[1]) == Some(NeighborState::Full)
                        && self.attachment_neighbor(live[1], live[0]) == Some(NeighborState::Full))
            }
            LinkKind::Lan => live.iter().all(|a| {
                let Some(state) = self.instance(a.router).interface_state(a.ifindex) else {
                    return false;
                };
                if live.len() > 1
                    && !matches!(
                        state,
                        InterfaceState::DR | InterfaceState::Backup | InterfaceState::DROther
                    )
                {
                    return false;
                }
                live.iter().filter(|b| b.router != a.router).all(|b| {
                    let b_state = self.instance(b.router).interface_state(b.ifindex);
                    let adjacent = matches!(state, InterfaceState::DR | InterfaceState::Backup)
                        || matches!(b_state, Some(InterfaceState::DR | InterfaceState::Backup));
                    let want = if adjacent {
                        NeighborState::Full
                    } else {
                        NeighborState::TwoWay
                    };
                    self.attachment_neighbor(a, b) == Some(want)
                })
            }),
        }
    }

    /// The live LSAs (not MaxAge) of a router: key, sequence number, checksum.
    pub fn lsdb_summary(&self, router: usize) -> BTreeSet<(LsaKey, i32, u16)> {
        let Some(instance) = self.routers[router].instance.as_ref() else {
            return BTreeSet::new();
        };
        instance
            .lsdb()
            .iter()
            .filter(|(_, entry)| !entry.is_max_age())
            .map(|(key, entry)| {
                (
                    *key,
                    entry.lsa().header().sequence_number,
                    entry.lsa().header().checksum,
                )
            })
            .collect()
    }

    /// A digest of [`lsdb_summary`](Self::lsdb_summary) (count and hash), cheap enough to
    /// poll on large networks.
    pub fn lsdb_digest(&self, router: usize) -> (usize, u64) {
        let Some(instance) = self.routers[router].instance.as_ref() else {
            return (0, 0);
        };
        let mut hasher = DefaultHasher::new();
        let mut count = 0;
        for (key, entry) in instance.lsdb().iter().filter(|(_, entry)| !entry.is_max_age()) {
            count += 1;
            key.hash(&mut hasher);
            entry.lsa().header().sequence_number.hash(&mut hasher);
            entry.lsa().header().checksum.hash(&mut hasher);
        }
        (count, hasher.finish())
    }

    /// Every live router has the same live LSAs, (key, sequence number, checksum) alike.
    pub fn lsdbs_identical(&self) -> bool {
        let live: Vec<usize> = self.live_routers();
        let Some(&first) = live.first() else { return true };
        let digest = self.lsdb_digest(first);
        if !live.iter().all(|&router| self.lsdb_digest(router) == digest) {
            return false;
        }
        // The digests agree: confirm with the sets themselves.
        let reference = self.lsdb_summary(first);
        live.iter().all(|&router| self.lsdb_summary(router) == reference)
    }

    /// No running router has a neighbor (in any state) that is not running: the dead
    /// were noticed (RouterDeadInterval).
    pub fn no_dead_neighbors(&self) -> bool {
        let live: BTreeSet<Ipv4Addr> = self
            .routers
            .iter()
            .filter(|router| router.instance.is_some())
            .map(|router| router.id)
            .collect();
        self.routers
            .iter()
            .filter_map(|router| router.instance.as_ref())
            .all(|instance| {
                instance
                    .neighbors_view(self.now)
                    .iter()
                    .all(|neighbor| live.contains(&neighbor.router_id))
            })
    }

    /// The indexes of the running routers.
    pub fn live_routers(&self) -> Vec<usize> {
        (0..self.routers.len())
            .filter(|&router| self.is_running(router))
            .collect()
    }

    /// Nothing is waiting to be acknowledged or requested anywhere.
    pub fn quiescent(&self) -> bool {
        self.routers
            .iter()
            .filter_map(|router| router.instance.as_ref())
            .all(|instance| {
                instance
                    .neighbors_view(self.now)
                    .iter()
                    .all(|neighbor| neighbor.retransmit_list == 0 && neighbor.request_list == 0)
            })
    }

    /// The oldest LS age of a live LSA in `router`'s database, and its key.
    pub fn oldest_lsa(&self, router: usize) -> Option<(u16, LsaKey)> {
        let instance = self.routers[router].instance.as_ref()?;
        instance
            .lsdb()
            .iter()
            .filter(|(_, entry)| !entry.is_max_age())
            .map(|(key, entry)| (entry.age(self.now), *key))
            .max()
    }

    /// `router`'s route to `address/len` in the instance's table, checked against the
    /// table built from its RoutesChanged: present in both or neither, and forwarding alike
    /// (`diff` leaves out changes of cost alone, which do not reach the kernel).
    pub fn route(&self, router: usize, address: Ipv4Addr, len: u8) -> Option<&OspfRoute> {
        let prefix = Ipv4Prefix::new(address, len);
        if !self.routers[router].track_routes {
            return self.routers[router]
                .instance
                .as_ref()
                .and_then(|instance| instance.routes().get(&prefix));
        }
        let from_outputs = self.routers[router].routes.get(&prefix);
        let from_instance = self.routers[router]
            .instance
            .as_ref()
            .and_then(|instance| instance.routes().get(&prefix));
        let agree = match (from_outputs, from_instance) {
            (Some(outputs), Some(instance)) => outputs.same_forwarding(instance),
            (None, None) => true,
            _ => false,
        };
        assert!(
            agree,
            "router {router}: RoutesChanged and the table disagree on {prefix:?}: {from_outputs:?} vs {from_instance:?}"
        );
        from_instance
    }

    /// `router`'s table built from its RoutesChanged forwards as the instance's own table:
    /// the same prefixes, the same next hops and `connected` flags.
    pub fn routes_consistent(&self, router: usize) -> bool {
        let Some(instance) = self.routers[router].instance.as_ref() else {
            return true;
        };
        if !self.routers[router].track_routes {
            return true;
        }
        let table = instance.routes();
        table.len() == self.routers[router].routes.len()
            && table.iter().all(|(prefix, route)| {
                self.routers[router]
                    .routes
                    .get(prefix)
                    .is_some_and(|installed| installed.same_forwarding(route))
            })
    }

    /// Every live router has a route to every other live router's loopback.
    pub fn full_mesh_of_loopbacks(&self) -> bool {
        let live = self.live_routers();
        live.iter().all(|&a| {
            live.iter().filter(|&&b| a != b).all(|&b| {
                let Some(address) = self.routers[b].loopback else {
                    return true;
                };
                self.route(a, address, 32).is_some()
            })
        })
    }
}
