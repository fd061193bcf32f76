//! Small topologies with hand-computed routes, one per rule of §16.1 and §16.1.1.

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

use super::*;
use crate::lsa::{NetworkLsa, RouterLink, RouterLinkType, RouterLsa, RouterLsaFlags};

#[derive(Default)]
struct TestLsdb {
    routers: HashMap<Ipv4Addr, RouterLsa>,
    networks: HashMap<Ipv4Addr, (Ipv4Addr, NetworkLsa)>,
}

impl LsdbView for TestLsdb {
    fn router_lsa(&self, router_id: Ipv4Addr) -> Option<&RouterLsa> {
        self.routers.get(&router_id)
    }

    fn network_lsa(&self, link_state_id: Ipv4Addr) -> Option<(Ipv4Addr, &NetworkLsa)> {
        self.networks.get(&link_state_id).map(|(dr, lsa)| (*dr, lsa))
    }
}

impl TestLsdb {
    fn router(&mut self, id: &str, links: Vec<RouterLink>) -> &mut Self {
        self.routers.insert(
            ip(id),
            RouterLsa {
                flags: RouterLsaFlags::empty(),
                reserved: 0,
                links,
            },
        );
        self
    }

    fn network(&mut self, dr_address: &str, dr: &str, mask: &str, attached: &[&str]) -> &mut Self {
        self.networks.insert(
            ip(dr_address),
            (
                ip(dr),
                NetworkLsa {
                    network_mask: ip(mask),
                    attached_routers: attached.iter().map(|router| ip(router)).collect(),
                },
            ),
        );
        self
    }
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn link(link_type: RouterLinkType, link_id: &str, link_data: &str, metric: u16) -> RouterLink {
    RouterLink {
        link_id: ip(link_id),
        link_data: ip(link_data),
        link_type,
        metric,
        tos_metrics: Vec::new(),
    }
}

/// A point-to-point link to `neighbor` from our address `address`.
fn p2p(neighbor: &str, address: &str, metric: u16) -> RouterLink {
    link(RouterLinkType::POINT_TO_POINT, neighbor, address, metric)
}

/// A link to the transit network whose DR is `dr_address`, from our address `address`.
fn transit(dr_address: &str, address: &str, metric: u16) -> RouterLink {
    link(RouterLinkType::TRANSIT, dr_address, address, metric)
}

fn stub(network: &str, mask: &str, metric: u16) -> RouterLink {
    link(RouterLinkType::STUB, network, mask, metric)
}

fn iface(ifindex: u32, address: &str, prefix_len: u8) -> LocalInterface {
    LocalInterface::numbered(ifindex, ip(address), prefix_len)
}

fn prefix(s: &str) -> Ipv4Prefix {
    let (addr, len) = s.split_once('/').unwrap();
    Ipv4Prefix::new(ip(addr), len.parse().unwrap())
}

fn hops(list: &[(u32, Option<&str>)]) -> BTreeSet<NextHop> {
    list.iter()
        .map(|(ifindex, gateway)| NextHop {
            ifindex: *ifindex,
            gateway: gateway.map(ip),
        })
        .collect()
}

#[track_caller]
fn assert_route(result: &SpfResult, to: &str, cost: u32, nexthops: &[(u32, Option<&str>)]) {
    let route = result
        .routes
        .get(&prefix(to))
        .unwrap_or_else(|| panic!("no route to {to}: {:#?}", result.routes));
    assert_eq!((route.cost, &route.nexthops), (cost, &hops(nexthops)), "route to {to}");
    assert_eq!(route.path_type, PathType::IntraArea);
}

#[track_caller]
fn assert_router(result: &SpfResult, id: &str, cost: u32, nexthops: &[(u32, Option<&str>)]) {
    let router = result
        .routers
        .get(&ip(id))
        .unwrap_or_else(|| panic!("router {id} unreachable: {:#?}", result.routers));
    assert_eq!((router.cost, &router.nexthops), (cost, &hops(nexthops)), "router {id}");
}

/// R1 (root) ---10--- R2 over 10.0.12.0/30 (R1 .1 on ifindex 2, R2 .2).
#[test]
fn point_to_point_pair() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![
            p2p("2.2.2.2", "10.0.12.1", 10),
            stub("10.0.12.0", "255.255.255.252", 10),
            stub("1.1.1.1", "255.255.255.255", 0),
        ],
    )
    .router(
        "2.2.2.2",
        vec![
            p2p("1.1.1.1", "10.0.12.2", 10),
            stub("10.0.12.0", "255.255.255.252", 10),
            stub("2.2.2.2", "255.255.255.255", 0),
        ],
    );
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(2, "10.0.12.1", 30)]);
    assert_router(&result, "2.2.2.2", 10, &[(2, Some("10.0.12.2"))]);
    assert_route(&result, "2.2.2.2/32", 10, &[(2, Some("10.0.12.2"))]);
    // Our own stub links: directly connected, through the interface on them if any.
    assert_route(&result, "10.0.12.0/30", 10, &[(2, None)]);
    assert!(result.routes.get(&prefix("10.0.12.0/30")).unwrap().connected);
    assert_route(&result, "1.1.1.1/32", 0, &[]);
    assert!(result.routes.get(&prefix("1.1.1.1/32")).unwrap().connected);
    assert!(!result.routes.get(&prefix("2.2.2.2/32")).unwrap().connected);
    assert_eq!(
        result.routes.get(&prefix("2.2.2.2/32")).unwrap().advertising_routers,
        BTreeSet::from([ip("2.2.2.2")])
    );
    assert_eq!(result.routes.len(), 3);
    assert_eq!(result.stats.router_vertices, 2);
    assert_eq!(result.stats.network_vertices, 0);
    assert_eq!(result.stats.routes, 3);
    // From the other end.
    let result = calculate(&lsdb, ip("2.2.2.2"), &[iface(7, "10.0.12.2", 30)]);
    assert_route(&result, "1.1.1.1/32", 10, &[(7, Some("10.0.12.1"))]);
}

