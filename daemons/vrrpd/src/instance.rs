//! One configured VRRP instance as the daemon runs it: okapi-vrrp's sans-IO
//! [`VirtualRouter`] plus what binds it to this host (the interface, its addresses, the
//! macvlan, the trackers' verdict) and what it did (transitions, for the shell and the hooks).
//!
//! ```text
//!   interface (netlink) ──┐
//!   trackers ─────────────┼─► readiness: ready | fault reason ─► Input::Startup / Fault(..)
//!   sync group ───────────┘   priority: configured ± weights  ─► Input::EffectivePriority
//! ```

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use okapi_vrrp::{Advertisement, Input, Output, RouterConfig, State, V2Auth, Version, VirtualRouter};
use serde_json::{Value, json};

use crate::config::InstanceSpec;
use crate::handover::Handover;

/// Transitions remembered for the shell.
const HISTORY: usize = 16;

/// A transition, as the shell shows it.
#[derive(Debug, Clone)]
pub struct TransitionRecord {
    pub from: State,
    pub to: State,
    pub reason: String,
    pub at: Instant,
    pub at_unix_ms: u128,
}

pub struct Instance {
    pub spec: InstanceSpec,
    pub router: VirtualRouter,
    /// The interface the instance runs on, when it exists.
    pub ifindex: Option<u32>,
    /// The macvlan holding the VIPs and sending the adverts (with `vmac = true`).
    pub vmac_ifindex: Option<u32>,
    /// The interface's primary address of the family: the adverts' source.
    pub local_address: Option<IpAddr>,
    /// Why the instance must not run, when it must not (interface down, tracker down, ...).
    pub fault: Option<String>,
    /// `Input::Startup` given (once, when the instance could first run).
    pub started: bool,
    pub effective_priority: u8,
    /// The VIPs are (as far as we know) on the interface.
    pub vips_installed: bool,
    /// The announce addresses are (as far as we know) on their interface.
    pub announced: bool,
    /// Drained and no longer Master, but still serving TCP connections on the announce
    /// addresses (which it keeps until they end or `drain-timeout-ms` passes): their count.
    pub drain_serving: Option<usize>,
    /// Forwarding the old master's connections after preempting it (see `handover`).
    pub handover: Option<Handover>,
    pub transitions: u64,
    pub history: VecDeque<TransitionRecord>,
    /// The router's state, as its transitions reported it.
    state: State,
    /// What the router was last told.
    told_priority: u8,
    told_local_address: Option<IpAddr>,
    told_fault: Option<String>,
}

