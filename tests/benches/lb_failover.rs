//! Benchmark (not a test): the load-balancer pair of issue 5, okapi against the classic stack,
//! as the client sees it (docs/benchmarks.md).
//!
//! | stack | topology | balancers run |
//! |---|---|---|
//! | okapi | lab/topologies/lb-pair.clab.yml | HAProxy, okapi-vrrpd (health tracker on HAProxy's /health), okapi-ospfd (the VIP as an external route through the VRRP address) |
//! | keepalived + FRR | lab/topologies/lb-pair-classic.clab.yml | HAProxy, keepalived (vrrp_script: curl on /health, FAULT when it fails), FRR ospfd (`redistribute connected`: the VIP while keepalived holds it) |
//!
//! Same client, FRR upstream, nginx backends and HAProxy configuration. One run: the lab comes
//! up fresh (a copy in a temporary directory, renamed `lbb-okapi` / `lbb-classic` so that it
//! never meets a test's lab), the bench waits until lb1 is the master, the upstream has both
//! balancers Full and routes the VIP over OSPF, and the client is served; then
//! tests/scripts/http_probe.py asks http://203.0.113.10/ every 10 ms (a new connection each
//! time, 500 ms timeout) while, 1 s in plus a random 0-1 s, lb1 fails:
//!
//! - `haproxy`: SIGKILL to lb1's HAProxy process group;
//! - `crash`: SIGKILL to every process group okapi-lab started on lb1 (and anything else left
//!   in its namespace), its eth1 and eth2 down;
//! - `uplink`: lb1's eth1 (the edge LAN) down.
//!
//! The result is the client's longest outage: from the first failed request to the next
//! successful one. Then the lab goes down. Each run gives the upstream a random multipath
//! hash seed (see `random_hash_seed`: which of two equal-cost next hops the client's
//! requests take is then a coin toss per run, not once per boot).
//!
//! Settings: `default` is the topologies as they ship (VRRP adverts 100 ms; okapi checks
//! HAProxy every 100 ms, keepalived every second: 2.2.7 takes whole seconds only). `fast` is
//! 10 ms adverts and 50 ms health checks for okapi (keepalived: 10 ms adverts, curl timeout
//! 50 ms, the check still every second). Cases: default x {haproxy, crash, uplink}, fast x
//! haproxy, each for both stacks, the stacks alternating run by run.
//!
//! ```sh
//! cargo build --release --bins       # the lab starts okapi's daemons from target/release
//! sudo cargo bench -p okapi-tests --bench lb_failover [-- [RUNS] [default|fast] [haproxy|crash|uplink] [okapi|classic]]
//! ```
//!
//! Words select a subset (`-- 3 fast haproxy`: 3 runs of the fast HAProxy-killed case); the
//! default is 10 runs of every case.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use okapi_tests::{
    LabUnderTest, daemon_get, frr_neighbors, http_probe, http_probe_result, kernel_route, median, vtysh_json, wait_for,
    workspace_root,
};

const DEFAULT_RUNS: usize = 10;
const VIP: &str = "203.0.113.10";
/// How long a fresh lab may take to reach its starting point.
const READY_LIMIT: Duration = Duration::from_secs(30);
/// The failure happens this long after the probe starts, plus a random delay of up to
/// FAILURE_JITTER, so that it falls at any phase of the health checks and adverts (a fixed
/// delay after `up` would meet the same phase of keepalived's 1 s check every run).
const FAILURE_AT: Duration = Duration::from_secs(1);
const FAILURE_JITTER: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stack {
    Okapi,
    Classic,
}

impl Stack {
    const ALL: [Stack; 2] = [Stack::Okapi, Stack::Classic];

