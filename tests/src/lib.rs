//! Helpers shared by the lab tests in `tests/tests/`: root detection with a one-line skip,
//! locating the workspace's binaries and topologies, polling with a deadline, reading FRR's
//! JSON, and checking that a lab left nothing behind.
//!
//! Every lab test follows the same shape:
//!
//! ```text
//!   require_root()? ──► LabGuard::new(Lab::up(topology)) ──► poll peers' JSON until converged
//!        │                        │ (Drop: down, even when an assertion fails)
//!        └─ not root: print one "skipped" line and return      └─► assert_clean(lab)
//! ```

pub mod vrrp;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// True when the test may create namespaces. When it may not, prints the one line that says
/// the test was skipped and why.
pub fn require_root(test: &str) -> bool {
    if okapi_lab::is_root() {
        return true;
    }
    eprintln!("skipped {test}: needs root (network namespaces)");
    false
}

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A topology file under `lab/topologies/`.
pub fn topology(file: &str) -> PathBuf {
    workspace_root().join("lab/topologies").join(file)
}

/// The directory holding the workspace's binaries for this build profile (`target/debug`):
/// a test executable lives in `target/debug/deps/`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let deps = exe.parent().unwrap_or(Path::new("."));
    deps.parent().unwrap_or(deps).to_path_buf()
}

/// Path of one of the workspace's binaries; panics with the command that builds it when it is
/// missing (the test command builds every binary before the tests run).
pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// Calls `probe` every 100 ms until it returns `Some`, or panics after `limit` with the last
/// thing `describe` says about the state (so a failure shows what was seen, not just "timeout").
pub fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match probe() {
            Ok(value) => return value,
            Err(last) => {
                if Instant::now() >= deadline {
                    panic!("timed out after {limit:?} waiting for {what}; last seen: {last}");
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Parses a command's stdout as JSON, with the command's output in the error.
pub fn json_of(output: &std::process::Output) -> Result<Value, String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "exit {:?}: {} {}",
            output.status.code(),
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    serde_json::from_str(&stdout).map_err(|error| format!("not JSON ({error}): {}", stdout.trim()))
}

/// One OSPF neighbor as FRR's `show ip ospf neighbor json` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrrNeighbor {
    pub router_id: String,
    /// `Full/DR`, `Full/-`, `2-Way/DROther`, ...
    pub state: String,
    pub interface: String,
}

impl FrrNeighbor {
    pub fn is_full(&self) -> bool {
        self.state.starts_with("Full")
    }
}

/// Neighbors from FRR's `show ip ospf neighbor json`:
/// `{"neighbors": {"<router-id>": [{"nbrState": "Full/DR", "ifaceName": "eth1:10.0.0.1", ...}]}}`
/// (FRR 8.x; older releases say `state` instead of `nbrState`).
pub fn frr_neighbors(json: &Value) -> Vec<FrrNeighbor> {
    let mut neighbors = Vec::new();
    let Some(by_router) = json.get("neighbors").and_then(Value::as_object) else {
        return neighbors;
    };
    for (router_id, entries) in by_router {
        for entry in entries.as_array().into_iter().flatten() {
            let state = entry
                .get("nbrState")
                .or_else(|| entry.get("state"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let interface = entry.get("ifaceName").and_then(Value::as_str).unwrap_or_default();
            neighbors.push(FrrNeighbor {
                router_id: router_id.clone(),
                state: state.to_string(),
                interface: interface.to_string(),
            });
        }
    }
    neighbors
}

/// `vtysh -c COMMAND` on `node`, parsed as JSON.
pub fn vtysh_json(lab: &okapi_lab::Lab, node: &str, command: &str) -> Result<Value, String> {
    let output = lab
        .exec(node, &["vtysh", "-c", command])
        .map_err(|error| format!("exec on {node}: {error}"))?;
    json_of(&output)
}

/// The kernel's route to `destination` on `node` (`ip -j route show DESTINATION`), if any.
pub fn kernel_route(lab: &okapi_lab::Lab, node: &str, destination: &str) -> Result<Option<Value>, String> {
    let output = lab
        .exec(node, &["ip", "-j", "route", "show", destination])
        .map_err(|error| format!("exec on {node}: {error}"))?;
    let routes = json_of(&output)?;
    Ok(routes.as_array().and_then(|routes| routes.first()).cloned())
}

/// PIDs of every process in the lab's namespaces (`ip netns pids`), to check after `down`
/// that each of them is gone.
pub fn lab_pids(lab: &okapi_lab::Lab) -> Vec<u32> {
    let mut pids = Vec::new();
    for node in lab.nodes() {
        let Ok(netns) = lab.netns(&node) else { continue };
        let Ok(output) = Command::new("ip").args(["netns", "pids", &netns]).output() else {
            continue;
        };
        pids.extend(
            String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .filter_map(|pid| pid.parse::<u32>().ok()),
        );
    }
    pids
}

/// Names of the host's network namespaces (`ip netns list`).
pub fn host_namespaces() -> Vec<String> {
    let output = Command::new("ip").args(["netns", "list"]).output();
    let stdout = output
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Names of the host namespace's links (`ip -o link`).
pub fn host_links() -> Vec<String> {
    let output = Command::new("ip").args(["-o", "link", "show"]).output();
    let stdout = output
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    stdout
        .lines()
        .filter_map(|line| line.split(':').nth(1))
        .map(|name| name.trim().split('@').next().unwrap_or_default().to_string())
        .collect()
}

/// Whether process `pid` still exists (a zombie counts as gone).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state letter follows the parenthesised command name.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            state != Some("Z")
        }
        Err(_) => false,
    }
}

/// What the host looks like to a lab: namespaces, links and the runner's state directories.
/// Taken before `up` and after `down` to prove that nothing was created or left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSnapshot {
    pub namespaces: Vec<String>,
    pub links: Vec<String>,
    pub lab_state_dirs: Vec<String>,
}

