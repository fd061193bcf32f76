//! The 1,000-router case: a random connected graph of point-to-point links (average degree
//! 3) plus LANs, every adjacency to Full, every LSDB identical, and the routes of a sample of
//! routers equal to the independent reference's. Prints its wall-clock time.

use std::time::{Duration, Instant};

use crate::support::{model, seed};
use crate::topology::{Params, Rng, Topology};

#[test]
fn thousand_routers_converge_and_route_as_the_reference() {
    let wall = Instant::now();
    let seed = seed(1_000);
    let routers = 1_000;
    let params = Params {
        routers,
        // A random spanning tree (999 links) and 500 more: average degree 3.
        extra_links: routers / 2,
        // 25 LANs of 3 to 6 routers, each with a DR and a Network-LSA.
        lans: routers / 40,
        lan_size: (3, 6),
        max_cost: 10,
        asymmetric: 10,
        one_way: 0,
        unnumbered: 0,
        slash_31: 10,
        infinity: 0,
    };
    let topology = Topology::generate(&params, seed);
    // The routes of a sample of routers are checked (the reference and the tables built
    // from RoutesChanged are kept for them only).
    let mut rng = Rng::new(seed);
    let sample: Vec<usize> = (0..8).map(|_| rng.below(routers)).collect();
    let mut net = model::network(&topology, 1, 4).track_routes_of(&sample).start();
    net.check_interval = Duration::from_secs(1);
    let built = wall.elapsed();
    let took = net
        .converge(Duration::from_secs(120))
        .unwrap_or_else(|error| panic!("seed {seed}: {}: {error}", model::describe(&topology)));
    let converged = wall.elapsed();
    assert!(net.lsdbs_identical(), "seed {seed}");
    let lsas = net.lsdb_summary(0).len();
    assert_eq!(
        lsas,
        routers + topology.lans.iter().filter(|lan| lan.is_transit()).count()
    );
    for &router in &sample {
        if let Err(error) = model::check_routes(&net, &topology, router) {
            panic!("seed {seed}: {error}");
        }
    }
    let (mut spf, mut originated) = (0, 0);
    for router in 0..routers {
        let view = net.instance(router).view(net.now);
        spf += view.spf_runs;
        originated += view.counters.originated_lsas;
    }
    let [_, hello, dd, lsr, lsu, ack] = net.delivered_by_type;
    eprintln!(
        "1,000 routers ({}, {lsas} LSAs, seed {seed}): converged in {took:?} of virtual time; {} packets \
         ({hello} Hello, {dd} DD, {lsr} LSR, {lsu} LSU, {ack} LSAck), {originated} LSAs originated, {spf} SPF \
         runs; wall-clock {:?} ({:?} to converge, on {} threads)",
        model::describe(&topology),
        net.packets_delivered,
        wall.elapsed(),
        converged - built,
        net.threads
    );
}
