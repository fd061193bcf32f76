//! Interfaces (RFC 2328 §9): the interface data structure, its state machine and the
//! Designated Router election (§9.4).
//!
//! [`fsm`] is the table of §9.3, pure like the neighbor's: it returns the next state (or
//! "decided by the election") and the [`InterfaceAction`]s the instance carries out.
//! [`elect`] is §9.4 on plain data, so each case of the election is a table test.
//!
//! ```text
//!   Down ──InterfaceUp──► Point-to-point                       (p2p)
//!        ──InterfaceUp──► Waiting ──WaitTimer/BackupSeen──► DR | Backup | DROther
//!        ──InterfaceUp──► DROther                               (priority 0)
//!   any ──InterfaceDown──► Down     any ──LoopInd──► Loopback ──UnloopInd──► Down
//! ```
//!
//! A passive interface goes from Down straight to Point-to-point (p2p) or DR (broadcast,
//! alone on its network): it sends no Hellos and forms no adjacencies, and its subnet is
//! announced as a stub network (§12.4.1). NBMA and point-to-multipoint are not supported.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Instant;

use serde::Serialize;

use crate::config::{InterfaceConfig, NetworkType};
use crate::counters::InterfaceCounters;
use crate::instance::{ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use crate::lsa::{LSA_HEADER_LEN, LsaHeader};
use crate::neighbor::{Neighbor, NeighborState};

/// §9.1: the interface states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum InterfaceState {
    Down,
    Loopback,
    Waiting,
    #[serde(rename = "Point-to-point")]
    PointToPoint,
    DROther,
    Backup,
    DR,
}

/// §9.2: the interface events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum InterfaceEvent {
    InterfaceUp,
    WaitTimer,
    BackupSeen,
    NeighborChange,
    LoopInd,
    UnloopInd,
    InterfaceDown,
}

/// What the instance must do for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterfaceAction {
    /// §9.3: start the Hello Timer, sending Hellos every HelloInterval.
    StartHello,
    /// §9.3: start the Wait Timer.
    StartWaitTimer,
    /// §9.4: run the DR election; it sets the new state.
    ElectDr,
    /// §9.3 InterfaceDown/LoopInd: reset the interface variables, stop its timers, and
    /// generate KillNbr for every neighbor.
    Reset,
}

/// The next state of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextState {
    State(InterfaceState),
    /// DR, Backup or DROther, as the election says.
    Elected,
}

/// What decides a transition besides the state and the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceConditions {
    pub network_type: NetworkType,
    pub priority: u8,
    pub passive: bool,
}

