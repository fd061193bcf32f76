//! Acceptance (issue 3): okapi-ospfd as a real OSPF router next to FRR and BIRD, in lab
//! topologies (lab/topologies/ospf-*.clab.yml), with lab timers (hello 1 s, dead 4 s):
//!
//! | test | lab | checks |
//! |---|---|---|
//! | `p2p_with_frr_full_routes_ping` | ospf-frr-p2p | Full both ways, loopbacks in both kernels (ours proto 188 metric 110), ping |
//! | `p2p_vip_announced_and_withdrawn` | ospf-frr-p2p | a /32 added on `lo` reaches FRR's kernel; removed, it leaves |
//! | `p2p_frr_restart_reforms_adjacency` | ospf-frr-p2p | FRR's ospfd killed and started again: Full again, same okapi-ospfd |
//! | `p2p_okapi_restart_adopts_routes` | ospf-frr-p2p | okapi-ospfd killed and started again: routes stay, a stale one goes after the grace |
//! | `p2p_okapi_stop_flushes_its_lsas` | ospf-frr-p2p | okapi-ospfd stopped (SIGTERM): FRR drops our loopback well before the dead interval |
//! | `lan_okapi_dr_with_frr_and_bird` | ospf-lan | okapi DR; Full with FRR and BIRD; routes everywhere; ping |
//! | `lan_okapi_drother_with_frr_and_bird` | ospf-lan-drother | okapi DROther (FRR DR, BIRD BDR); same |
//! | `md5_full_then_wrong_key_refused` | ospf-md5 | MD5 Full; FRR's key changed: no Full, `bad-digest` grows |
//! | `triangle_link_down_reconverges` | ospf-triangle | ECMP; eth1 down: routes through r3; eth1 up: back |
//!
//! Our side is read through the shell (`okapi -c "show ip ospf neighbor json"`) when it knows
//! the command, else straight from the control socket (`GET /ospf/neighbors`). Each test
//! brings its lab up and down and checks nothing is left; the three p2p tests share one lab
//! file, so they take turns.

use std::time::{Duration, Instant};

use okapi_tests::{
    LabUnderTest, binary, daemon_get, frr_neighbors, json_of, recorded_argv, run_in_lab, secs, start_again, vtysh_json,
    wait_for,
};
use serde_json::Value;

/// How long a route may take to reach a kernel once the adjacency it needs is up.
const ROUTE_WAIT: Duration = Duration::from_secs(10);

// ─────────────────────────────────────────── helpers ───────────────────────────────────────────

/// `GET path` on okapi-ospfd's control socket in `node`.
fn ospfd_get(lab: &LabUnderTest, node: &str, path: &str) -> Result<Value, String> {
    daemon_get(lab, node, "ospf", path)
}

/// Our neighbors as JSON: through the shell if it knows `show ip ospf neighbor json`, else
/// from the control socket. The first call says which.
fn okapi_neighbors(lab: &LabUnderTest, node: &str) -> Result<Vec<Value>, String> {
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    let okapi = binary("okapi");
    let shell = lab
        .exec(
            node,
            &[okapi.to_str().unwrap_or("okapi"), "-c", "show ip ospf neighbor json"],
        )
        .map_err(|error| error.to_string())
        .and_then(|output| json_of(&output));
    let (how, value) = match shell {
        Ok(value) if value.get("neighbors").is_some_and(Value::is_array) => ("the shell", value),
        _ => ("GET /ospf/neighbors", ospfd_get(lab, node, "/ospf/neighbors")?),
    };
    ANNOUNCED.call_once(|| println!("okapi-ospfd neighbors read through {how}"));
    Ok(value["neighbors"].as_array().cloned().unwrap_or_default())
}

/// Waits until okapi-ospfd on `node` is Full with every router ID in `peers`.
fn wait_okapi_full(lab: &LabUnderTest, node: &str, peers: &[&str], limit: Duration) -> Vec<Value> {
    wait_for(&format!("okapi-ospfd on {node} Full with {peers:?}"), limit, || {
        let neighbors = okapi_neighbors(lab, node)?;
        let full = |id: &str| {
            neighbors
                .iter()
                .any(|neighbor| neighbor["router_id"] == id && neighbor["state"] == "Full")
        };
        if peers.iter().all(|id| full(id)) {
            Ok(neighbors.clone())
        } else {
            Err(Value::Array(neighbors.clone()).to_string())
        }
    })
}

