//! One OSPFv2 router (RFC 2328, area 0): the single entry point of the sans-IO core.
//!
//! ```text
//!                 ┌───────────────────────── Instance ──────────────────────────┐
//!  Input::Packet ─┼─► receive (§8.2) ─► Hello §10.5 ─► neighbor fsm §10.3        │
//!  (ifindex, src, │                   ├► DD §10.6/10.8, LSR §10.7 ─┐             │─► Output::Send
//!   dst, ttl,     │                   ├► LSU §13 ─► LSDB §13.2 ────┼► flood §13.3│   (ifindex, dst, ttl, bytes)
//!   bytes)        │                   └► LSAck §13.7               │             │
//!  Input::Tick ───┼─► due timers: Hello, Wait, Inactivity, DD/LSR/LSU retransmit, │─► Output::RoutesChanged
//!                 │   delayed acks, LSA aging §14, MinLSInterval, SPF (RFC 8405)  │─► Output::NeighborChanged
//!  InterfaceUp/   │                                                               │─► Output::InterfaceChanged
//!  Down, Address  ├─► interface fsm §9.3, DR election §9.4                        │─► Output::Rejected
//!  Added/Removed  │                                                               │   (ifindex, src, reason)
//!  ConfigChanged ─┼─► own LSAs reconciled §12.4 (router-LSA, network-LSA as DR)  │
//!                 └──────────────────── next_deadline() ───────────────────────────┘
//! ```
//!
//! Time: every call takes `now`; the instance never reads a clock. It keeps its deadlines
//! itself (see [`crate::timers`]): the daemon sleeps until [`Instance::next_deadline`] and
//! calls `handle(Input::Tick, now)`, which fires every timer due. There is no timer to arm or
//! cancel on the daemon's side, which makes the daemon and the simulation trivial.
//!
//! The daemon's side, in full:
//!
//! ```text
//!   let (mut ospf, outputs) = Instance::new(config, now);      // then InterfaceUp/AddressAdded
//!   loop {
//!       select! {
//!           packet = socket.recv()      => outputs = ospf.handle(Input::Packet { .. }, now),
//!           event  = netlink.next()     => outputs = ospf.handle(Input::InterfaceUp { .. }, now),
//!           _ = sleep_until(ospf.next_deadline()) => outputs = ospf.handle(Input::Tick, now),
//!       }
//!       carry out `outputs`; the next deadline may already be `now` (a Hello answering a
//!       new neighbor): the loop fires it at once.
//!   }
//! ```
//!
//! The daemon joins AllSPFRouters and AllDRouters on every OSPF interface; the instance
//! drops what is sent to AllDRouters unless it is DR or Backup (§8.2).
//!
//! Work that several events may ask for within one call (re-originating the router-LSA,
//! electing a DR, flooding, acknowledging, scheduling SPF) is recorded and done once at the
//! end of the call (`Instance::finish`), so one Link State Update with 100 LSAs floods
//! them in one packet per interface.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::Ipv4Addr;
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;

use crate::Lsa;
use crate::config::{Config, InterfaceAuth, InterfaceConfig, NetworkType};
use crate::counters::InstanceCounters;
use crate::interface::{self, Interface, InterfaceAction, InterfaceEvent, InterfaceState, NextState};
use crate::lsa::LsaHeader;
use crate::lsdb::{LsaKey, Lsdb};
use crate::neighbor::{self, Neighbor, NeighborAction, NeighborConditions, NeighborEvent, NeighborState};
use crate::packet::{AuthConfig, Md5Keys, Packet, PacketAuth, PacketBody, PacketType};
use crate::spf::{RouteChange, SpfDelay, SpfResult};
use crate::timers::{TimerId, Timers};

/// AllSPFRouters (A.1).
pub const ALL_SPF_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 5);
/// AllDRouters (A.1).
pub const ALL_D_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 6);
/// The backbone.
pub const BACKBONE: Ipv4Addr = Ipv4Addr::UNSPECIFIED;