/// §9.3: the interface state machine. `None` when the event is ignored in this state.
pub fn fsm(
    state: InterfaceState,
    event: InterfaceEvent,
    cond: InterfaceConditions,
) -> Option<(NextState, Vec<InterfaceAction>)> {
    use InterfaceAction as A;
    use InterfaceEvent as E;
    use InterfaceState as S;
    let next = match (state, event) {
        // Passive interfaces send no Hellos and elect nobody: p2p, or DR alone on the LAN.
        (S::Down, E::InterfaceUp) if cond.passive => match cond.network_type {
            NetworkType::PointToPoint => (NextState::State(S::PointToPoint), vec![]),
            NetworkType::Broadcast => (NextState::State(S::DR), vec![]),
        },
        // §9.3 "State(s): Down, Event: InterfaceUp. New state: Depends upon action routine.
        // Action: Start the interval Hello Timer ... If the attached network is a physical
        // point-to-point network ... the interface state transitions to Point-to-Point."
        (S::Down, E::InterfaceUp) if cond.network_type == NetworkType::PointToPoint => {
            (NextState::State(S::PointToPoint), vec![A::StartHello])
        }
        // "Else, if the router is not eligible to become Designated Router the interface
        // state transitions to DR Other."
        (S::Down, E::InterfaceUp) if cond.priority == 0 => (NextState::State(S::DROther), vec![A::StartHello]),
        // "Otherwise, the attached network is a broadcast or NBMA network and the router is
        // eligible to become Designated Router. In this case, in an attempt to discover the
        // attached network's Designated Router the interface state is set to Waiting and
        // the single shot Wait Timer is started."
        (S::Down, E::InterfaceUp) => (NextState::State(S::Waiting), vec![A::StartHello, A::StartWaitTimer]),
        // "State(s): Waiting, Event: BackupSeen. New state: Depends upon action routine.
        // Action: Calculate the attached network's Backup Designated Router and Designated
        // Router, as shown in Section 9.4."
        (S::Waiting, E::BackupSeen) => (NextState::Elected, vec![A::ElectDr]),
        // "State(s): Waiting, Event: WaitTimer. ... Action: Calculate the attached network's
        // Backup Designated Router and Designated Router."
        (S::Waiting, E::WaitTimer) => (NextState::Elected, vec![A::ElectDr]),
        // "State(s): DR Other, Backup or DR, Event: NeighborChange. New state: Depends upon
        // action routine. Action: Recalculate the attached network's Backup Designated
        // Router and Designated Router."
        (S::DROther | S::Backup | S::DR, E::NeighborChange) if !cond.passive => (NextState::Elected, vec![A::ElectDr]),
        // "State(s): Any State, Event: InterfaceDown. New state: Down. Action: All interface
        // variables are reset, and interface timers disabled. Also, all neighbor connections
        // associated with the interface are destroyed ... KillNbr."
        (S::Down, E::InterfaceDown) => return None,
        (_, E::InterfaceDown) => (NextState::State(S::Down), vec![A::Reset]),
        // "State(s): Any State, Event: LoopInd. New state: Loopback. Action: Since this
        // interface is no longer connected to the attached network the actions associated
        // with the above InterfaceDown event are executed."
        (S::Loopback, E::LoopInd) => return None,
        (_, E::LoopInd) => (NextState::State(S::Loopback), vec![A::Reset]),
        // "State(s): Loopback, Event: UnloopInd. New state: Down. Action: No actions are
        // necessary. ... the interface will now need to be brought up by InterfaceUp."
        (S::Loopback, E::UnloopInd) => (NextState::State(S::Down), vec![]),
        // Any other pair is not in the table: ignored.
        _ => return None,
    };
    Some(next)
}

/// A router taking part in the election (§9.4): the calculating router itself and every
/// neighbor in state 2-Way or higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub router_id: Ipv4Addr,
    pub address: Ipv4Addr,
    pub priority: u8,
    /// The DR and BDR it declares (interface addresses; 0.0.0.0 for none).
    pub dr: Ipv4Addr,
    pub bdr: Ipv4Addr,
}

impl Candidate {
    fn declares_dr(&self) -> bool {
        self.dr == self.address
    }

    fn declares_bdr(&self) -> bool {
        self.bdr == self.address
    }
}

/// The outcome of an election: the DR and BDR interface addresses (0.0.0.0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Election {
    pub dr: Ipv4Addr,
    pub bdr: Ipv4Addr,
}

/// §9.4: elects the Designated Router and the Backup Designated Router. `me` is the
/// calculating router with the DR and BDR of its interface as they are now; `others` are
/// the neighbors in state 2-Way or higher.
pub fn elect(me: Candidate, others: &[Candidate]) -> Election {
    // (1) "Note the current values for the network's Designated Router and Backup
    // Designated Router. This is used later for comparison purposes."
    let was_dr = me.dr == me.address;
    let was_bdr = me.bdr == me.address;
    let first = elect_once(me, others);
    // (4) "If Router X is now newly the Designated Router or newly the Backup Designated
    // Router, or is now no longer the Designated Router or no longer the Backup
    // Designated Router, repeat steps 2 and 3, and then proceed to step 5."
    let is_dr = first.dr == me.address;
    let is_bdr = first.bdr == me.address;
    if is_dr != was_dr || is_bdr != was_bdr {
        // "... when the router newly becomes DR, it will declare itself DR in the second
        // pass and will therefore not be eligible as BDR."
        let me = Candidate {
            dr: first.dr,
            bdr: first.bdr,
            ..me
        };
        return elect_once(me, others);
    }
    first
}

