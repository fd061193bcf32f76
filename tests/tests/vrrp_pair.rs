//! Acceptance (issue 4): a pair of okapi-vrrpd nodes tracking their balancer's HTTP health
//! (lab/topologies/vrrp-pair.clab.yml; the balancer's health endpoint is a python3 web server
//! on 127.0.0.1:8404 of each node, answering 200 while `/run/okapi/www/health` exists).
//!
//! | test | checks |
//! |---|---|
//! | `health_failure_moves_the_vips_and_preemption_decides_the_way_back` | a's health fails: b takes both VIPs within fall x interval + Master_Down_Interval, a client pinging the VIP every 10 ms reports its loss; a's health back: VRID 10 (preempt) returns to a, VRID 20 (no preempt) stays on b; notify hooks saw each transition with the right environment |
//! |  | VRID 30 (virtual MAC): the client's ARP entry for the VIP is 00:00:5e:00:01:1e before and after the failover; VRID 40 (unicast adverts) fails over and back like VRID 10 |
//! |  | VRID 50 (accept = false): the client resolves the VIP but its pings are dropped, on a and then on b |
//! | `sync_group_follows_an_exec_tracker` | g70's exec tracker fails on a: g70 Fault, g60 (same sync group, no tracker) Fault too, b Master of both; the flag back: both return to a |
//! | `master_node_lost_client_keeps_pinging` | a dies (okapi-vrrpd killed, its LAN link down): b takes over after Master_Down_Interval; the client's loss is reported |

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use okapi_tests::{LabUnderTest, daemon_get, device_addresses, run_in_lab, secs, start_again, wait_for};
use serde_json::Value;

const LAB: &str = "vrrp-pair.clab.yml";
const VIP_PREEMPT: &str = "192.0.2.100";
const VIP_STICKY: &str = "192.0.2.200";
const VIP_VMAC: &str = "192.0.2.130";
const VIRTUAL_MAC: &str = "00:00:5e:00:01:1e";
const VIP_UNICAST: &str = "192.0.2.140";
const VIP_STRICT: &str = "192.0.2.150";
/// The tracker's interval and fall count, and b's Master_Down_Interval at 100 ms adverts and
/// priority 100 (3 x 100 ms + (256 - 100) / 256 x 100 ms), from the lab's configuration.
const TRACKER_INTERVAL_MS: f64 = 100.0;
const FALL: f64 = 2.0;
const MASTER_DOWN_MS: f64 = 360.9375;
/// Scheduling and the web server's own latency on a busy 2-core machine.
const SLACK_MS: f64 = 150.0;
const LIMIT: Duration = Duration::from_secs(10);

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64() * 1000.0)
}

fn health_file(lab: &LabUnderTest, node: &str) -> PathBuf {
    lab.node_dir(node).expect("node dir").join("fs/run/okapi/www/health")
}

fn set_health(lab: &LabUnderTest, node: &str, healthy: bool) {
    let file = health_file(lab, node);
    if healthy {
        std::fs::create_dir_all(file.parent().expect("parent")).expect("www dir");
        std::fs::write(&file, "ok\n").expect("health file");
    } else {
        std::fs::remove_file(&file).expect("health file removed");
    }
}

/// The balancer's health endpoint on `node`: a web server on 127.0.0.1:8404.
fn start_health_server(lab: &LabUnderTest, node: &str) -> Child {
    set_health(lab, node, true);
    let argv: Vec<String> = [
        "python3",
        "-m",
        "http.server",
        "--bind",
        "127.0.0.1",
        "--directory",
        "/run/okapi/www",
        "8404",
    ]
    .map(String::from)
    .to_vec();
    start_again(lab, node, &argv, "health-server.log")
}

/// okapi-vrrpd's instance `vrid` on `node`.
fn instance(lab: &LabUnderTest, node: &str, vrid: u64) -> Result<Value, String> {
    let answer = daemon_get(lab, node, "vrrp", &format!("/vrrp?vrid={vrid}"))?;
    answer["instances"]
        .as_array()
        .and_then(|instances| instances.first().cloned())
        .ok_or_else(|| format!("no VRID {vrid} on {node}: {answer}"))
}

fn wait_state(lab: &LabUnderTest, node: &str, vrid: u64, state: &str) -> Value {
    wait_for(&format!("VRID {vrid} {state} on {node}"), LIMIT, || {
        let instance = instance(lab, node, vrid)?;
        if instance["state"] == state {
            Ok(instance)
        } else {
            Err(format!("{}: {}", instance["state"], instance["fault_reason"]))
        }
    })
}

