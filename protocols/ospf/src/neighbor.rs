//! Neighbors (RFC 2328 §10): the neighbor data structure and its state machine.
//!
//! [`fsm`] is the table of §10.3: one arm per `(state, event)` pair, each with the RFC's
//! words. It is pure: it returns the next state and the [`NeighborAction`]s the instance
//! carries out (start the database exchange, build the summary list, clear the lists, ...).
//!
//! ```text
//!   Down ──Hello──► Init ──2-Way, no adjacency──► 2-Way
//!                     └──2-Way, adjacency──► ExStart ──NegotiationDone──► Exchange
//!   Full ◄──LoadingDone── Loading ◄──ExchangeDone (requests left)──┘  └──ExchangeDone──► Full
//! ```
//!
//! Attempt (and the Start event) exist only on NBMA networks, which okapi does not
//! support: they are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::Instant;

use serde::Serialize;

use crate::Options;
use crate::lsa::LsaHeader;
use crate::lsdb::LsaKey;
use crate::packet::{DatabaseDescription, DdFlags};

/// §10.1: the neighbor states (Attempt, NBMA only, is not supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum NeighborState {
    Down,
    Init,
    #[serde(rename = "2-Way")]
    TwoWay,
    ExStart,
    Exchange,
    Loading,
    Full,
}

impl NeighborState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Down => "Down",
            Self::Init => "Init",
            Self::TwoWay => "2-Way",
            Self::ExStart => "ExStart",
            Self::Exchange => "Exchange",
            Self::Loading => "Loading",
            Self::Full => "Full",
        }
    }
}

/// §10.2: the neighbor events (Start, NBMA only, is not supported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NeighborEvent {
    HelloReceived,
    #[serde(rename = "2-WayReceived")]
    TwoWayReceived,
    NegotiationDone,
    ExchangeDone,
    BadLsReq,
    LoadingDone,
    #[serde(rename = "AdjOK?")]
    AdjOk,
    SeqNumberMismatch,
    #[serde(rename = "1-WayReceived")]
    OneWayReceived,
    KillNbr,
    InactivityTimer,
    LlDown,
}

/// What the instance must do for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborAction {
    /// Start or restart the Inactivity Timer.
    RestartInactivityTimer,
    /// §10.8: increment the DD sequence number (or set it, the first time), declare
    /// ourselves master and send an empty DD with I, M and MS set, retransmitted every
    /// RxmtInterval.
    StartExStart,
    /// §10.3 NegotiationDone: list the database in the summary list (MaxAge LSAs go on the
    /// retransmission list).
    BuildSummaryList,
    /// §10.9: start (or continue) sending Link State Requests.
    SendLsRequest,
    /// Clear the retransmission, summary and request lists and stop the exchange timers.
    ClearLists,
    /// Stop the Inactivity Timer (the neighbor is going Down).
    StopInactivityTimer,
}

/// What decides a transition besides the state and the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NeighborConditions {
    /// §10.4: an adjacency should be established with this neighbor.
    pub adjacency_wanted: bool,
    /// The Link state request list is empty.
    pub request_list_empty: bool,
}

