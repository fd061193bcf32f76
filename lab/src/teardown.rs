//! `down`: stops captures and processes (recorded ones, then anything else in the lab's
//! namespaces), deletes the namespaces (and with them veths and bridges), removes the host
//! paths the lab created and its state directory. Also `leftovers`, which says what remains.

use std::path::Path;

use nix::sys::signal::Signal;

use crate::error::LabError;
use crate::lab::is_root;
use crate::netns;
use crate::node;
use crate::process;
use crate::state::{self, State};
use crate::topology::netns_name;

/// Brings down the lab named `name_or_file`, or the lab of the topology file of that path.
/// A lab that is not up is not an error (nothing to do).
pub fn down(name_or_file: &str) -> Result<(), LabError> {
    let name = lab_name(name_or_file)?;
    down_lab(&name)
}

/// The lab a command-line argument means: a topology file's `name:`, else the argument.
pub fn lab_name(name_or_file: &str) -> Result<String, LabError> {
    let path = Path::new(name_or_file);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|error| LabError::io(format!("reading {}", path.display()), error))?;
        let value: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|error| LabError::topology(path, format!("not YAML: {error}")))?;
        return value
            .get("name")
            .and_then(serde_yaml::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| LabError::topology(path, "no `name:` (the lab's name)"));
    }
    if name_or_file.is_empty() || name_or_file.contains('/') || name_or_file.starts_with('.') {
        return Err(LabError::NotUp {
            name: name_or_file.to_string(),
            state: "such topology file or lab name".to_string(),
        });
    }
    Ok(name_or_file.to_string())
}

/// Brings lab `name` down from its state.
pub(crate) fn down_lab(name: &str) -> Result<(), LabError> {
    if !is_root() {
        return Err(LabError::NotRoot);
    }
    let dir = state::lab_dir(name);
    let state = match State::load(name) {
        Ok(state) => state,
        Err(LabError::NotUp { .. }) => {
            if dir.exists() {
                // `up` died between creating the directory and writing the first state.
                std::fs::remove_dir_all(&dir)
                    .map_err(|error| LabError::io(format!("removing {}", dir.display()), error))?;
            }
            return Ok(());
        }
        Err(error) => return Err(error),
    };

    // Captures first (SIGINT lets tshark finish its file), then the lab's processes.
    let captures: Vec<(i32, u64, bool)> = state
        .captures
        .iter()
        .map(|capture| (capture.pid, capture.start_time, false))
        .collect();
    if captures.iter().any(|(pid, start, _)| process::alive(*pid, *start)) {
        // As Capture::stop: let the packets tshark has seen reach the file.
        std::thread::sleep(crate::capture::FLUSH_DELAY);
    }
    process::stop_all(&captures, Signal::SIGINT, process::GRACE);
    let recorded: Vec<(i32, u64, bool)> = state
        .processes
        .iter()
        .map(|process| (process.pid, process.start_time, true))
        .collect();
    process::stop_all(&recorded, Signal::SIGTERM, process::GRACE);

    // Anything else still running in the lab's namespaces (exec'd shells, forked children).
    let namespaces: Vec<&String> = state.namespaces.iter().filter(|ns| netns::exists(ns)).collect();
    for _round in 0..2 {
        let strays: Vec<(i32, u64, bool)> = namespaces
            .iter()
            .flat_map(|ns| netns::pids(ns))
            .filter(|pid| *pid > 1 && *pid != std::process::id() as i32)
            .map(|pid| (pid, process::start_time(pid).unwrap_or(0), false))
            .collect();
        if strays.is_empty() {
            break;
        }
        process::stop_all(&strays, Signal::SIGTERM, process::GRACE);
    }

    let mut problems = Vec::new();
    for ns in namespaces {
        if let Err(error) = netns::delete(ns) {
            problems.push(error.to_string());
        }
    }
    // Host paths that stay (not empty) are reported by the leftovers check below.
    let _kept = node::remove_host_paths(name, &state.host_paths);
    if let Err(error) = std::fs::remove_dir_all(&dir) {
        if error.kind() != std::io::ErrorKind::NotFound {
            problems.push(format!("removing {}: {error}", dir.display()));
        }
    }
    let left = leftovers_of(name, Some(&state));
    problems.extend(left);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LabError::Leftovers {
            name: name.to_string(),
            left: problems.join("; "),
        })
    }
}

/// What still exists of lab `lab`: its namespaces, processes, host paths and state directory,
/// one human-readable line each. Empty when the lab is completely gone.
pub fn leftovers(lab: &str) -> Vec<String> {
    let state = State::load(lab).ok();
    leftovers_of(lab, state.as_ref())
}

fn leftovers_of(lab: &str, state: Option<&State>) -> Vec<String> {
    let mut left = Vec::new();
    let dir = state::lab_dir(lab);
    if dir.exists() {
        left.push(format!("state directory {}", dir.display()));
    }
    // Namespaces named like the lab's, unless another lab's state claims them (lab `a` and
    // lab `a-b` share the prefix `clab-a-`).
    let prefix = format!("clab-{lab}-");
    let others: Vec<State> = state::labs()
        .into_iter()
        .filter(|name| name != lab)
        .filter_map(|name| State::load(&name).ok())
        .collect();
    let mut namespaces: Vec<String> = netns::list()
        .into_iter()
        .filter(|ns| ns.starts_with(&prefix))
        .filter(|ns| !others.iter().any(|other| other.namespaces.contains(ns)))
        .collect();
    if let Some(state) = state {
        for node in &state.nodes {
            let ns = netns_name(lab, &node.name);
            if netns::exists(&ns) && !namespaces.contains(&ns) {
                namespaces.push(ns);
            }
        }
    }
    for ns in &namespaces {
        left.push(format!("namespace {ns}"));
        for pid in netns::pids(ns) {
            left.push(format!("process {pid} in namespace {ns}"));
        }
    }
    if let Some(state) = state {
        for process in &state.processes {
            if process::alive(process.pid, process.start_time) {
                left.push(format!(
                    "process {} ({} on {})",
                    process.pid, process.name, process.node
                ));
            }
        }
        for capture in &state.captures {
            if process::alive(capture.pid, capture.start_time) {
                left.push(format!(
                    "capture process {} (tshark on {}:{})",
                    capture.pid, capture.node, capture.iface
                ));
            }
        }
        for host in &state.host_paths {
            let claimed = others.iter().any(|other| {
                other.host_paths.iter().any(|created| created.path == host.path)
                    || other.host_paths_used.iter().any(|used| used.starts_with(&host.path))
            });
            if !claimed && std::fs::symlink_metadata(&host.path).is_ok() {
                left.push(format!("host path {}", host.path.display()));
            }
        }
    }
    left
}
