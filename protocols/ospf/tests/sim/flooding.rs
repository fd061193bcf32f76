//! Flooding and database synchronisation over larger topologies.

use std::net::Ipv4Addr;
use std::time::Duration;

use okapi_ospf::Input;

use crate::support::{Network, loopback};

/// Three routers in a line (0 - 1 - 2, p2p, cost 10, hello 1 / dead 4), router 2 configured by
/// `configure_last`, run until every adjacency is up and the network is quiet.
fn line_of_three(configure_last: impl FnOnce(&mut okapi_ospf::Config)) -> Network {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(3)
        .p2p(0, 1, 10)
        .p2p(1, 2, 10)
        .configure(2, configure_last)
        .start();
    net.run_until(|net| net.adjacencies_up() && net.quiescent(), Duration::from_secs(20))
        .unwrap();
    net
}

/// `address/32` appearing on interface 1 (a VIP).
fn host_address_added(address: Ipv4Addr) -> Input {
    Input::AddressAdded {
        ifindex: 1,
        address,
        prefix_len: 32,
    }
}

/// `address/32` leaving interface 1.
fn host_address_removed(address: Ipv4Addr) -> Input {
    Input::AddressRemoved {
        ifindex: 1,
        address,
        prefix_len: 32,
    }
}

/// A ring of p2p links plus a LAN: every LSDB converges to the same content and every
/// router reaches every loopback.
#[test]
fn ring_and_lan_synchronise_and_route() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(8)
        .p2p(0, 1, 10)
        .p2p(1, 2, 10)
        .p2p(2, 3, 10)
        .p2p(3, 4, 10)
        .p2p(4, 5, 10)
        .p2p(5, 0, 10)
        .lan(&[3, 6, 7, 0])
        .loopbacks()
        .start();
    net.run_until(
        |net| net.adjacencies_up() && net.full_mesh_of_loopbacks() && net.lsdbs_identical() && net.quiescent(),
        Duration::from_secs(60),
    )
    .unwrap();
    // 8 router-LSAs and 1 network-LSA.
    assert_eq!(net.lsdb_summary(0).len(), 9);
    // Shortest path 0 -> 3 goes over the LAN (cost 10), not the ring (30).
    assert_eq!(net.route(0, loopback(3), 32).unwrap().cost, 10);
    assert_eq!(net.route(1, loopback(4), 32).unwrap().cost, 30);
}

/// A VIP appearing on a router is announced; removing it withdraws it from every database
/// within MinLSInterval, and from the routes after the SPF delay (RFC 8405: the announcement
/// arms the learn timer, so the withdrawal 5 s later waits LONG_SPF_DELAY).
#[test]
fn vip_is_announced_and_withdrawn() {
    let vip = Ipv4Addr::new(192, 0, 2, 10);
    let mut net = line_of_three(|config| {
        config.announce.push(okapi_ospf::AnnouncedPrefix {
            prefix: Ipv4Addr::new(192, 0, 2, 0),
            len: 24,
            cost: 1,
        })
    });
    // Let the SPF delay go back to QUIET (HOLDDOWN_INTERVAL, 10 s, without events).
    net.run_for(Duration::from_secs(15));
    net.input(2, host_address_added(vip));
    let took = net
        .run_until(|net| net.route(0, vip, 32).is_some(), Duration::from_secs(20))
        .unwrap();
    assert!(took <= Duration::from_millis(100), "announced after {took:?}");
    assert_eq!(net.route(0, vip, 32).unwrap().cost, 21);
    net.input(2, host_address_removed(vip));
    let stub_gone = |net: &Network| {
        let router = okapi_ospf::lsdb::LsaKey::new(okapi_ospf::LsaType::ROUTER, net.routers[2].id, net.routers[2].id);
        match net.instance(0).lsdb().get(&router).map(|entry| entry.lsa().body()) {
            Some(okapi_ospf::LsaBody::Router(body)) => body.links.iter().all(|link| link.link_id != vip),
            _ => false,
        }
    };
    let took = net.run_until(stub_gone, Duration::from_secs(20)).unwrap();
    assert!(took <= Duration::from_secs(5), "withdrawn from the LSDB after {took:?}");
    let took = net
        .run_until(|net| net.route(0, vip, 32).is_none(), Duration::from_secs(20))
        .unwrap();
    assert!(
        took <= Duration::from_secs(5),
        "withdrawn from the routes after {took:?} more"
    );
}

