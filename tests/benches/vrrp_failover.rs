//! Benchmark (not a test): VRRPv3 failover after the master crashes, okapi-vrrpd against
//! keepalived, at 1 s, 100 ms and 10 ms adverts, in the same run (docs/benchmarks.md).
//!
//! For each interval one lab holds both pairs, each on a bridge of its own: okapi-vrrpd on o1
//! (priority 150) and o2 (100), keepalived on k1 (150) and k2 (100), VRRPv3, one IPv4 VIP.
//! A run crashes the master (okapi-vrrpd: SIGKILL; keepalived: the parent stopped, its VRRP
//! child and then the parent killed), waits until the backup holds the VIP, starts the
//! master's daemon again and waits until it is master again (preemption). The pairs alternate,
//! RUNS runs each. The failover time is read from a capture on the backup's interface, as the
//! RFC defines it: the last advert of the old master -> the first gratuitous ARP of the new
//! one. RFC 5798 §6.1 bounds it by Master_Down_Interval = 3 x interval + Skew_Time
//! ((256 - 100) / 256 x interval at priority 100).
//!
//! ```sh
//! cargo build --release -p okapi-vrrpd      # the lab starts okapi-vrrpd from target/release
//! sudo cargo bench -p okapi-tests --bench vrrp_failover [-- RUNS [INTERVAL_MS...]]
//! ```

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use okapi_tests::vrrp::{crash_keepalived, first_after, last_before, signal, write_two_pairs_lab};
use okapi_tests::{LabUnderTest, daemon_get, device_addresses, device_mac, median, recorded_argv, start_again};

const DEFAULT_RUNS: usize = 10;
const INTERVALS_MS: [u64; 3] = [1_000, 100, 10];
const VIP: &str = "192.0.2.100";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stack {
    Okapi,
    Keepalived,
}

impl Stack {
    fn name(self) -> &'static str {
        match self {
            Stack::Okapi => "okapi-vrrpd",
            Stack::Keepalived => "keepalived",
        }
    }
    fn nodes(self) -> (&'static str, &'static str) {
        match self {
            Stack::Okapi => ("o1", "o2"),
            Stack::Keepalived => ("k1", "k2"),
        }
    }
    fn master_address(self) -> &'static str {
        match self {
            Stack::Okapi => "192.0.2.1",
            Stack::Keepalived => "192.0.2.11",
        }
    }
}

fn unix_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// Writes the lab of one interval into `dir`; returns the topology file.
fn write_lab(dir: &Path, interval_ms: u64) -> PathBuf {
    std::fs::create_dir_all(dir).expect("lab dir");
    for (node, priority) in [("o1", 150), ("o2", 100)] {
        std::fs::write(
            dir.join(format!("{node}.toml")),
            format!(
                "[vrrp]\n[[vrrp.instance]]\nname = \"bench\"\ninterface = \"eth1\"\nvrid = 1\npriority = {priority}\nadvert-interval-ms = {interval_ms}\naddresses = [\"{VIP}/24\"]\n"
            ),
        )
        .expect("okapi config");
    }
    for (node, priority) in [("k1", 150), ("k2", 100)] {
        std::fs::write(
            dir.join(format!("{node}.conf")),
            format!(
                "global_defs {{\n    router_id {node}\n}}\nvrrp_instance bench {{\n    state BACKUP\n    interface eth1\n    virtual_router_id 1\n    version 3\n    priority {priority}\n    advert_int {}\n    virtual_ipaddress {{\n        {VIP}/24\n    }}\n}}\n",
                interval_ms as f64 / 1000.0
            ),
        )
        .expect("keepalived config");
    }
    write_two_pairs_lab(
        dir,
        "vrrp-bench",
        &format!("tests/benches/vrrp_failover.rs, interval {interval_ms} ms"),
    )
}

fn holds(lab: &LabUnderTest, node: &str) -> bool {
    device_addresses(lab, node, "eth1").iter().any(|address| address == VIP)
}

fn mac(lab: &LabUnderTest, node: &str) -> String {
    device_mac(lab, node, "eth1")
}

