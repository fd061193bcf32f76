//! What the daemon's control API shows of a virtual router ([`RouterView`]), and the
//! router's counters.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::packet::Version;
use crate::router::{RECEIVE_REASONS, State};

/// Packets counted by one virtual router.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouterCounters {
    pub adverts_sent: u64,
    /// Advertisements handed to the router (before its §7.1 checks).
    pub adverts_received: u64,
    pub priority_zero_sent: u64,
    /// Priority-0 advertisements that passed the §7.1 checks.
    pub priority_zero_received: u64,
    /// By reason: every key of [`RECEIVE_REASONS`], from zero.
    pub rejected: BTreeMap<&'static str, u64>,
}

impl Default for RouterCounters {
    fn default() -> Self {
        RouterCounters {
            adverts_sent: 0,
            adverts_received: 0,
            priority_zero_sent: 0,
            priority_zero_received: 0,
            rejected: RECEIVE_REASONS.iter().map(|reason| (*reason, 0)).collect(),
        }
    }
}

/// The last state change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransitionView {
    pub from: State,
    pub to: State,
    pub reason: String,
    pub seconds_ago: f64,
}

/// A virtual router at one instant, for `GET /vrrp` and the shell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouterView {
    pub vrid: u8,
    pub version: Version,
    pub state: State,
    pub configured_priority: u8,
    pub effective_priority: u8,
    /// The current master: this router when Master, the source of the last accepted
    /// advertisement when Backup.
    pub master_address: Option<IpAddr>,
    pub master_priority: Option<u8>,
    pub master_adver_interval_cs: u16,
    /// Fractional: the RFC's arithmetic is not rounded (see `timers`).
    pub master_down_interval_cs: f64,
    pub skew_time_cs: f64,
    pub advert_interval_cs: u16,
    pub preempt: bool,
    /// Seconds.
    pub preempt_delay: f64,
    /// Seconds until preemption is allowed after startup (0 when it is).
    pub preempt_delay_remaining: f64,
    pub accept_mode: bool,
    pub addresses: Vec<IpAddr>,
    /// The interface's primary address, the tie-breaker of RFC 5798 §6.4.3.
    pub local_address: Option<IpAddr>,
    /// Milliseconds until the Adver_Timer (Master) or Master_Down_Timer (Backup) fires.
    pub timer_due_ms: Option<f64>,
    pub transitions: u64,
    pub last_transition: Option<TransitionView>,
    pub counters: RouterCounters,
    pub fault_reason: Option<String>,
}
