//! Random areas: `calculate` from every router against the reference, costs and ECMP
//! next-hop sets alike. A failure names the seed; `OKAPI_SPF_SEEDS=n` runs more seeds.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use okapi_ospf::lsa::MAX_AGE;
use okapi_ospf::spf::{Ipv4Prefix, LsdbView, NextHop, OspfRoute, RouteChange, RouteTable, calculate, diff};

use crate::reference::{self, Route};
use crate::topology::{MapLsdb, Params, Rng, Topology};

fn seeds(default: u64) -> u64 {
    std::env::var("OKAPI_SPF_SEEDS")
        .ok()
        .and_then(|seeds| seeds.parse().ok())
        .unwrap_or(default)
}

/// Small areas with everything in them: asymmetric and equal costs, one-way links,
/// unnumbered and /31 links, LSInfinity, LANs of one to five routers, parallel links.
fn small_params(rng: &mut Rng) -> Params {
    let routers = rng.range(1, 24);
    Params {
        routers,
        extra_links: rng.range(0, 2 * routers),
        lans: rng.range(0, 4),
        lan_size: (1, 5),
        max_cost: [1, 2, 3, 5, 10, 1000][rng.below(6)],
        asymmetric: 30,
        one_way: 10,
        unnumbered: 15,
        slash_31: 20,
        infinity: 5,
    }
}

#[derive(Default, Debug)]
struct Coverage {
    runs: usize,
    routes: usize,
    ecmp_routes: usize,
    lan_routes: usize,
    unreachable_routers: usize,
    gatewayless_remote: usize,
}

/// Compares `calculate` from `root` with the reference; `Err` describes the first
/// difference.
fn compare(topology: &Topology, lsdb: &impl LsdbView, root: usize, coverage: &mut Coverage) -> Result<(), String> {
    let root_id = topology.router_ids[root];
    let result = calculate(lsdb, root_id, &topology.interfaces(root));
    let expected = reference::expected(topology, root);

    let actual: BTreeMap<Ipv4Prefix, Route> = result
        .routes
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
    for prefix in actual.keys().chain(expected.routes.keys()).collect::<BTreeSet<_>>() {
        let (got, want) = (actual.get(prefix), expected.routes.get(prefix));
        if got != want {
            return Err(format!(
                "root {root_id}: route {prefix}:\n  calculate: {got:?}\n  reference: {want:?}"
            ));
        }
    }
    let routers: BTreeMap<Ipv4Addr, (u64, BTreeSet<NextHop>)> = result
        .routers
        .iter()
        .map(|(id, router)| (*id, (u64::from(router.cost), router.nexthops.clone())))
        .collect();
    if routers != expected.routers {
        return Err(format!(
            "root {root_id}: routers:\n  calculate: {routers:?}\n  reference: {:?}",
            expected.routers
        ));
    }
    let networks: BTreeMap<Ipv4Addr, (u64, BTreeSet<NextHop>)> = result
        .networks
        .iter()
        .map(|(id, network)| (*id, (u64::from(network.cost), network.nexthops.clone())))
        .collect();
    if networks != expected.networks {
        return Err(format!(
            "root {root_id}: networks:\n  calculate: {networks:?}\n  reference: {:?}",
            expected.networks
        ));
    }
    if result.stats.router_vertices != routers.len() + 1 || result.stats.routes != result.routes.len() {
        return Err(format!("root {root_id}: stats {:?}", result.stats));
    }

    coverage.runs += 1;
    coverage.routes += result.routes.len();
    coverage.ecmp_routes += result
        .routes
        .iter()
        .filter(|(_, route)| route.nexthops.len() > 1)
        .count();
    coverage.lan_routes += networks.len();
    coverage.unreachable_routers += topology.len() - 1 - routers.len();
    coverage.gatewayless_remote += result
        .routes
        .iter()
        .filter(|(_, route)| !route.connected && route.nexthops.iter().any(|nexthop| nexthop.gateway.is_none()))
        .count();
    Ok(())
}

#[test]
fn random_areas_match_the_reference() {
    let mut coverage = Coverage::default();
    for seed in 0..seeds(300) {
        let mut rng = Rng::new(seed ^ 0x5EED_0000);
        let params = small_params(&mut rng);
        let topology = Topology::generate(&params, seed);
        let lsdb = topology.lsdb();
        for root in 0..topology.len() {
            if let Err(difference) = compare(&topology, &lsdb, root, &mut coverage) {
                panic!("seed {seed} ({params:?}):\n{difference}\ntopology: {topology:#?}");
            }
        }
    }
    eprintln!("{coverage:?}");
    // The seeds must exercise what the test is about.
    assert!(coverage.runs > 2_000, "{coverage:?}");
    assert!(coverage.ecmp_routes > coverage.routes / 50, "{coverage:?}");
    assert!(coverage.lan_routes > 1_000, "{coverage:?}");
    assert!(coverage.unreachable_routers > 100, "{coverage:?}");
    assert!(coverage.gatewayless_remote > 100, "unnumbered links: {coverage:?}");
}

