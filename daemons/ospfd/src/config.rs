//! The `[ospf]` table of okapi.toml: what the file says, validated while it is read, so that
//! every error (also `--check` and a refused SIGHUP reload) names `file:line:col` through the
//! runtime. Names of interfaces are resolved to ifindexes later, against the kernel's links
//! ([`OspfdConfig::protocol_config`]).
//!
//! ```text
//!   okapi.toml ──serde (deny_unknown_fields, checks inside each value/table)──► OspfdConfig
//!                                                                                 │
//!   InterfaceTable (netlink: name ─► ifindex) ──► protocol_config() ──► okapi_ospf::Config
//! ```
//!
//! Checks that involve several keys of one table (`dead-interval` above `hello-interval`,
//! keys that only go with one authentication) run inside that table's deserialization, so
//! toml locates them at the table; checks of one value (ranges, prefixes, router ID) at the
//! value; a duplicate interface name or announced prefix at the second occurrence.

use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use okapi_ospf::config::{AnnouncedPrefix, Config, ExternalPrefix, InterfaceAuth, InterfaceConfig, NetworkType};
use okapi_ospf::lsa::ExternalMetricType;
use okapi_ospf::packet::{Md5Key, Md5Keys, SimplePassword};
use okapi_ospf::spf::SpfDelayConfig;
use okapi_runtime::config_values::{Ranged, check_interface_name, checked_table};
use okapi_runtime::interfaces::InterfaceTable;
use serde::de::{self, DeserializeSeed, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// Kernel route metric of OSPF routes unless `distance` says otherwise.
pub const DEFAULT_DISTANCE: u32 = 110;
/// `max-lsas` unless configured.
pub const DEFAULT_MAX_LSAS: u64 = 100_000;
/// `min-ls-interval` (ms) unless configured: FRR's and BIRD's default MinLSArrival, so that
/// peers with default settings never drop an LSA of ours for arriving too soon.
pub const DEFAULT_MIN_LS_INTERVAL_MS: u64 = 1_000;
/// `min-ls-arrival` (ms) unless configured. RFC 2328 suggests 1 s, but a peer re-originates
/// its router-LSA the moment the adjacency is Full, a millisecond or so after we received the
/// previous instance in the database exchange: any MinLSArrival above the round trip drops
/// that newer instance, which then only arrives with the peer's retransmission (5 s by
/// default), and routes through the new neighbor wait for it. The peers' own MinLSInterval
/// and our SPF delay already bound the work a fast-changing LSA causes.
pub const DEFAULT_MIN_LS_ARRIVAL_MS: u64 = 0;
/// The metric of an announced prefix's stub link.
pub const ANNOUNCE_COST: u16 = 1;

/// The `[ospf]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OspfdConfig {
    pub router_id: Ipv4Addr,
    /// Metric of the routes installed in the kernel.
    pub distance: u32,
    /// Leave the routes in the kernel when the daemon stops (a restart adopts them).
    pub keep_routes_on_stop: bool,
    pub interfaces: Vec<InterfaceSpec>,
    /// Prefixes whose addresses (on any interface) are announced as stub links.
    pub announce: Vec<Prefix>,
    /// Prefixes whose addresses (on any interface) are announced as AS-external routes.
    pub external: Vec<ExternalSpec>,
    pub spf_delay: SpfDelayConfig,
    pub max_lsas: usize,
    /// MinLSInterval: shortest time between two originations of one own LSA.
    pub min_ls_interval: Duration,
    /// MinLSArrival: shortest time between two accepted instances of one received LSA.
    pub min_ls_arrival: Duration,
}

/// One `[[ospf.interface]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceSpec {
    pub name: String,
    pub network: NetworkType,
    pub cost: u16,
    pub hello_interval: u16,
    pub dead_interval: u32,
    pub priority: u8,
    pub retransmit_interval: u16,
    pub transmit_delay: u16,
    pub passive: bool,
    pub mtu_ignore: bool,
    pub auth: InterfaceAuth,
}

