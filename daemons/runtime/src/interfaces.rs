//! Interfaces and their addresses: the `GET /interfaces` view and the live table protocol
//! daemons keep.
//!
//! ```text
//!   Netlink::links() + addresses() ──► InterfaceTable::from_dump ──► views() ──► GET /interfaces
//!                                               ▲
//!   Watcher::next() ── NetlinkEvent ──► apply() ┘   (LinkChanged/Removed, AddressAdded/Removed,
//!                                                     Resync replaces everything; routes ignored)
//! ```

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::netlink::{Address, IpFamily, Link, Netlink, NetlinkError, NetlinkEvent};

/// Most interfaces a table holds; links beyond are logged and left out.
pub const MAX_INTERFACES: usize = 65_536;
/// Most addresses kept per interface; addresses beyond are logged and left out.
pub const MAX_ADDRESSES_PER_INTERFACE: usize = 1_024;

/// One interface as `GET /interfaces` shows it (see docs/ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceView {
    pub name: String,
    pub ifindex: u32,
    pub admin_up: bool,
    pub oper_state: String,
    pub mtu: u32,
    pub mac: Option<String>,
    pub kind: Option<String>,
    pub addresses: Vec<AddressView>,
}

/// One address of an [`InterfaceView`]: `{"family": "ipv4", "address": "10.0.0.1", "prefix_len": 24}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressView {
    pub family: IpFamily,
    pub address: IpAddr,
    pub prefix_len: u8,
}

/// The interfaces as the kernel has them now, sorted by ifindex, addresses IPv4 first.
pub async fn snapshot(netlink: &Netlink) -> Result<Vec<InterfaceView>, NetlinkError> {
    let links = netlink.links().await?;
    let addresses = netlink.addresses().await?;
    Ok(InterfaceTable::from_dump(links, addresses).views())
}

/// A link and its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub link: Link,
    /// Sorted: IPv4 before IPv6, then by address and prefix length.
    pub addresses: Vec<Address>,
}

impl Interface {
    pub fn ifindex(&self) -> u32 {
        self.link.ifindex
    }

    pub fn name(&self) -> &str {
        &self.link.name
    }

    /// See [`Link::is_operational`].
    pub fn is_operational(&self) -> bool {
        self.link.is_operational()
    }

    /// The addresses of one family, in order.
    pub fn addresses_of(&self, family: IpFamily) -> impl Iterator<Item = &Address> {
        self.addresses.iter().filter(move |address| address.family() == family)
    }

    pub fn view(&self) -> InterfaceView {
        InterfaceView {
            name: self.link.name.clone(),
            ifindex: self.link.ifindex,
            admin_up: self.link.admin_up,
            oper_state: self.link.oper_state.clone(),
            mtu: self.link.mtu,
            mac: self.link.mac.clone(),
            kind: self.link.kind.clone(),
            addresses: self
                .addresses
                .iter()
                .map(|address| AddressView {
                    family: address.family(),
                    address: address.address,
                    prefix_len: address.prefix_len,
                })
                .collect(),
        }
    }
}

/// ifindex -> [`Interface`], built from a dump and kept current with [`NetlinkEvent`]s.
/// Bounded by [`MAX_INTERFACES`] and [`MAX_ADDRESSES_PER_INTERFACE`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceTable {
    interfaces: BTreeMap<u32, Interface>,
}

impl InterfaceTable {
    pub fn new() -> InterfaceTable {
        InterfaceTable::default()
    }

    /// The table of a link dump and an address dump. Addresses of links the link dump did not
    /// have (created between the two dumps) are left out.
    pub fn from_dump(links: Vec<Link>, addresses: Vec<Address>) -> InterfaceTable {
        let mut table = InterfaceTable::new();
        for link in links {
            table.upsert_link(link);
        }
        for address in addresses {
            table.add_address(address);
        }
        table
    }

    /// Applies one event; returns whether the table changed. Route events do not concern it.
    pub fn apply(&mut self, event: &NetlinkEvent) -> bool {
        match event {
            NetlinkEvent::LinkChanged(link) => self.upsert_link(link.clone()),
            NetlinkEvent::LinkRemoved { ifindex, .. } => self.interfaces.remove(ifindex).is_some(),
            NetlinkEvent::AddressAdded(address) => self.add_address(*address),
            NetlinkEvent::AddressRemoved(address) => self.remove_address(address),
            NetlinkEvent::RouteAdded(_) | NetlinkEvent::RouteRemoved(_) => false,
            NetlinkEvent::Resync { links, addresses, .. } => {
                let rebuilt = InterfaceTable::from_dump(links.clone(), addresses.clone());
                let changed = rebuilt != *self;
                *self = rebuilt;
                changed
            }
        }
    }

    pub fn get(&self, ifindex: u32) -> Option<&Interface> {
        self.interfaces.get(&ifindex)
    }

