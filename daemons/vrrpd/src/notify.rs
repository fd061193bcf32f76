//! Notify hooks: a program run on every state transition of an instance (and of a sync
//! group), as keepalived's `notify` scripts.
//!
//! The program gets keepalived's four arguments, `INSTANCE|GROUP NAME STATE PRIORITY`
//! (STATE one of MASTER, BACKUP, FAULT, STOP), so existing keepalived scripts work, and the
//! environment says more:
//!
//! | variable | value |
//! |---|---|
//! | `OKAPI_KIND` | `instance` or `group` |
//! | `OKAPI_NAME` | the instance's (group's) name |
//! | `OKAPI_INSTANCE` | the instance's name (for a group: the member whose change moved it) |
//! | `OKAPI_VRID`, `OKAPI_INTERFACE`, `OKAPI_FAMILY` | the instance's VRID, interface, `ipv4`/`ipv6` |
//! | `OKAPI_OLD_STATE`, `OKAPI_NEW_STATE` | `Initialize`, `Backup`, `Master`, `Fault` |
//! | `OKAPI_REASON` | why (e.g. `Master_Down_Timer expired`) |
//! | `OKAPI_PRIORITY` | the effective priority |
//! | `OKAPI_VIPS` | the virtual addresses, space separated |
//!
//! Hooks run without a shell, one at a time, in transition order (one queue for all hooks, so
//! a slow script cannot reorder states), each bounded by [`HOOK_TIMEOUT`] after which it is
//! killed. A full queue drops the new transition's hook (counted). What each run did is kept
//! for the shell. A transition out of Fault passes through Initialize; that step runs no hook.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::mpsc;

/// A hook that runs longer is killed.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(30);
/// Transitions waiting for a slow hook at most; beyond, new ones are dropped (and counted).
const QUEUE: usize = 64;
/// Runs remembered for the shell.
const HISTORY: usize = 16;

/// One transition to report.
#[derive(Debug, Clone)]
pub struct Notification {
    pub program: String,
    /// `instance` or `group`.
    pub kind: &'static str,
    pub name: String,
    pub instance: String,
    pub vrid: u8,
    pub interface: String,
    pub ipv6: bool,
    pub old_state: String,
    pub new_state: String,
    pub reason: String,
    pub priority: u8,
    pub vips: Vec<String>,
}

impl Notification {
    /// keepalived's state word for the new state.
    fn keepalived_state(&self) -> &'static str {
        match self.new_state.as_str() {
            "Master" => "MASTER",
            "Backup" => "BACKUP",
            "Fault" => "FAULT",
            _ => "STOP",
        }
    }

    fn arguments(&self) -> Vec<String> {
        vec![
            self.kind.to_uppercase(),
            self.name.clone(),
            self.keepalived_state().to_string(),
            self.priority.to_string(),
        ]
    }

    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OKAPI_KIND", self.kind.to_string()),
            ("OKAPI_NAME", self.name.clone()),
            ("OKAPI_INSTANCE", self.instance.clone()),
            ("OKAPI_VRID", self.vrid.to_string()),
            ("OKAPI_INTERFACE", self.interface.clone()),
            ("OKAPI_FAMILY", if self.ipv6 { "ipv6" } else { "ipv4" }.to_string()),
            ("OKAPI_OLD_STATE", self.old_state.clone()),
            ("OKAPI_NEW_STATE", self.new_state.clone()),
            ("OKAPI_REASON", self.reason.clone()),
            ("OKAPI_PRIORITY", self.priority.to_string()),
            ("OKAPI_VIPS", self.vips.join(" ")),
        ]
    }
}

/// What one run of a hook did.
#[derive(Debug, Clone, Serialize)]
pub struct HookRun {
    pub program: String,
    pub name: String,
    pub new_state: String,
    pub at_unix_ms: u128,
    pub elapsed_ms: u128,
    /// `exit 0`, `exit 3`, `killed after 30 s`, `cannot start: ...`.
    pub outcome: String,
}

#[derive(Debug, Default, Serialize)]
struct HookStats {
    runs: u64,
    failures: u64,
    dropped: u64,
    recent: VecDeque<HookRun>,
}

/// Runs hooks in the background, in order.
#[derive(Debug, Clone)]
pub struct Notifier {
    queue: mpsc::Sender<Notification>,
    stats: Arc<Mutex<HookStats>>,
    /// Hooks queued or running.
    unfinished: Arc<std::sync::atomic::AtomicUsize>,
}