/// True when one of okapi-ospfd's `neighbors` is Full.
fn any_full(neighbors: &[Value]) -> bool {
    neighbors.iter().any(|neighbor| neighbor["state"] == "Full")
}

/// Waits until okapi-ospfd on `node` is Full with nobody.
fn wait_okapi_not_full(lab: &LabUnderTest, node: &str, limit: Duration) {
    wait_for(&format!("okapi-ospfd on {node} to drop its neighbors"), limit, || {
        let neighbors = okapi_neighbors(lab, node)?;
        if any_full(&neighbors) {
            Err(Value::Array(neighbors).to_string())
        } else {
            Ok(())
        }
    });
}

/// Waits until FRR on `node` is Full with `peer`; returns FRR's state string (`Full/DR`, ...).
fn wait_frr_full(lab: &LabUnderTest, node: &str, peer: &str, limit: Duration) -> String {
    wait_for(&format!("FRR on {node} Full with {peer}"), limit, || {
        let json = vtysh_json(lab, node, "show ip ospf neighbor json")?;
        frr_neighbors(&json)
            .into_iter()
            .find(|neighbor| neighbor.router_id == peer && neighbor.is_full())
            .map(|neighbor| neighbor.state)
            .ok_or_else(|| json.to_string())
    })
}

/// Waits until r1 (okapi-ospfd) and r2 (FRR) of a two-router lab are Full with each other;
/// returns FRR's state string and our neighbors.
fn wait_pair_full(lab: &LabUnderTest) -> (String, Vec<Value>) {
    let frr = wait_frr_full(lab, "r2", "10.0.0.1", Duration::from_secs(20));
    let ours = wait_okapi_full(lab, "r1", &["10.0.0.2"], Duration::from_secs(20));
    (frr, ours)
}

fn frr_full_with(lab: &LabUnderTest, node: &str, peer: &str) -> bool {
    vtysh_json(lab, node, "show ip ospf neighbor json")
        .map(|json| {
            frr_neighbors(&json)
                .iter()
                .any(|neighbor| neighbor.router_id == peer && neighbor.is_full())
        })
        .unwrap_or(false)
}

/// BIRD's neighbors (`birdc show ospf neighbors`): (router ID, state) pairs.
fn bird_neighbors(lab: &LabUnderTest, node: &str) -> Result<Vec<(String, String)>, String> {
    let output = lab
        .exec(
            node,
            &["birdc", "-s", "/run/bird/bird.ctl", "show", "ospf", "neighbors"],
        )
        .map_err(|error| error.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(text);
    }
    Ok(text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let id = fields.first()?;
            let state = fields.get(2)?;
            id.parse::<std::net::Ipv4Addr>()
                .ok()
                .map(|_| (id.to_string(), state.to_string()))
        })
        .collect())
}

/// The kernel routes to `destination` on `node` (`ip -j route show`).
fn routes_to(lab: &LabUnderTest, node: &str, destination: &str) -> Result<Vec<Value>, String> {
    let output = lab
        .exec(node, &["ip", "-j", "route", "show", destination])
        .map_err(|error| error.to_string())?;
    Ok(json_of(&output)?.as_array().cloned().unwrap_or_default())
}

/// `ip -j` names protocol 188 after /etc/iproute2/rt_protos ("ospf"), or prints the number.
fn is_ospf(route: &Value) -> bool {
    route["protocol"] == "ospf" || route["protocol"] == "188" || route["protocol"] == 188
}

