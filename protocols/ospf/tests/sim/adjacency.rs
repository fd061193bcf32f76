//! Adjacencies: point-to-point and LAN (DR/BDR election, re-election), authentication.

use std::time::Duration;

use okapi_ospf::InterfaceAuth;
use okapi_ospf::interface::InterfaceState;
use okapi_ospf::neighbor::NeighborState;
use okapi_ospf::packet::{Md5Key, Md5Keys};

use crate::support::{Network, loopback};

#[test]
fn p2p_pair_reaches_full_then_routes() {
    let mut net = Network::new().hello(1, 4).routers(2).p2p(0, 1, 10).loopbacks().start();
    let took = net
        .run_until(|net| net.adjacencies_up(), Duration::from_secs(10))
        .unwrap();
    // Two Hello round trips at most, then the exchange: well within a Hello interval or two.
    assert!(took <= Duration::from_secs(2), "Full after {took:?}");
    net.run_until(|net| net.full_mesh_of_loopbacks(), Duration::from_secs(10))
        .unwrap();
    assert!(net.lsdbs_identical());
    let route = net.route(0, loopback(1), 32).unwrap();
    assert_eq!(route.cost, 10);
    // The p2p subnet is known on both sides (connected).
    assert!(net.route(0, "10.0.0.0".parse().unwrap(), 30).unwrap().connected);
}

#[test]
fn lan_elects_highest_router_id_dr_and_next_bdr() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(4)
        .lan(&[0, 1, 2, 3])
        .loopbacks()
        .start();
    net.run_until(|net| net.adjacencies_up(), Duration::from_secs(20))
        .unwrap();
    // Router IDs grow with the index: router 3 is DR, router 2 BDR.
    assert_eq!(net.interface_state(3, 0), Some(InterfaceState::DR));
    assert_eq!(net.interface_state(2, 0), Some(InterfaceState::Backup));
    assert_eq!(net.interface_state(1, 0), Some(InterfaceState::DROther));
    assert_eq!(net.interface_state(0, 0), Some(InterfaceState::DROther));
    assert_eq!(net.neighbor_state(0, 1), Some(NeighborState::TwoWay));
    assert_eq!(net.neighbor_state(0, 3), Some(NeighborState::Full));
    net.run_until(
        |net| net.full_mesh_of_loopbacks() && net.lsdbs_identical(),
        Duration::from_secs(20),
    )
    .unwrap();
    // The DR's network-LSA lists the four routers.
    let view = net.instance(0).database_view(net.now);
    let network: Vec<_> = view.iter().filter(|lsa| lsa.lsa_type == 2).collect();
    assert_eq!(network.len(), 1, "{view:#?}");
    assert_eq!(network[0].advertising_router, net.routers[3].id);
}

#[test]
fn lan_priority_beats_router_id_and_zero_is_never_elected() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(3)
        .lan_with(&[(0, 100), (1, 50), (2, 0)], 10)
        .start();
    net.run_until(|net| net.adjacencies_up(), Duration::from_secs(20))
        .unwrap();
    assert_eq!(net.interface_state(0, 0), Some(InterfaceState::DR));
    assert_eq!(net.interface_state(1, 0), Some(InterfaceState::Backup));
    assert_eq!(net.interface_state(2, 0), Some(InterfaceState::DROther));
}

#[test]
fn lan_dr_dies_bdr_takes_over_and_a_new_bdr_is_elected() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(4)
        .lan(&[0, 1, 2, 3])
        .loopbacks()
        .start();
    net.run_until(
        |net| net.adjacencies_up() && net.full_mesh_of_loopbacks(),
        Duration::from_secs(20),
    )
    .unwrap();
    net.kill(3);
    let took = net
        .run_until(
            |net| {
                net.interface_state(2, 0) == Some(InterfaceState::DR)
                    && net.interface_state(1, 0) == Some(InterfaceState::Backup)
                    && net.adjacencies_up()
            },
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(took <= Duration::from_secs(8), "re-election took {took:?}");
    assert_eq!(net.interface_state(1, 0), Some(InterfaceState::Backup));
    assert_eq!(net.interface_state(0, 0), Some(InterfaceState::DROther));
    // Routes follow: the dead router's loopback disappears, the others stay.
    net.run_until(
        |net| net.route(0, loopback(3), 32).is_none() && net.route(0, loopback(2), 32).is_some(),
        Duration::from_secs(30),
    )
    .unwrap();
    net.run_until(|net| net.lsdbs_identical() && net.quiescent(), Duration::from_secs(30))
        .unwrap();
}

#[test]
fn md5_pair_reaches_full_and_a_wrong_key_does_not() {
    let keys = |secret: &[u8]| {
        let mut keys = Md5Keys::new();
        keys.insert(1, Md5Key::new(secret).unwrap());
        InterfaceAuth::Md5 { keys, send_key_id: 1 }
    };
    let mut net = Network::new()
        .hello(1, 4)
        .auth(keys(b"secret"))
        .routers(2)
        .p2p(0, 1, 10)
        .start();
    net.run_until(|net| net.adjacencies_up(), Duration::from_secs(10))
        .unwrap();

    let mut wrong = Network::new()
        .hello(1, 4)
        .auth(keys(b"secret"))
        .routers(2)
        .p2p(0, 1, 10);
    wrong.routers[1].config.interfaces[0].auth = keys(b"other");
    let mut wrong = wrong.start();
    wrong.run_for(Duration::from_secs(10));
    assert_eq!(wrong.neighbor_state(0, 1), None);
    let counters = &wrong.instance(0).interfaces_view(wrong.now)[0].counters;
    assert!(
        counters.rejected.get("bad-digest").copied().unwrap_or(0) >= 5,
        "{counters:?}"
    );
}

