//! Simulated networks built from the SPF tests' topology model (`tests/spf/topology.rs`),
//! and their routes checked against the independent reference (`tests/spf/reference.rs`).
//!
//! ```text
//!   Topology::generate(params, seed) ──► network(&topology) ──► Network (same router IDs,
//!        │                                 addresses, costs, ifindexes; the model's DR has
//!        │                                 the highest priority on its LAN)
//!        └──► reference::expected(&topology, router) ──► check_routes(net, &topology, router)
//! ```
//!
//! The model numbers a router's interfaces from 2 in creation order (point-to-point links,
//! then LANs), as the harness does, but the next hops are still mapped through the
//! (router, address) of each interface rather than assumed equal.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use okapi_ospf::InterfaceAuth;
use okapi_ospf::spf::{Ipv4Prefix, NextHop};

use super::{LOOPBACK_IFINDEX, LanMember, LinkKind, Network};
use crate::reference::{self, Route};
use crate::topology::{self, Lan, LanMember as ModelMember, Params, Rng, Topology};

/// A topology the simulation can run as the model says: every link two-way and numbered, no
/// LSInfinity. Costs are small so that equal-cost paths are common.
pub fn params(rng: &mut Rng, routers: usize) -> Params {
    Params {
        routers,
        extra_links: rng.range(0, routers + routers / 2),
        lans: rng.range(0, routers / 3 + 1),
        lan_size: (1, 5),
        max_cost: [1, 2, 3, 10][rng.below(4)],
        asymmetric: 25,
        one_way: 0,
        unnumbered: 0,
        slash_31: 20,
        infinity: 0,
    }
}

/// The network of `topology`, not started: hello and dead intervals as given, the model's
/// DR with priority 2 on its LAN (1 for the others, so it wins the first election).
pub fn network(topology: &Topology, hello: u16, dead: u32) -> Network {
    network_with(topology, hello, dead, InterfaceAuth::None)
}

/// [`network`] with this authentication on every link.
pub fn network_with(topology: &Topology, hello: u16, dead: u32, auth: InterfaceAuth) -> Network {
    let mut net = Network::new().hello(hello, dead).auth(auth);
    for &id in &topology.router_ids {
        net = net.router_with_id(id);
    }
    for (router, &cost) in topology.loopback_costs.iter().enumerate() {
        net = net.loopback(router, topology::loopback(router), cost);
    }
    for link in &topology.links {
        assert!(!link.unnumbered, "the simulation has no unnumbered links");
        let [a, b] = link.ends;
        net = net.p2p_with(
            [(a.router, a.address, a.cost), (b.router, b.address, b.cost)],
            link.subnet.prefix_len(),
        );
    }
    for lan in &topology.lans {
        let members: Vec<LanMember> = lan
            .members
            .iter()
            .enumerate()
            .map(|(position, member)| LanMember {
                router: member.router,
                address: member.address,
                cost: member.cost,
                priority: if position == lan.dr { 2 } else { 1 },
            })
            .collect();
        net = net.lan_members(lan.subnet.prefix_len(), &members);
    }
    net
}

/// The simulated ifindex of every model interface: (router, model ifindex) -> ifindex.
fn ifindex_map(net: &Network, topology: &Topology) -> HashMap<(usize, u32), u32> {
    let by_address: HashMap<(usize, Ipv4Addr), u32> = net
        .links
        .iter()
        .flat_map(|link| link.members.iter())
        .map(|member| ((member.router, member.address), member.ifindex))
        .collect();
    let mut map = HashMap::new();
    for link in &topology.links {
        for end in &link.ends {
            map.insert((end.router, end.ifindex), by_address[&(end.router, end.address)]);
        }
    }
    for lan in &topology.lans {
        for member in &lan.members {
            map.insert(
                (member.router, member.ifindex),
                by_address[&(member.router, member.address)],
            );
        }
    }
    map
}

