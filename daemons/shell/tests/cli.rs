//! The real `okapi` binary against the real `okapi-testd` daemon, in a temporary run dir.
//! Needs no root. okapi-testd is not a dependency of this crate (a binary cannot be), so it
//! must have been built: `cargo build --workspace --bins` (CI does) or
//! `cargo build -p okapi-testd`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../src/testnet.rs"]
mod testnet;

const OKAPI: &str = env!("CARGO_BIN_EXE_okapi");

/// `target/debug/deps/cli-xxxx` -> `target/debug/okapi-testd`.
fn testd_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable is in <target>/<profile>/deps");
    let testd = profile_dir.join("okapi-testd");
    assert!(
        testd.is_file(),
        "okapi-testd not found at {}: build it first with `cargo build --workspace --bins` \
         (or `cargo build -p okapi-testd`)",
        testd.display()
    );
    testd
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("okapi-shell-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An okapi-testd serving `<dir>/run/testd.sock`; killed on drop.
struct Testd {
    child: Child,
    run_dir: PathBuf,
    // Dropped after the child is killed (fields drop after `Drop::drop`).
    _dir: TempDir,
}

impl Testd {
    fn start(name: &str) -> Testd {
        let testd = testd_binary();
        let dir = TempDir::new(name);
        let config = dir.0.join("okapi.toml");
        std::fs::write(&config, "[testd]\n").expect("write config");
        let run_dir = dir.0.join("run");
        let child = Command::new(&testd)
            .arg("-f")
            .arg(&config)
            .arg("--run-dir")
            .arg(&run_dir)
            .env_remove("OKAPI_RUN_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", testd.display()));
        let mut daemon = Testd {
            child,
            run_dir,
            _dir: dir,
        };
        let socket = daemon.run_dir.join("testd.sock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!("okapi-testd exited before creating its socket: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "okapi-testd did not create {}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn okapi(&self, commands: &[&str]) -> Run {
        okapi(&self.run_dir, commands)
    }
}

impl Drop for Testd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one okapi run printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

fn okapi_command(run_dir: &Path) -> Command {
    let mut command = Command::new(OKAPI);
    command.arg("--run-dir").arg(run_dir).env_remove("OKAPI_RUN_DIR");
    command
}

/// `okapi --run-dir DIR -c C1 -c C2 ...`
fn okapi(run_dir: &Path, commands: &[&str]) -> Run {
    let mut command = okapi_command(run_dir);
    for c in commands {
        command.arg("-c").arg(c);
    }
    command.output().expect("run okapi").into()
}

/// `okapi --run-dir DIR [extra]` with `input` on a pipe as stdin.
fn okapi_piped(run_dir: &Path, extra: &[&str], input: &str) -> Run {
    let mut child = okapi_command(run_dir)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start okapi");
    let mut stdin = child.stdin.take().expect("stdin pipe");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait okapi").into()
}

#[test]
fn show_version_json_names_the_daemon_and_its_pid() {
    let testd = Testd::start("version-json");
    let run = testd.okapi(&["show version json"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    let json = run.json();
    assert_eq!(json["okapi-testd"]["daemon"], "okapi-testd", "{run:?}");
    assert_eq!(json["okapi-testd"]["pid"], testd.pid(), "{run:?}");
    assert!(json["okapi-testd"]["uptime_secs"].is_u64(), "{run:?}");
    assert!(json["okapi"]["version"].is_string(), "the shell's own version: {run:?}");
    // Abbreviated, same answer.
    let short = testd.okapi(&["sh ver j"]);
    assert_eq!(short.json()["okapi-testd"]["pid"], testd.pid(), "{short:?}");
}

#[test]
fn show_version_text() {
    let testd = Testd::start("version-text");
    let run = testd.okapi(&["show version"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("okapi ") && lines[0].ends_with("(shell)"),
        "{run:?}"
    );
    assert!(lines[1].starts_with("okapi-testd "), "{run:?}");
    assert!(lines[1].contains(&format!(", pid {}, up ", testd.pid())), "{run:?}");
    assert!(
        run.stdout.contains("  configuration: ") && run.stdout.contains("okapi.toml"),
        "{run:?}"
    );
    assert!(run.stdout.contains("  last reload: never"), "{run:?}");
}

#[test]
fn show_interface_json_and_text() {
    let testd = Testd::start("interface");
    let run = testd.okapi(&["sh int json"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let interfaces = run.json()["interfaces"].as_array().cloned().unwrap_or_default();
    assert!(interfaces.iter().any(|i| i["name"] == "lo"), "lo listed: {run:?}");

    let run = testd.okapi(&["sh int lo j"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let json = run.json();
    assert_eq!(json["interfaces"].as_array().map(Vec::len), Some(1), "{run:?}");
    assert_eq!(json["interfaces"][0]["name"], "lo", "{run:?}");

    let run = testd.okapi(&["show interface lo"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.starts_with("Interface lo is up, line protocol is up\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("\n  index "), "{run:?}");
    assert!(run.stdout.contains("\n  inet 127.0.0.1/8\n"), "{run:?}");

    let run = testd.okapi(&["sh int"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "Interface lo is up, line protocol is up"),
        "{run:?}"
    );
}

#[test]
fn an_unknown_interface_is_an_error() {
    let testd = Testd::start("no-interface");
    let run = testd.okapi(&["show interface nosuch0"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert_eq!(run.stderr, "% Can't find interface nosuch0\n", "{run:?}");
}

#[test]
fn several_commands_run_in_order_and_one_failure_fails_the_run() {
    let testd = Testd::start("several");
    let run = testd.okapi(&["sh ver", "sh bogus", "sh int lo"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let version = run.stdout.find("okapi-testd").expect("version output");
    let interface = run.stdout.find("Interface lo").expect("interface output");
    assert!(version < interface, "in order: {run:?}");
    assert_eq!(
        run.stderr, "% Unknown command: sh bogus\n                      ^\n",
        "{run:?}"
    );
}

#[test]
fn commands_from_a_pipe() {
    let testd = Testd::start("pipe");
    let input = "# a comment\n\n   \nshow version json\n  sh int lo  \n";
    let run = okapi_piped(&testd.run_dir, &[], input);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");
    assert!(run.stdout.contains(&format!("\"pid\": {}", testd.pid())), "{run:?}");
    assert!(run.stdout.contains("Interface lo is up"), "{run:?}");
    assert!(
        !run.stdout.contains("comment"),
        "comments are not echoed by default: {run:?}"
    );

    // -E echoes prompt and command; a bad line fails the run, the others still run; exit stops.
    let run = okapi_piped(&testd.run_dir, &["-E"], "sh bogus\nsh int lo\nexit\nsh ver\n");
    assert_eq!(run.code, Some(1), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].ends_with("# sh bogus"), "{run:?}");
    assert!(lines[1].ends_with("# sh int lo"), "{run:?}");
    assert_eq!(lines[2], "Interface lo is up, line protocol is up", "{run:?}");
    assert!(
        lines.last().is_some_and(|l| l.ends_with("# exit")),
        "nothing after exit: {run:?}"
    );
    assert!(run.stderr.starts_with("% Unknown command: sh bogus\n"), "{run:?}");
}

#[test]
fn no_daemon_is_one_line_and_exit_1() {
    let dir = TempDir::new("empty");
    let run_dir = dir.0.join("run");
    std::fs::create_dir_all(&run_dir).expect("create run dir");
    let expected = format!(
        "okapi: no okapi daemon answers (tried {0}/ospf.sock, {0}/vrrp.sock, {0}/bgp.sock, {0}/testd.sock)\n",
        run_dir.display()
    );
    for command in ["show version", "show version json", "sh int", "show interface lo json"] {
        let run = okapi(&run_dir, &[command]);
        assert_eq!(run.code, Some(1), "{command}: {run:?}");
        assert_eq!(run.stdout, "", "{command}: {run:?}");
        assert_eq!(run.stderr, expected, "{command}: {run:?}");
    }
    // Several commands, on -c or a pipe: still one line.
    let run = okapi(&run_dir, &["sh ver", "sh int"]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(1), expected.as_str()), "{run:?}");
    let run = okapi_piped(&run_dir, &[], "show version\nshow interface\n");
    assert_eq!((run.code, run.stderr.as_str()), (Some(1), expected.as_str()), "{run:?}");
    // OKAPI_RUN_DIR is the default --run-dir.
    let output = Command::new(OKAPI)
        .env("OKAPI_RUN_DIR", &run_dir)
        .args(["-c", "sh ver"])
        .output()
        .expect("okapi");
    let run = Run::from(output);
    assert_eq!((run.code, run.stderr.as_str()), (Some(1), expected.as_str()), "{run:?}");
}

#[test]
fn parse_errors_and_help_need_no_daemon() {
    let dir = TempDir::new("parse");
    let run = okapi(&dir.0, &["show foo json"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert_eq!(
        run.stderr, "% Unknown command: show foo json\n                        ^\n",
        "{run:?}"
    );

    let run = okapi(&dir.0, &["sh"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (Some(1), "% Command incomplete: sh\n"),
        "{run:?}"
    );

    let run = okapi(&dir.0, &["help"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("show interface [IFNAME] [json]"), "{run:?}");

    // `?` on the command line lists what may come next, as the key does interactively.
    let run = okapi(&dir.0, &["sh ?"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let words: Vec<&str> = run.stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(words, ["interface", "ip", "version", "vrrp"], "{run:?}");

    let run = Run::from(Command::new(OKAPI).arg("--version").output().expect("okapi --version"));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("okapi "), "{run:?}");
}

#[test]
fn ospf_commands_without_ospfd_name_its_socket() {
    let dir = TempDir::new("no-ospfd");
    let run_dir = dir.0.join("run");
    std::fs::create_dir_all(&run_dir).expect("create run dir");
    let expected = format!(
        "okapi: okapi-ospfd is not running (no answer on {}/ospf.sock)\n",
        run_dir.display()
    );
    for command in [
        "show ip ospf neighbor",
        "sh ip os nei j",
        "show ip ospf",
        "sh ip os da r",
        "sh ip os ro",
    ] {
        let run = okapi(&run_dir, &[command]);
        assert_eq!(run.code, Some(1), "{command}: {run:?}");
        assert_eq!(run.stdout, "", "{command}: {run:?}");
        assert_eq!(run.stderr, expected, "{command}: {run:?}");
    }
}

#[test]
fn ospf_commands_against_okapi_ospfd_answers() {
    // A fake okapi-ospfd serving the views of a real instance, Full with its neighbor.
    let net = testnet::TestNet::p2p();
    let dir = TempDir::new("ospfd");
    let run_dir = dir.0.join("run");
    std::fs::create_dir_all(&run_dir).expect("create run dir");
    let ospfd = testnet::FakeOspfd::start(&net, 0, &run_dir);

    let run = okapi(&run_dir, &["show ip ospf neighbor"]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[1].starts_with("Neighbor ID     Pri State           Up Time"),
        "{run:?}"
    );
    assert!(lines[2].starts_with("10.0.0.2          1 Full/-          "), "{run:?}");
    assert!(lines[2].contains(" 10.0.12.2       eth1:10.0.12.1     "), "{run:?}");

    let run = okapi(&run_dir, &["sh ip os nei j", "sh ip os ro"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let (json, text) = run
        .stdout
        .split_at(run.stdout.find("============").expect("route table"));
    let neighbors: Value = serde_json::from_str(json).expect("JSON");
    assert_eq!(neighbors, net.neighbors_json(0), "{run:?}");
    assert!(
        text.contains("N    10.0.0.2/32           [10] area: 0.0.0.0\n"),
        "{run:?}"
    );

    // Not there: one line, exit 1; the other commands still run.
    let run = okapi(&run_dir, &["sh ip os nei 10.0.0.9", "sh ip os int eth1"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr, "% No OSPF neighbor with router ID 10.0.0.9\n", "{run:?}");
    assert!(run.stdout.starts_with("eth1 is up\n"), "{run:?}");
    drop(ospfd);
}
