//! The `[vrrp]` table of okapi.toml, validated while it is read so that every error (also
//! `--check` and a refused SIGHUP reload) names `file:line:col` through the runtime.
//!
//! ```toml
//! [vrrp]
//! garp-count = 5                 # gratuitous ARPs / unsolicited NAs sent on becoming Master
//! garp-interval-ms = 10          # spacing of those
//! notify = "/etc/okapi/notify.sh"   # default hook for every instance
//! drain-timeout-ms = 60000       # a drained node serves its open connections this long at most
//! handover-idle-ms = 60000       # a new Master forwards the old one's connections until idle
//!
//! [[vrrp.tracker]]               # exactly one of http, interface, exec
//! name = "haproxy"
//! http = "http://127.0.0.1:8404/health"
//! interval-ms = 100
//!
//! [[vrrp.instance]]
//! name = "web"
//! interface = "eth1"
//! vrid = 51
//! priority = 150
//! addresses = ["203.0.113.10/24"]
//! track = [{ name = "haproxy" }]            # no weight: the tracker being down is a fault
//!
//! [[vrrp.sync-group]]
//! name = "public"
//! instances = ["web", "web6"]
//! ```
//!
//! Checks of one value (ranges, addresses, URLs) run at the value; checks that involve several
//! keys of one table run inside that table (toml locates them there); references between
//! tables (a track naming a tracker, a sync group naming instances) and uniqueness are checked
//! at the `[vrrp]` table as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use okapi_runtime::config_values::{InterfaceName, Ranged, RangedSigned, checked_table};
use okapi_runtime::health::HttpUrl;
use serde::{Deserialize, Deserializer};

/// VRRPv3 default Advertisement_Interval (RFC 5798 §5.2.7: 100 centiseconds).
pub const DEFAULT_ADVERT_INTERVAL_MS: u64 = 1_000;
/// RFC 5798 §6.1: default Priority of a backup.
pub const DEFAULT_PRIORITY: u64 = 100;
/// Gratuitous ARPs / NAs sent on becoming Master (keepalived's `garp_master_repeat`).
pub const DEFAULT_GARP_COUNT: u64 = 5;
pub const DEFAULT_GARP_INTERVAL_MS: u64 = 10;
pub const DEFAULT_TRACKER_INTERVAL_MS: u64 = 1_000;
pub const DEFAULT_RISE: u64 = 2;
pub const DEFAULT_FALL: u64 = 2;
/// How long a drained node that lost Master keeps its announce addresses for the
/// connections it still serves (HAProxy's `hard-stop-after` plays the same part).
pub const DEFAULT_DRAIN_TIMEOUT_MS: u64 = 60_000;
/// How long a Master that preempted a live one keeps forwarding packets of connections it
/// does not know to the old one, counted from the last such packet.
/// As long as the drain timeout: a drained node's idle keep-alive connection must not lose
/// its forwarding while that node still serves it.
pub const DEFAULT_HANDOVER_IDLE_MS: u64 = 60_000;
/// Names of instances, trackers and groups: shown in the shell and passed to hooks.
const MAX_NAME: usize = 64;

/// The `[vrrp]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpdConfig {
    pub garp_count: u32,
    pub garp_interval: Duration,
    /// Default notify hook of instances that name none.
    pub notify: Option<String>,
    /// A drained node that is no longer Master keeps its announce addresses while it has
    /// TCP connections on them, at most this long after `okapi drain`.
    pub drain_timeout: Duration,
    /// A Master that preempted a live master forwards the TCP packets to the announce
    /// addresses that belong to no connection it knows to the old master, until none came
    /// for this long; zero turns the handover off.
    pub handover_idle: Duration,
    pub trackers: Vec<TrackerSpec>,
    pub instances: Vec<InstanceSpec>,
    pub sync_groups: Vec<SyncGroupSpec>,
}