/// R1 -10- R2, R1 -5- R3 -5- R2: R2 at 10 through both, and what is behind R2 too.
#[test]
fn triangle_with_equal_cost_paths() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![p2p("2.2.2.2", "10.0.12.1", 10), p2p("3.3.3.3", "10.0.13.1", 5)],
    )
    .router(
        "2.2.2.2",
        vec![
            p2p("1.1.1.1", "10.0.12.2", 10),
            p2p("3.3.3.3", "10.0.23.2", 5),
            stub("2.2.2.2", "255.255.255.255", 1),
        ],
    )
    .router(
        "3.3.3.3",
        vec![
            p2p("1.1.1.1", "10.0.13.3", 5),
            p2p("2.2.2.2", "10.0.23.3", 5),
            stub("10.0.23.0", "255.255.255.0", 5),
        ],
    );
    let interfaces = [iface(2, "10.0.12.1", 24), iface(3, "10.0.13.1", 24)];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    let both = [(2, Some("10.0.12.2")), (3, Some("10.0.13.3"))];
    assert_router(&result, "2.2.2.2", 10, &both);
    assert_router(&result, "3.3.3.3", 5, &[(3, Some("10.0.13.3"))]);
    assert_route(&result, "2.2.2.2/32", 11, &both);
    assert_route(&result, "10.0.23.0/24", 10, &[(3, Some("10.0.13.3"))]);
}