/// §10.3: the neighbor state machine. `None` when the event is ignored in this state.
pub fn fsm(
    state: NeighborState,
    event: NeighborEvent,
    cond: NeighborConditions,
) -> Option<(NeighborState, Vec<NeighborAction>)> {
    use NeighborAction as A;
    use NeighborEvent as E;
    use NeighborState as S;
    let next = match (state, event) {
        // §10.3 "State(s): Down, Event: HelloReceived. New state: Init. Action: Start the
        // Inactivity Timer for the neighbor."
        (S::Down, E::HelloReceived) => (S::Init, vec![A::RestartInactivityTimer]),
        // "State(s): Init or greater, Event: HelloReceived. New state: No state change.
        // Action: Restart the Inactivity Timer."
        (_, E::HelloReceived) => (state, vec![A::RestartInactivityTimer]),
        // "State(s): Init, Event: 2-WayReceived. New state: Depends upon action routine.
        // Action: Determine whether an adjacency should be established ... If not, the new
        // state is 2-Way. Otherwise (an adjacency should be established) the neighbor
        // state transitions to ExStart."
        (S::Init, E::TwoWayReceived) if cond.adjacency_wanted => (S::ExStart, vec![A::StartExStart]),
        (S::Init, E::TwoWayReceived) => (S::TwoWay, vec![]),
        // "State(s): 2-Way or greater, Event: 2-WayReceived. No state change. No action."
        (_, E::TwoWayReceived) if state >= S::TwoWay => return None,
        // "State(s): ExStart, Event: NegotiationDone. New state: Exchange. Action: The
        // router must list the contents of its entire area link state database in the
        // neighbor Database summary list."
        (S::ExStart, E::NegotiationDone) => (S::Exchange, vec![A::BuildSummaryList]),
        // "State(s): Exchange, Event: ExchangeDone. New state: Depends upon action routine.
        // Action: If the neighbor Link state request list is empty, the new neighbor state
        // is Full. ... Otherwise, the new state is Loading. Start (or continue) sending
        // Link State Request packets to the neighbor."
        (S::Exchange, E::ExchangeDone) if cond.request_list_empty => (S::Full, vec![]),
        (S::Exchange, E::ExchangeDone) => (S::Loading, vec![A::SendLsRequest]),
        // "State(s): Loading, Event: Loading Done. New state: Full. No action."
        (S::Loading, E::LoadingDone) => (S::Full, vec![]),
        // "State(s): 2-Way, Event: AdjOK?. Action: Determine whether an adjacency should be
        // formed with the neighboring router. If not, the neighbor state remains at 2-Way.
        // Otherwise, transition the neighbor state to ExStart."
        (S::TwoWay, E::AdjOk) if cond.adjacency_wanted => (S::ExStart, vec![A::StartExStart]),
        (S::TwoWay, E::AdjOk) => return None,
        // "State(s): ExStart or greater, Event: AdjOK?. Action: Determine whether the
        // neighboring router should still be adjacent. If yes, there is no state change and
        // no further action is necessary. Otherwise, the (possibly partially formed)
        // adjacency must be destroyed. The neighbor state transitions to 2-Way. The Link
        // state retransmission list, Database summary list and Link state request list are
        // cleared of LSAs."
        (S::ExStart | S::Exchange | S::Loading | S::Full, E::AdjOk) if !cond.adjacency_wanted => {
            (S::TwoWay, vec![A::ClearLists])
        }
        (S::ExStart | S::Exchange | S::Loading | S::Full, E::AdjOk) => return None,
        // "State(s): Exchange or greater, Event: SeqNumberMismatch. New state: ExStart.
        // Action: The (possibly partially formed) adjacency is torn down, and then an
        // attempt is made at reestablishment. ... The retransmission, summary and request
        // lists are cleared ... increments the DD sequence number, declares itself master
        // ... and starts sending Database Description Packets."
        (S::Exchange | S::Loading | S::Full, E::SeqNumberMismatch) => {
            (S::ExStart, vec![A::ClearLists, A::StartExStart])
        }
        // "State(s): Exchange or greater, Event: BadLSReq. New state: ExStart. Action: The
        // action for event BadLSReq is exactly the same as for the neighbor event
        // SeqNumberMismatch."
        (S::Exchange | S::Loading | S::Full, E::BadLsReq) => (S::ExStart, vec![A::ClearLists, A::StartExStart]),
        // "State(s): Any state, Event: KillNbr. New state: Down. Action: The Link state
        // retransmission list, Database summary list and Link state request list are
        // cleared of LSAs. Also, the Inactivity Timer is disabled."
        (_, E::KillNbr) => (S::Down, vec![A::ClearLists, A::StopInactivityTimer]),
        // "State(s): Any state, Event: LLDown. New state: Down. Action: ... same as KillNbr."
        (_, E::LlDown) => (S::Down, vec![A::ClearLists, A::StopInactivityTimer]),
        // "State(s): Any state, Event: InactivityTimer. New state: Down. Action: The Link
        // state retransmission list, Database summary list and Link state request list are
        // cleared of LSAs."
        (_, E::InactivityTimer) => (S::Down, vec![A::ClearLists]),
        // "State(s): 2-Way or greater, Event: 1-WayReceived. New state: Init. Action: The
        // Link state retransmission list, Database summary list and Link state request list
        // are cleared of LSAs."
        (_, E::OneWayReceived) if state >= S::TwoWay => (S::Init, vec![A::ClearLists]),
        // "State(s): Init, Event: 1-WayReceived. New state: No state change. No action."
        (S::Init, E::OneWayReceived) => return None,
        // Any other pair (NegotiationDone in Full, LoadingDone in Exchange, ...) is not in
        // the table: the event is ignored.
        _ => return None,
    };
    Some(next)
}