/// What the daemon feeds the instance.
#[derive(Debug, Clone)]
pub enum Input {
    /// An OSPF packet (the IP payload) received on `ifindex`.
    Packet {
        ifindex: u32,
        source: Ipv4Addr,
        destination: Ipv4Addr,
        ttl: u8,
        bytes: Bytes,
    },
    /// Time passed: fire the timers due at `now` (call it at [`Instance::next_deadline`]).
    Tick,
    /// The link of `ifindex` is up (operationally) with this MTU.
    InterfaceUp { ifindex: u32, mtu: u16 },
    /// The link of `ifindex` is down (or the interface is gone).
    InterfaceDown { ifindex: u32 },
    /// An address appeared on `ifindex` (any interface: announced prefixes are matched on
    /// every one).
    AddressAdded {
        ifindex: u32,
        address: Ipv4Addr,
        prefix_len: u8,
    },
    AddressRemoved {
        ifindex: u32,
        address: Ipv4Addr,
        prefix_len: u8,
    },
    /// §9.2 LoopInd / UnloopInd: the interface is looped back (or no longer).
    Looped { ifindex: u32, looped: bool },
    /// The router is about to stop (§14.1 premature aging): every self-originated LSA is
    /// flushed (MaxAge, flooded), so that the neighbors route around this router at once
    /// instead of after RouterDeadInterval, and none is originated any more. Send the
    /// outputs, then stop.
    Shutdown,
    /// A new configuration (SIGHUP). Interfaces whose Hello, network type, priority,
    /// authentication or passivity changed are restarted; a cost change re-originates the
    /// router-LSA; a new router ID restarts the whole instance.
    ConfigChanged(Box<Config>),
}

/// What the instance asks the daemon to do or tells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "output", rename_all = "kebab-case")]
pub enum Output {
    /// Send `bytes` (an OSPF packet, the IP payload) out of `ifindex` to `destination`
    /// (AllSPFRouters, AllDRouters or a neighbor's address), with this IP TTL.
    Send {
        ifindex: u32,
        destination: Ipv4Addr,
        ttl: u8,
        #[serde(skip)]
        bytes: Bytes,
    },
    /// The routing table changed (after an SPF run): install these changes.
    RoutesChanged(Vec<RouteChange>),
    /// A neighbor changed state (for the log).
    NeighborChanged {
        ifindex: u32,
        router_id: Ipv4Addr,
        address: Ipv4Addr,
        from: NeighborState,
        to: NeighborState,
        event: NeighborEvent,
    },
    /// An interface changed state (for the log).
    InterfaceChanged {
        ifindex: u32,
        from: InterfaceState,
        to: InterfaceState,
        event: InterfaceEvent,
    },
    /// A packet (or an LSA in it) was refused; `reason` names the counter (rate-limit logs).
    Rejected {
        ifindex: u32,
        source: Ipv4Addr,
        reason: &'static str,
    },
}

/// The book-keeping of one own LSA (§12.4).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OwnLsa {
    /// When it was last originated (MinLSInterval).
    pub last_origination: Option<Instant>,
}

/// The state of one link as the daemon reports it (any interface, OSPF or not).
#[derive(Debug, Clone, Default)]
pub(crate) struct Link {
    pub up: bool,
    pub mtu: u16,
    pub addresses: BTreeSet<(Ipv4Addr, u8)>,
}

