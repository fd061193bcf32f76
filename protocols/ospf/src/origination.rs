//! Originating the router's own LSAs (RFC 2328 §12.4): the router-LSA (§12.4.1), as
//! Designated Router the network-LSA (§12.4.2), and as AS boundary router the AS-external-LSAs
//! (§12.4.4) of the configured external prefixes present on the node.
//!
//! Origination is a reconciliation: [`Instance::reconcile_own_lsas`] computes the LSAs the
//! router should have in the database right now (from interface states, adjacencies and
//! addresses) and compares them with what is there:
//!
//! ```text
//!   wanted, missing or different (or forced: refresh, §13.4) ──► originate, seq + 1
//!        └─ within MinLSInterval of the last origination ──► Originate timer, retry then
//!   in the database, self-originated, not wanted ──► premature aging (§14.1)
//!   sequence number at MaxSequenceNumber ──► flush, then InitialSequenceNumber (§12.1.6)
//! ```
//!
//! It runs at the end of any call that may have changed the inputs (`own_dirty`), so a
//! burst of events gives one new instance. An address that disappears (a VIP) is withdrawn
//! within one MinLSInterval.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Instant;

use crate::config::{mask, network};
use crate::instance::Instance;
use crate::interface::InterfaceState;
use crate::lsa::{
    AsExternalLsa, ExternalMetric, LsaHeader, LsaType, NetworkLsa, RouterLink, RouterLinkType, RouterLsa,
    RouterLsaFlags,
};
use crate::lsdb::{INITIAL_SEQUENCE_NUMBER, LsaKey, MAX_SEQUENCE_NUMBER};
use crate::neighbor::NeighborState;
use crate::timers::TimerId;
use crate::{Lsa, LsaBody, Options};

impl Instance {
    /// The LSAs this router should originate now.
    pub(crate) fn wanted_own_lsas(&self) -> BTreeMap<LsaKey, LsaBody> {
        let router_id = self.config.router_id;
        let mut wanted = BTreeMap::new();
        // §14.1: a router that stops flushes what it originated.
        if self.shutting_down {
            return wanted;
        }
        let externals = self.wanted_externals();
        let mut router = self.router_lsa_body();
        // §12.4.1: "Bit E: When set, the router is an AS boundary router."
        if !externals.is_empty() {
            router.flags |= RouterLsaFlags::E;
        }
        wanted.extend(externals);
        let router_key = LsaKey::new(LsaType::ROUTER, router_id, router_id);
        // A router-LSA without links says nothing: it is not originated until there is
        // something to announce (an existing one is still updated, to no links).
        if !router.links.is_empty() || self.lsdb.get(&router_key).is_some() {
            wanted.insert(router_key, LsaBody::Router(router));
        }
        for interface in self.interfaces.values() {
            // §12.4.2: "A network-LSA is generated for every transit broadcast or NBMA
            // network. ... The network-LSA for a particular network is originated by the
            // network's Designated Router. The LSA is only originated when the network has
            // at least two attached routers ... the DR is fully adjacent to at least one
            // other router on the network."
            if interface.state != InterfaceState::DR || interface.config.passive {
                continue;
            }
            let mut attached: Vec<Ipv4Addr> = interface.full_neighbors().map(|neighbor| neighbor.router_id).collect();
            if attached.is_empty() {
                continue;
            }
            // "The Attached Router field lists the Router IDs of the routers fully adjacent
            // to the DR, the DR itself included."
            attached.insert(0, router_id);
            wanted.insert(
                LsaKey::new(LsaType::NETWORK, interface.ip(), router_id),
                LsaBody::Network(NetworkLsa {
                    network_mask: mask(interface.prefix_len()),
                    attached_routers: attached,
                }),
            );
        }
        wanted
    }

