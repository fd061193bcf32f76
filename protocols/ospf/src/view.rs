//! Read-only views of the instance for the shell (serde `Serialize`), with the fields of
//! FRR's `show ip ospf`, `show ip ospf interface`, `show ip ospf neighbor [detail]`,
//! `show ip ospf database` and `show ip ospf route`. Times are relative to the `now` given.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::NetworkType;
use crate::counters::{InstanceCounters, InterfaceCounters};
use crate::instance::Instance;
use crate::interface::{Interface, InterfaceState};
use crate::lsdb::LsaKey;
use crate::neighbor::{DdRole, NeighborState};
use crate::spf::{RouteTable, SpfDelayState};
use crate::timers::TimerId;
use crate::{LsaBody, Options};

/// `show ip ospf`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceView {
    pub router_id: Ipv4Addr,
    pub area: Ipv4Addr,
    pub uptime_secs: u64,
    pub spf_runs: u64,
    /// Milliseconds since the last SPF run.
    pub last_spf_ms_ago: Option<u64>,
    pub spf_delay_state: SpfDelayState,
    /// Changes to the LSDB that asked for an SPF run.
    pub lsdb_changes: u64,
    pub lsa_count: usize,
    /// LSA counts by LS type number.
    pub lsa_count_by_type: BTreeMap<u8, usize>,
    /// The sum of the LSA checksums (as FRR shows), to compare databases at a glance.
    pub lsa_checksum_sum: u64,
    pub max_lsas: usize,
    pub interfaces: usize,
    pub full_adjacencies: usize,
    pub routes: usize,
    pub counters: InstanceCounters,
}

/// `show ip ospf interface`.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceView {
    pub ifindex: u32,
    pub name: String,
    pub state: InterfaceState,
    pub network_type: NetworkType,
    pub address: Option<Ipv4Addr>,
    pub prefix_len: u8,
    pub mtu: u16,
    pub cost: u16,
    pub priority: u8,
    pub passive: bool,
    pub auth: &'static str,
    pub hello_interval: u16,
    pub dead_interval: u32,
    pub retransmit_interval: u16,
    pub transmit_delay: u16,
    /// Milliseconds until the next Hello.
    pub hello_due_ms: Option<u64>,
    pub dr_id: Option<Ipv4Addr>,
    pub dr_address: Option<Ipv4Addr>,
    pub bdr_id: Option<Ipv4Addr>,
    pub bdr_address: Option<Ipv4Addr>,
    pub neighbors: usize,
    pub adjacent_neighbors: usize,
    pub state_changes: u32,
    pub counters: InterfaceCounters,
}

/// `show ip ospf neighbor [detail]`.
#[derive(Debug, Clone, Serialize)]
pub struct NeighborView {
    pub router_id: Ipv4Addr,
    pub address: Ipv4Addr,
    pub ifindex: u32,
    pub interface: String,
    pub priority: u8,
    pub state: NeighborState,
    /// The neighbor's role on a LAN: "DR", "Backup" or "DROther" ("" on point-to-point), as
    /// in FRR's `Full/DR`.
    pub role: &'static str,
    /// Milliseconds until the Inactivity Timer fires.
    pub dead_time_ms: Option<u64>,
    pub uptime_secs: u64,
    pub state_changes: u32,
    pub dd_role: DdRole,
    pub dd_sequence: u32,
    pub options: Options,
    pub designated_router: Ipv4Addr,
    pub backup_designated_router: Ipv4Addr,
    pub retransmit_list: usize,
    pub request_list: usize,
    pub summary_list: usize,
}

/// One line of `show ip ospf database`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LsaView {
    pub lsa_type: u8,
    pub link_state_id: Ipv4Addr,
    pub advertising_router: Ipv4Addr,
    pub age: u16,
    /// As FRR shows it: "0x80000001".
    pub sequence: String,
    pub checksum: String,
    pub length: u16,
    pub options: Options,
    pub self_originated: bool,
    /// The number of router links (router-LSAs), as FRR's "Link count".
    pub links: Option<usize>,
}

