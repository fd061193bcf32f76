//! Acceptance (issue 5): the load-balancer pair end to end (lab/topologies/lb-pair.clab.yml):
//! a client asks http://203.0.113.10/ every 10 ms (tests/scripts/http_probe.py, a new
//! connection each time) through the FRR upstream, which learns the VIP only through OSPF,
//! as an external route whose forwarding address is the balancers' VRRP address.
//!
//! | test | failure | checks |
//! |---|---|---|
//! | `haproxy_killed_on_the_master` | lb1's HAProxy killed | outage < 1 s, lb2 Master |
//! | `master_node_crashed` | every process of lb1 killed, its links down | outage < 1 s |
//! | `master_uplink_down` | lb1's edge link down | outage < 1 s |
//! | `drain_moves_traffic_without_a_failed_request` | `okapi drain` then `okapi undrain` on lb1 | no failed request, new connections and kept-alive ones across each move; lb1 keeps the VIP until its last connection closed |
//! | `drain_with_a_virtual_mac_moves_traffic_without_a_failed_request` | the same with `vmac = true` | the same |
//! | `a_failing_balancer_never_attracts_traffic` | lb2 crashed, then lb1's web servers stop | lb1 lets the VIP go and the upstream's route to it is withdrawn |
//!
//! Each test prints the outage the client saw.

use std::time::{Duration, Instant};

use okapi_tests::{
    LabUnderTest, binary, daemon_get, device_addresses, http_probe, http_probe_keep_alive, http_probe_result,
    kernel_route, run_in_lab, secs, wait_for,
};
use serde_json::Value;

const LAB: &str = "lb-pair.clab.yml";
const VIP: &str = "203.0.113.10";
const NEXT_HOP: &str = "10.0.1.100";
/// The bound with default settings.
const OUTAGE_LIMIT_MS: f64 = 1_000.0;
const LIMIT: Duration = Duration::from_secs(20);

/// The VRRP state of `node`'s instance.
fn vrrp_state(lab: &LabUnderTest, node: &str) -> Option<String> {
    daemon_get(lab, node, "vrrp", "/vrrp")
        .ok()
        .and_then(|answer| answer["instances"][0]["state"].as_str().map(str::to_string))
}

fn wait_state(lab: &LabUnderTest, node: &str, state: &str) {
    wait_for(&format!("{node} {state}"), LIMIT, || match vrrp_state(lab, node) {
        Some(now) if now == state => Ok(()),
        other => Err(format!("{other:?}")),
    });
}

/// The upstream's kernel route to the VIP, when it has one.
fn upstream_route(lab: &LabUnderTest) -> Option<Value> {
    kernel_route(lab, "upstream", VIP).ok().flatten()
}

/// The lab's starting point: lb1 Master, lb2 Backup, the upstream routing the VIP through
/// the VRRP next hop, and the client served.
fn wait_ready(lab: &LabUnderTest, started: Instant) {
    wait_state(lab, "lb1", "Master");
    wait_state(lab, "lb2", "Backup");
    let route = wait_for("the upstream's OSPF route to the VIP", LIMIT, || {
        match upstream_route(lab) {
            Some(route) if route["gateway"] == NEXT_HOP && route["protocol"] == "ospf" => Ok(route),
            other => Err(format!("{other:?}")),
        }
    });
    println!("ready {} after up: upstream {route}", secs(started));
    let probe = http_probe(lab, "client", &format!("http://{VIP}/"), 0.5);
    let result = http_probe_result(probe);
    assert_eq!(result["failed"], 0, "the client is served before any failure: {result}");
}

