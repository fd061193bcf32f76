//! Link and router failures and recoveries: the adjacencies go and come back, the routes
//! move to the remaining paths and back, checked against the independent reference on the
//! model of the network after each event. A failure names its seed; `OKAPI_SIM_SEEDS=n`
//! runs more.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Duration;

use okapi_ospf::neighbor::NeighborState;
use okapi_ospf::spf::NextHop;

use crate::support::{Network, loopback, model, seeds};
use crate::topology::{Params, Rng, Topology};

/// The network of `topology`, started; one seed in three with link latencies of 1 to 20 ms.
fn build(topology: &Topology, seed: u64, rng: &mut Rng) -> Network {
    let mut net = model::network(topology, 1, 4);
    if seed % 3 == 1 {
        net = net.latencies(|_| Duration::from_millis(rng.range(1, 20) as u64));
    }
    net.start()
}

/// Converges, then checks every live router's routes against `topology` (and the DRs).
fn settle(net: &mut Network, topology: &Topology, what: &str) -> Result<(), String> {
    net.converge(Duration::from_secs(120))
        .map_err(|error| format!("{what}: {error}"))?;
    model::check_designated_routers(net, topology).map_err(|error| format!("{what}: {error}"))?;
    model::check_all_routes(net, topology).map_err(|error| format!("{what}: {error}"))
}

/// A square 0-1-2-3-0 whose 0-1-2 side is cheaper: router 0 reaches router 2 over router 1;
/// with link 0-1 down it goes over router 3 instead, and comes back when the link does.
#[test]
fn routes_move_to_the_remaining_path_and_back() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(4)
        .p2p(0, 1, 10) // link 0
        .p2p(1, 2, 10) // link 1
        .p2p(2, 3, 20) // link 2
        .p2p(3, 0, 20) // link 3
        .loopbacks()
        .start();
    net.converge(Duration::from_secs(30)).unwrap();
    let via = |net: &Network, gateway: Ipv4Addr, ifindex: u32| {
        let route = net.route(0, loopback(2), 32).expect("a route to router 2");
        route.nexthops
            == BTreeSet::from([NextHop {
                ifindex,
                gateway: Some(gateway),
            }])
    };
    // Over router 1 (10.0.0.2 on link 0, router 0's ifindex 2), cost 20.
    assert_eq!(net.route(0, loopback(2), 32).unwrap().cost, 20);
    assert!(via(&net, "10.0.0.2".parse().unwrap(), 2));

    net.set_link(0, false);
    let took = net
        .run_until(
            |net| net.route(0, loopback(2), 32).is_some_and(|route| route.cost == 40),
            Duration::from_secs(30),
        )
        .unwrap();
    // Both ends saw the link go: new router-LSAs at once, SPF within its initial delay.
    assert!(took <= Duration::from_secs(1), "rerouted after {took:?}");
    // Over router 3 (10.0.3.1 on link 3, router 0's ifindex 3).
    assert!(via(&net, "10.0.3.1".parse().unwrap(), 3));
    assert_eq!(net.neighbor_state(0, 1), None);

    net.set_link(0, true);
    net.run_until(
        |net| net.route(0, loopback(2), 32).is_some_and(|route| route.cost == 20),
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(via(&net, "10.0.0.2".parse().unwrap(), 2));
    net.converge(Duration::from_secs(30)).unwrap();
}

/// Random topologies: a link that does not split the area fails, then comes back; after
/// each, every router's routes equal the reference's on the model of the network then. The
/// failure is seen by the interfaces (InterfaceDown at every end), or silent (packets lost,
/// noticed by the dead interval: every end keeps its subnet as a stub), or a flap (down and
/// up three times within a few seconds, then down).
#[test]
fn link_failure_and_recovery_on_random_topologies() {
    let count = seeds(30);
    let mut modes = [0; 3];
    for seed in 0..count {
        let mut run = || -> Result<(), String> {
            let mut rng = Rng::new(seed ^ 0x11C4_0000);
            let routers = rng.range(3, 16);
            let params = model::params(&mut rng, routers);
            let topology = Topology::generate(&params, seed);
            let mut net = build(&topology, seed, &mut rng);
            settle(&mut net, &topology, "start")?;
            let candidates: Vec<usize> = (0..net.links.len())
                .filter(|&link| model::connected_without(&topology, None, Some(link)))
                .collect();
            if candidates.is_empty() {
                return Ok(());
            }
            let link = candidates[rng.below(candidates.len())];
            let mode = (seed % 3) as usize;
            modes[mode] += 1;
            match mode {
                0 => {
                    net.set_link(link, false);
                    settle(
                        &mut net,
                        &model::link_down(&topology, link),
                        &format!("link {link} down"),
                    )?;
                    net.set_link(link, true);
                }
                1 => {
                    net.cut_link(link, true);
                    settle(&mut net, &model::link_cut(&topology, link), &format!("link {link} cut"))?;
                    net.cut_link(link, false);
                }
                _ => {
                    for _ in 0..3 {
                        net.set_link(link, false);
                        net.run_for(Duration::from_millis(300));
                        net.set_link(link, true);
                        net.run_for(Duration::from_millis(700));
                    }
                    net.set_link(link, false);
                    settle(
                        &mut net,
                        &model::link_down(&topology, link),
                        &format!("link {link} flapped"),
                    )?;
                    net.set_link(link, true);
                }
            }
            settle(&mut net, &topology, &format!("link {link} back (mode {mode})"))
        };
        if let Err(error) = run() {
            panic!("seed {seed}: {error}");
        }
    }
    eprintln!(
        "{count} link failures: {} down, {} cut, {} flaps",
        modes[0], modes[1], modes[2]
    );
}