/// Two parallel point-to-point links of equal cost: one next hop per link, each with the
/// neighbor's address on that link.
#[test]
fn parallel_point_to_point_links() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![p2p("2.2.2.2", "10.0.1.1", 10), p2p("2.2.2.2", "10.0.2.1", 10)],
    )
    .router(
        "2.2.2.2",
        vec![
            p2p("1.1.1.1", "10.0.2.2", 10),
            p2p("1.1.1.1", "10.0.1.2", 10),
            stub("2.2.2.2", "255.255.255.255", 0),
        ],
    );
    let interfaces = [iface(4, "10.0.1.1", 30), iface(5, "10.0.2.1", 30)];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_route(
        &result,
        "2.2.2.2/32",
        10,
        &[(4, Some("10.0.1.2")), (5, Some("10.0.2.2"))],
    );
}

/// Parallel links where the neighbor left one out of its LSA: the two-way check passes for
/// the router (it links back over the other), but the left-out link has no next hop of its
/// own and is not used; the other one is.
#[test]
fn parallel_links_with_one_side_missing() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![p2p("2.2.2.2", "10.0.1.1", 10), p2p("2.2.2.2", "10.0.2.1", 10)],
    )
    .router(
        "2.2.2.2",
        vec![p2p("1.1.1.1", "10.0.2.2", 10), stub("2.2.2.2", "255.255.255.255", 0)],
    );
    let interfaces = [iface(4, "10.0.1.1", 30), iface(5, "10.0.2.1", 30)];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_route(&result, "2.2.2.2/32", 10, &[(5, Some("10.0.2.2"))]);
}

/// An unnumbered point-to-point link: Link Data is the ifindex, no gateway.
#[test]
fn unnumbered_point_to_point() {
    let mut lsdb = TestLsdb::default();
    lsdb.router("1.1.1.1", vec![p2p("2.2.2.2", "0.0.0.7", 10)]).router(
        "2.2.2.2",
        vec![p2p("1.1.1.1", "0.0.0.3", 10), stub("2.2.2.2", "255.255.255.255", 0)],
    );
    let interfaces = [LocalInterface::unnumbered(7, ip("1.1.1.1"))];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_route(&result, "2.2.2.2/32", 10, &[(7, None)]);
}

/// 192.168.1.0/24 with R1 (root, .1, ifindex 3), R2 (.2, the DR) and R3 (.3).
fn lan() -> TestLsdb {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![
            transit("192.168.1.2", "192.168.1.1", 10),
            stub("1.1.1.1", "255.255.255.255", 0),
        ],
    )
    .router(
        "2.2.2.2",
        vec![
            transit("192.168.1.2", "192.168.1.2", 10),
            stub("2.2.2.2", "255.255.255.255", 0),
        ],
    )
    .router(
        "3.3.3.3",
        vec![
            transit("192.168.1.2", "192.168.1.3", 20),
            stub("3.3.3.3", "255.255.255.255", 1),
        ],
    )
    .network(
        "192.168.1.2",
        "2.2.2.2",
        "255.255.255.0",
        &["2.2.2.2", "1.1.1.1", "3.3.3.3"],
    );
    lsdb
}

#[test]
fn broadcast_network_with_a_designated_router() {
    let lsdb = lan();
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(3, "192.168.1.1", 24)]);
    // The network: directly connected, advertised by the DR.
    assert_route(&result, "192.168.1.0/24", 10, &[(3, None)]);
    let route = result.routes.get(&prefix("192.168.1.0/24")).unwrap();
    assert!(route.connected);
    assert_eq!(route.advertising_routers, BTreeSet::from([ip("2.2.2.2")]));
    assert_eq!(
        result.networks.get(&ip("192.168.1.2")),
        Some(&TransitNetwork {
            prefix: prefix("192.168.1.0/24"),
            designated_router: ip("2.2.2.2"),
            cost: 10,
            nexthops: hops(&[(3, None)]),
        })
    );
    // Routers on it: their own address on the network, at the network's cost (the cost from
    // a network to a router is 0).
    assert_router(&result, "2.2.2.2", 10, &[(3, Some("192.168.1.2"))]);
    assert_router(&result, "3.3.3.3", 10, &[(3, Some("192.168.1.3"))]);
    assert_route(&result, "3.3.3.3/32", 11, &[(3, Some("192.168.1.3"))]);
    assert_eq!(result.stats.router_vertices, 3);
    assert_eq!(result.stats.network_vertices, 1);

    // From R3: its own link costs 20.
    let result = calculate(&lsdb, ip("3.3.3.3"), &[iface(9, "192.168.1.3", 24)]);
    assert_route(&result, "192.168.1.0/24", 20, &[(9, None)]);
    assert_route(&result, "1.1.1.1/32", 20, &[(9, Some("192.168.1.1"))]);
}

