//! The library API on a real lab (root only; prints one "skipped" line otherwise): plain
//! Linux nodes on a bridge, binds, env, exec lines, exec, command, capture, and a `down` that
//! leaves nothing. Uses no peer daemon, so it only needs iproute2 (and tshark for the capture).

use std::path::{Path, PathBuf};
use std::time::Duration;

use okapi_lab::{Lab, LabGuard, is_root, leftovers};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("okapi-lab-api-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn namespaces() -> Vec<String> {
    let output = std::process::Command::new("ip").args(["netns", "list"]).output();
    let text = output
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn stdout(output: &std::process::Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn plain_nodes_on_a_bridge_with_binds_env_exec_and_capture() {
    if !is_root() {
        eprintln!("skipped plain_nodes_on_a_bridge: needs root (network namespaces)");
        return;
    }
    let scratch = Scratch::new("bridge");
    let name = format!("api{}", std::process::id());
    // A bind target on the host filesystem that does not exist: created, then removed at down.
    let host_target = PathBuf::from(format!("/opt/okapi-lab-api-{}/motd", std::process::id()));
    std::fs::write(scratch.0.join("hello.txt"), "hello from the topology dir\n").unwrap_or_default();
    let yaml = format!(
        "name: {name}
topology:
  defaults:
    kind: linux
    image: debian:12
    env: {{GREETING: it's me}}
  nodes:
    sw: {{kind: bridge}}
    a:
      binds:
        - hello.txt:/etc/okapi/hello.txt:ro
        - hello.txt:{target}:ro
      exec: [\"ip address add 192.0.2.1/24 dev eth1\"]
      sysctls: {{net.ipv4.ip_forward: 1}}
    b:
      exec: [\"ip address add 192.0.2.2/24 dev eth1\"]
  links:
    - endpoints: [\"a:eth1\", \"sw:a-eth1\"]
    - endpoints: [\"b:eth1\", \"sw:b-eth1\"]
",
        target = host_target.display()
    );
    let file = scratch.0.join("api.clab.yml");
    std::fs::write(&file, yaml).unwrap_or_default();

    let lab = LabGuard::up(&file).unwrap_or_else(|error| panic!("up: {error}"));
    assert_eq!(lab.nodes(), vec!["sw", "a", "b"]);
    assert_eq!(lab.netns("a").ok(), Some(format!("clab-{name}-a")));
    assert!(lab.netns("ghost").is_err());
    assert!(namespaces().contains(&format!("clab-{name}-sw")));

    // Binds (a private /etc/okapi, a created host mount point), env, sysctls, exec lines.
    let a = |argv: &[&str]| stdout(&lab.exec("a", argv).unwrap_or_else(|error| panic!("{error}")));
    assert_eq!(a(&["cat", "/etc/okapi/hello.txt"]), "hello from the topology dir");
    assert_eq!(
        a(&["cat", &host_target.display().to_string()]),
        "hello from the topology dir"
    );
    assert!(
        host_target.exists(),
        "the mount point exists on the host while the lab is up"
    );
    assert_eq!(a(&["sh", "-c", "echo \"$GREETING\""]), "it's me");
    assert_eq!(a(&["cat", "/proc/sys/net/ipv4/ip_forward"]), "1");
    assert!(a(&["ip", "-br", "address", "show", "eth1"]).contains("192.0.2.1/24"));
    let b_okapi = stdout(
        &lab.exec("b", &["ls", "-A", "/etc/okapi"])
            .unwrap_or_else(|error| panic!("{error}")),
    );
    assert_eq!(b_okapi, "", "b's /etc/okapi is its own");
    let read_only = lab
        .exec("a", &["sh", "-c", "echo x > /etc/okapi/hello.txt"])
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(!read_only.status.success(), "a :ro bind is read-only");

    // A long-running command the lab does not know about: down must stop it.
    let mut sleeper = lab
        .command("b", &["sleep", "300"])
        .unwrap_or_else(|error| panic!("{error}"));
    let mut sleeper = sleeper.spawn().unwrap_or_else(|error| panic!("spawn: {error}"));

    // A capture on b while a pings b across the bridge.
    let pcap = scratch.0.join("b.pcap");
    let tshark = Path::new("/usr/bin/tshark").exists();
    let capture = tshark.then(|| {
        lab.capture("b", "eth1", &pcap)
            .unwrap_or_else(|error| panic!("capture: {error}"))
    });
    let ping = lab
        .exec("a", &["ping", "-c", "2", "-i", "0.2", "-W", "2", "192.0.2.2"])
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(ping.status.success(), "{ping:?}");
    if let Some(capture) = capture {
        capture.stop().unwrap_or_else(|error| panic!("stop: {error}"));
        let bytes = std::fs::read(&pcap).unwrap_or_default();
        assert!(bytes.len() > 24, "pcap has packets: {} bytes", bytes.len());
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "classic pcap, little-endian");
    } else {
        eprintln!("capture not checked: tshark is not installed");
    }

    // Lab::open sees the same lab.
    let opened = Lab::open(&name).unwrap_or_else(|error| panic!("open: {error}"));
    assert_eq!(opened.nodes(), lab.nodes());

    lab.down().unwrap_or_else(|error| panic!("down: {error}"));
    let _ = sleeper.wait();
    assert!(leftovers(&name).is_empty(), "{:?}", leftovers(&name));
    assert!(!namespaces().iter().any(|ns| ns.starts_with(&format!("clab-{name}-"))));
    assert!(!host_target.exists(), "the created mount point is gone");
    assert!(
        !host_target.parent().is_some_and(Path::exists),
        "and its created parent"
    );
    assert!(Lab::open(&name).is_err());
}

#[test]
fn a_failing_exec_line_fails_up_and_leaves_nothing() {
    if !is_root() {
        eprintln!("skipped a_failing_exec_line: needs root (network namespaces)");
        return;
    }
    let scratch = Scratch::new("failing");
    let name = format!("apifail{}", std::process::id());
    let yaml = format!(
        "name: {name}
topology:
  nodes:
    a: {{kind: linux, image: debian:12, cmd: sleep 300, exec: [\"true\", \"echo broken >&2; exit 3\"]}}
    b: {{kind: linux, image: debian:12}}
  links:
    - endpoints: [\"a:eth1\", \"b:eth1\"]
"
    );
    let file = scratch.0.join("failing.clab.yml");
    std::fs::write(&file, yaml).unwrap_or_default();
    let error = Lab::up(&file).err().map(|error| error.to_string()).unwrap_or_default();
    assert!(error.contains("node a: exec[1]") && error.contains("broken"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(leftovers(&name).is_empty(), "{:?}", leftovers(&name));
    // down of a lab that is not up is not an error.
    okapi_lab::down(&name).unwrap_or_else(|error| panic!("{error}"));
    std::thread::sleep(Duration::from_millis(10));
}