impl HostSnapshot {
    pub fn take() -> Self {
        let lab_state_dirs = std::fs::read_dir("/run/okapi-lab")
            .map(|dir| {
                let mut names: Vec<String> = dir
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            })
            .unwrap_or_default();
        let mut namespaces = host_namespaces();
        namespaces.sort();
        let mut links = host_links();
        links.sort();
        HostSnapshot {
            namespaces,
            links,
            lab_state_dirs,
        }
    }
}

/// A lab brought up for one test. Dropping it (also when an assertion fails) brings the lab
/// down; [`LabUnderTest::down_and_assert_clean`] does it explicitly and checks the host.
pub struct LabUnderTest {
    lab: Option<okapi_lab::Lab>,
}

impl LabUnderTest {
    /// Brings up `lab/topologies/<file>`; panics with okapi-lab's one-line reason on failure.
    pub fn up(file: &str) -> Self {
        let path = topology(file);
        // okapi-lab finds our daemons next to the test binary (target/<profile>/).
        match okapi_lab::Lab::up(&path) {
            Ok(lab) => LabUnderTest { lab: Some(lab) },
            Err(error) => panic!("okapi-lab up {}: {error}", path.display()),
        }
    }

    /// Brings the lab down and asserts that nothing of it is left: no namespace
    /// `clab-<lab>-*`, no process that ran in its namespaces, no state, no new host link.
    pub fn down_and_assert_clean(mut self, before: &HostSnapshot) {
        let Some(lab) = self.lab.take() else { return };
        let name = lab.name().to_string();
        let pids = lab_pids(&lab);
        assert!(!pids.is_empty(), "lab {name} runs no process at all before down");
        lab.down().unwrap_or_else(|error| panic!("down {name}: {error}"));
        let prefix = format!("clab-{name}-");
        let namespaces: Vec<String> = host_namespaces()
            .into_iter()
            .filter(|ns| ns.starts_with(&prefix))
            .collect();
        assert!(namespaces.is_empty(), "namespaces left after down: {namespaces:?}");
        let alive: Vec<u32> = pids.into_iter().filter(|pid| process_alive(*pid)).collect();
        assert!(alive.is_empty(), "processes left after down: {alive:?}");
        let leftovers = okapi_lab::leftovers(&name);
        assert!(leftovers.is_empty(), "okapi-lab reports leftovers: {leftovers:?}");
        let after = HostSnapshot::take();
        assert_eq!(after.links, before.links, "host links changed");
        assert_eq!(after.lab_state_dirs, before.lab_state_dirs, "state directories changed");
    }
}

impl std::ops::Deref for LabUnderTest {
    type Target = okapi_lab::Lab;
    fn deref(&self) -> &okapi_lab::Lab {
        match &self.lab {
            Some(lab) => lab,
            None => unreachable!("a LabUnderTest holds its lab until it is consumed"),
        }
    }
}

impl Drop for LabUnderTest {
    fn drop(&mut self) {
        if let Some(lab) = self.lab.take() {
            let name = lab.name().to_string();
            if let Err(error) = lab.down() {
                eprintln!("okapi-lab down {name}: {error}");
            }
        }
    }
}

/// One lab at a time within a test binary: tests compare host-wide state before and after,
/// and some share a lab file (hence a lab name).
static LAB_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs the test `test` (skipped without root, with one line) on `lab/topologies/<file>`,
/// one lab at a time: brings the lab up, runs `body` with it and the instant `up` was asked
/// for, brings it down and asserts that the host is as before. Returns what `body` returned
/// (`None`: skipped).
pub fn run_in_lab<T>(test: &str, file: &str, body: impl FnOnce(&LabUnderTest, Instant) -> T) -> Option<T> {
    if !require_root(test) {
        return None;
    }
    let _turn = LAB_TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = HostSnapshot::take();
    let started = Instant::now();
    let lab = LabUnderTest::up(file);
    let result = body(&lab, started);
    lab.down_and_assert_clean(&before);
    Some(result)
}