/// One `[[vrrp.instance]]`: a virtual router on one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSpec {
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    /// 2 or 3.
    pub version: u8,
    pub priority: u8,
    pub advert_interval: Duration,
    pub preempt: bool,
    pub preempt_delay: Duration,
    pub accept: bool,
    /// The VIPs with their prefix lengths, all of one family.
    pub addresses: Vec<(IpAddr, u8)>,
    /// Put the VIPs on a macvlan with the virtual MAC (RFC 5798 §7.3).
    pub vmac: bool,
    /// Send advertisements to these addresses instead of the multicast group.
    pub unicast_peers: Vec<IpAddr>,
    pub track: Vec<TrackRef>,
    pub notify: Option<String>,
    /// Addresses held while the instance is Master, or Backup on a node that is not drained,
    /// on `announce_interface`: what a routing daemon (okapi-ospfd's `external`)
    /// announces, so that the announcement follows the balancer's health rather than the
    /// VRRP role (a role change then changes nothing upstream).
    pub announce_addresses: Vec<(IpAddr, u8)>,
    pub announce_interface: String,
    /// VRRPv2 simple-text authentication (RFC 2338 §5.3.6; removed by RFC 3768 but what
    /// keepalived's `auth_type PASS` sends): at most 8 bytes.
    pub auth_pass: Option<String>,
}

impl InstanceSpec {
    pub fn is_ipv6(&self) -> bool {
        self.addresses.first().is_some_and(|(address, _)| address.is_ipv6())
    }

    /// With a virtual MAC, an earlier instance of `all` has the same macvlan name.
    fn spec_vmac_collides(&self, all: &[InstanceSpec]) -> bool {
        self.vmac
            && all
                .iter()
                .take_while(|other| !std::ptr::eq(*other, self))
                .any(|other| other.vmac && other.vmac_name() == self.vmac_name())
    }

    pub fn vips(&self) -> Vec<IpAddr> {
        self.addresses.iter().map(|(address, _)| *address).collect()
    }

    /// The macvlan carrying the virtual MAC, keepalived's naming: `vrrp.<vrid>` (IPv4) and
    /// `vrrp6.<vrid>` (IPv6).
    pub fn vmac_name(&self) -> String {
        if self.is_ipv6() {
            format!("vrrp6.{}", self.vrid)
        } else {
            format!("vrrp.{}", self.vrid)
        }
    }
}

/// A tracker an instance follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    /// keepalived semantics: negative lowers the priority by |weight| while the tracker is
    /// down, positive raises it by weight while it is up; `None` (or 0): down is a fault.
    pub weight: Option<i16>,
}

/// One `[[vrrp.tracker]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerSpec {
    pub name: String,
    pub kind: TrackerKind,
    pub interval: Duration,
    pub timeout: Duration,
    pub rise: u32,
    pub fall: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerKind {
    Http { url: HttpUrl, expect_status: Vec<u16> },
    Interface { name: String },
    Exec { command: Vec<String> },
}

impl TrackerKind {
    pub fn describe(&self) -> String {
        match self {
            TrackerKind::Http { url, .. } => format!("http {url}"),
            TrackerKind::Interface { name } => format!("interface {name}"),
            TrackerKind::Exec { command } => format!("exec {}", command.join(" ")),
        }
    }
}

/// One `[[vrrp.sync-group]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupSpec {
    pub name: String,
    pub instances: Vec<String>,
    pub notify: Option<String>,
}

impl VrrpdConfig {
    #[cfg(test)]
    pub fn instance(&self, name: &str) -> Option<&InstanceSpec> {
        self.instances.iter().find(|instance| instance.name == name)
    }

    #[cfg(test)]
    pub fn tracker(&self, name: &str) -> Option<&TrackerSpec> {
        self.trackers.iter().find(|tracker| tracker.name == name)
    }

    /// The sync group `instance` belongs to, if any.
    pub fn group_of(&self, instance: &str) -> Option<&SyncGroupSpec> {
        self.sync_groups
            .iter()
            .find(|group| group.instances.iter().any(|member| member == instance))
    }
}

// ───────────────────────────────────── raw tables ─────────────────────────────────────

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    garp_count: Option<Ranged<0, 100>>,
    garp_interval_ms: Option<Ranged<0, 10_000>>,
    notify: Option<Command>,
    drain_timeout_ms: Option<Ranged<0, 86_400_000>>,
    handover_idle_ms: Option<Ranged<0, 86_400_000>>,
    #[serde(default)]
    tracker: Vec<TrackerSpec>,
    #[serde(default)]
    instance: Vec<InstanceSpec>,
    #[serde(default)]
    sync_group: Vec<SyncGroupSpec>,
}