/// One OSPF router in area 0.
#[derive(Debug)]
pub struct Instance {
    pub(crate) config: Config,
    pub(crate) interfaces: BTreeMap<u32, Interface>,
    pub(crate) links: BTreeMap<u32, Link>,
    pub(crate) lsdb: Lsdb,
    pub(crate) timers: Timers,
    pub(crate) own: BTreeMap<LsaKey, OwnLsa>,
    /// Self-originated LSAs in the database (§13.4: own router ID, or a network-LSA for one
    /// of our addresses).
    pub(crate) own_keys: BTreeSet<LsaKey>,
    /// Own LSAs to originate again even if unchanged (refresh, §13.4).
    pub(crate) own_forced: BTreeSet<LsaKey>,
    /// §12.1.6: own LSAs being flushed before their sequence number wraps.
    pub(crate) wrap_pending: BTreeSet<LsaKey>,
    /// §14: MaxAge LSAs waiting to be removed.
    pub(crate) max_age: BTreeSet<LsaKey>,
    pub(crate) out: Vec<Output>,
    pub(crate) if_events: VecDeque<(u32, InterfaceEvent)>,
    pub(crate) own_dirty: bool,
    /// LSAs to flood, by interface and destination, sent at the end of the call.
    pub(crate) flood_queue: BTreeMap<(u32, Ipv4Addr), Vec<Lsa>>,
    /// Direct acknowledgments, by interface and destination, sent at the end of the call.
    pub(crate) direct_acks: BTreeMap<(u32, Ipv4Addr), Vec<LsaHeader>>,
    pub(crate) spf_delay: SpfDelay,
    /// The last SPF result; its routes are what the daemon was told.
    pub(crate) spf: SpfResult,
    pub(crate) spf_runs: u64,
    pub(crate) last_spf: Option<Instant>,
    pub(crate) lsdb_changes: u64,
    pub(crate) dd_sequence_seed: u32,
    pub(crate) counters: InstanceCounters,
    pub(crate) started: Instant,
    /// [`Input::Shutdown`] came: no LSA is wanted any more.
    pub(crate) shutting_down: bool,
}

impl Instance {
    /// A router with `config`; interfaces stay Down until the daemon reports them up with
    /// an address.
    pub fn new(config: Config, now: Instant) -> (Self, Vec<Output>) {
        let mut instance = Self {
            lsdb: Lsdb::new(config.max_lsas),
            spf_delay: SpfDelay::new(config.spf_delay),
            dd_sequence_seed: config.crypto_sequence_start ^ u32::from(config.router_id),
            interfaces: BTreeMap::new(),
            links: BTreeMap::new(),
            timers: Timers::default(),
            own: BTreeMap::new(),
            own_keys: BTreeSet::new(),
            own_forced: BTreeSet::new(),
            wrap_pending: BTreeSet::new(),
            max_age: BTreeSet::new(),
            out: Vec::new(),
            if_events: VecDeque::new(),
            own_dirty: true,
            flood_queue: BTreeMap::new(),
            direct_acks: BTreeMap::new(),
            spf: SpfResult::default(),
            spf_runs: 0,
            last_spf: None,
            lsdb_changes: 0,
            counters: InstanceCounters::default(),
            started: now,
            shutting_down: false,
            config,
        };
        for interface in instance.config.interfaces.clone() {
            instance.add_interface(interface, now);
        }
        instance.finish(now);
        let out = std::mem::take(&mut instance.out);
        (instance, out)
    }