/// `show ip ospf database <type> <id> <adv>`: the header and the decoded body.
#[derive(Debug, Clone, Serialize)]
pub struct LsaDetailView {
    #[serde(flatten)]
    pub header: LsaView,
    pub body: LsaBody,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Instance {
    pub fn view(&self, now: Instant) -> InstanceView {
        let mut by_type = BTreeMap::new();
        let mut checksum_sum = 0u64;
        for (key, entry) in self.lsdb.iter() {
            *by_type.entry(key.lsa_type.0).or_insert(0) += 1;
            checksum_sum += u64::from(entry.lsa().header().checksum);
        }
        InstanceView {
            router_id: self.config.router_id,
            area: Ipv4Addr::UNSPECIFIED,
            uptime_secs: now.saturating_duration_since(self.started).as_secs(),
            spf_runs: self.spf_runs,
            last_spf_ms_ago: self.last_spf.map(|last| millis(now.saturating_duration_since(last))),
            spf_delay_state: self.spf_delay.state(),
            lsdb_changes: self.lsdb_changes,
            lsa_count: self.lsdb.len(),
            lsa_count_by_type: by_type,
            lsa_checksum_sum: checksum_sum,
            max_lsas: self.lsdb.max_lsas(),
            interfaces: self.interfaces.len(),
            full_adjacencies: self
                .interfaces
                .values()
                .map(|interface| interface.full_neighbors().count())
                .sum(),
            routes: self.spf.routes.len(),
            counters: self.counters.clone(),
        }
    }

    fn router_id_at(&self, interface: &Interface, address: Ipv4Addr) -> Option<Ipv4Addr> {
        if address.is_unspecified() {
            None
        } else if address == interface.ip() {
            Some(self.config.router_id)
        } else {
            interface
                .neighbor_by_address(address)
                .map(|neighbor| neighbor.router_id)
        }
    }

    pub fn interfaces_view(&self, now: Instant) -> Vec<InterfaceView> {
        self.interfaces
            .values()
            .map(|interface| {
                let ifindex = interface.ifindex();
                let some = |address: Ipv4Addr| (!address.is_unspecified()).then_some(address);
                InterfaceView {
                    ifindex,
                    name: interface.config.name.clone(),
                    state: interface.state,
                    network_type: interface.config.network_type,
                    address: interface.address.map(|(address, _)| address),
                    prefix_len: interface.prefix_len(),
                    mtu: interface.mtu,
                    cost: interface.config.cost,
                    priority: interface.config.priority,
                    passive: interface.config.passive,
                    auth: interface.config.auth.kind(),
                    hello_interval: interface.config.hello_interval,
                    dead_interval: interface.config.dead_interval,
                    retransmit_interval: interface.config.retransmit_interval,
                    transmit_delay: interface.config.transmit_delay,
                    hello_due_ms: self
                        .timers
                        .deadline(TimerId::Hello { ifindex })
                        .map(|at| millis(at.saturating_duration_since(now))),
                    dr_id: self.router_id_at(interface, interface.dr),
                    dr_address: some(interface.dr),
                    bdr_id: self.router_id_at(interface, interface.bdr),
                    bdr_address: some(interface.bdr),
                    neighbors: interface.neighbors.len(),
                    adjacent_neighbors: interface.full_neighbors().count(),
                    state_changes: interface.state_changes,
                    counters: interface.counters.clone(),
                }
            })
            .collect()
    }

    pub fn neighbors_view(&self, now: Instant) -> Vec<NeighborView> {
        let mut views = Vec::new();
        for interface in self.interfaces.values() {
            let ifindex = interface.ifindex();
            for neighbor in interface.neighbors.values() {
                let role = if !interface.is_broadcast() {
                    ""
                } else if neighbor.address == interface.dr {
                    "DR"
                } else if neighbor.address == interface.bdr {
                    "Backup"
                } else {
                    "DROther"
                };
                views.push(NeighborView {
                    router_id: neighbor.router_id,
                    address: neighbor.address,
                    ifindex,
                    interface: interface.config.name.clone(),
                    priority: neighbor.priority,
                    state: neighbor.state,
                    role,
                    dead_time_ms: self
                        .timers
                        .deadline(TimerId::Inactivity {
                            ifindex,
                            neighbor: neighbor.router_id,
                        })
                        .map(|at| millis(at.saturating_duration_since(now))),
                    uptime_secs: now.saturating_duration_since(neighbor.created).as_secs(),
                    state_changes: neighbor.state_changes,
                    dd_role: neighbor.role,
                    dd_sequence: neighbor.dd_sequence,
                    options: neighbor.options,
                    designated_router: neighbor.dr,
                    backup_designated_router: neighbor.bdr,
                    retransmit_list: neighbor.ls_retransmit.len(),
                    request_list: neighbor.ls_request.len(),
                    summary_list: neighbor.db_summary.len(),
                });
            }
        }
        views
    }

    fn lsa_view(&self, key: &LsaKey, now: Instant) -> Option<LsaView> {
        let entry = self.lsdb.get(key)?;
        let header = entry.header_at(now);
        Some(LsaView {
            lsa_type: key.lsa_type.0,
            link_state_id: key.link_state_id,
            advertising_router: key.advertising_router,
            age: header.age,
            sequence: format!("{:#010x}", header.sequence_number),
            checksum: format!("{:#06x}", header.checksum),
            length: header.length,
            options: header.options,
            self_originated: self.own_keys.contains(key),
            links: match entry.lsa().body() {
                LsaBody::Router(router) => Some(router.links.len()),
                _ => None,
            },
        })
    }

    /// `show ip ospf database`: every LSA header, in (type, LSID, advertising router) order.
    pub fn database_view(&self, now: Instant) -> Vec<LsaView> {
        self.lsdb
            .iter()
            .filter_map(|(key, _)| self.lsa_view(key, now))
            .collect()
    }

    /// One LSA in full.
    pub fn lsa_detail(&self, key: &LsaKey, now: Instant) -> Option<LsaDetailView> {
        Some(LsaDetailView {
            header: self.lsa_view(key, now)?,
            body: self.lsdb.get(key)?.lsa().body().clone(),
        })
    }

    /// `show ip ospf route`: the routing table of the last SPF run.
    pub fn routes(&self) -> &RouteTable {
        &self.spf.routes
    }

    /// The full result of the last SPF run (routers and transit networks too).
    pub fn spf_result(&self) -> &crate::spf::SpfResult {
        &self.spf
    }

    /// The LSDB, for comparisons (tests, simulation) and the SPF.
    pub fn lsdb(&self) -> &crate::lsdb::Lsdb {
        &self.lsdb
    }

    /// The state of a neighbor, by interface and router ID.
    pub fn neighbor_state(&self, ifindex: u32, router_id: Ipv4Addr) -> Option<NeighborState> {
        self.neighbor(ifindex, router_id).map(|neighbor| neighbor.state)
    }

    /// The state of an interface.
    pub fn interface_state(&self, ifindex: u32) -> Option<InterfaceState> {
        self.interfaces.get(&ifindex).map(|interface| interface.state)
    }
}
