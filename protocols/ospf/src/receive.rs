//! Receiving packets (RFC 2328 §8.2) and Hellos (§10.5).
//!
//! ```text
//!  bytes ─► interface up, TTL, destination, source subnet (§8.2)
//!        ─► Packet::decode_verified (header, checksum, authentication: codec)
//!        ─► own router ID, area ID, neighbor, MD5 sequence number (D.4.3)
//!        ─► Hello §10.5 | DD §10.6 | LSR §10.7 | LSU §13 | LSAck §13.7
//! ```
//!
//! The codec refuses a whole Link State Update when one of its LSAs has a bad checksum.
//! §13 (1) discards only that LSA, so such a packet (whose authentication and packet
//! checksum did verify: the codec checks them before the body) is split here LSA by LSA;
//! the good ones are processed, each bad one is counted (`bad-lsa-checksum`) and left
//! unacknowledged, so the sender retransmits it.

use std::net::Ipv4Addr;
use std::time::Instant;

use crate::config::{mask, network};
use crate::error::DecodeError;
use crate::instance::{ALL_D_ROUTERS, ALL_SPF_ROUTERS, BACKBONE, Instance};
use crate::interface::{InterfaceEvent, InterfaceState};
use crate::lsa::LSA_HEADER_LEN;
use crate::neighbor::{Neighbor, NeighborEvent, NeighborState};
use crate::packet::{HEADER_LEN, Hello, LinkStateUpdate, Packet, PacketAuth, PacketBody, PacketType};
use crate::timers::TimerId;
use crate::{Lsa, Options};

/// A packet that passed the codec (or was split LSA by LSA).
struct Received {
    router_id: Ipv4Addr,
    area_id: Ipv4Addr,
    crypto_sequence: Option<u32>,
    body: PacketBody,
}

impl From<Packet> for Received {
    fn from(packet: Packet) -> Self {
        let crypto_sequence = match packet.auth {
            PacketAuth::Cryptographic { sequence, .. } => Some(sequence),
            PacketAuth::Null | PacketAuth::SimplePassword(_) => None,
        };
        Self {
            router_id: packet.router_id,
            area_id: packet.area_id,
            crypto_sequence,
            body: packet.body,
        }
    }
}