/// Who leads the database exchange (§10.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DdRole {
    Master,
    Slave,
}

/// The last Database Description received, for duplicate detection (§10.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LastDd {
    pub flags: DdFlags,
    pub options: Options,
    pub sequence: u32,
}

/// An LSA on a retransmission list: the instance flooded and when it was last sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retransmit {
    pub header: LsaHeader,
    pub sent: Instant,
}

/// The room an empty retransmission list keeps (entries).
const RETRANSMIT_LIST_KEPT: usize = 32;

/// §10: the neighbor data structure.
#[derive(Debug)]
pub(crate) struct Neighbor {
    pub router_id: Ipv4Addr,
    pub address: Ipv4Addr,
    pub priority: u8,
    /// The Options of the neighbor's Hellos.
    pub options: Options,
    /// The Options of its Database Description packets, recorded at negotiation (§10.6:
    /// a change during the exchange is a SeqNumberMismatch).
    pub dd_options: Options,
    /// The DR and BDR the neighbor declares in its Hellos (interface addresses).
    pub dr: Ipv4Addr,
    pub bdr: Ipv4Addr,
    pub state: NeighborState,
    pub role: DdRole,
    pub dd_sequence: u32,
    pub last_rx_dd: Option<LastDd>,
    /// The last DD sent: retransmitted by the master, resent by the slave on a duplicate.
    pub last_tx_dd: Option<DatabaseDescription>,
    pub db_summary: VecDeque<LsaKey>,
    pub ls_request: BTreeMap<LsaKey, LsaHeader>,
    /// The requests of the last Link State Request sent.
    pub ls_request_in_flight: BTreeSet<LsaKey>,
    /// §13: the link state retransmission list. A hash map: an installation looks the LSA
    /// up in the list of every neighbor (§13 (5c)), and lists hold a whole wave of flooding
    /// until the delayed acknowledgments come back. What is sent from it is sorted by key.
    pub ls_retransmit: HashMap<LsaKey, Retransmit>,
    /// §13 (8): when a database copy was last sent back directly, per LSA.
    pub last_direct_send: BTreeMap<LsaKey, Instant>,
    /// D.4.3: the last cryptographic sequence number received.
    pub crypto_sequence: Option<u32>,
    pub created: Instant,
    pub last_state_change: Instant,
    pub state_changes: u32,
}

impl Neighbor {
    pub fn new(router_id: Ipv4Addr, address: Ipv4Addr, now: Instant) -> Self {
        Self {
            router_id,
            address,
            priority: 0,
            options: Options::empty(),
            dd_options: Options::empty(),
            dr: Ipv4Addr::UNSPECIFIED,
            bdr: Ipv4Addr::UNSPECIFIED,
            state: NeighborState::Down,
            role: DdRole::Slave,
            dd_sequence: 0,
            last_rx_dd: None,
            last_tx_dd: None,
            db_summary: VecDeque::new(),
            ls_request: BTreeMap::new(),
            ls_request_in_flight: BTreeSet::new(),
            ls_retransmit: HashMap::new(),
            last_direct_send: BTreeMap::new(),
            crypto_sequence: None,
            created: now,
            last_state_change: now,
            state_changes: 0,
        }
    }

