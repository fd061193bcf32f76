//! The kernel's links and addresses as the instance sees them: the daemon keeps an
//! [`InterfaceTable`] of what it told the instance, applies each netlink event to it, and
//! tells the instance the difference for the interfaces the event touched (every interface
//! after a resync).
//!
//! ```text
//!   NetlinkEvent ──► InterfaceTable::apply ──► inputs(old, new) per touched ifindex:
//!                      AddressRemoved*, InterfaceDown | InterfaceUp{mtu}, AddressAdded*
//! ```
//!
//! Every IPv4 address of every interface goes to the instance: it decides which ones are
//! announced (`announce`) and which one an OSPF interface runs on.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use okapi_ospf::Input;
use okapi_runtime::interfaces::{Interface, InterfaceTable};
use okapi_runtime::netlink::NetlinkEvent;

/// The ifindexes an event touches (`None`: all of them, a resync).
pub fn touched(event: &NetlinkEvent) -> Option<Vec<u32>> {
    match event {
        NetlinkEvent::LinkChanged(link) => Some(vec![link.ifindex]),
        NetlinkEvent::LinkRemoved { ifindex, .. } => Some(vec![*ifindex]),
        NetlinkEvent::AddressAdded(address) | NetlinkEvent::AddressRemoved(address) => Some(vec![address.ifindex]),
        NetlinkEvent::RouteAdded(_) | NetlinkEvent::RouteRemoved(_) => Some(Vec::new()),
        NetlinkEvent::Resync { .. } => None,
    }
}

/// Applies `event` to `table` and returns what the instance must be told.
pub fn apply(table: &mut InterfaceTable, event: &NetlinkEvent) -> Vec<Input> {
    match touched(event) {
        Some(ifindexes) => {
            let before: Vec<(u32, Option<Interface>)> = ifindexes
                .iter()
                .map(|ifindex| (*ifindex, table.get(*ifindex).cloned()))
                .collect();
            table.apply(event);
            before
                .into_iter()
                .flat_map(|(ifindex, old)| inputs(ifindex, old.as_ref(), table.get(ifindex)))
                .collect()
        }
        None => {
            let old = table.clone();
            table.apply(event);
            difference(&old, table)
        }
    }
}

/// What turns the instance's view `old` into `new`, for every interface of either.
pub fn difference(old: &InterfaceTable, new: &InterfaceTable) -> Vec<Input> {
    let ifindexes: BTreeSet<u32> = old.iter().chain(new.iter()).map(Interface::ifindex).collect();
    ifindexes
        .into_iter()
        .flat_map(|ifindex| inputs(ifindex, old.get(ifindex), new.get(ifindex)))
        .collect()
}