/// One `[[ospf.external]]`: addresses within `prefix` present on the node are announced as
/// AS-external routes (type-5 LSAs), with this forwarding address, metric and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalSpec {
    pub prefix: Prefix,
    pub forwarding_address: Ipv4Addr,
    pub metric: u32,
    pub metric_type: ExternalMetricType,
    pub tag: u32,
}

/// `metric` of an external route unless configured (FRR's default for redistribution).
pub const DEFAULT_EXTERNAL_METRIC: u64 = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExternal {
    prefix: String,
    forwarding_address: Option<Ipv4Addr>,
    metric: Option<Ranged<0, 16_777_214>>,
    metric_type: Option<Ranged<1, 2>>,
    tag: Option<u32>,
}

impl<'de> Deserialize<'de> for ExternalSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(
            deserializer,
            "external",
            &["prefix", "forwarding-address", "metric", "metric-type", "tag"],
            |raw: RawExternal| {
                let prefix = Prefix::parse(&raw.prefix)?;
                let forwarding_address = raw.forwarding_address.unwrap_or(Ipv4Addr::UNSPECIFIED);
                if forwarding_address.is_multicast() || forwarding_address.is_broadcast() {
                    return Err(format!(
                        "external {prefix}: {forwarding_address} cannot be a forwarding address"
                    ));
                }
                Ok(ExternalSpec {
                    prefix,
                    forwarding_address,
                    metric: u32::try_from(raw.metric.map_or(DEFAULT_EXTERNAL_METRIC, |metric| metric.0)).unwrap_or(20),
                    metric_type: if raw.metric_type.is_some_and(|metric_type| metric_type.0 == 1) {
                        ExternalMetricType::Type1
                    } else {
                        ExternalMetricType::Type2
                    },
                    tag: raw.tag.unwrap_or(0),
                })
            },
        )
    }
}

/// An IPv4 prefix `A.B.C.D/L` without host bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    pub address: Ipv4Addr,
    pub len: u8,
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.len)
    }
}

impl Prefix {
    /// Parses `A.B.C.D/L` (or `A.B.C.D`, a /32); refuses host bits.
    pub fn parse(text: &str) -> Result<Prefix, String> {
        let (address, len) = match text.split_once('/') {
            Some((address, len)) => (address, Some(len)),
            None => (text, None),
        };
        let address: Ipv4Addr = address
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IPv4 prefix (A.B.C.D/L)"))?;
        let len = match len {
            None => 32,
            Some(len) => match len.trim().parse::<u8>() {
                Ok(len) if len <= 32 => len,
                _ => return Err(format!("`{text}`: the prefix length must be 0 to 32")),
            },
        };
        let network = okapi_ospf::config::network(address, len);
        if network != address {
            return Err(format!("`{text}` has host bits set (the prefix is {network}/{len})"));
        }
        Ok(Prefix { address, len })
    }
}

impl OspfdConfig {
    /// The instance's configuration: interfaces resolved by name in `links` (the ones that do
    /// not exist are left out until they appear), announced prefixes, limits and timers.
    /// `crypto_sequence_start` is the first MD5 sequence number (wall-clock seconds).
    pub fn protocol_config(&self, links: &InterfaceTable, crypto_sequence_start: u32) -> Config {
        let mut config = Config::new(self.router_id);
        for spec in &self.interfaces {
            if let Some(link) = links.by_name(&spec.name) {
                config.interfaces.push(spec.protocol_config(link.ifindex()));
            }
        }
        config.announce = self
            .announce
            .iter()
            .map(|prefix| AnnouncedPrefix {
                prefix: prefix.address,
                len: prefix.len,
                cost: ANNOUNCE_COST,
            })
            .collect();
        config.external = self
            .external
            .iter()
            .map(|external| ExternalPrefix {
                prefix: external.prefix.address,
                len: external.prefix.len,
                metric: external.metric,
                metric_type: external.metric_type,
                forwarding_address: external.forwarding_address,
                route_tag: external.tag,
            })
            .collect();
        config.max_lsas = self.max_lsas;
        config.min_ls_interval = self.min_ls_interval;
        config.min_ls_arrival = self.min_ls_arrival;
        config.spf_delay = self.spf_delay;
        config.crypto_sequence_start = crypto_sequence_start;
        config
    }

