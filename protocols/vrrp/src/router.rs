//! The virtual router state machine: RFC 5798 §6 (VRRPv3) and RFC 3768 §6 (VRRPv2), with
//! the receive checks of §7.1. Sans-IO: [`VirtualRouter::handle`] takes an [`Input`] and
//! `now` and returns [`Output`]s; the daemon sleeps until [`VirtualRouter::next_deadline`]
//! and feeds [`Input::Tick`].
//!
//! ```text
//!                Startup (priority 255)                 Master_Down_Timer fires
//!   Initialize ─────────────────────────► Master ◄───────────────────────────── Backup
//!       │  ▲   Startup (otherwise)          │  higher-priority advert (§6.4.3)      ▲
//!       │  └──────── Shutdown ──────────────┤  ForceBackup (sync group) ───────────┘
//!       └────────────────────────► Backup ◄─┘
//!   any state ── Fault(Some) ──► Fault ── Fault(None) ──► Initialize ──► Startup logic
//! ```
//!
//! "Priority" is the EFFECTIVE priority everywhere the RFC says Priority (trackers lower it
//! through [`Input::EffectivePriority`]); an effective priority of 255 is the address owner.
//! Timers are `Instant`s computed with `Duration` arithmetic (see [`crate::timers`]).
//!
//! Where the RFCs are silent, keepalived (2.2.7, `vrrp.c`, `vrrp_scheduler.c`) was studied
//! and this is what was chosen:
//! - Preempt delay: like keepalived's `preempt_delay`, counted from entering Backup out of
//!   Initialize (startup, or leaving Fault). Until it has passed, an advertisement of lower
//!   priority is treated as if preemption were off (accepted, Master_Down_Timer reset); after
//!   it, §6.4.2 discards them and the Master_Down_Timer takes over (so preemption happens at
//!   most one Master_Down_Interval after the delay).
//! - Fault (keepalived's FAULT state: a tracker or the interface): a Master first sends a
//!   priority-0 advertisement (as keepalived does when it leaves MASTER) and removes the
//!   addresses; nothing is sent in Fault and received advertisements are ignored. Leaving
//!   Fault goes through Initialize and then the Startup logic of §6.4.1.
//! - An advertisement whose address list differs from ours is dropped unless its priority is
//!   255 (§7.1, the MAY check, which keepalived also makes).
//! - A VRRPv3 advertisement with another interval than ours is processed (its interval is
//!   learned, §6.4.2) but reported as `interval-mismatch`, as keepalived logs it; VRRPv2
//!   discards it (RFC 3768 §7.1). An advertised interval of 0 is refused (`bad-interval`): it
//!   would make the Master_Down_Interval 0.
//! - A Master that receives a lower-priority advertisement discards it (§6.4.3); keepalived
//!   answers with an advertisement of its own, which the next Adver_Timer does here anyway.
//! - The Adver_Timer keeps its cadence: it is re-armed from its own deadline, not from the
//!   (possibly late) tick, unless the tick is a whole interval late.
//! - [`VirtualRouter::reconfigure`]: a changed VRID, version or address family restarts the
//!   router (Shutdown, then Startup; a router in Fault stays there and starts with the new
//!   parameters when the fault clears); otherwise the new parameters apply at once, a Master
//!   re-announces changed addresses and advertises immediately; a changed configured
//!   priority forgets the last [`Input::EffectivePriority`].
//! - An [`Input::EffectivePriority`] that makes a Backup the address owner (255 again after
//!   a tracker or a drain lowered it) makes it Master at once, as at Startup (§6.4.1): the
//!   owner always preempts (§6.1) and discards every advertisement (§7.1).

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::{MAX_PREEMPT_DELAY, RouterConfig};
use crate::packet::{Advertisement, V2Auth, Version};
use crate::timers::{self, as_centiseconds};
use crate::view::{RouterCounters, RouterView, TransitionView};