#[test]
fn hello_interval_mismatch_is_counted_and_blocks_the_adjacency() {
    let mut net = Network::new().hello(1, 4).routers(2).p2p(0, 1, 10);
    net.routers[1].config.interfaces[0].hello_interval = 2;
    let mut net = net.start();
    net.run_for(Duration::from_secs(10));
    assert_eq!(net.neighbor_state(0, 1), None);
    let counters = &net.instance(0).interfaces_view(net.now)[0].counters;
    assert!(counters.rejected.get("hello-interval-mismatch").copied().unwrap_or(0) > 0);
}

#[test]
fn a_link_going_down_tears_the_adjacency_down_and_back_up() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(3)
        .p2p(0, 1, 10)
        .p2p(1, 2, 10)
        .loopbacks()
        .start();
    net.run_until(|net| net.full_mesh_of_loopbacks(), Duration::from_secs(20))
        .unwrap();
    net.set_link(1, false);
    assert_eq!(net.neighbor_state(1, 2), None);
    net.run_until(|net| net.route(0, loopback(2), 32).is_none(), Duration::from_secs(20))
        .unwrap();
    net.set_link(1, true);
    net.run_until(
        |net| net.full_mesh_of_loopbacks() && net.lsdbs_identical(),
        Duration::from_secs(20),
    )
    .unwrap();
}

#[test]
fn passive_interface_is_announced_without_hellos() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(2)
        .p2p(0, 1, 10)
        .passive(0, "192.168.50.1".parse().unwrap(), 24)
        .start();
    net.run_until(
        |net| net.route(1, "192.168.50.0".parse().unwrap(), 24).is_some(),
        Duration::from_secs(20),
    )
    .unwrap();
    assert_eq!(net.route(1, "192.168.50.0".parse().unwrap(), 24).unwrap().cost, 20);
    let passive = net
        .instance(0)
        .interfaces_view(net.now)
        .into_iter()
        .find(|interface| interface.passive)
        .unwrap();
    assert_eq!(passive.state, InterfaceState::DR);
    assert_eq!(passive.counters.sent.hello, 0);
}

/// The shell's views serialize to JSON with the fields FRR's show commands have.
#[test]
fn views_serialize_to_json() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(3)
        .lan(&[0, 1, 2])
        .loopbacks()
        .start();
    net.run_until(
        |net| net.adjacencies_up() && net.full_mesh_of_loopbacks(),
        Duration::from_secs(20),
    )
    .unwrap();
    let instance = net.instance(0);
    let json = serde_json::to_value(instance.view(net.now)).unwrap();
    assert_eq!(json["router_id"], "10.255.0.1");
    assert_eq!(json["full_adjacencies"], 2);
    let interfaces = serde_json::to_value(instance.interfaces_view(net.now)).unwrap();
    assert_eq!(interfaces[0]["state"], "DROther");
    assert_eq!(interfaces[0]["dr_id"], "10.255.0.3");
    assert_eq!(interfaces[0]["bdr_id"], "10.255.0.2");
    let neighbors = serde_json::to_value(instance.neighbors_view(net.now)).unwrap();
    let dr = neighbors
        .as_array()
        .unwrap()
        .iter()
        .find(|neighbor| neighbor["router_id"] == "10.255.0.3")
        .unwrap();
    assert_eq!(dr["state"], "Full");
    assert_eq!(dr["role"], "DR");
    assert!(dr["dead_time_ms"].as_u64().unwrap() <= 4000);
    let database = serde_json::to_value(instance.database_view(net.now)).unwrap();
    assert_eq!(database.as_array().unwrap().len(), 4);
    assert!(database[0]["sequence"].as_str().unwrap().starts_with("0x8000"));
    let routes = serde_json::to_value(instance.routes()).unwrap();
    assert!(
        routes.as_object().is_some_and(|routes| routes.len() >= 3) || routes.is_array(),
        "{routes}"
    );
}

/// A router ID change flushes the old router-LSA and forms the adjacency again.
#[test]
fn router_id_change_flushes_the_old_lsas() {
    let mut net = Network::new().hello(1, 4).routers(2).p2p(0, 1, 10).loopbacks().start();
    net.run_until(|net| net.full_mesh_of_loopbacks(), Duration::from_secs(20))
        .unwrap();
    let old_id = net.routers[1].id;
    let new_id: std::net::Ipv4Addr = "10.255.9.9".parse().unwrap();
    let mut config = net.routers[1].config.clone();
    config.router_id = new_id;
    net.routers[1].id = new_id;
    net.input(1, okapi_ospf::Input::ConfigChanged(Box::new(config)));
    net.run_until(
        |net| {
            net.adjacencies_up()
                && net.full_mesh_of_loopbacks()
                && net
                    .lsdb_summary(0)
                    .iter()
                    .all(|(key, _, _)| key.advertising_router != old_id)
        },
        Duration::from_secs(30),
    )
    .unwrap();
}