impl Instance {
    /// §8.2: checks a received packet and hands it to its type's processing.
    pub(crate) fn receive(
        &mut self,
        ifindex: u32,
        source: Ipv4Addr,
        destination: Ipv4Addr,
        ttl: u8,
        bytes: &[u8],
        now: Instant,
    ) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            // No interface to count it on: the instance counts it, and the daemon logs it.
            self.counters.unknown_interface = self.counters.unknown_interface.saturating_add(1);
            return self.reject(ifindex, source, "unknown-interface");
        };
        if matches!(interface.state, InterfaceState::Down | InterfaceState::Loopback) || interface.config.passive {
            return self.reject(ifindex, source, "interface-down");
        }
        if interface.config.ttl_security && ttl != 255 {
            return self.reject(ifindex, source, "ttl");
        }
        // §8.2: "the IP destination address ... must be either the IP address of the
        // receiving interface, or one of the IP multicast addresses AllSPFRouters or
        // AllDRouters. ... if the packet's IP destination is AllDRouters and the state of
        // the receiving interface is other than DR and Backup, the packet should be
        // discarded."
        let destination_ok = destination == ALL_SPF_ROUTERS
            || destination == interface.ip()
            || (destination == ALL_D_ROUTERS && interface.is_dr_or_bdr());
        if !destination_ok {
            return self.reject(ifindex, source, "wrong-destination");
        }
        // "the packet's IP source address is required to be on the same network as the
        // receiving interface ... not performed on point-to-point networks."
        if interface.is_broadcast()
            && network(source, interface.prefix_len()) != network(interface.ip(), interface.prefix_len())
        {
            return self.reject(ifindex, source, "wrong-source");
        }
        let auth = Self::auth_config(interface);
        let received = match Packet::decode_verified(bytes, &auth) {
            Ok(packet) => Received::from(packet),
            Err(DecodeError::BadLsaChecksum { .. }) => match split_update(bytes) {
                Some((received, bad)) => {
                    if let Some(interface) = self.interfaces.get_mut(&ifindex) {
                        interface.counters.bad_lsa_checksums = interface.counters.bad_lsa_checksums.saturating_add(bad);
                    }
                    self.reject(ifindex, source, "bad-lsa-checksum");
                    received
                }
                None => return self.reject(ifindex, source, "bad-lsa-checksum"),
            },
            Err(error) => return self.reject(ifindex, source, error.reason()),
        };
        if received.router_id == self.config.router_id {
            return self.reject(ifindex, source, "own-router-id");
        }
        // §8.2: "the Area ID ... must either: match the Area ID of the receiving interface
        // ... [or] indicate the backbone [for virtual links]". Area 0 only here.
        if received.area_id != BACKBONE {
            return self.reject(ifindex, source, "area-mismatch");
        }
        // §8.2: on broadcast networks the neighbor is identified by the IP source address,
        // on point-to-point networks by the Router ID.
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let neighbor = if interface.is_broadcast() {
            interface
                .neighbor_by_address(source)
                .filter(|neighbor| neighbor.router_id == received.router_id)
        } else {
            interface.neighbors.get(&received.router_id)
        };
        // D.4.3: "the cryptographic sequence number ... is compared to the one last
        // received from the neighbor; if less, the packet is discarded".
        if let (Some(sequence), Some(last)) = (
            received.crypto_sequence,
            neighbor.and_then(|neighbor| neighbor.crypto_sequence),
        ) && sequence < last
        {
            return self.reject(ifindex, source, "sequence");
        }
        let known = neighbor.map(|neighbor| neighbor.router_id);
        let packet_type = received.body.packet_type();
        if let Some(interface) = self.interfaces.get_mut(&ifindex) {
            interface.counters.received.count(packet_type);
        }
        let router_id = received.router_id;
        if let PacketBody::Hello(hello) = received.body {
            return self.receive_hello(ifindex, source, router_id, received.crypto_sequence, &hello, now);
        }
        let Some(router_id) = known else {
            return self.reject(ifindex, source, "unknown-neighbor");
        };
        if let (Some(sequence), Some(neighbor)) = (received.crypto_sequence, self.neighbor_mut(ifindex, router_id)) {
            neighbor.crypto_sequence = Some(sequence);
        }
        match received.body {
            PacketBody::Hello(_) => {}
            PacketBody::DatabaseDescription(dd) => self.receive_dd(ifindex, router_id, source, dd, now),
            PacketBody::LinkStateRequest(request) => self.receive_ls_request(ifindex, router_id, source, &request, now),
            PacketBody::LinkStateUpdate(update) => self.receive_ls_update(ifindex, router_id, source, update.lsas, now),
            PacketBody::LinkStateAck(ack) => self.receive_ls_ack(ifindex, router_id, source, &ack.lsa_headers),
        }
    }

    /// §10.5: the Hello protocol.
    fn receive_hello(
        &mut self,
        ifindex: u32,
        source: Ipv4Addr,
        router_id: Ipv4Addr,
        crypto_sequence: Option<u32>,
        hello: &Hello,
        now: Instant,
    ) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        // "The Network Mask, HelloInterval and RouterDeadInterval fields in the received
        // Hello packet must be checked against the values configured for the receiving
        // interface. Any mismatch causes processing to stop and the packet to be dropped.
        // ... the Network Mask field ... [is] not checked on point-to-point networks".
        if interface.is_broadcast() && hello.network_mask != mask(interface.prefix_len()) {
            return self.reject(ifindex, source, "mask-mismatch");
        }
        if hello.hello_interval != interface.config.hello_interval {
            return self.reject(ifindex, source, "hello-interval-mismatch");
        }
        if hello.router_dead_interval != interface.config.dead_interval {
            return self.reject(ifindex, source, "dead-interval-mismatch");
        }
        // "The setting of the E-bit found in the Hello Packet's Options field must match
        // this area's ExternalRoutingCapability." Area 0 floods AS-external-LSAs: E set.
        if !hello.options.contains(Options::E) {
            return self.reject(ifindex, source, "options-mismatch");
        }
        let broadcast = interface.is_broadcast();
        // The neighbor: by source address on broadcast networks, by Router ID on p2p. On a
        // LAN a new Router ID behind a known address replaces the old neighbor.
        if broadcast
            && let Some(stale) = interface
                .neighbor_by_address(source)
                .filter(|neighbor| neighbor.router_id != router_id)
                .map(|neighbor| neighbor.router_id)
        {
            self.neighbor_event(ifindex, stale, NeighborEvent::KillNbr, now);
        }
        let max_neighbors = self.config.max_neighbors_per_interface;
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let created = !interface.neighbors.contains_key(&router_id);
        if created {
            if interface.neighbors.len() >= max_neighbors {
                return self.reject(ifindex, source, "too-many-neighbors");
            }
            interface
                .neighbors
                .insert(router_id, Neighbor::new(router_id, source, now));
        }
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        let previous = (neighbor.priority, neighbor.declares_dr(), neighbor.declares_bdr());
        // "the neighbor structure's Router Priority, Designated Router and Backup
        // Designated Router fields are set from the Hello" (broadcast); the address may
        // change on point-to-point links.
        neighbor.address = source;
        neighbor.priority = hello.router_priority;
        neighbor.dr = hello.designated_router;
        neighbor.bdr = hello.backup_designated_router;
        neighbor.options = hello.options;
        if let Some(sequence) = crypto_sequence {
            neighbor.crypto_sequence = Some(sequence);
        }
        let interface_state = interface.state;
        let (declares_dr, declares_bdr) = (neighbor.declares_dr(), neighbor.declares_bdr());
        let bdr_unset = neighbor.bdr == Ipv4Addr::UNSPECIFIED;
        // "Now the rest of the Hello Packet is examined, generating events to be given to
        // the neighbor and interface state machines. ... HelloReceived".
        self.neighbor_event(ifindex, router_id, NeighborEvent::HelloReceived, now);
        if created {
            // A new neighbor: answer at once so that it sees us without waiting for
            // HelloInterval (bidirectional communication a round trip sooner).
            self.timers.arm(TimerId::Hello { ifindex }, now);
        }
        // "Then the list of neighbors contained in the Hello Packet is examined. If the
        // router itself appears in this list, the neighbor state machine should be executed
        // with the event 2-WayReceived. Otherwise, the neighbor state machine should be
        // executed with the event 1-WayReceived, and the processing of the packet stops."
        if !hello.neighbors.contains(&self.config.router_id) {
            self.neighbor_event(ifindex, router_id, NeighborEvent::OneWayReceived, now);
            return;
        }
        self.neighbor_event(ifindex, router_id, NeighborEvent::TwoWayReceived, now);
        if !broadcast {
            return;
        }
        // "Next, if a change in the neighbor's Router Priority field was noted, the
        // receiving interface's state machine is scheduled with the event NeighborChange."
        if previous.0 != hello.router_priority {
            self.if_events.push_back((ifindex, InterfaceEvent::NeighborChange));
        }
        let waiting = interface_state == InterfaceState::Waiting;
        // "If the neighbor is both declaring itself to be Designated Router ... and the
        // Backup Designated Router field in the packet is equal to 0.0.0.0 and the receiving
        // interface is in state Waiting, ... BackupSeen. Otherwise, if the neighbor is
        // declaring itself to be Designated Router and it had not previously, or the
        // neighbor is not declaring itself Designated Router where it had previously, ...
        // NeighborChange."
        if declares_dr && bdr_unset && waiting {
            self.if_events.push_back((ifindex, InterfaceEvent::BackupSeen));
        } else if declares_dr != previous.1 {
            self.if_events.push_back((ifindex, InterfaceEvent::NeighborChange));
        }
        // "If the neighbor is declaring itself to be Backup Designated Router ... and the
        // receiving interface is in state Waiting, ... BackupSeen. Otherwise, if the
        // neighbor is declaring itself to be Backup Designated Router and it had not
        // previously, or the neighbor is not declaring itself Backup Designated Router where
        // it had previously, ... NeighborChange."
        if declares_bdr && waiting {
            self.if_events.push_back((ifindex, InterfaceEvent::BackupSeen));
        } else if declares_bdr != previous.2 {
            self.if_events.push_back((ifindex, InterfaceEvent::NeighborChange));
        }
    }

    /// §9.5: sends a Hello and re-arms the Hello Timer.
    pub(crate) fn hello_timer(&mut self, ifindex: u32, now: Instant) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        if interface.config.passive || matches!(interface.state, InterfaceState::Down | InterfaceState::Loopback) {
            return;
        }
        let hello = Hello {
            network_mask: mask(interface.prefix_len()),
            hello_interval: interface.config.hello_interval,
            options: Options::E,
            router_priority: interface.config.priority,
            router_dead_interval: interface.config.dead_interval,
            designated_router: interface.dr,
            backup_designated_router: interface.bdr,
            // §9.5: "the Router ID of each router from whom valid Hello packets have been
            // seen recently on the network" (state Init or higher).
            neighbors: interface
                .neighbors
                .values()
                .filter(|neighbor| neighbor.state >= NeighborState::Init)
                .map(|neighbor| neighbor.router_id)
                .collect(),
        };
        let next = now + interface.config.hello();
        self.send(ifindex, ALL_SPF_ROUTERS, PacketBody::Hello(hello));
        self.timers.arm(TimerId::Hello { ifindex }, next);
    }
}