    /// The neighbor declares itself Designated Router.
    pub fn declares_dr(&self) -> bool {
        self.dr == self.address
    }

    /// The neighbor declares itself Backup Designated Router.
    pub fn declares_bdr(&self) -> bool {
        self.bdr == self.address
    }

    /// The retransmission list emptied: give back the room a wave of flooding made it take
    /// (a hash map keeps its capacity), so that an idle adjacency holds little.
    pub fn retransmit_list_emptied(&mut self) {
        if self.ls_retransmit.capacity() > RETRANSMIT_LIST_KEPT {
            self.ls_retransmit.shrink_to(RETRANSMIT_LIST_KEPT);
        }
    }

    pub fn clear_lists(&mut self) {
        self.db_summary.clear();
        self.ls_request.clear();
        self.ls_request_in_flight.clear();
        self.ls_retransmit.clear();
        self.retransmit_list_emptied();
        self.last_direct_send.clear();
        self.last_rx_dd = None;
        self.last_tx_dd = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NeighborAction as A;
    use NeighborEvent as E;
    use NeighborState as S;

    const ADJ: NeighborConditions = NeighborConditions {
        adjacency_wanted: true,
        request_list_empty: true,
    };
    const NO_ADJ: NeighborConditions = NeighborConditions {
        adjacency_wanted: false,
        request_list_empty: true,
    };
    const REQUESTS: NeighborConditions = NeighborConditions {
        adjacency_wanted: true,
        request_list_empty: false,
    };

    /// (name, state, event, conditions, expected) for every row of §10.3's table.
    #[test]
    fn rfc2328_10_3_neighbor_state_machine() {
        type Row = (&'static str, S, E, NeighborConditions, Option<(S, Vec<A>)>);
        let table: &[Row] = &[
            (
                "10.3 Down HelloReceived",
                S::Down,
                E::HelloReceived,
                ADJ,
                Some((S::Init, vec![A::RestartInactivityTimer])),
            ),
            (
                "10.3 Init HelloReceived",
                S::Init,
                E::HelloReceived,
                ADJ,
                Some((S::Init, vec![A::RestartInactivityTimer])),
            ),
            (
                "10.3 Full HelloReceived",
                S::Full,
                E::HelloReceived,
                ADJ,
                Some((S::Full, vec![A::RestartInactivityTimer])),
            ),
            (
                "10.3 Init 2-WayReceived adjacency",
                S::Init,
                E::TwoWayReceived,
                ADJ,
                Some((S::ExStart, vec![A::StartExStart])),
            ),
            (
                "10.3 Init 2-WayReceived no adjacency",
                S::Init,
                E::TwoWayReceived,
                NO_ADJ,
                Some((S::TwoWay, vec![])),
            ),
            ("10.3 2-Way 2-WayReceived", S::TwoWay, E::TwoWayReceived, ADJ, None),
            ("10.3 Full 2-WayReceived", S::Full, E::TwoWayReceived, ADJ, None),
            (
                "10.3 ExStart NegotiationDone",
                S::ExStart,
                E::NegotiationDone,
                ADJ,
                Some((S::Exchange, vec![A::BuildSummaryList])),
            ),
            (
                "10.3 Exchange ExchangeDone empty",
                S::Exchange,
                E::ExchangeDone,
                ADJ,
                Some((S::Full, vec![])),
            ),
            (
                "10.3 Exchange ExchangeDone requests",
                S::Exchange,
                E::ExchangeDone,
                REQUESTS,
                Some((S::Loading, vec![A::SendLsRequest])),
            ),
            (
                "10.3 Loading LoadingDone",
                S::Loading,
                E::LoadingDone,
                ADJ,
                Some((S::Full, vec![])),
            ),
            (
                "10.3 2-Way AdjOK yes",
                S::TwoWay,
                E::AdjOk,
                ADJ,
                Some((S::ExStart, vec![A::StartExStart])),
            ),
            ("10.3 2-Way AdjOK no", S::TwoWay, E::AdjOk, NO_ADJ, None),
            ("10.3 Full AdjOK still", S::Full, E::AdjOk, ADJ, None),
            (
                "10.3 Full AdjOK no longer",
                S::Full,
                E::AdjOk,
                NO_ADJ,
                Some((S::TwoWay, vec![A::ClearLists])),
            ),
            (
                "10.3 ExStart AdjOK no longer",
                S::ExStart,
                E::AdjOk,
                NO_ADJ,
                Some((S::TwoWay, vec![A::ClearLists])),
            ),
            (
                "10.3 Exchange SeqNumberMismatch",
                S::Exchange,
                E::SeqNumberMismatch,
                ADJ,
                Some((S::ExStart, vec![A::ClearLists, A::StartExStart])),
            ),
            (
                "10.3 Full SeqNumberMismatch",
                S::Full,
                E::SeqNumberMismatch,
                ADJ,
                Some((S::ExStart, vec![A::ClearLists, A::StartExStart])),
            ),
            (
                "10.3 ExStart SeqNumberMismatch ignored",
                S::ExStart,
                E::SeqNumberMismatch,
                ADJ,
                None,
            ),
            (
                "10.3 Loading BadLSReq",
                S::Loading,
                E::BadLsReq,
                ADJ,
                Some((S::ExStart, vec![A::ClearLists, A::StartExStart])),
            ),
            ("10.3 2-Way BadLSReq ignored", S::TwoWay, E::BadLsReq, ADJ, None),
            (
                "10.3 Full KillNbr",
                S::Full,
                E::KillNbr,
                ADJ,
                Some((S::Down, vec![A::ClearLists, A::StopInactivityTimer])),
            ),
            (
                "10.3 Init LLDown",
                S::Init,
                E::LlDown,
                ADJ,
                Some((S::Down, vec![A::ClearLists, A::StopInactivityTimer])),
            ),
            (
                "10.3 Exchange InactivityTimer",
                S::Exchange,
                E::InactivityTimer,
                ADJ,
                Some((S::Down, vec![A::ClearLists])),
            ),
            (
                "10.3 Full 1-WayReceived",
                S::Full,
                E::OneWayReceived,
                ADJ,
                Some((S::Init, vec![A::ClearLists])),
            ),
            (
                "10.3 2-Way 1-WayReceived",
                S::TwoWay,
                E::OneWayReceived,
                ADJ,
                Some((S::Init, vec![A::ClearLists])),
            ),
            ("10.3 Init 1-WayReceived", S::Init, E::OneWayReceived, ADJ, None),
            (
                "10.3 Full NegotiationDone ignored",
                S::Full,
                E::NegotiationDone,
                ADJ,
                None,
            ),
            (
                "10.3 Exchange LoadingDone ignored",
                S::Exchange,
                E::LoadingDone,
                ADJ,
                None,
            ),
        ];
        for (name, state, event, cond, expected) in table {
            assert_eq!(&fsm(*state, *event, *cond), expected, "{name}");
        }
    }

    #[test]
    fn declarations_compare_addresses() {
        let mut neighbor = Neighbor::new(Ipv4Addr::new(2, 2, 2, 2), Ipv4Addr::new(10, 0, 0, 2), Instant::now());
        neighbor.dr = Ipv4Addr::new(10, 0, 0, 2);
        assert!(neighbor.declares_dr());
        assert!(!neighbor.declares_bdr());
    }
}
