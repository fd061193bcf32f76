//! `up`: preflight (a lab of that name must not exist), the state directory, then namespaces,
//! bridges, node preparation, links, every node's processes (in parallel, stage by stage, each
//! waiting for its ready socket), FRR's `vtysh -b`, and the `exec` lines. Each thing is
//! recorded in the state before it is created; any failure tears everything down.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::LabError;
use crate::images::Family;
use crate::lab::is_root;
use crate::netns;
use crate::node;
use crate::process;
use crate::state::{self, LinkState, NodeState, Phase, ProcessState, State};
use crate::teardown;
use crate::topology::{Node, NodeKind, Topology, check_ifname};

/// How long a process may take to create its ready socket (zebra's zserv.api, a vty socket,
/// an okapi control socket).
const READY_LIMIT: Duration = Duration::from_secs(20);

/// How long one `exec` line may run during `up`.
const EXEC_LIMIT: Duration = Duration::from_secs(60);

/// How long `vtysh -b` may take to apply frr.conf.
const VTYSH_LIMIT: Duration = Duration::from_secs(60);

/// How long a process without a ready socket must have lived before `up` calls it started.
const SETTLE: Duration = Duration::from_millis(300);

/// Brings a validated topology up; on a failure midway, tears down what was made.
pub(crate) fn up(topology: &Topology) -> Result<State, LabError> {
    if !is_root() {
        return Err(LabError::NotRoot);
    }
    let name = topology.name().to_string();
    preflight(topology)?;
    state::ensure_root()?;
    let dir = state::lab_dir(&name);
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(LabError::AlreadyUp {
                name,
                detail: format!("{} exists", dir.display()),
            });
        }
        Err(error) => return Err(LabError::io(format!("creating {}", dir.display()), error)),
    }
    let file = std::path::absolute(topology.file()).unwrap_or_else(|_| topology.file().to_path_buf());
    let mut initial = State::new(&name, &file);
    initial.nodes = topology.nodes.iter().map(|node| node_state(topology, node)).collect();
    if let Err(error) = initial.save() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(error);
    }
    match realize(topology) {
        Ok(()) => {
            let ((), state) = State::update(&name, |state| state.phase = Phase::Up)?;
            Ok(state)
        }
        Err(error) => {
            let _ = State::update(&name, |state| state.phase = Phase::Failed);
            if let Err(down_error) = teardown::down_lab(&name) {
                eprintln!("okapi-lab: tearing down {name} after a failed up: {down_error}");
            }
            Err(error)
        }
    }
}

/// The bridge device of a kind bridge node: the node's name (as containerlab's bridge kind),
/// unless that is not an interface name or one of its ports is called so.
fn bridge_name(topology: &Topology, node: &str) -> String {
    let ports: Vec<&str> = topology
        .links
        .iter()
        .flat_map(|link| [&link.a, &link.b])
        .filter(|end| end.node == node)
        .map(|end| end.iface.as_str())
        .collect();
    [node, "br0", "bridge0", "okapi-br"]
        .into_iter()
        .find(|candidate| check_ifname(candidate).is_ok() && !ports.contains(candidate))
        .unwrap_or("okapi-br")
        .to_string()
}

fn node_state(topology: &Topology, node: &Node) -> NodeState {
    let dir = state::node_dir(topology.name(), &node.name);
    NodeState {
        name: node.name.clone(),
        kind: node.kind.as_str().to_string(),
        image: node.image.clone(),
        family: node.plan.family.as_str().to_string(),
        netns: topology.netns(&node.name),
        enter: dir.join("enter.sh"),
        dir,
        bridge: (node.kind == NodeKind::Bridge).then(|| bridge_name(topology, &node.name)),
    }
}

