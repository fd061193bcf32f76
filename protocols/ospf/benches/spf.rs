//! SPF benchmark: `calculate` (RFC 2328 §16.1) on synthetic areas of 1,000 and 10,000
//! routers, and `diff` between two successive routing tables.
//!
//! ```sh
//! cargo bench -p okapi-ospf --bench spf
//! ```
//!
//! Each area is a random connected graph of average degree 4 (a random spanning tree plus
//! as many random point-to-point links again), one LAN of 3 to 6 routers per 20 routers
//! (with its Network-LSA), a /32 loopback stub per router, costs 1 to 100, built as real
//! LSAs and read through a hash-map `LsdbView`. Prints the median, min and max over the runs.

#[path = "../tests/spf/topology.rs"]
mod topology;

use std::hint::black_box;
use std::time::{Duration, Instant};

use okapi_ospf::spf::{calculate, diff};

use topology::{Params, Topology};

fn stats(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    let median = times[times.len() / 2];
    (median, times[0], times[times.len() - 1])
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn main() {
    println!(
        "{:>8} {:>8} {:>6} {:>6} {:>7} {:>5} {:>10} {:>10} {:>10} {:>10}",
        "routers", "p2p", "LANs", "LSAs", "routes", "runs", "median", "min", "max", "diff"
    );
    for (routers, runs) in [(1_000, 200), (10_000, 50)] {
        let mut topology = Topology::generate(&Params::bench(routers), 42);
        let lsdb = topology.lsdb();
        let root = 0;
        let root_id = topology.router_ids[root];
        let interfaces = topology.interfaces(root);

        let first = calculate(&lsdb, root_id, &interfaces);
        assert_eq!(first.stats.router_vertices, routers, "the area is connected");
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let result = calculate(black_box(&lsdb), black_box(root_id), black_box(&interfaces));
            times.push(start.elapsed());
            black_box(result);
        }
        let (median, min, max) = stats(times);

        // diff after the root's first link goes one-way (its neighbor leaves it out): the
        // routes through it move to other next hops.
        if let Some(link) = topology
            .links
            .iter_mut()
            .find(|link| link.ends.iter().any(|end| end.router == root))
        {
            link.ends.iter_mut().for_each(|end| end.advertised = end.router == root);
        }
        let changed = calculate(&topology.lsdb(), root_id, &interfaces);
        let mut diff_times = Vec::with_capacity(runs);
        let mut changes = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let result = diff(black_box(&first.routes), black_box(&changed.routes));
            diff_times.push(start.elapsed());
            changes = result.len();
            black_box(result);
        }
        let (diff_median, _, _) = stats(diff_times);

        println!(
            "{:>8} {:>8} {:>6} {:>6} {:>7} {:>5} {:>10} {:>10} {:>10} {:>10}",
            routers,
            topology.links.len(),
            topology.lans.len(),
            lsdb.lsa_count(),
            first.routes.len(),
            runs,
            ms(median),
            ms(min),
            ms(max),
            ms(diff_median),
        );
        println!(
            "{:>8} (vertices: {} routers, {} networks; links examined: {}; diff: {} changes)",
            "", first.stats.router_vertices, first.stats.network_vertices, first.stats.links, changes
        );
    }
}
