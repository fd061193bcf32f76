//! The configuration of an OSPF instance: router ID, interfaces by ifindex, announced
//! prefixes, limits. The daemon builds it from okapi.toml (names resolved to ifindexes) and
//! hands it to [`Instance::new`](crate::Instance::new) or
//! [`Input::ConfigChanged`](crate::Input::ConfigChanged).

use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Serialize;

use crate::packet::{Md5Keys, SimplePassword};
use crate::spf::SpfDelayConfig;

/// The network type of an interface (§1.2). NBMA and point-to-multipoint are not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkType {
    PointToPoint,
    Broadcast,
}

/// The authentication of an interface (Appendix D).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum InterfaceAuth {
    #[default]
    None,
    /// D.4.2: a simple password.
    Simple(SimplePassword),
    /// D.4.3: keyed MD5; every key is accepted on receipt, `send_key_id` signs what is sent.
    Md5 { keys: Md5Keys, send_key_id: u8 },
}

impl InterfaceAuth {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Simple(_) => "simple",
            Self::Md5 { .. } => "md5",
        }
    }
}

/// The per-interface variables of §9 that are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    pub ifindex: u32,
    /// The interface's name, for views and logs.
    pub name: String,
    pub network_type: NetworkType,
    /// Interface output cost (§9), 1..=65535.
    pub cost: u16,
    /// HelloInterval in seconds (§9).
    pub hello_interval: u16,
    /// RouterDeadInterval in seconds (§9).
    pub dead_interval: u32,
    /// Router Priority (§9): 0 never becomes DR or BDR.
    pub priority: u8,
    /// RxmtInterval in seconds (§9).
    pub retransmit_interval: u16,
    /// InfTransDelay in seconds (§9).
    pub transmit_delay: u16,
    /// Announce the subnet as a stub network, send no Hellos, form no adjacencies.
    pub passive: bool,
    pub auth: InterfaceAuth,
    /// Accept Database Description packets whose Interface MTU exceeds ours (§10.6 check
    /// off, as FRR's `ip ospf mtu-ignore`).
    pub mtu_ignore: bool,
    /// RFC 5082-style: send with TTL 255 and accept only TTL 255. Off: send with TTL 1 and
    /// accept any TTL.
    pub ttl_security: bool,
}

impl InterfaceConfig {
    /// An interface with the RFC's suggested defaults (§C.3): broadcast, cost 10, Hello 10 s,
    /// dead 40 s, priority 1, retransmit 5 s, transmit delay 1 s.
    pub fn new(ifindex: u32, name: impl Into<String>) -> Self {
        Self {
            ifindex,
            name: name.into(),
            network_type: NetworkType::Broadcast,
            cost: 10,
            hello_interval: 10,
            dead_interval: 40,
            priority: 1,
            retransmit_interval: 5,
            transmit_delay: 1,
            passive: false,
            auth: InterfaceAuth::None,
            mtu_ignore: false,
            ttl_security: false,
        }
    }

    pub fn point_to_point(mut self) -> Self {
        self.network_type = NetworkType::PointToPoint;
        self
    }

    pub(crate) fn hello(&self) -> Duration {
        Duration::from_secs(u64::from(self.hello_interval.max(1)))
    }

    pub(crate) fn dead(&self) -> Duration {
        Duration::from_secs(u64::from(self.dead_interval.max(1)))
    }

    pub(crate) fn retransmit(&self) -> Duration {
        Duration::from_secs(u64::from(self.retransmit_interval.max(1)))
    }

    /// Changes that need the interface restarted (everything but the cost).
    pub(crate) fn needs_restart(&self, other: &Self) -> bool {
        Self {
            cost: other.cost,
            ..self.clone()
        } != *other
    }
}

/// Addresses to announce as stub networks when present on the node (loopbacks, VIPs):
/// an address `a/l` on any interface is announced as the network of `a/l` when it falls
/// within `prefix/len` (`l >= len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct AnnouncedPrefix {
    pub prefix: Ipv4Addr,
    pub len: u8,
    /// The stub link's metric.
    pub cost: u16,
}

impl AnnouncedPrefix {
    pub fn covers(&self, address: Ipv4Addr, len: u8) -> bool {
        len >= self.len && len <= 32 && network(address, self.len) == network(self.prefix, self.len)
    }
}

/// Addresses to announce as AS-external routes (RFC 2328 §12.4.4, type-5 LSAs) when present
/// on the node: an address `a/l` within `prefix/len` is announced as the network of `a/l`
/// with this metric and forwarding address. With a forwarding address on a shared LAN (a
/// VRRP virtual address), the other routers send the traffic to whichever router holds that
/// address now (§16.4: the route's next hop is the forwarding address), so traffic follows
/// VRRP failover at once, without waiting for OSPF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ExternalPrefix {
    pub prefix: Ipv4Addr,
    pub len: u8,
    /// 24 bits.
    pub metric: u32,
    pub metric_type: crate::lsa::ExternalMetricType,
    /// 0.0.0.0: to this router.
    pub forwarding_address: Ipv4Addr,
    pub route_tag: u32,
}

