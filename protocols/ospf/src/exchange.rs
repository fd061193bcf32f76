//! Forming adjacencies: the database exchange (RFC 2328 §10.6, §10.8) and Link State
//! Requests (§10.7, §10.9).
//!
//! ```text
//!   ExStart:  both send empty DDs (I|M|MS, own sequence number), retransmitted
//!             the higher router ID is master; the slave adopts its sequence number
//!   Exchange: master sends DD n ──► slave answers DD n (its headers) ──► master sends n+1
//!             headers newer than ours go to the request list ──► LSR (while exchanging)
//!   done:     slave: master's M clear and its own M clear; master: slave's M clear after
//!             its own last (M clear) was acknowledged ──► ExchangeDone ──► Loading | Full
//! ```
//!
//! The master retransmits its last DD every RxmtInterval until answered; the slave answers
//! a duplicate with its last DD, which it keeps for RouterDeadInterval after the exchange.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Instant;

use crate::instance::Instance;
use crate::lsa::{LSA_HEADER_LEN, LsaType};
use crate::lsdb::{LsaKey, compare};
use crate::neighbor::{DdRole, LastDd, NeighborEvent, NeighborState, Retransmit};
use crate::packet::{DatabaseDescription, DdFlags, LinkStateRequest, LsRequestEntry, PacketBody};
use crate::timers::TimerId;
use crate::{Lsa, Options};

/// The fixed part of a DD body (interface MTU, options, flags, sequence number).
const DD_FIXED_LEN: usize = 8;
/// One Link State Request entry.
const LSR_ENTRY_LEN: usize = 12;

impl Instance {
    /// §10.8 (ExStart): "the router increments the DD sequence number in the neighbor data
    /// structure. If this is the first time that an adjacency has been attempted, the DD
    /// sequence number should be assigned some unique value ... It then declares itself
    /// master (sets the master/slave bit to master), and starts sending Database
    /// Description Packets, with the initialize (I), more (M) and master (MS) bits set.
    /// This Database Description Packet should be otherwise empty. This Database
    /// Description Packet should be retransmitted at intervals of RxmtInterval until the
    /// next state is entered".
    pub(crate) fn start_exstart(&mut self, ifindex: u32, router_id: Ipv4Addr, now: Instant) {
        let fresh = self.next_dd_sequence();
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let mtu = interface.mtu;
        let retransmit = interface.config.retransmit();
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        neighbor.dd_sequence = if neighbor.dd_sequence == 0 {
            fresh.max(1)
        } else {
            neighbor.dd_sequence.wrapping_add(1)
        };
        neighbor.role = DdRole::Master;
        neighbor.last_rx_dd = None;
        let dd = DatabaseDescription {
            interface_mtu: mtu,
            options: Options::E,
            flags: DdFlags::I | DdFlags::M | DdFlags::MS,
            dd_sequence_number: neighbor.dd_sequence,
            lsa_headers: Vec::new(),
        };
        neighbor.last_tx_dd = Some(dd.clone());
        let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
        self.send(ifindex, destination, PacketBody::DatabaseDescription(dd));
        self.timers.arm(
            TimerId::DdRetransmit {
                ifindex,
                neighbor: router_id,
            },
            now + retransmit,
        );
    }

    /// §10.3 NegotiationDone: "the router must list the contents of its entire area link
    /// state database in the neighbor Database summary list. ... LSAs whose age is equal to
    /// MaxAge are instead added to the neighbor's Link state retransmission list."
    pub(crate) fn build_summary_list(&mut self, ifindex: u32, router_id: Ipv4Addr, now: Instant) {
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let retransmit = interface.config.retransmit();
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        neighbor.db_summary.clear();
        let mut max_age = false;
        for (key, entry) in self.lsdb.iter() {
            if entry.is_max_age() {
                neighbor.ls_retransmit.insert(
                    *key,
                    Retransmit {
                        header: entry.header_at(now),
                        sent: now,
                    },
                );
                max_age = true;
            } else {
                neighbor.db_summary.push_back(*key);
            }
        }
        if max_age {
            self.timers.arm_if_idle(
                TimerId::LsuRetransmit {
                    ifindex,
                    neighbor: router_id,
                },
                now + retransmit,
            );
        }
    }

