//! Acceptance (issue 2): `okapi-lab up lab/topologies/frr-pair.clab.yml` brings two FRR nodes
//! to OSPF Full over a veth link; each side has the other's loopback in its kernel table and
//! can ping it; after `down`, no namespace, link or process of the lab is left.

use std::time::Duration;

use okapi_tests::{HostSnapshot, LabUnderTest, frr_neighbors, kernel_route, require_root, vtysh_json, wait_for};

#[test]
fn frr_pair_reaches_full_installs_loopbacks_and_leaves_nothing_behind() {
    if !require_root("frr_pair") {
        return;
    }
    let before = HostSnapshot::take();
    let lab = LabUnderTest::up("frr-pair.clab.yml");

    for (node, peer_id) in [("r1", "10.0.0.2"), ("r2", "10.0.0.1")] {
        let neighbor = wait_for(&format!("{node} Full with {peer_id}"), Duration::from_secs(30), || {
            let json = vtysh_json(&lab, node, "show ip ospf neighbor json")?;
            frr_neighbors(&json)
                .into_iter()
                .find(|neighbor| neighbor.router_id == peer_id && neighbor.is_full())
                .ok_or_else(|| json.to_string())
        });
        assert!(neighbor.interface.starts_with("eth1"), "{neighbor:?}");
        println!(
            "{node}: neighbor {} {} on {}",
            neighbor.router_id, neighbor.state, neighbor.interface
        );
    }

    for (node, peer_loopback, own_loopback) in [("r1", "10.0.0.2", "10.0.0.1"), ("r2", "10.0.0.1", "10.0.0.2")] {
        let route = wait_for(
            &format!("{peer_loopback} in {node}'s kernel"),
            Duration::from_secs(20),
            || match kernel_route(&lab, node, peer_loopback)? {
                Some(route) if route["protocol"] == "ospf" => Ok(route),
                other => Err(format!("{other:?}")),
            },
        );
        assert_eq!(route["dev"], "eth1", "{route}");
        println!("{node}: {route}");
        let ping = lab
            .exec(
                node,
                &[
                    "ping",
                    "-c",
                    "2",
                    "-i",
                    "0.2",
                    "-W",
                    "2",
                    "-I",
                    own_loopback,
                    peer_loopback,
                ],
            )
            .unwrap_or_else(|error| panic!("ping on {node}: {error}"));
        assert!(ping.status.success(), "{node} cannot ping {peer_loopback}: {ping:?}");
    }

    lab.down_and_assert_clean(&before);
}
