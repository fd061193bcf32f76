//! Random topologies from the SPF tests' generator, run as simulated networks: flooding
//! converges (every LSDB identical, (key, sequence number, checksum) alike) and every
//! router's routes equal the independent reference's: costs, ECMP next-hop sets, connected
//! flags and advertising routers. A failure names its seed; `OKAPI_SIM_SEEDS=n` runs more.

use std::time::Duration;

use okapi_ospf::InterfaceAuth;
use okapi_ospf::packet::{Md5Key, Md5Keys};

use crate::support::{model, seeds};
use crate::topology::{Rng, Topology};

/// Builds, runs to convergence and checks every router of the topology of `seed`. One seed
/// in three gives the links latencies of 1 to 20 ms (instead of 1 ms), one in four MD5
/// authentication.
fn run_seed(seed: u64, routers: (usize, usize)) -> Result<Duration, String> {
    let mut rng = Rng::new(seed ^ 0x51A7_0000);
    let count = rng.range(routers.0, routers.1);
    let params = model::params(&mut rng, count);
    let topology = Topology::generate(&params, seed);
    let auth = if seed % 4 == 1 {
        let mut keys = Md5Keys::new();
        keys.insert(7, Md5Key::new(b"okapi").expect("a key"));
        InterfaceAuth::Md5 { keys, send_key_id: 7 }
    } else {
        InterfaceAuth::None
    };
    let mut net = model::network_with(&topology, 1, 4, auth);
    if seed % 3 == 2 {
        net = net.latencies(|_| Duration::from_millis(rng.range(1, 20) as u64));
    }
    let mut net = net.start();
    let took = net
        .converge(Duration::from_secs(120))
        .map_err(|error| format!("{}: {error}", model::describe(&topology)))?;
    // Converged means (among others) every adjacency as it should be (Full on point-to-point
    // links, with the DR and BDR on LANs, 2-Way between the others) and identical databases.
    if !net.adjacencies_up() || !net.lsdbs_identical() {
        return Err(format!("{}: {}", model::describe(&topology), net.convergence_report()));
    }
    for router in 0..topology.len() {
        model::check_routes(&net, &topology, router)
            .map_err(|error| format!("{} ({params:?}):\n{error}", model::describe(&topology)))?;
    }
    Ok(took)
}

#[test]
fn random_topologies_flood_to_identical_databases_and_route_as_the_reference() {
    let wall = std::time::Instant::now();
    let mut slowest = Duration::ZERO;
    let count = seeds(60);
    for seed in 0..count {
        match run_seed(seed, (2, 24)) {
            Ok(took) => slowest = slowest.max(took),
            Err(error) => panic!("seed {seed}: {error}"),
        }
    }
    eprintln!(
        "{count} random topologies: converged within {slowest:?} of virtual time; {:?} of wall-clock time",
        wall.elapsed()
    );
}

/// The harness runs the routers busy at one instant on several threads: the run is the same,
/// packet for packet, on one thread or four.
#[test]
fn a_run_is_the_same_whatever_the_number_of_threads() {
    let seed = crate::support::seed(77);
    let mut rng = Rng::new(seed);
    let params = model::params(&mut rng, 150);
    let topology = Topology::generate(&params, seed);
    let run = |threads: usize| {
        let mut net = model::network(&topology, 1, 4).track_routes_of(&[0, 75]);
        net.threads = threads;
        let mut net = net.start();
        net.run_for(Duration::from_secs(20));
        let digests: Vec<(usize, u64)> = (0..topology.len()).map(|router| net.lsdb_digest(router)).collect();
        let routes = [net.routers[0].routes.clone(), net.routers[75].routes.clone()];
        (
            net.packets_delivered,
            net.delivered_by_type,
            net.bytes_by_type,
            digests,
            routes,
        )
    };
    let one = run(1);
    assert!(one.1[4] > 10_000, "enough flooding to run in parallel: {:?}", one.1);
    assert!(one == run(4), "seed {seed}: the runs differ");
}
