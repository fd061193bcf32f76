//! Processes of a lab: started detached (own session, output to a log file), identified by PID
//! and `/proc` start time, stopped with SIGTERM then SIGKILL.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

use crate::error::LabError;

/// How long `down` waits after SIGTERM before SIGKILL.
pub const GRACE: Duration = Duration::from_secs(3);

/// A process started by [`spawn_detached`].
pub struct Spawned {
    pub child: Child,
    pub pid: i32,
    pub start_time: u64,
}

/// Starts `command` in a session of its own with stdin from /dev/null and stdout and stderr
/// appended to `log`.
pub fn spawn_detached(mut command: Command, log: &Path) -> Result<Spawned, LabError> {
    let open = || OpenOptions::new().create(true).append(true).open(log);
    let stdout = open().map_err(|error| LabError::io(format!("opening {}", log.display()), error))?;
    let stderr = open().map_err(|error| LabError::io(format!("opening {}", log.display()), error))?;
    command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
    // SAFETY: setsid is async-signal-safe; the closure allocates nothing.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let what = format!("{:?}", command.get_program());
    let child = command
        .spawn()
        .map_err(|error| LabError::io(format!("starting {what}"), error))?;
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    let start_time = start_time(pid).unwrap_or(0);
    Ok(Spawned { child, pid, start_time })
}

/// The start time of `pid` (field 22 of /proc/PID/stat), in clock ticks since boot.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised name: state is field 3, starttime field 22.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The state letter of `pid` (R, S, Z...).
fn state_letter(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().next()?.chars().next()
}

/// Whether `pid` still runs and is the process that was started at `start` (0: any).
pub fn alive(pid: i32, start: u64) -> bool {
    reap(pid);
    match state_letter(pid) {
        None | Some('Z') | Some('X') => false,
        Some(_) => start == 0 || start_time(pid) == Some(start),
    }
}

/// Collects `pid` if it is our child and has exited (no zombie left behind by a library user).
pub fn reap(pid: i32) {
    if pid > 0 {
        let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
    }
}

/// Sends `signal` to `pid` (and its process group when `group`), if it is still the process
/// started at `start`.
pub fn signal(pid: i32, start: u64, signal: Signal, group: bool) {
    if pid <= 1 || !alive(pid, start) {
        return;
    }
    let _ = kill(Pid::from_raw(pid), signal);
    if group {
        let _ = killpg(Pid::from_raw(pid), signal);
    }
}

/// Stops processes `(pid, start_time, group)`: `first` (SIGTERM or SIGINT), up to `grace` for them
/// to exit, then SIGKILL. Returns the PIDs still alive after SIGKILL.
pub fn stop_all(processes: &[(i32, u64, bool)], first: Signal, grace: Duration) -> Vec<i32> {
    for (pid, start, group) in processes {
        signal(*pid, *start, first, *group);
    }
    if !wait_gone(processes, grace) {
        for (pid, start, group) in processes {
            signal(*pid, *start, Signal::SIGKILL, *group);
        }
        wait_gone(processes, Duration::from_secs(2));
    }
    processes
        .iter()
        .filter(|(pid, start, _)| alive(*pid, *start))
        .map(|(pid, _, _)| *pid)
        .collect()
}

fn wait_gone(processes: &[(i32, u64, bool)], limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if processes.iter().all(|(pid, start, _)| !alive(*pid, *start)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last `lines` non-empty lines of a log file, joined on one line (for error messages).
pub fn tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let kept: Vec<&str> = text.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let start = kept.len().saturating_sub(lines);
    let joined = kept[start..].join(" | ");
    if joined.is_empty() {
        format!("(nothing in {})", log.display())
    } else {
        format!("{joined} (log: {})", log.display())
    }
}

/// Runs `command` to completion with a time limit, returning its output; kills it at the limit.
pub fn run_with_timeout(mut command: Command, limit: Duration) -> std::io::Result<Option<std::process::Output>> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    // Drain the pipes on threads so a chatty command cannot block on a full pipe.
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buffer);
            }
            buffer
        })
    };
    let out_thread = read(stdout.map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>));
    let err_thread = read(stderr.map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(status.map(|status| std::process::Output { status, stdout, stderr }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_with_its_start_time() {
        let pid = std::process::id() as i32;
        let start = start_time(pid);
        assert!(start.is_some());
        assert!(alive(pid, start.unwrap_or(0)));
        assert!(
            !alive(pid, start.unwrap_or(0) + 1),
            "a different start time is another process"
        );
    }

    #[test]
    fn run_with_timeout_kills_at_the_limit() {
        let mut sleep = Command::new("sleep");
        sleep.arg("5");
        let started = Instant::now();
        let output = run_with_timeout(sleep, Duration::from_millis(200)).ok().flatten();
        assert!(output.is_none());
        assert!(started.elapsed() < Duration::from_secs(3));
        let mut echo = Command::new("echo");
        echo.arg("hi");
        let output = run_with_timeout(echo, Duration::from_secs(5)).ok().flatten();
        assert_eq!(output.map(|output| output.stdout), Some(b"hi\n".to_vec()));
    }
}
