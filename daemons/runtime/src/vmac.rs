//! The VRRP virtual MAC (RFC 5798 §7.3) on a macvlan interface, with keepalived's `use_vmac`
//! semantics.
//!
//! ```text
//!   parent (eth0, its own MAC and address)        arp_ignore=1 arp_filter=1 arp_announce=2
//!     └─ macvlan "vrrp.42", mode private, MAC 00:00:5e:00:01:2a
//!          arp_ignore=1 accept_local=1 rp_filter=0 promote_secondaries=1
//!          IPv4 VMAC: disable_ipv6=1       IPv6 VMAC: addr_gen_mode=1 (none)
//!          the VIPs go here; adverts, gratuitous ARPs and NAs leave from here
//! ```
//!
//! Why these settings (keepalived's vrrp_if_config.c sets the same ones):
//! - on the vmac, `arp_ignore=1` answers ARP only for addresses on the vmac itself (the VIPs),
//!   never for the parent's own address; `accept_local=1` lets it hear the other router's
//!   adverts even when they carry an address that is local here; `rp_filter=0` lets it receive
//!   while it has no address yet (note: the kernel uses max(all, interface), so a host with
//!   `conf/all/rp_filter` set must lower that too); `promote_secondaries=1` keeps the other
//!   VIPs when the primary one is deleted.
//! - on the parent, `arp_ignore=1` and `arp_filter=1`: the parent must not answer ARP for the
//!   VIPs with its own MAC, so the VIP's ARP is answered only by the vmac. The previous values
//!   are restored when the last vmac this process created on that parent is removed.
//! - on the parent also `arp_announce=2`, which keepalived does not set: a reply sourced from
//!   a VIP leaves through the parent (its connected route comes first), and the parent's ARP
//!   request for the client would otherwise carry the VIP as sender address with the
//!   parent's MAC, which the client learns (seen in the vrrp-pair lab: the client's entry for
//!   the VIP moved to the parent's MAC after one ping). With 2 the parent's own address is
//!   the sender address.
//! - IPv6: the kernel would give an IPv4 vmac (and an IPv6 one) the EUI-64 link-local address
//!   of the shared virtual MAC, the same on both routers, and duplicate address detection would
//!   fail. As keepalived does, IPv6 is disabled on an IPv4 vmac; on an IPv6 vmac
//!   (`00:00:5e:00:02:VRID`) address generation is off, so it has no link-local address:
//!   okapi-vrrpd sends IPv6 adverts and neighbor advertisements from the parent (its
//!   link-local address is the adverts' source), the NA naming the virtual MAC.
//!
//! Mode private, as keepalived: the vmac takes frames for its MAC from the wire and never
//! talks to sibling macvlans on the same parent (with several VRIDs, one instance's vmac must
//! not hear or answer another's frames inside the host); bridge mode would let them. The kernel
//! here supports it just as it supports bridge mode.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkInfo, LinkMessage, MacVlanMode};

use crate::netlink::Netlink;

/// Longest interface name the kernel accepts (`IFNAMSIZ` - 1).
pub const MAX_INTERFACE_NAME: usize = 15;

/// The VRRP virtual router MAC address (RFC 5798 §7.3): `00:00:5e:00:01:VRID` for IPv4,
/// `00:00:5e:00:02:VRID` for IPv6.
pub fn vmac_address(vrid: u8, ipv6: bool) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if ipv6 { 0x02 } else { 0x01 }, vrid]
}