    pub fn router_id(&self) -> Ipv4Addr {
        self.config.router_id
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The earliest deadline: call `handle(Input::Tick, deadline)` then.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Handles one input at `now` and returns what to do.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Output> {
        match input {
            Input::Packet {
                ifindex,
                source,
                destination,
                ttl,
                bytes,
            } => self.receive(ifindex, source, destination, ttl, &bytes, now),
            Input::Tick => self.fire_timers(now),
            Input::InterfaceUp { ifindex, mtu } => {
                let link = self.links.entry(ifindex).or_default();
                link.up = true;
                link.mtu = mtu;
                self.update_interface(ifindex, now);
            }
            Input::InterfaceDown { ifindex } => {
                self.links.entry(ifindex).or_default().up = false;
                self.update_interface(ifindex, now);
            }
            Input::AddressAdded {
                ifindex,
                address,
                prefix_len,
            } => {
                self.links
                    .entry(ifindex)
                    .or_default()
                    .addresses
                    .insert((address, prefix_len.min(32)));
                self.own_dirty = true;
                self.update_interface(ifindex, now);
            }
            Input::AddressRemoved {
                ifindex,
                address,
                prefix_len,
            } => {
                if let Some(link) = self.links.get_mut(&ifindex) {
                    link.addresses.remove(&(address, prefix_len.min(32)));
                }
                self.own_dirty = true;
                self.update_interface(ifindex, now);
            }
            Input::Looped { ifindex, looped } => {
                let event = if looped {
                    InterfaceEvent::LoopInd
                } else {
                    InterfaceEvent::UnloopInd
                };
                self.interface_event(ifindex, event, now);
                if !looped {
                    self.update_interface(ifindex, now);
                }
            }
            Input::ConfigChanged(config) => self.reconfigure(*config, now),
            Input::Shutdown => {
                self.shutting_down = true;
                self.own_dirty = true;
            }
        }
        self.finish(now);
        std::mem::take(&mut self.out)
    }

    // ─────────────────────────────── deferred work ───────────────────────────────

    /// Everything recorded during the call: interface events, MaxAge removals, own LSAs,
    /// request lists, floods, acknowledgments, the SPF schedule.
    pub(crate) fn finish(&mut self, now: Instant) {
        // Bounded: every pass either empties a queue or makes no new work.
        for _ in 0..16 {
            while let Some((ifindex, event)) = self.if_events.pop_front() {
                self.interface_event(ifindex, event, now);
            }
            self.check_requests(now);
            self.max_age_sweep(now);
            if self.own_dirty {
                self.own_dirty = false;
                self.reconcile_own_lsas(now);
            }
            if self.if_events.is_empty() && !self.own_dirty {
                break;
            }
        }
        self.flush_floods(now);
        self.flush_direct_acks();
        self.sync_spf_timer();
    }

    // ─────────────────────────────── timers ───────────────────────────────

    fn fire_timers(&mut self, now: Instant) {
        // Timers re-armed for `now` or earlier while firing are handled too; the bound
        // guards against a bug re-arming a timer for the past forever.
        for _ in 0..100_000 {
            let Some(id) = self.timers.pop_due(now) else { break };
            self.fire(id, now);
        }
    }

    fn fire(&mut self, id: TimerId, now: Instant) {
        match id {
            TimerId::Hello { ifindex } => self.hello_timer(ifindex, now),
            TimerId::Wait { ifindex } => self.interface_event(ifindex, InterfaceEvent::WaitTimer, now),
            TimerId::DelayedAck { ifindex } => self.flush_delayed_acks(ifindex),
            TimerId::Inactivity { ifindex, neighbor } => {
                self.neighbor_event(ifindex, neighbor, NeighborEvent::InactivityTimer, now)
            }
            TimerId::DdRetransmit { ifindex, neighbor } => self.retransmit_dd(ifindex, neighbor, now),
            TimerId::DdHoldLast { ifindex, neighbor } => {
                if let Some(neighbor) = self.neighbor_mut(ifindex, neighbor)
                    && neighbor.state >= NeighborState::Loading
                {
                    neighbor.last_tx_dd = None;
                }
            }
            TimerId::LsrRetransmit { ifindex, neighbor } => self.send_ls_request(ifindex, neighbor, now),
            TimerId::LsuRetransmit { ifindex, neighbor } => self.retransmit_lsas(ifindex, neighbor, now),
            TimerId::LsaAge(key) => self.lsa_age_timer(key, now),
            TimerId::Originate(_) => self.own_dirty = true,
            TimerId::Spf => self.spf_timer(now),
        }
    }

    // ─────────────────────────────── interfaces ───────────────────────────────

    fn add_interface(&mut self, config: InterfaceConfig, now: Instant) {
        let ifindex = config.ifindex;
        let sequence = self.config.crypto_sequence_start;
        self.interfaces.insert(ifindex, Interface::new(config, sequence, now));
        self.update_interface(ifindex, now);
    }

    /// Brings the OSPF interface of `ifindex` up or down to match the link, its addresses
    /// and the configuration (InterfaceUp / InterfaceDown, §9.2).
    pub(crate) fn update_interface(&mut self, ifindex: u32, now: Instant) {
        let link = self.links.get(&ifindex).cloned().unwrap_or_default();
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        // The address in use stays while the link has it: a VIP that a VRRP daemon adds to
        // the same subnet (lower than ours or not) must not become the interface's address
        // and reset every adjacency on each failover.
        let address = interface
            .address
            .filter(|current| link.addresses.contains(current))
            .or_else(|| choose_address(&link.addresses, interface.config.network_type));
        let should_run = link.up && address.is_some();
        interface.link_up = link.up;
        if link.mtu > 0 {
            interface.mtu = link.mtu;
        }
        let running = !matches!(interface.state, InterfaceState::Down | InterfaceState::Loopback);
        if interface.state == InterfaceState::Loopback {
            return;
        }
        if running && (!should_run || interface.address != address) {
            self.interface_event(ifindex, InterfaceEvent::InterfaceDown, now);
        }
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        if should_run && interface.state == InterfaceState::Down {
            interface.address = address;
            self.interface_event(ifindex, InterfaceEvent::InterfaceUp, now);
        }
    }

    /// §9.3: runs the interface state machine.
    pub(crate) fn interface_event(&mut self, ifindex: u32, event: InterfaceEvent, now: Instant) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let from = interface.state;
        let Some((next, actions)) = interface::fsm(from, event, interface.conditions()) else {
            return;
        };
        let dead = interface.config.dead();
        for action in actions {
            match action {
                InterfaceAction::StartHello => {
                    self.timers.arm(TimerId::Hello { ifindex }, now);
                }
                InterfaceAction::StartWaitTimer => {
                    self.timers.arm(TimerId::Wait { ifindex }, now + dead);
                }
                InterfaceAction::ElectDr => self.elect_dr(ifindex, now),
                InterfaceAction::Reset => self.reset_interface(ifindex, now),
            }
        }
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        if let NextState::State(state) = next {
            if state == InterfaceState::DR && interface.config.passive {
                // A passive broadcast interface is alone on its network: DR of itself.
                interface.dr = interface.ip();
            }
            interface.state = state;
        }
        if interface.state != from {
            interface.state_changes = interface.state_changes.saturating_add(1);
            interface.last_state_change = now;
            self.out.push(Output::InterfaceChanged {
                ifindex,
                from,
                to: interface.state,
                event,
            });
            self.own_dirty = true;
        }
    }