/// `router`'s routing table against the reference: the same
/// prefixes, and for each the same cost, ECMP next-hop set (mapped to the simulated
/// interfaces), `connected` flag and advertising routers. The router's own loopback has no
/// OSPF interface in the simulation: its route has no next hop.
pub fn check_routes(net: &Network, topology: &Topology, router: usize) -> Result<(), String> {
    if !net.routes_consistent(router) {
        return Err(format!(
            "router {router}: the table built from RoutesChanged does not forward as the instance's"
        ));
    }
    let map = ifindex_map(net, topology);
    let expected = reference::expected(topology, router);
    let want: BTreeMap<Ipv4Prefix, Route> = expected
        .routes
        .into_iter()
        .map(|(prefix, route)| {
            let nexthops = route
                .nexthops
                .iter()
                .filter(|hop| hop.ifindex != LOOPBACK_IFINDEX)
                .map(|hop| NextHop {
                    ifindex: map[&(router, hop.ifindex)],
                    gateway: hop.gateway,
                })
                .collect();
            (prefix, Route { nexthops, ..route })
        })
        .collect();
    let got: BTreeMap<Ipv4Prefix, Route> = net
        .instance(router)
        .routes()
        .iter()
        .map(|(prefix, route)| {
            (
                *prefix,
                Route {
                    cost: u64::from(route.cost),
                    nexthops: route.nexthops.clone(),
                    connected: route.connected,
                    advertising_routers: route.advertising_routers.clone(),
                },
            )
        })
        .collect();
    let mut differences = String::new();
    for prefix in got.keys().chain(want.keys()).collect::<BTreeSet<_>>() {
        let (got, want) = (got.get(prefix), want.get(prefix));
        if got != want {
            let _ = writeln!(
                differences,
                "  {prefix}:\n    simulation: {got:?}\n    reference:  {want:?}"
            );
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "router {router} ({}): routes differ from the reference:\n{differences}",
            topology.router_ids[router]
        ))
    }
}

/// A short description of a topology for failure messages.
pub fn describe(topology: &Topology) -> String {
    let lan_members: usize = topology.lans.iter().map(|lan| lan.members.len()).sum();
    format!(
        "{} routers, {} point-to-point links, {} LANs ({} members)",
        topology.len(),
        topology.links.len(),
        topology.lans.len(),
        lan_members
    )
}

/// The model with simulated link `link` down (every end's interface Down): nothing of it is
/// advertised. Simulated links are the model's point-to-point links, then its LANs.
pub fn link_down(topology: &Topology, link: usize) -> Topology {
    let mut after = topology.clone();
    match link.checked_sub(after.links.len()) {
        None => {
            for end in &mut after.links[link].ends {
                end.advertised = false;
            }
        }
        Some(lan) => {
            for member in &mut after.lans[lan].members {
                member.advertised = false;
                member.listed = false;
            }
        }
    }
    after
}

/// The model with simulated link `link` cut silently (packets lost, interfaces up) once the
/// routers noticed (dead interval): every end announces the subnet as a stub network alone
/// (a point-to-point interface keeps its stub, §12.4.1.1; a LAN member left alone elects
/// itself DR of a network without adjacencies, §12.4.1.2), modelled as LANs of one.
pub fn link_cut(topology: &Topology, link: usize) -> Topology {
    let mut after = topology.clone();
    let mut stubs = Vec::new();
    match link.checked_sub(after.links.len()) {
        None => {
            let p2p = &mut after.links[link];
            for end in &mut p2p.ends {
                stubs.push(Lan {
                    subnet: p2p.subnet,
                    members: vec![ModelMember {
                        router: end.router,
                        ifindex: end.ifindex,
                        address: end.address,
                        cost: end.cost,
                        advertised: true,
                        listed: true,
                    }],
                    dr: 0,
                });
                end.advertised = false;
            }
        }
        Some(lan) => {
            let lan = after.lans.remove(lan);
            for member in lan.members {
                stubs.push(Lan {
                    subnet: lan.subnet,
                    members: vec![member],
                    dr: 0,
                });
            }
        }
    }
    after.lans.extend(stubs);
    after
}

/// The model once router `dead` is gone and its neighbors noticed: its point-to-point
/// neighbors announce their side's subnet as a stub (§12.4.1.1: "regardless of the
/// neighboring router state"), modelled as a LAN of one; it leaves its LANs, and where it
/// was the DR the BDR takes over (the highest router ID among the others, all priority 1).
pub fn router_dead(topology: &Topology, dead: usize) -> Topology {
    let mut after = topology.clone();
    let mut stubs = Vec::new();
    for link in &mut after.links {
        if link.ends.iter().all(|end| end.router != dead) {
            continue;
        }
        for end in &mut link.ends {
            if end.router != dead && end.advertised {
                stubs.push(Lan {
                    subnet: link.subnet,
                    members: vec![ModelMember {
                        router: end.router,
                        ifindex: end.ifindex,
                        address: end.address,
                        cost: end.cost,
                        advertised: true,
                        listed: true,
                    }],
                    dr: 0,
                });
            }
            end.advertised = false;
        }
    }
    let ids = after.router_ids.clone();
    for lan in &mut after.lans {
        let Some(position) = lan.members.iter().position(|member| member.router == dead) else {
            continue;
        };
        let dr_address = lan.dr_address();
        lan.members.remove(position);
        lan.dr = if position == lan.dr {
            (0..lan.members.len())
                .max_by_key(|&member| ids[lan.members[member].router])
                .unwrap_or(0)
        } else {
            lan.members
                .iter()
                .position(|member| member.address == dr_address)
                .unwrap_or(0)
        };
    }
    after.lans.retain(|lan| !lan.members.is_empty());
    after.lans.extend(stubs);
    after
}

