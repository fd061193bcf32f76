//! A network of okapi-ospf instances in one process, over simulated links, in virtual time.
//!
//! ```text
//!   Network::new().hello(1, 4).routers(4).p2p(0, 1, 10).lan(&[1, 2, 3]).loopbacks().start()
//!
//!   router ──Output::Send{ifindex, destination}──► link ──(after `latency`)──► Input::Packet
//!          (multicast: every other member; unicast: the member with that address)
//!   virtual clock: jumps to the earliest of (next delivery, routers' next_deadline) and
//!                  feeds Input::Tick to the routers that are due
//! ```
//!
//! Routers are numbered in the order they are added (router `i` has router ID
//! `10.255.i/16 + 1`, see [`router_id`]); links too. Each router keeps the routing table
//! built from its `Output::RoutesChanged`, checked against the instance's own table.

#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use okapi_ospf::instance::{ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use okapi_ospf::interface::InterfaceState;
use okapi_ospf::lsdb::LsaKey;
use okapi_ospf::neighbor::NeighborState;
use okapi_ospf::spf::{Ipv4Prefix, OspfRoute, RouteChange};
use okapi_ospf::{Config, Input, Instance, InterfaceAuth, InterfaceConfig, Output};

/// The router ID of router `index`.
pub fn router_id(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 255, 0, 1)) + index as u32)
}

/// The loopback address of router `index` (a /32 announced by [`Network::loopbacks`]).
pub fn loopback(index: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(172, 16, 0, 1)) + index as u32)
}

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
}

pub struct Router {
    pub id: Ipv4Addr,
    pub config: Config,
    pub instance: Option<Instance>,
    /// (ifindex, address, prefix length) of every address to add at start.
    pub addresses: Vec<(u32, Ipv4Addr, u8)>,
    /// The routing table built from `RoutesChanged`.
    pub routes: BTreeMap<Ipv4Prefix, OspfRoute>,
    /// The last outputs other than `Send` (bounded).
    pub events: VecDeque<Output>,
    next_ifindex: u32,
}