    fn name(self) -> &'static str {
        match self {
            Stack::Okapi => "okapi",
            Stack::Classic => "keepalived + FRR",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Stack::Okapi => "okapi",
            Stack::Classic => "classic",
        }
    }

    /// The shipped topology file, its lab name, and the bench's lab name.
    fn topology(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Stack::Okapi => ("lb-pair.clab.yml", "lb-pair", "lbb-okapi"),
            Stack::Classic => ("lb-pair-classic.clab.yml", "lb-pair-classic", "lbb-classic"),
        }
    }

    /// The upstream's next hop to the VIP when lb1 is the master: okapi announces the VIP
    /// through the VRRP address, FRR through the announcing node's own address.
    fn next_hop(self) -> &'static str {
        match self {
            Stack::Okapi => "10.0.1.100",
            Stack::Classic => "10.0.1.11",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Settings {
    Default,
    Fast,
}

impl Settings {
    fn word(self) -> &'static str {
        match self {
            Settings::Default => "default",
            Settings::Fast => "fast",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Failure {
    HaproxyKilled,
    NodeCrashed,
    UplinkDown,
}

impl Failure {
    fn name(self) -> &'static str {
        match self {
            Failure::HaproxyKilled => "HAProxy killed",
            Failure::NodeCrashed => "node crashed",
            Failure::UplinkDown => "uplink down",
        }
    }

    fn word(self) -> &'static str {
        match self {
            Failure::HaproxyKilled => "haproxy",
            Failure::NodeCrashed => "crash",
            Failure::UplinkDown => "uplink",
        }
    }

    /// How long the client asks: long enough after the failure (at 1-2 s) for the slowest
    /// recovery (keepalived's two 1 s checks; an OSPF dead interval, 4 s, when the crashed
    /// node's announcement lingers).
    fn probe_seconds(self) -> f64 {
        match self {
            Failure::HaproxyKilled => 5.0,
            Failure::NodeCrashed | Failure::UplinkDown => 9.0,
        }
    }
}

/// The cases the issue asks for, in order.
const CASES: [(Settings, Failure); 4] = [
    (Settings::Default, Failure::HaproxyKilled),
    (Settings::Default, Failure::NodeCrashed),
    (Settings::Default, Failure::UplinkDown),
    (Settings::Fast, Failure::HaproxyKilled),
];

/// Copies the file or directory `from` to `to` (permissions included: the notify hook stays
/// executable).
fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap_or_else(|error| panic!("{}: {error}", to.display()));
        for entry in std::fs::read_dir(from).unwrap_or_else(|error| panic!("{}: {error}", from.display())) {
            let entry = entry.expect("dir entry");
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|error| panic!("{} -> {}: {error}", from.display(), to.display()));
    }
}