const CONFIG_FIELDS: &[&str] = &[
    "garp-count",
    "garp-interval-ms",
    "notify",
    "drain-timeout-ms",
    "handover-idle-ms",
    "tracker",
    "instance",
    "sync-group",
];

impl<'de> Deserialize<'de> for VrrpdConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(deserializer, "vrrp", CONFIG_FIELDS, |raw: RawConfig| {
            let config = VrrpdConfig {
                garp_count: u32::try_from(raw.garp_count.map_or(DEFAULT_GARP_COUNT, |count| count.0))
                    .unwrap_or(u32::MAX),
                garp_interval: Duration::from_millis(
                    raw.garp_interval_ms
                        .map_or(DEFAULT_GARP_INTERVAL_MS, |interval| interval.0),
                ),
                notify: raw.notify.map(|command| command.0),
                drain_timeout: Duration::from_millis(
                    raw.drain_timeout_ms
                        .map_or(DEFAULT_DRAIN_TIMEOUT_MS, |timeout| timeout.0),
                ),
                handover_idle: Duration::from_millis(
                    raw.handover_idle_ms.map_or(DEFAULT_HANDOVER_IDLE_MS, |idle| idle.0),
                ),
                trackers: raw.tracker,
                instances: raw.instance,
                sync_groups: raw.sync_group,
            };
            check_references(&config)?;
            Ok(config)
        })
    }
}

