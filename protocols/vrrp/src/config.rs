//! The configuration of one virtual router (RFC 5798 §6.1 parameters).

use std::net::IpAddr;
use std::time::Duration;

use serde::Serialize;

use crate::packet::{MAX_V3_INTERVAL_CS, Version};

/// The longest preempt delay [`VirtualRouter`](crate::VirtualRouter) uses; a longer one is
/// a [`RouterConfig::problems`] and is clamped to this.
pub const MAX_PREEMPT_DELAY: Duration = Duration::from_secs(24 * 3600);

/// RFC 5798 §6.1, plus keepalived's preempt delay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouterConfig {
    pub vrid: u8,
    pub version: Version,
    /// Configured, 1..=255; 255 = address owner (RFC 5798 §6.1).
    pub priority: u8,
    /// v3 centiseconds; v2 must be a multiple of 100.
    pub advert_interval_cs: u16,
    pub preempt: bool,
    /// keepalived semantics: after startup (Initialize -> Backup), do not preempt a
    /// lower-priority master until this delay has passed.
    pub preempt_delay: Duration,
    pub accept_mode: bool,
    /// The virtual addresses, one family.
    pub addresses: Vec<IpAddr>,
}

impl RouterConfig {
    /// The problems a daemon should refuse the configuration for (an empty list is valid).
    /// [`VirtualRouter`](crate::VirtualRouter) still runs an invalid one, clamped: priority
    /// 0 as 1, an interval of 0 as the smallest valid one.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.vrid == 0 {
            problems.push("vrid must be 1 to 255 (RFC 5798 §5.2.3)".to_string());
        }
        if self.priority == 0 {
            problems.push("priority must be 1 to 255 (RFC 5798 §6.1)".to_string());
        }
        match self.version {
            Version::V3 if self.advert_interval_cs == 0 || self.advert_interval_cs > MAX_V3_INTERVAL_CS => {
                problems.push(format!(
                    "advert interval {} cs: VRRPv3 takes 1 to 4095 centiseconds (RFC 5798 §5.2.7)",
                    self.advert_interval_cs
                ));
            }
            Version::V2
                if self.advert_interval_cs == 0
                    || self.advert_interval_cs % 100 != 0
                    || self.advert_interval_cs > 25_500 =>
            {
                problems.push(format!(
                    "advert interval {} cs: VRRPv2 takes whole seconds, 1 to 255 (RFC 3768 §5.3.7)",
                    self.advert_interval_cs
                ));
            }
            _ => {}
        }
        if self.preempt_delay > MAX_PREEMPT_DELAY {
            problems.push(format!(
                "preempt delay {:?}: at most {} s",
                self.preempt_delay,
                MAX_PREEMPT_DELAY.as_secs()
            ));
        }
        match self.addresses.len() {
            0 => problems.push("at least one virtual address (RFC 5798 §5.2.5)".to_string()),
            256.. => problems.push("at most 255 virtual addresses (RFC 5798 §5.2.5)".to_string()),
            _ => {}
        }
        if let Some(first) = self.addresses.first() {
            if self
                .addresses
                .iter()
                .any(|address| address.is_ipv6() != first.is_ipv6())
            {
                problems.push("virtual addresses of one family only (RFC 5798 §5.2.9)".to_string());
            }
            if self.version == Version::V2 && first.is_ipv6() {
                problems.push("VRRPv2 is IPv4 only (RFC 3768)".to_string());
            }
        }
        problems
    }

    /// The interval actually used: clamped to 1..=4095 cs (v3) or whole seconds 1..=255 (v2).
    pub(crate) fn effective_interval_cs(&self) -> u16 {
        match self.version {
            Version::V3 => self.advert_interval_cs.clamp(1, MAX_V3_INTERVAL_CS),
            Version::V2 => (self.advert_interval_cs / 100).clamp(1, 255) * 100,
        }
    }

    /// The family of the virtual addresses (IPv4 when there are none).
    pub fn is_ipv6(&self) -> bool {
        self.addresses.first().is_some_and(IpAddr::is_ipv6)
    }
}
