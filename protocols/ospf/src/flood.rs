//! The flooding procedure (RFC 2328 §13): receiving Link State Updates, flooding out
//! interfaces, retransmissions, acknowledgments, and the MaxAge bookkeeping of §14.
//!
//! ```text
//!  LSU ─► for each LSA: §13 (1)-(8)
//!           (5) newer ─► install §13.2 ─► flood §13.3 ─► flood_queue ─┐  end of the call:
//!                        ack (delayed, §13.5)  ─► delayed_acks ───────┤  one LSU / LSAck
//!                        own? §13.4 ─► re-originate or flush          │  per interface and
//!           (7) same  ─► implied ack, or direct ack ─► direct_acks ───┤  destination
//!           (8) older ─► send our copy back                           ┘
//!  LSAck ─► §13.7: remove from the retransmission list
//!  LsuRetransmit timer ─► §13.6: unicast the unacknowledged LSAs again
//!  MaxAge LSA, on no retransmission list, nobody in Exchange/Loading ─► removed (§14)
//! ```

use std::cmp::Ordering;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::Lsa;
use crate::config::InterfaceAuth;
use crate::instance::{Instance, Output};
use crate::interface::InterfaceState;
use crate::lsa::{LsaHeader, LsaType, MAX_AGE};
use crate::lsdb::{Installed, LS_REFRESH_TIME, LsaKey, LsdbFull, MAX_SEQUENCE_NUMBER, compare};
use crate::neighbor::{NeighborEvent, NeighborState, Retransmit};
use crate::packet::{LinkStateAck, LinkStateUpdate, PacketBody, PacketType};
use crate::timers::TimerId;

/// The LSA count field of a Link State Update.
const LSU_FIXED_LEN: usize = 4;

/// The Link State Updates made for one interface's queue of floods, to send the same bytes
/// out of the next interface with the same queue (see `flush_floods`).
struct EncodedUpdates {
    /// Key, sequence number, checksum and age of each LSA: the LSAs come from the database
    /// within one call, so these identify their bytes.
    identity: Vec<(LsaKey, i32, u16, u16)>,
    /// The interface's packet budget (its MTU).
    budget: usize,
    packets: Vec<Bytes>,
}

/// §13 (8): was the database copy sent back to the neighbor within MinLSArrival? The same
/// instant counts as recent even when MinLSArrival is 0, so that a Link State Update that
/// lists one old instance many times gets one copy back, not one per listing.
fn sent_back_recently(sent: Instant, now: Instant, min_ls_arrival: Duration) -> bool {
    let since = now.saturating_duration_since(sent);
    since.is_zero() || since < min_ls_arrival
}

impl Instance {
    /// §13: "Link State Update packets provide the mechanism for flooding LSAs."
    pub(crate) fn receive_ls_update(
        &mut self,
        ifindex: u32,
        router_id: Ipv4Addr,
        source: Ipv4Addr,
        lsas: Vec<Lsa>,
        now: Instant,
    ) {
        let Some(neighbor) = self.neighbor(ifindex, router_id) else {
            return;
        };
        // "If the neighbor is in a lesser state than Exchange, the packet should be
        // dropped without further processing."
        if neighbor.state < NeighborState::Exchange {
            return self.reject(ifindex, source, "neighbor-state");
        }
        for lsa in lsas {
            if !self.receive_lsa(ifindex, router_id, source, lsa, now) {
                break;
            }
        }
    }