impl Notifier {
    pub fn start() -> Notifier {
        let (queue, mut receiver) = mpsc::channel::<Notification>(QUEUE);
        let stats = Arc::new(Mutex::new(HookStats::default()));
        let worker_stats = stats.clone();
        let unfinished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let worker_unfinished = unfinished.clone();
        tokio::spawn(async move {
            while let Some(notification) = receiver.recv().await {
                let run = run_hook(&notification).await;
                worker_unfinished.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                if run.outcome != "exit 0" {
                    tracing::warn!(program = %run.program, name = %run.name, state = %run.new_state, "notify hook: {}", run.outcome);
                }
                if let Ok(mut stats) = worker_stats.lock() {
                    stats.runs += 1;
                    if run.outcome != "exit 0" {
                        stats.failures += 1;
                    }
                    if stats.recent.len() == HISTORY {
                        stats.recent.pop_front();
                    }
                    stats.recent.push_back(run);
                }
            }
        });
        Notifier {
            queue,
            stats,
            unfinished,
        }
    }

    /// Queues a run; never waits (a full queue drops this one and counts it).
    pub fn notify(&self, notification: Notification) {
        self.unfinished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.queue.try_send(notification).is_err() {
            self.unfinished.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            tracing::warn!("notify hooks are {QUEUE} transitions behind: one dropped");
            if let Ok(mut stats) = self.stats.lock() {
                stats.dropped += 1;
            }
        }
    }

    pub fn view(&self) -> serde_json::Value {
        self.stats
            .lock()
            .ok()
            .and_then(|stats| serde_json::to_value(&*stats).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    /// Waits until the queued hooks have run to their end, at most `limit` (on stop, so that
    /// the STOP transitions are reported and no hook is killed by the daemon's exit).
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.unfinished.load(std::sync::atomic::Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn run_hook(notification: &Notification) -> HookRun {
    let started = std::time::Instant::now();
    let at_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    let mut command = tokio::process::Command::new(&notification.program);
    command
        .args(notification.arguments())
        .envs(notification.environment())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let outcome = match command.spawn() {
        Err(error) => format!("cannot start: {error}"),
        Ok(mut child) => match tokio::time::timeout(HOOK_TIMEOUT, child.wait()).await {
            Ok(Ok(status)) => match status.code() {
                Some(code) => format!("exit {code}"),
                None => format!("ended by {status}"),
            },
            Ok(Err(error)) => format!("wait failed: {error}"),
            Err(_) => {
                let _ = child.kill().await;
                format!("killed after {} s", HOOK_TIMEOUT.as_secs())
            }
        },
    };
    HookRun {
        program: notification.program.clone(),
        name: notification.name.clone(),
        new_state: notification.new_state.clone(),
        at_unix_ms,
        elapsed_ms: started.elapsed().as_millis(),
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(program: &str) -> Notification {
        Notification {
            program: program.to_string(),
            kind: "instance",
            name: "web".into(),
            instance: "web".into(),
            vrid: 51,
            interface: "eth1".into(),
            ipv6: false,
            old_state: "Backup".into(),
            new_state: "Master".into(),
            reason: "Master_Down_Timer expired".into(),
            priority: 150,
            vips: vec!["203.0.113.10".into(), "203.0.113.11".into()],
        }
    }

    #[tokio::test]
    async fn a_hook_gets_keepalived_arguments_and_the_environment() {
        let dir = std::env::temp_dir().join(format!("okapi-vrrpd-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let script = dir.join("hook.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$1 $2 $3 $4|$OKAPI_INSTANCE|$OKAPI_VRID|$OKAPI_OLD_STATE|$OKAPI_NEW_STATE|$OKAPI_REASON|$OKAPI_VIPS\" >> {}\n",
                out.display()
            ),
        )
        .unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .unwrap();
        let notifier = Notifier::start();
        notifier.notify(sample(&script.display().to_string()));
        let mut second = sample(&script.display().to_string());
        second.old_state = "Master".into();
        second.new_state = "Fault".into();
        notifier.notify(second);
        notifier.drain(Duration::from_secs(5)).await;
        // The worker records the run after the process ended.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let written = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            written,
            "INSTANCE web MASTER 150|web|51|Backup|Master|Master_Down_Timer expired|203.0.113.10 203.0.113.11\n\
             INSTANCE web FAULT 150|web|51|Master|Fault|Master_Down_Timer expired|203.0.113.10 203.0.113.11\n"
        );
        let view = notifier.view();
        assert_eq!(view["runs"], 2, "{view}");
        assert_eq!(view["failures"], 0, "{view}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_program_is_a_recorded_failure() {
        let notifier = Notifier::start();
        notifier.notify(sample("/nonexistent/okapi-hook"));
        notifier.drain(Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let view = notifier.view();
        assert_eq!(view["failures"], 1, "{view}");
        assert!(
            view["recent"][0]["outcome"]
                .as_str()
                .is_some_and(|outcome| outcome.starts_with("cannot start")),
            "{view}"
        );
    }
}