    /// The largest dead interval of the configured interfaces (the restart grace period is
    /// based on it).
    pub fn max_dead_interval(&self) -> Duration {
        let secs = self
            .interfaces
            .iter()
            .map(|spec| spec.dead_interval)
            .max()
            .unwrap_or(40);
        Duration::from_secs(u64::from(secs))
    }

    #[cfg(test)]
    pub fn interface(&self, name: &str) -> Option<&InterfaceSpec> {
        self.interfaces.iter().find(|spec| spec.name == name)
    }
}

impl InterfaceSpec {
    pub fn protocol_config(&self, ifindex: u32) -> InterfaceConfig {
        let mut config = InterfaceConfig::new(ifindex, self.name.clone());
        config.network_type = self.network;
        config.cost = self.cost;
        config.hello_interval = self.hello_interval;
        config.dead_interval = self.dead_interval;
        config.priority = self.priority;
        config.retransmit_interval = self.retransmit_interval;
        config.transmit_delay = self.transmit_delay;
        config.passive = self.passive;
        config.mtu_ignore = self.mtu_ignore;
        config.auth = self.auth.clone();
        config
    }
}

// ───────────────────────────────────── raw tables ─────────────────────────────────────

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    router_id: RouterId,
    #[serde(default)]
    distance: Option<u32>,
    #[serde(default)]
    keep_routes_on_stop: bool,
    #[serde(default)]
    interface: InterfaceList,
    #[serde(default)]
    announce: PrefixList,
    #[serde(default)]
    external: Vec<ExternalSpec>,
    #[serde(default)]
    spf_delay: Option<SpfDelay>,
    #[serde(default)]
    max_lsas: Option<Ranged<1, 10_000_000>>,
    #[serde(default)]
    min_ls_interval: Option<Ranged<0, 60_000>>,
    #[serde(default)]
    min_ls_arrival: Option<Ranged<0, 60_000>>,
}

const CONFIG_FIELDS: &[&str] = &[
    "router-id",
    "distance",
    "keep-routes-on-stop",
    "interface",
    "announce",
    "external",
    "spf-delay",
    "max-lsas",
    "min-ls-interval",
    "min-ls-arrival",
];

impl<'de> Deserialize<'de> for OspfdConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(deserializer, "ospf", CONFIG_FIELDS, |raw: RawConfig| {
            Ok(OspfdConfig {
                router_id: raw.router_id.0,
                distance: raw.distance.unwrap_or(DEFAULT_DISTANCE),
                keep_routes_on_stop: raw.keep_routes_on_stop,
                interfaces: raw.interface.0,
                announce: raw.announce.0,
                external: raw.external,
                spf_delay: raw.spf_delay.map(|delay| delay.0).unwrap_or_else(default_spf_delay),
                max_lsas: usize::try_from(raw.max_lsas.map_or(DEFAULT_MAX_LSAS, |max| max.0)).unwrap_or(usize::MAX),
                min_ls_interval: Duration::from_millis(
                    raw.min_ls_interval
                        .map_or(DEFAULT_MIN_LS_INTERVAL_MS, |interval| interval.0),
                ),
                min_ls_arrival: Duration::from_millis(
                    raw.min_ls_arrival
                        .map_or(DEFAULT_MIN_LS_ARRIVAL_MS, |arrival| arrival.0),
                ),
            })
        })
    }
}