impl Instance {
    pub fn new(spec: InstanceSpec, now: Instant) -> Instance {
        let mut router = VirtualRouter::new(router_config(&spec, spec.priority), now);
        set_auth(&mut router, &spec);
        Instance {
            effective_priority: spec.priority,
            spec,
            router,
            ifindex: None,
            vmac_ifindex: None,
            local_address: None,
            fault: None,
            started: false,
            vips_installed: false,
            announced: false,
            drain_serving: None,
            handover: None,
            transitions: 0,
            history: VecDeque::new(),
            state: State::Initialize,
            told_priority: 0,
            told_local_address: None,
            told_fault: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Where the VIPs go and the adverts leave from: the macvlan when there is one.
    pub fn vip_ifindex(&self) -> Option<u32> {
        self.vmac_ifindex.or(self.ifindex)
    }

    pub fn is_ipv6(&self) -> bool {
        self.spec.is_ipv6()
    }

    /// Where adverts and announcements leave from. IPv4: the macvlan when there is one, so
    /// that they carry the virtual MAC (RFC 5798 §7.3). IPv6: the interface itself, whose
    /// link-local address is the adverts' source (§5.1.2.1) and which the macvlan lacks (its
    /// address generation is off); keepalived's `vmac_xmit_base` does the same. The NA's
    /// target link-layer option still names the virtual MAC.
    pub fn send_ifindex(&self) -> Option<u32> {
        if self.is_ipv6() {
            self.ifindex
        } else {
            self.vip_ifindex()
        }
    }

    /// Brings the router in line with the instance's priority and local address, and starts
    /// it (RFC 5798 §6.4.1 Startup) the first time it can run. Returns the router's outputs
    /// and the change of fault the daemon must pass on (through the instance's sync group,
    /// when it has one): `Some(Some(reason))` enter Fault, `Some(None)` leave it.
    pub fn sync(&mut self, now: Instant) -> (Vec<Output>, Option<Option<String>>) {
        let mut outputs = Vec::new();
        if self.told_priority != self.effective_priority {
            self.told_priority = self.effective_priority;
            outputs.extend(
                self.router
                    .handle(Input::EffectivePriority(self.effective_priority), now),
            );
        }
        if self.told_local_address != self.local_address {
            self.told_local_address = self.local_address;
            outputs.extend(self.router.handle(Input::LocalAddress(self.local_address), now));
        }
        let mut fault_change = None;
        if self.fault != self.told_fault {
            self.told_fault = self.fault.clone();
            fault_change = Some(self.fault.clone());
        } else if self.fault.is_none() {
            outputs.extend(self.start_if_due(now));
        }
        (outputs, fault_change)
    }

    /// The Startup event, once, when the instance is not faulted and its router waits in
    /// Initialize (first start, or a Fault left before it ever started: leaving a Fault after
    /// a start runs the startup logic by itself).
    pub fn start_if_due(&mut self, now: Instant) -> Vec<Output> {
        if self.started || self.fault.is_some() || self.router.state() != State::Initialize {
            return Vec::new();
        }
        self.started = true;
        self.router.handle(Input::Startup, now)
    }

    pub fn advertisement(
        &mut self,
        source: IpAddr,
        ttl: u8,
        advertisement: Advertisement,
        now: Instant,
    ) -> Vec<Output> {
        self.router.handle(
            Input::Advertisement {
                source,
                ttl,
                advertisement,
            },
            now,
        )
    }

    /// The next [`Instance::sync`] tells the router the effective priority again (after a
    /// reconfiguration, which sets the configured one).
    pub fn forget_told_priority(&mut self) {
        self.told_priority = 0;
    }

    /// Records a transition the router reported.
    pub fn record(&mut self, from: State, to: State, reason: &str, now: Instant) {
        self.state = to;
        self.transitions += 1;
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(TransitionRecord {
            from,
            to,
            reason: reason.to_string(),
            at: now,
            at_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_millis()),
        });
    }

    /// The shell's view: the router's own plus what the daemon knows.
    pub fn view(&self, interface: Option<&str>, trackers: Value, now: Instant) -> Value {
        let mut view = serde_json::to_value(self.router.view(now)).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut view {
            map.insert("name".into(), json!(self.spec.name));
            map.insert("interface".into(), json!(self.spec.interface));
            map.insert("interface_present".into(), json!(interface.is_some()));
            map.insert("family".into(), json!(if self.is_ipv6() { "ipv6" } else { "ipv4" }));
            map.insert("local_address".into(), json!(self.local_address));
            map.insert(
                "vmac".into(),
                if self.spec.vmac {
                    json!(self.spec.vmac_name())
                } else {
                    Value::Null
                },
            );
            map.insert(
                "virtual_addresses".into(),
                json!(
                    self.spec
                        .addresses
                        .iter()
                        .map(|(address, len)| format!("{address}/{len}"))
                        .collect::<Vec<_>>()
                ),
            );
            map.insert("vips_installed".into(), json!(self.vips_installed));
            map.insert(
                "announce_addresses".into(),
                json!(
                    self.spec
                        .announce_addresses
                        .iter()
                        .map(|(address, len)| format!("{address}/{len}"))
                        .collect::<Vec<_>>()
                ),
            );
            map.insert("announced".into(), json!(self.announced));
            // A drained Master serves everything until preempted: only shown after.
            map.insert(
                "drain_serving_connections".into(),
                json!(self.drain_serving.filter(|_| self.state != State::Master)),
            );
            map.insert(
                "handover".into(),
                self.handover
                    .as_ref()
                    .map_or(Value::Null, |handover| handover.view(now)),
            );
            map.insert("unicast_peers".into(), json!(self.spec.unicast_peers));
            map.insert("daemon_fault".into(), json!(self.fault));
            map.insert("trackers".into(), trackers);
            map.insert("transition_count".into(), json!(self.transitions));
            map.insert(
                "history".into(),
                json!(
                    self.history
                        .iter()
                        .rev()
                        .map(|record| json!({
                            "from": format!("{:?}", record.from),
                            "to": format!("{:?}", record.to),
                            "reason": record.reason,
                            "secs_ago": now.saturating_duration_since(record.at).as_secs_f64(),
                            "at_unix_ms": record.at_unix_ms,
                        }))
                        .collect::<Vec<_>>()
                ),
            );
        }
        view
    }
}

/// VRRPv2 simple-text authentication, when configured (none otherwise).
pub fn set_auth(router: &mut VirtualRouter, spec: &InstanceSpec) {
    router.set_v2_auth(match &spec.auth_pass {
        Some(pass) => V2Auth::simple_text(pass.as_bytes()),
        None => V2Auth::NONE,
    });
}

/// The protocol's configuration of an instance.
pub fn router_config(spec: &InstanceSpec, priority: u8) -> RouterConfig {
    RouterConfig {
        vrid: spec.vrid,
        version: if spec.version == 2 { Version::V2 } else { Version::V3 },
        priority,
        advert_interval_cs: u16::try_from(spec.advert_interval.as_millis() / 10).unwrap_or(u16::MAX),
        preempt: spec.preempt,
        preempt_delay: spec.preempt_delay,
        accept_mode: spec.accept,
        addresses: spec.vips(),
    }
}

/// keepalived's priority arithmetic: the configured priority, minus |weight| for each
/// negative-weight tracker that is down, plus weight for each positive-weight tracker that is
/// up, kept within 1..=254 once changed (255 is the address owner's alone: an owner is not
/// raised, only lowered). `None` when a
/// weightless tracker is down (a fault), with its name.
pub fn effective_priority(configured: u8, tracks: &[(Option<i16>, bool)]) -> u8 {
    let mut priority = i32::from(configured);
    let mut changed = false;
    for (weight, up) in tracks {
        match weight {
            Some(weight) if *weight < 0 && !up => {
                priority += i32::from(*weight);
                changed = true;
            }
            Some(weight) if *weight > 0 && *up && configured != 255 => {
                priority += i32::from(*weight);
                changed = true;
            }
            _ => {}
        }
    }
    if changed {
        u8::try_from(priority.clamp(1, 254)).unwrap_or(1)
    } else {
        configured
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_follows_keepalived_weights() {
        assert_eq!(effective_priority(150, &[]), 150);
        assert_eq!(effective_priority(150, &[(Some(-60), true)]), 150);
        assert_eq!(effective_priority(150, &[(Some(-60), false)]), 90);
        assert_eq!(effective_priority(150, &[(Some(-60), false), (Some(-100), false)]), 1);
        assert_eq!(effective_priority(100, &[(Some(50), true)]), 150);
        assert_eq!(effective_priority(240, &[(Some(50), true)]), 254);
        assert_eq!(effective_priority(255, &[(Some(-5), false)]), 250);
        assert_eq!(effective_priority(255, &[(Some(-5), true)]), 255);
        assert_eq!(
            effective_priority(255, &[(Some(10), true)]),
            255,
            "an owner stays the owner"
        );
        // A weightless tracker is a fault, handled elsewhere: no effect on the number.
        assert_eq!(effective_priority(100, &[(None, false)]), 100);
    }
}
