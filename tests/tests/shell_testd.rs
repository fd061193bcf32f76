//! Acceptance (issue 2): a daemon built on the runtime (okapi-testd) answers
//! `okapi -c "show version json"` and `show interface json` with the namespace's real
//! interfaces; on a node with no daemon the shell prints one line and exits non-zero.

use std::time::Duration;

use okapi_tests::{HostSnapshot, LabUnderTest, binary, json_of, require_root, wait_for};
use serde_json::Value;

/// `(name, address/len)` pairs from either `ip -j address` or the shell's `show interface json`.
fn addresses_of(interfaces: &Value, name_key: &str, list_key: &str, address_key: &str, len_key: &str) -> Vec<String> {
    let mut found = Vec::new();
    for interface in interfaces.as_array().into_iter().flatten() {
        let name = interface[name_key].as_str().unwrap_or_default();
        for address in interface[list_key].as_array().into_iter().flatten() {
            let ip = address[address_key].as_str().unwrap_or_default();
            if ip.starts_with("fe80:") {
                continue; // link-local addresses come and go with DAD timing
            }
            found.push(format!("{name} {ip}/{}", address[len_key]));
        }
    }
    found.sort();
    found
}

#[test]
fn shell_queries_okapi_testd_in_a_lab_node_and_fails_cleanly_without_a_daemon() {
    if !require_root("shell_testd") {
        return;
    }
    let before = HostSnapshot::take();
    let lab = LabUnderTest::up("okapi-testd.clab.yml");
    let okapi = binary("okapi");
    let okapi = okapi.to_str().expect("utf-8 path");

    let version = wait_for("okapi-testd answering on n1", Duration::from_secs(10), || {
        json_of(
            &lab.exec("n1", &[okapi, "-c", "show version json"])
                .map_err(|e| e.to_string())?,
        )
    });
    let text = version.to_string();
    assert!(text.contains("okapi-testd"), "{text}");
    let pids = lab
        .exec("n1", &["pidof", "okapi-testd"])
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_default();
    assert!(
        !pids.is_empty() && text.contains(&pids),
        "version names the daemon's pid {pids}: {text}"
    );

    let shown = json_of(
        &lab.exec("n1", &[okapi, "-c", "show interface json"])
            .expect("exec okapi"),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let kernel = json_of(&lab.exec("n1", &["ip", "-j", "address", "show"]).expect("exec ip"))
        .unwrap_or_else(|error| panic!("{error}"));
    let shown = addresses_of(&shown["interfaces"], "name", "addresses", "address", "prefix_len");
    let kernel = addresses_of(&kernel, "ifname", "addr_info", "local", "prefixlen");
    println!("n1 interfaces: {shown:?}");
    assert!(shown.contains(&"eth1 192.0.2.1/24".to_string()), "{shown:?}");
    assert!(shown.contains(&"lo 198.51.100.1/32".to_string()), "{shown:?}");
    assert_eq!(shown, kernel, "the shell shows the namespace's real addresses");

    let text = lab.exec("n1", &[okapi, "-c", "sh int eth1"]).expect("exec okapi");
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success() && stdout.contains("Interface eth1 is up"),
        "{text:?}"
    );

    let missing = lab.exec("n2", &[okapi, "-c", "show version"]).expect("exec okapi");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    println!("n2: {}", stderr.trim());
    assert!(!missing.status.success(), "exit status non-zero without a daemon");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("/run/okapi/testd.sock"),
        "names the sockets tried: {stderr}"
    );

    lab.down_and_assert_clean(&before);
}