    /// §12.4.4: one AS-external-LSA per configured external prefix's address present on an
    /// interface that is up. Link State ID: the network (§E's host-bit variant for two masks
    /// of one network is not needed: one address, one mask).
    fn wanted_externals(&self) -> BTreeMap<LsaKey, LsaBody> {
        let mut wanted = BTreeMap::new();
        if self.config.external.is_empty() {
            return wanted;
        }
        for link in self.links.values().filter(|link| link.up) {
            for &(address, len) in &link.addresses {
                let Some(external) = self.config.external.iter().find(|prefix| prefix.covers(address, len)) else {
                    continue;
                };
                let key = LsaKey::new(LsaType::AS_EXTERNAL, network(address, len), self.config.router_id);
                wanted.entry(key).or_insert_with(|| {
                    LsaBody::AsExternal(AsExternalLsa {
                        network_mask: mask(len),
                        metric: ExternalMetric {
                            metric_type: external.metric_type,
                            tos: 0,
                            metric: external.metric,
                            forwarding_address: external.forwarding_address,
                            route_tag: external.route_tag,
                        },
                        tos_metrics: Vec::new(),
                    })
                });
            }
        }
        wanted
    }

    /// §12.4.1: the router-LSA's links.
    pub(crate) fn router_lsa_body(&self) -> RouterLsa {
        let mut links = Vec::new();
        let mut stubs: BTreeSet<(Ipv4Addr, Ipv4Addr)> = BTreeSet::new();
        let mut stub = |links: &mut Vec<RouterLink>, address: Ipv4Addr, len: u8, metric: u16| {
            let (link_id, link_data) = (network(address, len), mask(len));
            if stubs.insert((link_id, link_data)) {
                links.push(RouterLink {
                    link_id,
                    link_data,
                    link_type: RouterLinkType::STUB,
                    metric,
                    tos_metrics: Vec::new(),
                });
            }
        };
        for interface in self.interfaces.values() {
            let (ip, len, cost) = (interface.ip(), interface.prefix_len(), interface.config.cost);
            match interface.state {
                // "If the attached network does not belong to the area, or the interface's
                // state is Down, no links are added."
                InterfaceState::Down => {}
                // "If the state of the interface is Loopback, add a Type 3 link (stub
                // network) as long as this is not an interface to an unnumbered
                // point-to-point network. The Link ID should be set to the IP interface
                // address, the Link Data set to the mask 0xffffffff ..., and the cost set
                // to 0."
                InterfaceState::Loopback => stub(&mut links, ip, 32, 0),
                _ if interface.config.passive => stub(&mut links, ip, len, cost),
                // §12.4.1.1 point-to-point: "If the neighboring router is fully adjacent,
                // add a Type 1 link (point-to-point). The Link ID should be set to the
                // Router ID of the neighboring router. ... the Link Data should specify the
                // interface's IP address. ... In addition, as long as the state of the
                // interface is 'Point-to-Point' (and regardless of the neighboring router
                // state), a Type 3 link (stub network) should be added" (option 1: the
                // subnet; a /32 peer address has no subnet to add).
                InterfaceState::PointToPoint => {
                    for neighbor in interface.full_neighbors() {
                        links.push(RouterLink {
                            link_id: neighbor.router_id,
                            link_data: ip,
                            link_type: RouterLinkType::POINT_TO_POINT,
                            metric: cost,
                            tos_metrics: Vec::new(),
                        });
                    }
                    if len < 32 {
                        stub(&mut links, ip, len, cost);
                    }
                }
                // §12.4.1.2 broadcast: "If the state of the interface is Waiting, add a Type
                // 3 link (stub network)".
                InterfaceState::Waiting => stub(&mut links, ip, len, cost),
                // "Else, there are two cases: if the router is fully adjacent to the
                // network's Designated Router, or if the router itself is Designated Router
                // and is fully adjacent to at least one other router, add a single Type 2
                // link (transit network) with Link ID set to the IP interface address of
                // the attached network's Designated Router ... Link Data ... the router's
                // own IP interface address. Otherwise, add a link to the network as if it
                // were a stub network."
                InterfaceState::DROther | InterfaceState::Backup | InterfaceState::DR => {
                    let transit = if interface.state == InterfaceState::DR {
                        interface.full_neighbors().next().is_some()
                    } else {
                        interface
                            .neighbors
                            .values()
                            .any(|neighbor| neighbor.address == interface.dr && neighbor.state == NeighborState::Full)
                    };
                    if transit {
                        links.push(RouterLink {
                            link_id: interface.dr,
                            link_data: ip,
                            link_type: RouterLinkType::TRANSIT,
                            metric: cost,
                            tos_metrics: Vec::new(),
                        });
                    } else {
                        stub(&mut links, ip, len, cost);
                    }
                }
            }
        }
        // Announced prefixes present on the node (loopbacks, VIPs on any interface): stub
        // links, unless the address is the one an OSPF interface runs on (announced above).
        // Only addresses on interfaces that are up attract traffic.
        let ospf_addresses: BTreeSet<Ipv4Addr> = self
            .interfaces
            .values()
            .filter(|interface| interface.state != InterfaceState::Down)
            .filter_map(|interface| interface.address.map(|(address, _)| address))
            .collect();
        for link in self.links.values().filter(|link| link.up) {
            for &(address, len) in &link.addresses {
                if ospf_addresses.contains(&address) {
                    continue;
                }
                if let Some(prefix) = self.config.announce.iter().find(|prefix| prefix.covers(address, len)) {
                    stub(&mut links, address, len, prefix.cost);
                }
            }
        }
        RouterLsa {
            flags: RouterLsaFlags::empty(),
            reserved: 0,
            links,
        }
    }