pub struct Network {
    pub start: Instant,
    pub now: Instant,
    pub routers: Vec<Router>,
    pub links: Vec<Link>,
    /// One-way delay of every link.
    pub latency: Duration,
    deliveries: BinaryHeap<Reverse<(Instant, u64)>>,
    pending: BTreeMap<u64, (usize, Input)>,
    deadlines: BinaryHeap<Reverse<(Instant, usize)>>,
    sequence: u64,
    template: InterfaceConfig,
    pub packets_delivered: u64,
    /// (router, ifindex) -> link.
    link_index: BTreeMap<(usize, u32), usize>,
    /// The deadline last queued per router (to queue each one once).
    queued_deadline: BTreeMap<usize, Instant>,
    /// Events kept per router.
    pub event_limit: usize,
    /// `run_until` checks its condition at most this often in virtual time (zero: after
    /// every instant). Raise it for large networks with costly conditions.
    pub check_interval: Duration,
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
            deliveries: BinaryHeap::new(),
            pending: BTreeMap::new(),
            deadlines: BinaryHeap::new(),
            sequence: 0,
            template: InterfaceConfig::new(0, ""),
            packets_delivered: 0,
            link_index: BTreeMap::new(),
            queued_deadline: BTreeMap::new(),
            event_limit: 200,
            check_interval: Duration::ZERO,
        }
    }

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

    /// Adds a router (numbered from 0).
    pub fn router(mut self) -> Self {
        let index = self.routers.len();
        let id = router_id(index);
        self.routers.push(Router {
            id,
            config: Config::new(id),
            instance: None,
            addresses: Vec::new(),
            routes: BTreeMap::new(),
            events: VecDeque::new(),
            next_ifindex: 2,
        });
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
    pub fn p2p(mut self, a: usize, b: usize, cost: u16) -> Self {
        let (x, y) = self.subnet();
        let first = self.attach(a, LinkKind::PointToPoint, Ipv4Addr::new(10, x, y, 1), 30, cost, 1);
        let second = self.attach(b, LinkKind::PointToPoint, Ipv4Addr::new(10, x, y, 2), 30, cost, 1);
        self.add_link(Link {
            kind: LinkKind::PointToPoint,
            members: vec![first, second],
            up: true,
        });
        self
    }

    /// A broadcast LAN (10.x.y.0/24) joining `members`, cost 10, priority 1.
    pub fn lan(self, members: &[usize]) -> Self {
        let with: Vec<(usize, u8)> = members.iter().map(|member| (*member, 1)).collect();
        self.lan_with(&with, 10)
    }

    /// A broadcast LAN with a priority per member.
    pub fn lan_with(mut self, members: &[(usize, u8)], cost: u16) -> Self {
        let (x, y) = self.subnet();
        let attachments: Vec<Attachment> = members
            .iter()
            .enumerate()
            .map(|(position, (router, priority))| {
                self.attach(
                    *router,
                    LinkKind::Lan,
                    Ipv4Addr::new(10, x, y, position as u8 + 1),
                    24,
                    cost,
                    *priority,
                )
            })
            .collect();
        self.add_link(Link {
            kind: LinkKind::Lan,
            members: attachments,
            up: true,
        });
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

    /// Gives every router a loopback address (ifindex 1, /32) announced as a stub.
    pub fn loopbacks(mut self) -> Self {
        for (index, router) in self.routers.iter_mut().enumerate() {
            let address = loopback(index);
            router.addresses.push((1, address, 32));
            router.config.announce.push(okapi_ospf::AnnouncedPrefix {
                prefix: address,
                len: 32,
                cost: 0,
            });
        }
        self
    }

    /// Starts every router: `Instance::new`, its addresses, its links up.
    pub fn start(mut self) -> Self {
        for index in 0..self.routers.len() {
            self.boot(index);
        }
        self
    }

    /// (Re)starts one router from its configuration.
    pub fn boot(&mut self, index: usize) {
        let now = self.now;
        let config = self.routers[index].config.clone();
        let (instance, outputs) = Instance::new(config, now);
        self.routers[index].instance = Some(instance);
        // A restarted daemon starts from an empty table (it reconciles the kernel's).
        self.routers[index].routes.clear();
        self.process(index, outputs);
        let addresses = self.routers[index].addresses.clone();
        let mut inputs = vec![Input::InterfaceUp { ifindex: 1, mtu: 65535 }];
        for (ifindex, address, prefix_len) in &addresses {
            inputs.push(Input::AddressAdded {
                ifindex: *ifindex,
                address: *address,
                prefix_len: *prefix_len,
            });
        }
        let ifindexes: BTreeSet<u32> = addresses.iter().map(|(ifindex, _, _)| *ifindex).collect();
        for ifindex in ifindexes {
            if ifindex == 1 {
                continue;
            }
            let up = self.link_of(index, ifindex).is_none_or(|link| self.links[link].up);
            if up {
                inputs.push(Input::InterfaceUp { ifindex, mtu: 1500 });
            }
        }
        for input in inputs {
            self.input(index, input);
        }
    }

    /// Feeds one input to a router now.
    pub fn input(&mut self, router: usize, input: Input) {
        let now = self.now;
        let Some(instance) = self.routers[router].instance.as_mut() else {
            return;
        };
        let outputs = instance.handle(input, now);
        self.process(router, outputs);
    }

    fn link_of(&self, router: usize, ifindex: u32) -> Option<usize> {
        self.link_index.get(&(router, ifindex)).copied()
    }

    fn add_link(&mut self, link: Link) {
        let index = self.links.len();
        for member in &link.members {
            self.link_index.insert((member.router, member.ifindex), index);
        }
        self.links.push(link);
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
                    let table = &mut self.routers[router].routes;
                    for change in &changes {
                        match change {
                            RouteChange::Add { prefix, route } | RouteChange::Replace { prefix, new: route, .. } => {
                                table.insert(*prefix, route.clone());
                            }
                            RouteChange::Remove { prefix, .. } => {
                                table.remove(prefix);
                            }
                        }
                    }
                    self.record(router, Output::RoutesChanged(changes));
                }
                other => self.record(router, other),
            }
        }
        if let Some(deadline) = self.routers[router].instance.as_ref().and_then(Instance::next_deadline)
            && self.queued_deadline.get(&router) != Some(&deadline)
        {
            self.queued_deadline.insert(router, deadline);
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

    fn transmit(&mut self, router: usize, ifindex: u32, destination: Ipv4Addr, ttl: u8, bytes: bytes::Bytes) {
        let Some(link) = self.link_of(router, ifindex) else {
            return;
        };
        if !self.links[link].up {
            return;
        }
        let Some(sender) = self.links[link]
            .members
            .iter()
            .find(|member| member.router == router && member.ifindex == ifindex)
            .copied()
        else {
            return;
        };
        let multicast = destination == ALL_SPF_ROUTERS || destination == ALL_D_ROUTERS;
        let receivers: Vec<Attachment> = self.links[link]
            .members
            .iter()
            .filter(|member| member.router != router || member.ifindex != ifindex)
            .filter(|member| multicast || member.address == destination)
            .copied()
            .collect();
        let at = self.now + self.latency;
        for receiver in receivers {
            self.sequence += 1;
            self.pending.insert(
                self.sequence,
                (
                    receiver.router,
                    Input::Packet {
                        ifindex: receiver.ifindex,
                        source: sender.address,
                        destination,
                        ttl,
                        bytes: bytes.clone(),
                    },
                ),
            );
            self.deliveries.push(Reverse((at, self.sequence)));
        }
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
            if let Some(current) = current
                && current > at
                && self.queued_deadline.get(&router) != Some(&current)
            {
                self.queued_deadline.insert(router, current);
                self.deadlines.push(Reverse((current, router)));
            }
        }
        let delivery = self.deliveries.peek().map(|Reverse((at, _))| *at);
        let deadline = self.deadlines.peek().map(|Reverse((at, _))| *at);
        match (delivery, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Advances to the next instant with work and does all of it. False when idle.
    pub fn step(&mut self) -> bool {
        let Some(at) = self.next_event() else { return false };
        self.now = self.now.max(at);
        let now = self.now;
        while let Some(Reverse((when, sequence))) = self.deliveries.peek().copied() {
            if when > now {
                break;
            }
            self.deliveries.pop();
            if let Some((router, input)) = self.pending.remove(&sequence) {
                self.packets_delivered += 1;
                self.input(router, input);
            }
        }
        while let Some(Reverse((when, router))) = self.deadlines.peek().copied() {
            if when > now {
                break;
            }
            self.deadlines.pop();
            if self.queued_deadline.get(&router) == Some(&when) {
                self.queued_deadline.remove(&router);
            }
            let due = self.routers[router]
                .instance
                .as_ref()
                .and_then(Instance::next_deadline)
                .is_some_and(|deadline| deadline <= now);
            if due {
                self.input(router, Input::Tick);
            }
        }
        true
    }

    /// Runs until `done` holds (checked after each instant) or `limit` of virtual time
    /// passes. Returns the virtual time it took.
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

    /// Runs for `duration` of virtual time.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.next_event().is_some_and(|at| at <= end) {
            self.step();
        }
        self.now = self.now.max(end);
    }

    // ───────────────────────────── failures ─────────────────────────────

    /// Stops a router: it sends and receives nothing more.
    pub fn kill(&mut self, router: usize) {
        self.routers[router].instance = None;
    }

    /// Takes a link down (both ends see InterfaceDown) or up again.
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

    // ───────────────────────────── observations ─────────────────────────────

    pub fn instance(&self, router: usize) -> &Instance {
        self.routers[router].instance.as_ref().expect("router is running")
    }

    /// The state of `a`'s neighbor `b` (on any interface), if any.
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

    /// Every live pair of routers on every up link is adjacent as it should be: Full on
    /// point-to-point links; on LANs Full with the DR and the BDR, 2-Way between others.
    pub fn adjacencies_up(&self) -> bool {
        self.links.iter().filter(|link| link.up).all(|link| {
            let live: Vec<&Attachment> = link
                .members
                .iter()
                .filter(|member| self.routers[member.router].instance.is_some())
                .collect();
            match link.kind {
                LinkKind::PointToPoint => {
                    live.len() < 2
                        || (self.neighbor_state(live[0].router, live[1].router) == Some(NeighborState::Full)
                            && self.neighbor_state(live[1].router, live[0].router) == Some(NeighborState::Full))
                }
                LinkKind::Lan => live.iter().all(|a| {
                    let Some(state) = self.routers[a.router]
                        .instance
                        .as_ref()
                        .and_then(|instance| instance.interface_state(a.ifindex))
                    else {
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
                        let b_state = self.routers[b.router]
                            .instance
                            .as_ref()
                            .and_then(|instance| instance.interface_state(b.ifindex));
                        let adjacent = matches!(state, InterfaceState::DR | InterfaceState::Backup)
                            || matches!(b_state, Some(InterfaceState::DR | InterfaceState::Backup));
                        let want = if adjacent {
                            NeighborState::Full
                        } else {
                            NeighborState::TwoWay
                        };
                        self.neighbor_state(a.router, b.router) == Some(want)
                    })
                }),
            }
        })
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

    /// Every live router has the same live LSAs.
    pub fn lsdbs_identical(&self) -> bool {
        let mut live = (0..self.routers.len()).filter(|router| self.routers[*router].instance.is_some());
        let Some(first) = live.next() else { return true };
        let reference = self.lsdb_summary(first);
        live.all(|router| self.lsdb_summary(router) == reference)
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

    /// `router`'s route to `address/len`, from its RoutesChanged, checked against the
    /// instance's own table.
    pub fn route(&self, router: usize, address: Ipv4Addr, len: u8) -> Option<&OspfRoute> {
        let prefix = Ipv4Prefix::new(address, len);
        let from_outputs = self.routers[router].routes.get(&prefix);
        let from_instance = self.routers[router]
            .instance
            .as_ref()
            .and_then(|instance| instance.routes().get(&prefix));
        assert_eq!(
            from_outputs, from_instance,
            "router {router}: RoutesChanged and the table disagree on {prefix:?}"
        );
        from_outputs
    }

    /// Every live router has a route to every other live router's loopback.
    pub fn full_mesh_of_loopbacks(&self) -> bool {
        let live: Vec<usize> = (0..self.routers.len())
            .filter(|router| self.routers[*router].instance.is_some())
            .collect();
        live.iter().all(|a| {
            live.iter()
                .filter(|b| a != *b)
                .all(|b| self.route(*a, loopback(*b), 32).is_some())
        })
    }
}