/// Refuses to overwrite a lab that is up; a stale state (nothing of it exists any more) is
/// cleaned and forgotten.
fn preflight(topology: &Topology) -> Result<(), LabError> {
    let name = topology.name();
    let dir = state::lab_dir(name);
    if dir.exists() {
        match State::load(name) {
            Ok(state) => {
                let namespaces = state.namespaces.iter().any(|ns| netns::exists(ns));
                let processes = state.processes.iter().any(|p| process::alive(p.pid, p.start_time));
                // Another `up` of this lab that is still creating it.
                let runner = state.phase == Phase::Creating
                    && i32::try_from(state.runner_pid).is_ok_and(|pid| process::alive(pid, 0));
                if namespaces || processes || runner {
                    return Err(LabError::AlreadyUp {
                        name: name.to_string(),
                        detail: format!("state in {}", dir.display()),
                    });
                }
                eprintln!("okapi-lab: warning: lab {name}: removing a stale state (nothing of it runs any more)");
                teardown::down_lab(name)?;
            }
            Err(LabError::NotUp { .. }) => {
                // A directory without state: an `up` that died before writing anything.
                std::fs::remove_dir_all(&dir)
                    .map_err(|error| LabError::io(format!("removing {}", dir.display()), error))?;
            }
            Err(error) => return Err(error),
        }
    }
    for node in &topology.nodes {
        let ns = topology.netns(&node.name);
        if netns::exists(&ns) {
            return Err(LabError::AlreadyUp {
                name: name.to_string(),
                detail: format!("namespace {ns} exists"),
            });
        }
    }
    Ok(())
}

/// Sets a sysctl inside a namespace (`net.ipv4.ip_forward` -> /proc/sys/net/ipv4/ip_forward).
fn set_sysctl(ns: &str, key: &str, value: &str) -> Result<(), LabError> {
    let path = format!("/proc/sys/{}", key.replace('.', "/"));
    let output = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "/bin/sh",
            "-c",
            "printf '%s\\n' \"$2\" > \"$1\"",
            "sh",
            &path,
            value,
        ])
        .output()
        .map_err(|error| LabError::io(format!("setting sysctl {key} in {ns}"), error))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(LabError::command(
            format!("sysctl {key}={value} in {ns}"),
            String::from_utf8_lossy(&output.stderr),
        ))
    }
}

fn realize(topology: &Topology) -> Result<(), LabError> {
    let name = topology.name();
    for node in &topology.nodes {
        let ns = topology.netns(&node.name);
        State::update(name, |state| state.namespaces.push(ns.clone()))?;
        netns::add(&ns)?;
        for (key, value) in &node.sysctls {
            set_sysctl(&ns, key, value)?;
        }
        if node.kind == NodeKind::Bridge {
            netns::bridge(&ns, &bridge_name(topology, &node.name))?;
        }
    }
    for node in &topology.nodes {
        node::prepare(name, node)?;
    }
    for link in &topology.links {
        let record = LinkState {
            a: link.a.to_string(),
            b: link.b.to_string(),
        };
        State::update(name, |state| state.links.push(record))?;
        let (a_ns, b_ns) = (topology.netns(&link.a.node), topology.netns(&link.b.node));
        netns::veth(&a_ns, &link.a.iface, &b_ns, &link.b.iface, link.mtu)?;
        for end in [&link.a, &link.b] {
            if topology
                .node(&end.node)
                .is_some_and(|node| node.kind == NodeKind::Bridge)
            {
                netns::enslave(
                    &topology.netns(&end.node),
                    &end.iface,
                    &bridge_name(topology, &end.node),
                )?;
            }
        }
    }
    // Nodes start in parallel (as containers would); each node's stages in order.
    let started: Vec<Result<Vec<Started>, LabError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = topology
            .nodes
            .iter()
            .filter(|node| node.kind == NodeKind::Linux)
            .map(|node| scope.spawn(move || start_node(topology, node)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(LabError::command("starting nodes", "a thread panicked")))
            })
            .collect()
    });
    let mut processes = Vec::new();
    for result in started {
        processes.extend(result?);
    }
    for node in &topology.nodes {
        run_exec(topology, node)?;
    }
    // Processes without a ready socket: give them a moment to fail on a bad configuration.
    let youngest = processes.iter().filter(|p| !p.has_ready).map(|p| p.at).max();
    if let Some(youngest) = youngest {
        let age = youngest.elapsed();
        if age < SETTLE {
            std::thread::sleep(SETTLE - age);
        }
    }
    for started in &processes {
        if !process::alive(started.pid, started.start_time) && started.name != "cmd" {
            return Err(LabError::process(
                &started.node,
                format!("{} exited during up", started.name),
                process::tail(&started.log, 3),
            ));
        }
    }
    Ok(())
}

/// A process `up` started.
struct Started {
    node: String,
    name: String,
    pid: i32,
    start_time: u64,
    log: PathBuf,
    has_ready: bool,
    at: Instant,
}