/// Steps (2) and (3) of §9.4.
fn elect_once(me: Candidate, others: &[Candidate]) -> Election {
    // Only routers with a non-zero priority take part ("routers with Router Priority
    // set to 0 are not eligible").
    let eligible: Vec<Candidate> = std::iter::once(me)
        .chain(others.iter().copied())
        .filter(|candidate| candidate.priority > 0)
        .collect();
    let best = |list: &mut dyn Iterator<Item = &Candidate>| {
        list.max_by_key(|candidate| (candidate.priority, candidate.router_id))
            .copied()
    };
    // (2) "Calculate the new Backup Designated Router for the network as follows. Only
    // those routers on the list that have not declared themselves to be Designated Router
    // are eligible to become Backup Designated Router. If one or more of these routers
    // have declared themselves Backup Designated Router (i.e., they are currently listing
    // themselves as Backup Designated Router, but not as Designated Router, in their Hello
    // Packets) the one having highest Router Priority is declared to be Backup Designated
    // Router. In case of a tie, the one having the highest Router ID is chosen. If no
    // routers have declared themselves Backup Designated Router, choose the router having
    // highest Router Priority, (again excluding those routers who have declared
    // themselves Designated Router), and again use the Router ID to break ties."
    let not_dr = || eligible.iter().filter(|candidate| !candidate.declares_dr());
    let bdr = best(&mut not_dr().filter(|candidate| candidate.declares_bdr())).or_else(|| best(&mut not_dr()));
    // (3) "Calculate the new Designated Router for the network as follows. If one or more
    // of the routers have declared themselves Designated Router (i.e., they are currently
    // listing themselves as Designated Router in their Hello Packets) the one having
    // highest Router Priority is declared to be Designated Router. In case of a tie, the
    // one having the highest Router ID is chosen. If no routers have declared themselves
    // Designated Router, assign the Designated Router to be the same as the newly elected
    // Backup Designated Router."
    let dr = best(&mut eligible.iter().filter(|candidate| candidate.declares_dr())).or(bdr);
    // When step (3) copies the BDR into the DR, both name the same router until the
    // routers' Hellos converge (the calculating router itself is fixed by step (4)).
    Election {
        dr: dr.map_or(Ipv4Addr::UNSPECIFIED, |candidate| candidate.address),
        bdr: bdr.map_or(Ipv4Addr::UNSPECIFIED, |candidate| candidate.address),
    }
}

/// §9: the interface data structure.
#[derive(Debug)]
pub(crate) struct Interface {
    pub config: InterfaceConfig,
    pub state: InterfaceState,
    /// The link is up (InterfaceUp from the daemon) and its MTU.
    pub link_up: bool,
    pub mtu: u16,
    /// The address and prefix length OSPF runs on (the lowest non-host address).
    pub address: Option<(Ipv4Addr, u8)>,
    /// The DR and BDR (interface addresses; 0.0.0.0 for none).
    pub dr: Ipv4Addr,
    pub bdr: Ipv4Addr,
    pub neighbors: BTreeMap<Ipv4Addr, Neighbor>,
    /// §13.5: LSA headers waiting to be acknowledged together.
    pub delayed_acks: Vec<LsaHeader>,
    /// D.4.3: the next cryptographic sequence number sent.
    pub crypto_sequence: u32,
    pub counters: InterfaceCounters,
    pub state_changes: u32,
    pub last_state_change: Instant,
}

impl Interface {
    pub fn new(config: InterfaceConfig, crypto_sequence: u32, now: Instant) -> Self {
        Self {
            config,
            state: InterfaceState::Down,
            link_up: false,
            mtu: 1500,
            address: None,
            dr: Ipv4Addr::UNSPECIFIED,
            bdr: Ipv4Addr::UNSPECIFIED,
            neighbors: BTreeMap::new(),
            delayed_acks: Vec::new(),
            crypto_sequence,
            counters: InterfaceCounters::default(),
            state_changes: 0,
            last_state_change: now,
        }
    }