/// Waits until `node`'s kernel has a route to `destination` installed by `protocol`
/// (`is_ospf` for "ospf", else the name) whose first hop satisfies `hop`.
fn wait_route(
    lab: &LabUnderTest,
    node: &str,
    destination: &str,
    protocol: &str,
    limit: Duration,
    hop: impl Fn(&Value) -> bool,
) -> Value {
    wait_for(&format!("{destination} ({protocol}) in {node}'s kernel"), limit, || {
        let routes = routes_to(lab, node, destination)?;
        routes
            .iter()
            .find(|route| {
                let by = if protocol == "ospf" {
                    is_ospf(route)
                } else {
                    route["protocol"] == protocol
                };
                by && hop(route)
            })
            .cloned()
            .ok_or_else(|| Value::Array(routes.clone()).to_string())
    })
}

/// [`wait_route`] for a route of OSPF's: ours (protocol 188) or FRR's.
fn wait_ospf_route(
    lab: &LabUnderTest,
    node: &str,
    destination: &str,
    limit: Duration,
    hop: impl Fn(&Value) -> bool,
) -> Value {
    wait_route(lab, node, destination, "ospf", limit, hop)
}

/// Waits until `node`'s kernel has no route to `destination` that `counts` accepts.
fn wait_route_gone(
    lab: &LabUnderTest,
    node: &str,
    destination: &str,
    limit: Duration,
    counts: impl Fn(&Value) -> bool,
) {
    wait_for(&format!("{destination} to leave {node}'s kernel"), limit, || {
        let routes = routes_to(lab, node, destination)?;
        if routes.iter().any(&counts) {
            Err(Value::Array(routes).to_string())
        } else {
            Ok(())
        }
    });
}

fn any_route(_: &Value) -> bool {
    true
}

fn via(gateway: &'static str, dev: &'static str) -> impl Fn(&Value) -> bool {
    move |route: &Value| route["gateway"] == gateway && route["dev"] == dev
}