/// A router stops (no InterfaceDown anywhere: its neighbors find out by the dead interval):
/// they keep it for RouterDeadInterval, then drop it, and the routes go around it; where it
/// was DR the BDR takes over. It restarts: it rejoins, its LSAs come back with sequence
/// numbers above the old ones, and the routes are as before, but for the DRs it lost (no
/// preemption, §9.4). One seed in four restarts it within the dead interval instead.
#[test]
fn router_failure_and_recovery_on_random_topologies() {
    let count = seeds(30);
    // How many of the dead routers were the DR, or a member, of a transit LAN.
    let (mut dead_drs, mut dead_lan_members, mut quick_restarts) = (0, 0, 0);
    for seed in 0..count {
        let mut run = || -> Result<(), String> {
            let mut rng = Rng::new(seed ^ 0xDEAD_0000);
            let routers = rng.range(3, 16);
            let params = model::params(&mut rng, routers);
            let topology = Topology::generate(&params, seed);
            let mut net = build(&topology, seed, &mut rng);
            settle(&mut net, &topology, "start")?;
            let candidates: Vec<usize> = (0..topology.len())
                .filter(|&router| model::connected_without(&topology, Some(router), None))
                .collect();
            // Half the time a DR, when one can go without splitting the area.
            let drs: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&router| {
                    topology
                        .lans
                        .iter()
                        .any(|lan| lan.is_transit() && lan.members[lan.dr].router == router)
                })
                .collect();
            let dead = if !drs.is_empty() && rng.chance(50) {
                drs[rng.below(drs.len())]
            } else {
                candidates[rng.below(candidates.len())]
            };
            for lan in topology.lans.iter().filter(|lan| lan.is_transit()) {
                if lan.members[lan.dr].router == dead {
                    dead_drs += 1;
                } else if lan.members.iter().any(|member| member.router == dead) {
                    dead_lan_members += 1;
                }
            }
            let neighbors: Vec<usize> = (0..topology.len())
                .filter(|&other| net.neighbor_state(other, dead) == Some(NeighborState::Full))
                .collect();
            let own_sequence = |net: &Network, at: usize| {
                net.lsdb_summary(at)
                    .into_iter()
                    .find(|(key, _, _)| key.lsa_type.0 == 1 && key.advertising_router == topology.router_ids[dead])
                    .map(|(_, sequence, _)| sequence)
            };
            let before = own_sequence(&net, dead);

            net.kill(dead);
            if seed % 4 == 3 {
                // A quick restart, within the dead interval: the neighbors see it come back
                // without them in its Hellos (1-WayReceived) and start over.
                quick_restarts += 1;
                net.run_for(Duration::from_secs(1));
                net.boot(dead);
                let during = model::router_dead(&topology, dead);
                let after = model::router_back(&topology, &during, dead);
                settle(&mut net, &after, &format!("router {dead} restarted"))?;
                let now = own_sequence(&net, dead);
                if now <= before {
                    return Err(format!(
                        "router {dead}'s router-LSA is back at {now:?}, it was {before:?}"
                    ));
                }
                return Ok(());
            }
            let killed = net.now;
            // Hellos every second, dead interval 4 s: still there 2.9 s later...
            net.run_for(Duration::from_millis(2_900));
            if let Some(&early) = neighbors
                .iter()
                .find(|&&other| net.neighbor_state(other, dead).is_none())
            {
                return Err(format!(
                    "router {early} dropped dead router {dead} before the dead interval"
                ));
            }
            // ... and gone from every neighbor once RouterDeadInterval has passed.
            net.run_until(
                |net| neighbors.iter().all(|&other| net.neighbor_state(other, dead).is_none()),
                Duration::from_secs(5),
            )
            .map_err(|error| format!("neighbors of dead router {dead}: {error}"))?;
            let noticed = net.now - killed;
            if noticed > Duration::from_millis(4_100) {
                return Err(format!("router {dead} dropped after {noticed:?}"));
            }
            let during = model::router_dead(&topology, dead);
            settle(&mut net, &during, &format!("router {dead} dead"))?;

            net.boot(dead);
            let after = model::router_back(&topology, &during, dead);
            settle(&mut net, &after, &format!("router {dead} back"))?;
            let now = own_sequence(&net, dead);
            if now <= before {
                return Err(format!(
                    "router {dead}'s router-LSA is back at {now:?}, it was {before:?}"
                ));
            }
            Ok(())
        };
        if let Err(error) = run() {
            panic!("seed {seed}: {error}");
        }
    }
    eprintln!(
        "{count} router failures ({quick_restarts} quick restarts): {dead_drs} LANs lost their DR, \
         {dead_lan_members} another member"
    );
    assert!(
        dead_drs > 0 && dead_lan_members > 0,
        "the seeds must fail DRs and other LAN members"
    );
}