/// Fewer, larger areas (60 to 100 routers), from a handful of roots each.
#[test]
fn larger_areas_match_the_reference() {
    let mut coverage = Coverage::default();
    for seed in 0..seeds(300) / 15 {
        let mut rng = Rng::new(seed ^ 0x1A26_E000);
        let routers = rng.range(60, 100);
        let params = Params {
            routers,
            extra_links: routers,
            lans: routers / 8,
            lan_size: (2, 8),
            max_cost: [2, 10, 100][rng.below(3)],
            asymmetric: 20,
            one_way: 3,
            unnumbered: 10,
            slash_31: 10,
            infinity: 2,
        };
        let topology = Topology::generate(&params, seed);
        let lsdb = topology.lsdb();
        for _ in 0..4 {
            let root = rng.below(topology.len());
            if let Err(difference) = compare(&topology, &lsdb, root, &mut coverage) {
                panic!("seed {seed} ({params:?}):\n{difference}");
            }
        }
    }
    assert!(coverage.ecmp_routes > 0, "{coverage:?}");
}

/// A Router-LSA missing from the LSDB or at MaxAge: its router is gone, what only it
/// connected too. The model marks all its links as not advertised (the Network-LSAs that
/// list it stay).
#[test]
fn missing_and_maxage_router_lsas() {
    let mut coverage = Coverage::default();
    for seed in 0..seeds(300) / 3 {
        let mut rng = Rng::new(seed ^ 0xDEAD_0000);
        let params = small_params(&mut rng);
        let mut topology = Topology::generate(&params, seed);
        if topology.len() < 2 {
            continue;
        }
        let mut lsdb: MapLsdb = topology.lsdb();
        let gone = rng.below(topology.len());
        let mut lsa = lsdb.remove_router(topology.router_ids[gone]).expect("generated");
        if rng.chance(50) {
            lsa.set_age(MAX_AGE);
            lsdb.insert(lsa);
        }
        for link in &mut topology.links {
            for end in link.ends.iter_mut().filter(|end| end.router == gone) {
                end.advertised = false;
            }
        }
        for lan in &mut topology.lans {
            for member in lan.members.iter_mut().filter(|member| member.router == gone) {
                member.advertised = false;
            }
        }
        topology.loopback_costs[gone] = 0;
        for root in (0..topology.len()).filter(|&root| root != gone) {
            if let Err(difference) = compare(&topology, &lsdb, root, &mut coverage) {
                panic!("seed {seed}, router {} gone:\n{difference}", topology.router_ids[gone]);
            }
            let result = calculate(&lsdb, topology.router_ids[root], &topology.interfaces(root));
            assert!(!result.routers.contains_key(&topology.router_ids[gone]), "seed {seed}");
        }
    }
}

/// Applying `diff(old, new)` to `old` gives a table that forwards like `new`, and the
/// changes come in prefix order.
#[test]
fn diff_turns_one_result_into_the_next() {
    let mut changes_seen = 0;
    for seed in 0..seeds(300) / 3 {
        let mut rng = Rng::new(seed ^ 0xD1FF_0000);
        let params = small_params(&mut rng);
        let mut topology = Topology::generate(&params, seed);
        let root = rng.below(topology.len());
        let before = calculate(&topology.lsdb(), topology.router_ids[root], &topology.interfaces(root)).routes;
        // A link goes one-way, another changes cost.
        if !topology.links.is_empty() {
            let k = rng.below(topology.links.len());
            topology.links[k].ends[rng.below(2)].advertised = false;
            let k = rng.below(topology.links.len());
            topology.links[k].ends[0].cost = rng.range(1, 20) as u16;
        }
        let after = calculate(&topology.lsdb(), topology.router_ids[root], &topology.interfaces(root)).routes;
        let changes = diff(&before, &after);
        changes_seen += changes.len();
        assert!(
            changes.windows(2).all(|pair| pair[0].prefix() < pair[1].prefix()),
            "seed {seed}: order"
        );
        let mut applied: BTreeMap<Ipv4Prefix, OspfRoute> = before.clone().into_inner();
        for change in changes {
            match change {
                RouteChange::Add { prefix, route } => {
                    assert!(
                        applied.insert(prefix, route).is_none(),
                        "seed {seed}: add of a present {prefix}"
                    );
                }
                RouteChange::Replace { prefix, old, new } => {
                    assert_eq!(
                        applied.insert(prefix, new),
                        Some(old),
                        "seed {seed}: replace of {prefix}"
                    );
                }
                RouteChange::Remove { prefix, route } => {
                    assert_eq!(applied.remove(&prefix), Some(route), "seed {seed}: remove of {prefix}");
                }
            }
        }
        let applied: RouteTable = applied.into_iter().collect();
        assert_eq!(applied.len(), after.len(), "seed {seed}");
        for ((prefix, got), (want_prefix, want)) in applied.iter().zip(after.iter()) {
            assert_eq!(prefix, want_prefix, "seed {seed}");
            assert!(got.same_forwarding(want), "seed {seed}: {prefix}: {got:?} vs {want:?}");
        }
        assert!(diff(&after, &after).is_empty());
    }
    assert!(changes_seen > 50, "{changes_seen} changes");
}

/// The reference's two ways of computing distances (all pairs by Floyd–Warshall, or only the
/// rows it needs by Bellman-Ford, used for large areas) give the same expectations.
#[test]
fn reference_methods_agree() {
    for seed in 0..seeds(300) / 3 {
        let mut rng = Rng::new(seed ^ 0xB311_0000);
        let params = small_params(&mut rng);
        let topology = Topology::generate(&params, seed);
        for root in 0..topology.len() {
            let all_pairs = reference::expected_with(&topology, root, reference::Method::FloydWarshall);
            let rows = reference::expected_with(&topology, root, reference::Method::Rows);
            assert_eq!(all_pairs, rows, "seed {seed}, root {root}");
        }
    }
}