/// Creates the macvlan `name` on `parent_ifindex` with `mac` (mode private), or adopts it if a
/// macvlan of that name already has that parent and MAC; a macvlan with another parent or MAC
/// is deleted and created again, and any other interface of that name is an error (it is never
/// deleted). Sets the sysctls described in the module documentation, brings it up and returns
/// its ifindex. Idempotent.
pub async fn ensure_vmac(netlink: &Netlink, name: &str, parent_ifindex: u32, mac: [u8; 6]) -> Result<u32, String> {
    check_name(name)?;
    let parent = find_link(netlink, |link| link.ifindex == parent_ifindex)
        .await?
        .ok_or_else(|| format!("vmac {name}: no parent interface with index {parent_ifindex}"))?;
    if parent.name == name {
        return Err(format!("vmac {name}: the vmac cannot be its own parent"));
    }

    let mut existing = find_link(netlink, |link| link.name == name).await?;
    if let Some(link) = &existing {
        if !link.is_macvlan {
            return Err(format!(
                "vmac {name}: an interface of that name exists and is not a macvlan ({}); not touching it",
                link.kind.as_deref().unwrap_or("no kind")
            ));
        }
        if link.parent != Some(parent_ifindex) || link.mac != Some(mac) {
            tracing::info!(
                vmac = name,
                parent = parent.name,
                "replacing a macvlan with another parent or MAC"
            );
            delete_link(netlink, name, link.ifindex).await?;
            forget(name);
            existing = None;
        }
    }
    let created = existing.is_none();
    let ifindex = match existing {
        Some(link) => link.ifindex,
        None => create_macvlan(netlink, name, parent_ifindex, mac).await?,
    };

    set_sysctls(name, &parent.name, parent_ifindex, mac)?;
    let up = rtnetlink::LinkUnspec::new_with_index(ifindex).up().build();
    netlink
        .acknowledged(format!("link set {name} up"), RouteNetlinkMessage::NewLink(up), 0)
        .await
        .map_err(|error| error.to_string())?;
    tracing::info!(
        vmac = name,
        ifindex,
        parent = parent.name,
        mac = format_mac(mac),
        created,
        "vmac ready"
    );
    Ok(ifindex)
}

/// Deletes the macvlan `name`; nothing to do if it does not exist. Refuses to delete an
/// interface that is not a macvlan. Restores the parent's ARP sysctls when this
/// was the last vmac this process set up on it.
pub async fn remove_vmac(netlink: &Netlink, name: &str) -> Result<(), String> {
    check_name(name)?;
    let Some(link) = find_link(netlink, |link| link.name == name).await? else {
        forget(name);
        return Ok(());
    };
    if !link.is_macvlan {
        return Err(format!("vmac {name}: not a macvlan; not deleting it"));
    }
    delete_link(netlink, name, link.ifindex).await?;
    forget(name);
    tracing::info!(vmac = name, "vmac removed");
    Ok(())
}

// ─────────────────────────────────────── links ────────────────────────────────────────

/// What vmac needs to know about a link.
struct LinkFacts {
    ifindex: u32,
    name: String,
    mac: Option<[u8; 6]>,
    /// `IFLA_LINK`: the parent of a macvlan.
    parent: Option<u32>,
    kind: Option<String>,
    is_macvlan: bool,
}

async fn find_link(netlink: &Netlink, wanted: impl Fn(&LinkFacts) -> bool) -> Result<Option<LinkFacts>, String> {
    let request = RouteNetlinkMessage::GetLink(LinkMessage::default());
    let answers = netlink
        .dump("link dump", request)
        .await
        .map_err(|error| error.to_string())?;
    Ok(answers
        .iter()
        .filter_map(|answer| match answer {
            RouteNetlinkMessage::NewLink(message) => Some(link_facts(message)),
            _ => None,
        })
        .find(|link| wanted(link)))
}