fn holds(lab: &LabUnderTest, node: &str, vip: &str) -> bool {
    let device = if vip == VIP_VMAC { "vrrp.30" } else { "eth1" };
    device_addresses(lab, node, device).iter().any(|address| address == vip)
}

/// The client's ARP entry for `vip` after one ping to it.
fn client_arp(lab: &LabUnderTest, vip: &str) -> String {
    let ping = lab
        .exec("client", &["ping", "-n", "-c", "1", "-W", "1", vip])
        .expect("ping");
    assert!(ping.status.success(), "client pings {vip}");
    let output = lab
        .exec("client", &["ip", "-j", "neigh", "show", vip])
        .expect("ip neigh");
    let json: Value = serde_json::from_slice(&output.stdout).expect("ip -j neigh");
    json[0]["lladdr"].as_str().unwrap_or_default().to_string()
}

/// Non-accept mode: the client resolves `vip` to `node`'s MAC, but no ping gets an answer.
fn refuses_traffic(lab: &LabUnderTest, node: &str, vip: &str) {
    let ping = lab
        .exec("client", &["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", vip])
        .expect("ping");
    assert!(!ping.status.success(), "{vip} answered pings in non-accept mode");
    let output = lab
        .exec("client", &["ip", "-j", "neigh", "show", vip])
        .expect("ip neigh");
    let json: Value = serde_json::from_slice(&output.stdout).expect("ip -j neigh");
    let node_mac = lab
        .exec(node, &["ip", "-j", "link", "show", "dev", "eth1"])
        .expect("ip link");
    let node_mac: Value = serde_json::from_slice(&node_mac.stdout).expect("ip -j link");
    assert_eq!(
        json[0]["lladdr"], node_mac[0]["address"],
        "{vip} resolves to {node}: {json}"
    );
}

/// When `node`'s instance `vrid` last became Master (unix ms, from its transition history).
fn became_master_at(instance: &Value) -> f64 {
    instance["history"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|record| record["to"] == "Master")
        .and_then(|record| record["at_unix_ms"].as_f64())
        .unwrap_or(f64::NAN)
}

/// A client pinging `vip` every 10 ms for `seconds` (in the background); its summary.
fn start_ping(lab: &LabUnderTest, vip: &str, seconds: u32) -> std::process::Child {
    lab.command("client", &["ping", "-n", "-i", "0.01", "-w", &seconds.to_string(), vip])
        .expect("command")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ping")
}