/// RFC 2328 §12.4.4: a VIP within an external prefix is announced as an AS-external-LSA with
/// the configured forwarding address, the originator sets the E bit of its router-LSA, every
/// database gets the LSA; when the address goes, the LSA is flushed (MaxAge) everywhere.
#[test]
fn rfc2328_12_4_4_external_vip_is_originated_with_its_forwarding_address_and_flushed() {
    let vip = Ipv4Addr::new(203, 0, 113, 10);
    let forwarding_address = Ipv4Addr::new(10, 0, 1, 100);
    let mut net = line_of_three(|config| {
        config.external.push(okapi_ospf::ExternalPrefix {
            prefix: Ipv4Addr::new(203, 0, 113, 0),
            len: 24,
            metric: 20,
            metric_type: okapi_ospf::lsa::ExternalMetricType::Type2,
            forwarding_address,
            route_tag: 7,
        })
    });
    let origin = net.routers[2].id;
    let key = okapi_ospf::lsdb::LsaKey::new(okapi_ospf::LsaType::AS_EXTERNAL, vip, origin);
    assert!(net.instance(0).lsdb().get(&key).is_none(), "nothing to announce yet");
    net.input(2, host_address_added(vip));
    let external = |net: &Network, at: usize| {
        net.instance(at)
            .lsdb()
            .get(&key)
            .filter(|entry| !entry.is_max_age())
            .map(|entry| entry.lsa().body().clone())
    };
    let took = net
        .run_until(
            |net| (0..3).all(|at| external(net, at).is_some()),
            Duration::from_secs(20),
        )
        .unwrap();
    assert!(took <= Duration::from_millis(100), "flooded after {took:?}");
    match external(&net, 0) {
        Some(okapi_ospf::LsaBody::AsExternal(body)) => {
            assert_eq!(body.network_mask, Ipv4Addr::new(255, 255, 255, 255));
            assert_eq!(body.metric.forwarding_address, forwarding_address);
            assert_eq!(body.metric.metric, 20);
            assert_eq!(body.metric.route_tag, 7);
            assert_eq!(body.metric.metric_type, okapi_ospf::lsa::ExternalMetricType::Type2);
        }
        other => panic!("not an AS-external-LSA: {other:?}"),
    }
    let router = okapi_ospf::lsdb::LsaKey::new(okapi_ospf::LsaType::ROUTER, origin, origin);
    let asbr = |net: &Network| match net
        .instance(0)
        .lsdb()
        .get(&router)
        .map(|entry| entry.lsa().body().clone())
    {
        Some(okapi_ospf::LsaBody::Router(body)) => body.flags.contains(okapi_ospf::lsa::RouterLsaFlags::E),
        _ => false,
    };
    net.run_until(asbr, Duration::from_secs(10)).unwrap();
    net.input(2, host_address_removed(vip));
    let took = net
        .run_until(
            |net| (0..3).all(|at| external(net, at).is_none()),
            Duration::from_secs(20),
        )
        .unwrap();
    assert!(took <= Duration::from_secs(5), "flushed after {took:?}");
    net.run_until(|net| !asbr(net), Duration::from_secs(10)).unwrap();
}

/// RFC 2328 §14.1: a router that shuts down flushes its LSAs; the others drop its router-LSA
/// and the routes through it at once, long before RouterDeadInterval (4 s here).
#[test]
fn rfc2328_14_1_a_stopping_router_flushes_its_lsas() {
    let vip = Ipv4Addr::new(192, 0, 2, 10);
    let mut net = line_of_three(|config| {
        config.announce.push(okapi_ospf::AnnouncedPrefix {
            prefix: Ipv4Addr::new(192, 0, 2, 0),
            len: 24,
            cost: 1,
        })
    });
    net.input(2, host_address_added(vip));
    net.run_until(|net| net.route(0, vip, 32).is_some(), Duration::from_secs(20))
        .unwrap();
    // Past MinLSArrival (a newer instance sooner would be dropped, §13 (5a)) and back to the
    // SPF delay's QUIET state (HOLDDOWN_INTERVAL without events), as in the test above.
    net.run_for(Duration::from_secs(15));
    let stopping = net.routers[2].id;
    let router = okapi_ospf::lsdb::LsaKey::new(okapi_ospf::LsaType::ROUTER, stopping, stopping);
    net.input(2, Input::Shutdown);
    let took = net
        .run_until(
            |net| {
                net.route(0, vip, 32).is_none()
                    && net
                        .instance(0)
                        .lsdb()
                        .get(&router)
                        .is_none_or(|entry| entry.is_max_age())
            },
            Duration::from_secs(20),
        )
        .unwrap();
    assert!(
        took < Duration::from_secs(1),
        "routes through the stopping router gone after {took:?}"
    );
}

