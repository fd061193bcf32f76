//! Acceptance (issue 4): okapi-vrrpd next to keepalived 2.2 on one LAN
//! (lab/topologies/vrrp-keepalived.clab.yml): six virtual routers, VRRPv3 over IPv4 and IPv6
//! and VRRPv2, each side master of half of them.
//!
//! | test | checks |
//! |---|---|
//! | `keepalived_crash_and_stop_okapi_takes_over` | roles right; keepalived crashed, then (started again and master again) stopped: okapi holds its VIPs, gratuitous ARPs / NAs from okapi's MAC in a capture |
//! | `okapi_stop_and_crash_keepalived_takes_over` | the same with the roles reversed; the notify hook saw every transition |
//!
//! Failover times are printed from the capture (last advert of the old master -> first
//! gratuitous ARP / NA of the new one) and from polling.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use okapi_tests::vrrp::{crash_keepalived, signal, tshark};
use okapi_tests::{
    LabUnderTest, binary, daemon_get, device_addresses, device_mac, recorded_argv, run_in_lab, secs, start_again,
    wait_for,
};
use serde_json::Value;

const LAB: &str = "vrrp-keepalived.clab.yml";

/// (VIP, VRID, okapi is the preferred master).
const ROUTERS: &[(&str, u8, bool)] = &[
    ("192.0.2.51", 51, true),
    ("192.0.2.52", 52, false),
    ("192.0.2.61", 61, true),
    ("192.0.2.62", 62, false),
    ("2001:db8::71", 71, true),
    ("2001:db8::72", 72, false),
];

/// VRRPv2 at 1 s adverts takes 3 x 1 s + skew to fail over after a crash; keepalived's
/// startup adds its own delays.
const FAILOVER_LIMIT: Duration = Duration::from_secs(10);

fn vips(okapi_preferred: bool) -> Vec<&'static str> {
    ROUTERS
        .iter()
        .filter(|(_, _, okapi)| *okapi == okapi_preferred)
        .map(|(vip, _, _)| *vip)
        .collect()
}

fn addresses(lab: &LabUnderTest, node: &str) -> Result<Vec<String>, String> {
    Ok(device_addresses(lab, node, "eth1"))
}

fn mac(lab: &LabUnderTest, node: &str) -> String {
    device_mac(lab, node, "eth1")
}

/// Waits until `node` holds every address of `vips` (and, when `exclusive` names the other
/// node, that one holds none of them).
fn wait_held(lab: &LabUnderTest, node: &str, vips: &[&str], exclusive: Option<&str>, limit: Duration) {
    wait_for(&format!("{node} to hold {vips:?}"), limit, || {
        let here = addresses(lab, node)?;
        let missing: Vec<&&str> = vips.iter().filter(|vip| !here.iter().any(|a| a == **vip)).collect();
        if !missing.is_empty() {
            return Err(format!("{node} lacks {missing:?}: {here:?}"));
        }
        if let Some(other) = exclusive {
            let there = addresses(lab, other)?;
            let both: Vec<&&str> = vips.iter().filter(|vip| there.iter().any(|a| a == **vip)).collect();
            if !both.is_empty() {
                return Err(format!("{other} still holds {both:?}"));
            }
        }
        Ok(())
    });
}

