//! Text rendering of the daemons' JSON, FRR style, and of the shell's own listings.
//!
//! Every renderer takes the JSON as the daemon sent it and copes with missing or mistyped
//! fields (shown as `?` or left out): a daemon newer or older than the shell must not make it
//! fail. `json` output bypasses these and prints the JSON itself ([`json`]).

use std::fmt::Write as _;

use serde_json::Value;

use crate::grammar::{CommandInfo, HelpEntry};

pub mod ospf;
pub mod vrrp;

/// Pretty-printed JSON, newline-terminated.
pub fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn u64_field(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

/// A field shown as text: strings as they are, numbers and booleans printed, else `?`.
fn shown(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Bool(flag)) => flag.to_string(),
        _ => "?".to_string(),
    }
}

/// A duration as FRR shows uptimes: `hh:mm:ss` under a day, `XdYYhZZm` under a week,
/// `XXwYdZZh` beyond.
pub fn uptime(secs: u64) -> String {
    const DAY: u64 = 86_400;
    const WEEK: u64 = 7 * DAY;
    let (hours, minutes, seconds) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    if secs < DAY {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    } else if secs < WEEK {
        format!("{}d{hours:02}h{minutes:02}m", secs / DAY)
    } else {
        format!("{:02}w{}d{hours:02}h", secs / WEEK, (secs % WEEK) / DAY)
    }
}

/// `show version`: the shell's line, then one block per daemon's `GET /version` answer.
/// `now_unix_secs` dates the last reload.
pub fn version(shell_version: &str, daemons: &[&Value], now_unix_secs: u64) -> String {
    let mut out = format!("okapi {shell_version} (shell)\n");
    for daemon in daemons {
        let name = str_field(daemon, "daemon").unwrap_or("okapi daemon");
        let _ = write!(out, "{name} {}", shown(daemon, "version"));
        if let Some(pid) = u64_field(daemon, "pid") {
            let _ = write!(out, ", pid {pid}");
        }
        if let Some(up) = u64_field(daemon, "uptime_secs") {
            let _ = write!(out, ", up {}", uptime(up));
        }
        out.push('\n');
        if let Some(config) = str_field(daemon, "config_file") {
            let _ = writeln!(out, "  configuration: {config}");
        }
        let _ = writeln!(
            out,
            "  last reload: {}",
            last_reload(daemon.get("last_reload"), now_unix_secs)
        );
    }
    out
}

fn last_reload(reload: Option<&Value>, now_unix_secs: u64) -> String {
    let Some(reload) = reload.filter(|r| r.is_object()) else {
        return "never".to_string();
    };
    let ago = match u64_field(reload, "at_unix_secs") {
        Some(at) => format!(" {} ago", uptime(now_unix_secs.saturating_sub(at))),
        None => String::new(),
    };
    match reload.get("ok").and_then(Value::as_bool) {
        Some(true) => format!("ok{ago}"),
        Some(false) => {
            let error = str_field(reload, "error").unwrap_or("no reason given");
            format!("refused{ago}, running configuration kept: {error}")
        }
        None => format!("unknown outcome{ago}"),
    }
}

/// Whether the link is up as FRR's "line protocol" says: operational state `up`, or
/// `unknown` (drivers that do not track it, such as `lo`) on an administratively up link.
fn line_protocol(iface: &Value, admin_up: Option<bool>) -> String {
    match str_field(iface, "oper_state").map(str::to_ascii_lowercase).as_deref() {
        Some("up") => "up".to_string(),
        Some("unknown") if admin_up == Some(true) => "up".to_string(),
        Some("down") | None => "down".to_string(),
        Some(other) => format!("down ({other})"),
    }
}

/// `show interface`: one FRR-shaped block per interface of a `GET /interfaces` answer,
/// separated by blank lines.
pub fn interfaces(interfaces: &[Value]) -> String {
    let blocks: Vec<String> = interfaces.iter().map(interface).collect();
    blocks.join("\n")
}

fn interface(iface: &Value) -> String {
    let admin_up = iface.get("admin_up").and_then(Value::as_bool);
    let mut out = format!(
        "Interface {} is {}, line protocol is {}\n",
        shown(iface, "name"),
        match admin_up {
            Some(true) => "up",
            Some(false) => "down",
            None => "?",
        },
        line_protocol(iface, admin_up)
    );
    let _ = writeln!(out, "  index {} mtu {}", shown(iface, "ifindex"), shown(iface, "mtu"));
    if let Some(kind) = str_field(iface, "kind").filter(|k| !k.is_empty()) {
        let _ = writeln!(out, "  Interface Type {kind}");
    }
    if let Some(mac) = str_field(iface, "mac").filter(|m| !m.is_empty()) {
        let _ = writeln!(out, "  HWaddr: {mac}");
    }
    for address in iface.get("addresses").and_then(Value::as_array).into_iter().flatten() {
        let text = shown(address, "address");
        let family = match str_field(address, "family") {
            Some(family) if family.contains('6') => "inet6",
            Some(_) => "inet",
            None if text.contains(':') => "inet6",
            None => "inet",
        };
        let _ = writeln!(out, "  {family} {text}/{}", shown(address, "prefix_len"));
    }
    out
}