    pub fn conditions(&self) -> InterfaceConditions {
        InterfaceConditions {
            network_type: self.config.network_type,
            priority: self.config.priority,
            passive: self.config.passive,
        }
    }

    pub fn ifindex(&self) -> u32 {
        self.config.ifindex
    }

    pub fn is_broadcast(&self) -> bool {
        self.config.network_type == NetworkType::Broadcast
    }

    /// The interface's own address (0.0.0.0 without one).
    pub fn ip(&self) -> Ipv4Addr {
        self.address.map_or(Ipv4Addr::UNSPECIFIED, |(address, _)| address)
    }

    pub fn prefix_len(&self) -> u8 {
        self.address.map_or(0, |(_, len)| len)
    }

    /// The router is DR or BDR on this interface.
    pub fn is_dr_or_bdr(&self) -> bool {
        matches!(self.state, InterfaceState::DR | InterfaceState::Backup)
    }

    /// The neighbor whose interface address is `address`.
    pub fn neighbor_by_address(&self, address: Ipv4Addr) -> Option<&Neighbor> {
        self.neighbors.values().find(|neighbor| neighbor.address == address)
    }

    /// §10.4: should an adjacency be established with this neighbor? "Point-to-point
    /// networks: always. ... Broadcast networks: if the router itself is the Designated
    /// Router, the router itself is the Backup Designated Router, the neighboring router is
    /// the Designated Router, or the neighboring router is the Backup Designated Router."
    pub fn adjacency_wanted(&self, neighbor: &Neighbor) -> bool {
        match self.config.network_type {
            NetworkType::PointToPoint => true,
            NetworkType::Broadcast => {
                self.is_dr_or_bdr() || neighbor.address == self.dr || neighbor.address == self.bdr
            }
        }
    }

    /// The router IDs of the neighbors in state Full.
    pub fn full_neighbors(&self) -> impl Iterator<Item = &Neighbor> {
        self.neighbors
            .values()
            .filter(|neighbor| neighbor.state == NeighborState::Full)
    }

    /// The candidate for the election that this router is on this interface.
    pub fn me_as_candidate(&self, router_id: Ipv4Addr) -> Candidate {
        Candidate {
            router_id,
            address: self.ip(),
            priority: self.config.priority,
            dr: self.dr,
            bdr: self.bdr,
        }
    }

    /// The neighbors taking part in the election (state 2-Way or higher).
    pub fn election_candidates(&self) -> Vec<Candidate> {
        self.neighbors
            .values()
            .filter(|neighbor| neighbor.state >= NeighborState::TwoWay)
            .map(|neighbor| Candidate {
                router_id: neighbor.router_id,
                address: neighbor.address,
                priority: neighbor.priority,
                dr: neighbor.dr,
                bdr: neighbor.bdr,
            })
            .collect()
    }

    /// The bytes a packet body can use: the MTU less the IP header, the OSPF header and an
    /// MD5 digest.
    pub fn packet_budget(&self) -> usize {
        let digest = match self.config.auth {
            crate::config::InterfaceAuth::Md5 { .. } => crate::packet::MD5_DIGEST_LEN,
            _ => 0,
        };
        usize::from(self.mtu.max(576)).saturating_sub(20 + crate::packet::HEADER_LEN + digest)
    }

    /// How many LSA headers a Link State Acknowledgment can carry (at least one).
    pub fn lsa_headers_per_packet(&self) -> usize {
        (self.packet_budget() / LSA_HEADER_LEN).max(1)
    }