/// okapi-vrrpd's instances on `ok`, by VRID.
fn okapi_instances(lab: &LabUnderTest) -> Result<BTreeMap<u64, Value>, String> {
    let answer = daemon_get(lab, "ok", "vrrp", "/vrrp")?;
    Ok(answer["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|instance| Some((instance["vrid"].as_u64()?, instance.clone())))
        .collect())
}

/// The starting point: each side master of its half, the other Backup with the right master.
fn wait_initial_roles(lab: &LabUnderTest, started: Instant) {
    wait_held(lab, "ok", &vips(true), Some("ka"), FAILOVER_LIMIT);
    wait_held(lab, "ka", &vips(false), Some("ok"), FAILOVER_LIMIT);
    wait_for("okapi-vrrpd's states", FAILOVER_LIMIT, || {
        let instances = okapi_instances(lab)?;
        for (_, vrid, okapi) in ROUTERS {
            let instance = instances.get(&u64::from(*vrid)).ok_or(format!("no VRID {vrid}"))?;
            let (state, master) = if *okapi {
                ("Master", None)
            } else if *vrid == 72 {
                ("Backup", None)
            } else {
                ("Backup", Some("192.0.2.2"))
            };
            if instance["state"] != state || master.is_some_and(|master| instance["master_address"] != master) {
                return Err(format!("VRID {vrid}: {instance}"));
            }
        }
        Ok(())
    });
    println!(
        "roles right {} after up: okapi master of 51, 61, 71; keepalived of 52, 62, 72",
        secs(started)
    );
}

/// keepalived's parent process on `ka` and its VRRP child.
fn keepalived_pids(lab: &LabUnderTest, parent: Option<u32>) -> (u32, u32) {
    let parent = parent.unwrap_or_else(|| {
        lab.state()
            .processes
            .iter()
            .find(|process| process.node == "ka" && process.name == "keepalived")
            .and_then(|process| u32::try_from(process.pid).ok())
            .expect("okapi-lab started keepalived")
    });
    let pid_file = lab.node_dir("ka").expect("node dir").join("fs/run/keepalived/vrrp.pid");
    let child = wait_for("keepalived's VRRP child", Duration::from_secs(5), || {
        std::fs::read_to_string(&pid_file)
            .map_err(|error| error.to_string())?
            .trim()
            .parse::<u32>()
            .map_err(|error| error.to_string())
    });
    (parent, child)
}

/// In `file`: the first gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `vip` from `mac`,
/// and the last advert of VRID `vrid` from another source before it; returns the failover
/// time (ms) from the capture's timestamps.
fn announced(file: &Path, vip: &str, vrid: u8, mac: &str) -> f64 {
    let announcement = if vip.contains(':') {
        tshark(
            file,
            &format!("icmpv6.type == 136 && icmpv6.nd.na.target_address == {vip} && eth.src == {mac}"),
            &["frame.time_epoch"],
        )
    } else {
        tshark(
            file,
            &format!("arp.isgratuitous && arp.src.proto_ipv4 == {vip} && eth.src == {mac}"),
            &["frame.time_epoch"],
        )
    };
    let first: f64 = announcement
        .first()
        .and_then(|fields| fields.first())
        .and_then(|time| time.parse().ok())
        .unwrap_or_else(|| panic!("no gratuitous ARP / NA for {vip} from {mac} in {}", file.display()));
    let adverts = tshark(
        file,
        &format!("vrrp.virt_rtr_id == {vrid} && eth.src != {mac}"),
        &["frame.time_epoch"],
    );
    let last_advert = adverts
        .iter()
        .filter_map(|fields| fields.first()?.parse::<f64>().ok())
        .filter(|time| *time <= first)
        .fold(f64::NAN, f64::max);
    (first - last_advert) * 1000.0
}

/// Runs `body` with a capture of the LAN (seen from the client) running; returns the file.
fn captured(lab: &LabUnderTest, name: &str, body: impl FnOnce()) -> std::path::PathBuf {
    let file = lab.node_dir("client").expect("node dir").join(format!("{name}.pcap"));
    let capture = lab.capture("client", "eth1", &file).expect("capture");
    // An advert of every virtual router (1 s at VRRPv2) before the change.
    std::thread::sleep(Duration::from_millis(1_200));
    body();
    // Repeats of the announcements (3 x 10 ms) and the next adverts.
    std::thread::sleep(Duration::from_millis(300));
    capture.stop().expect("capture stop");
    file
}

fn report(file: &Path, what: &str, mac: &str, preferred_by_okapi: bool) {
    for (vip, vrid, okapi) in ROUTERS {
        if *okapi == preferred_by_okapi {
            let ms = announced(file, vip, *vrid, mac);
            println!("{what}: VRID {vrid} ({vip}): last advert -> first announcement {ms:.1} ms (capture)");
        }
    }
}

#[test]
fn keepalived_crash_and_stop_okapi_takes_over() {
    run_in_lab(
        "vrrp_keepalived::keepalived_crash_and_stop_okapi_takes_over",
        LAB,
        |lab, started| {
            wait_initial_roles(lab, started);
            let okapi_mac = mac(lab, "ok");
            let keepalived = vips(false);

            // keepalived crashes: okapi takes 52, 62, 72 after Master_Down_Interval.
            let (parent, child) = keepalived_pids(lab, None);
            let mut crashed = Instant::now();
            let file = captured(lab, "keepalived-crash", || {
                crashed = Instant::now();
                crash_keepalived(parent, child);
                wait_held(lab, "ok", &keepalived, None, FAILOVER_LIMIT);
            });
            println!("keepalived crashed: okapi holds {keepalived:?} {} later", secs(crashed));
            report(&file, "keepalived crashed", &okapi_mac, false);

            // keepalived again: it preempts (150 > 100) and okapi lets go.
            let argv = recorded_argv(lab, "ka", "keepalived");
            let mut again = start_again(lab, "ka", &argv, "keepalived-again.log");
            wait_held(lab, "ka", &keepalived, Some("ok"), FAILOVER_LIMIT);
            println!("keepalived back and master of {keepalived:?} again");

            // keepalived stops gracefully (priority 0): okapi takes over within Skew_Time.
            let mut stopped = Instant::now();
            let file = captured(lab, "keepalived-stop", || {
                stopped = Instant::now();
                signal(again.id(), "TERM");
                wait_held(lab, "ok", &keepalived, None, FAILOVER_LIMIT);
            });
            println!("keepalived stopped: okapi holds {keepalived:?} {} later", secs(stopped));
            report(&file, "keepalived stopped", &okapi_mac, false);
            let _ = again.wait();

            let instances = okapi_instances(lab).expect("instances");
            for (_, vrid, _) in ROUTERS {
                assert_eq!(instances[&u64::from(*vrid)]["state"], "Master", "VRID {vrid}");
            }
            let zero = instances[&52]["counters"]["priority_zero_received"]
                .as_u64()
                .unwrap_or(0);
            assert!(zero >= 1, "keepalived's priority-0 advert was seen: {}", instances[&52]);
        },
    );
}

#[test]
fn okapi_stop_and_crash_keepalived_takes_over() {
    run_in_lab(
        "vrrp_keepalived::okapi_stop_and_crash_keepalived_takes_over",
        LAB,
        |lab, started| {
            wait_initial_roles(lab, started);
            let keepalived_mac = mac(lab, "ka");
            let okapi = vips(true);
            let pid = daemon_get(lab, "ok", "vrrp", "/version").expect("version")["pid"]
                .as_u64()
                .and_then(|pid| u32::try_from(pid).ok())
                .expect("pid");

            // okapi-vrrpd stops: priority 0, VIPs removed; keepalived takes 51, 61, 71.
            let mut stopped = Instant::now();
            let file = captured(lab, "okapi-stop", || {
                stopped = Instant::now();
                signal(pid, "TERM");
                wait_held(lab, "ka", &okapi, Some("ok"), FAILOVER_LIMIT);
            });
            println!(
                "okapi-vrrpd stopped: keepalived holds {okapi:?} {} later",
                secs(stopped)
            );
            report(&file, "okapi stopped", &keepalived_mac, true);

            let log = lab.node_dir("ok").expect("node dir").join("fs/run/okapi/notify.log");
            let notified = wait_for("the notify hook's STOP lines", Duration::from_secs(5), || {
                let text = std::fs::read_to_string(&log).map_err(|error| error.to_string())?;
                let needed = [
                    "INSTANCE v3-51 MASTER 150 old=Backup new=Master vrid=51 interface=eth1",
                    "INSTANCE v3-51 STOP 150 old=Master new=Initialize vrid=51 interface=eth1",
                    "INSTANCE v3-52 BACKUP 100 old=Initialize new=Backup vrid=52 interface=eth1",
                ];
                match needed.iter().find(|line| !text.contains(*line)) {
                    Some(missing) => Err(format!("no `{missing}` in:\n{text}")),
                    None => Ok(text),
                }
            });
            println!("notify hook: {} lines", notified.lines().count());

            // okapi-vrrpd again: it preempts keepalived (150 > 100).
            let argv = recorded_argv(lab, "ok", "okapi-vrrpd");
            let mut again = start_again(lab, "ok", &argv, "okapi-vrrpd-again.log");
            wait_held(lab, "ok", &okapi, Some("ka"), FAILOVER_LIMIT);
            println!("okapi-vrrpd back and master of {okapi:?} again");

            // okapi-vrrpd crashes (its VIPs stay on its interface): keepalived takes over after
            // Master_Down_Interval.
            let mut crashed = Instant::now();
            let file = captured(lab, "okapi-crash", || {
                crashed = Instant::now();
                signal(again.id(), "KILL");
                wait_held(lab, "ka", &okapi, None, FAILOVER_LIMIT);
            });
            println!(
                "okapi-vrrpd crashed: keepalived holds {okapi:?} {} later",
                secs(crashed)
            );
            report(&file, "okapi crashed", &keepalived_mac, true);
            let _ = again.wait();
            // The shell is not needed by this test but must not be broken by a dead daemon.
            let shell = lab
                .exec("ok", &[binary("okapi").to_str().unwrap_or("okapi"), "-c", "show vrrp"])
                .expect("shell");
            assert!(!shell.status.success(), "no daemon: the shell says so and fails");
        },
    );
}
