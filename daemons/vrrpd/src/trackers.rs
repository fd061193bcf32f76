//! Trackers: what tells an instance that its node should not hold the VIPs.
//!
//! ```text
//!   http tracker ─ task: probe every interval (okapi_runtime::health::probe) ─┐
//!   exec tracker ─ task: run the program every interval, exit 0 = up ────────┼─► Report ─► main loop
//!   interface tracker: the link's operational state, from netlink ────────────┘   (RiseFall per tracker)
//!                                                                                       │
//!           instance priority = configured ± weights, or Fault when a weightless tracker is down
//! ```
//!
//! Probes never overlap: the next starts one interval after the previous one started, or at
//! once when it took longer. HTTP and exec trackers start down and need `rise` successes
//! (a node whose balancer has not answered yet must not take the VIPs); a refused connection
//! takes an HTTP tracker down at once (the balancer is not listening). Interface trackers
//! follow the link at once, without rise/fall.

use std::time::{Duration, Instant};

use okapi_runtime::health::{HttpCheck, ProbeOutcome, RiseFall, probe};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{TrackerKind, TrackerSpec};

/// Reports waiting for the main loop at most (each tracker has at most one in flight).
pub const REPORT_QUEUE: usize = 256;

/// One probe's result, sent to the main loop.
#[derive(Debug)]
pub struct Report {
    pub tracker: String,
    pub outcome: ProbeOutcome,
}

/// A tracker as the main loop keeps it.
pub struct Tracker {
    pub spec: TrackerSpec,
    state: RiseFall,
    /// For interface trackers: whether the link is operational (None: no such link).
    link_up: Option<bool>,
    task: Option<JoinHandle<()>>,
    last_change: Option<Instant>,
}

impl Tracker {
    /// Starts the probing task of an http or exec tracker, down until `rise` successes.
    pub fn start(spec: TrackerSpec, reports: mpsc::Sender<Report>) -> Tracker {
        Tracker::start_with(spec, reports, false)
    }

    /// [`Tracker::start`] with the initial state given: a reload that changes a tracker's
    /// settings keeps its verdict rather than faulting its instances until `rise` probes.
    pub fn start_with(spec: TrackerSpec, reports: mpsc::Sender<Report>, initially_up: bool) -> Tracker {
        let task = match &spec.kind {
            TrackerKind::Http { url, expect_status } => {
                let check = HttpCheck {
                    url: url.clone(),
                    expect_status: expect_status.clone(),
                    timeout: spec.timeout,
                };
                let name = spec.name.clone();
                let interval = spec.interval;
                Some(tokio::spawn(async move {
                    probe_loop(name, interval, reports, move || {
                        let check = check.clone();
                        async move { probe(&check).await }
                    })
                    .await;
                }))
            }
            TrackerKind::Exec { command } => {
                let command = command.clone();
                let name = spec.name.clone();
                let interval = spec.interval;
                let timeout = spec.timeout;
                Some(tokio::spawn(async move {
                    probe_loop(name, interval, reports, move || {
                        let command = command.clone();
                        async move { run_check(&command, timeout).await }
                    })
                    .await;
                }))
            }
            TrackerKind::Interface { .. } => None,
        };
        Tracker {
            state: RiseFall::new(spec.rise, spec.fall, initially_up),
            spec,
            link_up: None,
            task,
            last_change: None,
        }
    }

    pub fn is_up(&self) -> bool {
        match self.spec.kind {
            TrackerKind::Interface { .. } => self.link_up == Some(true),
            _ => self.state.is_up(),
        }
    }

    /// Applies a probe result; true when the tracker changed state.
    pub fn record(&mut self, outcome: &ProbeOutcome, now: Instant) -> bool {
        let changed = self.state.record(outcome).is_some();
        if changed {
            self.last_change = Some(now);
        }
        changed
    }

    /// For an interface tracker: the link `name` is (`Some(true)`), is not (`Some(false)`)
    /// operational, or does not exist (`None`). True when the tracker changed state.
    pub fn set_link(&mut self, up: Option<bool>, now: Instant) -> bool {
        let before = self.is_up();
        self.link_up = up;
        let changed = before != self.is_up();
        if changed {
            self.last_change = Some(now);
        }
        changed
    }

    pub fn interface(&self) -> Option<&str> {
        match &self.spec.kind {
            TrackerKind::Interface { name } => Some(name),
            _ => None,
        }
    }