fn link_facts(message: &LinkMessage) -> LinkFacts {
    let mut facts = LinkFacts {
        ifindex: message.header.index,
        name: String::new(),
        mac: None,
        parent: None,
        kind: None,
        is_macvlan: false,
    };
    for attribute in &message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => facts.name = name.clone(),
            LinkAttribute::Address(bytes) => facts.mac = <[u8; 6]>::try_from(bytes.as_slice()).ok(),
            LinkAttribute::Link(parent) => facts.parent = Some(*parent),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(kind) = info {
                        facts.is_macvlan = *kind == InfoKind::MacVlan;
                        facts.kind = Some(kind.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    facts
}

async fn create_macvlan(netlink: &Netlink, name: &str, parent_ifindex: u32, mac: [u8; 6]) -> Result<u32, String> {
    let message = rtnetlink::LinkMacVlan::new(name, parent_ifindex, MacVlanMode::Private)
        .address(mac.to_vec())
        .build();
    netlink
        .acknowledged(
            format!("link add {name} macvlan mode private parent {parent_ifindex}"),
            RouteNetlinkMessage::NewLink(message),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .await
        .map_err(|error| error.to_string())?;
    let link = find_link(netlink, |link| link.name == name)
        .await?
        .ok_or_else(|| format!("vmac {name}: created but not found"))?;
    Ok(link.ifindex)
}

async fn delete_link(netlink: &Netlink, name: &str, ifindex: u32) -> Result<(), String> {
    let mut message = LinkMessage::default();
    message.header.index = ifindex;
    match netlink
        .acknowledged(format!("link delete {name}"), RouteNetlinkMessage::DelLink(message), 0)
        .await
    {
        Ok(()) => Ok(()),
        Err(error) if error.is_not_found() => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// The kernel's macvlan mode of a link message, if it says (used by tests).
#[cfg(test)]
fn macvlan_mode(message: &LinkMessage) -> Option<MacVlanMode> {
    use netlink_packet_route::link::{InfoData, InfoMacVlan};
    message.attributes.iter().find_map(|attribute| match attribute {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|info| match info {
            LinkInfo::Data(InfoData::MacVlan(data)) => data.iter().find_map(|item| match item {
                InfoMacVlan::Mode(mode) => Some(*mode),
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    })
}

/// Usable as an interface name and safe in a /proc/sys path.
fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_INTERFACE_NAME
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'/' && byte != b':');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "vmac {name:?}: not a valid interface name (1-{MAX_INTERFACE_NAME} printable characters, no '/', ':' or space)"
        ))
    }
}

fn format_mac(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

// ─────────────────────────────────────── sysctls ───────────────────────────────────────

/// The parent's ARP settings before the first vmac, and the vmacs set up on it since.
struct SavedParent {
    arp_ignore: String,
    arp_filter: String,
    arp_announce: String,
    vmacs: BTreeSet<String>,
}

/// (network namespace, parent interface name) → what to restore.
static SAVED_PARENTS: Mutex<Option<HashMap<(u64, String), SavedParent>>> = Mutex::new(None);

/// The inode of the calling thread's network namespace: interface names are per namespace.
fn namespace_id() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/thread-self/ns/net").map_or(0, |metadata| metadata.ino())
}

fn set_sysctls(name: &str, parent: &str, parent_ifindex: u32, mac: [u8; 6]) -> Result<(), String> {
    for (key, value) in [
        ("arp_ignore", "1"),
        ("accept_local", "1"),
        ("rp_filter", "0"),
        ("promote_secondaries", "1"),
    ] {
        write_sysctl(&format!("net/ipv4/conf/{name}/{key}"), value)?;
    }
    // A kernel booted without IPv6 has no net/ipv6: nothing to switch off there.
    if std::path::Path::new("/proc/sys/net/ipv6/conf").exists() {
        if mac[4] == 0x02 {
            write_sysctl(&format!("net/ipv6/conf/{name}/addr_gen_mode"), "1")?;
        } else {
            write_sysctl(&format!("net/ipv6/conf/{name}/disable_ipv6"), "1")?;
        }
    }

    let key = (namespace_id(), parent.to_string());
    let mut saved = SAVED_PARENTS.lock().unwrap_or_else(PoisonError::into_inner);
    let saved = saved.get_or_insert_with(HashMap::new);
    if !saved.contains_key(&key) {
        let previous = SavedParent {
            arp_ignore: read_sysctl(&format!("net/ipv4/conf/{parent}/arp_ignore"))?,
            arp_filter: read_sysctl(&format!("net/ipv4/conf/{parent}/arp_filter"))?,
            arp_announce: read_sysctl(&format!("net/ipv4/conf/{parent}/arp_announce"))?,
            vmacs: BTreeSet::new(),
        };
        saved.insert(key.clone(), previous);
    }
    write_sysctl(&format!("net/ipv4/conf/{parent}/arp_ignore"), "1")?;
    write_sysctl(&format!("net/ipv4/conf/{parent}/arp_filter"), "1")?;
    write_sysctl(&format!("net/ipv4/conf/{parent}/arp_announce"), "2")?;
    if let Some(entry) = saved.get_mut(&key) {
        entry.vmacs.insert(name.to_string());
    }
    tracing::debug!(vmac = name, parent, parent_ifindex, "vmac sysctls set");
    Ok(())
}

/// Drops `name` from the parents' records and restores every parent left with no vmac.
fn forget(name: &str) {
    let mut saved = SAVED_PARENTS.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(saved) = saved.as_mut() else { return };
    let namespace = namespace_id();
    let emptied: Vec<(u64, String)> = saved
        .iter_mut()
        .filter(|((in_namespace, _), entry)| *in_namespace == namespace && entry.vmacs.contains(name))
        .filter_map(|(parent, entry)| {
            entry.vmacs.remove(name);
            entry.vmacs.is_empty().then(|| parent.clone())
        })
        .collect();
    for key in emptied {
        let Some(entry) = saved.remove(&key) else { continue };
        let parent = key.1;
        for (key, value) in [
            ("arp_ignore", &entry.arp_ignore),
            ("arp_filter", &entry.arp_filter),
            ("arp_announce", &entry.arp_announce),
        ] {
            // A parent that is gone has nothing left to restore.
            if let Err(error) = write_sysctl(&format!("net/ipv4/conf/{parent}/{key}"), value) {
                tracing::warn!(%error, parent, "cannot restore after the last vmac");
            }
        }
    }
}

fn write_sysctl(path: &str, value: &str) -> Result<(), String> {
    std::fs::write(format!("/proc/sys/{path}"), value).map_err(|error| format!("sysctl {path}={value}: {error}"))
}

fn read_sysctl(path: &str) -> Result<String, String> {
    std::fs::read_to_string(format!("/proc/sys/{path}"))
        .map(|value| value.trim().to_string())
        .map_err(|error| format!("sysctl {path}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::testing::{become_second_host, in_private_netns};

    fn sysctl(path: &str) -> String {
        read_sysctl(path).expect("sysctl")
    }

    #[test]
    fn vmac_addresses_follow_rfc_5798_section_7_3() {
        assert_eq!(vmac_address(1, false), [0x00, 0x00, 0x5e, 0x00, 0x01, 0x01]);
        assert_eq!(vmac_address(255, false), [0x00, 0x00, 0x5e, 0x00, 0x01, 0xff]);
        assert_eq!(vmac_address(42, true), [0x00, 0x00, 0x5e, 0x00, 0x02, 0x2a]);
    }

    #[test]
    fn names_are_checked() {
        for good in ["vrrp.42", "vrrp6.255", "a", "x23456789012345"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "x234567890123456", "eth0:1", "vrrp\n"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn netns_ensure_adopt_replace_and_remove() {
        in_private_netns("netns_ensure_adopt_replace_and_remove", || async {
            let netlink = Netlink::connect().await.expect("connect");
            let (eth0, _) = netlink.create_veth_pair("eth0", "eth0peer").await;
            let (eth1, _) = netlink.create_veth_pair("eth1", "eth1peer").await;
            std::fs::write("/proc/sys/net/ipv4/conf/eth0/arp_filter", "0").expect("sysctl");
            let mac = vmac_address(42, false);

            let ifindex = ensure_vmac(&netlink, "vrrp.42", eth0, mac).await.expect("create");
            let link = find_link(&netlink, |link| link.name == "vrrp.42")
                .await
                .expect("dump")
                .expect("vmac exists");
            assert_eq!(link.ifindex, ifindex);
            assert_eq!((link.mac, link.parent, link.is_macvlan), (Some(mac), Some(eth0), true));
            assert_eq!(mode_of(&netlink, ifindex).await, Some(MacVlanMode::Private));
            let up = netlink.links().await.expect("links");
            let up = up.iter().find(|l| l.ifindex == ifindex).expect("listed");
            assert!(up.admin_up, "{up:?}");
            assert_eq!(up.mac.as_deref(), Some("00:00:5e:00:01:2a"));
            for (key, value) in [
                ("arp_ignore", "1"),
                ("accept_local", "1"),
                ("rp_filter", "0"),
                ("promote_secondaries", "1"),
            ] {
                assert_eq!(sysctl(&format!("net/ipv4/conf/vrrp.42/{key}")), value, "{key}");
            }
            assert_eq!(sysctl("net/ipv6/conf/vrrp.42/disable_ipv6"), "1");
            assert_eq!(sysctl("net/ipv4/conf/eth0/arp_ignore"), "1");
            assert_eq!(sysctl("net/ipv4/conf/eth0/arp_filter"), "1");
            assert_eq!(sysctl("net/ipv4/conf/eth0/arp_announce"), "2");

            // Idempotent: adopted, same index.
            assert_eq!(
                ensure_vmac(&netlink, "vrrp.42", eth0, mac).await.expect("adopt"),
                ifindex
            );
            // An IPv6 vmac on the same parent.
            let mac6 = vmac_address(42, true);
            let ifindex6 = ensure_vmac(&netlink, "vrrp6.42", eth0, mac6).await.expect("create v6");
            assert_eq!(sysctl("net/ipv6/conf/vrrp6.42/addr_gen_mode"), "1");
            // Other parent: replaced.
            let moved = ensure_vmac(&netlink, "vrrp.42", eth1, mac).await.expect("replace");
            let link = find_link(&netlink, |link| link.name == "vrrp.42")
                .await
                .expect("dump")
                .expect("vmac exists");
            assert_eq!((link.ifindex, link.parent), (moved, Some(eth1)));

            // Never deletes a real interface.
            let error = ensure_vmac(&netlink, "eth1peer", eth0, mac).await.expect_err("veth");
            assert!(error.contains("not a macvlan"), "{error}");
            let error = remove_vmac(&netlink, "eth1peer").await.expect_err("veth");
            assert!(error.contains("not a macvlan"), "{error}");
            let error = ensure_vmac(&netlink, "vrrp.1", 9999, mac).await.expect_err("no parent");
            assert!(error.contains("no parent"), "{error}");

            remove_vmac(&netlink, "vrrp.42").await.expect("remove");
            // eth0 still has vrrp6.42: its ARP settings stay.
            assert_eq!(sysctl("net/ipv4/conf/eth0/arp_filter"), "1");
            remove_vmac(&netlink, "vrrp6.42").await.expect("remove v6");
            assert_eq!(sysctl("net/ipv4/conf/eth0/arp_filter"), "0");
            remove_vmac(&netlink, "vrrp.42").await.expect("removing twice is fine");
            let links = netlink.links().await.expect("links");
            assert!(
                links
                    .iter()
                    .all(|l| l.ifindex != ifindex6 && !l.name.starts_with("vrrp")),
                "{links:?}"
            );
        });
    }

    /// Runs in a second network namespace (a thread of its own): hands the namespace over,
    /// waits for `peer` to be moved in, gives it 10.0.0.2/24 and resolves 10.0.0.100 (the VIP)
    /// and 10.0.0.1 (the parent's own address) by ARP. Returns the MACs `/proc/net/arp` shows.
    fn resolve_from_second_namespace(
        peer: &'static str,
        namespace: std::sync::mpsc::Sender<std::os::fd::OwnedFd>,
        arrived: std::sync::mpsc::Receiver<()>,
    ) -> (Option<String>, Option<String>) {
        use std::time::Duration;
        become_second_host(
            peer,
            Some(("10.0.0.2".parse().expect("address"), 24)),
            namespace,
            &arrived,
        );
        let socket = std::net::UdpSocket::bind("10.0.0.2:0").expect("udp");
        let lookup = |ip: &str| -> Option<String> {
            // /proc/net follows the process's first thread; thread-self is this namespace.
            let table = std::fs::read_to_string("/proc/thread-self/net/arp").expect("arp table");
            table.lines().skip(1).find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.first() == Some(&ip) && fields.get(2) == Some(&"0x2")).then(|| fields[3].to_string())
            })
        };
        let (mut vip, mut own) = (None, None);
        for _ in 0..100 {
            let _ = socket.send_to(b"who", "10.0.0.100:9");
            let _ = socket.send_to(b"who", "10.0.0.1:9");
            std::thread::sleep(Duration::from_millis(50));
            (vip, own) = (lookup("10.0.0.100"), lookup("10.0.0.1"));
            if vip.is_some() && own.is_some() {
                break;
            }
        }
        (vip, own)
    }

    #[test]
    fn netns_vip_arp_is_answered_by_the_vmac_only() {
        in_private_netns("netns_vip_arp_is_answered_by_the_vmac_only", || async {
            use std::os::fd::AsRawFd;
            let netlink = Netlink::connect().await.expect("connect");
            let (eth0, peer) = netlink.create_veth_pair("eth0", "peer0").await;
            netlink
                .address_add(eth0, "10.0.0.1".parse().expect("address"), 24)
                .await
                .expect("address");
            let mac = vmac_address(7, false);
            let vmac = ensure_vmac(&netlink, "vrrp.7", eth0, mac).await.expect("vmac");
            netlink
                .address_add(vmac, "10.0.0.100".parse().expect("address"), 32)
                .await
                .expect("VIP");

            // The peer's probes land here and get no answer: an ICMP error sourced from the VIP
            // would make this namespace ARP for the peer from eth0 with the VIP as sender
            // address, teaching the peer eth0's MAC for the VIP (arp_announce, not arp_ignore).
            let _sink = std::net::UdpSocket::bind("0.0.0.0:9").expect("udp sink");
            let (namespace_tx, namespace_rx) = std::sync::mpsc::channel();
            let (arrived_tx, arrived_rx) = std::sync::mpsc::channel();
            let resolver = std::thread::spawn(move || resolve_from_second_namespace("peer0", namespace_tx, arrived_rx));
            let namespace = namespace_rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("namespace");
            let move_peer = rtnetlink::LinkUnspec::new_with_index(peer)
                .setns_by_fd(namespace.as_raw_fd())
                .build();
            netlink
                .acknowledged("move peer0".to_string(), RouteNetlinkMessage::NewLink(move_peer), 0)
                .await
                .expect("move peer0");
            arrived_tx.send(()).expect("signal");
            let (vip, own) = resolver.join().expect("resolver thread");

            let eth0_mac = netlink
                .links()
                .await
                .expect("links")
                .into_iter()
                .find(|link| link.ifindex == eth0)
                .and_then(|link| link.mac);
            assert_eq!(
                vip.as_deref(),
                Some("00:00:5e:00:01:07"),
                "the VIP resolves to the vmac"
            );
            assert_eq!(own, eth0_mac, "the parent's own address resolves to the parent");
            remove_vmac(&netlink, "vrrp.7").await.expect("remove");
        });
    }

    async fn mode_of(netlink: &Netlink, ifindex: u32) -> Option<MacVlanMode> {
        let answers = netlink
            .dump("link dump", RouteNetlinkMessage::GetLink(LinkMessage::default()))
            .await
            .expect("dump");
        answers.iter().find_map(|answer| match answer {
            RouteNetlinkMessage::NewLink(message) if message.header.index == ifindex => macvlan_mode(message),
            _ => None,
        })
    }
}
