//! The state of a lab: `/run/okapi-lab/<lab>/state.json`, written before each thing is created
//! (namespaces, host paths, links) and right after each process starts, so that `down` can
//! clean up after a runner that crashed midway.

use std::fs::File;
use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::LabError;

/// Where labs keep their state.
pub const STATE_ROOT: &str = "/run/okapi-lab";

/// Version of the state file format.
const FORMAT: u32 = 1;

pub fn lab_dir(lab: &str) -> PathBuf {
    Path::new(STATE_ROOT).join(lab)
}

pub fn node_dir(lab: &str, node: &str) -> PathBuf {
    lab_dir(lab).join(node)
}

pub fn state_path(lab: &str) -> PathBuf {
    lab_dir(lab).join("state.json")
}

/// How far `up` got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Creating,
    Up,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    pub name: String,
    pub kind: String,
    pub image: Option<String>,
    /// What the image started as: okapi, frr, bird, ..., plain, bridge.
    pub family: String,
    pub netns: String,
    pub dir: PathBuf,
    /// `<dir>/enter.sh` (linux and bridge nodes alike).
    pub enter: PathBuf,
    /// The bridge device inside a kind bridge node's namespace.
    pub bridge: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkState {
    pub a: String,
    pub b: String,
}

/// A path created on the host filesystem (a missing mount point), removed at `down`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPath {
    pub path: PathBuf,
    pub is_dir: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessState {
    pub node: String,
    pub name: String,
    pub pid: i32,
    /// `/proc/<pid>/stat` start time, so that a reused PID is never signalled.
    pub start_time: u64,
    pub argv: Vec<String>,
    pub log: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureState {
    pub node: String,
    pub iface: String,
    pub file: PathBuf,
    pub pid: i32,
    pub start_time: u64,
    pub log: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub format: u32,
    pub name: String,
    pub topology: PathBuf,
    pub phase: Phase,
    /// PID of the process that ran `up`.
    pub runner_pid: u32,
    pub nodes: Vec<NodeState>,
    /// Namespaces, each recorded before `ip netns add`.
    pub namespaces: Vec<String>,
    pub links: Vec<LinkState>,
    /// Host paths this lab created (recorded before creation).
    pub host_paths: Vec<HostPath>,
    /// Host paths this lab mounts over: another lab's `down` leaves them in place.
    pub host_paths_used: Vec<PathBuf>,
    pub processes: Vec<ProcessState>,
    pub captures: Vec<CaptureState>,
}

impl State {
    pub(crate) fn new(name: &str, topology: &Path) -> State {
        State {
            format: FORMAT,
            name: name.to_string(),
            topology: topology.to_path_buf(),
            phase: Phase::Creating,
            runner_pid: std::process::id(),
            nodes: Vec::new(),
            namespaces: Vec::new(),
            links: Vec::new(),
            host_paths: Vec::new(),
            host_paths_used: Vec::new(),
            processes: Vec::new(),
            captures: Vec::new(),
        }
    }

    pub fn node(&self, name: &str) -> Option<&NodeState> {
        self.nodes.iter().find(|node| node.name == name)
    }

    /// Reads the state of lab `lab`.
    pub fn load(lab: &str) -> Result<State, LabError> {
        let path = state_path(lab);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(LabError::NotUp {
                    name: lab.to_string(),
                    state: path.display().to_string(),
                });
            }
            Err(error) => return Err(LabError::io(format!("reading {}", path.display()), error)),
        };
        serde_json::from_str(&text).map_err(|error| LabError::state(&path, format!("not a state file: {error}")))
    }

    /// Writes the state atomically (temporary file, then rename).
    pub(crate) fn save(&self) -> Result<(), LabError> {
        let path = state_path(&self.name);
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)
            .map_err(|error| LabError::state(&path, format!("cannot serialize: {error}")))?;
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            std::fs::rename(&temporary, &path)
        };
        write().map_err(|error| LabError::io(format!("writing {}", path.display()), error))
    }

    /// Locks the lab's state, rereads it, applies `change` and writes it back. Used by
    /// everything that changes a lab after `up` (captures) and by `up` itself.
    pub(crate) fn update<T>(lab: &str, change: impl FnOnce(&mut State) -> T) -> Result<(T, State), LabError> {
        let _lock = DirLock::exclusive(&lab_dir(lab))?;
        let mut state = State::load(lab)?;
        let result = change(&mut state);
        state.save()?;
        Ok((result, state))
    }
}

/// Names of the labs that have a state file, sorted.
pub fn labs() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(STATE_ROOT)
        .map(|dir| {
            dir.flatten()
                .filter(|entry| entry.path().join("state.json").exists())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// An exclusive `flock` on a directory, released when dropped. The root directory's lock
/// serializes host path creation and removal between labs; a lab directory's lock serializes
/// changes to its state.
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn exclusive(dir: &Path) -> Result<DirLock, LabError> {
        let file = File::open(dir).map_err(|error| LabError::io(format!("opening {}", dir.display()), error))?;
        loop {
            // SAFETY: flock on a descriptor we own; no memory is involved.
            let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if result == 0 {
                return Ok(DirLock { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(LabError::io(format!("locking {}", dir.display()), error));
            }
        }
    }
}

/// Creates the state root if needed (mode 0755).
pub(crate) fn ensure_root() -> Result<(), LabError> {
    std::fs::create_dir_all(STATE_ROOT).map_err(|error| LabError::io(format!("creating {STATE_ROOT}"), error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_through_json() {
        let mut state = State::new("lab1", Path::new("/t/lab1.clab.yml"));
        state.namespaces.push("clab-lab1-a".to_string());
        state.processes.push(ProcessState {
            node: "a".to_string(),
            name: "zebra".to_string(),
            pid: 42,
            start_time: 7,
            argv: vec!["/usr/lib/frr/zebra".to_string()],
            log: PathBuf::from("/run/okapi-lab/lab1/a/zebra.log"),
        });
        let text = serde_json::to_string(&state).unwrap_or_default();
        let back: State = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"));
        assert_eq!(back, state);
        assert!(text.contains("\"phase\":\"creating\""), "{text}");
        assert_eq!(node_dir("lab1", "a"), PathBuf::from("/run/okapi-lab/lab1/a"));
    }
}