    /// §9.3 InterfaceDown: reset the variables, stop the timers, KillNbr every neighbor.
    fn reset_interface(&mut self, ifindex: u32, now: Instant) {
        let neighbors: Vec<Ipv4Addr> = self
            .interfaces
            .get(&ifindex)
            .map(|interface| interface.neighbors.keys().copied().collect())
            .unwrap_or_default();
        for neighbor in neighbors {
            self.neighbor_event(ifindex, neighbor, NeighborEvent::KillNbr, now);
        }
        self.timers.cancel(TimerId::Hello { ifindex });
        self.timers.cancel(TimerId::Wait { ifindex });
        self.timers.cancel(TimerId::DelayedAck { ifindex });
        if let Some(interface) = self.interfaces.get_mut(&ifindex) {
            interface.dr = Ipv4Addr::UNSPECIFIED;
            interface.bdr = Ipv4Addr::UNSPECIFIED;
            interface.delayed_acks.clear();
            interface.neighbors.clear();
        }
        self.flood_queue.retain(|(queued, _), _| *queued != ifindex);
        self.direct_acks.retain(|(queued, _), _| *queued != ifindex);
    }

    /// §9.4: the DR election, then the interface's new state and AdjOK? for the neighbors
    /// when the DR or BDR changed (step 7).
    fn elect_dr(&mut self, ifindex: u32, now: Instant) {
        let router_id = self.config.router_id;
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let result = interface::elect(interface.me_as_candidate(router_id), &interface.election_candidates());
        let changed = (interface.dr, interface.bdr) != (result.dr, result.bdr);
        interface.dr = result.dr;
        interface.bdr = result.bdr;
        let ip = interface.ip();
        // (5) "As a result of these calculations, the router itself may now be Designated
        // Router or Backup Designated Router ... The interface state should be set
        // accordingly."
        interface.state = if result.dr == ip {
            InterfaceState::DR
        } else if result.bdr == ip {
            InterfaceState::Backup
        } else {
            InterfaceState::DROther
        };
        if changed {
            // (7) "If the above calculations have caused the identity of either the
            // Designated Router or Backup Designated Router to change, the event AdjOK?
            // must be invoked on all neighbors whose state is at least 2-Way."
            let neighbors: Vec<Ipv4Addr> = interface
                .neighbors
                .values()
                .filter(|neighbor| neighbor.state >= NeighborState::TwoWay)
                .map(|neighbor| neighbor.router_id)
                .collect();
            for neighbor in neighbors {
                self.neighbor_event(ifindex, neighbor, NeighborEvent::AdjOk, now);
            }
            // Our Hellos must tell the new DR/BDR at once.
            self.timers.arm(TimerId::Hello { ifindex }, now);
        }
        self.own_dirty = true;
    }

