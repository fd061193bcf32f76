//! `Lab`: a lab that is up (from `up` or its state): its nodes, exec, command, capture, down;
//! and `LabGuard`, which brings it down when dropped. Bringing up is in `up.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::capture::Capture;
use crate::error::LabError;
use crate::state::{NodeState, State};
use crate::teardown;
use crate::topology::Topology;

/// True when running as root (effective UID 0).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A lab that is up (or was being brought up), as recorded in its state.
#[derive(Debug, Clone)]
pub struct Lab {
    state: State,
}

impl Lab {
    /// Validates the topology file, then brings the lab up. Warnings (ignored keys) go to
    /// stderr. On a failure midway, everything created so far is torn down.
    pub fn up(path: &Path) -> Result<Lab, LabError> {
        let topology = Topology::load(path)?;
        for warning in topology.warnings() {
            eprintln!("okapi-lab: warning: {warning}");
        }
        Lab::up_topology(&topology)
    }

    /// Brings up an already loaded topology.
    pub fn up_topology(topology: &Topology) -> Result<Lab, LabError> {
        crate::up::up(topology).map(|state| Lab { state })
    }

    /// A lab that is up, from its state file.
    pub fn open(name: &str) -> Result<Lab, LabError> {
        Ok(Lab {
            state: State::load(name)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// Node names in topology order.
    pub fn nodes(&self) -> Vec<String> {
        self.state.nodes.iter().map(|node| node.name.clone()).collect()
    }

    /// The topology file the lab was brought up from.
    pub fn topology_file(&self) -> &Path {
        &self.state.topology
    }

    /// The namespace of `node` (`clab-<lab>-<node>`).
    pub fn netns(&self, node: &str) -> Result<String, LabError> {
        Ok(self.node(node)?.netns.clone())
    }

    /// The node's directory in the state dir: its logs (`<process>.log`, `exec.log`), its
    /// `enter.sh` and its private directories under `fs/`.
    pub fn node_dir(&self, node: &str) -> Result<PathBuf, LabError> {
        Ok(self.node(node)?.dir.clone())
    }

    /// The state as recorded (processes with their PIDs, namespaces, captures).
    pub fn state(&self) -> &State {
        &self.state
    }

    pub(crate) fn node(&self, node: &str) -> Result<&NodeState, LabError> {
        self.state.node(node).ok_or_else(|| LabError::UnknownNode {
            lab: self.state.name.clone(),
            node: node.to_string(),
            nodes: self.nodes().join(", "),
        })
    }

    /// A command running `argv` on `node`: in its network namespace and filesystem view, with
    /// its env. Stdio is left to the caller (inherited unless set).
    pub fn command(&self, node: &str, argv: &[&str]) -> Result<Command, LabError> {
        let node = self.node(node)?;
        if argv.is_empty() {
            return Err(LabError::command(format!("exec on {}", node.name), "no command given"));
        }
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &node.netns]).arg(&node.enter).args(argv);
        Ok(command)
    }

    /// Runs `argv` on `node` to completion and returns its output (status, stdout, stderr).
    pub fn exec(&self, node: &str, argv: &[&str]) -> Result<std::process::Output, LabError> {
        if !is_root() {
            return Err(LabError::NotRoot);
        }
        let mut command = self.command(node, argv)?;
        command.stdin(std::process::Stdio::null());
        command
            .output()
            .map_err(|error| LabError::io(format!("running {} on {node}", argv.join(" ")), error))
    }

    /// Starts tshark on `node`'s interface `iface`, writing classic pcap to `file`; returns
    /// once tshark says "Capturing on". [`Capture::stop`] ends it; `down` stops forgotten ones.
    pub fn capture(&self, node: &str, iface: &str, file: &Path) -> Result<Capture, LabError> {
        Capture::start(self, node, iface, file)
    }

    /// Stops everything of the lab and removes it.
    pub fn down(self) -> Result<(), LabError> {
        teardown::down_lab(&self.state.name)
    }
}

/// A lab that goes down when dropped (errors are printed, not returned). Derefs to [`Lab`].
#[derive(Debug)]
pub struct LabGuard {
    lab: Lab,
    armed: bool,
}

impl LabGuard {
    pub fn new(lab: Lab) -> LabGuard {
        LabGuard { lab, armed: true }
    }

    /// `Lab::up` wrapped in a guard.
    pub fn up(path: &Path) -> Result<LabGuard, LabError> {
        Lab::up(path).map(LabGuard::new)
    }

    /// Brings the lab down now, returning the error if any.
    pub fn down(mut self) -> Result<(), LabError> {
        self.armed = false;
        teardown::down_lab(&self.lab.state.name)
    }

    /// The lab, no longer brought down on drop.
    pub fn into_inner(mut self) -> Lab {
        self.armed = false;
        self.lab.clone()
    }
}

impl std::ops::Deref for LabGuard {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.lab
    }
}

impl Drop for LabGuard {
    fn drop(&mut self) {
        if self.armed
            && let Err(error) = teardown::down_lab(&self.lab.state.name)
        {
            eprintln!("okapi-lab: down {}: {error}", self.lab.state.name);
        }
    }
}