/// Starts a node's processes stage by stage, waiting for each stage's ready sockets, then
/// applies FRR's configuration.
fn start_node(topology: &Topology, node: &Node) -> Result<Vec<Started>, LabError> {
    let lab = topology.name();
    let view = node::view_of(node);
    let dir = state::node_dir(lab, &node.name);
    let ns = topology.netns(&node.name);
    let enter = dir.join("enter.sh");
    let mut all = Vec::new();
    for stage in &node.plan.stages {
        let mut started = Vec::new();
        for start in stage {
            let log = dir.join(format!("{}.log", start.name));
            let mut command = Command::new("ip");
            command.args(["netns", "exec", &ns]).arg(&enter).args(&start.argv);
            let spawned = process::spawn_detached(command, &log)?;
            let record = ProcessState {
                node: node.name.clone(),
                name: start.name.clone(),
                pid: spawned.pid,
                start_time: spawned.start_time,
                argv: start.argv.clone(),
                log: log.clone(),
            };
            State::update(lab, |state| state.processes.push(record))?;
            all.push(Started {
                node: node.name.clone(),
                name: start.name.clone(),
                pid: spawned.pid,
                start_time: spawned.start_time,
                log: log.clone(),
                has_ready: start.ready.is_some(),
                at: Instant::now(),
            });
            started.push((start, spawned, log));
        }
        for (start, spawned, log) in &started {
            let Some(ready) = &start.ready else { continue };
            let socket = view.host_path(&dir, ready);
            let deadline = Instant::now() + READY_LIMIT;
            loop {
                if socket.exists() {
                    break;
                }
                if !process::alive(spawned.pid, spawned.start_time) {
                    return Err(LabError::process(
                        &node.name,
                        format!("{} exited before it was ready", start.name),
                        process::tail(log, 3),
                    ));
                }
                if Instant::now() >= deadline {
                    return Err(LabError::process(
                        &node.name,
                        format!(
                            "{} not ready after {}s (no {})",
                            start.name,
                            READY_LIMIT.as_secs(),
                            ready.display()
                        ),
                        process::tail(log, 3),
                    ));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    if node.plan.vtysh_boot && node.plan.family == Family::Frr {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &ns]).arg(&enter).args(["vtysh", "-b"]);
        let output = process::run_with_timeout(command, VTYSH_LIMIT)
            .map_err(|error| LabError::io(format!("node {}: running vtysh -b", node.name), error))?;
        let log = dir.join("vtysh-b.log");
        let text = output
            .as_ref()
            .map(|output| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                )
            })
            .unwrap_or_default();
        let _ = std::fs::write(&log, &text);
        match output {
            Some(output) if output.status.success() => {}
            Some(output) => {
                return Err(LabError::process(
                    &node.name,
                    format!("vtysh -b (applying /etc/frr/frr.conf) failed with {}", output.status),
                    text,
                ));
            }
            None => {
                return Err(LabError::process(
                    &node.name,
                    "vtysh -b (applying /etc/frr/frr.conf)",
                    format!("no answer after {}s", VTYSH_LIMIT.as_secs()),
                ));
            }
        }
    }
    Ok(all)
}

/// Runs a node's `exec` lines in order through `sh -c` in its view; each must succeed.
fn run_exec(topology: &Topology, node: &Node) -> Result<(), LabError> {
    if node.exec.is_empty() {
        return Ok(());
    }
    let dir = state::node_dir(topology.name(), &node.name);
    let ns = topology.netns(&node.name);
    let enter = dir.join("enter.sh");
    let log_path = dir.join("exec.log");
    let mut log = String::new();
    for (index, line) in node.exec.iter().enumerate() {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &ns])
            .arg(&enter)
            .args(["/bin/sh", "-c", line]);
        let output = process::run_with_timeout(command, EXEC_LIMIT)
            .map_err(|error| LabError::io(format!("node {}: exec `{line}`", node.name), error))?;
        let Some(output) = output else {
            let _ = std::fs::write(&log_path, &log);
            return Err(LabError::process(
                &node.name,
                format!("exec[{index}] `{line}`"),
                format!("still running after {}s", EXEC_LIMIT.as_secs()),
            ));
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        log.push_str(&format!("$ {line}\n{stdout}{stderr}[{}]\n", output.status));
        if !output.status.success() {
            let _ = std::fs::write(&log_path, &log);
            return Err(LabError::process(
                &node.name,
                format!("exec[{index}] `{line}` failed ({})", output.status),
                format!("{stderr}{stdout}"),
            ));
        }
    }
    std::fs::write(&log_path, &log).map_err(|error| LabError::io(format!("writing {}", log_path.display()), error))
}
