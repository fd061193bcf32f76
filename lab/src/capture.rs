//! Packet captures: tshark on a node's interface (in its network namespace, writing classic
//! pcap to a host path), started detached, recorded in the lab's state so that `down` stops a
//! forgotten one, ready once tshark prints "Capturing on".

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::error::LabError;
use crate::lab::{Lab, is_root};
use crate::netns;
use crate::process;
use crate::state::{CaptureState, State};

/// How long tshark may take to say "Capturing on".
const START_LIMIT: Duration = Duration::from_secs(15);

/// How long `stop` waits before SIGINT, so that packets already seen reach the file.
pub(crate) const FLUSH_DELAY: Duration = Duration::from_millis(500);

/// How long tshark may take to finish its file after SIGINT.
const STOP_LIMIT: Duration = Duration::from_secs(5);

/// A running capture. [`Capture::stop`] sends SIGINT and waits for tshark to finish the file;
/// dropping a capture stops it too, unless it was [`Capture::detach`]ed.
#[derive(Debug)]
pub struct Capture {
    lab: String,
    node: String,
    iface: String,
    file: PathBuf,
    log: PathBuf,
    pid: i32,
    start_time: u64,
    active: bool,
}

impl Capture {
    pub(crate) fn start(lab: &Lab, node: &str, iface: &str, file: &Path) -> Result<Capture, LabError> {
        if !is_root() {
            return Err(LabError::NotRoot);
        }
        let ns = lab.netns(node)?;
        let what = format!("capture on {node}:{iface}");
        if !netns::has_link(&ns, iface) {
            return Err(LabError::command(what, format!("node {node} has no interface {iface}")));
        }
        let tshark = ["/usr/bin/tshark", "/usr/sbin/tshark"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .ok_or_else(|| LabError::command(&what, "tshark is missing (apt-get install tshark)"))?;
        let file =
            std::path::absolute(file).map_err(|error| LabError::io(format!("{what}: {}", file.display()), error))?;
        if let Some(parent) = file.parent()
            && !parent.is_dir()
        {
            return Err(LabError::command(
                what,
                format!("directory {} does not exist", parent.display()),
            ));
        }
        let dir = lab.node_dir(node)?;
        let log = (0..)
            .map(|n| dir.join(format!("capture-{iface}-{n}.log")))
            .find(|candidate| !candidate.exists())
            .unwrap_or_else(|| dir.join(format!("capture-{iface}.log")));
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &ns, tshark, "-i", iface, "-F", "pcap", "-q", "-w"])
            .arg(&file);
        let spawned = process::spawn_detached(command, &log)?;
        drop(spawned.child);
        let record = CaptureState {
            node: node.to_string(),
            iface: iface.to_string(),
            file: file.clone(),
            pid: spawned.pid,
            start_time: spawned.start_time,
            log: log.clone(),
        };
        let mut capture = Capture {
            lab: lab.name().to_string(),
            node: node.to_string(),
            iface: iface.to_string(),
            file,
            log: log.clone(),
            pid: spawned.pid,
            start_time: spawned.start_time,
            active: true,
        };
        if let Err(error) = State::update(lab.name(), |state| state.captures.push(record)) {
            let _ = capture.stop_inner();
            return Err(error);
        }
        let deadline = Instant::now() + START_LIMIT;
        loop {
            // tshark prints "Capturing on" before dumpcap has opened the interface; the capture
            // runs once dumpcap reports "Capture started" or has written the pcap header.
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let header = std::fs::metadata(&capture.file).is_ok_and(|meta| meta.len() >= 24);
            if text.contains("Capturing on") && (text.contains("Capture started") || header) {
                return Ok(capture);
            }
            if !process::alive(capture.pid, capture.start_time) {
                let _ = capture.stop_inner();
                return Err(LabError::command(
                    what,
                    format!("tshark exited: {}", process::tail(&log, 3)),
                ));
            }
            if Instant::now() >= deadline {
                let _ = capture.stop_inner();
                return Err(LabError::command(
                    what,
                    format!(
                        "tshark did not say \"Capturing on\" within {}s: {}",
                        START_LIMIT.as_secs(),
                        process::tail(&log, 3)
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The pcap file (absolute).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// tshark's PID (inside `ip netns exec`, which execs it: the same process).
    pub fn pid(&self) -> u32 {
        u32::try_from(self.pid).unwrap_or_default()
    }

    /// tshark's output (its "Capturing on" line, errors, packet count).
    pub fn log(&self) -> &Path {
        &self.log
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn iface(&self) -> &str {
        &self.iface
    }

    pub fn is_running(&self) -> bool {
        process::alive(self.pid, self.start_time)
    }

    /// Waits 0.5 s (so that packets already on the wire reach the file), sends SIGINT and waits
    /// (up to 5 s, then SIGKILL) for tshark to finish the file.
    pub fn stop(mut self) -> Result<(), LabError> {
        self.stop_inner()
    }

    /// Leaves tshark running (it stays recorded in the lab's state; `down` stops it).
    pub fn detach(mut self) -> u32 {
        self.active = false;
        self.pid()
    }

    fn stop_inner(&mut self) -> Result<(), LabError> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        // dumpcap reads the kernel's packet ring in blocks retired every 250 ms; a packet in a
        // block still open when tshark stops is lost. Let the last block reach the file.
        if process::alive(self.pid, self.start_time) {
            std::thread::sleep(FLUSH_DELAY);
        }
        let left = process::stop_all(&[(self.pid, self.start_time, false)], Signal::SIGINT, STOP_LIMIT);
        let (pid, start) = (self.pid, self.start_time);
        // The lab may be down already; then there is no state to update.
        let _ = State::update(&self.lab, |state| {
            state.captures.retain(|c| !(c.pid == pid && c.start_time == start))
        });
        if left.is_empty() {
            Ok(())
        } else {
            Err(LabError::command(
                format!("stopping the capture on {}:{}", self.node, self.iface),
                "tshark survived SIGKILL",
            ))
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if self.active
            && let Err(error) = self.stop_inner()
        {
            eprintln!("okapi-lab: {error}");
        }
    }
}
