//! DR/BDR election and re-election on a LAN (RFC 2328 §9.4): the BDR dying, a router of
//! higher priority joining (no preemption), a DR restarting. The DR dying is in
//! `adjacency.rs`.

use std::net::Ipv4Addr;
use std::time::Duration;

use okapi_ospf::interface::InterfaceState;
use okapi_ospf::neighbor::NeighborState;

use crate::support::{Network, loopback};

/// The (DR, BDR) addresses router `router` has on LAN `link`.
fn dr_bdr(net: &Network, router: usize, link: usize) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let ifindex = net.links[link]
        .members
        .iter()
        .find(|member| member.router == router)?
        .ifindex;
    let view = net
        .instance(router)
        .interfaces_view(net.now)
        .into_iter()
        .find(|interface| interface.ifindex == ifindex)?;
    Some((
        view.dr_address.unwrap_or(Ipv4Addr::UNSPECIFIED),
        view.bdr_address.unwrap_or(Ipv4Addr::UNSPECIFIED),
    ))
}

/// The address of `router` on LAN `link`.
fn address(net: &Network, router: usize, link: usize) -> Ipv4Addr {
    net.links[link]
        .members
        .iter()
        .find(|member| member.router == router)
        .expect("a member")
        .address
}

/// Every running member of LAN `link` agrees that the DR and BDR are `dr` and `bdr`.
fn all_agree(net: &Network, link: usize, dr: usize, bdr: usize) -> bool {
    let expected = (address(net, dr, link), address(net, bdr, link));
    net.links[link]
        .members
        .iter()
        .filter(|member| net.is_running(member.router))
        .all(|member| dr_bdr(net, member.router, link) == Some(expected))
}

/// Four routers of priority 1: router 3 (highest router ID) is DR, router 2 BDR. The BDR
/// dies: once its neighbors drop it (dead interval), router 1 becomes BDR and router 3 stays
/// DR; router 0 is then adjacent to router 1.
#[test]
fn bdr_dies_a_new_bdr_is_elected_and_the_dr_stays() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(4)
        .lan(&[0, 1, 2, 3])
        .loopbacks()
        .start();
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(all_agree(&net, 0, 3, 2));
    assert_eq!(net.neighbor_state(0, 1), Some(NeighborState::TwoWay));
    net.kill(2);
    let took = net
        .run_until(
            |net| all_agree(net, 0, 3, 1) && net.adjacencies_up(),
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(took <= Duration::from_secs(6), "re-election took {took:?}");
    assert_eq!(net.interface_state(3, 0), Some(InterfaceState::DR));
    assert_eq!(net.interface_state(1, 0), Some(InterfaceState::Backup));
    assert_eq!(net.interface_state(0, 0), Some(InterfaceState::DROther));
    assert_eq!(net.neighbor_state(0, 1), Some(NeighborState::Full));
    assert_eq!(net.neighbor_state(0, 3), Some(NeighborState::Full));
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(net.route(0, loopback(2), 32).is_none());
    assert!(net.route(0, loopback(3), 32).is_some());
    // The DR's network-LSA lists the three routers left.
    let network = net
        .instance(0)
        .database_view(net.now)
        .into_iter()
        .filter(|lsa| lsa.lsa_type == 2 && lsa.advertising_router == net.routers[3].id)
        .count();
    assert_eq!(network, 1);
}

/// §9.4: "if a router with a higher Router Priority is added to the network, it does not
/// take over the DR or BDR role". Three routers of priority 1 elect router 2 DR and router
/// 1 BDR; router 3, of priority 100, joins later: the DR and BDR stay (at every instant),
/// it becomes DROther, adjacent to both and 2-Way with router 0. When the DR dies, the BDR
/// becomes DR and the newcomer, of the highest priority, BDR.
#[test]
fn a_higher_priority_router_joining_does_not_preempt() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(4)
        .lan_with(&[(0, 1), (1, 1), (2, 1), (3, 100)], 10)
        .loopbacks()
        .offline(3)
        .start();
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(all_agree(&net, 0, 2, 1));

    net.boot(3);
    let elected = (address(&net, 2, 0), address(&net, 1, 0));
    let mut preempted = None;
    net.run_until(
        |net| {
            // The three routers already there never change their minds, at any instant.
            if preempted.is_none() && (0..3).any(|router| dr_bdr(net, router, 0) != Some(elected)) {
                preempted = Some(net.elapsed());
            }
            net.adjacencies_up() && all_agree(net, 0, 2, 1)
        },
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(preempted, None, "the DR or BDR changed");
    assert_eq!(net.interface_state(3, 0), Some(InterfaceState::DROther));
    assert_eq!(net.neighbor_state(3, 2), Some(NeighborState::Full));
    assert_eq!(net.neighbor_state(3, 1), Some(NeighborState::Full));
    assert_eq!(net.neighbor_state(3, 0), Some(NeighborState::TwoWay));
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(all_agree(&net, 0, 2, 1));

    // The DR dies: the BDR is promoted, the newcomer (priority 100) becomes BDR.
    net.kill(2);
    net.run_until(
        |net| all_agree(net, 0, 1, 3) && net.adjacencies_up(),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(net.interface_state(1, 0), Some(InterfaceState::DR));
    assert_eq!(net.interface_state(3, 0), Some(InterfaceState::Backup));
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(net.full_mesh_of_loopbacks());
}

/// The DR restarts: while it is away the BDR takes over and a new BDR is elected; back, it
/// finds both roles taken and stays DROther (no preemption), and routes are as before.
#[test]
fn a_restarted_dr_does_not_take_its_role_back() {
    let mut net = Network::new()
        .hello(1, 4)
        .routers(3)
        .lan(&[0, 1, 2])
        .loopbacks()
        .start();
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(all_agree(&net, 0, 2, 1));
    net.kill(2);
    net.run_until(|net| all_agree(net, 0, 1, 0), Duration::from_secs(30))
        .unwrap();
    net.boot(2);
    net.converge(Duration::from_secs(30)).unwrap();
    assert!(all_agree(&net, 0, 1, 0));
    assert_eq!(net.interface_state(2, 0), Some(InterfaceState::DROther));
    assert!(net.full_mesh_of_loopbacks());
    // The old DR's network-LSA was flushed when it came back (§13.4: it is no longer DR);
    // the new DR's is the only live one.
    let networks: Vec<Ipv4Addr> = net
        .lsdb_summary(0)
        .into_iter()
        .filter(|(key, _, _)| key.lsa_type.0 == 2)
        .map(|(key, _, _)| key.advertising_router)
        .collect();
    assert_eq!(networks, vec![net.routers[1].id]);
}