    pub fn by_name(&self, name: &str) -> Option<&Interface> {
        self.interfaces.values().find(|interface| interface.link.name == name)
    }

    /// In ifindex order.
    pub fn iter(&self) -> impl Iterator<Item = &Interface> {
        self.interfaces.values()
    }

    pub fn len(&self) -> usize {
        self.interfaces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.interfaces.is_empty()
    }

    /// The `GET /interfaces` rendering, sorted by ifindex.
    pub fn views(&self) -> Vec<InterfaceView> {
        self.interfaces.values().map(Interface::view).collect()
    }

    fn upsert_link(&mut self, link: Link) -> bool {
        if let Some(interface) = self.interfaces.get_mut(&link.ifindex) {
            if interface.link == link {
                return false;
            }
            interface.link = link;
            return true;
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            tracing::warn!(
                ifindex = link.ifindex,
                name = %link.name,
                "interface table full ({MAX_INTERFACES}); link left out"
            );
            return false;
        }
        self.interfaces.insert(
            link.ifindex,
            Interface {
                link,
                addresses: Vec::new(),
            },
        );
        true
    }

    fn add_address(&mut self, address: Address) -> bool {
        let Some(interface) = self.interfaces.get_mut(&address.ifindex) else {
            tracing::debug!(ifindex = address.ifindex, address = %address.address, "address of an unknown link");
            return false;
        };
        match interface
            .addresses
            .binary_search_by(|known| order(known).cmp(&order(&address)))
        {
            Ok(_) => false,
            Err(_) if interface.addresses.len() >= MAX_ADDRESSES_PER_INTERFACE => {
                tracing::warn!(
                    interface = %interface.link.name,
                    address = %address.address,
                    "interface has {MAX_ADDRESSES_PER_INTERFACE} addresses; address left out"
                );
                false
            }
            Err(position) => {
                interface.addresses.insert(position, address);
                true
            }
        }
    }

    fn remove_address(&mut self, address: &Address) -> bool {
        let Some(interface) = self.interfaces.get_mut(&address.ifindex) else {
            return false;
        };
        let before = interface.addresses.len();
        interface
            .addresses
            .retain(|known| (known.address, known.prefix_len) != (address.address, address.prefix_len));
        interface.addresses.len() != before
    }
}

