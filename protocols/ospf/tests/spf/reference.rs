//! A deliberately simple reference for the SPF calculation, sharing nothing with it.
//!
//! It reads the topology model, not the LSAs, and works in three plain steps:
//!
//! 1. an adjacency matrix of the usable directed edges: routers and transit LANs as nodes;
//!    the two-way rule of RFC 2328 §16.1 (2)(b) written out per link kind; links of cost
//!    LSInfinity dropped except the root's own;
//! 2. all-pairs distances by Floyd–Warshall on the matrix without the root (a shortest path
//!    never comes back to its root), and the distance from the root as the minimum over the
//!    root's first edges of `first edge + distance from its far end`;
//! 3. next hops by first-edge decomposition: a first edge (and, through a LAN, the second)
//!    gives a next hop for `t` exactly when a shortest path to `t` starts with it.
//!
//! O(V^3) per root: fine for the few dozen vertices of the random tests. For large areas
//! (the 1,000-router simulation) step 2 can instead compute only the rows it needs (from the
//! root's neighbors and the members of the root's LANs) by Bellman-Ford relaxation of the same
//! edges: [`Method::Rows`]. `expected` picks it above [`FLOYD_WARSHALL_MAX`] vertices, and a
//! test checks that both methods agree.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use okapi_ospf::spf::{Ipv4Prefix, NextHop};

use crate::topology::{LS_INFINITY, Topology, loopback};

const INF: u64 = u64::MAX / 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub cost: u64,
    pub nexthops: BTreeSet<NextHop>,
    pub connected: bool,
    pub advertising_routers: BTreeSet<Ipv4Addr>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub routes: BTreeMap<Ipv4Prefix, Route>,
    /// Reachable routers but the root: cost and next hops.
    pub routers: BTreeMap<Ipv4Addr, (u64, BTreeSet<NextHop>)>,
    /// Transit LANs in the tree by Link State ID: cost and next hops.
    pub networks: BTreeMap<Ipv4Addr, (u64, BTreeSet<NextHop>)>,
}

/// What a first edge from the root is.
#[derive(Debug, Clone, Copy)]
enum First {
    /// Over a point-to-point link: the next hop.
    PointToPoint(NextHop),
    /// Onto a LAN (node `lan_node`, index `lan` in the topology) over interface `ifindex`.
    Lan { ifindex: u32, lan: usize },
}

/// How step 2 computes the distances between vertices (the root excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// All pairs, Floyd–Warshall: O(V^3).
    FloydWarshall,
    /// Only the rows needed, each by Bellman-Ford over the edge list: O(V E) per row at worst.
    Rows,
}

/// Up to this many vertices `expected` uses Floyd–Warshall.
pub const FLOYD_WARSHALL_MAX: usize = 300;

pub fn expected(topology: &Topology, root: usize) -> Expected {
    let vertices = topology.len() + topology.lans.iter().filter(|lan| lan.is_transit()).count();
    let method = if vertices <= FLOYD_WARSHALL_MAX {
        Method::FloydWarshall
    } else {
        Method::Rows
    };
    expected_with(topology, root, method)
}