    fn reconfigure(&mut self, config: Config, now: Instant) {
        if config.router_id != self.config.router_id {
            // A new router ID: flush the LSAs of the old one (§14.1), then start over.
            let own: Vec<LsaKey> = self.own_keys.iter().copied().collect();
            for key in own {
                self.flush_own(key, now);
            }
            self.flush_floods(now);
            let interfaces: Vec<u32> = self.interfaces.keys().copied().collect();
            for ifindex in interfaces {
                self.interface_event(ifindex, InterfaceEvent::InterfaceDown, now);
            }
            let links = std::mem::take(&mut self.links);
            let (mut fresh, out) = Self::new(config, now);
            self.out.extend(out);
            for (ifindex, link) in links {
                fresh.links.insert(ifindex, link);
                fresh.update_interface(ifindex, now);
            }
            fresh.out = std::mem::take(&mut self.out);
            // The daemon holds the routes reported so far: later diffs start from them.
            fresh.spf = std::mem::take(&mut self.spf);
            fresh.lsdb_changed(now);
            *self = fresh;
            return;
        }
        let old = std::mem::replace(&mut self.config, config);
        self.lsdb.set_max_lsas(self.config.max_lsas);
        self.spf_delay.set_config(self.config.spf_delay);
        // Removed or restarted interfaces go down first.
        let ifindexes: Vec<u32> = self.interfaces.keys().copied().collect();
        for ifindex in ifindexes {
            let new = self.config.interface_config(ifindex).cloned();
            let Some(interface) = self.interfaces.get_mut(&ifindex) else {
                continue;
            };
            match new {
                None => {
                    self.interface_event(ifindex, InterfaceEvent::InterfaceDown, now);
                    self.interfaces.remove(&ifindex);
                }
                Some(new) if interface.config.needs_restart(&new) => {
                    self.interface_event(ifindex, InterfaceEvent::InterfaceDown, now);
                    if let Some(interface) = self.interfaces.get_mut(&ifindex) {
                        interface.config = new;
                    }
                    self.update_interface(ifindex, now);
                }
                Some(new) => interface.config = new,
            }
        }
        for interface in self.config.interfaces.clone() {
            if !self.interfaces.contains_key(&interface.ifindex) {
                self.add_interface(interface, now);
            }
        }
        if old.announce != self.config.announce {
            self.own_dirty = true;
        }
        self.own_dirty = true;
    }

    // ─────────────────────────────── neighbors ───────────────────────────────

    pub(crate) fn neighbor(&self, ifindex: u32, router_id: Ipv4Addr) -> Option<&Neighbor> {
        self.interfaces.get(&ifindex)?.neighbors.get(&router_id)
    }

    pub(crate) fn neighbor_mut(&mut self, ifindex: u32, router_id: Ipv4Addr) -> Option<&mut Neighbor> {
        self.interfaces.get_mut(&ifindex)?.neighbors.get_mut(&router_id)
    }