/// Uniqueness and references between tables.
fn check_references(config: &VrrpdConfig) -> Result<(), String> {
    let mut trackers = BTreeSet::new();
    for tracker in &config.trackers {
        if !trackers.insert(tracker.name.as_str()) {
            return Err(format!("tracker `{}` is defined twice", tracker.name));
        }
    }
    let mut names = BTreeSet::new();
    let mut routers = BTreeMap::new();
    for instance in &config.instances {
        if !names.insert(instance.name.as_str()) {
            return Err(format!("instance `{}` is defined twice", instance.name));
        }
        // RFC 5798 §7.1/§7.3: a VRID names one virtual router per interface and family.
        let key = (instance.interface.as_str(), instance.vrid, instance.is_ipv6());
        if let Some(other) = routers.insert(key, instance.name.as_str()) {
            return Err(format!(
                "instances `{other}` and `{}` both use VRID {} for {} on {}",
                instance.name,
                instance.vrid,
                if instance.is_ipv6() { "IPv6" } else { "IPv4" },
                instance.interface
            ));
        }
        if instance.spec_vmac_collides(&config.instances) {
            return Err(format!(
                "instance `{}`: another instance with vmac = true uses VRID {} for {}: both would own the macvlan {}",
                instance.name,
                instance.vrid,
                if instance.is_ipv6() { "IPv6" } else { "IPv4" },
                instance.vmac_name()
            ));
        }
        for track in &instance.track {
            if !trackers.contains(track.name.as_str()) {
                return Err(format!(
                    "instance `{}` tracks `{}`, which no [[vrrp.tracker]] defines",
                    instance.name, track.name
                ));
            }
        }
    }
    let mut grouped: BTreeMap<&str, &str> = BTreeMap::new();
    let mut groups = BTreeSet::new();
    for group in &config.sync_groups {
        if !groups.insert(group.name.as_str()) {
            return Err(format!("sync group `{}` is defined twice", group.name));
        }
        for member in &group.instances {
            if !names.contains(member.as_str()) {
                return Err(format!(
                    "sync group `{}` names `{member}`, which no [[vrrp.instance]] defines",
                    group.name
                ));
            }
            if let Some(other) = grouped.insert(member.as_str(), group.name.as_str()) {
                return Err(format!(
                    "instance `{member}` is in sync groups `{other}` and `{}`: an instance belongs to one group at most",
                    group.name
                ));
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawInstance {
    name: Name,
    interface: InterfaceName,
    vrid: Ranged<1, 255>,
    version: Option<Ranged<2, 3>>,
    priority: Option<Ranged<1, 255>>,
    advert_interval_ms: Option<Ranged<10, 255_000>>,
    preempt: Option<bool>,
    preempt_delay_ms: Option<Ranged<0, 3_600_000>>,
    accept: Option<bool>,
    addresses: Vec<VirtualAddress>,
    #[serde(default)]
    vmac: bool,
    #[serde(default)]
    unicast_peers: Vec<IpAddr>,
    #[serde(default)]
    track: Vec<TrackRef>,
    notify: Option<Command>,
    auth_pass: Option<String>,
    #[serde(default)]
    announce_addresses: Vec<VirtualAddress>,
    announce_interface: Option<InterfaceName>,
}

const INSTANCE_FIELDS: &[&str] = &[
    "name",
    "interface",
    "vrid",
    "version",
    "priority",
    "advert-interval-ms",
    "preempt",
    "preempt-delay-ms",
    "accept",
    "addresses",
    "vmac",
    "unicast-peers",
    "track",
    "notify",
    "auth-pass",
    "announce-addresses",
    "announce-interface",
];

impl<'de> Deserialize<'de> for InstanceSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(deserializer, "instance", INSTANCE_FIELDS, |raw: RawInstance| {
            let name = raw.name.0;
            let version = u8::try_from(raw.version.map_or(3, |version| version.0)).unwrap_or(3);
            let interval_ms = raw.advert_interval_ms.map_or(DEFAULT_ADVERT_INTERVAL_MS, |ms| ms.0);
            match version {
                // RFC 3768 §5.3.7: whole seconds in 8 bits.
                2 if interval_ms % 1_000 != 0 => {
                    return Err(format!(
                        "instance `{name}`: VRRPv2 advertises whole seconds; advert-interval-ms = {interval_ms} is not a multiple of 1000"
                    ));
                }
                // RFC 5798 §5.2.7: centiseconds in 12 bits.
                3 if interval_ms % 10 != 0 || interval_ms > 40_950 => {
                    return Err(format!(
                        "instance `{name}`: VRRPv3 advertises centiseconds up to 40950 ms; advert-interval-ms = {interval_ms} is not a multiple of 10 in that range"
                    ));
                }
                _ => {}
            }
            let addresses: Vec<(IpAddr, u8)> = raw.addresses.iter().map(|vip| (vip.address, vip.len)).collect();
            let Some((first, _)) = addresses.first() else {
                return Err(format!(
                    "instance `{name}`: addresses must list at least one virtual address"
                ));
            };
            let ipv6 = first.is_ipv6();
            if addresses.iter().any(|(address, _)| address.is_ipv6() != ipv6) {
                return Err(format!(
                    "instance `{name}`: addresses mix IPv4 and IPv6; an instance is one family (make a second instance with the same VRID for the other)"
                ));
            }
            // RFC 5798 §5.2.5: the address count is 8 bits; an IPv4 packet of 255 addresses still fits.
            if addresses.len() > 255 {
                return Err(format!("instance `{name}`: at most 255 virtual addresses"));
            }
            let mut seen = BTreeSet::new();
            if let Some((duplicate, _)) = addresses.iter().find(|(address, _)| !seen.insert(*address)) {
                return Err(format!("instance `{name}`: {duplicate} is listed twice"));
            }
            if version == 2 && ipv6 {
                return Err(format!(
                    "instance `{name}`: VRRPv2 is IPv4 only (RFC 3768); use version = 3"
                ));
            }
            if raw.unicast_peers.iter().any(|peer| peer.is_ipv6() != ipv6) {
                return Err(format!(
                    "instance `{name}`: unicast-peers must be of the addresses' family"
                ));
            }
            if let Some(pass) = &raw.auth_pass {
                if version != 2 {
                    return Err(format!(
                        "instance `{name}`: auth-pass is VRRPv2 only (VRRPv3 has no authentication, RFC 5798 §9)"
                    ));
                }
                if pass.is_empty() || pass.len() > 8 {
                    return Err(format!(
                        "instance `{name}`: auth-pass must be 1 to 8 bytes (keepalived's auth_pass)"
                    ));
                }
            }
            let mut announced = BTreeSet::new();
            if let Some(duplicate) = raw.announce_addresses.iter().find(|vip| !announced.insert(vip.address)) {
                return Err(format!(
                    "instance `{name}`: announce-addresses lists {} twice",
                    duplicate.address
                ));
            }
            let mut tracked = BTreeSet::new();
            if let Some(track) = raw.track.iter().find(|track| !tracked.insert(track.name.clone())) {
                return Err(format!("instance `{name}`: tracker `{}` is listed twice", track.name));
            }
            Ok(InstanceSpec {
                name,
                interface: raw.interface.0,
                vrid: u8::try_from(raw.vrid.0).unwrap_or(1),
                version,
                priority: u8::try_from(raw.priority.map_or(DEFAULT_PRIORITY, |priority| priority.0)).unwrap_or(100),
                advert_interval: Duration::from_millis(interval_ms),
                preempt: raw.preempt.unwrap_or(true),
                preempt_delay: Duration::from_millis(raw.preempt_delay_ms.map_or(0, |delay| delay.0)),
                accept: raw.accept.unwrap_or(true),
                addresses,
                vmac: raw.vmac,
                unicast_peers: raw.unicast_peers,
                track: raw.track,
                notify: raw.notify.map(|command| command.0),
                auth_pass: raw.auth_pass,
                announce_addresses: raw
                    .announce_addresses
                    .iter()
                    .map(|vip| (vip.address, vip.len))
                    .collect(),
                announce_interface: raw.announce_interface.map_or_else(|| "lo".to_string(), |name| name.0),
            })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTrackRef {
    name: Name,
    weight: Option<RangedSigned<-254, 254>>,
}

impl<'de> Deserialize<'de> for TrackRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(deserializer, "track", &["name", "weight"], |raw: RawTrackRef| {
            Ok(TrackRef {
                name: raw.name.0,
                weight: raw
                    .weight
                    .and_then(|weight| i16::try_from(weight.0).ok())
                    .filter(|weight| *weight != 0),
            })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTracker {
    name: Name,
    http: Option<String>,
    interface: Option<InterfaceName>,
    exec: Option<Vec<String>>,
    expect_status: Option<Vec<Ranged<100, 599>>>,
    interval_ms: Option<Ranged<50, 3_600_000>>,
    timeout_ms: Option<Ranged<1, 60_000>>,
    rise: Option<Ranged<1, 1_000>>,
    fall: Option<Ranged<1, 1_000>>,
}

const TRACKER_FIELDS: &[&str] = &[
    "name",
    "http",
    "interface",
    "exec",
    "expect-status",
    "interval-ms",
    "timeout-ms",
    "rise",
    "fall",
];

impl<'de> Deserialize<'de> for TrackerSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(deserializer, "tracker", TRACKER_FIELDS, |raw: RawTracker| {
            let name = raw.name.0;
            let kind = match (raw.http, raw.interface, raw.exec) {
                (Some(url), None, None) => TrackerKind::Http {
                    url: url
                        .parse::<HttpUrl>()
                        .map_err(|error| format!("tracker `{name}`: http: {error}"))?,
                    expect_status: raw
                        .expect_status
                        .as_ref()
                        .map(|statuses| {
                            statuses
                                .iter()
                                .filter_map(|status| u16::try_from(status.0).ok())
                                .collect()
                        })
                        .unwrap_or_else(|| vec![200]),
                },
                (None, Some(interface), None) => TrackerKind::Interface { name: interface.0 },
                (None, None, Some(command)) => {
                    if command.first().is_none_or(|program| program.is_empty()) {
                        return Err(format!(
                            "tracker `{name}`: exec needs a program: [\"/path/to/check\", \"arg\", ...]"
                        ));
                    }
                    TrackerKind::Exec { command }
                }
                _ => {
                    return Err(format!(
                        "tracker `{name}`: give exactly one of http = \"URL\", interface = \"IFNAME\" or exec = [\"PROGRAM\", ...]"
                    ));
                }
            };
            if raw.expect_status.is_some() && !matches!(kind, TrackerKind::Http { .. }) {
                return Err(format!("tracker `{name}`: expect-status goes with http only"));
            }
            let interval = Duration::from_millis(raw.interval_ms.map_or(DEFAULT_TRACKER_INTERVAL_MS, |ms| ms.0));
            // A probe that may last longer than the interval would start the next late; the
            // default is the interval itself, at most 1 s.
            let timeout = raw.timeout_ms.map_or_else(
                || interval.min(Duration::from_secs(1)),
                |ms| Duration::from_millis(ms.0),
            );
            Ok(TrackerSpec {
                name,
                kind,
                interval,
                timeout,
                rise: u32::try_from(raw.rise.map_or(DEFAULT_RISE, |rise| rise.0)).unwrap_or(2),
                fall: u32::try_from(raw.fall.map_or(DEFAULT_FALL, |fall| fall.0)).unwrap_or(2),
            })
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSyncGroup {
    name: Name,
    instances: Vec<Name>,
    notify: Option<Command>,
}

impl<'de> Deserialize<'de> for SyncGroupSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(
            deserializer,
            "sync-group",
            &["name", "instances", "notify"],
            |raw: RawSyncGroup| {
                if raw.instances.len() < 2 {
                    return Err(format!("sync group `{}`: name two instances or more", raw.name.0));
                }
                Ok(SyncGroupSpec {
                    name: raw.name.0,
                    instances: raw.instances.into_iter().map(|name| name.0).collect(),
                    notify: raw.notify.map(|command| command.0),
                })
            },
        )
    }
}

// ───────────────────────────────────── values ─────────────────────────────────────

/// A name of an instance, tracker or group: letters, digits, `-`, `_`, `.`.
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let valid = !text.is_empty()
            && text.len() <= MAX_NAME
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(Name(text))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{text}` is not a name: 1 to {MAX_NAME} letters, digits, `-`, `_` or `.`"
            )))
        }
    }
}

/// A hook: the path of a program (run without a shell).
struct Command(String);

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.starts_with('/') && !text.contains('\0') {
            Ok(Command(text))
        } else {
            Err(serde::de::Error::custom(format!(
                "`{text}` is not an absolute path to a program (hooks run without a shell)"
            )))
        }
    }
}

/// `A.B.C.D[/L]` or `X:X::X[/L]`; without a length, a host address (/32, /128), as
/// keepalived's `virtual_ipaddress`.
struct VirtualAddress {
    address: IpAddr,
    len: u8,
}

impl<'de> Deserialize<'de> for VirtualAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_virtual_address(&text).map_err(serde::de::Error::custom)
    }
}

fn parse_virtual_address(text: &str) -> Result<VirtualAddress, String> {
    let (address, len) = match text.split_once('/') {
        Some((address, len)) => (address, Some(len)),
        None => (text, None),
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| format!("`{text}` is not an address (A.B.C.D/L or X:X::X/L)"))?;
    let max = if address.is_ipv6() { 128 } else { 32 };
    let len = match len {
        None => max,
        Some(len) => match len.parse::<u8>() {
            Ok(len) if (1..=max).contains(&len) => len,
            _ => return Err(format!("`{text}`: the prefix length must be 1 to {max}")),
        },
    };
    let usable = match address {
        IpAddr::V4(v4) => !(v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || v4.is_loopback()),
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast() || v6.is_loopback()),
    };
    if !usable {
        return Err(format!("`{text}` cannot be a virtual address"));
    }
    Ok(VirtualAddress { address, len })
}

#[cfg(test)]
mod tests {
    use super::*;
    use okapi_runtime::config::parse;
    use std::path::Path;

    fn load(text: &str) -> Result<VrrpdConfig, String> {
        parse::<VrrpdConfig>(text, Path::new("okapi.toml"), "vrrp")
            .map_err(|error| error.to_string())
            .and_then(|config| config.ok_or_else(|| "no [vrrp]".to_string()))
    }

    const FULL: &str = r#"
[vrrp]
garp-count = 3
garp-interval-ms = 20
notify = "/usr/local/bin/notify"
drain-timeout-ms = 5000
handover-idle-ms = 0

[[vrrp.tracker]]
name = "haproxy"
http = "http://127.0.0.1:8404/health"
expect-status = [200, 204]
interval-ms = 50
timeout-ms = 40
rise = 3
fall = 2

[[vrrp.tracker]]
name = "uplink"
interface = "eth2"

[[vrrp.tracker]]
name = "script"
exec = ["/usr/local/bin/check", "--quick"]

[[vrrp.instance]]
name = "web"
interface = "eth1"
vrid = 51
priority = 150
advert-interval-ms = 10
preempt-delay-ms = 5000
addresses = ["203.0.113.10/24", "203.0.113.11"]
unicast-peers = ["10.0.0.2"]
track = [{ name = "haproxy", weight = -60 }, { name = "uplink" }]
announce-addresses = ["198.51.100.10"]

[[vrrp.instance]]
name = "web6"
interface = "eth1"
vrid = 51
addresses = ["2001:db8::10/64"]
vmac = true

[[vrrp.instance]]
name = "legacy"
interface = "eth1"
vrid = 7
version = 2
advert-interval-ms = 3000
auth-pass = "secret"
preempt = false
accept = false
addresses = ["198.51.100.7"]
notify = "/usr/local/bin/legacy-notify"

[[vrrp.sync-group]]
name = "public"
instances = ["web", "web6"]
"#;

    #[test]
    fn a_full_file_is_read() {
        let config = load(FULL).unwrap();
        assert_eq!(config.garp_count, 3);
        assert_eq!(config.garp_interval, Duration::from_millis(20));
        assert_eq!(config.drain_timeout, Duration::from_secs(5));
        assert_eq!(config.handover_idle, Duration::ZERO);
        assert_eq!(config.trackers.len(), 3);
        let haproxy = config.tracker("haproxy").unwrap();
        assert_eq!((haproxy.rise, haproxy.fall), (3, 2));
        assert_eq!(haproxy.timeout, Duration::from_millis(40));
        assert!(matches!(&haproxy.kind, TrackerKind::Http { expect_status, .. } if expect_status == &[200, 204]));
        let uplink = config.tracker("uplink").unwrap();
        assert_eq!(uplink.interval, Duration::from_secs(1));
        assert_eq!(uplink.timeout, Duration::from_secs(1));
        let web = config.instance("web").unwrap();
        assert_eq!((web.vrid, web.version, web.priority), (51, 3, 150));
        assert_eq!(web.advert_interval, Duration::from_millis(10));
        assert!(web.preempt && web.accept && !web.vmac);
        assert_eq!(web.addresses[1], ("203.0.113.11".parse().unwrap(), 32));
        assert_eq!(web.track[0].weight, Some(-60));
        assert_eq!(web.track[1].weight, None);
        assert_eq!(web.notify, None);
        assert_eq!(web.announce_addresses, vec![("198.51.100.10".parse().unwrap(), 32)]);
        assert_eq!(web.announce_interface, "lo");
        let web6 = config.instance("web6").unwrap();
        assert!(web6.is_ipv6() && web6.vmac);
        assert_eq!(web6.vmac_name(), "vrrp6.51");
        assert_eq!(web6.priority, 100);
        let legacy = config.instance("legacy").unwrap();
        assert_eq!(legacy.version, 2);
        assert_eq!(legacy.auth_pass.as_deref(), Some("secret"));
        assert!(!legacy.preempt && !legacy.accept);
        assert_eq!(config.group_of("web6").map(|group| group.name.as_str()), Some("public"));
        assert_eq!(config.group_of("legacy"), None);
    }

    #[track_caller]
    fn refused(text: &str, position: &str, message: &str) {
        let error = load(text).unwrap_err();
        assert!(error.starts_with(&format!("okapi.toml:{position}:")), "{error}");
        assert!(error.contains(message), "{error}");
    }

    #[test]
    fn values_are_checked_where_they_stand() {
        refused(
            "[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 256\naddresses = [\"10.0.0.1\"]\n",
            "5:8",
            "an integer from 1 to 255",
        );
        refused(
            "[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 1\naddresses = [\"10.0.0.1/33\"]\n",
            "6:13",
            "prefix length must be 1 to 32",
        );
        refused(
            "[vrrp]\n[[vrrp.instance]]\nname = \"a b\"\ninterface = \"eth1\"\nvrid = 1\naddresses = [\"10.0.0.1\"]\n",
            "3:8",
            "is not a name",
        );
        refused("[vrrp]\nnotify = \"notify.sh\"\n", "2:10", "absolute path");
        refused(
            "[vrrp]\n[[vrrp.tracker]]\nname = \"t\"\nhttp = \"http://127.0.0.1/\"\ninterval-ms = 10\n",
            "5:15",
            "an integer from 50 to 3600000",
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        refused(
            "[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 1\naddresses = [\"10.0.0.1\"]\nadvert_int = 1\n",
            "7:1",
            "unknown field `advert_int`",
        );
        refused("[vrrp]\ngarp = 1\n", "2:1", "unknown field `garp`");
    }

    #[test]
    fn instance_checks_are_reported_at_the_instance() {
        let instance =
            |extra: &str| format!("[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 1\n{extra}\n");
        refused(
            &instance("addresses = [\"10.0.0.1\", \"2001:db8::1\"]"),
            "2:1",
            "mix IPv4 and IPv6",
        );
        refused(&instance("addresses = []"), "2:1", "at least one virtual address");
        refused(
            &instance("version = 2\naddresses = [\"2001:db8::1\"]"),
            "2:1",
            "VRRPv2 is IPv4 only",
        );
        refused(
            &instance("version = 2\nadvert-interval-ms = 1500\naddresses = [\"10.0.0.1\"]"),
            "2:1",
            "not a multiple of 1000",
        );
        refused(
            &instance("advert-interval-ms = 15\naddresses = [\"10.0.0.1\"]"),
            "2:1",
            "not a multiple of 10",
        );
        refused(
            &instance("addresses = [\"10.0.0.1\"]\nauth-pass = \"x\""),
            "2:1",
            "auth-pass is VRRPv2 only",
        );
        refused(
            &instance("version = 2\naddresses = [\"10.0.0.1\"]\nauth-pass = \"123456789\""),
            "2:1",
            "1 to 8 bytes",
        );
        refused(
            &instance("addresses = [\"10.0.0.1\", \"10.0.0.1/24\"]"),
            "2:1",
            "10.0.0.1 is listed twice",
        );
        refused(
            &instance("addresses = [\"10.0.0.1\"]\nunicast-peers = [\"2001:db8::2\"]"),
            "2:1",
            "unicast-peers must be of the addresses' family",
        );
    }

    #[test]
    fn references_are_checked() {
        refused(
            "[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 1\naddresses = [\"10.0.0.1\"]\ntrack = [{ name = \"nope\" }]\n",
            "1:1",
            "tracks `nope`, which no [[vrrp.tracker]] defines",
        );
        let two = "[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 1\naddresses = [\"10.0.0.1\"]\n[[vrrp.instance]]\nname = \"b\"\ninterface = \"eth1\"\nvrid = 1\naddresses = [\"10.0.0.2\"]\n";
        refused(two, "1:1", "both use VRID 1 for IPv4 on eth1");
        let vmacs = "[vrrp]\n[[vrrp.instance]]\nname = \"a\"\ninterface = \"eth1\"\nvrid = 1\nvmac = true\naddresses = [\"10.0.0.1\"]\n[[vrrp.instance]]\nname = \"b\"\ninterface = \"eth2\"\nvrid = 1\nvmac = true\naddresses = [\"10.0.1.1\"]\n";
        refused(vmacs, "1:1", "both would own the macvlan vrrp.1");
        refused(
            "[vrrp]\n[[vrrp.sync-group]]\nname = \"g\"\ninstances = [\"x\", \"y\"]\n",
            "1:1",
            "names `x`, which no [[vrrp.instance]] defines",
        );
        refused(
            "[vrrp]\n[[vrrp.tracker]]\nname = \"t\"\nhttp = \"http://127.0.0.1/\"\ninterface = \"eth1\"\n",
            "2:1",
            "exactly one of",
        );
        refused(
            "[vrrp]\n[[vrrp.tracker]]\nname = \"t\"\nhttp = \"https://127.0.0.1/\"\n",
            "2:1",
            "https",
        );
    }
}