/// A link whose loss splits the area fails (each part keeps the other's LSAs, aging), then
/// comes back after a minute, or after more than an hour (each part has flushed the other's
/// LSAs at MaxAge): the database exchange over the repaired link brings every database
/// together again, and the routes are as before.
#[test]
fn a_partition_heals() {
    let count = seeds(16);
    let mut healed = [0; 2];
    for seed in 0..count {
        let mut run = || -> Result<(), String> {
            let mut rng = Rng::new(seed ^ 0xB41D_0000);
            let routers = rng.range(4, 14);
            let mut params = model::params(&mut rng, routers);
            params.extra_links = rng.range(0, routers / 3);
            let topology = Topology::generate(&params, seed);
            let bridges: Vec<usize> = (0..topology.links.len())
                .filter(|&link| !model::connected_without(&topology, None, Some(link)))
                .collect();
            if bridges.is_empty() {
                return Ok(());
            }
            let link = bridges[rng.below(bridges.len())];
            // Hello 10 s, so that an hour and more of it stays cheap.
            let mut net = model::network(&topology, 10, 40).start();
            settle(&mut net, &topology, "start")?;
            let long = seed % 2 == 1;
            healed[usize::from(long)] += 1;
            if seed % 4 < 2 {
                net.set_link(link, false);
            } else {
                net.cut_link(link, true);
            }
            net.run_for(if long {
                Duration::from_secs(3_600 + 600)
            } else {
                Duration::from_secs(60)
            });
            if long {
                // Each part flushed the other's LSAs: every database holds its own part only.
                let live = net.live_routers();
                let total = topology.len() + topology.lans.iter().filter(|lan| lan.is_transit()).count();
                if live.iter().any(|&router| net.lsdb_summary(router).len() >= total) {
                    return Err("a part kept the other's LSAs for more than an hour".into());
                }
            }
            if seed % 4 < 2 {
                net.set_link(link, true);
            } else {
                net.cut_link(link, false);
            }
            settle(&mut net, &topology, &format!("link {link} repaired (long: {long})"))
        };
        if let Err(error) = run() {
            panic!("seed {seed}: {error}");
        }
    }
    eprintln!(
        "{count} partitions: {} healed after a minute, {} after an hour",
        healed[0], healed[1]
    );
}

/// Areas with LANs of 10 to 40 routers (flooding through the DR, AllDRouters, the BDR's
/// acknowledgments): converged, then two routers fail at once; every database and route
/// follows.
#[test]
fn two_routers_fail_at_once_on_large_lans() {
    let count = seeds(6);
    for seed in 0..count {
        let run = || -> Result<(), String> {
            let mut rng = Rng::new(seed ^ 0x2BAD_0000);
            let routers = rng.range(20, 60);
            let params = Params {
                routers,
                extra_links: rng.range(0, routers),
                lans: rng.range(1, 4),
                lan_size: (10, 40),
                max_cost: 3,
                asymmetric: 20,
                one_way: 0,
                unnumbered: 0,
                slash_31: 0,
                infinity: 0,
            };
            let topology = Topology::generate(&params, seed);
            let mut net = build(&topology, seed, &mut rng);
            settle(&mut net, &topology, "start")?;
            let a = rng.below(routers);
            let b = (a + 1 + rng.below(routers - 1)) % routers;
            let during = model::router_dead(&model::router_dead(&topology, a), b);
            let splits = !model::connected_without(&topology, Some(a), None)
                || !model::connected_without(&model::router_dead(&topology, a), Some(b), None);
            if splits {
                return Ok(());
            }
            net.kill(a);
            net.kill(b);
            settle(&mut net, &during, &format!("routers {a} and {b} dead"))
        };
        if let Err(error) = run() {
            panic!("seed {seed}: {error}");
        }
    }
}