    /// §13 steps (2)-(8) for one LSA. Returns false when the rest of the packet must be
    /// dropped (BadLSReq).
    fn receive_lsa(&mut self, ifindex: u32, router_id: Ipv4Addr, source: Ipv4Addr, mut lsa: Lsa, now: Instant) -> bool {
        // (1) The checksum was verified by the codec (bad ones were split off).
        // (2)-(3) Every LS type is accepted: unknown types are stored and flooded opaque,
        // and area 0 is not a stub area, so AS-external-LSAs are welcome.
        if lsa.header().age > MAX_AGE {
            lsa.set_age(MAX_AGE);
        }
        let header = *lsa.header();
        let key = LsaKey::of(&header);
        // One lookup for the comparison and for (5a) below: was the database copy received
        // by flooding less than MinLSArrival ago?
        let (database, arrived_recently) = match self.lsdb.get(&key) {
            Some(entry) => (
                Some(entry.header_at(now)),
                entry.from_flooding && now.saturating_duration_since(entry.installed()) < self.config.min_ls_arrival,
            ),
            None => (None, false),
        };
        // (4) "if the LSA's LS age is equal to MaxAge, and there is currently no instance
        // of the LSA in the router's link state database, and none of router's neighbors
        // are in states Exchange or Loading, then take the following actions: a) Acknowledge
        // the receipt of the LSA by sending a Link State Acknowledgment packet back to the
        // sending neighbor (see Section 13.5), and b) Discard the LSA".
        if header.age >= MAX_AGE && database.is_none() && !self.any_neighbor_exchanging() {
            self.direct_ack(ifindex, router_id, header);
            return true;
        }
        let order = database.map(|database| compare(&header, &database));
        if matches!(order, None | Some(Ordering::Greater)) {
            self.receive_newer(ifindex, router_id, source, lsa, arrived_recently, now);
            return true;
        }
        // (6) "Else, if there is an instance of the LSA on the sending neighbor's Link
        // state request list, an error has occurred in the Database Exchange process. In
        // this case, restart the Database Exchange process by generating the neighbor
        // event BadLSReq for the sending neighbor and stop processing the Link State
        // Update packet."
        if self
            .neighbor(ifindex, router_id)
            .is_some_and(|neighbor| neighbor.ls_request.contains_key(&key))
        {
            self.neighbor_event(ifindex, router_id, NeighborEvent::BadLsReq, now);
            return false;
        }
        if order == Some(Ordering::Equal) {
            self.receive_duplicate(ifindex, router_id, header, now);
            return true;
        }
        // (8) "Else, the database copy is more recent. If the database copy has LS age
        // equal to MaxAge and LS sequence number equal to MaxSequenceNumber, simply discard
        // the received LSA without acknowledging it. ... Otherwise, as long as the database
        // copy has not been sent in a Link State Update within the last MinLSArrival
        // seconds, send the database copy back to the sending neighbor, encapsulated within
        // a Link State Update Packet. The Link State Update Packet should be sent directly
        // to the neighbor. In so doing, do not put the database copy of the LSA on the
        // neighbor's link state retransmission list, and do not acknowledge the received
        // (less recent) LSA instance."
        let Some(database) = database else { return true };
        if database.age >= MAX_AGE && database.sequence_number == MAX_SEQUENCE_NUMBER {
            return true;
        }
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return true;
        };
        let delay = interface.config.transmit_delay;
        let network_type = interface.config.network_type;
        let min_ls_arrival = self.config.min_ls_arrival;
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return true;
        };
        let recent = neighbor
            .last_direct_send
            .get(&key)
            .is_some_and(|sent| sent_back_recently(*sent, now, min_ls_arrival));
        if recent {
            return true;
        }
        neighbor
            .last_direct_send
            .retain(|_, sent| sent_back_recently(*sent, now, min_ls_arrival));
        neighbor.last_direct_send.insert(key, now);
        let destination = Self::neighbor_destination(network_type, neighbor.address);
        if let Some(entry) = self.lsdb.get(&key) {
            let copy = entry.lsa_for_flooding(now, delay);
            self.send_updates(ifindex, destination, vec![copy]);
        }
        true
    }

    /// §13 (5): the received LSA is newer than the database copy (or there is none).
    /// `arrived_recently`: the database copy was received by flooding less than MinLSArrival
    /// ago.
    fn receive_newer(
        &mut self,
        ifindex: u32,
        router_id: Ipv4Addr,
        source: Ipv4Addr,
        lsa: Lsa,
        arrived_recently: bool,
        now: Instant,
    ) {
        let header = *lsa.header();
        let key = LsaKey::of(&header);
        // (5a) "If there is already a database copy, and if the database copy was received
        // via flooding and installed less than MinLSArrival seconds ago, discard the new
        // LSA (without acknowledging it) and examine the next LSA (if any) listed in the
        // Link State Update packet."
        if arrived_recently {
            return;
        }
        // (5c)-(5d) Remove the current database copy from all retransmission lists and
        // install the new one (§13.2). Refused when the database is full: not acknowledged,
        // the neighbor retransmits it.
        if self.install(lsa, now, true).is_err() {
            self.counters.lsdb_full = self.counters.lsdb_full.saturating_add(1);
            self.reject(ifindex, source, "lsdb-full");
            return;
        }
        self.counters.received_new_lsas = self.counters.received_new_lsas.saturating_add(1);
        // (5b) "Immediately flood the new LSA out some subset of the router's interfaces
        // (see Section 13.3)."
        let flooded_back = self.flood(key, Some((ifindex, router_id)), now);
        // (5e) "Possibly acknowledge the receipt of the LSA by sending a Link State
        // Acknowledgment packet back out the receiving interface." §13.5: no ack when it
        // was flooded back out the receiving interface; a Backup acknowledges only what
        // the DR sent; every other router sends a delayed ack.
        if !flooded_back {
            let Some(interface) = self.interfaces.get(&ifindex) else {
                return;
            };
            let from_dr = interface
                .neighbors
                .get(&router_id)
                .is_some_and(|neighbor| neighbor.address == interface.dr);
            if interface.state != InterfaceState::Backup || from_dr {
                self.delayed_ack(ifindex, header, now);
            }
        }
        // (5f) "If this new LSA indicates that it was originated by the receiving router
        // itself (i.e., is considered a self-originated LSA), the router must take special
        // action, either updating the LSA or in some cases flushing it from the routing
        // domain. For a description of how self-originated LSAs are detected and
        // subsequently handled, see Section 13.4."
        if self.is_self_originated(&key) {
            self.own_forced.insert(key);
            self.own_dirty = true;
        }
    }

    /// §13 (7): the received LSA is the same instance as the database copy.
    fn receive_duplicate(&mut self, ifindex: u32, router_id: Ipv4Addr, header: LsaHeader, now: Instant) {
        let key = LsaKey::of(&header);
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let backup = interface.state == InterfaceState::Backup;
        let dr = interface.dr;
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        // (7a) "If the LSA is listed in the Link state retransmission list for the
        // receiving adjacency, the router itself is expecting an acknowledgment for this
        // LSA. The router should treat the received LSA as an acknowledgment by removing
        // the LSA from the Link state retransmission list. This is termed an 'implied
        // acknowledgment'." §13.5: a Backup sends a delayed ack for an implied ack from the
        // DR; otherwise no ack.
        if neighbor.ls_retransmit.remove(&key).is_some() {
            let from_dr = neighbor.address == dr;
            if neighbor.ls_retransmit.is_empty() {
                neighbor.retransmit_list_emptied();
                self.timers.cancel(TimerId::LsuRetransmit {
                    ifindex,
                    neighbor: router_id,
                });
            }
            if backup && from_dr {
                self.delayed_ack(ifindex, header, now);
            }
            return;
        }
        // (7b) "Possibly acknowledge the receipt of the LSA by sending a Link State
        // Acknowledgment packet back out the receiving interface." §13.5: a duplicate that
        // is not an implied acknowledgment gets a direct ack.
        self.direct_ack(ifindex, router_id, header);
    }

    /// §13.2 plus the bookkeeping: retransmission lists, MaxAge set, age/refresh timer,
    /// own keys, SPF.
    pub(crate) fn install(&mut self, lsa: Lsa, now: Instant, from_flooding: bool) -> Result<(), LsdbFull> {
        let key = LsaKey::of(lsa.header());
        let own = self.is_self_originated(&key);
        if own && !from_flooding {
            // The LSAs we originate are always held, full or not. Received ones that claim
            // to be ours (§13.4) count against the limit like any other: a neighbor could
            // otherwise grow the database without bound with our router ID.
            let limit = self.lsdb.max_lsas();
            self.lsdb.set_max_lsas(usize::MAX);
            let installed = self.lsdb.install(lsa, now, from_flooding);
            self.lsdb.set_max_lsas(limit);
            self.installed(key, &installed?, own, now);
        } else {
            let installed = self.lsdb.install(lsa, now, from_flooding)?;
            self.installed(key, &installed, own, now);
        }
        Ok(())
    }

    fn installed(&mut self, key: LsaKey, installed: &Installed, own: bool, now: Instant) {
        // (5c) "Remove the current database copy from all neighbors' Link state
        // retransmission lists."
        for (ifindex, interface) in &mut self.interfaces {
            for neighbor in interface.neighbors.values_mut() {
                if neighbor.ls_retransmit.remove(&key).is_some() && neighbor.ls_retransmit.is_empty() {
                    neighbor.retransmit_list_emptied();
                    self.timers.cancel(TimerId::LsuRetransmit {
                        ifindex: *ifindex,
                        neighbor: neighbor.router_id,
                    });
                }
            }
        }
        if own {
            self.own_keys.insert(key);
        } else {
            self.own_keys.remove(&key);
        }
        if installed.is_max_age() {
            self.max_age.insert(key);
            self.timers.cancel(TimerId::LsaAge(key));
        } else {
            self.max_age.remove(&key);
            // Own LSAs are refreshed at LSRefreshTime; others are flushed at MaxAge.
            let limit = if key.advertising_router == self.config.router_id {
                u16::try_from(LS_REFRESH_TIME.as_secs()).unwrap_or(MAX_AGE)
            } else {
                MAX_AGE
            };
            let at = installed.reaches_age(limit).unwrap_or(now);
            self.timers.arm(TimerId::LsaAge(key), at);
        }
        if installed.changed {
            self.lsdb_changed(now);
        }
    }

    /// §13.4: "the LSA's Advertising Router is equal to the router's own Router ID" or it
    /// is "a network-LSA and its Link State ID is equal to one of the router's own IP
    /// interface addresses".
    pub(crate) fn is_self_originated(&self, key: &LsaKey) -> bool {
        key.advertising_router == self.config.router_id
            || (key.lsa_type == LsaType::NETWORK
                && self
                    .interfaces
                    .values()
                    .any(|interface| interface.address.is_some() && interface.ip() == key.link_state_id))
    }

    /// §13.3: floods the database copy of `key` (received from `from`, or originated when
    /// `None`). Returns true when it went back out the receiving interface.
    pub(crate) fn flood(&mut self, key: LsaKey, from: Option<(u32, Ipv4Addr)>, now: Instant) -> bool {
        let Some(entry) = self.lsdb.get(&key) else { return false };
        let header = entry.header_at(now);
        let mut flooded_back = false;
        for (ifindex, interface) in &mut self.interfaces {
            if interface.config.passive || matches!(interface.state, InterfaceState::Down | InterfaceState::Loopback) {
                continue;
            }
            let retransmit = interface.config.retransmit();
            let mut added = false;
            // (1) "Each of the neighbors attached to this interface are examined".
            for neighbor in interface.neighbors.values_mut() {
                // (1a) "If the neighbor is in a lesser state than Exchange, it does not
                // participate in flooding".
                if neighbor.state < NeighborState::Exchange {
                    continue;
                }
                // (1b) "Else if the adjacency is not yet full (neighbor state is Exchange
                // or Loading), examine the Link state request list associated with this
                // adjacency. If there is an instance of the new LSA on the list, it
                // indicates that the neighboring router has an instance of the LSA already.
                // Compare the new LSA to the neighbor's copy: If the new LSA is less recent,
                // then examine the next neighbor. If the two copies are the same instance,
                // then delete the LSA from the Link state request list, and examine the next
                // neighbor. Else, the new LSA is more recent. Delete the LSA from the Link
                // state request list."
                if matches!(neighbor.state, NeighborState::Exchange | NeighborState::Loading)
                    && let Some(requested) = neighbor.ls_request.get(&key)
                {
                    match compare(&header, requested) {
                        Ordering::Less => continue,
                        Ordering::Equal => {
                            neighbor.ls_request.remove(&key);
                            continue;
                        }
                        Ordering::Greater => {
                            neighbor.ls_request.remove(&key);
                        }
                    }
                }
                // (1c) "If the new LSA was received from this neighbor, examine the next
                // neighbor."
                if from == Some((*ifindex, neighbor.router_id)) {
                    continue;
                }
                // (1d) "At this point we are not positive that the neighbor has an
                // up-to-date instance of this new LSA. Add the new LSA to the Link state
                // retransmission list for the adjacency."
                neighbor.ls_retransmit.insert(key, Retransmit { header, sent: now });
                self.timers.arm_if_idle(
                    TimerId::LsuRetransmit {
                        ifindex: *ifindex,
                        neighbor: neighbor.router_id,
                    },
                    now + retransmit,
                );
                added = true;
            }
            // (2) "If in the previous step, the LSA was NOT added to any of the Link state
            // retransmission lists, there is no need to flood the LSA out the interface."
            if !added {
                continue;
            }
            if let Some((from_ifindex, from_router)) = from
                && from_ifindex == *ifindex
            {
                // (3) "If the new LSA was received on this interface, and it was received
                // from either the Designated Router or the Backup Designated Router,
                // chances are that all the neighbors have received the LSA already."
                let sender = interface.neighbors.get(&from_router).map(|neighbor| neighbor.address);
                if interface.is_broadcast()
                    && sender.is_some_and(|address| address == interface.dr || address == interface.bdr)
                {
                    continue;
                }
                // (4) "If the new LSA was received on this interface, and the interface
                // state is Backup ... examine the next interface."
                if interface.state == InterfaceState::Backup {
                    continue;
                }
            }
            // (5) "... the LSA must be flooded out the interface. ... If the interface
            // state is DR or Backup, send to AllSPFRouters; otherwise AllDRouters" on
            // broadcast networks; AllSPFRouters on point-to-point links. The LS age is
            // incremented by InfTransDelay (§13.3).
            let destination = interface.flooding_destination();
            let copy = entry.lsa_for_flooding(now, interface.config.transmit_delay);
            self.flood_queue.entry((*ifindex, destination)).or_default().push(copy);
            if from.is_some_and(|(from_ifindex, _)| from_ifindex == *ifindex) {
                flooded_back = true;
            }
        }
        flooded_back
    }

    /// Sends the LSAs queued by [`flood`](Self::flood), packed into Link State Updates.
    ///
    /// An LSA flooded out several interfaces usually makes the same packets on each (the
    /// same LSAs, ages and packet budget): without authentication the bytes are the same,
    /// so they are encoded once and sent out of every such interface.
    pub(crate) fn flush_floods(&mut self, _now: Instant) {
        let queue = std::mem::take(&mut self.flood_queue);
        let mut previous: Option<EncodedUpdates> = None;
        for ((ifindex, destination), lsas) in queue {
            let Some(interface) = self.interfaces.get(&ifindex) else {
                continue;
            };
            if !matches!(interface.config.auth, InterfaceAuth::None) {
                self.send_updates(ifindex, destination, lsas);
                continue;
            }
            let budget = interface.packet_budget();
            let identity: Vec<(LsaKey, i32, u16, u16)> = lsas
                .iter()
                .map(|lsa| {
                    let header = lsa.header();
                    (LsaKey::of(header), header.sequence_number, header.checksum, header.age)
                })
                .collect();
            if let Some(encoded) = &previous
                && encoded.identity == identity
                && encoded.budget == budget
            {
                for bytes in encoded.packets.clone() {
                    self.send_encoded(ifindex, destination, PacketType::LinkStateUpdate, bytes);
                }
                continue;
            }
            let first = self.out.len();
            self.send_updates(ifindex, destination, lsas);
            let packets = self.out[first..]
                .iter()
                .filter_map(|output| match output {
                    Output::Send { bytes, .. } => Some(bytes.clone()),
                    _ => None,
                })
                .collect();
            previous = Some(EncodedUpdates {
                identity,
                budget,
                packets,
            });
        }
    }

    /// Sends LSAs in as few Link State Updates as the interface's MTU allows (an LSA
    /// larger than the budget goes alone, and IP fragments it).
    pub(crate) fn send_updates(&mut self, ifindex: u32, destination: Ipv4Addr, lsas: Vec<Lsa>) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let budget = interface.packet_budget().saturating_sub(LSU_FIXED_LEN);
        let mut packet: Vec<Lsa> = Vec::new();
        let mut used = 0;
        for lsa in lsas {
            let length = lsa.encoded_len();
            if !packet.is_empty() && used + length > budget {
                let full = std::mem::take(&mut packet);
                self.send(
                    ifindex,
                    destination,
                    PacketBody::LinkStateUpdate(LinkStateUpdate { lsas: full }),
                );
                used = 0;
            }
            used += length;
            packet.push(lsa);
        }
        if !packet.is_empty() {
            self.send(
                ifindex,
                destination,
                PacketBody::LinkStateUpdate(LinkStateUpdate { lsas: packet }),
            );
        }
    }

    /// §13.6: the retransmission timer of a neighbor: the LSAs on its list that have been
    /// waiting RxmtInterval are sent again, directly to the neighbor.
    pub(crate) fn retransmit_lsas(&mut self, ifindex: u32, router_id: Ipv4Addr, now: Instant) {
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let retransmit = interface.config.retransmit();
        let delay = interface.config.transmit_delay;
        let network_type = interface.config.network_type;
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        if neighbor.state < NeighborState::Exchange {
            return;
        }
        // The LSAs waiting RxmtInterval, in key order (the list is a hash map).
        let mut due: Vec<LsaKey> = neighbor
            .ls_retransmit
            .iter()
            .filter(|(_, entry)| entry.sent + retransmit <= now)
            .map(|(key, _)| *key)
            .collect();
        due.sort_unstable();
        let mut lsas = Vec::with_capacity(due.len());
        let mut gone = Vec::new();
        for key in due {
            match self.lsdb.get(&key) {
                Some(database) => {
                    lsas.push(database.lsa_for_flooding(now, delay));
                    if let Some(entry) = neighbor.ls_retransmit.get_mut(&key) {
                        entry.sent = now;
                    }
                }
                None => gone.push(key),
            }
        }
        for key in gone {
            neighbor.ls_retransmit.remove(&key);
        }
        let next = neighbor
            .ls_retransmit
            .values()
            .map(|entry| entry.sent + retransmit)
            .min();
        let destination = Self::neighbor_destination(network_type, neighbor.address);
        interface.counters.retransmitted_lsas = interface.counters.retransmitted_lsas.saturating_add(lsas.len() as u64);
        if let Some(next) = next {
            self.timers.arm(
                TimerId::LsuRetransmit {
                    ifindex,
                    neighbor: router_id,
                },
                next.max(now),
            );
        }
        if !lsas.is_empty() {
            self.send_updates(ifindex, destination, lsas);
        }
    }

    /// §13.7: receiving a Link State Acknowledgment.
    pub(crate) fn receive_ls_ack(
        &mut self,
        ifindex: u32,
        router_id: Ipv4Addr,
        source: Ipv4Addr,
        headers: &[LsaHeader],
    ) {
        let Some(neighbor) = self.neighbor_mut(ifindex, router_id) else {
            return;
        };
        // "If this neighbor is in a lesser state than Exchange, the Link State
        // Acknowledgment packet is discarded."
        if neighbor.state < NeighborState::Exchange {
            return self.reject(ifindex, source, "neighbor-state");
        }
        for header in headers {
            // "Does the router have an instance of the LSA on its Link state retransmission
            // list for the neighbor? If not, examine the next acknowledged LSA. Otherwise
            // ... If the acknowledgment is for the same instance that is contained on the
            // list, remove the item from the list and examine the next acknowledged LSA.
            // Otherwise ... log the questionable acknowledgment".
            let key = LsaKey::of(header);
            if neighbor
                .ls_retransmit
                .get(&key)
                .is_some_and(|listed| compare(header, &listed.header) == Ordering::Equal)
            {
                neighbor.ls_retransmit.remove(&key);
            }
        }
        if neighbor.ls_retransmit.is_empty() {
            neighbor.retransmit_list_emptied();
            self.timers.cancel(TimerId::LsuRetransmit {
                ifindex,
                neighbor: router_id,
            });
        }
    }

    /// §13.5: a delayed acknowledgment, sent with others within `ack_delay` (at once when a
    /// packet's worth is waiting).
    pub(crate) fn delayed_ack(&mut self, ifindex: u32, header: LsaHeader, now: Instant) {
        let delay = self.config.ack_delay;
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        interface.delayed_acks.push(header);
        if interface.delayed_acks.len() >= interface.lsa_headers_per_packet() {
            self.timers.cancel(TimerId::DelayedAck { ifindex });
            self.flush_delayed_acks(ifindex);
        } else {
            self.timers.arm_if_idle(TimerId::DelayedAck { ifindex }, now + delay);
        }
    }

    /// §13.5: "delayed acknowledgments ... are sent to the multicast address AllSPFRouters
    /// (DR, Backup, point-to-point) or AllDRouters (other routers on broadcast networks)".
    pub(crate) fn flush_delayed_acks(&mut self, ifindex: u32) {
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let headers = std::mem::take(&mut interface.delayed_acks);
        let destination = interface.flooding_destination();
        self.send_acks(ifindex, destination, &headers);
    }

    /// §13.5: a direct acknowledgment, sent to the neighbor at the end of the call.
    pub(crate) fn direct_ack(&mut self, ifindex: u32, router_id: Ipv4Addr, header: LsaHeader) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let Some(neighbor) = interface.neighbors.get(&router_id) else {
            return;
        };
        let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
        self.direct_acks.entry((ifindex, destination)).or_default().push(header);
    }

    pub(crate) fn flush_direct_acks(&mut self) {
        let acks = std::mem::take(&mut self.direct_acks);
        for ((ifindex, destination), headers) in acks {
            self.send_acks(ifindex, destination, &headers);
        }
    }

    /// Sends `headers` in as few Link State Acknowledgments as the interface's MTU allows.
    fn send_acks(&mut self, ifindex: u32, destination: Ipv4Addr, headers: &[LsaHeader]) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let room = interface.lsa_headers_per_packet();
        for chunk in headers.chunks(room) {
            self.send(
                ifindex,
                destination,
                PacketBody::LinkStateAck(LinkStateAck {
                    lsa_headers: chunk.to_vec(),
                }),
            );
        }
    }

    /// §14: an LSA reached MaxAge (others' LSAs) or LSRefreshTime (own LSAs).
    pub(crate) fn lsa_age_timer(&mut self, key: LsaKey, now: Instant) {
        if self.lsdb.get(&key).is_none() {
            return;
        }
        if self.own_keys.contains(&key) {
            // §12.4: "Whenever the LS age of a self-originated LSA reaches LSRefreshTime, a
            // new instance is originated, even though the contents have not changed"
            // (or it is flushed when no longer wanted).
            self.own_forced.insert(key);
            self.own_dirty = true;
            return;
        }
        // §14: "When an LSA's LS age field reaches MaxAge, it is reflooded in an attempt
        // to flush the LSA from the routing domain".
        self.lsdb.set_max_age(&key, now);
        self.max_age.insert(key);
        self.lsdb_changed(now);
        self.flood(key, None, now);
    }

    /// §14.1: premature aging of an own LSA: set its age to MaxAge and flood it.
    pub(crate) fn flush_own(&mut self, key: LsaKey, now: Instant) {
        if !self.lsdb.set_max_age(&key, now) {
            return;
        }
        self.timers.cancel(TimerId::LsaAge(key));
        self.max_age.insert(key);
        self.counters.flushed_lsas = self.counters.flushed_lsas.saturating_add(1);
        self.lsdb_changed(now);
        self.flood(key, None, now);
    }

    /// §14: "A MaxAge LSA must be removed immediately from the router's link state database
    /// as soon as both a) it is no longer contained on any neighbor Link state
    /// retransmission lists and b) none of the router's neighbors are in states Exchange or
    /// Loading."
    pub(crate) fn max_age_sweep(&mut self, now: Instant) {
        if self.max_age.is_empty() || self.any_neighbor_exchanging() {
            return;
        }
        let removable: Vec<LsaKey> = self
            .max_age
            .iter()
            .filter(|key| {
                !self.interfaces.values().any(|interface| {
                    interface
                        .neighbors
                        .values()
                        .any(|neighbor| neighbor.ls_retransmit.contains_key(key))
                })
            })
            .copied()
            .collect();
        for key in removable {
            self.max_age.remove(&key);
            self.own_keys.remove(&key);
            // A received instance of an own LSA (§13.4) may have asked for a new one; gone
            // from the database, there is nothing left to re-originate or flush.
            self.own_forced.remove(&key);
            self.timers.cancel(TimerId::LsaAge(key));
            self.lsdb.remove(&key);
            // §12.1.6: a wrapped sequence number can start again once the flush is done.
            if self.wrap_pending.remove(&key) {
                self.own_dirty = true;
            }
        }
        let _ = now;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Input;
    use crate::instance::ALL_SPF_ROUTERS;
    use crate::lsdb::INITIAL_SEQUENCE_NUMBER;
    use crate::packet::Packet;
    use crate::testkit::{A, B, Pair, router_lsa, sent, updates};

    const C: Ipv4Addr = Ipv4Addr::new(3, 3, 3, 3);

    fn update(lsas: Vec<Lsa>) -> PacketBody {
        PacketBody::LinkStateUpdate(LinkStateUpdate { lsas })
    }

    fn acks(packets: &[(Ipv4Addr, Packet)]) -> Vec<LsaHeader> {
        packets
            .iter()
            .filter_map(|(_, packet)| match &packet.body {
                PacketBody::LinkStateAck(ack) => Some(ack.lsa_headers.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// A gets a VIP on an up interface, then the configuration that announces it, past
    /// MinLSInterval; returns A's outputs of the announcement (not delivered to B).
    fn announce_vip(pair: &mut Pair) -> Vec<crate::Output> {
        pair.advance(Duration::from_secs(6));
        for input in [
            Input::InterfaceUp { ifindex: 9, mtu: 1500 },
            Input::AddressAdded {
                ifindex: 9,
                address: Ipv4Addr::new(192, 0, 2, 1),
                prefix_len: 32,
            },
        ] {
            let outputs = pair.a.handle(input, pair.now);
            // Nothing announced without configuration.
            assert!(updates(&sent(&outputs)).is_empty());
        }
        let mut config = pair.a.config().clone();
        config.announce.push(crate::config::AnnouncedPrefix {
            prefix: Ipv4Addr::new(192, 0, 2, 0),
            len: 24,
            cost: 1,
        });
        pair.a.handle(Input::ConfigChanged(Box::new(config)), pair.now)
    }

    fn key(router: Ipv4Addr) -> LsaKey {
        LsaKey::new(LsaType::ROUTER, router, router)
    }

    fn retransmit_lists_empty(pair: &Pair) -> bool {
        pair.a
            .neighbors_view(pair.now)
            .iter()
            .all(|neighbor| neighbor.retransmit_list == 0)
    }

    /// A network-LSA of `advertising_router` as DR at `link_state_id` (a /24 with A and B).
    fn network_lsa(advertising_router: Ipv4Addr, link_state_id: Ipv4Addr, sequence: i32, age: u16) -> Lsa {
        let header = LsaHeader {
            age,
            options: crate::Options::E,
            lsa_type: LsaType::NETWORK,
            link_state_id,
            advertising_router,
            sequence_number: sequence,
            checksum: 0,
            length: 0,
        };
        let body = crate::LsaBody::Network(crate::lsa::NetworkLsa {
            network_mask: Ipv4Addr::new(255, 255, 255, 0),
            attached_routers: vec![A, B],
        });
        Lsa::new(header, body).unwrap()
    }

    #[test]
    fn rfc2328_13_step5_newer_lsa_is_installed_and_acknowledged_later() {
        let mut pair = Pair::full();
        let lsa = router_lsa(C, INITIAL_SEQUENCE_NUMBER, 1, &[Ipv4Addr::new(192, 0, 2, 1)]);
        let outputs = pair.send_as_b(update(vec![lsa.clone()]));
        // Installed; not flooded back to its only neighbor, the sender; no ack yet.
        assert!(pair.a.lsdb().get(&key(C)).is_some());
        assert!(acks(&sent(&outputs)).is_empty());
        assert!(updates(&sent(&outputs)).is_empty());
        // §13.5: a delayed acknowledgment within ack_delay.
        let later = pair.advance_a_alone(Duration::from_secs(1));
        let acked = acks(&sent(&later));
        assert_eq!(acked.len(), 1);
        assert_eq!(LsaKey::of(&acked[0]), key(C));
    }

    #[test]
    fn rfc2328_13_step5a_min_ls_arrival_discards_a_quick_newer_instance() {
        let mut pair = Pair::full();
        pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER, 1, &[])]));
        pair.now += Duration::from_millis(200);
        let outputs = pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER + 1, 1, &[])]));
        assert!(sent(&outputs).is_empty());
        let held = pair.a.lsdb().get(&key(C)).unwrap().lsa().header().sequence_number;
        assert_eq!(held, INITIAL_SEQUENCE_NUMBER);
        // After MinLSArrival it is accepted.
        pair.now += Duration::from_secs(1);
        pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER + 1, 1, &[])]));
        let held = pair.a.lsdb().get(&key(C)).unwrap().lsa().header().sequence_number;
        assert_eq!(held, INITIAL_SEQUENCE_NUMBER + 1);
    }

    #[test]
    fn rfc2328_13_step4_max_age_unknown_lsa_is_acked_directly_and_dropped() {
        let mut pair = Pair::full();
        let outputs = pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER, MAX_AGE, &[])]));
        assert_eq!(acks(&sent(&outputs)).len(), 1);
        assert!(pair.a.lsdb().get(&key(C)).is_none());
    }

    #[test]
    fn rfc2328_13_step7_duplicate_is_acked_directly() {
        let mut pair = Pair::full();
        let lsa = router_lsa(C, INITIAL_SEQUENCE_NUMBER, 1, &[]);
        pair.send_as_b(update(vec![lsa.clone()]));
        pair.now += Duration::from_secs(2);
        let outputs = pair.send_as_b(update(vec![lsa]));
        let packets = sent(&outputs);
        assert_eq!(acks(&packets).len(), 1);
        // On a point-to-point link, to AllSPFRouters (§8.1).
        assert_eq!(packets[0].0, ALL_SPF_ROUTERS);
    }

    #[test]
    fn rfc2328_13_step7a_duplicate_on_the_retransmission_list_is_an_implied_ack() {
        let mut pair = Pair::full();
        // A originates a new router-LSA (a new announced address) and B's acknowledgment
        // is lost; B sends the same instance back instead.
        announce_vip(&mut pair);
        let own = pair.a.lsdb().get(&key(A)).unwrap().lsa().clone();
        assert_eq!(pair.a.neighbors_view(pair.now)[0].retransmit_list, 1);
        // B's answer would be an ack; here B sends the same instance back instead.
        let outputs = pair.send_as_b(update(vec![own]));
        assert!(acks(&sent(&outputs)).is_empty());
        assert!(retransmit_lists_empty(&pair));
    }

    #[test]
    fn rfc2328_13_step8_older_instance_gets_the_database_copy_back() {
        let mut pair = Pair::full();
        pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER + 5, 1, &[])]));
        pair.now += Duration::from_secs(2);
        let outputs = pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER + 1, 1, &[])]));
        let packets = sent(&outputs);
        assert!(acks(&packets).is_empty());
        let back = updates(&packets);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].header().sequence_number, INITIAL_SEQUENCE_NUMBER + 5);
        // Not again within MinLSArrival.
        let outputs = pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER + 1, 1, &[])]));
        assert!(updates(&sent(&outputs)).is_empty());
    }

    #[test]
    fn rfc2328_13_6_unacknowledged_lsas_are_retransmitted_then_13_7_acked() {
        let mut pair = Pair::full();
        let outputs = announce_vip(&mut pair);
        let flooded = updates(&sent(&outputs));
        assert_eq!(flooded.len(), 1);
        let header = *flooded[0].header();
        // B's ack is lost: A retransmits after RxmtInterval (2 s).
        let later = pair.advance_a_alone(Duration::from_secs(3));
        let again = updates(&sent(&later));
        assert!(again.iter().any(|lsa| LsaKey::of(lsa.header()) == key(A)));
        // §13.7: the ack removes it from the list.
        pair.send_as_b(PacketBody::LinkStateAck(LinkStateAck {
            lsa_headers: vec![header],
        }));
        assert!(retransmit_lists_empty(&pair));
    }

    #[test]
    fn rfc2328_13_4_own_lsa_received_newer_is_originated_past_it() {
        let mut pair = Pair::full();
        let current = pair.a.lsdb().get(&key(A)).unwrap().lsa().header().sequence_number;
        pair.send_as_b(update(vec![router_lsa(A, current + 10, 1, &[])]));
        pair.advance(Duration::from_secs(6));
        let now = pair.a.lsdb().get(&key(A)).unwrap().lsa().header().sequence_number;
        assert_eq!(now, current + 11);
        // And B has it too.
        assert_eq!(
            pair.b.lsdb().get(&key(A)).unwrap().lsa().header().sequence_number,
            current + 11
        );
    }

    #[test]
    fn rfc2328_13_4_unwanted_own_lsa_is_flushed() {
        let mut pair = Pair::full();
        // A network-LSA "from A" that A does not originate (it is not DR anywhere).
        let lsa = network_lsa(A, Ipv4Addr::new(10, 9, 9, 1), INITIAL_SEQUENCE_NUMBER + 3, 1);
        let network = LsaKey::of(lsa.header());
        let outputs = pair.send_as_b(update(vec![lsa]));
        let flushed = updates(&sent(&outputs));
        assert!(
            flushed
                .iter()
                .any(|lsa| LsaKey::of(lsa.header()) == network && lsa.header().age == MAX_AGE)
        );
        // Once B acknowledges (the flood above was not delivered: the retransmission is),
        // the MaxAge LSA leaves both databases (§14).
        pair.advance(Duration::from_secs(3));
        assert!(pair.a.lsdb().get(&network).is_none());
        assert!(pair.b.lsdb().get(&network).is_none());
    }

    #[test]
    fn rfc2328_14_lsa_reaching_max_age_is_flooded_and_removed() {
        let mut pair = Pair::full();
        pair.input(false, Input::Tick);
        // B floods C's LSA aged 3590 s through the pair (both install it).
        let lsa = router_lsa(C, INITIAL_SEQUENCE_NUMBER, MAX_AGE - 10, &[]);
        pair.send_as_b(update(vec![lsa.clone()]));
        pair.b.handle(Input::Tick, pair.now);
        assert!(pair.a.lsdb().get(&key(C)).is_some());
        // 10 s later A's copy reaches MaxAge: A refloods it and, once acknowledged, drops it.
        pair.advance(Duration::from_secs(12));
        assert!(pair.a.lsdb().get(&key(C)).is_none());
    }

    #[test]
    fn rfc2328_12_1_6_sequence_number_wrap_flushes_then_restarts() {
        let mut pair = Pair::full();
        pair.send_as_b(update(vec![router_lsa(A, MAX_SEQUENCE_NUMBER - 1, 1, &[])]));
        // A must originate MaxSequenceNumber (one past), then wrap on the next change.
        pair.advance(Duration::from_secs(6));
        assert_eq!(
            pair.a.lsdb().get(&key(A)).unwrap().lsa().header().sequence_number,
            MAX_SEQUENCE_NUMBER
        );
        // Force another origination: a refresh 30 minutes later.
        pair.advance(Duration::from_secs(1801));
        let entry = pair.a.lsdb().get(&key(A)).unwrap();
        assert_eq!(entry.lsa().header().sequence_number, INITIAL_SEQUENCE_NUMBER);
        assert!(!entry.is_max_age());
        assert_eq!(
            pair.b.lsdb().get(&key(A)).unwrap().lsa().header().sequence_number,
            INITIAL_SEQUENCE_NUMBER
        );
    }

    #[test]
    fn received_lsas_claiming_our_router_id_count_against_max_lsas() {
        let mut pair = Pair::full();
        let room = 2;
        let mut config = pair.a.config().clone();
        config.max_lsas = pair.a.lsdb().len() + room;
        pair.a.handle(Input::ConfigChanged(Box::new(config.clone())), pair.now);
        // §13.4: network-LSAs "from A" for networks A is not DR of. They are flushed, but
        // first installed: only as many as the database has room for.
        let forged: Vec<Lsa> = (1..=10)
            .map(|last| network_lsa(A, Ipv4Addr::new(10, 9, last, 1), INITIAL_SEQUENCE_NUMBER, 1))
            .collect();
        let outputs = pair.send_as_b(update(forged));
        assert!(pair.a.lsdb().len() <= config.max_lsas, "{}", pair.a.lsdb().len());
        let full = outputs
            .iter()
            .filter(|output| {
                matches!(
                    output,
                    crate::Output::Rejected {
                        reason: "lsdb-full",
                        ..
                    }
                )
            })
            .count();
        assert_eq!(full, 10 - room);
        assert_eq!(pair.a.view(pair.now).counters.lsdb_full, 10 - room as u64);
    }

    #[test]
    fn a_flushed_lsa_claiming_our_router_id_leaves_nothing_behind() {
        let mut pair = Pair::full();
        let id = Ipv4Addr::new(10, 9, 9, 1);
        let network = LsaKey::new(LsaType::NETWORK, id, A);
        // A flushes B's instance of a network-LSA "from A" (§13.4) ...
        pair.send_as_b(update(vec![network_lsa(A, id, INITIAL_SEQUENCE_NUMBER, 1)]));
        assert!(pair.a.lsdb().get(&network).is_some_and(|entry| entry.is_max_age()));
        // ... and B answers with a newer MaxAge instance: A removes it at once (§14).
        pair.now += Duration::from_secs(2);
        pair.send_as_b(update(vec![network_lsa(A, id, INITIAL_SEQUENCE_NUMBER + 1, MAX_AGE)]));
        assert!(pair.a.lsdb().get(&network).is_none());
        // Nothing about it stays in the own-LSA bookkeeping (it grew with every such pair).
        assert!(!pair.a.own_keys.contains(&network));
        assert!(pair.a.own_forced.is_empty(), "{:?}", pair.a.own_forced);
    }

    #[test]
    fn rfc2328_13_step8_one_copy_back_per_update_even_without_min_ls_arrival() {
        let mut pair = Pair::full();
        let mut config = pair.a.config().clone();
        config.min_ls_arrival = Duration::ZERO;
        pair.a.handle(Input::ConfigChanged(Box::new(config)), pair.now);
        pair.send_as_b(update(vec![router_lsa(C, INITIAL_SEQUENCE_NUMBER + 5, 1, &[])]));
        pair.now += Duration::from_secs(2);
        // One Link State Update listing the same old instance many times.
        let old = router_lsa(C, INITIAL_SEQUENCE_NUMBER + 1, 1, &[]);
        let outputs = pair.send_as_b(update(vec![old; 100]));
        let back = updates(&sent(&outputs));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].header().sequence_number, INITIAL_SEQUENCE_NUMBER + 5);
    }

    #[test]
    fn rfc2328_13_1_lsu_with_one_bad_lsa_checksum_keeps_the_good_ones() {
        let mut pair = Pair::full();
        let good = router_lsa(C, INITIAL_SEQUENCE_NUMBER, 1, &[]);
        let bad = router_lsa(Ipv4Addr::new(4, 4, 4, 4), INITIAL_SEQUENCE_NUMBER, 1, &[]);
        let packet = Packet {
            router_id: B,
            area_id: Ipv4Addr::UNSPECIFIED,
            auth: crate::PacketAuth::Null,
            body: update(vec![bad, good]),
            trailer: bytes::Bytes::new(),
        };
        let mut bytes = packet.encode(&crate::Md5Keys::new()).unwrap().to_vec();
        // Corrupt the first LSA's body (after the LSU count), then fix the packet checksum.
        bytes[24 + 4 + 21] ^= 0x01;
        bytes[12] = 0;
        bytes[13] = 0;
        let checksum = {
            let mut sum = 0u32;
            for chunk in bytes.chunks(2) {
                let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
                sum += u32::from(word);
            }
            while sum > 0xffff {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            !(sum as u16)
        };
        bytes[12..14].copy_from_slice(&checksum.to_be_bytes());
        let outputs = pair.deliver_to_a(bytes.into());
        assert!(
            outputs.iter().any(|output| matches!(
                output,
                crate::Output::Rejected {
                    reason: "bad-lsa-checksum",
                    ..
                }
            )),
            "{outputs:?}"
        );
        assert!(pair.a.lsdb().get(&key(C)).is_some());
        assert!(pair.a.lsdb().get(&key(Ipv4Addr::new(4, 4, 4, 4))).is_none());
        assert_eq!(pair.a.interfaces_view(pair.now)[0].counters.bad_lsa_checksums, 1);
    }
}