/// The TTL / hop limit every advertisement carries (RFC 5798 §5.1.1.3, §5.1.2.3).
pub const TTL: u8 = 255;
/// The priority of the address owner (RFC 5798 §6.1).
pub const PRIORITY_OWNER: u8 = 255;

/// The reasons the state machine's receive checks produce ([`Output::Rejected`]).
pub const RECEIVE_REASONS: &[&str] = &[
    "bad-ttl",
    "version-mismatch",
    "vrid-mismatch",
    "family-mismatch",
    "local-owner",
    "address-list-mismatch",
    "interval-mismatch",
    "bad-interval",
    "auth-mismatch",
];

/// RFC 5798 §6.4, plus keepalived's FAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum State {
    Initialize,
    Backup,
    Master,
    /// A tracker or the interface forced it; sends nothing.
    Fault,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// §6.4.1 Startup event.
    Startup,
    /// §6.4.2/§6.4.3 Shutdown: a Master sends one advert with priority 0, then -> Initialize.
    Shutdown,
    /// Already decoded, already for our VRID.
    Advertisement {
        source: IpAddr,
        ttl: u8,
        advertisement: Advertisement,
    },
    /// Timers due at `now`.
    Tick,
    /// The primary address of the interface (tie-break "greater primary IP address", §6.4.3).
    LocalAddress(Option<IpAddr>),
    /// Trackers lowered (or restored) the priority; 1..=254 unless owner (0 is taken as 1).
    EffectivePriority(u8),
    /// Some(reason): enter Fault (a Master first sends priority 0); None: leave Fault
    /// (-> Initialize then Startup logic).
    Fault(Option<String>),
    /// Sync group: a member fell back; a Master sends priority 0 and becomes Backup.
    ForceBackup(String),
}

/// What the daemon must do, in order. Becoming Master: `Handover` (when a live master was
/// preempted), `Send`, `AddAddresses`, `Announce`, `Transition`. Leaving Master: `Send` (priority 0, when the RFC or keepalived says so),
/// `RemoveAddresses`, `Transition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send it (multicast or unicast peers), TTL/hop limit 255, source = local address.
    Send(Advertisement),
    /// Add the VIPs (becoming Master).
    AddAddresses,
    /// Remove them (leaving Master).
    RemoveAddresses,
    /// Send gratuitous ARP / unsolicited NA for every VIP (the daemon repeats per its config).
    Announce,
    /// This router preempts a master that is still alive: `from` kept advertising, with a
    /// lower priority, until the Master_Down_Timer fired (§6.4.2). Connections it accepted
    /// may still be in flight; emitted first, before the advert (whose source MAC, with a
    /// virtual MAC, already moves the traffic on a switch) and the announcements, so that the
    /// daemon can prepare for their packets before the traffic moves.
    Handover {
        from: IpAddr,
    },
    Transition {
        from: State,
        to: State,
        reason: String,
    },
    /// §7.1 checks failed; `reason` is one of [`RECEIVE_REASONS`]. `interval-mismatch` on
    /// VRRPv3 is reported but the advertisement is still processed.
    Rejected {
        reason: &'static str,
    },
}

/// One virtual router (one VRID on one interface).
#[derive(Clone, Debug)]
pub struct VirtualRouter {
    config: RouterConfig,
    /// The configured interval, clamped to what the version can send.
    advert_interval_cs: u16,
    state: State,
    /// Startup received and no Shutdown since.
    started: bool,
    /// The last EffectivePriority input, if any.
    tracked_priority: Option<u8>,
    local_address: Option<IpAddr>,
    v2_auth: V2Auth,
    /// §6.1 Master_Adver_Interval (v3: learned; v2: the configured interval).
    master_adver_interval_cs: u16,
    master_address: Option<IpAddr>,
    master_priority: Option<u8>,
    adver_timer: Option<Instant>,
    master_down_timer: Option<Instant>,
    /// A master this router outranks, heard since the Master_Down_Timer was last set (§6.4.2
    /// discards its adverts): when the timer fires, that master is alive.
    outranked_master: Option<IpAddr>,
    /// Preemption of a lower-priority master is allowed from this instant (preempt delay).
    preempt_allowed_at: Option<Instant>,
    fault_reason: Option<String>,
    transitions: u64,
    last_transition: Option<(State, State, String, Instant)>,
    counters: RouterCounters,
}