    /// §10.8: sends the next Database Description packet, with as many headers of the
    /// summary list as fit.
    fn send_next_dd(&mut self, ifindex: u32, router_id: Ipv4Addr, now: Instant) {
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let room = (interface.packet_budget().saturating_sub(DD_FIXED_LEN) / LSA_HEADER_LEN).max(1);
        let mtu = interface.mtu;
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        let mut headers = Vec::with_capacity(room.min(neighbor.db_summary.len()));
        while headers.len() < room {
            let Some(key) = neighbor.db_summary.pop_front() else {
                break;
            };
            // An LSA removed from the database since the list was made is skipped.
            if let Some(entry) = self.lsdb.get(&key) {
                headers.push(entry.header_at(now));
            }
        }
        let mut flags = DdFlags::empty();
        if !neighbor.db_summary.is_empty() {
            flags |= DdFlags::M;
        }
        if neighbor.role == DdRole::Master {
            flags |= DdFlags::MS;
        }
        let dd = DatabaseDescription {
            interface_mtu: mtu,
            options: Options::E,
            flags,
            dd_sequence_number: neighbor.dd_sequence,
            lsa_headers: headers,
        };
        neighbor.last_tx_dd = Some(dd.clone());
        let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
        self.send(ifindex, destination, PacketBody::DatabaseDescription(dd));
    }

