//! Benchmark (not a test): VRRP at 10 ms adverts, idle and with both cores saturated,
//! okapi-vrrpd against keepalived in the same run (GUIDE targets: CPU per instance below
//! keepalived's; no false failover under load, where keepalived is measured side by side).
//!
//! One lab holds both pairs, each on a bridge of its own: okapi-vrrpd on o1 (priority 150)
//! and o2 (100), keepalived on k1 (150) and k2 (100), each running INSTANCES VRRPv3
//! instances (VRIDs 1..=INSTANCES, one IPv4 VIP each) at 10 ms adverts.
//! 1. Idle, IDLE_SECONDS: the CPU time of each daemon (utime + stime of /proc/PID/stat; for
//!    keepalived its parent and its VRRP child together), per instance.
//! 2. Loaded, LOAD_SECONDS: one busy loop per core (in o1's namespace, killed by PID after),
//!    at the daemons' own scheduling priority, while a capture on each backup's interface
//!    records what it sends. A backup that sends an advert with a priority above 0 has taken
//!    the master for dead although it never stopped: a false failover. Adverts of one VRID
//!    less than 1 s apart count as one episode. The CPU time is measured again.
//!
//! ```sh
//! cargo build --release -p okapi-vrrpd      # the lab starts okapi-vrrpd from target/release
//! sudo cargo bench -p okapi-tests --bench vrrp_load [-- LOAD_SECONDS [INSTANCES]]
//! ```
//! The GUIDE's figure is 10 minutes of load (`-- 600`); the default is 120 s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use okapi_tests::vrrp::{tshark, write_two_pairs_lab};
use okapi_tests::{LabUnderTest, daemon_get, device_addresses};

const DEFAULT_LOAD_SECONDS: u64 = 120;
const DEFAULT_INSTANCES: u8 = 10;
const IDLE_SECONDS: u64 = 30;
const INTERVAL_MS: u64 = 10;
/// Adverts of one VRID from a backup closer than this are one false failover.
const EPISODE_GAP_SECONDS: f64 = 1.0;
/// The unit of /proc/PID/stat's times: USER_HZ, 100 on Linux whatever the kernel's HZ.
const USER_HZ: f64 = 100.0;

#[derive(Clone, Copy)]
struct Stack {
    name: &'static str,
    master: &'static str,
    backup: &'static str,
    master_address: &'static str,
    backup_address: &'static str,
}

const STACKS: [Stack; 2] = [
    Stack {
        name: "okapi-vrrpd",
        master: "o1",
        backup: "o2",
        master_address: "192.0.2.1",
        backup_address: "192.0.2.2",
    },
    Stack {
        name: "keepalived",
        master: "k1",
        backup: "k2",
        master_address: "192.0.2.11",
        backup_address: "192.0.2.12",
    },
];

fn vip(vrid: u8) -> String {
    format!("198.51.100.{vrid}")
}

/// Writes the lab into `dir`; returns the topology file.
fn write_lab(dir: &Path, instances: u8) -> PathBuf {
    std::fs::create_dir_all(dir).expect("lab dir");
    for (node, priority) in [("o1", 150), ("o2", 100)] {
        let mut config = String::from("[vrrp]\n");
        for vrid in 1..=instances {
            config.push_str(&format!(
                "[[vrrp.instance]]\nname = \"load{vrid}\"\ninterface = \"eth1\"\nvrid = {vrid}\npriority = {priority}\n\
                 advert-interval-ms = {INTERVAL_MS}\naddresses = [\"{}/32\"]\n",
                vip(vrid)
            ));
        }
        std::fs::write(dir.join(format!("{node}.toml")), config).expect("okapi config");
    }
    for (node, priority) in [("k1", 150), ("k2", 100)] {
        let mut config = format!("global_defs {{\n    router_id {node}\n}}\n");
        for vrid in 1..=instances {
            config.push_str(&format!(
                "vrrp_instance load{vrid} {{\n    state BACKUP\n    interface eth1\n    virtual_router_id {vrid}\n    version 3\n    \
                 priority {priority}\n    advert_int {}\n    virtual_ipaddress {{\n        {}/32\n    }}\n}}\n",
                INTERVAL_MS as f64 / 1000.0,
                vip(vrid)
            ));
        }
        std::fs::write(dir.join(format!("{node}.conf")), config).expect("keepalived config");
    }
    write_two_pairs_lab(dir, "vrrp-load", "tests/benches/vrrp_load.rs")
}

/// Every VIP on the master and none on the backup; for okapi also the states it reports.
fn settled(lab: &LabUnderTest, stack: Stack, instances: u8) -> bool {
    let held = |node: &str| {
        let addresses = device_addresses(lab, node, "eth1");
        (1..=instances).filter(|vrid| addresses.contains(&vip(*vrid))).count()
    };
    let vips = held(stack.master) == usize::from(instances) && held(stack.backup) == 0;
    if stack.name != "okapi-vrrpd" {
        return vips;
    }
    let all = |node: &str, state: &str| {
        daemon_get(lab, node, "vrrp", "/vrrp").is_ok_and(|answer| {
            answer["instances"]
                .as_array()
                .is_some_and(|list| list.iter().all(|instance| instance["state"] == state))
        })
    };
    vips && all(stack.master, "Master") && all(stack.backup, "Backup")
}