    /// §10.3: runs the neighbor state machine and carries out its actions.
    pub(crate) fn neighbor_event(&mut self, ifindex: u32, router_id: Ipv4Addr, event: NeighborEvent, now: Instant) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let Some(neighbor) = interface.neighbors.get(&router_id) else {
            return;
        };
        let cond = NeighborConditions {
            adjacency_wanted: interface.adjacency_wanted(neighbor),
            request_list_empty: neighbor.ls_request.is_empty(),
        };
        let from = neighbor.state;
        let address = neighbor.address;
        let dead = interface.config.dead();
        let Some((to, actions)) = neighbor::fsm(from, event, cond) else {
            return;
        };
        if let Some(neighbor) = self.neighbor_mut(ifindex, router_id) {
            neighbor.state = to;
            if to != from {
                neighbor.state_changes = neighbor.state_changes.saturating_add(1);
                neighbor.last_state_change = now;
            }
        }
        for action in actions {
            match action {
                NeighborAction::RestartInactivityTimer => {
                    self.timers.arm(
                        TimerId::Inactivity {
                            ifindex,
                            neighbor: router_id,
                        },
                        now + dead,
                    );
                }
                NeighborAction::StopInactivityTimer => self.timers.cancel(TimerId::Inactivity {
                    ifindex,
                    neighbor: router_id,
                }),
                NeighborAction::StartExStart => self.start_exstart(ifindex, router_id, now),
                NeighborAction::BuildSummaryList => self.build_summary_list(ifindex, router_id, now),
                NeighborAction::SendLsRequest => {
                    let idle = self
                        .neighbor(ifindex, router_id)
                        .is_some_and(|neighbor| neighbor.ls_request_in_flight.is_empty());
                    if idle {
                        self.send_ls_request(ifindex, router_id, now);
                    }
                }
                NeighborAction::ClearLists => self.clear_adjacency(ifindex, router_id),
            }
        }
        if to == from {
            return;
        }
        self.out.push(Output::NeighborChanged {
            ifindex,
            router_id,
            address,
            from,
            to,
            event,
        });
        // §9.2 NeighborChange: "Bidirectional communication has been established to a
        // neighbor ... or lost"; and a change to or from Full changes our LSAs (§12.4).
        if (from >= NeighborState::TwoWay) != (to >= NeighborState::TwoWay) {
            self.if_events.push_back((ifindex, InterfaceEvent::NeighborChange));
        }
        if from == NeighborState::Full || to == NeighborState::Full {
            self.own_dirty = true;
        }
        if to == NeighborState::Down {
            self.clear_adjacency(ifindex, router_id);
            self.timers.cancel(TimerId::Inactivity {
                ifindex,
                neighbor: router_id,
            });
            if let Some(interface) = self.interfaces.get_mut(&ifindex) {
                interface.neighbors.remove(&router_id);
            }
        }
    }

    /// Clears the adjacency's lists and stops its timers (§10.3 actions).
    fn clear_adjacency(&mut self, ifindex: u32, router_id: Ipv4Addr) {
        if let Some(neighbor) = self.neighbor_mut(ifindex, router_id) {
            neighbor.clear_lists();
        }
        for id in [
            TimerId::DdRetransmit {
                ifindex,
                neighbor: router_id,
            },
            TimerId::DdHoldLast {
                ifindex,
                neighbor: router_id,
            },
            TimerId::LsrRetransmit {
                ifindex,
                neighbor: router_id,
            },
            TimerId::LsuRetransmit {
                ifindex,
                neighbor: router_id,
            },
        ] {
            self.timers.cancel(id);
        }
    }

    /// Is any neighbor in Exchange or Loading (§13 (4), §14)?
    pub(crate) fn any_neighbor_exchanging(&self) -> bool {
        self.interfaces.values().any(|interface| {
            interface
                .neighbors
                .values()
                .any(|neighbor| matches!(neighbor.state, NeighborState::Exchange | NeighborState::Loading))
        })
    }

    /// Where packets for a neighbor go: AllSPFRouters on point-to-point links (§8.1), its
    /// address otherwise.
    pub(crate) fn neighbor_destination(network_type: NetworkType, neighbor_address: Ipv4Addr) -> Ipv4Addr {
        match network_type {
            NetworkType::PointToPoint => ALL_SPF_ROUTERS,
            NetworkType::Broadcast => neighbor_address,
        }
    }

    /// The next DD sequence number to start an exchange with (§10.8: "a unique value").
    pub(crate) fn next_dd_sequence(&mut self) -> u32 {
        self.dd_sequence_seed = self.dd_sequence_seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        self.dd_sequence_seed >> 1
    }

    // ─────────────────────────────── sending ───────────────────────────────

    /// Encodes and sends a packet out of `ifindex` (with the interface's authentication).
    pub(crate) fn send(&mut self, ifindex: u32, destination: Ipv4Addr, body: PacketBody) {
        let router_id = self.config.router_id;
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let empty = Md5Keys::new();
        let (auth, keys) = match &interface.config.auth {
            InterfaceAuth::None => (PacketAuth::Null, &empty),
            InterfaceAuth::Simple(password) => (PacketAuth::SimplePassword(password.clone()), &empty),
            InterfaceAuth::Md5 { keys, send_key_id } => {
                // D.4.3: the sequence number must not decrease; it increases per packet.
                let sequence = interface.crypto_sequence;
                interface.crypto_sequence = sequence.wrapping_add(1);
                (
                    PacketAuth::Cryptographic {
                        key_id: *send_key_id,
                        sequence,
                    },
                    keys,
                )
            }
        };
        let packet = Packet {
            router_id,
            area_id: BACKBONE,
            auth,
            body,
            trailer: Bytes::new(),
        };
        match packet.encode(keys) {
            Ok(bytes) => {
                interface.counters.sent.count(packet.packet_type());
                self.out.push(Output::Send {
                    ifindex,
                    destination,
                    ttl: if interface.config.ttl_security { 255 } else { 1 },
                    bytes,
                });
            }
            Err(_) => self.counters.encode_errors = self.counters.encode_errors.saturating_add(1),
        }
    }

    /// Sends a packet already encoded for `ifindex` (the same bytes as for another interface
    /// without authentication): counts it like [`send`](Self::send).
    pub(crate) fn send_encoded(&mut self, ifindex: u32, destination: Ipv4Addr, packet_type: PacketType, bytes: Bytes) {
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        interface.counters.sent.count(packet_type);
        self.out.push(Output::Send {
            ifindex,
            destination,
            ttl: if interface.config.ttl_security { 255 } else { 1 },
            bytes,
        });
    }

    /// Refuses a packet: counts it and tells the daemon.
    pub(crate) fn reject(&mut self, ifindex: u32, source: Ipv4Addr, reason: &'static str) {
        if let Some(interface) = self.interfaces.get_mut(&ifindex) {
            interface.counters.reject(reason);
        }
        self.out.push(Output::Rejected {
            ifindex,
            source,
            reason,
        });
    }

    pub(crate) fn auth_config(interface: &Interface) -> AuthConfig {
        match &interface.config.auth {
            InterfaceAuth::None => AuthConfig::Null,
            InterfaceAuth::Simple(password) => AuthConfig::SimplePassword(password.clone()),
            InterfaceAuth::Md5 { keys, .. } => AuthConfig::Md5(keys.clone()),
        }
    }
}