/// (transmitted, received) from ping's summary.
fn ping_summary(child: Child) -> (u64, u64) {
    let output = child.wait_with_output().expect("ping output");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|line| line.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("no ping summary: {text}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

fn report_loss(what: &str, (sent, received): (u64, u64)) {
    let lost = sent.saturating_sub(received);
    println!(
        "{what}: client sent {sent} pings 10 ms apart, {received} answered, {lost} lost (~{} ms without the VIP)",
        lost * 10
    );
    assert!(
        received > 0 && received + 100 > sent,
        "the VIP came back: {sent} sent, {received} answered"
    );
}

/// The notify log of `node`.
fn notify_log(lab: &LabUnderTest, node: &str) -> String {
    std::fs::read_to_string(lab.node_dir(node).expect("node dir").join("fs/run/okapi/notify.log")).unwrap_or_default()
}

fn wait_notified(lab: &LabUnderTest, node: &str, line: &str) {
    wait_for(
        &format!("`{line}` in {node}'s notify log"),
        Duration::from_secs(5),
        || {
            let log = notify_log(lab, node);
            if log.contains(line) { Ok(()) } else { Err(log) }
        },
    );
}

/// Brings both nodes to the starting point: a master of both VRIDs, b backup. a's balancer
/// comes up first so that a wins VRID 20, which does not preempt.
fn start_pair(lab: &LabUnderTest) -> (Child, Child) {
    let server_a = start_health_server(lab, "a");
    for vrid in [10, 20, 30, 40, 50] {
        wait_state(lab, "a", vrid, "Master");
    }
    let server_b = start_health_server(lab, "b");
    for vrid in [10, 20, 30, 40, 50] {
        wait_state(lab, "b", vrid, "Backup");
    }
    assert!(holds(lab, "a", VIP_PREEMPT) && holds(lab, "a", VIP_STICKY));
    assert!(!holds(lab, "b", VIP_PREEMPT) && !holds(lab, "b", VIP_STICKY));
    (server_a, server_b)
}

#[test]
fn health_failure_moves_the_vips_and_preemption_decides_the_way_back() {
    run_in_lab(
        "vrrp_pair::health_failure_moves_the_vips_and_preemption_decides_the_way_back",
        LAB,
        |lab, started| {
            let (mut server_a, mut server_b) = start_pair(lab);
            println!("a master of both VIPs, b backup, {} after up", secs(started));
            // Before the health checks passed (and before the lab gave eth1 its address), the
            // instances were in Fault.
            wait_notified(
                lab,
                "a",
                "INSTANCE web FAULT 150 old=Initialize new=Fault vrid=10 interface=eth1 reason=fault: ",
            );
            wait_notified(
                lab,
                "a",
                "INSTANCE web MASTER 150 old=Backup new=Master vrid=10 interface=eth1",
            );

            assert_eq!(
                client_arp(lab, VIP_VMAC),
                VIRTUAL_MAC,
                "VRID 30 answers ARP with the virtual MAC"
            );
            assert!(holds(lab, "a", VIP_UNICAST) && !holds(lab, "b", VIP_UNICAST));
            refuses_traffic(lab, "a", VIP_STRICT);
            let b40 = instance(lab, "b", 40).expect("b 40");
            assert_eq!(b40["master_address"], "192.0.2.1", "unicast adverts reach b: {b40}");

            // a's balancer fails.
            let ping = start_ping(lab, VIP_PREEMPT, 3);
            std::thread::sleep(Duration::from_millis(500));
            let failed_at = unix_ms();
            set_health(lab, "a", false);
            let b10 = wait_state(lab, "b", 10, "Master");
            let b20 = wait_state(lab, "b", 20, "Master");
            let a10 = wait_state(lab, "a", 10, "Fault");
            assert_eq!(a10["fault_reason"], "tracker balancer down", "{a10}");
            let took = became_master_at(&b10) - failed_at;
            let bound = FALL * TRACKER_INTERVAL_MS + MASTER_DOWN_MS;
            println!(
                "a's health failed: b Master of VRID 10 {took:.0} ms later, VRID 20 {:.0} ms later (bound: fall x interval + Master_Down_Interval = {bound:.0} ms)",
                became_master_at(&b20) - failed_at
            );
            assert!(
                took <= bound + SLACK_MS,
                "failover took {took:.0} ms, bound {bound:.0} ms"
            );
            wait_for("b to hold both VIPs and a none", LIMIT, || {
                let ok = holds(lab, "b", VIP_PREEMPT)
                    && holds(lab, "b", VIP_STICKY)
                    && !holds(lab, "a", VIP_PREEMPT)
                    && !holds(lab, "a", VIP_STICKY);
                if ok { Ok(()) } else { Err("not yet".to_string()) }
            });
            report_loss("health failover", ping_summary(ping));
            wait_state(lab, "b", 30, "Master");
            wait_state(lab, "b", 40, "Master");
            assert!(holds(lab, "b", VIP_VMAC) && holds(lab, "b", VIP_UNICAST));
            assert_eq!(
                client_arp(lab, VIP_VMAC),
                VIRTUAL_MAC,
                "the virtual MAC moved with the VIP"
            );
            println!("VRID 30: the client's ARP entry stayed {VIRTUAL_MAC}; VRID 40 (unicast) moved to b");
            wait_state(lab, "b", 50, "Master");
            refuses_traffic(lab, "b", VIP_STRICT);
            println!("VRID 50 (accept = false): pings to the VIP dropped on a, then on b");
            wait_notified(
                lab,
                "a",
                "INSTANCE web FAULT 150 old=Master new=Fault vrid=10 interface=eth1 reason=fault: tracker balancer down",
            );
            wait_notified(
                lab,
                "b",
                "INSTANCE web MASTER 100 old=Backup new=Master vrid=10 interface=eth1",
            );
            wait_notified(
                lab,
                "b",
                "INSTANCE sticky MASTER 100 old=Backup new=Master vrid=20 interface=eth1",
            );

            // a's balancer recovers: VRID 10 preempts back to a, VRID 20 stays on b.
            let recovered_at = unix_ms();
            set_health(lab, "a", true);
            let a10 = wait_state(lab, "a", 10, "Master");
            println!(
                "a's health back: a Master of VRID 10 again {:.0} ms later (preempt)",
                became_master_at(&a10) - recovered_at
            );
            wait_state(lab, "a", 20, "Backup");
            wait_state(lab, "b", 10, "Backup");
            wait_state(lab, "a", 40, "Master");
            wait_state(lab, "b", 40, "Backup");
            wait_state(lab, "a", 30, "Master");
            // Long enough for a preemption that should not happen.
            std::thread::sleep(Duration::from_secs(1));
            let b20 = instance(lab, "b", 20).expect("b 20");
            assert_eq!(b20["state"], "Master", "VRID 20 does not preempt: it stays on b: {b20}");
            assert!(holds(lab, "b", VIP_STICKY) && !holds(lab, "a", VIP_STICKY));
            assert!(holds(lab, "a", VIP_PREEMPT) && !holds(lab, "b", VIP_PREEMPT));
            println!("VRID 20 (preempt = false) stays on b");
            wait_notified(
                lab,
                "a",
                "INSTANCE web MASTER 150 old=Backup new=Master vrid=10 interface=eth1",
            );
            wait_notified(
                lab,
                "a",
                "INSTANCE sticky BACKUP 150 old=Initialize new=Backup vrid=20 interface=eth1",
            );
            wait_notified(
                lab,
                "b",
                "INSTANCE web BACKUP 100 old=Master new=Backup vrid=10 interface=eth1",
            );

            let _ = server_a.kill();
            let _ = server_a.wait();
            let _ = server_b.kill();
            let _ = server_b.wait();
        },
    );
}

#[test]
fn master_node_lost_client_keeps_pinging() {
    run_in_lab("vrrp_pair::master_node_lost_client_keeps_pinging", LAB, |lab, _| {
        let (mut server_a, mut server_b) = start_pair(lab);
        let pid = daemon_get(lab, "a", "vrrp", "/version").expect("version")["pid"]
            .as_u64()
            .expect("pid");
        let ping = start_ping(lab, VIP_PREEMPT, 3);
        std::thread::sleep(Duration::from_millis(500));
        let crashed_at = unix_ms();
        // The whole node goes: its daemon (which leaves the VIP on the interface, as a
        // crashed keepalived does) and its link to the LAN.
        let status = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let down = lab.exec("a", &["ip", "link", "set", "eth1", "down"]).expect("ip link");
        assert!(down.status.success());
        let b10 = wait_state(lab, "b", 10, "Master");
        let took = became_master_at(&b10) - crashed_at;
        println!("a lost: b Master of VRID 10 {took:.0} ms later (Master_Down_Interval {MASTER_DOWN_MS} ms)");
        assert!(took <= MASTER_DOWN_MS + SLACK_MS, "failover took {took:.0} ms");
        report_loss("node-loss failover", ping_summary(ping));
        let _ = server_a.kill();
        let _ = server_a.wait();
        let _ = server_b.kill();
        let _ = server_b.wait();
    });
}

fn set_flag(lab: &LabUnderTest, node: &str, present: bool) {
    let flag = lab.node_dir(node).expect("node dir").join("fs/run/okapi/flag");
    if present {
        std::fs::write(&flag, "").expect("flag");
    } else {
        std::fs::remove_file(&flag).expect("flag removed");
    }
}

#[test]
fn sync_group_follows_an_exec_tracker() {
    run_in_lab("vrrp_pair::sync_group_follows_an_exec_tracker", LAB, |lab, _| {
        // Without the flag both members are in Fault on both nodes (g60 through the group).
        wait_for("g60 in Fault through its sync group", LIMIT, || {
            let a60 = instance(lab, "a", 60)?;
            let reason = a60["fault_reason"].as_str().unwrap_or_default();
            if a60["state"] == "Fault" && reason.contains("sync group together: g70 in fault") {
                Ok(())
            } else {
                Err(a60.to_string())
            }
        });
        set_flag(lab, "a", true);
        wait_state(lab, "a", 60, "Master");
        wait_state(lab, "a", 70, "Master");
        set_flag(lab, "b", true);
        wait_state(lab, "b", 60, "Backup");
        wait_state(lab, "b", 70, "Backup");

        set_flag(lab, "a", false);
        let a70 = wait_state(lab, "a", 70, "Fault");
        assert_eq!(a70["fault_reason"], "tracker flag down", "{a70}");
        let a60 = wait_state(lab, "a", 60, "Fault");
        println!(
            "a's flag removed: g70 {}, g60 {}",
            a70["fault_reason"], a60["fault_reason"]
        );
        wait_state(lab, "b", 60, "Master");
        wait_state(lab, "b", 70, "Master");
        assert!(holds(lab, "b", "192.0.2.160") && holds(lab, "b", "192.0.2.170"));
        assert!(!holds(lab, "a", "192.0.2.160") && !holds(lab, "a", "192.0.2.170"));

        set_flag(lab, "a", true);
        wait_state(lab, "a", 60, "Master");
        wait_state(lab, "a", 70, "Master");
        wait_state(lab, "b", 60, "Backup");
        println!("a's flag back: both members Master on a again");
        let groups = daemon_get(lab, "a", "vrrp", "/vrrp").expect("vrrp")["sync_groups"].clone();
        assert_eq!(groups[0]["states"], serde_json::json!(["Master", "Master"]), "{groups}");
    });
}