/// Runs `failure` 1 s into a 5 s probe; prints and returns the client's longest outage (ms).
fn outage_through(lab: &LabUnderTest, what: &str, failure: impl FnOnce()) -> f64 {
    let child = http_probe(lab, "client", &format!("http://{VIP}/"), 5.0);
    std::thread::sleep(Duration::from_secs(1));
    failure();
    let result = http_probe_result(child);
    assert_eq!(
        result["unrecovered"], false,
        "{what}: the client was not served again: {result}"
    );
    let longest = result["longest_outage_ms"].as_f64().unwrap_or(f64::NAN);
    println!(
        "{what}: {} requests, {} failed; longest outage {longest:.0} ms ({})",
        result["sent"],
        result["failed"],
        result["outages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|outage| format!("{} failures, first: {}", outage["failures"], outage["first_error"]))
            .collect::<Vec<_>>()
            .join("; ")
    );
    longest
}

/// The pid okapi-lab recorded for process `name` of `node`.
fn pid(lab: &LabUnderTest, node: &str, name: &str) -> i32 {
    lab.state()
        .processes
        .iter()
        .find(|process| process.node == node && process.name == name)
        .map(|process| process.pid)
        .unwrap_or_else(|| panic!("no {name} on {node}"))
}

/// SIGKILL to the process group of `name` on `node` (okapi-lab starts each process in a
/// session of its own: HAProxy's master and workers go together).
fn kill_group(lab: &LabUnderTest, node: &str, name: &str) {
    let pid = pid(lab, node, name);
    let status = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -KILL -{pid} ({name} on {node})");
}

fn ip(lab: &LabUnderTest, node: &str, args: &[&str]) {
    let mut argv = vec!["ip"];
    argv.extend_from_slice(args);
    let output = lab.exec(node, &argv).expect("ip");
    assert!(output.status.success(), "{argv:?} on {node}: {output:?}");
}

/// A node crash: every process of the node killed and its links down (the kernel would be
/// gone too; a killed daemon alone leaves its addresses behind).
fn crash_node(lab: &LabUnderTest, node: &str) {
    for name in ["haproxy", "okapi-vrrpd", "okapi-ospfd"] {
        kill_group(lab, node, name);
    }
    ip(lab, node, &["link", "set", "eth1", "down"]);
    ip(lab, node, &["link", "set", "eth2", "down"]);
}

fn shell(lab: &LabUnderTest, node: &str, command: &str) -> String {
    let okapi = binary("okapi");
    let output = lab
        .exec(node, &[okapi.to_str().unwrap_or("okapi"), "-c", command])
        .expect("okapi shell");
    assert!(output.status.success(), "`{command}` on {node}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn haproxy_killed_on_the_master() {
    run_in_lab("lb_pair::haproxy_killed_on_the_master", LAB, |lab, started| {
        wait_ready(lab, started);
        let outage = outage_through(lab, "HAProxy killed on lb1", || kill_group(lab, "lb1", "haproxy"));
        assert!(outage < OUTAGE_LIMIT_MS, "outage {outage:.0} ms");
        wait_state(lab, "lb2", "Master");
        wait_state(lab, "lb1", "Fault");
    });
}

#[test]
fn master_node_crashed() {
    run_in_lab("lb_pair::master_node_crashed", LAB, |lab, started| {
        wait_ready(lab, started);
        let outage = outage_through(lab, "lb1 crashed", || crash_node(lab, "lb1"));
        assert!(outage < OUTAGE_LIMIT_MS, "outage {outage:.0} ms");
        wait_state(lab, "lb2", "Master");
    });
}

#[test]
fn master_uplink_down() {
    run_in_lab("lb_pair::master_uplink_down", LAB, |lab, started| {
        wait_ready(lab, started);
        let outage = outage_through(lab, "lb1's uplink down", || {
            ip(lab, "lb1", &["link", "set", "eth1", "down"])
        });
        assert!(outage < OUTAGE_LIMIT_MS, "outage {outage:.0} ms");
        wait_state(lab, "lb2", "Master");
        wait_state(lab, "lb1", "Fault");
    });
}

#[test]
fn drain_moves_traffic_without_a_failed_request() {
    run_in_lab(
        "lb_pair::drain_moves_traffic_without_a_failed_request",
        LAB,
        drain_and_undrain,
    );
}

/// The same with the VRRP address on a virtual MAC (`vmac = true`, keepalived's
/// `use_vmac`): the new master's first advert, sent from that MAC, already moves the traffic
/// on the bridge, so the handover must be in place before it.
#[test]
fn drain_with_a_virtual_mac_moves_traffic_without_a_failed_request() {
    let Some(lab) = vmac_variant() else {
        return;
    };
    run_in_lab(
        "lb_pair::drain_with_a_virtual_mac_moves_traffic_without_a_failed_request",
        lab.to_str().unwrap_or_default(),
        |lab, started| {
            drain_and_undrain(lab, started);
            let vrrp = daemon_get(lab, "lb1", "vrrp", "/vrrp").expect("vrrp");
            assert_eq!(vrrp["instances"][0]["vmac"], "vrrp.1", "{vrrp}");
        },
    );
}

/// `okapi drain` then `okapi undrain` on lb1 while the client asks: no request fails.
fn drain_and_undrain(lab: &LabUnderTest, started: Instant) {
    wait_ready(lab, started);
    let url = format!("http://{VIP}/");
    // A new connection every 10 ms through both moves, and one kept-alive connection
    // across each move: the first lives on lb1 when lb2 takes over, the second on lb2
    // when lb1 takes back.
    let fresh = http_probe(lab, "client", &url, 8.0);
    let across_drain = http_probe_keep_alive(lab, "client", &url, 2.5);
    std::thread::sleep(Duration::from_millis(500));

    let drained_at = Instant::now();
    let text = shell(lab, "lb1", "drain");
    assert!(text.starts_with("Drained"), "{text}");
    wait_state(lab, "lb2", "Master");
    wait_state(lab, "lb1", "Backup");
    println!("drain: lb2 Master {} after `okapi drain` on lb1", secs(drained_at));
    // lb2 forwards what it does not know to lb1, which keeps the VIP (and its
    // announcement) while it still serves the kept-alive connection.
    let handover = handover_of(lab, "lb2");
    assert_eq!(handover["from"], "10.0.1.11", "{handover}");
    assert!(has_vip(lab, "lb1"), "a drained lb1 with an open connection keeps {VIP}");
    let kept = http_probe_result(across_drain);
    let closed_at = Instant::now();
    println!("kept-alive connection across the drain: {kept}");
    assert_eq!(kept["failed"], 0, "the connection open at the drain: {kept}");
    assert_eq!(kept["connections"], 1, "one connection, never reset: {kept}");
    wait_for(&format!("lb1 to release {VIP}"), LIMIT, || {
        if has_vip(lab, "lb1") {
            Err("still on lo".into())
        } else {
            Ok(())
        }
    });
    println!(
        "lb1 released {VIP} {} after its last connection closed",
        secs(closed_at)
    );
    let forwarded = handover_of(lab, "lb2")["forwarded_packets"].as_u64().unwrap_or(0);
    assert!(
        forwarded > 0,
        "lb2 forwarded the kept-alive connection's packets to lb1"
    );
    println!("lb2 forwarded {forwarded} packets of lb1's connections to it");

    let across_undrain = http_probe_keep_alive(lab, "client", &url, 2.0);
    std::thread::sleep(Duration::from_millis(500));
    let undrained_at = Instant::now();
    shell(lab, "lb1", "undrain");
    wait_state(lab, "lb1", "Master");
    wait_state(lab, "lb2", "Backup");
    println!("undrain: lb1 Master again {} after `okapi undrain`", secs(undrained_at));
    assert_eq!(handover_of(lab, "lb1")["from"], "10.0.1.12");
    let kept = http_probe_result(across_undrain);
    println!("kept-alive connection across the undrain: {kept}");
    assert_eq!(kept["failed"], 0, "the connection open at the undrain: {kept}");
    assert_eq!(kept["connections"], 1, "one connection, never reset: {kept}");

    let result = http_probe_result(fresh);
    println!(
        "new connections through drain and undrain: {} requests, {} failed",
        result["sent"], result["failed"]
    );
    assert_eq!(result["failed"], 0, "no request may fail: {result}");
}

/// lb-pair with `vmac = true` on both balancers, written under the test's temporary
/// directory (the topology's files copied, the two okapi.toml patched); `None` when it
/// cannot be written.
fn vmac_variant() -> Option<std::path::PathBuf> {
    let source = okapi_tests::topology("");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lb-pair-vmac");
    let copy = |from: &str, edit: &dyn Fn(String) -> String| -> std::io::Result<()> {
        let path = target.join(from);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, edit(std::fs::read_to_string(source.join(from))?))
    };
    let same = |text: String| text;
    let vmac = |text: String| text.replace("vrid = 1\n", "vrid = 1\nvmac = true\n");
    let renamed = |text: String| text.replace("name: lb-pair\n", "name: lb-pair-vmac\n");
    let written = copy("lb-pair.clab.yml", &renamed)
        .and_then(|()| copy("vrrp-notify.sh", &same))
        .and_then(|()| copy("lb-pair/haproxy.cfg", &same))
        .and_then(|()| copy("lb-pair/upstream/daemons", &same))
        .and_then(|()| copy("lb-pair/upstream/frr.conf", &same))
        .and_then(|()| copy("lb-pair/lb1/okapi.toml", &vmac))
        .and_then(|()| copy("lb-pair/lb2/okapi.toml", &vmac));
    match written {
        Ok(()) => Some(target.join("lb-pair.clab.yml")),
        Err(error) => {
            eprintln!("skipped: cannot write the vmac variant of lb-pair: {error}");
            None
        }
    }
}

/// The handover `node`'s instance is making (null when none).
fn handover_of(lab: &LabUnderTest, node: &str) -> Value {
    daemon_get(lab, node, "vrrp", "/vrrp")
        .map(|answer| answer["instances"][0]["handover"].clone())
        .unwrap_or(Value::Null)
}

fn has_vip(lab: &LabUnderTest, node: &str) -> bool {
    device_addresses(lab, node, "lo").iter().any(|address| address == VIP)
}

#[test]
fn a_failing_balancer_never_attracts_traffic() {
    run_in_lab(
        "lb_pair::a_failing_balancer_never_attracts_traffic",
        LAB,
        |lab, started| {
            wait_ready(lab, started);
            crash_node(lab, "lb2");
            // lb1 alone; its web servers stop: HAProxy's health says 503 once both are down.
            let stopped = Instant::now();
            kill_group(lab, "web1", "nginx");
            kill_group(lab, "web2", "nginx");
            wait_state(lab, "lb1", "Fault");
            println!("web servers stopped: lb1 in Fault {} later", secs(stopped));
            let vrrp = daemon_get(lab, "lb1", "vrrp", "/vrrp").expect("vrrp");
            assert_eq!(vrrp["instances"][0]["fault_reason"], "tracker haproxy down", "{vrrp}");
            wait_for(
                "the upstream to withdraw its route to the VIP",
                LIMIT,
                || match upstream_route(lab) {
                    None => Ok(()),
                    Some(route) => Err(route.to_string()),
                },
            );
            println!(
                "the upstream has no route to {VIP} {} after the web servers stopped",
                secs(stopped)
            );
        },
    );
}