/// The processes of a stack's daemon on `node`: okapi-vrrpd, or keepalived's parent and its
/// VRRP child.
fn daemon_pids(lab: &LabUnderTest, node: &str) -> Vec<u32> {
    let mut pids: Vec<u32> = lab
        .state()
        .processes
        .iter()
        .filter(|process| process.node == node && matches!(process.name.as_str(), "okapi-vrrpd" | "keepalived"))
        .filter_map(|process| u32::try_from(process.pid).ok())
        .collect();
    let child: Option<u32> = lab
        .node_dir(node)
        .ok()
        .and_then(|dir| std::fs::read_to_string(dir.join("fs/run/keepalived/vrrp.pid")).ok())
        .and_then(|text| text.trim().parse().ok());
    pids.extend(child);
    pids
}

/// utime + stime of `pids`, in seconds.
fn cpu_seconds(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name (which may hold spaces): state is field 3,
            // utime 14 and stime 15.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / USER_HZ)
        })
        .sum()
}

/// CPU milliseconds per second per instance of each node's daemon over `seconds`.
fn cpu_per_instance(lab: &LabUnderTest, nodes: &[&str], instances: u8, seconds: u64) -> BTreeMap<String, f64> {
    let pids: Vec<(String, Vec<u32>)> = nodes
        .iter()
        .map(|node| ((*node).to_string(), daemon_pids(lab, node)))
        .collect();
    let before: Vec<f64> = pids.iter().map(|(_, pids)| cpu_seconds(pids)).collect();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let elapsed = start.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|((node, pids), before)| {
            let used = cpu_seconds(pids) - before;
            (node.clone(), used * 1000.0 / elapsed / f64::from(instances))
        })
        .collect()
}

/// False-failover episodes in a capture of `backup`'s interface: (episodes, adverts).
fn false_failovers(file: &Path, backup_address: &str) -> (usize, usize) {
    let rows = tshark(
        file,
        &format!("vrrp && ip.src == {backup_address} && vrrp.prio > 0"),
        &["frame.time_epoch", "vrrp.virt_rtr_id"],
    );
    let mut last: BTreeMap<String, f64> = BTreeMap::new();
    let mut episodes = 0;
    for row in &rows {
        let (Some(time), Some(vrid)) = (row.first().and_then(|time| time.parse::<f64>().ok()), row.get(1)) else {
            continue;
        };
        if last
            .get(vrid)
            .is_none_or(|previous| time - previous > EPISODE_GAP_SECONDS)
        {
            episodes += 1;
        }
        last.insert(vrid.clone(), time);
    }
    (episodes, rows.len())
}

fn main() {
    if !okapi_tests::bench_may_run("vrrp_load") {
        return;
    }
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let load_seconds = numbers.first().copied().unwrap_or(DEFAULT_LOAD_SECONDS);
    let instances = numbers
        .get(1)
        .and_then(|count| u8::try_from(*count).ok())
        .filter(|count| (1..=250).contains(count))
        .unwrap_or(DEFAULT_INSTANCES);
    let dir = std::env::temp_dir().join(format!("okapi-vrrp-load-{}", std::process::id()));
    let file = write_lab(&dir, instances);
    let lab = LabUnderTest::up(file.to_str().expect("path"));
    for stack in STACKS {
        let start = Instant::now();
        while !settled(&lab, stack, instances) {
            assert!(start.elapsed() < Duration::from_secs(30), "{} not settled", stack.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let nodes = ["o1", "o2", "k1", "k2"];
    println!("{instances} instances per daemon, {INTERVAL_MS} ms adverts; idle for {IDLE_SECONDS} s");
    let idle = cpu_per_instance(&lab, &nodes, instances, IDLE_SECONDS);

    let captures: Vec<_> = STACKS
        .iter()
        .map(|stack| {
            let file = lab.node_dir(stack.backup).expect("dir").join("load.pcap");
            (lab.capture(stack.backup, "eth1", &file).expect("capture"), file)
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!("loaded: {cores} busy loops for {load_seconds} s");
    let mut hogs: Vec<Child> = (0..cores)
        .map(|_| {
            lab.command("o1", &["sh", "-c", "while :; do :; done"])
                .expect("hog")
                .spawn()
                .expect("hog")
        })
        .collect();
    let loaded = cpu_per_instance(&lab, &nodes, instances, load_seconds);
    for hog in &mut hogs {
        let _ = hog.kill();
        let _ = hog.wait();
    }
    std::thread::sleep(Duration::from_secs(1));
    let files: Vec<PathBuf> = captures
        .into_iter()
        .map(|(capture, file)| {
            capture.stop().expect("capture stop");
            file
        })
        .collect();

    println!();
    println!(
        "| stack | CPU per instance idle, master / backup | CPU per instance loaded, master / backup | master adverts captured | false failovers under load (backup adverts) |"
    );
    println!("|---|---|---|---:|---|");
    for (stack, file) in STACKS.iter().zip(&files) {
        let (episodes, adverts) = false_failovers(file, stack.backup_address);
        // The capture saw the master all along: a zero beside it is a measurement.
        let master_adverts = tshark(
            file,
            &format!("vrrp && ip.src == {}", stack.master_address),
            &["frame.number"],
        )
        .len();
        println!(
            "| {} | {:.3} / {:.3} ms/s | {:.3} / {:.3} ms/s | {master_adverts} | {episodes} ({adverts}) |",
            stack.name, idle[stack.master], idle[stack.backup], loaded[stack.master], loaded[stack.backup],
        );
    }
    for stack in STACKS {
        assert!(
            settled(&lab, stack, instances),
            "{}: roles not back after the load",
            stack.name
        );
    }
    drop(lab);
    let _ = std::fs::remove_dir_all(&dir);
}