/// R1 on the LAN with R2 and R3; R3 has a point-to-point link to R4, which has a LAN of its
/// own (10.4.0.0/24, DR R4 at 10.4.0.4, with R5). Everything behind R3 goes through R3's
/// address on the first LAN.
#[test]
fn next_hop_through_a_network_to_a_router_behind_it() {
    let mut lsdb = lan();
    let mut r3 = lsdb.routers.remove(&ip("3.3.3.3")).unwrap();
    r3.links.push(p2p("4.4.4.4", "10.0.34.3", 5));
    lsdb.routers.insert(ip("3.3.3.3"), r3);
    lsdb.router(
        "4.4.4.4",
        vec![
            p2p("3.3.3.3", "10.0.34.4", 5),
            transit("10.4.0.4", "10.4.0.4", 1),
            stub("4.4.4.4", "255.255.255.255", 0),
        ],
    )
    .router(
        "5.5.5.5",
        vec![
            transit("10.4.0.4", "10.4.0.5", 1),
            stub("5.5.5.5", "255.255.255.255", 0),
        ],
    )
    .network("10.4.0.4", "4.4.4.4", "255.255.255.0", &["4.4.4.4", "5.5.5.5"]);
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(3, "192.168.1.1", 24)]);
    let via_r3 = [(3, Some("192.168.1.3"))];
    assert_router(&result, "4.4.4.4", 15, &via_r3);
    assert_route(&result, "4.4.4.4/32", 15, &via_r3);
    assert_route(&result, "10.4.0.0/24", 16, &via_r3);
    assert!(!result.routes.get(&prefix("10.4.0.0/24")).unwrap().connected);
    assert_router(&result, "5.5.5.5", 16, &via_r3);
    assert_route(&result, "5.5.5.5/32", 16, &via_r3);
    assert_eq!(result.stats.network_vertices, 2);
}

/// The root reaches a network both directly and through a router at the same cost: both
/// kinds of next hop, and a router on the network gets its address on the direct one.
#[test]
fn network_reached_directly_and_through_a_router() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![transit("10.9.0.9", "10.9.0.1", 20), p2p("2.2.2.2", "10.0.12.1", 10)],
    )
    .router(
        "2.2.2.2",
        vec![p2p("1.1.1.1", "10.0.12.2", 10), transit("10.9.0.9", "10.9.0.2", 10)],
    )
    .router(
        "9.9.9.9",
        vec![
            transit("10.9.0.9", "10.9.0.9", 10),
            stub("9.9.9.9", "255.255.255.255", 0),
        ],
    )
    .network(
        "10.9.0.9",
        "9.9.9.9",
        "255.255.255.0",
        &["9.9.9.9", "1.1.1.1", "2.2.2.2"],
    );
    let interfaces = [iface(2, "10.0.12.1", 30), iface(6, "10.9.0.1", 24)];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_route(&result, "10.9.0.0/24", 20, &[(2, Some("10.0.12.2")), (6, None)]);
    assert!(result.routes.get(&prefix("10.9.0.0/24")).unwrap().connected);
    assert_route(
        &result,
        "9.9.9.9/32",
        20,
        &[(2, Some("10.0.12.2")), (6, Some("10.9.0.9"))],
    );
}