/// SPF delays (RFC 8405) for a small area where convergence time is what matters (an SPF
/// of a few hundred routers takes well under a millisecond, 10,000 routers about 15 ms): the
/// first SPF after a quiet period runs 10 ms after the change (a burst of LSAs in consecutive
/// packets is computed once), further ones within the next 500 ms 50 ms after theirs, a
/// longer storm every 250 ms, and 1 s without changes returns to the quiet state (so an
/// adjacency that comes back a second after it went is computed at once).
pub fn default_spf_delay() -> SpfDelayConfig {
    SpfDelayConfig {
        initial_delay: Duration::from_millis(10),
        short_delay: Duration::from_millis(50),
        long_delay: Duration::from_millis(250),
        time_to_learn: Duration::from_millis(500),
        holddown: Duration::from_millis(1_000),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSpfDelay {
    initial: Option<Ranged<0, 60_000>>,
    short: Option<Ranged<0, 60_000>>,
    long: Option<Ranged<0, 600_000>>,
    learn: Option<Ranged<0, 600_000>>,
    holddown: Option<Ranged<0, 600_000>>,
}

struct SpfDelay(SpfDelayConfig);

impl<'de> Deserialize<'de> for SpfDelay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        checked_table(
            deserializer,
            "spf-delay",
            &["initial", "short", "long", "learn", "holddown"],
            |raw: RawSpfDelay| {
                let defaults = default_spf_delay();
                let ms = |value: Option<Ranged<0, 600_000>>, default: Duration| {
                    value.map_or(default, |value| Duration::from_millis(value.0))
                };
                let config = SpfDelayConfig {
                    initial_delay: raw
                        .initial
                        .map_or(defaults.initial_delay, |v| Duration::from_millis(v.0)),
                    short_delay: raw.short.map_or(defaults.short_delay, |v| Duration::from_millis(v.0)),
                    long_delay: ms(raw.long, defaults.long_delay),
                    time_to_learn: ms(raw.learn, defaults.time_to_learn),
                    holddown: ms(raw.holddown, defaults.holddown),
                };
                if config.initial_delay > config.short_delay || config.short_delay > config.long_delay {
                    return Err(format!(
                        "spf-delay: initial ({} ms) <= short ({} ms) <= long ({} ms) is required",
                        config.initial_delay.as_millis(),
                        config.short_delay.as_millis(),
                        config.long_delay.as_millis()
                    ));
                }
                if config.holddown < config.time_to_learn {
                    return Err(format!(
                        "spf-delay: holddown ({} ms) must not be shorter than learn ({} ms)",
                        config.holddown.as_millis(),
                        config.time_to_learn.as_millis()
                    ));
                }
                Ok(SpfDelay(config))
            },
        )
    }
}

/// `network = "point-to-point" | "broadcast"`.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum RawNetwork {
    PointToPoint,
    Broadcast,
}

/// `authentication = "none" | "message-digest" | "simple"`.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum RawAuthentication {
    None,
    MessageDigest,
    Simple,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawInterface {
    name: String,
    network: Option<RawNetwork>,
    cost: Option<Ranged<1, 65_535>>,
    hello_interval: Option<Ranged<1, 65_535>>,
    dead_interval: Option<Ranged<1, 4_294_967_295>>,
    priority: Option<Ranged<0, 255>>,
    retransmit_interval: Option<Ranged<1, 3_600>>,
    transmit_delay: Option<Ranged<1, 3_600>>,
    #[serde(default)]
    passive: bool,
    #[serde(default)]
    mtu_ignore: bool,
    authentication: Option<RawAuthentication>,
    #[serde(default)]
    message_digest_key: Vec<RawKey>,
    password: Option<String>,
}

const INTERFACE_FIELDS: &[&str] = &[
    "name",
    "network",
    "cost",
    "hello-interval",
    "dead-interval",
    "priority",
    "retransmit-interval",
    "transmit-delay",
    "passive",
    "mtu-ignore",
    "authentication",
    "message-digest-key",
    "password",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    id: Ranged<1, 255>,
    key: String,
}

