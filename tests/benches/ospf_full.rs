//! Benchmark (not a test): OSPF adjacency to Full on a point-to-point link, okapi-ospfd with
//! FRR against FRR with FRR, in the same run (docs/benchmarks.md).
//!
//! Both labs are up at once (lab/topologies/ospf-frr-p2p.clab.yml: okapi-ospfd r1, FRR r2;
//! lab/topologies/frr-pair.clab.yml: FRR r1 and r2; same addresses, hello 1 s, dead 4 s, same
//! FRR timers). A run takes r1's eth1 down, waits until neither side has the neighbor, takes
//! it up again (t0) and polls both sides until each is Full with the other (time to Full), then
//! until each has the other's loopback in its kernel (time to routes). The pairs alternate,
//! RUNS runs each; the medians and ranges are printed.
//!
//! ```sh
//! cargo build --release -p okapi-ospfd      # the lab starts okapi-ospfd from target/release
//! sudo cargo bench -p okapi-tests --bench ospf_full
//! ```

use std::time::{Duration, Instant};

use okapi_tests::{LabUnderTest, frr_neighbors, kernel_route, vtysh_json};
use serde_json::Value;

const RUNS: usize = 10;
const LIMIT: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Okapi,
    Frr,
}

struct Pair {
    name: &'static str,
    lab: LabUnderTest,
    /// (node, its kind, the other's router ID = loopback)
    nodes: [(&'static str, Side, &'static str); 2],
}

fn okapi_get(lab: &LabUnderTest, node: &str, path: &str) -> Option<Value> {
    okapi_tests::daemon_get(lab, node, "ospf", path).ok()
}

fn full(lab: &LabUnderTest, node: &str, side: Side, peer: &str) -> bool {
    match side {
        Side::Okapi => okapi_get(lab, node, "/ospf/neighbors").is_some_and(|json| {
            json["neighbors"]
                .as_array()
                .is_some_and(|all| all.iter().any(|n| n["router_id"] == peer && n["state"] == "Full"))
        }),
        Side::Frr => vtysh_json(lab, node, "show ip ospf neighbor json")
            .is_ok_and(|json| frr_neighbors(&json).iter().any(|n| n.router_id == peer && n.is_full())),
    }
}

fn knows(lab: &LabUnderTest, node: &str, side: Side, peer: &str) -> bool {
    match side {
        Side::Okapi => okapi_get(lab, node, "/ospf/neighbors").is_some_and(|json| {
            json["neighbors"]
                .as_array()
                .is_some_and(|all| all.iter().any(|n| n["router_id"] == peer))
        }),
        Side::Frr => vtysh_json(lab, node, "show ip ospf neighbor json")
            .is_ok_and(|json| frr_neighbors(&json).iter().any(|n| n.router_id == peer)),
    }
}

fn has_route(lab: &LabUnderTest, node: &str, peer: &str) -> bool {
    kernel_route(lab, node, peer).is_ok_and(|route| route.is_some_and(|route| route["protocol"] == "ospf"))
}

fn ip_link(lab: &LabUnderTest, state: &str) {
    let output = lab.exec("r1", &["ip", "link", "set", "eth1", state]).expect("ip link");
    assert!(output.status.success(), "ip link set eth1 {state}: {output:?}");
}

/// One run: (time to Full both ways, time to both routes), from the link coming up.
fn run(pair: &Pair) -> (Duration, Duration) {
    let lab = &pair.lab;
    ip_link(lab, "down");
    let forgotten = Instant::now();
    while pair
        .nodes
        .iter()
        .any(|(node, side, peer)| knows(lab, node, *side, peer))
    {
        assert!(
            forgotten.elapsed() < LIMIT,
            "{}: neighbors not gone after link down",
            pair.name
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    ip_link(lab, "up");
    let mut full_at = [None; 2];
    let mut route_at = [None; 2];
    while route_at.iter().any(Option::is_none) {
        assert!(t0.elapsed() < LIMIT, "{}: not converged", pair.name);
        for (index, (node, side, peer)) in pair.nodes.iter().enumerate() {
            if full_at[index].is_none() && full(lab, node, *side, peer) {
                full_at[index] = Some(t0.elapsed());
            }
            if full_at[index].is_some() && route_at[index].is_none() && has_route(lab, node, peer) {
                route_at[index] = Some(t0.elapsed());
            }
        }
    }
    let both = |times: [Option<Duration>; 2]| times.iter().flatten().copied().max().unwrap_or_default();
    (both(full_at), both(route_at))
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    let middle = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2
    } else {
        values[middle]
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

fn main() {
    if !okapi_tests::bench_may_run("ospf_full") {
        return;
    }
    let pairs = [
        Pair {
            name: "okapi-ospfd - FRR",
            lab: LabUnderTest::up("ospf-frr-p2p.clab.yml"),
            nodes: [("r1", Side::Okapi, "10.0.0.2"), ("r2", Side::Frr, "10.0.0.1")],
        },
        Pair {
            name: "FRR - FRR",
            lab: LabUnderTest::up("frr-pair.clab.yml"),
            nodes: [("r1", Side::Frr, "10.0.0.2"), ("r2", Side::Frr, "10.0.0.1")],
        },
    ];
    // Both adjacencies up once before measuring.
    for pair in &pairs {
        let start = Instant::now();
        while !pair
            .nodes
            .iter()
            .all(|(node, side, peer)| full(&pair.lab, node, *side, peer))
        {
            assert!(start.elapsed() < Duration::from_secs(30), "{} never Full", pair.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut results: Vec<(Vec<Duration>, Vec<Duration>)> = vec![(Vec::new(), Vec::new()); pairs.len()];
    for round in 0..RUNS {
        for (index, pair) in pairs.iter().enumerate() {
            let (full, routes) = run(pair);
            println!(
                "run {:2} {:18} Full both ways {:>7}   routes both ways {:>7}",
                round + 1,
                pair.name,
                ms(full),
                ms(routes)
            );
            results[index].0.push(full);
            results[index].1.push(routes);
        }
    }
    println!();
    println!("| pair | runs | to Full, median | min - max | routes in both kernels, median | min - max |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (pair, (full, routes)) in pairs.iter().zip(results.iter_mut()) {
        let (full_min, full_max) = (full.iter().min().copied(), full.iter().max().copied());
        let (route_min, route_max) = (routes.iter().min().copied(), routes.iter().max().copied());
        println!(
            "| {} | {} | {} | {} - {} | {} | {} - {} |",
            pair.name,
            full.len(),
            ms(median(full)),
            ms(full_min.unwrap_or_default()),
            ms(full_max.unwrap_or_default()),
            ms(median(routes)),
            ms(route_min.unwrap_or_default()),
            ms(route_max.unwrap_or_default()),
        );
    }
}