/// /32 host routes as stub links: an anycast VIP announced by two routers at equal cost,
/// one announced more expensively elsewhere, masks applied to the Link ID.
#[test]
fn host_routes_and_stub_networks() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![
            p2p("2.2.2.2", "10.0.12.1", 10),
            p2p("3.3.3.3", "10.0.13.1", 10),
            stub("203.0.113.1", "255.255.255.255", 0),
        ],
    )
    .router(
        "2.2.2.2",
        vec![
            p2p("1.1.1.1", "10.0.12.2", 10),
            stub("198.51.100.10", "255.255.255.255", 1),
            stub("198.51.100.20", "255.255.255.255", 5),
            // Host bits in the Link ID: the prefix is canonical.
            stub("10.5.5.77", "255.255.255.0", 3),
        ],
    )
    .router(
        "3.3.3.3",
        vec![
            p2p("1.1.1.1", "10.0.13.3", 10),
            stub("198.51.100.10", "255.255.255.255", 1),
            stub("198.51.100.20", "255.255.255.255", 1),
        ],
    );
    let interfaces = [
        iface(2, "10.0.12.1", 30),
        iface(3, "10.0.13.1", 30),
        iface(1, "203.0.113.1", 32),
    ];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    let r2 = (2, Some("10.0.12.2"));
    let r3 = (3, Some("10.0.13.3"));
    assert_route(&result, "198.51.100.10/32", 11, &[r2, r3]);
    assert_eq!(
        result
            .routes
            .get(&prefix("198.51.100.10/32"))
            .unwrap()
            .advertising_routers,
        BTreeSet::from([ip("2.2.2.2"), ip("3.3.3.3")])
    );
    assert_route(&result, "198.51.100.20/32", 11, &[r3]);
    assert_route(&result, "10.5.5.0/24", 13, &[r2]);
    assert!(result.routes.get(&prefix("10.5.5.77/32")).is_none());
    // Our own VIP on a loopback-like interface given in `interfaces`.
    assert_route(&result, "203.0.113.1/32", 0, &[(1, None)]);
    assert!(result.routes.get(&prefix("203.0.113.1/32")).unwrap().connected);
}

/// A link whose far end does not link back is not used (§16.1 (2)(b)): a point-to-point
/// link, a router that the Network-LSA does not list, a Network-LSA listing a router that
/// has no link to it.
#[test]
fn one_way_links_are_not_used() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![p2p("2.2.2.2", "10.0.12.1", 10), transit("10.9.0.1", "10.9.0.1", 10)],
    )
    // R2 has no link back to R1.
    .router("2.2.2.2", vec![stub("2.2.2.2", "255.255.255.255", 0)])
    // R3 claims the LAN, which does not list it.
    .router(
        "3.3.3.3",
        vec![
            transit("10.9.0.1", "10.9.0.3", 10),
            stub("3.3.3.3", "255.255.255.255", 0),
        ],
    )
    // R4 is listed but has no link to the LAN.
    .router("4.4.4.4", vec![stub("4.4.4.4", "255.255.255.255", 0)])
    // R5 is listed and links back: the only one reachable.
    .router(
        "5.5.5.5",
        vec![
            transit("10.9.0.1", "10.9.0.5", 10),
            stub("5.5.5.5", "255.255.255.255", 0),
        ],
    )
    .network(
        "10.9.0.1",
        "1.1.1.1",
        "255.255.255.0",
        &["1.1.1.1", "4.4.4.4", "5.5.5.5"],
    );
    let interfaces = [iface(2, "10.0.12.1", 30), iface(3, "10.9.0.1", 24)];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_eq!(result.routers.keys().copied().collect::<Vec<_>>(), [ip("5.5.5.5")]);
    for unreachable in ["2.2.2.2/32", "3.3.3.3/32", "4.4.4.4/32"] {
        assert!(result.routes.get(&prefix(unreachable)).is_none(), "{unreachable}");
    }
    assert_route(&result, "5.5.5.5/32", 10, &[(3, Some("10.9.0.5"))]);

    // A Network-LSA that does not list the root: the root's own transit link is not used.
    lsdb.network("10.9.0.1", "1.1.1.1", "255.255.255.0", &["4.4.4.4", "5.5.5.5"]);
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert!(result.routers.is_empty());
    assert!(result.networks.is_empty());
}

