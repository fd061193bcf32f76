//! LSA refresh and MaxAge over simulated hours (RFC 2328 §12.4, §14): every originator
//! refreshes its LSAs each LSRefreshTime (30 minutes), so none reaches MaxAge while it
//! lives; the LSAs of a router that died reach MaxAge an hour after their origination and
//! are flushed from every database.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use okapi_ospf::lsa::MAX_AGE;
use okapi_ospf::lsdb::LsaKey;

use crate::support::{Network, model, seed};
use crate::topology::{Rng, Topology};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);

/// A random area of 12 routers with LANs, Hello 10 s (hours of Hellos stay cheap).
fn area(seed: u64) -> (Topology, Network) {
    let mut rng = Rng::new(seed);
    let params = model::params(&mut rng, 12);
    let topology = Topology::generate(&params, seed);
    let mut net = model::network(&topology, 10, 40).start();
    net.converge(Duration::from_secs(300))
        .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    (topology, net)
}

/// Five hours: sampled every minute, no LSA anywhere is older than LSRefreshTime plus the
/// flooding delays, and none reaches MaxAge; every router-LSA's sequence number goes up by
/// one every 30 minutes (ten times); nothing is flushed; the refreshes change no route.
#[test]
fn lsas_are_refreshed_every_30_minutes_and_never_reach_max_age() {
    let seed = seed(36_000);
    let (topology, mut net) = area(seed);
    let sequences = |net: &Network| -> BTreeMap<LsaKey, i32> {
        net.lsdb_summary(0)
            .into_iter()
            .map(|(key, sequence, _)| (key, sequence))
            .collect()
    };
    let before = sequences(&net);
    let route_changes: Vec<u64> = net.routers.iter().map(|router| router.route_changes).collect();
    let mut oldest = 0;
    net.run_sampling(5 * HOUR, MINUTE, |net| {
        for router in net.live_routers() {
            let (age, key) = net.oldest_lsa(router).expect("a database");
            oldest = oldest.max(age);
            // LSRefreshTime (1800 s), plus InfTransDelay (1 s) per hop, plus the minute
            // between samples at most.
            assert!(
                age < 1_800 + 60 + 20,
                "seed {seed}: router {router}: {key:?} is {age} s old"
            );
        }
    });
    assert!(
        oldest >= 1_700,
        "the samples must see LSAs near their refresh: {oldest}"
    );
    net.converge(Duration::from_secs(120)).unwrap();
    let after = sequences(&net);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (key, sequence) in &after {
        let advanced = sequence - before[key];
        assert!(
            (9..=11).contains(&advanced),
            "seed {seed}: {key:?} advanced {advanced} times in 5 hours"
        );
    }
    for (router, changes) in route_changes.into_iter().enumerate() {
        assert_eq!(net.instance(router).view(net.now).counters.flushed_lsas, 0);
        assert_eq!(
            net.routers[router].route_changes, changes,
            "seed {seed}: router {router}: a refresh changed routes"
        );
    }
    model::check_all_routes(&net, &topology).unwrap_or_else(|error| panic!("seed {seed}: {error}"));
}

/// A router dies. Its neighbors drop it after the dead interval and announce their links
/// without it, but its own LSAs stay in every database (nobody else may flush them) until
/// they reach MaxAge, an hour after it originated them: then each router refloods them
/// at MaxAge and removes them once acknowledged. The other LSAs never get there.
#[test]
fn a_dead_routers_lsas_reach_max_age_after_an_hour_and_are_flushed_everywhere() {
    let seed = seed(36_001);
    let (topology, mut net) = area(seed);
    // Let the ages spread: some time since the first origination.
    net.run_for(10 * MINUTE);
    let mut rng = Rng::new(seed);
    let candidates: Vec<usize> = (0..topology.len())
        .filter(|&router| model::connected_without(&topology, Some(router), None))
        .collect();
    let dead = candidates[rng.below(candidates.len())];
    let dead_id = topology.router_ids[dead];
    net.kill(dead);
    let theirs = |net: &Network, router: usize| -> Vec<LsaKey> {
        net.instance(router)
            .lsdb()
            .iter()
            .filter(|(key, _)| key.advertising_router == dead_id)
            .map(|(key, _)| *key)
            .collect()
    };
    // When each live router's copies reach MaxAge.
    let live = net.live_routers();
    let mut expiries: Vec<Instant> = Vec::new();
    for &router in &live {
        for key in theirs(&net, router) {
            let entry = net.instance(router).lsdb().get(&key).expect("present");
            expiries.push(entry.reaches_age(MAX_AGE).expect("not MaxAge yet"));
        }
    }
    assert!(!expiries.is_empty());
    let first = *expiries.iter().min().unwrap();
    let last = *expiries.iter().max().unwrap();
    assert!(last - first < Duration::from_secs(30), "copies of one LSA age alike");
    let died = net.now;
    assert!(first - died > 45 * MINUTE, "the LSAs were young enough to wait for");

    // The area without it converges; its LSAs are still in every database.
    net.converge(Duration::from_secs(300)).unwrap();
    model::check_all_routes(&net, &model::router_dead(&topology, dead))
        .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    let count = theirs(&net, live[0]).len();
    net.run_for(first - net.now - Duration::from_secs(1));
    for &router in &live {
        assert_eq!(theirs(&net, router).len(), count, "router {router} lost them early");
        let (age, key) = net.oldest_lsa(router).unwrap();
        assert!(age < MAX_AGE && key.advertising_router == dead_id, "{key:?} at {age}");
    }
    // Gone from every database shortly after MaxAge; the others were never flushed.
    net.run_until(
        |net| live.iter().all(|&router| theirs(net, router).is_empty()),
        last - net.now + Duration::from_secs(30),
    )
    .unwrap_or_else(|error| panic!("{error}: still {:?}", theirs(&net, live[0])));
    let flushed_at = net.now - died;
    assert!(flushed_at < HOUR, "{flushed_at:?}");
    for &router in &live {
        let (age, _) = net.oldest_lsa(router).unwrap();
        assert!(age < 1_900, "router {router}: an LSA of {age} s");
    }
    net.converge(Duration::from_secs(120)).unwrap();
    assert!(net.lsdbs_identical());
    model::check_all_routes(&net, &model::router_dead(&topology, dead))
        .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
}
