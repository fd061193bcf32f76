//! Handover: a new Master keeps the old one's connections alive.
//!
//! A balancer pair announces the same public addresses from both nodes (`announce-addresses`,
//! on `lo` of every healthy node); VRRP only decides which node the upstream sends them to.
//! When a Master is preempted while it is alive (a drain lowers its priority, an undrain
//! raises the peer's), its TCP connections are still open, but their next packets reach the
//! new Master, which has no socket for them and would answer with a reset. So, before its
//! first advert and its gratuitous ARPs move the traffic (RFC 5798 §6.4.2,
//! [`okapi_vrrp::Output::Handover`]), the new Master installs:
//!
//! ```text
//!   table netdev okapi_vrrpd_handover_<ifindex>_<vrid>_<4|6>
//!     set vips  { announce prefixes of the old master's family }
//!     set local { client . port . vip . port }   # this node's connections
//!     chain ingress { type filter hook ingress device <interface> priority 0
//!       tcp SYN to @vips          -> add to @local, accept      (new connections are ours)
//!       tcp to @vips in @local    -> accept
//!       tcp to @vips              -> count, fwd to <old master>  (its connections)
//!     }
//! ```
//!
//! `@local` starts with this node's own sockets on those addresses (`/proc/net/tcp`), so a
//! connection it already served stays here. The old master still has the addresses on `lo`
//! (a Backup keeps them; a drained node keeps them while it has connections, see
//! `drain-timeout-ms`), so it answers the forwarded packets itself and its replies go
//! straight to the client. `fwd` sends the frame from the ingress hook to the old master's
//! MAC without touching the IP stack here: no forwarding sysctl, no redirect, no conntrack.
//! `fwd` decrements the TTL (hop limit) as a router would, so a packet that two briefly
//! coexisting tables bounce (one neither node has a connection for, during an undrain
//! while the peer still hands over) dies within its TTL. (Setting the TTL to 1 to stop it
//! at the first bounce was tried: `fwd` then drops every packet.)
//!
//! The table goes when the instance leaves Master, or when no packet was forwarded for
//! `handover-idle-ms`. A Master that took over from a silent (crashed) or resigning (priority
//! 0: its balancer failed) master installs nothing: there is nobody to hand over from, and
//! the failover path stays as short as it was.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use okapi_runtime::tcp_table;
use serde_json::{Value, json};

use crate::config::InstanceSpec;
use crate::nft;

/// Prefix of the tables; leftovers of an earlier run are removed at start.
const TABLE_PREFIX: &str = "okapi_vrrpd_handover_";
/// Bound of `@local`: when full, a new connection is forwarded to the old master like the
/// ones it already has (which still serves it), not refused.
const LOCAL_SET_SIZE: usize = 1 << 20;
/// This node's own connections put into `@local` at most, so that installing stays well
/// within [`nft::NFT_TIMEOUT`]; more than that are forwarded (and reset by the old master).
const PREFILL_LIMIT: usize = 1 << 16;

/// One instance's handover in progress.
#[derive(Debug)]
pub struct Handover {
    table: String,
    /// The old master (the source of its adverts).
    pub from: IpAddr,
    pub since: Instant,
    /// Packets forwarded to the old master so far.
    pub forwarded: u64,
    last_forwarded: Instant,
    /// This node's own connections when the handover started.
    pub kept_local: usize,
}

impl Handover {
    /// Installs the forwarding for `spec` (interface `ifindex`) towards `from`, in the table
    /// [`table_name`]; `None` when the instance has no announce address of `from`'s family.
    pub async fn start(
        spec: &InstanceSpec,
        ifindex: u32,
        from: IpAddr,
        now: Instant,
    ) -> Result<Option<Handover>, String> {
        let vips: Vec<(IpAddr, u8)> = spec
            .announce_addresses
            .iter()
            .filter(|(address, _)| address.is_ipv6() == from.is_ipv6())
            .copied()
            .collect();
        if vips.is_empty() {
            return Ok(None);
        }
        // Linux allows about any byte in an interface name; nft's quoted string does not.
        if !spec
            .interface
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._-@:+".contains(&byte))
        {
            return Err(format!(
                "interface name `{}` cannot be written in an nft rule",
                spec.interface
            ));
        }
        let local = tcp_table::connections_on(&vips).map_err(|error| format!("reading /proc/net/tcp: {error}"))?;
        let table = table_name(spec.vrid, ifindex, from);
        let elements: Vec<String> = local
            .iter()
            .take(PREFILL_LIMIT)
            .map(|connection| {
                format!(
                    "{} . {} . {} . {}",
                    connection.remote.ip(),
                    connection.remote.port(),
                    connection.local.ip(),
                    connection.local.port()
                )
            })
            .collect();
        let script = table_script(&table, &spec.interface, from, &vips, &elements);
        nft::run(&script).await?;
        Ok(Some(Handover {
            table,
            from,
            since: now,
            forwarded: 0,
            last_forwarded: now,
            kept_local: elements.len(),
        }))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The forwarded-packet counter read at `now` (see [`forwarded_packets`]).
    pub fn record_forwarded(&mut self, packets: u64, now: Instant) {
        if packets != self.forwarded {
            self.forwarded = packets;
            self.last_forwarded = now;
        }
    }

    /// Since the last packet forwarded (or the start).
    pub fn idle_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_forwarded)
    }

    pub fn view(&self, now: Instant) -> Value {
        json!({
            "from": self.from,
            "seconds": now.saturating_duration_since(self.since).as_secs_f64(),
            "forwarded_packets": self.forwarded,
            "idle_seconds": self.idle_for(now).as_secs_f64(),
            "kept_local_connections": self.kept_local,
        })
    }
}