impl RawInterface {
    fn validate(self) -> Result<InterfaceSpec, String> {
        let name = self.name;
        check_interface_name(&name).map_err(|error| format!("interface name {error}"))?;
        let hello = self.hello_interval.map_or(10, |v| v.0);
        let dead = self.dead_interval.map_or(hello.saturating_mul(4), |v| v.0);
        if dead <= hello {
            return Err(format!(
                "interface {name}: dead-interval ({dead} s) must be longer than hello-interval ({hello} s)"
            ));
        }
        let authentication = self.authentication.unwrap_or(RawAuthentication::None);
        if authentication != RawAuthentication::MessageDigest && !self.message_digest_key.is_empty() {
            return Err(format!(
                "interface {name}: message-digest-key needs authentication = \"message-digest\""
            ));
        }
        if authentication != RawAuthentication::Simple && self.password.is_some() {
            return Err(format!("interface {name}: password needs authentication = \"simple\""));
        }
        let auth = match authentication {
            RawAuthentication::None => InterfaceAuth::None,
            RawAuthentication::Simple => {
                let Some(password) = self.password else {
                    return Err(format!(
                        "interface {name}: authentication = \"simple\" needs a password"
                    ));
                };
                let password = SimplePassword::new(password.as_bytes())
                    .ok_or_else(|| format!("interface {name}: the simple password is longer than 8 bytes"))?;
                InterfaceAuth::Simple(password)
            }
            RawAuthentication::MessageDigest => {
                if self.message_digest_key.is_empty() {
                    return Err(format!(
                        "interface {name}: authentication = \"message-digest\" needs at least one \
                         [[ospf.interface.message-digest-key]] with id and key"
                    ));
                }
                let mut keys = Md5Keys::new();
                let mut send_key_id = 0u8;
                for raw in self.message_digest_key {
                    let id = u8::try_from(raw.id.0).unwrap_or(u8::MAX);
                    if keys.get(id).is_some() {
                        return Err(format!(
                            "interface {name}: message-digest-key id {id} is configured twice"
                        ));
                    }
                    if raw.key.is_empty() {
                        return Err(format!("interface {name}: message-digest-key {id} is empty"));
                    }
                    let key = Md5Key::new(raw.key.as_bytes())
                        .ok_or_else(|| format!("interface {name}: message-digest-key {id} is longer than 16 bytes"))?;
                    keys.insert(id, key);
                    send_key_id = send_key_id.max(id);
                }
                InterfaceAuth::Md5 { keys, send_key_id }
            }
        };
        let narrow = |value: u64| u16::try_from(value).unwrap_or(u16::MAX);
        Ok(InterfaceSpec {
            network: match self.network.unwrap_or(RawNetwork::Broadcast) {
                RawNetwork::PointToPoint => NetworkType::PointToPoint,
                RawNetwork::Broadcast => NetworkType::Broadcast,
            },
            cost: narrow(self.cost.map_or(10, |v| v.0)),
            hello_interval: narrow(hello),
            dead_interval: u32::try_from(dead).unwrap_or(u32::MAX),
            priority: u8::try_from(self.priority.map_or(1, |v| v.0)).unwrap_or(u8::MAX),
            retransmit_interval: narrow(self.retransmit_interval.map_or(5, |v| v.0)),
            transmit_delay: narrow(self.transmit_delay.map_or(1, |v| v.0)),
            passive: self.passive,
            mtu_ignore: self.mtu_ignore,
            auth,
            name,
        })
    }
}

// ───────────────────────────── lists with duplicate checks ─────────────────────────────

/// `[[ospf.interface]]` entries; a name given twice is an error at the second one.
#[derive(Default)]
struct InterfaceList(Vec<InterfaceSpec>);

impl<'de> Deserialize<'de> for InterfaceList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = InterfaceList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of interface tables ([[ospf.interface]])")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InterfaceList, A::Error> {
                let mut list: Vec<InterfaceSpec> = Vec::new();
                while let Some(spec) = seq.next_element_seed(UniqueInterface { seen: &list })? {
                    list.push(spec);
                }
                Ok(InterfaceList(list))
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

struct UniqueInterface<'a> {
    seen: &'a [InterfaceSpec],
}