    /// Where floods (§13.3 (5)) and delayed acknowledgments (§13.5) go: AllDRouters from a
    /// router that is neither DR nor Backup on a broadcast network, AllSPFRouters otherwise.
    pub fn flooding_destination(&self) -> Ipv4Addr {
        if self.is_broadcast() && !self.is_dr_or_bdr() {
            ALL_D_ROUTERS
        } else {
            ALL_SPF_ROUTERS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InterfaceAction as A;
    use InterfaceEvent as E;
    use InterfaceState as S;

    const BROADCAST: InterfaceConditions = InterfaceConditions {
        network_type: NetworkType::Broadcast,
        priority: 1,
        passive: false,
    };
    const P2P: InterfaceConditions = InterfaceConditions {
        network_type: NetworkType::PointToPoint,
        priority: 1,
        passive: false,
    };
    const INELIGIBLE: InterfaceConditions = InterfaceConditions {
        network_type: NetworkType::Broadcast,
        priority: 0,
        passive: false,
    };
    const PASSIVE: InterfaceConditions = InterfaceConditions {
        network_type: NetworkType::Broadcast,
        priority: 1,
        passive: true,
    };

    #[test]
    fn rfc2328_9_3_interface_state_machine() {
        use NextState::{Elected, State};
        type Row = (&'static str, S, E, InterfaceConditions, Option<(NextState, Vec<A>)>);
        let table: &[Row] = &[
            (
                "9.3 Down InterfaceUp p2p",
                S::Down,
                E::InterfaceUp,
                P2P,
                Some((State(S::PointToPoint), vec![A::StartHello])),
            ),
            (
                "9.3 Down InterfaceUp broadcast",
                S::Down,
                E::InterfaceUp,
                BROADCAST,
                Some((State(S::Waiting), vec![A::StartHello, A::StartWaitTimer])),
            ),
            (
                "9.3 Down InterfaceUp priority 0",
                S::Down,
                E::InterfaceUp,
                INELIGIBLE,
                Some((State(S::DROther), vec![A::StartHello])),
            ),
            (
                "9.3 Down InterfaceUp passive",
                S::Down,
                E::InterfaceUp,
                PASSIVE,
                Some((State(S::DR), vec![])),
            ),
            (
                "9.3 Waiting BackupSeen",
                S::Waiting,
                E::BackupSeen,
                BROADCAST,
                Some((Elected, vec![A::ElectDr])),
            ),
            (
                "9.3 Waiting WaitTimer",
                S::Waiting,
                E::WaitTimer,
                BROADCAST,
                Some((Elected, vec![A::ElectDr])),
            ),
            (
                "9.3 Waiting NeighborChange ignored",
                S::Waiting,
                E::NeighborChange,
                BROADCAST,
                None,
            ),
            (
                "9.3 DROther NeighborChange",
                S::DROther,
                E::NeighborChange,
                BROADCAST,
                Some((Elected, vec![A::ElectDr])),
            ),
            (
                "9.3 Backup NeighborChange",
                S::Backup,
                E::NeighborChange,
                BROADCAST,
                Some((Elected, vec![A::ElectDr])),
            ),
            (
                "9.3 DR NeighborChange",
                S::DR,
                E::NeighborChange,
                BROADCAST,
                Some((Elected, vec![A::ElectDr])),
            ),
            (
                "9.3 DR InterfaceDown",
                S::DR,
                E::InterfaceDown,
                BROADCAST,
                Some((State(S::Down), vec![A::Reset])),
            ),
            (
                "9.3 Point-to-point InterfaceDown",
                S::PointToPoint,
                E::InterfaceDown,
                P2P,
                Some((State(S::Down), vec![A::Reset])),
            ),
            ("9.3 Down InterfaceDown ignored", S::Down, E::InterfaceDown, P2P, None),
            (
                "9.3 Waiting LoopInd",
                S::Waiting,
                E::LoopInd,
                BROADCAST,
                Some((State(S::Loopback), vec![A::Reset])),
            ),
            (
                "9.3 Loopback UnloopInd",
                S::Loopback,
                E::UnloopInd,
                BROADCAST,
                Some((State(S::Down), vec![])),
            ),
            ("9.3 DR UnloopInd ignored", S::DR, E::UnloopInd, BROADCAST, None),
            (
                "9.3 Point-to-point WaitTimer ignored",
                S::PointToPoint,
                E::WaitTimer,
                P2P,
                None,
            ),
        ];
        for (name, state, event, cond, expected) in table {
            assert_eq!(&fsm(*state, *event, *cond), expected, "{name}");
        }
    }

    /// Router `last`'s interface address, 10.0.0.`last` (0: none, 0.0.0.0).
    fn address(last: u8) -> Ipv4Addr {
        if last == 0 {
            Ipv4Addr::UNSPECIFIED
        } else {
            Ipv4Addr::new(10, 0, 0, last)
        }
    }

    fn candidate(id: u8, priority: u8, dr: u8, bdr: u8) -> Candidate {
        Candidate {
            router_id: Ipv4Addr::new(id, id, id, id),
            address: address(id),
            priority,
            dr: address(dr),
            bdr: address(bdr),
        }
    }

    fn election(dr: u8, bdr: u8) -> Election {
        Election {
            dr: address(dr),
            bdr: address(bdr),
        }
    }

    /// (name, me, others, expected) for the cases of §9.4.
    #[test]
    fn rfc2328_9_4_dr_election() {
        let table: &[(&str, Candidate, Vec<Candidate>, Election)] = &[
            // Alone: the first pass makes me BDR, the second (I am newly BDR) makes me DR.
            ("9.4 alone becomes DR", candidate(1, 1, 0, 0), vec![], election(1, 0)),
            // Fresh LAN: highest router ID DR, next BDR (two-pass rule).
            (
                "9.4 fresh LAN, highest id DR, next BDR",
                candidate(3, 1, 0, 0),
                vec![candidate(1, 1, 0, 0), candidate(2, 1, 0, 0)],
                election(3, 2),
            ),
            // Another router's first pass names the highest router both DR and BDR (step 3
            // copies the BDR); it settles once that router's Hellos declare DR and BDR.
            (
                "9.4 fresh LAN, others see DR = BDR",
                candidate(2, 1, 0, 0),
                vec![candidate(1, 1, 0, 0), candidate(3, 1, 0, 0)],
                election(3, 3),
            ),
            (
                "9.4 fresh LAN, settled",
                candidate(2, 1, 3, 3),
                vec![candidate(1, 1, 3, 2), candidate(3, 1, 3, 2)],
                election(3, 2),
            ),
            // Priority beats router ID.
            (
                "9.4 priority first",
                candidate(1, 200, 0, 0),
                vec![candidate(9, 1, 0, 0)],
                election(1, 9),
            ),
            // An existing DR is kept even against a higher router ID (no preemption).
            (
                "9.4 no preemption of a declared DR",
                candidate(9, 1, 0, 0),
                vec![candidate(1, 1, 1, 2), candidate(2, 1, 1, 2)],
                election(1, 2),
            ),
            // Declared BDR is kept against a higher id that declares nothing.
            (
                "9.4 declared BDR kept",
                candidate(9, 1, 1, 2),
                vec![candidate(1, 1, 1, 2), candidate(2, 1, 1, 2)],
                election(1, 2),
            ),
            // The DR dies: the BDR becomes DR, the next best becomes BDR.
            (
                "9.4 DR dies, DROther's first view",
                candidate(3, 1, 1, 2),
                vec![candidate(2, 1, 1, 2)],
                election(2, 2),
            ),
            (
                "9.4 DR dies, the BDR promotes itself (two passes)",
                candidate(2, 1, 1, 2),
                vec![candidate(3, 1, 1, 2)],
                election(2, 3),
            ),
            (
                "9.4 DR dies, DROther follows the new DR",
                candidate(3, 1, 2, 2),
                vec![candidate(2, 1, 2, 3)],
                election(2, 3),
            ),
            // Priority 0 routers are never elected.
            (
                "9.4 priority 0 ineligible",
                candidate(9, 0, 0, 0),
                vec![candidate(1, 1, 0, 0)],
                election(1, 1),
            ),
            (
                "9.4 nobody eligible",
                candidate(9, 0, 0, 0),
                vec![candidate(1, 0, 0, 0)],
                election(0, 0),
            ),
            // Two routers declare DR: the higher priority/id wins.
            (
                "9.4 two declared DRs",
                candidate(5, 1, 0, 0),
                vec![candidate(1, 1, 1, 0), candidate(2, 1, 2, 0)],
                election(2, 5),
            ),
        ];
        for (name, me, others, expected) in table {
            assert_eq!(elect(*me, others), *expected, "{name}");
        }
    }
}