impl ExternalPrefix {
    pub fn covers(&self, address: Ipv4Addr, len: u8) -> bool {
        len >= self.len && len <= 32 && network(address, self.len) == network(self.prefix, self.len)
    }
}

/// The configuration of one instance (one router, area 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub router_id: Ipv4Addr,
    pub interfaces: Vec<InterfaceConfig>,
    pub announce: Vec<AnnouncedPrefix>,
    /// Addresses announced as AS-external routes (this router is then an ASBR).
    pub external: Vec<ExternalPrefix>,
    /// The most LSAs the database holds; more are refused and counted (`lsdb-full`).
    pub max_lsas: usize,
    /// The most neighbors on one interface; more Hellos are refused (`too-many-neighbors`).
    pub max_neighbors_per_interface: usize,
    /// How long acknowledgments are held to be sent together (§13.5), below RxmtInterval.
    pub ack_delay: Duration,
    /// The first cryptographic sequence number sent (D.4.3: it must not decrease across
    /// restarts; the daemon passes the wall-clock seconds since the epoch).
    pub crypto_sequence_start: u32,
    /// MinLSInterval (§B, 5 s): the shortest time between two originations of one own
    /// LSA (FRR's `timers throttle lsa all`).
    pub min_ls_interval: Duration,
    /// MinLSArrival (§B, 1 s): a newer instance of an LSA received sooner than this after
    /// the database copy was flooded to us is discarded (§13 (5a)); also the least time
    /// between two direct sends of a database copy (§13 (8)). FRR's
    /// `timers lsa min-arrival`.
    pub min_ls_arrival: Duration,
    /// RFC 8405 SPF delay parameters.
    pub spf_delay: SpfDelayConfig,
}

impl Config {
    pub fn new(router_id: Ipv4Addr) -> Self {
        Self {
            router_id,
            interfaces: Vec::new(),
            announce: Vec::new(),
            external: Vec::new(),
            max_lsas: 100_000,
            max_neighbors_per_interface: 256,
            ack_delay: Duration::from_millis(500),
            crypto_sequence_start: 0,
            min_ls_interval: crate::lsdb::MIN_LS_INTERVAL,
            min_ls_arrival: crate::lsdb::MIN_LS_ARRIVAL,
            spf_delay: SpfDelayConfig::default(),
        }
    }

    pub fn interface(mut self, interface: InterfaceConfig) -> Self {
        self.interfaces.push(interface);
        self
    }

    pub fn announce(mut self, prefix: Ipv4Addr, len: u8, cost: u16) -> Self {
        self.announce.push(AnnouncedPrefix { prefix, len, cost });
        self
    }

    pub(crate) fn interface_config(&self, ifindex: u32) -> Option<&InterfaceConfig> {
        self.interfaces.iter().find(|interface| interface.ifindex == ifindex)
    }
}

/// The mask of a prefix length (0..=32; longer is treated as 32).
pub fn mask(len: u8) -> Ipv4Addr {
    let len = u32::from(len.min(32));
    Ipv4Addr::from(u32::MAX.checked_shl(32 - len).unwrap_or(0))
}

/// The prefix length of a mask (its leading ones).
pub fn mask_len(mask: Ipv4Addr) -> u8 {
    u32::from(mask).leading_ones() as u8
}

/// The network address of `address/len`.
pub fn network(address: Ipv4Addr, len: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(address) & u32::from(mask(len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask(0), Ipv4Addr::UNSPECIFIED);
        assert_eq!(mask(24), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(mask(32), Ipv4Addr::BROADCAST);
        assert_eq!(mask_len(Ipv4Addr::new(255, 255, 255, 252)), 30);
        assert_eq!(network(Ipv4Addr::new(10, 1, 2, 3), 16), Ipv4Addr::new(10, 1, 0, 0));
    }

    #[test]
    fn announced_prefix_covers_longer_addresses_inside() {
        let vips = AnnouncedPrefix {
            prefix: Ipv4Addr::new(192, 0, 2, 0),
            len: 24,
            cost: 0,
        };
        assert!(vips.covers(Ipv4Addr::new(192, 0, 2, 10), 32));
        assert!(vips.covers(Ipv4Addr::new(192, 0, 2, 0), 24));
        assert!(!vips.covers(Ipv4Addr::new(192, 0, 2, 0), 23));
        assert!(!vips.covers(Ipv4Addr::new(192, 0, 3, 1), 32));
    }

    #[test]
    fn cost_change_does_not_restart() {
        let a = InterfaceConfig::new(1, "eth0");
        let b = InterfaceConfig { cost: 20, ..a.clone() };
        assert!(!a.needs_restart(&b));
        let c = InterfaceConfig {
            hello_interval: 1,
            ..a.clone()
        };
        assert!(a.needs_restart(&c));
    }
}