fn ping(lab: &LabUnderTest, node: &str, from: &str, to: &str) {
    let output = lab
        .exec(node, &["ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", from, to])
        .unwrap_or_else(|error| panic!("ping on {node}: {error}"));
    assert!(
        output.status.success(),
        "{node} cannot ping {to} from {from}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

fn exec_ok(lab: &LabUnderTest, node: &str, argv: &[&str]) {
    let output = lab
        .exec(node, argv)
        .unwrap_or_else(|error| panic!("{} on {node}: {error}", argv.join(" ")));
    assert!(
        output.status.success(),
        "{} on {node}: {}",
        argv.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Our interface `name` on `node`, as `GET /ospf/interfaces?name=NAME` shows it.
fn ospfd_interface(lab: &LabUnderTest, node: &str, name: &str) -> Result<Value, String> {
    let answer = ospfd_get(lab, node, &format!("/ospf/interfaces?name={name}"))?;
    Ok(answer["interfaces"][0].clone())
}

/// The okapi-ospfd on `node` is running (a PID from `GET /version`).
fn ospfd_pid(lab: &LabUnderTest, node: &str) -> u64 {
    ospfd_get(lab, node, "/version")
        .ok()
        .and_then(|version| version["pid"].as_u64())
        .unwrap_or_else(|| panic!("okapi-ospfd on {node} does not answer /version"))
}

fn in_lab<T>(test: &str, file: &str, body: impl FnOnce(&LabUnderTest, Instant) -> T) -> Option<T> {
    run_in_lab(&format!("ospf_interop::{test}"), file, body)
}

// ──────────────────────────────────────── point-to-point ───────────────────────────────────────

const P2P: &str = "ospf-frr-p2p.clab.yml";

/// (a) Full both ways with FRR, loopbacks in both kernels, ping both ways.
#[test]
fn p2p_with_frr_full_routes_ping() {
    in_lab("p2p_with_frr_full_routes_ping", P2P, |lab, started| {
        let (frr_state, ours) = wait_pair_full(lab);
        println!("Full both ways {} after up (FRR: {frr_state})", secs(started));
        assert_eq!(ours[0]["interface"], "eth1", "{ours:?}");
        assert_eq!(ours[0]["address"], "10.0.12.2", "{ours:?}");

        let route = wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, via("10.0.12.2", "eth1"));
        assert_eq!(route["metric"], 110, "our routes carry the distance: {route}");
        println!("r1 (okapi): {route}");
        let route = wait_ospf_route(lab, "r2", "10.0.0.1", ROUTE_WAIT, via("10.0.12.1", "eth1"));
        println!("r2 (FRR): {route} at {}", secs(started));
        // The connected p2p subnet stays the kernel's own.
        let subnet = routes_to(lab, "r1", "10.0.12.0/30").expect("routes");
        assert!(subnet.iter().all(|route| !is_ospf(route)), "{subnet:?}");

        ping(lab, "r1", "10.0.0.1", "10.0.0.2");
        ping(lab, "r2", "10.0.0.2", "10.0.0.1");

        let interface = ospfd_interface(lab, "r1", "eth1").expect("interfaces");
        assert_eq!(interface["state"], "Point-to-point", "{interface}");
        let routes = ospfd_get(lab, "r1", "/ospf/routes").expect("routes");
        assert!(routes["routes"]["10.0.0.2/32"].is_object(), "{routes}");
        let instance = ospfd_get(lab, "r1", "/ospf").expect("instance");
        assert_eq!(instance["full_adjacencies"], 1, "{instance}");
        assert_eq!(instance["kernel"]["installed"], 1, "{instance}");
        assert_eq!(instance["kernel"]["errors"], 0, "{instance}");
        let database = ospfd_get(lab, "r1", "/ospf/database?type=router&lsid=10.0.0.2").expect("database");
        assert_eq!(database["lsas"][0]["advertising_router"], "10.0.0.2", "{database}");
    });
}

/// (f) A /32 VIP added on `lo` is announced (FRR installs it); removed, it is withdrawn.
#[test]
fn p2p_vip_announced_and_withdrawn() {
    in_lab("p2p_vip_announced_and_withdrawn", P2P, |lab, _| {
        wait_frr_full(lab, "r2", "10.0.0.1", Duration::from_secs(20));
        wait_ospf_route(lab, "r2", "10.0.0.1", ROUTE_WAIT, any_route);
        assert!(
            routes_to(lab, "r2", "203.0.113.10").expect("routes").is_empty(),
            "no VIP route before the address exists"
        );

        let added = Instant::now();
        exec_ok(lab, "r1", &["ip", "address", "add", "203.0.113.10/32", "dev", "lo"]);
        let route = wait_ospf_route(
            lab,
            "r2",
            "203.0.113.10",
            Duration::from_secs(5),
            via("10.0.12.1", "eth1"),
        );
        println!(
            "VIP 203.0.113.10/32 in FRR's kernel {} after `ip address add`: {route}",
            secs(added)
        );
        ping(lab, "r2", "10.0.0.2", "203.0.113.10");

        let removed = Instant::now();
        exec_ok(lab, "r1", &["ip", "address", "del", "203.0.113.10/32", "dev", "lo"]);
        wait_route_gone(lab, "r2", "203.0.113.10", Duration::from_secs(5), any_route);
        println!(
            "VIP withdrawn from FRR's kernel {} after `ip address del`",
            secs(removed)
        );
    });
}

/// (e) FRR's ospfd killed and started again the way okapi-lab started it: the adjacency
/// re-forms and routes come back, with the same okapi-ospfd process.
#[test]
fn p2p_frr_restart_reforms_adjacency() {
    let restarted = in_lab("p2p_frr_restart_reforms_adjacency", P2P, |lab, _| {
        wait_pair_full(lab);
        wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, any_route);
        let pid = ospfd_pid(lab, "r1");

        let argv = recorded_argv(lab, "r2", "ospfd");
        let pid_file = lab.node_dir("r2").expect("node dir").join("fs/run/frr/ospfd.pid");
        let frr_pid = std::fs::read_to_string(&pid_file)
            .unwrap_or_else(|error| panic!("{}: {error}", pid_file.display()))
            .trim()
            .to_string();
        let killed = Instant::now();
        exec_ok(lab, "r2", &["kill", "-KILL", &frr_pid]);

        // okapi-ospfd notices (dead interval 4 s) and withdraws the route.
        wait_okapi_not_full(lab, "r1", Duration::from_secs(10));
        wait_route_gone(lab, "r1", "10.0.0.2", Duration::from_secs(5), is_ospf);
        println!("okapi-ospfd dropped FRR {} after the kill", secs(killed));

        let restarted = Instant::now();
        let child = start_again(lab, "r2", &argv, "ospfd-restarted.log");
        // The new ospfd has no configuration until the integrated config is applied again.
        wait_for("vtysh -b on r2", Duration::from_secs(10), || {
            let output = lab.exec("r2", &["vtysh", "-b"]).map_err(|error| error.to_string())?;
            let ospf = vtysh_json(lab, "r2", "show ip ospf json")?;
            if output.status.success() && ospf["routerId"] == "10.0.0.2" {
                Ok(())
            } else {
                Err(format!("{output:?} {ospf}"))
            }
        });
        wait_pair_full(lab);
        wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, via("10.0.12.2", "eth1"));
        wait_ospf_route(lab, "r2", "10.0.0.1", ROUTE_WAIT, any_route);
        println!(
            "adjacency and routes back {} after FRR's ospfd started again",
            secs(restarted)
        );
        assert_eq!(ospfd_pid(lab, "r1"), pid, "okapi-ospfd did not restart");
        ping(lab, "r1", "10.0.0.1", "10.0.0.2");
        child
    });
    if let Some(mut child) = restarted {
        let _ = child.wait();
    }
}

/// okapi-ospfd crashes (SIGKILL) and is started again: its routes stay in the kernel all
/// along, the new process adopts the ones SPF reproduces without touching them, and deletes a
/// protocol-188 route it does not reproduce once the grace period (dead interval + 5 s) ends.
#[test]
fn p2p_okapi_restart_adopts_routes() {
    let restarted = in_lab("p2p_okapi_restart_adopts_routes", P2P, |lab, _| {
        wait_okapi_full(lab, "r1", &["10.0.0.2"], Duration::from_secs(20));
        wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, via("10.0.12.2", "eth1"));
        // A route of ours the next run will not reproduce.
        exec_ok(
            lab,
            "r1",
            &[
                "ip",
                "route",
                "add",
                "192.0.2.99/32",
                "via",
                "10.0.12.2",
                "proto",
                "188",
                "metric",
                "110",
            ],
        );
        let argv = recorded_argv(lab, "r1", "okapi-ospfd");
        let old_pid = ospfd_pid(lab, "r1");
        let killed = Instant::now();
        exec_ok(lab, "r1", &["kill", "-KILL", &old_pid.to_string()]);

        let child = start_again(lab, "r1", &argv, "okapi-ospfd-restarted.log");
        // Until the new process is Full again and a little after, the route never leaves.
        let mut full_at = None;
        while full_at.is_none_or(|at: Instant| at.elapsed() < Duration::from_secs(1)) {
            assert!(killed.elapsed() < Duration::from_secs(20), "okapi-ospfd not Full again");
            let routes = routes_to(lab, "r1", "10.0.0.2").expect("routes");
            assert!(
                routes.iter().any(is_ospf),
                "10.0.0.2 left the kernel {} after the crash: {routes:?}",
                secs(killed)
            );
            if full_at.is_none() && okapi_neighbors(lab, "r1").is_ok_and(|neighbors| any_full(&neighbors)) {
                full_at = Some(Instant::now());
                println!("okapi-ospfd Full again {} after the crash", secs(killed));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_ne!(ospfd_pid(lab, "r1"), old_pid);
        let instance = ospfd_get(lab, "r1", "/ospf").expect("instance");
        let kernel = &instance["kernel"];
        assert_eq!(kernel["stale"], 1, "192.0.2.99 waits for the grace period: {kernel}");
        assert_eq!(kernel["replaced"], 0, "10.0.0.2 adopted, not replaced: {kernel}");
        assert!(kernel["grace_remaining_ms"].as_u64().is_some(), "{kernel}");
        assert!(!routes_to(lab, "r1", "192.0.2.99").expect("routes").is_empty());
        wait_route_gone(lab, "r1", "192.0.2.99", Duration::from_secs(15), any_route);
        println!("stale route deleted {} after the crash", secs(killed));
        let routes = routes_to(lab, "r1", "10.0.0.2").expect("routes");
        assert!(routes.iter().any(is_ospf), "{routes:?}");
        child
    });
    if let Some(mut child) = restarted {
        let _ = child.wait();
    }
}

// ──────────────────────────────────────────── LAN ────────────────────────────────────────────

/// (b) okapi-ospfd, FRR and BIRD on a bridge: Full with both, everyone's loopbacks in every
/// kernel, ping. `okapi_state` is our interface's state, `dr` the DR's router ID.
/// (d) A graceful stop flushes our LSAs (RFC 2328 §14.1): FRR routes around us at once, not
/// after the 4 s dead interval.
#[test]
fn p2p_okapi_stop_flushes_its_lsas() {
    in_lab("p2p_okapi_stop_flushes_its_lsas", P2P, |lab, _| {
        wait_okapi_full(lab, "r1", &["10.0.0.2"], Duration::from_secs(20));
        wait_ospf_route(lab, "r2", "10.0.0.1", ROUTE_WAIT, via("10.0.12.1", "eth1"));
        // Past FRR's MinLSArrival for our last router-LSA.
        std::thread::sleep(Duration::from_secs(2));
        let pid = ospfd_pid(lab, "r1");
        let stopped = Instant::now();
        exec_ok(lab, "r1", &["kill", "-TERM", &pid.to_string()]);
        wait_route_gone(lab, "r2", "10.0.0.1", Duration::from_secs(10), is_ospf);
        let took = stopped.elapsed();
        println!(
            "okapi-ospfd stopped: 10.0.0.1 left FRR's kernel {} later",
            secs(stopped)
        );
        assert!(
            took < Duration::from_secs(3),
            "took {took:?}: the dead interval (4 s), not the flush"
        );
    });
}

fn lan(file: &str, test: &str, okapi_state: &str, dr: &str, bdr: &str) {
    in_lab(test, file, |lab, started| {
        let ours = wait_okapi_full(lab, "r1", &["10.0.0.2", "10.0.0.3"], Duration::from_secs(30));
        println!("okapi-ospfd Full with FRR and BIRD {} after up", secs(started));
        let frr = wait_frr_full(lab, "r2", "10.0.0.1", Duration::from_secs(20));
        let bird = wait_for("BIRD Full with okapi-ospfd", Duration::from_secs(20), || {
            let neighbors = bird_neighbors(lab, "r3")?;
            neighbors
                .iter()
                .find(|(id, state)| id == "10.0.0.1" && state.starts_with("Full"))
                .map(|(_, state)| state.clone())
                .ok_or_else(|| format!("{neighbors:?}"))
        });
        println!("FRR sees okapi as {frr}, BIRD as {bird}");

        let interface = ospfd_interface(lab, "r1", "eth1").expect("interface");
        assert_eq!(interface["state"], okapi_state, "{interface}");
        assert_eq!(interface["dr_id"], dr, "{interface}");
        assert_eq!(interface["bdr_id"], bdr, "{interface}");
        let role = |id: &str| {
            if id == dr {
                "DR"
            } else if id == bdr {
                "Backup"
            } else {
                "DROther"
            }
        };
        for neighbor in &ours {
            let id = neighbor["router_id"].as_str().unwrap_or_default();
            assert_eq!(neighbor["role"], role(id), "{neighbor}");
        }
        // FRR says Full/DR, Full/Backup, Full/DROther; BIRD Full/DR, Full/BDR, Full/Other.
        let (expected_frr, expected_bird) = match role("10.0.0.1") {
            "DR" => ("Full/DR", "Full/DR"),
            "Backup" => ("Full/Backup", "Full/BDR"),
            _ => ("Full/DROther", "Full/Other"),
        };
        assert_eq!(frr, expected_frr, "FRR's view of okapi's role");
        assert_eq!(bird, expected_bird, "BIRD's view of okapi's role");

        // Routes everywhere: ours proto 188, FRR's "ospf", BIRD's "bird" (BIRD originates its
        // router-LSA with MinLSInterval 5 s, so its loopback arrives a few seconds later).
        for (node, destination, gateway, protocol) in [
            ("r1", "10.0.0.2", "10.0.123.2", "ospf"),
            ("r1", "10.0.0.3", "10.0.123.3", "ospf"),
            ("r2", "10.0.0.1", "10.0.123.1", "ospf"),
            ("r2", "10.0.0.3", "10.0.123.3", "ospf"),
            ("r3", "10.0.0.1", "10.0.123.1", "bird"),
            ("r3", "10.0.0.2", "10.0.123.2", "bird"),
        ] {
            let route = wait_route(
                lab,
                node,
                destination,
                protocol,
                Duration::from_secs(20),
                move |route| route["gateway"] == gateway,
            );
            if node == "r1" {
                assert_eq!(route["metric"], 110, "{route}");
            }
        }
        println!("every loopback in every kernel {} after up", secs(started));
        ping(lab, "r1", "10.0.0.1", "10.0.0.2");
        ping(lab, "r1", "10.0.0.1", "10.0.0.3");
        ping(lab, "r2", "10.0.0.2", "10.0.0.1");
        ping(lab, "r3", "10.0.0.3", "10.0.0.1");

        // As DR we originate the LAN's network-LSA; otherwise FRR does.
        let networks = ospfd_get(lab, "r1", "/ospf/database?type=network").expect("database");
        let advertising = networks["lsas"][0]["advertising_router"].clone();
        assert_eq!(advertising, dr, "{networks}");
    });
}

#[test]
fn lan_okapi_dr_with_frr_and_bird() {
    lan(
        "ospf-lan.clab.yml",
        "lan_okapi_dr_with_frr_and_bird",
        "DR",
        "10.0.0.1",
        "10.0.0.2",
    );
}

#[test]
fn lan_okapi_drother_with_frr_and_bird() {
    lan(
        "ospf-lan-drother.clab.yml",
        "lan_okapi_drother_with_frr_and_bird",
        "DROther",
        "10.0.0.2",
        "10.0.0.3",
    );
}

// ──────────────────────────────────────────── MD5 ────────────────────────────────────────────

fn rejected(lab: &LabUnderTest, reason: &str) -> u64 {
    ospfd_interface(lab, "r1", "eth1")
        .ok()
        .and_then(|interface| interface["counters"]["rejected"][reason].as_u64())
        .unwrap_or(0)
}

/// (c) Keyed MD5 on both sides: Full. FRR's key changed: the adjacency goes, no Full comes
/// back, and our `bad-digest` counter grows.
#[test]
fn md5_full_then_wrong_key_refused() {
    in_lab(
        "md5_full_then_wrong_key_refused",
        "ospf-md5.clab.yml",
        |lab, started| {
            wait_pair_full(lab);
            wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, any_route);
            println!("MD5 Full and routes {} after up", secs(started));
            let interface = ospfd_interface(lab, "r1", "eth1").expect("interface");
            assert_eq!(interface["auth"], "md5", "{interface}");
            assert_eq!(rejected(lab, "bad-digest"), 0, "{interface}");

            exec_ok(
                lab,
                "r2",
                &[
                    "vtysh",
                    "-c",
                    "configure terminal",
                    "-c",
                    "interface eth1",
                    "-c",
                    "no ip ospf message-digest-key 1",
                    "-c",
                    "ip ospf message-digest-key 1 md5 not-the-lab-key",
                ],
            );
            let changed = Instant::now();
            let first = wait_for("bad-digest refusals", Duration::from_secs(5), || {
                match rejected(lab, "bad-digest") {
                    0 => Err("bad-digest = 0".to_string()),
                    count => Ok(count),
                }
            });
            wait_okapi_not_full(lab, "r1", Duration::from_secs(10));
            wait_for("FRR to drop okapi", Duration::from_secs(10), || {
                if frr_full_with(lab, "r2", "10.0.0.1") {
                    Err("FRR still Full".to_string())
                } else {
                    Ok(())
                }
            });
            println!("wrong key: adjacency gone {} after the change", secs(changed));
            // It stays gone, and the counter keeps growing with every Hello FRR sends.
            std::thread::sleep(Duration::from_secs(2));
            let neighbors = okapi_neighbors(lab, "r1").expect("neighbors");
            assert!(!any_full(&neighbors), "{neighbors:?}");
            assert!(!frr_full_with(lab, "r2", "10.0.0.1"), "FRR Full with a wrong key");
            let later = rejected(lab, "bad-digest");
            println!("bad-digest counter: {first} then {later}");
            assert!(later > first, "bad-digest grows: {first} then {later}");
        },
    );
}

// ────────────────────────────────────────── triangle ──────────────────────────────────────────

fn nexthop_devices(route: &Value) -> Vec<String> {
    match route["nexthops"].as_array() {
        Some(hops) => {
            let mut devices: Vec<String> = hops
                .iter()
                .filter_map(|hop| hop["dev"].as_str().map(str::to_string))
                .collect();
            devices.sort();
            devices
        }
        None => route["dev"].as_str().map(str::to_string).into_iter().collect(),
    }
}

/// (d) okapi-ospfd with two FRR routers in a triangle: ECMP where costs tie; a link taken
/// down re-routes through the remaining path, and back when it returns.
#[test]
fn triangle_link_down_reconverges() {
    in_lab(
        "triangle_link_down_reconverges",
        "ospf-triangle.clab.yml",
        |lab, started| {
            wait_okapi_full(lab, "r1", &["10.0.0.2", "10.0.0.3"], Duration::from_secs(20));
            wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, via("10.0.12.2", "eth1"));
            wait_ospf_route(lab, "r1", "10.0.0.3", ROUTE_WAIT, via("10.0.13.3", "eth2"));
            let ecmp = wait_ospf_route(lab, "r1", "10.0.23.0/24", ROUTE_WAIT, |route| {
                nexthop_devices(route) == ["eth1", "eth2"]
            });
            println!("converged {} after up; ECMP: {ecmp}", secs(started));
            wait_ospf_route(lab, "r2", "10.0.0.1", ROUTE_WAIT, via("10.0.12.1", "eth1"));
            ping(lab, "r1", "10.0.0.1", "10.0.0.2");

            let down = Instant::now();
            exec_ok(lab, "r1", &["ip", "link", "set", "eth1", "down"]);
            let route = wait_ospf_route(lab, "r1", "10.0.0.2", ROUTE_WAIT, via("10.0.13.3", "eth2"));
            println!("r1 -> 10.0.0.2 through r3 {} after eth1 went down: {route}", secs(down));
            wait_ospf_route(lab, "r2", "10.0.0.1", ROUTE_WAIT, via("10.0.23.3", "eth2"));
            wait_ospf_route(lab, "r1", "10.0.23.0/24", ROUTE_WAIT, |route| {
                nexthop_devices(route) == ["eth2"]
            });
            println!("both directions through r3 {} after eth1 went down", secs(down));
            ping(lab, "r1", "10.0.0.1", "10.0.0.2");
            let interface = ospfd_interface(lab, "r1", "eth1").expect("interface");
            assert_eq!(interface["state"], "Down", "{interface}");

            let up = Instant::now();
            exec_ok(lab, "r1", &["ip", "link", "set", "eth1", "up"]);
            wait_ospf_route(lab, "r1", "10.0.0.2", Duration::from_secs(15), via("10.0.12.2", "eth1"));
            wait_ospf_route(lab, "r1", "10.0.23.0/24", ROUTE_WAIT, |route| {
                nexthop_devices(route) == ["eth1", "eth2"]
            });
            println!("direct route and ECMP back {} after eth1 came up", secs(up));
            ping(lab, "r1", "10.0.0.1", "10.0.0.2");
            let instance = ospfd_get(lab, "r1", "/ospf").expect("instance");
            assert_eq!(instance["kernel"]["errors"], 0, "{instance}");
        },
    );
}
