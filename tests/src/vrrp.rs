//! Helpers of the VRRP lab tests and benchmarks: signals, keepalived crashes, captures read
//! with tshark.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Sends `kill -NAME` to `pid`; panics when kill fails.
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// A crash as lab-notes describes it: the parent stopped (so it cannot clean up), the VRRP
/// child killed, then the parent.
pub fn crash_keepalived(parent: u32, child: u32) {
    // Orphans come to us (their nearest subreaper) instead of an init that may be slow to
    // reap them: a zombie VRRP child keeps its pid taken, and the next keepalived says
    // "daemon is already running".
    let _ = nix::sys::prctl::set_child_subreaper(true);
    signal(parent, "STOP");
    signal(child, "KILL");
    signal(parent, "KILL");
    reap(parent);
    reap(child);
}

/// Collects `pid` once it has ended (it is our child, or our orphan as a subreaper); gives up
/// after 2 s.
fn reap(pid: u32) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(0));
    for _ in 0..200 {
        match nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Ok(nix::sys::wait::WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(10)),
            _ => return,
        }
    }
}

/// What tshark makes of a capture: `fields` of the frames matching `filter`.
pub fn tshark(file: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args: Vec<String> = vec!["-r".into(), file.display().to_string(), "-Y".into(), filter.into()];
    args.extend(["-T", "fields", "-E", "separator=|"].map(String::from));
    for field in fields {
        args.extend(["-e".to_string(), (*field).to_string()]);
    }
    let output = Command::new("tshark").args(&args).output().expect("tshark");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('|').map(str::to_string).collect())
        .collect()
}

/// The first `frame.time_epoch` (seconds) of the frames matching `filter` at or after
/// `after`, and the last one before `before`: what a failover time is read from.
pub fn first_after(file: &Path, filter: &str, after: f64) -> Option<f64> {
    tshark(file, filter, &["frame.time_epoch"])
        .iter()
        .filter_map(|fields| fields.first()?.parse::<f64>().ok())
        .find(|time| *time >= after)
}

pub fn last_before(file: &Path, filter: &str, before: f64) -> Option<f64> {
    tshark(file, filter, &["frame.time_epoch"])
        .iter()
        .filter_map(|fields| fields.first()?.parse::<f64>().ok())
        .filter(|time| *time <= before)
        .reduce(f64::max)
}