fn wait(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The master's state: the okapi master answers Master on its socket; keepalived's holds
/// the VIP and its backup does not.
fn settled(lab: &LabUnderTest, stack: Stack) -> bool {
    let (master, backup) = stack.nodes();
    match stack {
        Stack::Okapi => {
            let state = |node: &str| {
                daemon_get(lab, node, "vrrp", "/vrrp")
                    .ok()
                    .and_then(|answer| answer["instances"][0]["state"].as_str().map(str::to_string))
            };
            state(master).as_deref() == Some("Master") && state(backup).as_deref() == Some("Backup")
        }
        Stack::Keepalived => holds(lab, master) && !holds(lab, backup),
    }
}

/// What a stack's master runs; restarted after each crash.
struct Master {
    argv: Vec<String>,
    restarted: Option<Child>,
}

impl Master {
    fn pid(&self, lab: &LabUnderTest, stack: Stack) -> u32 {
        if let Some(child) = &self.restarted {
            return child.id();
        }
        let (node, _) = stack.nodes();
        let name = match stack {
            Stack::Okapi => "okapi-vrrpd",
            Stack::Keepalived => "keepalived",
        };
        lab.state()
            .processes
            .iter()
            .find(|process| process.node == node && process.name == name)
            .and_then(|process| u32::try_from(process.pid).ok())
            .expect("the master's daemon")
    }

    /// Crashes the master's daemon; returns the wall-clock time (s) of the crash.
    fn crash(&mut self, lab: &LabUnderTest, stack: Stack) -> f64 {
        let pid = self.pid(lab, stack);
        let at = unix_secs();
        match stack {
            Stack::Okapi => signal(pid, "KILL"),
            Stack::Keepalived => {
                let (node, _) = stack.nodes();
                let file = lab.node_dir(node).expect("dir").join("fs/run/keepalived/vrrp.pid");
                let child: u32 = std::fs::read_to_string(file)
                    .ok()
                    .and_then(|text| text.trim().parse().ok())
                    .expect("keepalived's VRRP child");
                crash_keepalived(pid, child);
            }
        }
        if let Some(mut child) = self.restarted.take() {
            let _ = child.wait();
        }
        at
    }

    fn restart(&mut self, lab: &LabUnderTest, stack: Stack, run: usize) {
        let (node, _) = stack.nodes();
        self.restarted = Some(start_again(lab, node, &self.argv, &format!("restart-{run}.log")));
    }
}

fn main() {
    if !okapi_tests::bench_may_run("vrrp_failover") {
        return;
    }
    // Arguments: RUNS, then the intervals (ms) to measure; by default 10 runs at each of
    // INTERVALS_MS.
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let runs = numbers
        .first()
        .and_then(|runs| usize::try_from(*runs).ok())
        .unwrap_or(DEFAULT_RUNS);
    let intervals: Vec<u64> = if numbers.len() > 1 {
        numbers[1..].to_vec()
    } else {
        INTERVALS_MS.to_vec()
    };
    let dir = std::env::temp_dir().join(format!("okapi-vrrp-bench-{}", std::process::id()));
    let mut table = Vec::new();
    for interval_ms in intervals {
        let file = write_lab(&dir, interval_ms);
        let lab = LabUnderTest::up(file.to_str().expect("path"));
        let stacks = [Stack::Okapi, Stack::Keepalived];
        let limit = Duration::from_millis(interval_ms * 10 + 5_000);
        for stack in stacks {
            wait(&format!("{} settled", stack.name()), limit, || settled(&lab, stack));
        }
        let mut masters: Vec<Master> = stacks
            .iter()
            .map(|stack| {
                let (node, _) = stack.nodes();
                let name = match stack {
                    Stack::Okapi => "okapi-vrrpd",
                    Stack::Keepalived => "keepalived",
                };
                Master {
                    argv: recorded_argv(&lab, node, name),
                    restarted: None,
                }
            })
            .collect();
        let captures: Vec<_> = stacks
            .iter()
            .map(|stack| {
                let (_, backup) = stack.nodes();
                let file = lab.node_dir(backup).expect("dir").join("bench.pcap");
                (lab.capture(backup, "eth1", &file).expect("capture"), file)
            })
            .collect();
        // Several adverts in the capture before the first crash.
        std::thread::sleep(Duration::from_millis((interval_ms * 4).max(1_000)));
        let mut crashes: Vec<Vec<f64>> = vec![Vec::new(); stacks.len()];
        for run in 0..runs {
            for (index, stack) in stacks.iter().enumerate() {
                let (_, backup) = stack.nodes();
                let at = masters[index].crash(&lab, *stack);
                crashes[index].push(at);
                wait(&format!("{} backup to hold the VIP", stack.name()), limit, || {
                    holds(&lab, backup)
                });
                masters[index].restart(&lab, *stack, run);
                let start = Instant::now();
                while !settled(&lab, *stack) {
                    if start.elapsed() > limit {
                        let (master, _) = stack.nodes();
                        let log = lab.node_dir(master).expect("dir").join(format!("restart-{run}.log"));
                        let text = std::fs::read_to_string(&log).unwrap_or_default();
                        panic!(
                            "{} not master again after {limit:?} (run {}): {} holds the VIP: {}, {} holds it: {}; {}:\n{text}",
                            stack.name(),
                            run + 1,
                            master,
                            holds(&lab, master),
                            stack.nodes().1,
                            holds(&lab, stack.nodes().1),
                            log.display()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                // Adverts of the master again before the next crash.
                std::thread::sleep(Duration::from_millis((interval_ms * 4).max(200)));
            }
        }
        let macs: Vec<String> = stacks.iter().map(|stack| mac(&lab, stack.nodes().1)).collect();
        let files: Vec<PathBuf> = captures
            .into_iter()
            .map(|(capture, file)| {
                capture.stop().expect("capture stop");
                file
            })
            .collect();
        for (index, stack) in stacks.iter().enumerate() {
            let advert = format!("vrrp && ip.src == {}", stack.master_address());
            let garp = format!(
                "arp.isgratuitous && eth.src == {} && arp.src.proto_ipv4 == {VIP}",
                macs[index]
            );
            let mut times: Vec<f64> = crashes[index]
                .iter()
                .filter_map(|crash| {
                    let announced = first_after(&files[index], &garp, *crash)?;
                    let last = last_before(&files[index], &advert, announced)?;
                    Some((announced - last) * 1000.0)
                })
                .collect();
            for (run, time) in times.iter().enumerate() {
                println!(
                    "{interval_ms:>5} ms adverts  {:12} run {:2}: {time:8.1} ms",
                    stack.name(),
                    run + 1
                );
            }
            let measured = times.len();
            let min = times.iter().copied().fold(f64::INFINITY, f64::min);
            let max = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let median = median(&mut times);
            table.push((interval_ms, stack.name(), measured, median, min, max));
        }
        for master in &mut masters {
            if let Some(mut child) = master.restarted.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        drop(lab);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!();
    println!("| adverts | RFC bound (3 x interval + skew) | daemon | runs | median | min - max |");
    println!("|---:|---:|---|---:|---:|---:|");
    for (interval_ms, name, runs, median, min, max) in table {
        let bound = 3.0 * interval_ms as f64 + (256.0 - 100.0) / 256.0 * interval_ms as f64;
        println!("| {interval_ms} ms | {bound:.1} ms | {name} | {runs} | {median:.1} ms | {min:.1} - {max:.1} ms |");
    }
}