impl VirtualRouter {
    /// A router in Initialize until [`Input::Startup`].
    pub fn new(config: RouterConfig, now: Instant) -> VirtualRouter {
        let _ = now;
        let advert_interval_cs = config.effective_interval_cs();
        VirtualRouter {
            config,
            advert_interval_cs,
            state: State::Initialize,
            started: false,
            tracked_priority: None,
            local_address: None,
            v2_auth: V2Auth::NONE,
            master_adver_interval_cs: advert_interval_cs,
            master_address: None,
            master_priority: None,
            adver_timer: None,
            master_down_timer: None,
            outranked_master: None,
            preempt_allowed_at: None,
            fault_reason: None,
            transitions: 0,
            last_transition: None,
            counters: RouterCounters::default(),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The priority in use: the last [`Input::EffectivePriority`], else the configured one
    /// (at least 1).
    pub fn effective_priority(&self) -> u8 {
        self.tracked_priority.unwrap_or(self.config.priority).max(1)
    }

    /// RFC 3768 §5.3.6: the authentication to send and to require (VRRPv2 only; default
    /// type 0). Received advertisements must carry the same type, and for type 1 the same
    /// data (RFC 3768 §7.1).
    pub fn set_v2_auth(&mut self, auth: V2Auth) {
        self.v2_auth = auth;
    }

    /// §6.1 Skew_Time for the current effective priority and Master_Adver_Interval.
    pub fn skew_time(&self) -> Duration {
        timers::skew_time(
            self.config.version,
            self.effective_priority(),
            self.master_adver_interval_cs,
        )
    }

    /// §6.1 Master_Down_Interval.
    pub fn master_down_interval(&self) -> Duration {
        timers::master_down_interval(
            self.config.version,
            self.effective_priority(),
            self.master_adver_interval_cs,
        )
    }

    /// The next instant at which [`Input::Tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.state {
            State::Master => self.adver_timer,
            State::Backup => self.master_down_timer,
            State::Initialize | State::Fault => None,
        }
    }

    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        match input {
            Input::Startup => {
                self.started = true;
                if self.state == State::Initialize {
                    self.startup(now, "startup", &mut out);
                }
            }
            Input::Shutdown => self.shutdown(now, &mut out),
            Input::Advertisement {
                source,
                ttl,
                advertisement,
            } => self.receive(source, ttl, advertisement, now, &mut out),
            Input::Tick => self.tick(now, &mut out),
            Input::LocalAddress(address) => {
                self.local_address = address;
                if self.state == State::Master {
                    self.master_address = address;
                }
            }
            Input::EffectivePriority(priority) => {
                self.tracked_priority = Some(priority.max(1));
                match self.state {
                    State::Master => self.master_priority = Some(self.effective_priority()),
                    // §6.1: the address owner "always preempts"; and from now on it discards
                    // every advertisement (§7.1), so the Master_Down_Timer would only delay it.
                    State::Backup if self.effective_priority() == PRIORITY_OWNER => {
                        self.become_master("address owner again (priority 255)", now, &mut out);
                    }
                    State::Backup | State::Initialize | State::Fault => {}
                }
            }
            Input::Fault(Some(reason)) => self.enter_fault(reason, now, &mut out),
            Input::Fault(None) => self.leave_fault(now, &mut out),
            Input::ForceBackup(reason) => {
                if self.state == State::Master {
                    // keepalived's sync group: leave MASTER as on shutdown (priority 0 so the
                    // peer takes over within Skew_Time), then wait as Backup.
                    self.leave_master(State::Backup, reason, true, now, &mut out);
                    self.master_adver_interval_cs = self.advert_interval_cs;
                    self.set_master_down_timer(now + self.master_down_interval());
                }
            }
        }
        out
    }

    /// Applies a new configuration (see the module comment for what restarts the router).
    pub fn reconfigure(&mut self, config: RouterConfig, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let restart = config.vrid != self.config.vrid
            || config.version != self.config.version
            || config.is_ipv6() != self.config.is_ipv6();
        if restart && self.state == State::Fault {
            // Fault is the daemon's to end (Fault(None)); a restart now would leave it while
            // its cause persists. The new parameters apply when it leaves (Startup logic).
            if config.priority != self.config.priority {
                self.tracked_priority = None;
            }
            self.advert_interval_cs = config.effective_interval_cs();
            self.master_adver_interval_cs = self.advert_interval_cs;
            self.config = config;
            return out;
        }
        if restart {
            let started = self.started;
            self.shutdown(now, &mut out);
            if config.priority != self.config.priority {
                self.tracked_priority = None;
            }
            self.advert_interval_cs = config.effective_interval_cs();
            self.master_adver_interval_cs = self.advert_interval_cs;
            self.config = config;
            self.started = started;
            if started {
                self.startup(now, "reconfigured", &mut out);
            }
            return out;
        }
        if config.priority != self.config.priority {
            self.tracked_priority = None;
        }
        let addresses_changed = address_set(&config.addresses) != address_set(&self.config.addresses);
        self.advert_interval_cs = config.effective_interval_cs();
        if self.config.version == Version::V2 {
            // RFC 3768 §6.1: the interval is the configured one.
            self.master_adver_interval_cs = self.advert_interval_cs;
        }
        self.config = config;
        match self.state {
            State::Master => {
                if addresses_changed {
                    out.push(Output::RemoveAddresses);
                    out.push(Output::AddAddresses);
                    out.push(Output::Announce);
                }
                self.master_priority = Some(self.effective_priority());
                self.send_advertisement(self.effective_priority(), &mut out);
                self.adver_timer = Some(now + timers::centiseconds(self.advert_interval_cs));
            }
            State::Backup if self.effective_priority() == PRIORITY_OWNER => {
                // §6.4.1: the owner does not wait.
                self.become_master("reconfigured as address owner (priority 255)", now, &mut out);
            }
            _ => {}
        }
        out
    }

    /// The router at `now`, for the control API.
    pub fn view(&self, now: Instant) -> RouterView {
        let timer = self.next_deadline();
        RouterView {
            vrid: self.config.vrid,
            version: self.config.version,
            state: self.state,
            configured_priority: self.config.priority,
            effective_priority: self.effective_priority(),
            master_address: self.master_address,
            master_priority: self.master_priority,
            master_adver_interval_cs: self.master_adver_interval_cs,
            master_down_interval_cs: as_centiseconds(self.master_down_interval()),
            skew_time_cs: as_centiseconds(self.skew_time()),
            advert_interval_cs: self.advert_interval_cs,
            preempt: self.config.preempt,
            preempt_delay: self.config.preempt_delay.as_secs_f64(),
            preempt_delay_remaining: self
                .preempt_allowed_at
                .map_or(0.0, |at| at.saturating_duration_since(now).as_secs_f64()),
            accept_mode: self.config.accept_mode,
            addresses: self.config.addresses.clone(),
            local_address: self.local_address,
            timer_due_ms: timer.map(|at| at.saturating_duration_since(now).as_secs_f64() * 1000.0),
            transitions: self.transitions,
            last_transition: self
                .last_transition
                .as_ref()
                .map(|(from, to, reason, at)| TransitionView {
                    from: *from,
                    to: *to,
                    reason: reason.clone(),
                    seconds_ago: now.saturating_duration_since(*at).as_secs_f64(),
                }),
            counters: self.counters.clone(),
            fault_reason: self.fault_reason.clone(),
        }
    }

    /// §6.4.1: Startup in Initialize.
    fn startup(&mut self, now: Instant, why: &str, out: &mut Vec<Output>) {
        if self.effective_priority() == PRIORITY_OWNER {
            // "If the Priority = 255 ...": send an ADVERTISEMENT, broadcast gratuitous ARP /
            // unsolicited ND, set the Adver_Timer, transition to Master.
            self.become_master(&format!("{why}: address owner (priority 255)"), now, out);
        } else {
            // "... else: set Master_Adver_Interval to Advertisement_Interval, set the
            // Master_Down_Timer to Master_Down_Interval, transition to Backup."
            self.master_adver_interval_cs = self.advert_interval_cs;
            self.master_address = None;
            self.master_priority = None;
            self.set_master_down_timer(now + self.master_down_interval());
            // keepalived's preempt_delay starts when Backup is entered from Initialize.
            // Clamped, and checked: `Instant + Duration` panics on overflow.
            let delay = self.config.preempt_delay.min(MAX_PREEMPT_DELAY);
            self.preempt_allowed_at = (!delay.is_zero()).then(|| now.checked_add(delay)).flatten();
            self.transition(State::Backup, why.to_string(), now, out);
        }
    }

    /// §6.4.2 / §6.4.3 Shutdown (and from Fault, keepalived's stop).
    fn shutdown(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.started = false;
        match self.state {
            // §6.4.3: cancel the Adver_Timer, send an ADVERTISEMENT with Priority = 0,
            // transition to Initialize.
            State::Master => self.leave_master(State::Initialize, "shutdown".into(), true, now, out),
            // §6.4.2: cancel the Master_Down_Timer, transition to Initialize.
            State::Backup | State::Fault => {
                self.master_down_timer = None;
                self.outranked_master = None;
                self.fault_reason = None;
                self.transition(State::Initialize, "shutdown".into(), now, out);
            }
            State::Initialize => {}
        }
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Output>) {
        match self.state {
            State::Backup => {
                // §6.4.2: "If the Master_Down_Timer fires": send an ADVERTISEMENT, broadcast
                // gratuitous ARP / unsolicited ND, set the Adver_Timer, transition to Master.
                if self.master_down_timer.is_some_and(|at| at <= now) {
                    self.become_master("Master_Down_Timer expired", now, out);
                }
            }
            State::Master => {
                // §6.4.3: "If the Adver_Timer fires": send an ADVERTISEMENT, reset the
                // Adver_Timer to Advertisement_Interval.
                if let Some(due) = self.adver_timer.filter(|at| *at <= now) {
                    self.send_advertisement(self.effective_priority(), out);
                    let interval = timers::centiseconds(self.advert_interval_cs);
                    let next = due + interval;
                    self.adver_timer = Some(if next > now { next } else { now + interval });
                }
            }
            State::Initialize | State::Fault => {}
        }
    }

    /// §7.1 receive checks, then §6.4.2 (Backup) or §6.4.3 (Master).
    fn receive(&mut self, source: IpAddr, ttl: u8, advert: Advertisement, now: Instant, out: &mut Vec<Output>) {
        self.counters.adverts_received += 1;
        if let Some(reason) = self.check(source, ttl, &advert) {
            self.reject(reason, out);
            return;
        }
        if self.config.version == Version::V3 && advert.interval_cs != self.advert_interval_cs {
            // Processed (§6.4.2 learns it) but reported, as keepalived does.
            self.reject("interval-mismatch", out);
        }
        if advert.priority == 0 {
            self.counters.priority_zero_received += 1;
        }
        let local = self.effective_priority();
        match self.state {
            State::Initialize | State::Fault => {}
            State::Backup => {
                if advert.priority == 0 {
                    // §6.4.2: "If the Priority in the ADVERTISEMENT is zero, then: Set the
                    // Master_Down_Timer to Skew_Time".
                    self.set_master_down_timer(now + self.skew_time());
                } else if !self.config.preempt
                    || advert.priority >= local
                    || self.preempt_allowed_at.is_some_and(|at| now < at)
                {
                    // §6.4.2: "If Preempt_Mode is False, or if the Priority in the
                    // ADVERTISEMENT is greater than or equal to the local Priority": (v3) set
                    // Master_Adver_Interval to the advertised interval, recompute Skew_Time
                    // and Master_Down_Interval; reset the Master_Down_Timer.
                    // (Also while the preempt delay runs, see the module comment.)
                    if self.config.version == Version::V3 {
                        self.master_adver_interval_cs = advert.interval_cs;
                    }
                    self.master_address = Some(source);
                    self.master_priority = Some(advert.priority);
                    self.set_master_down_timer(now + self.master_down_interval());
                } else {
                    // §6.4.2: "Otherwise: Discard the ADVERTISEMENT" (we preempt when the
                    // Master_Down_Timer fires) - but remember that this master is alive.
                    self.outranked_master = Some(source);
                }
            }
            State::Master => {
                if advert.priority == 0 {
                    // §6.4.3: "If the Priority in the ADVERTISEMENT is zero, then: Send an
                    // ADVERTISEMENT, reset the Adver_Timer to Advertisement_Interval".
                    self.send_advertisement(local, out);
                    self.adver_timer = Some(now + timers::centiseconds(self.advert_interval_cs));
                } else if advert.priority > local || (advert.priority == local && Some(source) > self.local_address) {
                    // §6.4.3: "If the Priority in the ADVERTISEMENT is greater than the local
                    // Priority, or the Priority is equal and the primary IP address of the
                    // sender is greater than the local primary IP address": cancel the
                    // Adver_Timer, (v3) set Master_Adver_Interval to the advertised one,
                    // recompute, set the Master_Down_Timer, transition to Backup.
                    let reason = format!("preempted by {source} with priority {}", advert.priority);
                    self.leave_master(State::Backup, reason, false, now, out);
                    if self.config.version == Version::V3 {
                        self.master_adver_interval_cs = advert.interval_cs;
                    }
                    self.master_address = Some(source);
                    self.master_priority = Some(advert.priority);
                    self.set_master_down_timer(now + self.master_down_interval());
                }
                // §6.4.3: "Otherwise: Discard the ADVERTISEMENT".
            }
        }
    }

    /// RFC 5798 §7.1 / RFC 3768 §7.1: the checks the codec cannot make. `None` = accept.
    fn check(&self, source: IpAddr, ttl: u8, advert: &Advertisement) -> Option<&'static str> {
        // "MUST verify that the IPv4 TTL / IPv6 Hop Limit is 255."
        if ttl != TTL {
            return Some("bad-ttl");
        }
        // "MUST verify the VRRP version."
        if advert.version != self.config.version {
            return Some("version-mismatch");
        }
        // "MUST verify that the VRID is configured on the receiving interface".
        if advert.vrid != self.config.vrid {
            return Some("vrid-mismatch");
        }
        let ipv6 = self.config.is_ipv6();
        if source.is_ipv6() != ipv6 || advert.addresses.iter().any(|address| address.is_ipv6() != ipv6) {
            return Some("family-mismatch");
        }
        // "... and the local router is not the IPvX address owner (Priority = 255)."
        if self.effective_priority() == PRIORITY_OWNER {
            return Some("local-owner");
        }
        // RFC 3768 §7.1: the interval must be the configured one; the authentication type
        // (and the simple-text password) must match.
        if self.config.version == Version::V2 {
            if advert.interval_cs != self.advert_interval_cs {
                return Some("interval-mismatch");
            }
            let auth = advert.v2_auth.unwrap_or(V2Auth::NONE);
            if auth.auth_type != self.v2_auth.auth_type || (auth.auth_type == 1 && auth.data != self.v2_auth.data) {
                return Some("auth-mismatch");
            }
        } else if advert.interval_cs == 0 {
            return Some("bad-interval");
        }
        // "MAY verify that Count IPvX Addrs and the list of IPvX address(es) match ... If the
        // packet was not generated by the address owner (Priority does not equal 255), the
        // receiver MUST drop the packet".
        if advert.priority != PRIORITY_OWNER && address_set(&advert.addresses) != address_set(&self.config.addresses) {
            return Some("address-list-mismatch");
        }
        None
    }

    fn enter_fault(&mut self, reason: String, now: Instant, out: &mut Vec<Output>) {
        match self.state {
            State::Fault => {}
            State::Master => self.leave_master(State::Fault, format!("fault: {reason}"), true, now, out),
            State::Initialize | State::Backup => {
                self.master_down_timer = None;
                self.outranked_master = None;
                self.transition(State::Fault, format!("fault: {reason}"), now, out);
            }
        }
        self.fault_reason = Some(reason);
    }

    fn leave_fault(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.state != State::Fault {
            return;
        }
        self.fault_reason = None;
        self.transition(State::Initialize, "fault cleared".into(), now, out);
        if self.started {
            self.startup(now, "fault cleared", out);
        }
    }

    fn become_master(&mut self, reason: &str, now: Instant, out: &mut Vec<Output>) {
        if let Some(from) = self.outranked_master.take() {
            out.push(Output::Handover { from });
        }
        self.send_advertisement(self.effective_priority(), out);
        out.push(Output::AddAddresses);
        out.push(Output::Announce);
        self.master_down_timer = None;
        self.preempt_allowed_at = None;
        self.adver_timer = Some(now + timers::centiseconds(self.advert_interval_cs));
        self.master_address = self.local_address;
        self.master_priority = Some(self.effective_priority());
        self.transition(State::Master, reason.to_string(), now, out);
    }

    fn leave_master(
        &mut self,
        to: State,
        reason: String,
        send_priority_zero: bool,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if send_priority_zero {
            self.send_advertisement(0, out);
        }
        out.push(Output::RemoveAddresses);
        self.adver_timer = None;
        self.master_address = None;
        self.master_priority = None;
        self.transition(to, reason, now, out);
    }

    /// Sets (resets) the Master_Down_Timer; a master heard before no longer counts as alive.
    fn set_master_down_timer(&mut self, at: Instant) {
        self.master_down_timer = Some(at);
        self.outranked_master = None;
    }

    fn send_advertisement(&mut self, priority: u8, out: &mut Vec<Output>) {
        self.counters.adverts_sent += 1;
        if priority == 0 {
            self.counters.priority_zero_sent += 1;
        }
        out.push(Output::Send(Advertisement {
            version: self.config.version,
            vrid: self.config.vrid,
            priority,
            interval_cs: self.advert_interval_cs,
            v2_auth: (self.config.version == Version::V2).then_some(self.v2_auth),
            addresses: self.config.addresses.clone(),
        }));
    }

    fn reject(&mut self, reason: &'static str, out: &mut Vec<Output>) {
        *self.counters.rejected.entry(reason).or_default() += 1;
        out.push(Output::Rejected { reason });
    }

    fn transition(&mut self, to: State, reason: String, now: Instant, out: &mut Vec<Output>) {
        let from = self.state;
        self.state = to;
        self.transitions += 1;
        self.last_transition = Some((from, to, reason.clone(), now));
        out.push(Output::Transition { from, to, reason });
    }
}

fn address_set(addresses: &[IpAddr]) -> BTreeSet<IpAddr> {
    addresses.iter().copied().collect()
}