/// Links of metric LSInfinity (0xFFFF) from other routers are not followed, neither transit
/// nor stub; the root's own are.
#[test]
fn ls_infinity_links_are_ignored() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![
            p2p("2.2.2.2", "10.0.12.1", 10),
            p2p("4.4.4.4", "10.0.14.1", LS_INFINITY),
        ],
    )
    .router(
        "2.2.2.2",
        vec![
            p2p("1.1.1.1", "10.0.12.2", 10),
            p2p("3.3.3.3", "10.0.23.2", LS_INFINITY),
            stub("2.2.2.2", "255.255.255.255", 0),
            stub("10.2.0.0", "255.255.0.0", LS_INFINITY),
        ],
    )
    .router(
        "3.3.3.3",
        vec![p2p("2.2.2.2", "10.0.23.3", 10), stub("3.3.3.3", "255.255.255.255", 0)],
    )
    .router(
        "4.4.4.4",
        vec![p2p("1.1.1.1", "10.0.14.4", 10), stub("4.4.4.4", "255.255.255.255", 0)],
    );
    let interfaces = [iface(2, "10.0.12.1", 30), iface(3, "10.0.14.1", 30)];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_route(&result, "2.2.2.2/32", 10, &[(2, Some("10.0.12.2"))]);
    assert!(result.routes.get(&prefix("10.2.0.0/16")).is_none());
    assert!(!result.routers.contains_key(&ip("3.3.3.3")));
    assert!(result.routes.get(&prefix("3.3.3.3/32")).is_none());
    // The root's own link at 0xFFFF is used, at that cost.
    assert_route(&result, "4.4.4.4/32", 65_535, &[(3, Some("10.0.14.4"))]);
    // R3 links to R2 with a finite metric, but R2 -> R3 is the direction that counts.
    let result = calculate(&lsdb, ip("3.3.3.3"), &[iface(1, "10.0.23.3", 30)]);
    assert_route(&result, "2.2.2.2/32", 10, &[(1, Some("10.0.23.2"))]);
    assert_router(&result, "1.1.1.1", 20, &[(1, Some("10.0.23.2"))]);
}

/// Routers that nothing links to, links to routers without an LSA, a root without a
/// Router-LSA, root links without a matching interface.
#[test]
fn unreachable_vertices() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![
            p2p("2.2.2.2", "10.0.12.1", 10),
            // No Router-LSA of 6.6.6.6 (flushed, or not arrived yet).
            p2p("6.6.6.6", "10.0.16.1", 10),
            // No Network-LSA for this LAN.
            transit("10.7.0.7", "10.7.0.1", 10),
            // A link to ourselves: ignored.
            p2p("1.1.1.1", "10.0.11.1", 1),
        ],
    )
    .router(
        "2.2.2.2",
        vec![p2p("1.1.1.1", "10.0.12.2", 10), stub("2.2.2.2", "255.255.255.255", 0)],
    )
    // Nobody links to R5.
    .router(
        "5.5.5.5",
        vec![p2p("2.2.2.2", "10.0.25.5", 10), stub("5.5.5.5", "255.255.255.255", 0)],
    );
    let interfaces = [
        iface(2, "10.0.12.1", 30),
        iface(3, "10.0.16.1", 30),
        iface(4, "10.7.0.1", 24),
    ];
    let result = calculate(&lsdb, ip("1.1.1.1"), &interfaces);
    assert_eq!(result.routers.keys().copied().collect::<Vec<_>>(), [ip("2.2.2.2")]);
    assert_eq!(result.routes.len(), 1);
    assert!(result.networks.is_empty());

    // No interface for the root's link to R2: R2 is unreachable.
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(3, "10.0.16.1", 30)]);
    assert!(result.routers.is_empty());

    // No Router-LSA of the root: nothing at all.
    let result = calculate(&lsdb, ip("9.9.9.9"), &interfaces);
    assert_eq!(result, SpfResult::default());
    assert_eq!(result.stats.router_vertices, 0);
}