    /// Brings the database's own LSAs in line with [`wanted_own_lsas`](Self::wanted_own_lsas).
    pub(crate) fn reconcile_own_lsas(&mut self, now: Instant) {
        let wanted = self.wanted_own_lsas();
        for (key, body) in &wanted {
            let forced = self.own_forced.contains(key);
            let current = self.lsdb.get(key);
            let up_to_date = current.is_some_and(|entry| {
                !entry.is_max_age()
                    && entry.lsa().body() == body
                    && entry.lsa().header().options == Options::E
                    && entry.lsa().header().advertising_router == self.config.router_id
            });
            if (up_to_date && !forced) || self.wrap_pending.contains(key) {
                self.own_forced.remove(key);
                continue;
            }
            self.originate(*key, body.clone(), now);
        }
        // §13.4 / §14.1: own LSAs that are no longer wanted are flushed.
        let unwanted: Vec<LsaKey> = self
            .own_keys
            .iter()
            .filter(|key| !wanted.contains_key(key))
            .copied()
            .collect();
        for key in unwanted {
            self.own_forced.remove(&key);
            if self.lsdb.get(&key).is_some_and(|entry| !entry.is_max_age()) {
                self.flush_own(key, now);
            }
        }
    }

    /// §12.4: originates a new instance of an own LSA, unless one was originated less than
    /// MinLSInterval ago (then the Originate timer retries).
    fn originate(&mut self, key: LsaKey, body: LsaBody, now: Instant) {
        let min_interval = self.config.min_ls_interval;
        let own = self.own.entry(key).or_default();
        if let Some(last) = own.last_origination
            && now < last + min_interval
        {
            self.timers.arm_if_idle(TimerId::Originate(key), last + min_interval);
            return;
        }
        let current = self.lsdb.get(&key).map(|entry| entry.lsa().header().sequence_number);
        let sequence = match current {
            // §12.1.6: "If the sequence number is already at MaxSequenceNumber, the LSA
            // must first be flushed ... the new instance can be originated with sequence
            // number InitialSequenceNumber" once the flush is acknowledged.
            Some(MAX_SEQUENCE_NUMBER) => {
                self.wrap_pending.insert(key);
                self.flush_own(key, now);
                return;
            }
            Some(sequence) => sequence.wrapping_add(1).max(INITIAL_SEQUENCE_NUMBER),
            None => INITIAL_SEQUENCE_NUMBER,
        };
        let header = LsaHeader {
            age: 0,
            options: Options::E,
            lsa_type: key.lsa_type,
            link_state_id: key.link_state_id,
            advertising_router: key.advertising_router,
            sequence_number: sequence,
            checksum: 0,
            length: 0,
        };
        let Ok(lsa) = Lsa::new(header, body) else {
            self.counters.encode_errors = self.counters.encode_errors.saturating_add(1);
            return;
        };
        own.last_origination = Some(now);
        self.own_forced.remove(&key);
        self.timers.cancel(TimerId::Originate(key));
        if self.install(lsa, now, false).is_err() {
            return;
        }
        self.counters.originated_lsas = self.counters.originated_lsas.saturating_add(1);
        self.flood(key, None, now);
    }
}