    pub fn view(&self, now: Instant) -> Value {
        let mut view = json!({
            "name": self.spec.name,
            "kind": match self.spec.kind {
                TrackerKind::Http { .. } => "http",
                TrackerKind::Interface { .. } => "interface",
                TrackerKind::Exec { .. } => "exec",
            },
            "target": self.spec.kind.describe(),
            "up": self.is_up(),
            "interval_ms": self.spec.interval.as_millis(),
            "timeout_ms": self.spec.timeout.as_millis(),
            "rise": self.spec.rise,
            "fall": self.spec.fall,
            "last_change_secs_ago": self.last_change.map(|at| now.saturating_duration_since(at).as_secs_f64()),
        });
        if self.interface().is_some() {
            view["link"] = json!(match self.link_up {
                Some(true) => "up",
                Some(false) => "down",
                None => "missing",
            });
        } else {
            view["checks"] = self.state.view();
        }
        view
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn probe_loop<F, Fut>(name: String, interval: Duration, reports: mpsc::Sender<Report>, mut probe_once: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ProbeOutcome>,
{
    let mut next = tokio::time::Instant::now();
    loop {
        tokio::time::sleep_until(next).await;
        let started = tokio::time::Instant::now();
        let outcome = probe_once().await;
        if reports
            .send(Report {
                tracker: name.clone(),
                outcome,
            })
            .await
            .is_err()
        {
            return;
        }
        next = (started + interval).max(tokio::time::Instant::now());
    }
}

/// Runs an exec check: exit status 0 within `timeout` is up.
async fn run_check(command: &[String], timeout: Duration) -> ProbeOutcome {
    let started = Instant::now();
    let Some((program, arguments)) = command.split_first() else {
        return ProbeOutcome::Down {
            reason: "no program".into(),
            refused: false,
            elapsed: Duration::ZERO,
        };
    };
    let spawned = tokio::process::Command::new(program)
        .args(arguments)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            return ProbeOutcome::Down {
                reason: format!("cannot start {program}: {error}"),
                refused: false,
                elapsed: started.elapsed(),
            };
        }
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => ProbeOutcome::Up {
            status: 0,
            elapsed: started.elapsed(),
        },
        Ok(Ok(status)) => ProbeOutcome::Down {
            reason: format!("{program}: {status}"),
            refused: false,
            elapsed: started.elapsed(),
        },
        Ok(Err(error)) => ProbeOutcome::Down {
            reason: format!("{program}: {error}"),
            refused: false,
            elapsed: started.elapsed(),
        },
        Err(_) => {
            let _ = child.kill().await;
            ProbeOutcome::Down {
                reason: format!("{program}: no exit within {} ms", timeout.as_millis()),
                refused: false,
                elapsed: started.elapsed(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exec_checks_follow_the_exit_status() {
        let up = run_check(&["/bin/true".to_string()], Duration::from_secs(2)).await;
        assert!(matches!(up, ProbeOutcome::Up { .. }), "{up:?}");
        let down = run_check(&["/bin/false".to_string()], Duration::from_secs(2)).await;
        assert!(matches!(down, ProbeOutcome::Down { .. }), "{down:?}");
        let slow = run_check(&["/bin/sleep".to_string(), "5".to_string()], Duration::from_millis(100)).await;
        assert!(
            matches!(&slow, ProbeOutcome::Down { reason, elapsed, .. } if reason.contains("no exit") && *elapsed < Duration::from_secs(2)),
            "{slow:?}"
        );
        let missing = run_check(&["/nonexistent/check".to_string()], Duration::from_secs(1)).await;
        assert!(
            matches!(&missing, ProbeOutcome::Down { reason, .. } if reason.contains("cannot start")),
            "{missing:?}"
        );
    }

    #[tokio::test]
    async fn an_exec_tracker_rises_after_rise_successes() {
        let spec = TrackerSpec {
            name: "t".into(),
            kind: TrackerKind::Exec {
                command: vec!["/bin/true".into()],
            },
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(1),
            rise: 2,
            fall: 2,
        };
        let (sender, mut reports) = mpsc::channel(REPORT_QUEUE);
        let mut tracker = Tracker::start(spec, sender);
        assert!(!tracker.is_up());
        let now = Instant::now();
        let first = reports.recv().await.unwrap();
        assert!(!tracker.record(&first.outcome, now));
        let second = reports.recv().await.unwrap();
        assert!(tracker.record(&second.outcome, now));
        assert!(tracker.is_up());
        assert_eq!(tracker.view(now)["up"], true);
    }

    #[test]
    fn an_interface_tracker_follows_the_link() {
        let spec = TrackerSpec {
            name: "uplink".into(),
            kind: TrackerKind::Interface { name: "eth2".into() },
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            rise: 2,
            fall: 2,
        };
        let now = Instant::now();
        let mut tracker = Tracker {
            state: RiseFall::new(2, 2, false),
            spec,
            link_up: None,
            task: None,
            last_change: None,
        };
        assert!(!tracker.is_up());
        assert!(tracker.set_link(Some(true), now));
        assert!(tracker.is_up());
        assert!(!tracker.set_link(Some(true), now));
        assert!(tracker.set_link(Some(false), now));
        assert_eq!(tracker.view(now)["link"], "down");
    }
}