/// A `?` listing: words padded to one column, then their help.
pub fn help_listing(entries: &[HelpEntry]) -> String {
    let width = entries.iter().map(|e| e.word.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for entry in entries {
        let line = format!("  {:<width$}  {}", entry.word, entry.help);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// A spec's syntax as users read it: `WORD$ifname` shows as `IFNAME`, other `$names` are
/// dropped (`<1-255>$vrid` shows as `<1-255>`).
pub fn display_syntax(syntax: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.split_once('$') {
            Some(("WORD", name)) => out.push_str(&name.to_ascii_uppercase()),
            Some((placeholder, _)) => out.push_str(placeholder),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in syntax.chars() {
        if c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | '|') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The `help` command: every command with its summary, and how to get more.
pub fn command_list(commands: &[CommandInfo]) -> String {
    let rows: Vec<(String, &str)> = commands
        .iter()
        .map(|c| (display_syntax(&c.syntax), c.summary.as_str()))
        .collect();
    let width = rows.iter().map(|(syntax, _)| syntax.chars().count()).max().unwrap_or(0);
    let mut out = String::from("Commands:\n");
    for (syntax, summary) in rows {
        let _ = writeln!(out, "  {syntax:<width$}  {summary}");
    }
    out.push_str(
        "Any word may be abbreviated to an unambiguous prefix (sh int = show interface).\n\
         Type ? anywhere to list what may come next, Tab to complete a word.\n\
         \"json\" at the end of a show command prints the daemon's JSON.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uptimes_look_like_frr() {
        assert_eq!(uptime(0), "00:00:00");
        assert_eq!(uptime(3_725), "01:02:05");
        assert_eq!(uptime(86_399), "23:59:59");
        assert_eq!(uptime(86_400 + 2 * 3600 + 3 * 60 + 4), "1d02h03m");
        assert_eq!(uptime(15 * 86_400 + 5 * 3600), "02w1d05h");
    }

    #[test]
    fn version_blocks() {
        let daemon = json!({
            "daemon": "okapi-testd", "version": "0.1.0", "pid": 42, "uptime_secs": 65,
            "config_file": "/etc/okapi/okapi.toml", "last_reload": null
        });
        let refused = json!({
            "daemon": "okapi-ospfd", "version": "0.1.0", "pid": 43, "uptime_secs": 90_000,
            "config_file": "/etc/okapi/okapi.toml",
            "last_reload": {"at_unix_secs": 1000, "ok": false, "error": "x.toml:3:9: invalid type"}
        });
        let text = version("0.1.0", &[&daemon, &refused], 1012);
        assert_eq!(
            text,
            "okapi 0.1.0 (shell)\n\
             okapi-testd 0.1.0, pid 42, up 00:01:05\n  configuration: /etc/okapi/okapi.toml\n  last reload: never\n\
             okapi-ospfd 0.1.0, pid 43, up 1d01h00m\n  configuration: /etc/okapi/okapi.toml\n  \
             last reload: refused 00:00:12 ago, running configuration kept: x.toml:3:9: invalid type\n"
        );
        let ok = json!({"daemon": "d", "last_reload": {"at_unix_secs": 2000, "ok": true, "error": null}});
        assert!(version("1", &[&ok], 1000).contains("last reload: ok 00:00:00 ago"));
        // Odd answers do not break the rendering.
        let odd = json!({"version": 3, "pid": "x"});
        assert_eq!(
            version("1", &[&odd], 0),
            "okapi 1 (shell)\nokapi daemon 3\n  last reload: never\n"
        );
    }

    #[test]
    fn interfaces_look_like_frr() {
        let answer = json!([
            {"name": "lo", "ifindex": 1, "admin_up": true, "oper_state": "unknown", "mtu": 65536,
             "mac": "00:00:00:00:00:00", "kind": null,
             "addresses": [{"family": "inet", "address": "127.0.0.1", "prefix_len": 8},
                           {"family": "inet6", "address": "::1", "prefix_len": 128}]},
            {"name": "eth1", "ifindex": 3, "admin_up": true, "oper_state": "lowerlayerdown", "mtu": 1500,
             "mac": "aa:bb:cc:00:00:01", "kind": "veth", "addresses": []},
            {"name": "eth2", "ifindex": 4, "admin_up": false, "oper_state": "down", "mtu": 1500}
        ]);
        let text = interfaces(answer.as_array().expect("array"));
        assert_eq!(
            text,
            "Interface lo is up, line protocol is up\n  index 1 mtu 65536\n  HWaddr: 00:00:00:00:00:00\n  \
             inet 127.0.0.1/8\n  inet6 ::1/128\n\
             \n\
             Interface eth1 is up, line protocol is down (lowerlayerdown)\n  index 3 mtu 1500\n  Interface Type veth\n  \
             HWaddr: aa:bb:cc:00:00:01\n\
             \n\
             Interface eth2 is down, line protocol is down\n  index 4 mtu 1500\n"
        );
        assert_eq!(interfaces(&[]), "");
        assert_eq!(
            interfaces(&[json!({})]),
            "Interface ? is ?, line protocol is down\n  index ? mtu ?\n"
        );
    }

    #[test]
    fn listings() {
        let entries = vec![
            HelpEntry {
                word: "json".into(),
                help: "JavaScript Object Notation".into(),
            },
            HelpEntry {
                word: "IFNAME".into(),
                help: "Interface name".into(),
            },
            HelpEntry {
                word: "<cr>".into(),
                help: String::new(),
            },
        ];
        assert_eq!(
            help_listing(&entries),
            "  json    JavaScript Object Notation\n  IFNAME  Interface name\n  <cr>\n"
        );
        assert_eq!(
            display_syntax("show interface [WORD$ifname] [json]"),
            "show interface [IFNAME] [json]"
        );
        assert_eq!(
            display_syntax("show vrrp [<1-255>$vrid] [detail]"),
            "show vrrp [<1-255>] [detail]"
        );
        assert_eq!(
            display_syntax("show ip route (A.B.C.D/M|X:X::X:X/M)"),
            "show ip route (A.B.C.D/M|X:X::X:X/M)"
        );
    }
}
