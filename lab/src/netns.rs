//! Network namespaces, veth pairs and bridges, with iproute2's `ip` command (robust, and what
//! an operator would type; no interface ever appears in the host namespace: veth pairs are
//! created inside the first endpoint's namespace with the peer placed directly in the other).

use std::process::Command;

use crate::error::LabError;

/// Runs `ip ARGS...`; the error carries the command line and ip's stderr.
pub fn ip(args: &[&str]) -> Result<String, LabError> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|error| LabError::io(format!("running ip {}", args.join(" ")), error))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(LabError::command(
            format!("ip {}", args.join(" ")),
            String::from_utf8_lossy(&output.stderr),
        ))
    }
}

/// The host's named network namespaces (`ip netns list`).
pub fn list() -> Vec<String> {
    ip(&["netns", "list"])
        .map(|text| {
            text.lines()
                .filter_map(|line| line.split_whitespace().next())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn exists(name: &str) -> bool {
    std::path::Path::new("/run/netns").join(name).exists()
}

/// Creates a namespace with `lo` up.
pub fn add(name: &str) -> Result<(), LabError> {
    ip(&["netns", "add", name])?;
    ip(&["-n", name, "link", "set", "lo", "up"])?;
    Ok(())
}

pub fn delete(name: &str) -> Result<(), LabError> {
    ip(&["netns", "delete", name]).map(|_| ())
}

/// A veth pair `a_if` in `a_ns` <-> `b_if` in `b_ns`, both up.
pub fn veth(a_ns: &str, a_if: &str, b_ns: &str, b_if: &str, mtu: u32) -> Result<(), LabError> {
    let mtu = mtu.to_string();
    ip(&[
        "-n", a_ns, "link", "add", a_if, "mtu", &mtu, "type", "veth", "peer", "name", b_if, "mtu", &mtu, "netns", b_ns,
    ])?;
    ip(&["-n", a_ns, "link", "set", a_if, "up"])?;
    ip(&["-n", b_ns, "link", "set", b_if, "up"])?;
    Ok(())
}

/// A Linux bridge inside `ns` (no STP, no multicast snooping: a plain shared segment).
pub fn bridge(ns: &str, name: &str) -> Result<(), LabError> {
    ip(&[
        "-n",
        ns,
        "link",
        "add",
        name,
        "type",
        "bridge",
        "stp_state",
        "0",
        "mcast_snooping",
        "0",
    ])?;
    ip(&["-n", ns, "link", "set", name, "up"])?;
    Ok(())
}

/// Makes `port` (in `ns`) a port of `bridge`.
pub fn enslave(ns: &str, port: &str, bridge: &str) -> Result<(), LabError> {
    ip(&["-n", ns, "link", "set", port, "master", bridge])?;
    ip(&["-n", ns, "link", "set", port, "up"])?;
    Ok(())
}

/// Whether interface `iface` exists in `ns`.
pub fn has_link(ns: &str, iface: &str) -> bool {
    ip(&["-n", ns, "link", "show", "dev", iface]).is_ok()
}

/// Processes whose network namespace is `ns` (`ip netns pids`).
pub fn pids(ns: &str) -> Vec<i32> {
    ip(&["netns", "pids", ns])
        .map(|text| text.split_whitespace().filter_map(|pid| pid.parse().ok()).collect())
        .unwrap_or_default()
}

/// Links of a namespace, for `status` (`ip -n NS -o link`): names without `@peer`.
pub fn links(ns: &str) -> Vec<String> {
    ip(&["-n", ns, "-o", "link", "show"])
        .map(|text| {
            text.lines()
                .filter_map(|line| line.split(':').nth(1))
                .map(|name| name.trim().split('@').next().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}
