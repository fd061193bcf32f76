//! Counters: per interface, packets sent and received by type and packets refused by
//! reason; per instance, events that are not tied to an interface.
//!
//! Refusal reasons are the codec's [`DecodeError::reason`](crate::DecodeError::reason)
//! strings plus the instance's own ([`REASONS`]). Every refusal is also returned as
//! [`Output::Rejected`](crate::Output::Rejected) for the daemon to log, rate-limited.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::packet::PacketType;

/// The instance's own refusal reasons, beside the codec's.
pub const REASONS: &[&str] = &[
    // §8.2: the packet's area is not area 0.
    "area-mismatch",
    // §10.5: HelloInterval differs.
    "hello-interval-mismatch",
    // §10.5: RouterDeadInterval differs.
    "dead-interval-mismatch",
    // §10.5: the network mask differs (broadcast).
    "mask-mismatch",
    // §10.5: the E bit differs.
    "options-mismatch",
    // §8.2: a packet other than a Hello from a router that is not a neighbor.
    "unknown-neighbor",
    // §10.6, §10.7, §13, §13.7: the neighbor's state is too low for the packet.
    "neighbor-state",
    // ttl_security on and TTL below 255.
    "ttl",
    // §8.2: neither AllSPFRouters, AllDRouters (as DR/BDR) nor the interface's address.
    "wrong-destination",
    // §8.2: the source is not on the interface's network (broadcast).
    "wrong-source",
    // The packet carries our own router ID (a duplicate router ID, or a loop).
    "own-router-id",
    // §10.6: the DD's Interface MTU exceeds ours.
    "mtu-mismatch",
    // D.4.3: the cryptographic sequence number went down (a replay).
    "sequence",
    // The interface is down or passive.
    "interface-down",
    // The ifindex is not an OSPF interface (counted in `InstanceCounters::unknown_interface`).
    "unknown-interface",
    // max_neighbors_per_interface reached.
    "too-many-neighbors",
    // max_lsas reached: an LSA was not installed.
    "lsdb-full",
];

/// Packets by type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PacketCounts {
    pub hello: u64,
    pub database_description: u64,
    pub ls_request: u64,
    pub ls_update: u64,
    pub ls_ack: u64,
}

impl PacketCounts {
    pub(crate) fn count(&mut self, packet_type: PacketType) {
        let counter = match packet_type {
            PacketType::Hello => &mut self.hello,
            PacketType::DatabaseDescription => &mut self.database_description,
            PacketType::LinkStateRequest => &mut self.ls_request,
            PacketType::LinkStateUpdate => &mut self.ls_update,
            PacketType::LinkStateAck => &mut self.ls_ack,
        };
        *counter = counter.saturating_add(1);
    }
}

/// The counters of one interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterfaceCounters {
    pub sent: PacketCounts,
    pub received: PacketCounts,
    /// Refused packets by reason (only reasons seen at least once).
    pub rejected: BTreeMap<&'static str, u64>,
    /// LSAs dropped from a Link State Update for a bad checksum (§13 (1)).
    pub bad_lsa_checksums: u64,
    /// LSAs retransmitted (§13.6).
    pub retransmitted_lsas: u64,
}

impl InterfaceCounters {
    pub(crate) fn reject(&mut self, reason: &'static str) {
        let counter = self.rejected.entry(reason).or_default();
        *counter = counter.saturating_add(1);
    }
}

/// Instance-wide counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceCounters {
    /// Packets for an ifindex the instance does not run on.
    pub unknown_interface: u64,
    /// LSAs refused because the database was full.
    pub lsdb_full: u64,
    /// LSAs originated (§12.4), refreshes included.
    pub originated_lsas: u64,
    /// LSAs received that were newer than the database copy (§13 (5)).
    pub received_new_lsas: u64,
    /// Own LSAs prematurely aged (§14.1).
    pub flushed_lsas: u64,
    /// Packets that could not be encoded (a bug if ever non-zero).
    pub encode_errors: u64,
}