/// Hours of virtual time: LSAs are refreshed every 30 minutes, nothing reaches MaxAge,
/// the databases stay identical and the adjacencies stay up.
#[test]
fn refresh_keeps_the_database_alive_for_hours() {
    let mut net = Network::new()
        .hello(10, 40)
        .routers(4)
        .p2p(0, 1, 10)
        .p2p(1, 2, 10)
        .lan(&[2, 3, 0])
        .loopbacks()
        .start();
    net.run_until(
        |net| net.full_mesh_of_loopbacks() && net.lsdbs_identical(),
        Duration::from_secs(120),
    )
    .unwrap();
    let sequences_before: Vec<i32> = net.lsdb_summary(0).iter().map(|(_, seq, _)| *seq).collect();
    for _ in 0..6 {
        net.run_for(Duration::from_secs(1800));
        assert!(net.adjacencies_up());
        assert!(net.full_mesh_of_loopbacks());
    }
    net.run_until(|net| net.lsdbs_identical() && net.quiescent(), Duration::from_secs(60))
        .unwrap();
    let sequences_after: Vec<i32> = net.lsdb_summary(0).iter().map(|(_, seq, _)| *seq).collect();
    assert_eq!(sequences_before.len(), sequences_after.len());
    assert!(
        sequences_after
            .iter()
            .zip(&sequences_before)
            .all(|(after, before)| after > before)
    );
    // Nothing aged out.
    assert_eq!(net.instance(0).view(net.now).counters.flushed_lsas, 0);
}

/// A router that restarts comes back with sequence numbers above its old ones (§13.4).
#[test]
fn restarted_router_advances_past_its_old_lsas() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(3)
        .p2p(0, 1, 10)
        .p2p(1, 2, 10)
        .loopbacks()
        .start();
    net.run_until(
        |net| net.full_mesh_of_loopbacks() && net.lsdbs_identical(),
        Duration::from_secs(30),
    )
    .unwrap();
    net.run_for(Duration::from_secs(20));
    net.kill(2);
    net.run_for(Duration::from_secs(2));
    net.boot(2);
    net.run_until(
        |net| net.full_mesh_of_loopbacks() && net.lsdbs_identical() && net.quiescent(),
        Duration::from_secs(60),
    )
    .unwrap();
    let own = net
        .lsdb_summary(2)
        .into_iter()
        .find(|(key, _, _)| key.lsa_type.0 == 1 && key.advertising_router == net.routers[2].id)
        .unwrap();
    assert!(own.1 > okapi_ospf::lsdb::INITIAL_SEQUENCE_NUMBER, "{own:?}");
}

/// A 10 x 10 grid of point-to-point links (100 routers, 180 links): every database
/// converges and every router reaches every loopback by the shortest path.
#[test]
fn grid_of_100_routers_converges() {
    grid_converges(10);
}

/// The same with 900 routers, every router's table checked against every loopback (about
/// 15 s; run with `--ignored`). The 1,000-router case of `large.rs` runs by default.
#[test]
#[ignore]
fn grid_of_900_routers_converges() {
    let started = std::time::Instant::now();
    grid_converges(30);
    eprintln!("900 routers: {:?} of wall-clock time", started.elapsed());
}

fn grid_converges(side: usize) {
    let mut net = Network::new().hello(1, 4).routers(side * side);
    for row in 0..side {
        for column in 0..side {
            let here = row * side + column;
            if column + 1 < side {
                net = net.p2p(here, here + 1, 10);
            }
            if row + 1 < side {
                net = net.p2p(here, here + side, 10);
            }
        }
    }
    let mut net = net.loopbacks().start();
    if side > 10 {
        net.check_interval = Duration::from_secs(1);
    }
    net.run_until(
        |net| net.adjacencies_up() && net.lsdbs_identical() && net.quiescent(),
        Duration::from_secs(120),
    )
    .unwrap();
    net.run_until(|net| net.full_mesh_of_loopbacks(), Duration::from_secs(60))
        .unwrap();
    assert_eq!(net.lsdb_summary(0).len(), side * side);
    // Corner to corner: 2 (side - 1) hops of cost 10.
    assert_eq!(
        net.route(0, loopback(side * side - 1), 32).unwrap().cost,
        20 * (side as u32 - 1)
    );
}