/// The model once router `back` has returned: as `original`, but a LAN keeps the DR it had
/// in `during` (§9.4: a router joining does not preempt an elected DR).
pub fn router_back(original: &Topology, during: &Topology, back: usize) -> Topology {
    let mut after = original.clone();
    for lan in &mut after.lans {
        if lan.members.iter().all(|member| member.router != back) {
            continue;
        }
        let kept = during
            .lans
            .iter()
            .find(|other| other.subnet == lan.subnet)
            .map(Lan::dr_address);
        if let Some(position) = kept.and_then(|address| lan.members.iter().position(|member| member.address == address))
        {
            lan.dr = position;
        }
    }
    after
}

/// The Designated Router of every transit LAN of the model that is up: (subnet, DR
/// address).
pub fn designated_routers(topology: &Topology) -> Vec<(Ipv4Prefix, Ipv4Addr)> {
    topology
        .lans
        .iter()
        .filter(|lan| lan.is_transit() && lan.members.iter().all(|member| member.advertised))
        .map(|lan| (lan.subnet, lan.dr_address()))
        .collect()
}

/// Is the model's graph of routers connected without `router` (if given) and without
/// simulated link `link` (if given)? Failures that split the area would leave each part with
/// the other's old LSAs: the tests pick failures that do not.
pub fn connected_without(topology: &Topology, router: Option<usize>, link: Option<usize>) -> bool {
    let n = topology.len();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut join = |members: &[usize]| {
        for &a in members {
            for &b in members {
                if a != b && Some(a) != router && Some(b) != router {
                    edges[a].push(b);
                }
            }
        }
    };
    for (index, p2p) in topology.links.iter().enumerate() {
        if Some(index) != link {
            join(&[p2p.ends[0].router, p2p.ends[1].router]);
        }
    }
    for (index, lan) in topology.lans.iter().enumerate() {
        if Some(topology.links.len() + index) != link {
            let members: Vec<usize> = lan.members.iter().map(|member| member.router).collect();
            join(&members);
        }
    }
    let Some(start) = (0..n).find(|&r| Some(r) != router) else {
        return true;
    };
    let mut seen = vec![false; n];
    let mut stack = vec![start];
    seen[start] = true;
    while let Some(r) = stack.pop() {
        for &next in &edges[r] {
            if !seen[next] {
                seen[next] = true;
                stack.push(next);
            }
        }
    }
    (0..n).all(|r| seen[r] || Some(r) == router)
}

/// Every live router's routes against the reference of `topology`.
pub fn check_all_routes(net: &Network, topology: &Topology) -> Result<(), String> {
    for router in net.live_routers() {
        check_routes(net, topology, router)?;
    }
    Ok(())
}

/// The DR of every transit LAN of `topology` is the one the simulation elected.
pub fn check_designated_routers(net: &Network, topology: &Topology) -> Result<(), String> {
    for (subnet, expected) in designated_routers(topology) {
        let Some(link) = net
            .links
            .iter()
            .position(|link| link.kind == LinkKind::Lan && subnet.contains(link.members[0].address))
        else {
            return Err(format!("no simulated LAN for {subnet}"));
        };
        for member in &net.links[link].members {
            if !net.is_running(member.router) {
                continue;
            }
            let dr = net
                .instance(member.router)
                .interfaces_view(net.now)
                .into_iter()
                .find(|interface| interface.ifindex == member.ifindex)
                .and_then(|interface| interface.dr_address);
            if dr != Some(expected) {
                return Err(format!(
                    "LAN {subnet}: router {} has DR {dr:?}, the model {expected}",
                    member.router
                ));
            }
        }
    }
    Ok(())
}