/// Replaces each `(from, to)` in the file at `path`; panics when one is not there (the shipped
/// configuration changed and the bench must follow).
fn rewrite(path: &Path, replacements: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    for (from, to) in replacements {
        assert!(
            text.contains(from),
            "{}: no `{}` to rewrite (the shipped lab changed?)",
            path.display(),
            from.escape_debug()
        );
        text = text.replace(from, to);
    }
    std::fs::write(path, text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}

/// Writes both stacks' labs with `settings` into `dir`; returns each stack's topology file.
fn write_labs(dir: &Path, settings: Settings) -> Vec<(Stack, PathBuf)> {
    let shipped = workspace_root().join("lab/topologies");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for item in ["lb-pair", "lb-pair-classic", "vrrp-notify.sh"] {
        copy_tree(&shipped.join(item), &dir.join(item));
    }
    let mut files = Vec::new();
    for stack in Stack::ALL {
        let (file, name, bench_name) = stack.topology();
        let target = dir.join(file);
        copy_tree(&shipped.join(file), &target);
        let from = format!("\nname: {name}\n");
        let to = format!("\nname: {bench_name}\n");
        rewrite(&target, &[(&from, &to)]);
        files.push((stack, target));
    }
    if settings == Settings::Fast {
        for node in ["lb1", "lb2"] {
            // okapi: 10 ms adverts, HAProxy checked every 50 ms with a 50 ms timeout.
            rewrite(
                &dir.join(format!("lb-pair/{node}/okapi.toml")),
                &[
                    ("\nadvert-interval-ms = 100\n", "\nadvert-interval-ms = 10\n"),
                    ("\ninterval-ms = 100\n", "\ninterval-ms = 50\n"),
                    ("\ntimeout-ms = 100\n", "\ntimeout-ms = 50\n"),
                ],
            );
            // keepalived: 10 ms adverts, curl's timeout 50 ms; the script interval stays at
            // 1 s, the least keepalived 2.2.7 accepts.
            rewrite(
                &dir.join(format!("lb-pair-classic/{node}/keepalived.conf")),
                &[("advert_int 0.1\n", "advert_int 0.01\n"), (" -m 0.1 ", " -m 0.05 ")],
            );
        }
    }
    files
}

/// The VRRP state of `node`: okapi-vrrpd's answer, or the last state keepalived handed its
/// notify hook (lab/topologies/vrrp-notify.sh writes `INSTANCE public MASTER 150 ...`).
fn vrrp_state(lab: &LabUnderTest, stack: Stack, node: &str) -> Option<String> {
    match stack {
        Stack::Okapi => daemon_get(lab, node, "vrrp", "/vrrp")
            .ok()
            .and_then(|answer| answer["instances"][0]["state"].as_str().map(str::to_string)),
        Stack::Classic => {
            let log = lab.node_dir(node).ok()?.join("fs/run/okapi/notify.log");
            let text = std::fs::read_to_string(log).ok()?;
            let state = text.lines().last()?.split_whitespace().nth(2)?;
            let mut state = state.to_lowercase();
            state[..1].make_ascii_uppercase();
            Some(state)
        }
    }
}

/// The starting point: lb1 Master, lb2 Backup, both Full with the upstream, the upstream's
/// route to the VIP learnt over OSPF through lb1, and the client served.
fn wait_ready(lab: &LabUnderTest, stack: Stack) {
    wait_for("lb1 Master and lb2 Backup", READY_LIMIT, || {
        let states = (vrrp_state(lab, stack, "lb1"), vrrp_state(lab, stack, "lb2"));
        match &states {
            (Some(lb1), Some(lb2)) if lb1 == "Master" && lb2 == "Backup" => Ok(()),
            _ => Err(format!("{states:?}")),
        }
    });
    wait_for("both balancers Full with the upstream", READY_LIMIT, || {
        let neighbors = frr_neighbors(&vtysh_json(lab, "upstream", "show ip ospf neighbor json")?);
        let full = |id: &str| neighbors.iter().any(|n| n.router_id == id && n.is_full());
        if full("10.0.1.11") && full("10.0.1.12") {
            Ok(())
        } else {
            Err(format!("{neighbors:?}"))
        }
    });
    wait_for(
        "the upstream's OSPF route to the VIP",
        READY_LIMIT,
        || match kernel_route(lab, "upstream", VIP)? {
            Some(route) if route["gateway"] == stack.next_hop() && route["protocol"] == "ospf" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    wait_for("the client to be served", READY_LIMIT, || {
        let result = http_probe_result(http_probe(lab, "client", &format!("http://{VIP}/"), 0.5));
        if result["failed"] == 0 {
            Ok(())
        } else {
            Err(result.to_string())
        }
    });
}

/// SIGKILL to the process group of every process okapi-lab started on `node` named `name`
/// (any name when None). Each runs in a session of its own: HAProxy's workers, keepalived's
/// VRRP child and its scripts go with their parent.
fn kill_groups(lab: &LabUnderTest, node: &str, name: Option<&str>) {
    let groups: Vec<i32> = lab
        .state()
        .processes
        .iter()
        .filter(|process| process.node == node && name.is_none_or(|name| process.name == name))
        .map(|process| process.pid)
        .collect();
    assert!(!groups.is_empty(), "no {name:?} process on {node}");
    for pid in groups {
        nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL)
            .unwrap_or_else(|error| panic!("kill -KILL -{pid} on {node}: {error}"));
    }
}

/// `ip -n NS ARGS` for `node` (no need to enter its mount view).
fn ip(lab: &LabUnderTest, node: &str, args: &[&str]) {
    let ns = lab.netns(node).expect("netns");
    let output = Command::new("ip").arg("-n").arg(&ns).args(args).output().expect("ip");
    assert!(output.status.success(), "ip {args:?} in {ns}: {output:?}");
}

fn inject(lab: &LabUnderTest, failure: Failure) {
    match failure {
        Failure::HaproxyKilled => kill_groups(lab, "lb1", Some("haproxy")),
        Failure::NodeCrashed => {
            kill_groups(lab, "lb1", None);
            ip(lab, "lb1", &["link", "set", "eth1", "down"]);
            ip(lab, "lb1", &["link", "set", "eth2", "down"]);
            // Anything else still running in the node (a health-check script): a crashed
            // node runs nothing.
            let ns = lab.netns("lb1").expect("netns");
            let output = Command::new("ip")
                .args(["netns", "pids", &ns])
                .output()
                .expect("ip netns pids");
            for pid in String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .filter_map(|pid| pid.parse::<i32>().ok())
            {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
            }
        }
        Failure::UplinkDown => ip(lab, "lb1", &["link", "set", "eth1", "down"]),
    }
}

/// One measured run.
struct Outage {
    ms: f64,
    detail: String,
}

/// Brings the lab `file` up, waits for the starting point, runs the probe with the failure
/// 1-2 s in, and brings the lab down (also when something fails: LabUnderTest's drop).
fn run_once(file: &Path, stack: Stack, failure: Failure) -> Result<Outage, String> {
    let lab = LabUnderTest::up(file.to_str().expect("path"));
    let seed = random_hash_seed(&lab);
    wait_ready(&lab, stack);
    let child = http_probe(&lab, "client", &format!("http://{VIP}/"), failure.probe_seconds());
    let delay = FAILURE_AT + jitter();
    std::thread::sleep(delay);
    inject(&lab, failure);
    let result = http_probe_result(child);
    drop(lab);
    let outages = result["outages"].as_array().cloned().unwrap_or_default();
    let detail = format!(
        "failure at {:.2} s, upstream hash seed {seed}; {} failed of {}; {}",
        delay.as_secs_f64(),
        result["failed"],
        result["sent"],
        outages
            .iter()
            .map(|outage| format!(
                "{} ms, {} failures, first: {}",
                outage["ms"], outage["failures"], outage["first_error"]
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    if result["unrecovered"] != false {
        return Err(format!("the client was not served again within the probe: {detail}"));
    }
    let ms = result["longest_outage_ms"].as_f64().unwrap_or(f64::NAN);
    Ok(Outage { ms, detail })
}

/// A random number (std's randomly seeded hasher as the source).
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

/// A random delay below FAILURE_JITTER.
fn jitter() -> Duration {
    FAILURE_JITTER.mul_f64((random() % 1_000_000) as f64 / 1_000_000.0)
}

/// Gives the upstream a random multipath hash seed; returns it ("-" when the kernel has no
/// such sysctl). When the classic stack's crashed master still announces the VIP, the
/// upstream has two equal-cost next hops until its OSPF dead interval, and the client's
/// requests (all the same addresses: the default L3 hash) all take one of them. With the
/// kernel's own seed (one per boot) that choice would be the same in every run, so the
/// bench would measure one boot's luck; a seed per run makes it a coin toss per run, as it
/// is across routers.
fn random_hash_seed(lab: &LabUnderTest) -> String {
    let seed = (random() % u64::from(u32::MAX)).max(1);
    let set = format!("echo {seed} > /proc/sys/net/ipv4/fib_multipath_hash_seed");
    match lab.exec("upstream", &["/bin/sh", "-c", &set]) {
        Ok(output) if output.status.success() => seed.to_string(),
        _ => "-".to_string(),
    }
}

fn main() {
    if !okapi_tests::bench_may_run("lb_failover") {
        return;
    }
    // Arguments (cargo adds `--bench`): a number of runs, and words choosing a subset.
    let mut runs = DEFAULT_RUNS;
    let mut words = Vec::new();
    for arg in std::env::args().skip(1).filter(|arg| !arg.starts_with('-')) {
        if let Ok(number) = arg.parse::<usize>() {
            runs = number;
        } else {
            let known = [Settings::Default.word(), Settings::Fast.word()]
                .into_iter()
                .chain([Failure::HaproxyKilled, Failure::NodeCrashed, Failure::UplinkDown].map(Failure::word))
                .chain(Stack::ALL.map(Stack::word));
            assert!(
                known.clone().any(|word| word == arg),
                "unknown argument `{arg}` (runs, then any of: {})",
                known.collect::<Vec<_>>().join(" ")
            );
            words.push(arg);
        }
    }
    let chosen = |group: &[&str], word: &str| {
        !group.iter().any(|w| words.iter().any(|x| x == w)) || words.iter().any(|x| x == word)
    };
    let settings_words = ["default", "fast"];
    let failure_words = ["haproxy", "crash", "uplink"];
    let stack_words = ["okapi", "classic"];
    let stacks: Vec<Stack> = Stack::ALL
        .into_iter()
        .filter(|stack| chosen(&stack_words, stack.word()))
        .collect();
    let cases: Vec<(Settings, Failure)> = CASES
        .into_iter()
        .filter(|(settings, failure)| {
            chosen(&settings_words, settings.word()) && chosen(&failure_words, failure.word())
        })
        .collect();
    assert!(!cases.is_empty() && !stacks.is_empty(), "no case matches {words:?}");

    let root = std::env::temp_dir().join(format!("okapi-lb-bench-{}", std::process::id()));
    let mut table = Vec::new();
    for (settings, failure) in cases {
        let files = write_labs(&root.join(settings.word()), settings);
        let mut measured: Vec<Vec<f64>> = vec![Vec::new(); stacks.len()];
        let mut failed: Vec<usize> = vec![0; stacks.len()];
        // The stacks alternate run by run, so that drift on the host hits both alike.
        for run in 1..=runs {
            for (index, stack) in stacks.iter().enumerate() {
                let file = files
                    .iter()
                    .find(|(of, _)| of == stack)
                    .map(|(_, file)| file.clone())
                    .expect("lab file");
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_once(&file, *stack, failure)))
                        .unwrap_or_else(|_| Err("panicked (above)".to_string()));
                let label = format!(
                    "{:7} {:14} {:16} run {run:2}",
                    settings.word(),
                    failure.name(),
                    stack.name()
                );
                match outcome {
                    Ok(outage) => {
                        println!("{label}: {:7.1} ms  ({})", outage.ms, outage.detail);
                        measured[index].push(outage.ms);
                    }
                    Err(why) => {
                        println!("{label}: FAILED: {why}");
                        failed[index] += 1;
                    }
                }
            }
        }
        for (index, stack) in stacks.iter().enumerate() {
            let values = &mut measured[index];
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let count = values.len();
            table.push((
                settings,
                failure,
                *stack,
                count,
                failed[index],
                median(values),
                min,
                max,
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    println!();
    println!("| settings | failure | stack | runs | median | min - max (ms) |");
    println!("|---|---|---|---:|---:|---:|");
    for (settings, failure, stack, count, failed, median, min, max) in table {
        let runs = if failed > 0 {
            format!("{count} ({failed} failed)")
        } else {
            count.to_string()
        };
        println!(
            "| {} | {} | {} | {runs} | {median:.0} ms | {min:.0} - {max:.0} |",
            settings.word(),
            failure.name(),
            stack.name()
        );
    }
}