impl<'de> DeserializeSeed<'de> for UniqueInterface<'_> {
    type Value = InterfaceSpec;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<InterfaceSpec, D::Error> {
        let seen = self.seen;
        checked_table(deserializer, "interface", INTERFACE_FIELDS, move |raw: RawInterface| {
            let spec = raw.validate()?;
            if seen.iter().any(|other| other.name == spec.name) {
                return Err(format!("interface {} is configured twice", spec.name));
            }
            Ok(spec)
        })
    }
}

/// `announce = [...]`; a prefix given twice is an error at the second one.
#[derive(Default)]
struct PrefixList(Vec<Prefix>);

impl<'de> Deserialize<'de> for PrefixList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = PrefixList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of IPv4 prefixes such as [\"198.51.100.1/32\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PrefixList, A::Error> {
                let mut list: Vec<Prefix> = Vec::new();
                while let Some(prefix) = seq.next_element_seed(UniquePrefix { seen: &list })? {
                    list.push(prefix);
                }
                Ok(PrefixList(list))
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

struct UniquePrefix<'a> {
    seen: &'a [Prefix],
}

impl<'de> DeserializeSeed<'de> for UniquePrefix<'_> {
    type Value = Prefix;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Prefix, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for UniquePrefix<'_> {
    type Value = Prefix;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an IPv4 prefix such as \"198.51.100.1/32\"")
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Prefix, E> {
        let prefix = Prefix::parse(text).map_err(E::custom)?;
        if self.seen.contains(&prefix) {
            return Err(E::custom(format!("{prefix} is announced twice")));
        }
        Ok(prefix)
    }
}

// ─────────────────────────────────── checked values ───────────────────────────────────

/// A router ID: a dotted quad other than 0.0.0.0.
struct RouterId(Ipv4Addr);