/// `GET path` on the control socket of the okapi daemon of config table `table` in `node`
/// (the node's private /run/okapi, seen from the host), with a tiny HTTP/1.1 client.
pub fn daemon_get(lab: &okapi_lab::Lab, node: &str, table: &str, path: &str) -> Result<Value, String> {
    let socket = lab
        .node_dir(node)
        .map_err(|error| error.to_string())?
        .join(format!("fs/run/okapi/{table}.sock"));
    let mut stream =
        std::os::unix::net::UnixStream::connect(&socket).map_err(|error| format!("{}: {error}", socket.display()))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|error| error.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: okapi\r\nConnection: close\r\n\r\n"
    )
    .map_err(|error| format!("sending GET {path}: {error}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|error| format!("reading GET {path}: {error}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET {path}: not HTTP: {text}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "GET {path}: {} {}",
            head.lines().next().unwrap_or_default(),
            body.trim()
        ));
    }
    serde_json::from_str(body).map_err(|error| format!("GET {path}: not JSON ({error}): {body}"))
}

/// Seconds since `since`, as tests print them (`1.23 s`).
pub fn secs(since: Instant) -> String {
    format!("{:.2} s", since.elapsed().as_secs_f64())
}

/// The command line okapi-lab started the process `name` of `node` with.
pub fn recorded_argv(lab: &okapi_lab::Lab, node: &str, name: &str) -> Vec<String> {
    lab.state()
        .processes
        .iter()
        .find(|process| process.node == node && process.name == name)
        .map(|process| process.argv.clone())
        .unwrap_or_else(|| panic!("okapi-lab recorded no {name} on {node}"))
}

/// Starts `argv` (see [`recorded_argv`]) on `node` again, with its output in the node's
/// directory under `log`. The lab's `down` stops it; the caller reaps it after.
pub fn start_again(lab: &okapi_lab::Lab, node: &str, argv: &[String], log: &str) -> std::process::Child {
    let log = lab.node_dir(node).expect("node dir").join(log);
    let log = std::fs::File::create(&log).unwrap_or_else(|error| panic!("{}: {error}", log.display()));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    lab.command(node, &argv)
        .expect("command")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|error| panic!("starting {argv:?} on {node} again: {error}"))
}

/// The client of the balancer labs: tests/scripts/http_probe.py on `node`, asking `url` every
/// 10 ms (each request on a new connection, 500 ms timeout) for `seconds`, in the background.
/// [`http_probe_result`] waits for its JSON summary.
pub fn http_probe(lab: &okapi_lab::Lab, node: &str, url: &str, seconds: f64) -> std::process::Child {
    spawn_http_probe(lab, node, url, seconds, None)
}

/// Like [`http_probe`], but every request over one kept-alive TCP connection (a new one only
/// after a failure): what a connection that lives across a failover or a drain sees.
pub fn http_probe_keep_alive(lab: &okapi_lab::Lab, node: &str, url: &str, seconds: f64) -> std::process::Child {
    spawn_http_probe(lab, node, url, seconds, Some("keep-alive"))
}

fn spawn_http_probe(
    lab: &okapi_lab::Lab,
    node: &str,
    url: &str,
    seconds: f64,
    mode: Option<&str>,
) -> std::process::Child {
    let script = workspace_root().join("tests/scripts/http_probe.py");
    let seconds = seconds.to_string();
    let mut argv = vec![
        "python3",
        script.to_str().unwrap_or_default(),
        url,
        &seconds,
        "10",
        "500",
    ];
    argv.extend(mode);
    lab.command(node, &argv)
        .unwrap_or_else(|error| panic!("http probe on {node}: {error}"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("http probe on {node}: {error}"))
}

/// The summary [`http_probe`] prints: `sent`, `ok`, `failed`, `outages`, `longest_outage_ms`,
/// `unrecovered`, `connections`.
pub fn http_probe_result(child: std::process::Child) -> Value {
    let output = child.wait_with_output().expect("probe output");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("probe: {error}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// The median of `values` (NaN for none), for the benchmarks.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.is_empty() {
        f64::NAN
    } else if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

/// The start of every lab benchmark: false (the bench does nothing) for `cargo bench
/// --list`, and without root, then with one line saying why.
pub fn bench_may_run(name: &str) -> bool {
    if std::env::args().any(|arg| arg == "--list") {
        return false;
    }
    if !okapi_lab::is_root() {
        eprintln!("skipped {name}: needs root (network namespaces)");
        return false;
    }
    true
}

/// The addresses (`local`) on `device` of `node`, as `ip -j address` lists them.
pub fn device_addresses(lab: &okapi_lab::Lab, node: &str, device: &str) -> Vec<String> {
    lab.exec(node, &["ip", "-j", "address", "show", "dev", device])
        .ok()
        .and_then(|output| serde_json::from_slice::<Value>(&output.stdout).ok())
        .map(|json| {
            json[0]["addr_info"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|info| info["local"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The MAC address of `device` on `node`.
pub fn device_mac(lab: &okapi_lab::Lab, node: &str, device: &str) -> String {
    let output = lab
        .exec(node, &["ip", "-j", "link", "show", "dev", device])
        .unwrap_or_else(|error| panic!("ip link on {node}: {error}"));
    let json: Value = serde_json::from_slice(&output.stdout).expect("ip -j link");
    json[0]["address"].as_str().expect("a MAC").to_string()
}
