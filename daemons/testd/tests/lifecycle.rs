//! okapi-testd as a process: `--check`, the control socket, SIGHUP reload (a bad file keeps
//! the running config), SIGTERM. Needs no root: the socket lives in a temporary run dir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use okapi_runtime::control;
use serde_json::Value;

const TESTD: &str = env!("CARGO_BIN_EXE_okapi-testd");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("okapi-testd-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check(config: &Path) -> Output {
    Command::new(TESTD)
        .arg("--check")
        .arg("-f")
        .arg(config)
        .output()
        .expect("run okapi-testd --check")
}

#[test]
fn check_accepts_a_valid_file() {
    let dir = TempDir::new("check-ok");
    let config = dir.write(
        "okapi.toml",
        "[ospf]\nwhatever = 1\n\n[testd]\ndescription = \"x\"\nlevel = 2\n",
    );
    let output = check(&config);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("is valid"));
}

#[test]
fn check_names_file_line_and_column_of_an_unknown_key() {
    let dir = TempDir::new("check-unknown");
    let config = dir.write("bad.toml", "[testd]\ndescription = \"x\"\ncolour = \"red\"\n");
    let output = check(&config);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("okapi-testd: {}:3:1: unknown field `colour`", config.display());
    assert!(stderr.starts_with(&expected), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn check_names_file_line_and_column_of_a_wrong_type() {
    let dir = TempDir::new("check-type");
    let config = dir.write("bad.toml", "[testd]\nlevel = \"high\"\n");
    let output = check(&config);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "okapi-testd: {}:2:9: invalid type: string \"high\", expected u32",
        config.display()
    );
    assert!(stderr.starts_with(&expected), "stderr: {stderr}");
}

#[test]
fn check_refuses_a_missing_table_and_a_missing_file() {
    let dir = TempDir::new("check-missing");
    let config = dir.write("other.toml", "[vrrp]\n");
    let output = check(&config);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no [testd] table"));
    let output = check(&dir.0.join("absent.toml"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}

struct Daemon {
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &Path, run_dir: &Path) -> Daemon {
    let child = Command::new(TESTD)
        .arg("-f")
        .arg(config)
        .arg("--run-dir")
        .arg(run_dir)
        .spawn()
        .expect("start okapi-testd");
    let daemon = Daemon { child };
    let socket = run_dir.join("testd.sock");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            Instant::now() < deadline,
            "okapi-testd did not create {}",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon
}

fn get(socket: &Path, path: &str) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(control::get(socket, path))
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serves_version_and_reloads_on_sighup_keeping_the_old_config_when_the_new_one_is_bad() {
    let dir = TempDir::new("reload");
    let run_dir = dir.0.join("run");
    let config = dir.write("okapi.toml", "[testd]\ndescription = \"first\"\n");
    let mut daemon = start(&config, &run_dir);
    let socket = run_dir.join("testd.sock");
    let pid = Pid::from_raw(daemon.child.id() as i32);

    let version = get(&socket, "/version");
    assert_eq!(version["daemon"], "okapi-testd");
    assert_eq!(version["pid"], daemon.child.id());
    assert_eq!(version["last_reload"], Value::Null);
    assert_eq!(get(&socket, "/testd/config")["description"], "first");

    std::fs::write(&config, "[testd]\ndescription = \"second\"\nlevel = \"oops\"\n").expect("write bad");
    kill(pid, Signal::SIGHUP).expect("SIGHUP");
    wait_for("the refused reload", || {
        get(&socket, "/version")["last_reload"]["ok"] == false
    });
    let error = get(&socket, "/version")["last_reload"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains(":3:9: invalid type"), "{error}");
    assert_eq!(get(&socket, "/testd/config")["description"], "first", "old config kept");

    std::fs::write(&config, "[testd]\ndescription = \"second\"\n").expect("write good");
    kill(pid, Signal::SIGHUP).expect("SIGHUP");
    wait_for("the new config", || {
        get(&socket, "/testd/config")["description"] == "second"
    });
    assert_eq!(get(&socket, "/version")["last_reload"]["ok"], true);

    kill(pid, Signal::SIGTERM).expect("SIGTERM");
    let status = daemon.child.wait().expect("wait");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    assert!(!socket.exists(), "control socket removed on stop");
}

#[test]
fn refuses_to_start_when_another_daemon_holds_the_socket() {
    let dir = TempDir::new("twice");
    let run_dir = dir.0.join("run");
    let config = dir.write("okapi.toml", "[testd]\n");
    let _first = start(&config, &run_dir);
    let second = Command::new(TESTD)
        .arg("-f")
        .arg(&config)
        .arg("--run-dir")
        .arg(&run_dir)
        .output()
        .expect("run second okapi-testd");
    assert_eq!(second.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another daemon answers on"),
        "{second:?}"
    );
}