    /// The DD retransmission timer: the master (or either side in ExStart) sends its last
    /// DD again.
    pub(crate) fn retransmit_dd(&mut self, ifindex: u32, router_id: Ipv4Addr, now: Instant) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let retransmit = interface.config.retransmit();
        let Some(neighbor) = interface.neighbors.get(&router_id) else {
            return;
        };
        let active = neighbor.state == NeighborState::ExStart
            || (neighbor.state == NeighborState::Exchange && neighbor.role == DdRole::Master);
        let Some(dd) = neighbor.last_tx_dd.clone().filter(|_| active) else {
            return;
        };
        let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
        self.send(ifindex, destination, PacketBody::DatabaseDescription(dd));
        self.timers.arm(
            TimerId::DdRetransmit {
                ifindex,
                neighbor: router_id,
            },
            now + retransmit,
        );
    }

    /// §10.6: receiving a Database Description packet.
    pub(crate) fn receive_dd(
        &mut self,
        ifindex: u32,
        router_id: Ipv4Addr,
        source: Ipv4Addr,
        dd: DatabaseDescription,
        now: Instant,
    ) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        // "If the Interface MTU field in the Database Description packet indicates an IP
        // datagram size that is larger than the router can accept on the receiving
        // interface without fragmentation, the Database Description packet is rejected."
        if !interface.config.mtu_ignore && dd.interface_mtu > interface.mtu {
            return self.reject(ifindex, source, "mtu-mismatch");
        }
        let Some(neighbor) = interface.neighbors.get(&router_id) else {
            return;
        };
        let mut state = neighbor.state;
        if state == NeighborState::Init {
            // "Init: the neighbor state machine should be executed with the event
            // 2-WayReceived. This causes an immediate state change to either state 2-Way
            // or state ExStart. If the new state is ExStart, the processing of the current
            // packet should then continue in this new state".
            self.neighbor_event(ifindex, router_id, NeighborEvent::TwoWayReceived, now);
            state = self
                .neighbor(ifindex, router_id)
                .map_or(NeighborState::Down, |neighbor| neighbor.state);
        }
        match state {
            // "Down: The packet should be rejected."
            NeighborState::Down | NeighborState::Init => self.reject(ifindex, source, "neighbor-state"),
            // "2-Way: The packet should be ignored." (Counted like the other packets a
            // neighbor's state makes us ignore.)
            NeighborState::TwoWay => self.reject(ifindex, source, "neighbor-state"),
            NeighborState::ExStart => self.dd_in_exstart(ifindex, router_id, dd, now),
            NeighborState::Exchange => self.dd_in_exchange(ifindex, router_id, dd, now),
            NeighborState::Loading | NeighborState::Full => self.dd_after_exchange(ifindex, router_id, dd, now),
        }
    }

    /// §10.6 ExStart.
    fn dd_in_exstart(&mut self, ifindex: u32, router_id: Ipv4Addr, dd: DatabaseDescription, now: Instant) {
        let our_id = self.config.router_id;
        let Some(neighbor) = self.neighbor_mut(ifindex, router_id) else {
            return;
        };
        let all = DdFlags::I | DdFlags::M | DdFlags::MS;
        if dd.flags.contains(all) && dd.lsa_headers.is_empty() && router_id > our_id {
            // "The initialize(I), more (M) and master(MS) bits are set, the contents of the
            // packet are empty, and the neighbor's Router ID is larger than the router's
            // own. In this case the router is now Slave. Set the master/slave bit to slave,
            // and set the neighbor data structure's DD sequence number to that specified by
            // the master."
            neighbor.role = DdRole::Slave;
            neighbor.dd_sequence = dd.dd_sequence_number;
        } else if !dd.flags.intersects(DdFlags::I | DdFlags::MS)
            && dd.dd_sequence_number == neighbor.dd_sequence
            && router_id < our_id
        {
            // "The initialize(I) and master(MS) bits are off, the packet's DD sequence
            // number equals the neighbor data structure's DD sequence number (indicating
            // acknowledgment) and the neighbor's Router ID is smaller than the router's
            // own. In this case the router is Master."
            neighbor.role = DdRole::Master;
        } else {
            // "Otherwise, the packet should be ignored."
            return;
        }
        // "... the packet's Options field should be recorded in the neighbor structure's
        // Neighbor Options field."
        neighbor.dd_options = dd.options;
        self.timers.cancel(TimerId::DdRetransmit {
            ifindex,
            neighbor: router_id,
        });
        // "... the neighbor event NegotiationDone should be generated ... and the packet
        // should be accepted as next in sequence and processed further".
        self.neighbor_event(ifindex, router_id, NeighborEvent::NegotiationDone, now);
        self.accept_dd(ifindex, router_id, dd, now);
    }

    /// §10.6 Exchange.
    fn dd_in_exchange(&mut self, ifindex: u32, router_id: Ipv4Addr, dd: DatabaseDescription, now: Instant) {
        if self.handled_as_duplicate(ifindex, router_id, &dd) {
            return;
        }
        let Some(neighbor) = self.neighbor(ifindex, router_id) else {
            return;
        };
        let master = neighbor.role == DdRole::Master;
        let mismatch =
            // "If the state of the MS-bit is inconsistent with the master/slave state of
            // the connection, generate the neighbor event SeqNumberMismatch"
            dd.flags.contains(DdFlags::MS) == master
            // "If the initialize(I) bit is set, generate the neighbor event SeqNumberMismatch"
            || dd.flags.contains(DdFlags::I)
            // "If the packet's Options field indicates a different set of optional OSPF
            // capabilities than were previously received from the neighbor ..."
            || dd.options != neighbor.dd_options
            // "... if the router is master, the packet's DD sequence number must equal the
            // DD sequence number in the neighbor data structure. If the router is slave, the
            // packet's DD sequence number must be one more than the DD sequence number
            // stored in the neighbor data structure."
            || (master && dd.dd_sequence_number != neighbor.dd_sequence)
            || (!master && dd.dd_sequence_number != neighbor.dd_sequence.wrapping_add(1));
        if mismatch {
            self.neighbor_event(ifindex, router_id, NeighborEvent::SeqNumberMismatch, now);
            return;
        }
        self.accept_dd(ifindex, router_id, dd, now);
    }

    /// §10.6 Loading or Full: "the router should have received its full sequence of
    /// Database Description packets. Hence the only packets received should be duplicates
    /// ... Any other packets received, including the reception of a packet with the
    /// Initialize(I) bit set, should generate the neighbor event SeqNumberMismatch.
    /// Duplicate packets should be discarded by the master. The slave must respond to
    /// duplicates by repeating the last Database Description packet that it had sent."
    fn dd_after_exchange(&mut self, ifindex: u32, router_id: Ipv4Addr, dd: DatabaseDescription, now: Instant) {
        if !self.handled_as_duplicate(ifindex, router_id, &dd) {
            self.neighbor_event(ifindex, router_id, NeighborEvent::SeqNumberMismatch, now);
        }
    }

    /// §10.6 (Exchange, Loading, Full): "Duplicate Database Description packets are
    /// discarded by the master, and cause the slave to retransmit the last Database
    /// Description packet that it had sent." True when `dd` is a duplicate (handled).
    fn handled_as_duplicate(&mut self, ifindex: u32, router_id: Ipv4Addr, dd: &DatabaseDescription) -> bool {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return false;
        };
        let Some(neighbor) = interface.neighbors.get(&router_id) else {
            return false;
        };
        let this = LastDd {
            flags: dd.flags,
            options: dd.options,
            sequence: dd.dd_sequence_number,
        };
        if neighbor.last_rx_dd != Some(this) {
            return false;
        }
        if neighbor.role == DdRole::Slave
            && let Some(last) = neighbor.last_tx_dd.clone()
        {
            let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
            self.send(ifindex, destination, PacketBody::DatabaseDescription(last));
        }
        true
    }

    /// §10.6: "When the router accepts a received Database Description Packet as the next
    /// in sequence the packet contents are processed as follows."
    fn accept_dd(&mut self, ifindex: u32, router_id: Ipv4Addr, dd: DatabaseDescription, now: Instant) {
        let max_lsas = self.config.max_lsas;
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let dead = interface.config.dead();
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        neighbor.last_rx_dd = Some(LastDd {
            flags: dd.flags,
            options: dd.options,
            sequence: dd.dd_sequence_number,
        });
        // "For each LSA listed, the LSA's LS type is checked for validity. ... Otherwise,
        // the router looks up the LSA in its database to see whether it also has an
        // instance of the LSA. If it does not, or if the database copy is less recent, the
        // LSA is put on the Link state request list". Every LS type is accepted (unknown
        // types are stored and flooded opaque).
        let mut overflow = false;
        for header in &dd.lsa_headers {
            let key = LsaKey::of(header);
            let newer = match self.lsdb.get(&key) {
                None => true,
                Some(entry) => compare(header, &entry.header_at(now)).is_gt(),
            };
            if !newer {
                continue;
            }
            if neighbor.ls_request.len() >= max_lsas && !neighbor.ls_request.contains_key(&key) {
                overflow = true;
                break;
            }
            neighbor.ls_request.insert(key, *header);
        }
        if overflow {
            // The request list is bounded like the database: start over later.
            self.neighbor_event(ifindex, router_id, NeighborEvent::SeqNumberMismatch, now);
            return;
        }
        let more = dd.flags.contains(DdFlags::M);
        match neighbor.role {
            DdRole::Master => {
                // "Master: Increments the DD sequence number in the neighbor data structure.
                // If the master has sent its entire sequence of Database Description Packets,
                // and the just accepted packet has the more bit (M) set to 0, the neighbor
                // event ExchangeDone is generated. Otherwise, it should send a new Database
                // Description to the slave."
                neighbor.dd_sequence = neighbor.dd_sequence.wrapping_add(1);
                let sent_all = neighbor
                    .last_tx_dd
                    .as_ref()
                    .is_some_and(|last| !last.flags.contains(DdFlags::M));
                if sent_all && !more {
                    self.timers.cancel(TimerId::DdRetransmit {
                        ifindex,
                        neighbor: router_id,
                    });
                    self.neighbor_event(ifindex, router_id, NeighborEvent::ExchangeDone, now);
                } else {
                    let retransmit = interface.config.retransmit();
                    self.send_next_dd(ifindex, router_id, now);
                    self.timers.arm(
                        TimerId::DdRetransmit {
                            ifindex,
                            neighbor: router_id,
                        },
                        now + retransmit,
                    );
                }
            }
            DdRole::Slave => {
                // "Slave: Sets the DD sequence number in the neighbor data structure to the
                // DD sequence number appearing in the received packet. The slave must send a
                // Database Description Packet in reply. If the received packet has the more
                // bit (M) set to 0, and the packet to be sent by the slave will also have its
                // M-bit set to 0, the neighbor event ExchangeDone is generated."
                neighbor.dd_sequence = dd.dd_sequence_number;
                self.send_next_dd(ifindex, router_id, now);
                let our_more = self
                    .neighbor(ifindex, router_id)
                    .and_then(|neighbor| neighbor.last_tx_dd.as_ref())
                    .is_some_and(|last| last.flags.contains(DdFlags::M));
                if !more && !our_more {
                    // §10.8: the slave keeps its last DD for RouterDeadInterval to answer
                    // a retransmission of the master's last packet.
                    self.timers.arm(
                        TimerId::DdHoldLast {
                            ifindex,
                            neighbor: router_id,
                        },
                        now + dead,
                    );
                    self.neighbor_event(ifindex, router_id, NeighborEvent::ExchangeDone, now);
                }
            }
        }
    }

    /// §10.7: answering a Link State Request with the database copies.
    pub(crate) fn receive_ls_request(
        &mut self,
        ifindex: u32,
        router_id: Ipv4Addr,
        source: Ipv4Addr,
        request: &LinkStateRequest,
        now: Instant,
    ) {
        let Some(interface) = self.interfaces.get(&ifindex) else {
            return;
        };
        let Some(neighbor) = interface.neighbors.get(&router_id) else {
            return;
        };
        // "Received Link State Request Packets should be accepted when the neighbor is in
        // states Exchange, Loading, or Full. In all other states ... ignored."
        if neighbor.state < NeighborState::Exchange {
            return self.reject(ifindex, source, "neighbor-state");
        }
        let delay = interface.config.transmit_delay;
        let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
        let mut lsas: Vec<Lsa> = Vec::with_capacity(request.entries.len());
        // Each LSA is sent once, however often the request lists it: a 64 KiB request naming
        // one large LSA thousands of times must not make thousands of copies.
        let mut answered: BTreeSet<LsaKey> = BTreeSet::new();
        for entry in &request.entries {
            let found = u8::try_from(entry.ls_type)
                .ok()
                .map(|ls_type| LsaKey::new(LsaType(ls_type), entry.link_state_id, entry.advertising_router))
                .and_then(|key| Some((key, self.lsdb.get(&key)?)));
            let Some((key, found)) = found else {
                // "If an LSA cannot be found in the database, something has gone wrong with
                // the Database Exchange process, and neighbor event BadLSReq should be
                // generated."
                self.neighbor_event(ifindex, router_id, NeighborEvent::BadLsReq, now);
                return;
            };
            if answered.insert(key) {
                lsas.push(found.lsa_for_flooding(now, delay));
            }
        }
        self.send_updates(ifindex, destination, lsas);
    }

    /// §10.9: sends a Link State Request for the first entries of the request list (as
    /// many as fit) and arms its retransmission.
    pub(crate) fn send_ls_request(&mut self, ifindex: u32, router_id: Ipv4Addr, now: Instant) {
        let Some(interface) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let room = (interface.packet_budget() / LSR_ENTRY_LEN).max(1);
        let retransmit = interface.config.retransmit();
        let Some(neighbor) = interface.neighbors.get_mut(&router_id) else {
            return;
        };
        if !matches!(neighbor.state, NeighborState::Exchange | NeighborState::Loading) || neighbor.ls_request.is_empty()
        {
            neighbor.ls_request_in_flight.clear();
            self.timers.cancel(TimerId::LsrRetransmit {
                ifindex,
                neighbor: router_id,
            });
            return;
        }
        let entries: Vec<LsRequestEntry> = neighbor
            .ls_request
            .keys()
            .take(room)
            .map(|key| LsRequestEntry {
                ls_type: u32::from(key.lsa_type.0),
                link_state_id: key.link_state_id,
                advertising_router: key.advertising_router,
            })
            .collect();
        neighbor.ls_request_in_flight = neighbor.ls_request.keys().take(room).copied().collect();
        let destination = Self::neighbor_destination(interface.config.network_type, neighbor.address);
        self.send(
            ifindex,
            destination,
            PacketBody::LinkStateRequest(LinkStateRequest { entries }),
        );
        self.timers.arm(
            TimerId::LsrRetransmit {
                ifindex,
                neighbor: router_id,
            },
            now + retransmit,
        );
    }

    /// After any change to request lists (§10.9): Loading neighbors whose list emptied get
    /// LoadingDone; neighbors whose last request was answered get the next one.
    pub(crate) fn check_requests(&mut self, now: Instant) {
        let mut done = Vec::new();
        let mut next = Vec::new();
        for (ifindex, interface) in &mut self.interfaces {
            for neighbor in interface.neighbors.values_mut() {
                if !matches!(neighbor.state, NeighborState::Exchange | NeighborState::Loading) {
                    continue;
                }
                let ls_request = &neighbor.ls_request;
                neighbor.ls_request_in_flight.retain(|key| ls_request.contains_key(key));
                if neighbor.ls_request.is_empty() {
                    self.timers.cancel(TimerId::LsrRetransmit {
                        ifindex: *ifindex,
                        neighbor: neighbor.router_id,
                    });
                    if neighbor.state == NeighborState::Loading {
                        done.push((*ifindex, neighbor.router_id));
                    }
                } else if neighbor.ls_request_in_flight.is_empty() {
                    next.push((*ifindex, neighbor.router_id));
                }
            }
        }
        for (ifindex, router_id) in done {
            // §10.3: "Loading Done: Link State Updates have been received for all
            // out-of-date portions of the database."
            self.neighbor_event(ifindex, router_id, NeighborEvent::LoadingDone, now);
        }
        for (ifindex, router_id) in next {
            self.send_ls_request(ifindex, router_id, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, InterfaceConfig};
    use crate::instance::Input;
    use crate::packet::Hello;
    use crate::testkit::{A, A_ADDRESS, B, IFINDEX, Pair, encode_as, from_b, rejected, sent, updates};

    fn request(routers: &[Ipv4Addr]) -> PacketBody {
        let entries = routers
            .iter()
            .map(|router| LsRequestEntry {
                ls_type: u32::from(LsaType::ROUTER.0),
                link_state_id: *router,
                advertising_router: *router,
            })
            .collect();
        PacketBody::LinkStateRequest(LinkStateRequest { entries })
    }

    #[test]
    fn rfc2328_10_7_request_for_a_missing_lsa_is_bad_ls_req() {
        let mut pair = Pair::full();
        let outputs = pair.send_as_b(request(&[Ipv4Addr::new(3, 3, 3, 3)]));
        assert_eq!(pair.a.neighbor_state(IFINDEX, B), Some(NeighborState::ExStart));
        assert!(outputs.iter().any(|output| matches!(
            output,
            crate::Output::NeighborChanged {
                event: NeighborEvent::BadLsReq,
                ..
            }
        )));
    }

    #[test]
    fn rfc2328_10_7_request_is_answered_with_the_database_copy() {
        let mut pair = Pair::full();
        let outputs = pair.send_as_b(request(&[A]));
        let answered = updates(&sent(&outputs));
        assert_eq!(answered.len(), 1);
        assert_eq!(LsaKey::of(answered[0].header()), LsaKey::new(LsaType::ROUTER, A, A));
    }

    #[test]
    fn rfc2328_10_7_an_lsa_requested_many_times_is_sent_once() {
        let mut pair = Pair::full();
        let outputs = pair.send_as_b(request(&[A; 1_000]));
        let answered = updates(&sent(&outputs));
        assert_eq!(answered.len(), 1);
        assert_eq!(LsaKey::of(answered[0].header()), LsaKey::new(LsaType::ROUTER, A, A));
    }

    #[test]
    fn rfc2328_10_6_dd_from_a_2_way_neighbor_is_ignored_and_counted() {
        let now = Instant::now();
        let mut interface = InterfaceConfig::new(IFINDEX, "eth0");
        interface.hello_interval = 1;
        interface.dead_interval = 4;
        interface.priority = 0;
        let (mut a, _) = Instance::new(Config::new(A).interface(interface), now);
        a.handle(
            Input::AddressAdded {
                ifindex: IFINDEX,
                address: A_ADDRESS,
                prefix_len: 24,
            },
            now,
        );
        a.handle(
            Input::InterfaceUp {
                ifindex: IFINDEX,
                mtu: 1500,
            },
            now,
        );
        // B is not eligible either: nobody is DR, so A and B stay 2-Way (§10.4).
        let hello = Hello {
            network_mask: Ipv4Addr::new(255, 255, 255, 0),
            hello_interval: 1,
            options: Options::E,
            router_priority: 0,
            router_dead_interval: 4,
            designated_router: Ipv4Addr::UNSPECIFIED,
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: vec![A],
        };
        a.handle(from_b(encode_as(B, PacketBody::Hello(hello))), now);
        assert_eq!(a.neighbor_state(IFINDEX, B), Some(NeighborState::TwoWay));
        let dd = DatabaseDescription {
            interface_mtu: 1500,
            options: Options::E,
            flags: DdFlags::I | DdFlags::M | DdFlags::MS,
            dd_sequence_number: 1,
            lsa_headers: vec![],
        };
        let outputs = a.handle(from_b(encode_as(B, PacketBody::DatabaseDescription(dd))), now);
        assert_eq!(rejected(&outputs), vec!["neighbor-state"]);
        assert_eq!(
            a.interfaces_view(now)[0].counters.rejected.get("neighbor-state"),
            Some(&1)
        );
        assert_eq!(a.neighbor_state(IFINDEX, B), Some(NeighborState::TwoWay));
    }
}