/// Addresses sort IPv4 first (`IpAddr` orders V4 before V6), then by address, then prefix.
fn order(address: &Address) -> (IpAddr, u8) {
    (address.address, address.prefix_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::testing::in_private_netns;
    use crate::netlink::{NextHop, Route};
    use serde_json::json;

    fn link(ifindex: u32, name: &str) -> Link {
        Link {
            ifindex,
            name: name.to_string(),
            admin_up: true,
            oper_state: "up".to_string(),
            mtu: 1500,
            mac: Some("02:00:00:00:00:01".to_string()),
            kind: Some("veth".to_string()),
        }
    }

    fn address(ifindex: u32, text: &str, prefix_len: u8) -> Address {
        Address {
            ifindex,
            address: text.parse().expect("test address"),
            prefix_len,
        }
    }

    #[test]
    fn view_serializes_as_documented() {
        let table = InterfaceTable::from_dump(
            vec![link(4, "eth1")],
            vec![address(4, "2001:db8::1", 64), address(4, "10.0.0.1", 24)],
        );
        assert_eq!(
            serde_json::to_value(table.views()).expect("json"),
            json!([{
                "name": "eth1",
                "ifindex": 4,
                "admin_up": true,
                "oper_state": "up",
                "mtu": 1500,
                "mac": "02:00:00:00:00:01",
                "kind": "veth",
                "addresses": [
                    {"family": "ipv4", "address": "10.0.0.1", "prefix_len": 24},
                    {"family": "ipv6", "address": "2001:db8::1", "prefix_len": 64},
                ],
            }])
        );
    }

    #[test]
    fn dump_sorts_by_ifindex_and_drops_addresses_of_unknown_links() {
        let table = InterfaceTable::from_dump(
            vec![link(7, "b"), link(2, "a")],
            vec![address(2, "10.0.0.1", 24), address(9, "10.9.9.9", 32)],
        );
        let order: Vec<u32> = table.views().iter().map(|view| view.ifindex).collect();
        assert_eq!(order, vec![2, 7]);
        assert_eq!(table.get(2).map(|interface| interface.addresses.len()), Some(1));
        assert_eq!(table.by_name("b").map(Interface::ifindex), Some(7));
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn events_keep_the_table_current() {
        let mut table = InterfaceTable::new();
        assert!(table.is_empty());
        assert!(table.apply(&NetlinkEvent::LinkChanged(link(3, "eth0"))));
        assert!(!table.apply(&NetlinkEvent::LinkChanged(link(3, "eth0"))), "no change");

        let a = address(3, "10.0.0.1", 24);
        assert!(table.apply(&NetlinkEvent::AddressAdded(a)));
        assert!(!table.apply(&NetlinkEvent::AddressAdded(a)), "duplicate");
        assert!(table.apply(&NetlinkEvent::AddressAdded(address(3, "fe80::1", 64))));
        assert!(
            table.apply(&NetlinkEvent::AddressAdded(address(3, "10.0.0.1", 32))),
            "same address, other prefix"
        );
        assert!(
            !table.apply(&NetlinkEvent::AddressAdded(address(8, "10.8.0.1", 24))),
            "unknown link"
        );
        let interface = table.get(3).expect("eth0");
        assert_eq!(interface.addresses_of(IpFamily::V4).count(), 2);
        assert_eq!(interface.addresses_of(IpFamily::V6).count(), 1);

        // A link change keeps the addresses.
        let mut down = link(3, "eth0");
        down.oper_state = "down".to_string();
        assert!(table.apply(&NetlinkEvent::LinkChanged(down)));
        let interface = table.get(3).expect("eth0");
        assert!(!interface.is_operational());
        assert_eq!(interface.addresses.len(), 3);

        assert!(table.apply(&NetlinkEvent::AddressRemoved(a)));
        assert!(!table.apply(&NetlinkEvent::AddressRemoved(a)), "already removed");
        let route = Route {
            destination: "10.0.0.0".parse().expect("address"),
            prefix_len: 24,
            table: 254,
            protocol: 188,
            metric: 110,
            nexthops: vec![NextHop::new(None, Some(3))],
        };
        assert!(!table.apply(&NetlinkEvent::RouteAdded(route)));

        assert!(table.apply(&NetlinkEvent::LinkRemoved {
            ifindex: 3,
            name: "eth0".to_string()
        }));
        assert!(table.get(3).is_none());
        assert!(!table.apply(&NetlinkEvent::LinkRemoved {
            ifindex: 3,
            name: "eth0".to_string()
        }));
    }

    #[test]
    fn resync_replaces_everything() {
        let mut table = InterfaceTable::from_dump(vec![link(3, "eth0")], vec![address(3, "10.0.0.1", 24)]);
        let resync = NetlinkEvent::Resync {
            links: vec![link(5, "eth2")],
            addresses: vec![address(5, "10.5.0.1", 24)],
            routes: vec![],
        };
        assert!(table.apply(&resync));
        assert!(table.get(3).is_none());
        assert_eq!(table.get(5).map(|interface| interface.addresses.len()), Some(1));
        assert!(!table.apply(&resync), "same state again");
    }

    #[test]
    fn addresses_per_interface_are_bounded() {
        let mut table = InterfaceTable::from_dump(vec![link(3, "eth0")], vec![]);
        for host in 0..(MAX_ADDRESSES_PER_INTERFACE as u32 + 10) {
            let address = Address {
                ifindex: 3,
                address: IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + host)),
                prefix_len: 32,
            };
            table.apply(&NetlinkEvent::AddressAdded(address));
        }
        assert_eq!(
            table.get(3).map(|interface| interface.addresses.len()),
            Some(MAX_ADDRESSES_PER_INTERFACE)
        );
    }

    #[test]
    fn netns_snapshot_lists_links_and_addresses() {
        in_private_netns("netns_snapshot_lists_links_and_addresses", || async {
            let netlink = Netlink::connect().await.expect("connect");
            netlink.set_link_up(1).await;
            let (veth0, _) = netlink.create_veth_pair("veth0", "veth1").await;
            netlink
                .address_add(veth0, "10.0.0.1".parse().expect("address"), 24)
                .await
                .expect("address add");
            let views = snapshot(&netlink).await.expect("snapshot");
            let ifindexes: Vec<u32> = views.iter().map(|view| view.ifindex).collect();
            let mut sorted = ifindexes.clone();
            sorted.sort_unstable();
            assert_eq!(ifindexes, sorted);
            let lo = views.iter().find(|view| view.name == "lo").expect("lo");
            assert!(
                lo.addresses
                    .iter()
                    .any(|a| a.address.to_string() == "127.0.0.1" && a.prefix_len == 8)
            );
            let veth = views.iter().find(|view| view.ifindex == veth0).expect("veth0");
            let json = serde_json::to_value(veth).expect("json");
            assert_eq!(json["kind"], "veth");
            assert_eq!(
                json["addresses"][0],
                json!({"family": "ipv4", "address": "10.0.0.1", "prefix_len": 24})
            );
            let mut keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "addresses",
                    "admin_up",
                    "ifindex",
                    "kind",
                    "mac",
                    "mtu",
                    "name",
                    "oper_state"
                ]
            );
        });
    }
}