/// Costs are u32: a path of 16-bit costs can exceed 65535.
#[test]
fn costs_add_up_beyond_16_bits() {
    let mut lsdb = TestLsdb::default();
    lsdb.router("1.1.1.1", vec![p2p("2.2.2.2", "10.0.12.1", 60_000)])
        .router(
            "2.2.2.2",
            vec![p2p("1.1.1.1", "10.0.12.2", 60_000), p2p("3.3.3.3", "10.0.23.2", 60_000)],
        )
        .router(
            "3.3.3.3",
            vec![
                p2p("2.2.2.2", "10.0.23.3", 60_000),
                stub("3.3.3.3", "255.255.255.255", 60_000),
            ],
        );
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(2, "10.0.12.1", 30)]);
    assert_route(&result, "3.3.3.3/32", 180_000, &[(2, Some("10.0.12.2"))]);
}

/// A point-to-point link between /32 addresses (peer addressing): the neighbor's only link
/// back gives the gateway.
#[test]
fn point_to_point_with_host_addresses() {
    let mut lsdb = TestLsdb::default();
    lsdb.router("1.1.1.1", vec![p2p("2.2.2.2", "10.0.0.1", 10)]).router(
        "2.2.2.2",
        vec![p2p("1.1.1.1", "10.0.0.2", 10), stub("2.2.2.2", "255.255.255.255", 0)],
    );
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(2, "10.0.0.1", 32)]);
    assert_route(&result, "2.2.2.2/32", 10, &[(2, Some("10.0.0.2"))]);
}

/// Malformed content: a Network-LSA listing a router twice and a zero mask, duplicate
/// links, zero costs. No panic, sensible routes.
#[test]
fn odd_lsdb_content() {
    let mut lsdb = TestLsdb::default();
    lsdb.router(
        "1.1.1.1",
        vec![
            transit("10.9.0.1", "10.9.0.1", 0),
            transit("10.9.0.1", "10.9.0.1", 0),
            link(RouterLinkType(99), "1.2.3.4", "5.6.7.8", 1),
            link(RouterLinkType::VIRTUAL, "2.2.2.2", "10.9.0.1", 1),
        ],
    )
    .router(
        "2.2.2.2",
        vec![transit("10.9.0.1", "10.9.0.2", 0), stub("0.0.0.0", "0.0.0.0", 0)],
    )
    .network("10.9.0.1", "1.1.1.1", "0.0.0.0", &["2.2.2.2", "1.1.1.1", "2.2.2.2"]);
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(3, "10.9.0.1", 24)]);
    assert_router(&result, "2.2.2.2", 0, &[(3, Some("10.9.0.2"))]);
    // The network's prefix with a zero mask and R2's default route are the same prefix.
    let default = result.routes.get(&prefix("0.0.0.0/0")).unwrap();
    assert_eq!(default.cost, 0);
    assert_eq!(default.nexthops, hops(&[(3, None), (3, Some("10.9.0.2"))]));
}

#[test]
fn results_serialize_to_json() {
    let lsdb = lan();
    let result = calculate(&lsdb, ip("1.1.1.1"), &[iface(3, "192.168.1.1", 24)]);
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["routes"]["192.168.1.0/24"]["cost"], 10);
    assert_eq!(json["routes"]["3.3.3.3/32"]["nexthops"][0]["gateway"], "192.168.1.3");
    assert_eq!(json["routes"]["3.3.3.3/32"]["path_type"], "intra-area");
    assert_eq!(json["stats"]["router_vertices"], 3);
}