/// The table of the handover of VRID `vrid` on interface `ifindex` from `from`.
pub fn table_name(vrid: u8, ifindex: u32, from: IpAddr) -> String {
    let family = if from.is_ipv6() { 6 } else { 4 };
    format!("{TABLE_PREFIX}{ifindex}_{vrid}_{family}")
}

/// The packets the table `name` forwarded so far.
pub async fn forwarded_packets(name: &str) -> Result<u64, String> {
    let text = nft::query(&["list", "counter", "netdev", name, "forwarded"]).await?;
    counter_packets(&text).ok_or_else(|| format!("nft: no counter in `{}`", text.trim()))
}

/// Deletes the table `name`; fine when there is none.
pub async fn remove_table(name: &str) -> Result<(), String> {
    nft::run(&format!("add table netdev {name}\ndelete table netdev {name}\n"))
        .await
        .map(drop)
}

/// Deletes the handover tables an earlier run left (it was killed while forwarding).
pub async fn remove_leftovers() -> Result<usize, String> {
    let text = nft::query(&["list", "tables", "netdev"]).await?;
    let mut removed = 0;
    for name in text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("table netdev "))
    {
        if name.starts_with(TABLE_PREFIX) {
            remove_table(name).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The whole table in one transaction (replacing a leftover of the same name).
fn table_script(table: &str, interface: &str, from: IpAddr, vips: &[(IpAddr, u8)], local: &[String]) -> String {
    let (ip, address_type) = if from.is_ipv6() {
        ("ip6", "ipv6_addr")
    } else {
        ("ip", "ipv4_addr")
    };
    let vips: Vec<String> = vips.iter().map(|(address, len)| format!("{address}/{len}")).collect();
    let tuple = format!("{ip} saddr . tcp sport . {ip} daddr . tcp dport");
    let mut script = format!(
        "add table netdev {table}\n\
         delete table netdev {table}\n\
         table netdev {table} {{\n\
         \x20 set vips {{ type {address_type}; flags interval; elements = {{ {vips} }}; }}\n\
         \x20 set local {{ type {address_type} . inet_service . {address_type} . inet_service; size {LOCAL_SET_SIZE}; flags dynamic; }}\n\
         \x20 counter forwarded {{ }}\n\
         \x20 chain ingress {{\n\
         \x20   type filter hook ingress device \"{interface}\" priority 0; policy accept;\n\
         \x20   {ip} daddr @vips tcp flags & (syn | ack) == syn add @local {{ {tuple} }} accept\n\
         \x20   {ip} daddr @vips {tuple} @local accept\n\
         \x20   {ip} daddr @vips meta l4proto tcp counter name \"forwarded\" fwd {ip} to {from} device \"{interface}\"\n\
         \x20 }}\n\
         }}\n",
        vips = vips.join(", "),
    );
    for chunk in local.chunks(1_000) {
        script.push_str(&format!(
            "add element netdev {table} local {{ {} }}\n",
            chunk.join(", ")
        ));
    }
    script
}

/// `packets N` in `nft list counter`'s output.
fn counter_packets(text: &str) -> Option<u64> {
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == "packets" {
            return words.next()?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_names_the_family_the_peer_and_the_kept_connections() {
        let script = table_script(
            "okapi_vrrpd_handover_3_1_4",
            "eth1",
            "10.0.1.11".parse().unwrap(),
            &[("203.0.113.10".parse().unwrap(), 32)],
            &["198.51.100.2 . 40000 . 203.0.113.10 . 80".to_string()],
        );
        assert!(script.starts_with("add table netdev okapi_vrrpd_handover_3_1_4\ndelete table"));
        assert!(script.contains("set vips { type ipv4_addr; flags interval; elements = { 203.0.113.10/32 }; }"));
        assert!(script.contains("hook ingress device \"eth1\""));
        assert!(script.contains("counter name \"forwarded\" fwd ip to 10.0.1.11 device \"eth1\""));
        assert!(script.ends_with(
            "add element netdev okapi_vrrpd_handover_3_1_4 local { 198.51.100.2 . 40000 . 203.0.113.10 . 80 }\n"
        ));
        let script6 = table_script(
            "t",
            "eth1",
            "fe80::1".parse().unwrap(),
            &[("2001:db8::".parse().unwrap(), 64)],
            &[],
        );
        assert!(script6.contains(
            "ip6 daddr @vips tcp flags & (syn | ack) == syn add @local { ip6 saddr . tcp sport . ip6 daddr . tcp dport } accept"
        ));
        assert!(script6.contains("elements = { 2001:db8::/64 }"));
        assert!(script6.contains("fwd ip6 to fe80::1"));
        assert!(!script6.contains("add element"));
    }

    #[test]
    fn table_names_tell_interface_vrid_and_family() {
        assert_eq!(
            table_name(1, 3, "10.0.1.11".parse().unwrap()),
            "okapi_vrrpd_handover_3_1_4"
        );
        assert_eq!(
            table_name(9, 3, "fe80::1".parse().unwrap()),
            "okapi_vrrpd_handover_3_9_6"
        );
    }

    #[test]
    fn the_counter_is_read() {
        let text = "table netdev t {\n\tcounter forwarded {\n\t\tpackets 42 bytes 2520\n\t}\n}\n";
        assert_eq!(counter_packets(text), Some(42));
        assert_eq!(counter_packets("nothing"), None);
    }
}