/// A router joining late learns a database larger than one DD packet (several DDs, several
/// Link State Requests) and becomes Full.
#[test]
fn late_joiner_learns_a_database_of_several_packets() {
    let count = 120;
    let mut net = Network::new().hello(1, 4).routers(count + 1);
    for router in 1..count {
        net = net.p2p(router - 1, router, 1);
    }
    // The joiner (router `count`) attaches to router 0 over a link that starts down.
    let mut net = net.p2p(count, 0, 1).loopbacks();
    let joining_link = net.links.len() - 1;
    net.links[joining_link].up = false;
    let mut net = net.start();
    net.run_until(
        |net| net.lsdb_summary(0).len() == count && net.quiescent(),
        Duration::from_secs(300),
    )
    .unwrap();
    net.set_link(joining_link, true);
    net.run_until(
        |net| net.adjacencies_up() && net.lsdbs_identical() && net.quiescent(),
        Duration::from_secs(60),
    )
    .unwrap();
    assert_eq!(net.lsdb_summary(count).len(), count + 1);
    net.run_until(
        |net| net.route(count, loopback(count - 1), 32).is_some(),
        Duration::from_secs(30),
    )
    .unwrap();
    // The database needed more than one DD (72 headers fit in 1500 bytes).
    let received = &net.instance(count).interfaces_view(net.now)[0].counters.received;
    assert!(received.database_description >= 3, "{received:?}");
}

/// A router floods a new LSA of its own out of its two point-to-point interfaces: without
/// authentication both packets are the same bytes (encoded once); with MD5 each is signed
/// with its own sequence number. Either way each neighbor gets and installs it.
#[test]
fn an_lsa_flooded_out_two_interfaces_is_encoded_once() {
    let keys = || {
        let mut keys = okapi_ospf::packet::Md5Keys::new();
        keys.insert(1, okapi_ospf::packet::Md5Key::new(b"secret").unwrap());
        okapi_ospf::InterfaceAuth::Md5 { keys, send_key_id: 1 }
    };
    for md5 in [false, true] {
        let mut net = Network::new().hello(1, 4);
        if md5 {
            net = net.auth(keys());
        }
        let mut net = net
            .routers(3)
            .p2p(0, 1, 10)
            .p2p(1, 2, 10)
            .configure(1, |config| {
                config.announce.push(okapi_ospf::AnnouncedPrefix {
                    prefix: Ipv4Addr::new(192, 0, 2, 0),
                    len: 24,
                    cost: 1,
                })
            })
            .start();
        net.converge(Duration::from_secs(30)).unwrap();
        let now = net.now;
        let outputs = net.routers[1].instance.as_mut().unwrap().handle(
            Input::AddressAdded {
                ifindex: 1,
                address: Ipv4Addr::new(192, 0, 2, 7),
                prefix_len: 32,
            },
            now,
        );
        let updates: Vec<(u32, bytes::Bytes)> = outputs
            .iter()
            .filter_map(|output| match output {
                okapi_ospf::Output::Send { ifindex, bytes, .. } if bytes[1] == 4 => Some((*ifindex, bytes.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            updates.iter().map(|(ifindex, _)| *ifindex).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(updates[0].1 == updates[1].1, !md5, "md5: {md5}");
        // Encoded once: the very same buffer.
        assert_eq!(updates[0].1.as_ptr() == updates[1].1.as_ptr(), !md5, "md5: {md5}");
        let decoded: Vec<_> = updates
            .iter()
            .map(
                |(_, bytes)| match okapi_ospf::packet::Packet::decode(bytes).unwrap().body {
                    okapi_ospf::packet::PacketBody::LinkStateUpdate(update) => update.lsas,
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        assert_eq!(decoded[0], decoded[1]);
        // Deliver them the ordinary way (the harness sends what the instance says).
        net.carry_out(1, outputs);
        net.run_until(
            |net| {
                net.route(0, Ipv4Addr::new(192, 0, 2, 7), 32).is_some()
                    && net.route(2, Ipv4Addr::new(192, 0, 2, 7), 32).is_some()
            },
            Duration::from_secs(10),
        )
        .unwrap();
        net.converge(Duration::from_secs(30)).unwrap();
    }
}