impl<'de> Deserialize<'de> for RouterId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RouterIdVisitor;
        impl Visitor<'_> for RouterIdVisitor {
            type Value = RouterId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a router ID as a dotted quad, such as \"10.0.0.1\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<RouterId, E> {
                match text.parse::<Ipv4Addr>() {
                    Ok(id) if !id.is_unspecified() => Ok(RouterId(id)),
                    Ok(_) => Err(E::custom("the router ID 0.0.0.0 is reserved")),
                    Err(_) => Err(E::invalid_value(Unexpected::Str(text), &self)),
                }
            }
        }
        deserializer.deserialize_str(RouterIdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okapi_runtime::config::parse;
    use okapi_runtime::netlink::{Address, Link};
    use std::path::Path;

    fn load(text: &str) -> Result<OspfdConfig, String> {
        parse::<OspfdConfig>(text, Path::new("okapi.toml"), "ospf")
            .map_err(|error| error.to_string())
            .and_then(|config| config.ok_or_else(|| "no [ospf]".to_string()))
    }

    const FULL: &str = r#"
[ospf]
router-id = "10.0.0.1"
distance = 120
keep-routes-on-stop = true
announce = ["198.51.100.1/32", "203.0.113.0/24"]
max-lsas = 5000
min-ls-interval = 100
min-ls-arrival = 1000

[[ospf.external]]
prefix = "192.0.2.0/24"
forwarding-address = "10.0.1.100"
metric = 10
metric-type = 1
tag = 7

[ospf.spf-delay]
initial = 0
short = 20
long = 500
learn = 200
holddown = 1000

[[ospf.interface]]
name = "eth1"
network = "point-to-point"
cost = 5
hello-interval = 1
dead-interval = 4
retransmit-interval = 1
mtu-ignore = true
authentication = "message-digest"
[[ospf.interface.message-digest-key]]
id = 1
key = "old"
[[ospf.interface.message-digest-key]]
id = 7
key = "new"

[[ospf.interface]]
name = "eth2"
priority = 0
passive = true
authentication = "simple"
password = "secret"
"#;

    #[test]
    fn reads_every_key() {
        let config = load(FULL).expect("valid");
        assert_eq!(config.router_id, Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(config.distance, 120);
        assert!(config.keep_routes_on_stop);
        assert_eq!(config.max_lsas, 5000);
        assert_eq!(config.min_ls_interval, Duration::from_millis(100));
        assert_eq!(config.min_ls_arrival, Duration::from_secs(1));
        assert_eq!(config.spf_delay.initial_delay, Duration::ZERO);
        assert_eq!(config.spf_delay.holddown, Duration::from_secs(1));
        assert_eq!(
            config.announce,
            vec![
                Prefix::parse("198.51.100.1/32").unwrap(),
                Prefix::parse("203.0.113.0/24").unwrap()
            ]
        );
        assert_eq!(
            config.external,
            vec![ExternalSpec {
                prefix: Prefix::parse("192.0.2.0/24").unwrap(),
                forwarding_address: Ipv4Addr::new(10, 0, 1, 100),
                metric: 10,
                metric_type: ExternalMetricType::Type1,
                tag: 7,
            }]
        );
        let eth1 = config.interface("eth1").expect("eth1");
        assert_eq!(eth1.network, NetworkType::PointToPoint);
        assert_eq!((eth1.cost, eth1.hello_interval, eth1.dead_interval), (5, 1, 4));
        assert_eq!(
            (eth1.priority, eth1.retransmit_interval, eth1.transmit_delay),
            (1, 1, 1)
        );
        assert!(eth1.mtu_ignore && !eth1.passive);
        match &eth1.auth {
            InterfaceAuth::Md5 { keys, send_key_id } => {
                assert_eq!(*send_key_id, 7, "the highest id signs");
                assert_eq!(keys.key_ids().collect::<Vec<_>>(), vec![1, 7]);
            }
            other => panic!("{other:?}"),
        }
        let eth2 = config.interface("eth2").expect("eth2");
        assert_eq!(eth2.network, NetworkType::Broadcast);
        assert_eq!((eth2.hello_interval, eth2.dead_interval), (10, 40));
        assert!(eth2.passive && eth2.priority == 0);
        assert_eq!(eth2.auth.kind(), "simple");
    }

    #[test]
    fn defaults() {
        let config =
            load("[ospf]\nrouter-id = \"192.0.2.1\"\n[[ospf.interface]]\nname = \"eth1\"\nhello-interval = 2\n")
                .expect("valid");
        assert_eq!(config.distance, DEFAULT_DISTANCE);
        assert!(!config.keep_routes_on_stop);
        assert_eq!(config.spf_delay, default_spf_delay());
        assert_eq!(config.max_lsas, 100_000);
        assert_eq!(config.min_ls_interval, Duration::from_secs(1));
        assert_eq!(config.min_ls_arrival, Duration::ZERO);
        let eth1 = &config.interfaces[0];
        assert_eq!((eth1.hello_interval, eth1.dead_interval), (2, 8), "dead = 4 x hello");
        assert_eq!(eth1.auth, InterfaceAuth::None);
    }

    fn error(text: &str) -> String {
        load(text).expect_err("invalid")
    }

    #[test]
    fn errors_name_the_place() {
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\ncolour = 1\n");
        assert!(e.starts_with("okapi.toml:3:1: unknown field `colour`"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.256\"\n");
        assert!(e.starts_with("okapi.toml:2:13: invalid value"), "{e}");
        let e = error("[ospf]\nrouter-id = \"0.0.0.0\"\n");
        assert!(
            e.starts_with("okapi.toml:2:13: the router ID 0.0.0.0 is reserved"),
            "{e}"
        );
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\nannounce = [\"10.0.0.1/24\"]\n");
        assert!(e.starts_with("okapi.toml:3:13: `10.0.0.1/24` has host bits set"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\nannounce = [\"10.0.0.0/33\"]\n");
        assert!(e.contains("prefix length must be 0 to 32"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\nannounce = [\"10.0.0.1/32\", \"10.0.0.1\"]\n");
        assert!(e.starts_with("okapi.toml:3:28: 10.0.0.1/32 is announced twice"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\ncost = 0\n");
        assert!(
            e.starts_with("okapi.toml:5:8: invalid value: integer `0`, expected an integer from 1 to 65535"),
            "{e}"
        );
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\nnetwork = \"nbma\"\n");
        assert!(e.starts_with("okapi.toml:5:11: unknown variant `nbma`"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\nmtu = 1\n");
        assert!(e.starts_with("okapi.toml:5:1: unknown field `mtu`"), "{e}");
    }

    #[test]
    fn table_level_checks_name_the_table() {
        let text = "[ospf]\nrouter-id = \"10.0.0.1\"\n\n[[ospf.interface]]\nname = \"eth1\"\nhello-interval = 4\ndead-interval = 4\n";
        let e = error(text);
        assert!(
            e.contains("interface eth1: dead-interval (4 s) must be longer than hello-interval (4 s)"),
            "{e}"
        );
        assert!(e.starts_with("okapi.toml:4:1: "), "the [[ospf.interface]] header: {e}");
        let text = "[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\n\n[[ospf.interface]]\nname = \"eth1\"\n";
        let e = error(text);
        assert!(e.contains("interface eth1 is configured twice"), "{e}");
        assert!(e.starts_with("okapi.toml:6:1: "), "the second [[ospf.interface]]: {e}");
        let e = error(
            "[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\nauthentication = \"message-digest\"\n",
        );
        assert!(
            e.contains("needs at least one [[ospf.interface.message-digest-key]]"),
            "{e}"
        );
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\npassword = \"x\"\n");
        assert!(e.contains("password needs authentication = \"simple\""), "{e}");
        let e = error(
            "[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\nauthentication = \"simple\"\npassword = \"123456789\"\n",
        );
        assert!(e.contains("longer than 8 bytes"), "{e}");
        let e = error(
            "[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"eth1\"\nauthentication = \"message-digest\"\n\
             [[ospf.interface.message-digest-key]]\nid = 1\nkey = \"a\"\n[[ospf.interface.message-digest-key]]\nid = 1\nkey = \"b\"\n",
        );
        assert!(e.contains("message-digest-key id 1 is configured twice"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\n[[ospf.interface]]\nname = \"a/b\"\n");
        assert!(e.contains("is not a Linux interface name"), "{e}");
        let e = error("[ospf]\nrouter-id = \"10.0.0.1\"\n[ospf.spf-delay]\nshort = 2000\n");
        assert!(e.contains("short (2000 ms) <= long (250 ms)"), "{e}");
        assert!(e.starts_with("okapi.toml:3:1: "), "{e}");
        let e = error("[ospf]\n");
        assert!(e.contains("missing field `router-id`"), "{e}");
    }

    #[test]
    fn protocol_config_resolves_names() {
        let config = load(FULL).expect("valid");
        let link = |ifindex: u32, name: &str| Link {
            ifindex,
            name: name.to_string(),
            admin_up: true,
            oper_state: "up".to_string(),
            mtu: 1500,
            mac: None,
            kind: None,
        };
        let table = InterfaceTable::from_dump(
            vec![link(1, "lo"), link(7, "eth1")],
            vec![Address {
                ifindex: 7,
                address: "10.0.12.1".parse().unwrap(),
                prefix_len: 30,
            }],
        );
        let protocol = config.protocol_config(&table, 42);
        assert_eq!(protocol.interfaces.len(), 1, "eth2 does not exist yet");
        assert_eq!(protocol.interfaces[0].ifindex, 7);
        assert_eq!(protocol.interfaces[0].network_type, NetworkType::PointToPoint);
        assert_eq!(protocol.crypto_sequence_start, 42);
        assert_eq!(protocol.announce.len(), 2);
        assert_eq!(protocol.max_lsas, 5000);
        assert_eq!(protocol.min_ls_arrival, Duration::from_secs(1));
        assert_eq!(config.max_dead_interval(), Duration::from_secs(40));
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            Prefix::parse("203.0.113.10").unwrap(),
            Prefix {
                address: Ipv4Addr::new(203, 0, 113, 10),
                len: 32
            }
        );
        assert!(Prefix::parse("0.0.0.0/0").is_ok());
        assert!(Prefix::parse("fe80::/64").is_err());
        assert!(Prefix::parse("10.0.0.0/x").is_err());
    }
}