fn ipv4_addresses(interface: Option<&Interface>) -> BTreeSet<(Ipv4Addr, u8)> {
    interface
        .map(|interface| {
            interface
                .addresses
                .iter()
                .filter_map(|address| match address.address {
                    IpAddr::V4(v4) => Some((v4, address.prefix_len)),
                    IpAddr::V6(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The MTU as the instance takes it (0: unknown).
pub fn mtu16(mtu: u32) -> u16 {
    u16::try_from(mtu).unwrap_or(u16::MAX)
}

/// The inputs for one interface going from `old` to `new` (`None`: absent).
pub fn inputs(ifindex: u32, old: Option<&Interface>, new: Option<&Interface>) -> Vec<Input> {
    let mut inputs = Vec::new();
    let old_up = old.is_some_and(Interface::is_operational);
    let new_up = new.is_some_and(Interface::is_operational);
    let old_addresses = ipv4_addresses(old);
    let new_addresses = ipv4_addresses(new);
    for (address, prefix_len) in old_addresses.difference(&new_addresses) {
        inputs.push(Input::AddressRemoved {
            ifindex,
            address: *address,
            prefix_len: *prefix_len,
        });
    }
    let old_mtu = old.map(|interface| interface.link.mtu);
    match new {
        Some(new) if new_up && (!old_up || old_mtu != Some(new.link.mtu)) => inputs.push(Input::InterfaceUp {
            ifindex,
            mtu: mtu16(new.link.mtu),
        }),
        _ if old_up && !new_up => inputs.push(Input::InterfaceDown { ifindex }),
        _ => {}
    }
    for (address, prefix_len) in new_addresses.difference(&old_addresses) {
        inputs.push(Input::AddressAdded {
            ifindex,
            address: *address,
            prefix_len: *prefix_len,
        });
    }
    inputs
}

#[cfg(test)]
mod tests {
    use super::*;
    use okapi_runtime::netlink::{Address, Link};

    fn link(ifindex: u32, name: &str, up: bool, mtu: u32) -> Link {
        Link {
            ifindex,
            name: name.to_string(),
            admin_up: up,
            oper_state: if up { "up" } else { "down" }.to_string(),
            mtu,
            mac: None,
            kind: Some("veth".to_string()),
        }
    }

    fn address(ifindex: u32, text: &str, prefix_len: u8) -> Address {
        Address {
            ifindex,
            address: text.parse().unwrap(),
            prefix_len,
        }
    }

    fn describe(inputs: &[Input]) -> Vec<String> {
        inputs
            .iter()
            .map(|input| match input {
                Input::InterfaceUp { ifindex, mtu } => format!("up {ifindex} mtu {mtu}"),
                Input::InterfaceDown { ifindex } => format!("down {ifindex}"),
                Input::AddressAdded {
                    ifindex,
                    address,
                    prefix_len,
                } => format!("+{address}/{prefix_len} on {ifindex}"),
                Input::AddressRemoved {
                    ifindex,
                    address,
                    prefix_len,
                } => format!("-{address}/{prefix_len} on {ifindex}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn events_become_inputs() {
        let mut table = InterfaceTable::new();
        let events = [
            (NetlinkEvent::LinkChanged(link(2, "eth1", false, 9500)), vec![]),
            (
                NetlinkEvent::AddressAdded(address(2, "10.0.12.1", 30)),
                vec!["+10.0.12.1/30 on 2"],
            ),
            (NetlinkEvent::AddressAdded(address(2, "fe80::1", 64)), vec![]),
            (
                NetlinkEvent::LinkChanged(link(2, "eth1", true, 9500)),
                vec!["up 2 mtu 9500"],
            ),
            (
                NetlinkEvent::LinkChanged(link(2, "eth1", true, 1500)),
                vec!["up 2 mtu 1500"],
            ),
            (NetlinkEvent::LinkChanged(link(2, "eth1", true, 1500)), vec![]),
            (NetlinkEvent::LinkChanged(link(2, "eth1", false, 1500)), vec!["down 2"]),
            (
                NetlinkEvent::LinkRemoved {
                    ifindex: 2,
                    name: "eth1".to_string(),
                },
                vec!["-10.0.12.1/30 on 2"],
            ),
        ];
        for (event, expected) in events {
            assert_eq!(describe(&apply(&mut table, &event)), expected, "{event:?}");
        }
    }

    #[test]
    fn resync_tells_the_difference() {
        let mut table = InterfaceTable::from_dump(
            vec![link(1, "lo", true, 65536), link(2, "eth1", true, 1500)],
            vec![address(1, "10.0.0.1", 32), address(2, "10.0.12.1", 30)],
        );
        let resync = NetlinkEvent::Resync {
            links: vec![link(1, "lo", true, 65536), link(3, "eth2", true, 1500)],
            addresses: vec![
                address(1, "10.0.0.1", 32),
                address(1, "203.0.113.10", 32),
                address(3, "10.0.13.1", 30),
            ],
            routes: vec![],
        };
        assert_eq!(
            describe(&apply(&mut table, &resync)),
            vec![
                "+203.0.113.10/32 on 1",
                "-10.0.12.1/30 on 2",
                "down 2",
                "up 3 mtu 1500",
                "+10.0.13.1/30 on 3"
            ]
        );
        assert_eq!(mtu16(65536), u16::MAX);
    }
}