/// The address OSPF runs on: the lowest address with a prefix shorter than /32; on
/// point-to-point interfaces a /32 (peer addressing) will do.
fn choose_address(addresses: &BTreeSet<(Ipv4Addr, u8)>, network_type: NetworkType) -> Option<(Ipv4Addr, u8)> {
    addresses
        .iter()
        .copied()
        .find(|(_, len)| *len < 32)
        .or_else(|| match network_type {
            NetworkType::PointToPoint => addresses.iter().copied().next(),
            NetworkType::Broadcast => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{A_ADDRESS, B, IFINDEX, Pair};
    use std::time::Duration;

    /// A VIP that a VRRP daemon adds to the OSPF interface's subnet, sorting before the
    /// interface's own address, neither replaces that address nor resets the adjacency.
    #[test]
    fn a_vip_in_the_interface_subnet_does_not_take_the_interface_address() {
        let mut pair = Pair::full();
        let vip = Ipv4Addr::new(10, 0, 0, 0);
        pair.input(
            true,
            Input::AddressAdded {
                ifindex: IFINDEX,
                address: vip,
                prefix_len: 30,
            },
        );
        pair.advance(Duration::from_secs(2));
        let interface = pair.a.interfaces.get(&IFINDEX).expect("interface");
        assert_eq!(interface.address, Some((A_ADDRESS, 30)));
        assert_eq!(pair.a.neighbor_state(IFINDEX, B), Some(NeighborState::Full));
        pair.input(
            true,
            Input::AddressRemoved {
                ifindex: IFINDEX,
                address: vip,
                prefix_len: 30,
            },
        );
        pair.advance(Duration::from_secs(2));
        assert_eq!(pair.a.neighbor_state(IFINDEX, B), Some(NeighborState::Full));
    }
}
