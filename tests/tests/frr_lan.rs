//! Acceptance (issue 2): a bridge node and three FRR nodes on it reach OSPF Full with a DR
//! elected (r1, the highest priority), and every router agrees on the DR.

use std::time::Duration;

use okapi_tests::{HostSnapshot, LabUnderTest, frr_neighbors, require_root, vtysh_json, wait_for};
use serde_json::Value;

const ROUTERS: [(&str, &str); 3] = [("r1", "10.0.0.1"), ("r2", "10.0.0.2"), ("r3", "10.0.0.3")];

#[test]
fn three_frr_routers_on_a_bridge_elect_a_dr_and_reach_full() {
    if !require_root("frr_lan") {
        return;
    }
    let before = HostSnapshot::take();
    let lab = LabUnderTest::up("frr-lan.clab.yml");

    for (node, own_id) in ROUTERS {
        wait_for(
            &format!("{node} Full with both other routers"),
            Duration::from_secs(40),
            || {
                let json = vtysh_json(&lab, node, "show ip ospf neighbor json")?;
                let full: Vec<String> = frr_neighbors(&json)
                    .into_iter()
                    .filter(|neighbor| neighbor.is_full())
                    .map(|neighbor| neighbor.router_id)
                    .collect();
                let expected: Vec<&str> = ROUTERS.iter().map(|(_, id)| *id).filter(|id| *id != own_id).collect();
                if expected.iter().all(|id| full.iter().any(|f| f == id)) {
                    Ok(())
                } else {
                    Err(json.to_string())
                }
            },
        );
    }

    for (node, _) in ROUTERS {
        let json = vtysh_json(&lab, node, "show ip ospf interface eth1 json").unwrap_or_else(|error| panic!("{error}"));
        let interface = json
            .get("interfaces")
            .and_then(|interfaces| interfaces.get("eth1"))
            .or_else(|| json.get("eth1"))
            .unwrap_or(&Value::Null);
        let dr = interface.get("drId").and_then(Value::as_str);
        let bdr = interface.get("bdrId").and_then(Value::as_str);
        println!("{node}: DR {dr:?} BDR {bdr:?}");
        assert_eq!(dr, Some("10.0.0.1"), "{node} sees r1 as DR: {json}");
        assert_eq!(bdr, Some("10.0.0.2"), "{node} sees r2 as BDR: {json}");
    }

    lab.down_and_assert_clean(&before);
}
