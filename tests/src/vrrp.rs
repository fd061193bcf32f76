//! Helpers of the VRRP lab tests and benchmarks: signals, keepalived crashes, captures read
//! with tshark.

use std::path::{Path, PathBuf};
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

/// Writes the lab of the VRRP benchmarks into `dir` as `<name>.clab.yml` and returns it: an
/// okapi-vrrpd pair (o1 192.0.2.1 with `o1.toml`, o2 192.0.2.2 with `o2.toml`) and a
/// keepalived pair (k1 192.0.2.11 with `k1.conf`, k2 192.0.2.12 with `k2.conf`), each on a
/// bridge of its own. The caller writes the four configuration files into `dir`.
pub fn write_two_pairs_lab(dir: &Path, name: &str, written_by: &str) -> PathBuf {
    let topology = format!(
        r#"name: {name}
topology:
  nodes:
    lan-o:
      kind: bridge
    lan-k:
      kind: bridge
    o1:
      kind: linux
      image: okapi:latest
      binds: ["o1.toml:/etc/okapi/okapi.toml:ro"]
      exec: ["ip address add 192.0.2.1/24 dev eth1"]
    o2:
      kind: linux
      image: okapi:latest
      binds: ["o2.toml:/etc/okapi/okapi.toml:ro"]
      exec: ["ip address add 192.0.2.2/24 dev eth1"]
    k1:
      kind: linux
      image: keepalived:2.2
      binds: ["k1.conf:/etc/keepalived/keepalived.conf:ro"]
      exec: ["ip address add 192.0.2.11/24 dev eth1"]
    k2:
      kind: linux
      image: keepalived:2.2
      binds: ["k2.conf:/etc/keepalived/keepalived.conf:ro"]
      exec: ["ip address add 192.0.2.12/24 dev eth1"]
  links:
    - endpoints: ["o1:eth1", "lan-o:o1-eth1"]
    - endpoints: ["o2:eth1", "lan-o:o2-eth1"]
    - endpoints: ["k1:eth1", "lan-k:k1-eth1"]
    - endpoints: ["k2:eth1", "lan-k:k2-eth1"]
# written by {written_by}
"#
    );
    let file = dir.join(format!("{name}.clab.yml"));
    std::fs::write(&file, topology).expect("topology");
    file
}