pub fn expected_with(topology: &Topology, root: usize, method: Method) -> Expected {
    let n = topology.len();
    // LAN j with a Network-LSA is node n + position among the transit LANs.
    let lan_node: Vec<Option<usize>> = {
        let mut next = n;
        topology
            .lans
            .iter()
            .map(|lan| {
                lan.is_transit().then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    };
    let v = n + lan_node.iter().flatten().count();

    // Does router `from` advertise a point-to-point link to router `to`?
    let mut links_to = vec![vec![false; n]; n];
    for link in &topology.links {
        for side in 0..2 {
            if link.ends[side].advertised {
                links_to[link.ends[side].router][link.ends[1 - side].router] = true;
            }
        }
    }

    // 1. The usable directed edges, without the root's (they are the first edges below).
    let mut edges: Vec<(usize, usize, u64)> = Vec::new();
    let add = |edges: &mut Vec<(usize, usize, u64)>, from: usize, to: usize, cost: u64| {
        if from != root && to != root {
            edges.push((from, to, cost));
        }
    };
    for link in &topology.links {
        for side in 0..2 {
            let (a, b) = (&link.ends[side], &link.ends[1 - side]);
            // a -> b: a advertises this link, b has some link back to a, cost finite.
            if a.advertised && links_to[b.router][a.router] && a.cost != LS_INFINITY {
                add(&mut edges, a.router, b.router, u64::from(a.cost));
            }
        }
    }
    for (j, lan) in topology.lans.iter().enumerate() {
        let Some(node) = lan_node[j] else { continue };
        for member in lan.members.iter().filter(|member| member.advertised && member.listed) {
            if member.cost != LS_INFINITY {
                add(&mut edges, member.router, node, u64::from(member.cost));
            }
            add(&mut edges, node, member.router, 0);
        }
    }
    // The root's first edges: its own links, LSInfinity included, two-way, with an
    // identifiable next hop.
    let mut firsts: Vec<(usize, u64, First)> = Vec::new();
    for link in &topology.links {
        for side in 0..2 {
            let (a, b) = (&link.ends[side], &link.ends[1 - side]);
            if a.router != root || !a.advertised || !links_to[b.router][root] {
                continue;
            }
            let gateway = if link.unnumbered {
                None
            } else if b.advertised {
                Some(b.address)
            } else {
                // The neighbor's links back are all on other links: their addresses are in
                // the subnets of our other interfaces (or ifindexes): not usable.
                continue;
            };
            let nexthop = NextHop {
                ifindex: a.ifindex,
                gateway,
            };
            firsts.push((b.router, u64::from(a.cost), First::PointToPoint(nexthop)));
        }
    }
    for (j, lan) in topology.lans.iter().enumerate() {
        let Some(node) = lan_node[j] else { continue };
        for member in lan.members.iter().filter(|member| member.router == root) {
            if member.advertised && member.listed {
                firsts.push((
                    node,
                    u64::from(member.cost),
                    First::Lan {
                        ifindex: member.ifindex,
                        lan: j,
                    },
                ));
            }
        }
    }

    // 2. Distances without the root: `d[x][t]` for every x (Floyd–Warshall) or for the
    // x that the steps below read (rows).
    let d: Vec<Vec<u64>> = match method {
        Method::FloydWarshall => floyd_warshall(v, &edges),
        Method::Rows => {
            let mut sources: BTreeSet<usize> = firsts.iter().map(|&(x, _, _)| x).collect();
            for &(_, _, first) in &firsts {
                if let First::Lan { lan, .. } = first {
                    sources.extend(topology.lans[lan].members.iter().map(|member| member.router));
                }
            }
            (0..v)
                .map(|x| {
                    if sources.contains(&x) {
                        bellman_ford(v, &edges, x)
                    } else {
                        Vec::new()
                    }
                })
                .collect()
        }
    };

    // Distance from the root.
    let dist: Vec<u64> = (0..v)
        .map(|t| {
            if t == root {
                return 0;
            }
            firsts
                .iter()
                .map(|&(x, cost, _)| cost + d[x][t])
                .min()
                .unwrap_or(INF)
                .min(INF)
        })
        .collect();

    // 3. Next hops of node t.
    let nexthops = |t: usize| -> BTreeSet<NextHop> {
        let mut set = BTreeSet::new();
        if t == root || dist[t] >= INF {
            return set;
        }
        for &(x, cost, first) in &firsts {
            if cost + d[x][t] != dist[t] {
                continue;
            }
            match first {
                First::PointToPoint(nexthop) => {
                    set.insert(nexthop);
                }
                First::Lan { ifindex, .. } if x == t => {
                    set.insert(NextHop { ifindex, gateway: None });
                }
                First::Lan { ifindex, lan } => {
                    for member in &topology.lans[lan].members {
                        let two_way = member.advertised && member.listed && member.router != root;
                        if two_way && cost + d[member.router][t] == dist[t] {
                            set.insert(NextHop {
                                ifindex,
                                gateway: Some(member.address),
                            });
                        }
                    }
                }
            }
        }
        set
    };
    let connected_lan = |t: usize| {
        firsts
            .iter()
            .any(|&(x, cost, first)| x == t && cost == dist[t] && matches!(first, First::Lan { .. }))
    };

    let mut expected = Expected::default();
    let add_route = |expected: &mut Expected, prefix: Ipv4Prefix, route: Route| match expected.routes.get_mut(&prefix) {
        None => {
            expected.routes.insert(prefix, route);
        }
        Some(existing) if route.cost < existing.cost => *existing = route,
        Some(existing) if route.cost == existing.cost => {
            existing.nexthops.extend(route.nexthops);
            existing.advertising_routers.extend(route.advertising_routers);
            existing.connected |= route.connected;
        }
        Some(_) => {}
    };

    // Transit LANs.
    for (j, lan) in topology.lans.iter().enumerate() {
        let Some(node) = lan_node[j] else { continue };
        if dist[node] >= INF {
            continue;
        }
        let nexthops = nexthops(node);
        expected
            .networks
            .insert(lan.dr_address(), (dist[node], nexthops.clone()));
        let dr = topology.router_ids[lan.members[lan.dr].router];
        add_route(
            &mut expected,
            lan.subnet,
            Route {
                cost: dist[node],
                nexthops,
                connected: connected_lan(node),
                advertising_routers: BTreeSet::from([dr]),
            },
        );
    }

    // Routers and their stub networks.
    let interfaces = topology.interfaces(root);
    for (x, &dist_x) in dist.iter().enumerate().take(n) {
        if dist_x >= INF {
            continue;
        }
        let router_nexthops = nexthops(x);
        if x != root {
            expected
                .routers
                .insert(topology.router_ids[x], (dist_x, router_nexthops.clone()));
        }
        let mut stubs: Vec<(Ipv4Prefix, u16)> = Vec::new();
        for link in topology.links.iter().filter(|link| !link.unnumbered) {
            for end in link.ends.iter().filter(|end| end.router == x && end.advertised) {
                stubs.push((link.subnet, end.cost));
            }
        }
        for lan in topology.lans.iter().filter(|lan| !lan.is_transit()) {
            for member in lan
                .members
                .iter()
                .filter(|member| member.router == x && member.advertised)
            {
                stubs.push((lan.subnet, member.cost));
            }
        }
        stubs.push((Ipv4Prefix::new(loopback(x), 32), topology.loopback_costs[x]));
        for (prefix, cost) in stubs {
            let route = if x == root {
                Route {
                    cost: u64::from(cost),
                    nexthops: interfaces
                        .iter()
                        .filter(|interface| !interface.unnumbered && interface.prefix() == prefix)
                        .map(|interface| NextHop {
                            ifindex: interface.ifindex,
                            gateway: None,
                        })
                        .collect(),
                    connected: true,
                    advertising_routers: BTreeSet::from([topology.router_ids[x]]),
                }
            } else if cost == LS_INFINITY {
                continue;
            } else {
                Route {
                    cost: dist_x + u64::from(cost),
                    nexthops: router_nexthops.clone(),
                    connected: false,
                    advertising_routers: BTreeSet::from([topology.router_ids[x]]),
                }
            };
            add_route(&mut expected, prefix, route);
        }
    }
    expected
}

/// All-pairs distances over `edges` (the root's row and column stay infinite: it has no
/// edges here).
fn floyd_warshall(v: usize, edges: &[(usize, usize, u64)]) -> Vec<Vec<u64>> {
    let mut d = vec![vec![INF; v]; v];
    for (i, row) in d.iter_mut().enumerate() {
        row[i] = 0;
    }
    for &(from, to, cost) in edges {
        if cost < d[from][to] {
            d[from][to] = cost;
        }
    }
    for k in 0..v {
        for i in 0..v {
            if d[i][k] == INF {
                continue;
            }
            for j in 0..v {
                let through = d[i][k] + d[k][j];
                if through < d[i][j] {
                    d[i][j] = through;
                }
            }
        }
    }
    d
}

/// The distances from `source` over `edges`: relax every edge until nothing changes (at most
/// V - 1 rounds, costs being non-negative).
fn bellman_ford(v: usize, edges: &[(usize, usize, u64)], source: usize) -> Vec<u64> {
    let mut row = vec![INF; v];
    row[source] = 0;
    for _ in 0..v {
        let mut changed = false;
        for &(from, to, cost) in edges {
            if row[from] < INF && row[from] + cost < row[to] {
                row[to] = row[from] + cost;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    row
}