/// Splits a Link State Update whose only fault is LSAs with bad checksums (§13 (1)): the
/// codec has verified the packet's checksum or digest before refusing it. Returns the packet
/// with the good LSAs and the count of bad ones, or `None` if it does not split cleanly.
fn split_update(bytes: &[u8]) -> Option<(Received, u64)> {
    let field = |at: usize| -> Option<[u8; 4]> { bytes.get(at..at + 4)?.try_into().ok() };
    let length = usize::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?));
    if bytes.get(1).copied() != Some(PacketType::LinkStateUpdate as u8) {
        return None;
    }
    let router_id = Ipv4Addr::from(field(4)?);
    let area_id = Ipv4Addr::from(field(8)?);
    let autype = u16::from_be_bytes(bytes.get(14..16)?.try_into().ok()?);
    let crypto_sequence =
        (autype == crate::packet::AUTYPE_CRYPTOGRAPHIC).then(|| u32::from_be_bytes(field(20).unwrap_or_default()));
    let body = bytes.get(HEADER_LEN..length)?;
    let count = u32::from_be_bytes(body.get(..4)?.try_into().ok()?);
    let mut rest = body.get(4..)?;
    let mut lsas: Vec<Lsa> = Vec::new();
    let mut bad = 0u64;
    for _ in 0..count {
        let lsa_length = usize::from(u16::from_be_bytes(rest.get(18..20)?.try_into().ok()?));
        if lsa_length < LSA_HEADER_LEN {
            return None;
        }
        let lsa_bytes = rest.get(..lsa_length)?;
        match Lsa::decode(lsa_bytes) {
            Ok(lsa) => lsas.push(lsa),
            Err(DecodeError::BadLsaChecksum { .. }) => bad += 1,
            Err(_) => return None,
        }
        rest = rest.get(lsa_length..)?;
    }
    Some((
        Received {
            router_id,
            area_id,
            crypto_sequence,
            body: PacketBody::LinkStateUpdate(LinkStateUpdate { lsas }),
        },
        bad,
    ))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::instance::{Input, Output};
    use crate::packet::{DatabaseDescription, DdFlags, Md5Keys};
    use crate::testkit::{A, B, B_ADDRESS, IFINDEX, Pair, encode_as, rejected};

    fn hello(pair: &Pair) -> Hello {
        Hello {
            network_mask: Ipv4Addr::new(255, 255, 255, 252),
            hello_interval: 1,
            options: Options::E,
            router_priority: 1,
            router_dead_interval: 4,
            designated_router: Ipv4Addr::UNSPECIFIED,
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: vec![pair.a.router_id()],
        }
    }

    fn packet(router_id: Ipv4Addr, area_id: Ipv4Addr, body: PacketBody) -> Bytes {
        Packet {
            router_id,
            area_id,
            auth: PacketAuth::Null,
            body,
            trailer: Bytes::new(),
        }
        .encode(&Md5Keys::new())
        .unwrap()
    }

    fn dd(interface_mtu: u16, flags: DdFlags, dd_sequence_number: u32) -> PacketBody {
        PacketBody::DatabaseDescription(DatabaseDescription {
            interface_mtu,
            options: Options::E,
            flags,
            dd_sequence_number,
            lsa_headers: vec![],
        })
    }

    /// (name, destination, ttl, router ID, area, body, expected refusal) for §8.2 and
    /// §10.5: each packet is refused for its reason and counted under it.
    #[test]
    fn rfc2328_8_2_and_10_5_receive_checks() {
        let base = Pair::full();
        let good = hello(&base);
        let c = Ipv4Addr::new(3, 3, 3, 3);
        let dd = dd(1500, DdFlags::I | DdFlags::M | DdFlags::MS, 1);
        let table: Vec<(&str, Ipv4Addr, Ipv4Addr, Ipv4Addr, PacketBody, &str)> = vec![
            (
                "8.2 AllDRouters on a point-to-point interface",
                ALL_D_ROUTERS,
                B,
                BACKBONE,
                PacketBody::Hello(good.clone()),
                "wrong-destination",
            ),
            (
                "8.2 unicast to another address",
                Ipv4Addr::new(10, 0, 0, 9),
                B,
                BACKBONE,
                PacketBody::Hello(good.clone()),
                "wrong-destination",
            ),
            (
                "8.2 area mismatch",
                ALL_SPF_ROUTERS,
                B,
                Ipv4Addr::new(0, 0, 0, 1),
                PacketBody::Hello(good.clone()),
                "area-mismatch",
            ),
            (
                "8.2 our own router ID",
                ALL_SPF_ROUTERS,
                A,
                BACKBONE,
                PacketBody::Hello(good.clone()),
                "own-router-id",
            ),
            (
                "8.2 DD from an unknown router",
                ALL_SPF_ROUTERS,
                c,
                BACKBONE,
                dd,
                "unknown-neighbor",
            ),
            (
                "10.5 HelloInterval mismatch",
                ALL_SPF_ROUTERS,
                B,
                BACKBONE,
                PacketBody::Hello(Hello {
                    hello_interval: 10,
                    ..good.clone()
                }),
                "hello-interval-mismatch",
            ),
            (
                "10.5 RouterDeadInterval mismatch",
                ALL_SPF_ROUTERS,
                B,
                BACKBONE,
                PacketBody::Hello(Hello {
                    router_dead_interval: 40,
                    ..good.clone()
                }),
                "dead-interval-mismatch",
            ),
            (
                "10.5 E-bit mismatch",
                ALL_SPF_ROUTERS,
                B,
                BACKBONE,
                PacketBody::Hello(Hello {
                    options: Options::empty(),
                    ..good.clone()
                }),
                "options-mismatch",
            ),
        ];
        for (name, destination, router_id, area, body, reason) in table {
            let mut pair = Pair::full();
            let outputs = pair.a.handle(
                Input::Packet {
                    ifindex: IFINDEX,
                    source: B_ADDRESS,
                    destination,
                    ttl: 1,
                    bytes: packet(router_id, area, body),
                },
                pair.now,
            );
            assert_eq!(rejected(&outputs), vec![reason], "{name}");
            let counters = &pair.a.interfaces_view(pair.now)[0].counters;
            assert_eq!(counters.rejected.get(reason), Some(&1), "{name}");
        }
    }

    #[test]
    fn codec_refusals_are_counted_under_the_codec_reason() {
        let mut pair = Pair::full();
        let mut bytes = encode_as(B, PacketBody::Hello(hello(&pair))).to_vec();
        bytes[30] ^= 0x01;
        let outputs = pair.deliver_to_a(bytes.into());
        assert_eq!(rejected(&outputs), vec!["bad-checksum"]);
    }

    #[test]
    fn a_packet_on_a_non_ospf_interface_is_counted_and_reported() {
        let mut pair = Pair::full();
        let outputs = pair.a.handle(
            Input::Packet {
                ifindex: 99,
                source: B_ADDRESS,
                destination: ALL_SPF_ROUTERS,
                ttl: 1,
                bytes: encode_as(B, PacketBody::Hello(hello(&pair))),
            },
            pair.now,
        );
        assert_eq!(rejected(&outputs), vec!["unknown-interface"]);
        assert_eq!(pair.a.view(pair.now).counters.unknown_interface, 1);
    }

    #[test]
    fn rfc2328_10_6_dd_with_a_larger_mtu_is_refused() {
        let mut pair = Pair::full();
        let outputs = pair.send_as_b(dd(9000, DdFlags::empty(), 1));
        assert_eq!(rejected(&outputs), vec!["mtu-mismatch"]);
    }

    #[test]
    fn rfc2328_10_6_unexpected_dd_in_full_is_a_sequence_mismatch() {
        let mut pair = Pair::full();
        pair.send_as_b(dd(1500, DdFlags::I | DdFlags::M | DdFlags::MS, 12345));
        assert_eq!(pair.a.neighbor_state(IFINDEX, B), Some(NeighborState::ExStart));
    }

    #[test]
    fn ttl_security_accepts_only_255() {
        let mut pair = Pair::full();
        let mut config = pair.a.config().clone();
        config.interfaces[0].ttl_security = true;
        pair.a.handle(Input::ConfigChanged(Box::new(config)), pair.now);
        let outputs = pair.send_as_b(PacketBody::Hello(hello(&pair)));
        assert_eq!(rejected(&outputs), vec!["ttl"]);
        // What it sends carries TTL 255.
        let outputs = pair.a.handle(Input::Tick, pair.now + std::time::Duration::from_secs(2));
        assert!(
            outputs
                .iter()
                .any(|output| matches!(output, Output::Send { ttl: 255, .. }))
        );
    }

    #[test]
    fn md5_sequence_numbers_must_not_decrease() {
        use crate::config::InterfaceAuth;
        use crate::packet::Md5Key;
        let mut pair = Pair::full();
        let mut keys = Md5Keys::new();
        keys.insert(1, Md5Key::new(b"k").unwrap());
        let mut config = pair.a.config().clone();
        config.interfaces[0].auth = InterfaceAuth::Md5 {
            keys: keys.clone(),
            send_key_id: 1,
        };
        pair.a.handle(Input::ConfigChanged(Box::new(config)), pair.now);
        let signed = |sequence: u32, pair: &Pair| {
            Packet {
                router_id: B,
                area_id: BACKBONE,
                auth: PacketAuth::Cryptographic { key_id: 1, sequence },
                body: PacketBody::Hello(Hello {
                    neighbors: vec![],
                    ..hello(pair)
                }),
                trailer: Bytes::new(),
            }
            .encode(&keys)
            .unwrap()
        };
        let first = signed(100, &pair);
        assert!(rejected(&pair.deliver_to_a(first.clone())).is_empty());
        // The same number again is fine (non-decreasing), a lower one is a replay.
        assert!(rejected(&pair.deliver_to_a(first)).is_empty());
        let replay = signed(99, &pair);
        assert_eq!(rejected(&pair.deliver_to_a(replay)), vec!["sequence"]);
    }
}
