//! `show vrrp ...`: okapi-vrrpd's `GET /vrrp` as FRR 8's vrrpd prints it.
//!
//! ```text
//!   GET /vrrp[?vrid=N] {"instances": [...], "trackers": [...]} ──► instances()  show vrrp [VRID] [detail]
//!                                                              ──► summary()    show vrrp summary
//! ```
//!
//! FRR's blocks are per virtual router with a (v4) and a (v6) column; okapi runs one instance
//! per family (as keepalived), so a block is one instance and its family is a line of its
//! own. Lines FRR does not have (instance name, trackers, master, last transition) follow
//! FRR's layout: a 40-column label, then the value. A field missing or of an unexpected type
//! shows as `?`.

use std::fmt::Write as _;

use serde_json::Value;

use super::{shown, str_field, u64_field};

const LABEL_WIDTH: usize = 40;

fn line(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, " {label:<LABEL_WIDTH$}{value}");
}

fn yes_no(value: &Value, key: &str) -> &'static str {
    match value.get(key).and_then(Value::as_bool) {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "?",
    }
}

/// Centiseconds (possibly fractional) as FRR's `N ms`.
fn centiseconds(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_f64)
        .map_or_else(|| "?".to_string(), |cs| format!("{} ms", (cs * 10.0).round()))
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The non-zero counts of a `{"reason": count}` object, as `reason count`.
fn nonzero(counts: Option<&Value>) -> Vec<String> {
    counts
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(reason, count)| match count.as_u64() {
            Some(0) | None => None,
            Some(count) => Some(format!("{reason} {count}")),
        })
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

/// `show vrrp [VRID] [detail]`: one block per instance; `detail` adds trackers, refused
/// packets and the recent transitions.
pub fn instances(answer: &Value, detail: bool) -> String {
    let blocks: Vec<String> = list(answer, "instances")
        .iter()
        .map(|instance| block(instance, detail))
        .collect();
    if blocks.is_empty() {
        return "No VRRP instances configured\n".to_string();
    }
    let mut text = blocks.join("\n");
    // Refused before reaching an instance (malformed, unknown VRID): the daemon's, not an
    // instance's; shown with `detail`.
    let refused = nonzero(answer.get("io").and_then(|io| io.get("rejected")));
    if detail && !refused.is_empty() {
        text.push('\n');
        line(&mut text, "Refused before an instance", refused.join(", "));
    }
    if answer.get("drained").and_then(Value::as_bool) == Some(true) {
        format!("This node is drained: every instance at priority 1 (`undrain` ends it).\n\n{text}")
    } else {
        text
    }
}

fn block(instance: &Value, detail: bool) -> String {
    let mut out = String::new();
    let ipv6 = str_field(instance, "family") == Some("ipv6");
    let v = if ipv6 { "v6" } else { "v4" };
    line(&mut out, "Virtual Router ID", shown(instance, "vrid"));
    line(&mut out, "Instance", shown(instance, "name"));
    line(&mut out, "Protocol Version", shown(instance, "version"));
    line(&mut out, "Address Family", if ipv6 { "IPv6" } else { "IPv4" });
    line(&mut out, "Interface", shown(instance, "interface"));
    if let Some(vmac) = str_field(instance, "vmac") {
        line(&mut out, &format!("VRRP interface ({v})"), vmac);
    }
    line(
        &mut out,
        &format!("Primary IP ({v})"),
        text(instance.get("local_address").unwrap_or(&Value::Null)),
    );
    line(&mut out, &format!("Status ({v})"), shown(instance, "state"));
    if let Some(reason) = str_field(instance, "fault_reason") {
        line(&mut out, "Fault Reason", reason);
    }
    line(&mut out, "Priority", shown(instance, "configured_priority"));
    line(
        &mut out,
        &format!("Effective Priority ({v})"),
        shown(instance, "effective_priority"),
    );
    line(
        &mut out,
        "Master",
        text(instance.get("master_address").unwrap_or(&Value::Null)),
    );
    line(&mut out, "Preempt Mode", yes_no(instance, "preempt"));
    if let Some(delay) = instance.get("preempt_delay").and_then(Value::as_f64)
        && delay > 0.0
    {
        line(&mut out, "Preempt Delay", format!("{} ms", (delay * 1000.0).round()));
    }
    line(&mut out, "Accept Mode", yes_no(instance, "accept_mode"));
    line(
        &mut out,
        "Advertisement Interval",
        centiseconds(instance, "advert_interval_cs"),
    );
    line(
        &mut out,
        &format!("Master Advertisement Interval ({v})"),
        centiseconds(instance, "master_adver_interval_cs"),
    );
    let counters = instance.get("counters").unwrap_or(&Value::Null);
    line(
        &mut out,
        &format!("Advertisements Tx ({v})"),
        shown(counters, "adverts_sent"),
    );
    line(
        &mut out,
        &format!("Advertisements Rx ({v})"),
        shown(counters, "adverts_received"),
    );
    line(
        &mut out,
        &format!("State transitions ({v})"),
        shown(instance, "transition_count"),
    );
    line(
        &mut out,
        &format!("Skew Time ({v})"),
        centiseconds(instance, "skew_time_cs"),
    );
    line(
        &mut out,
        &format!("Master Down Interval ({v})"),
        centiseconds(instance, "master_down_interval_cs"),
    );
    let addresses = list(instance, "virtual_addresses");
    line(
        &mut out,
        &format!("IP{v} Addresses"),
        format!(
            "{}{}",
            addresses.len(),
            if instance.get("vips_installed").and_then(Value::as_bool) == Some(true) {
                " (installed)"
            } else {
                ""
            }
        ),
    );
    for address in addresses {
        line(&mut out, "..................................", text(address));
    }
    let announce = list(instance, "announce_addresses");
    if !announce.is_empty() {
        let announced = instance.get("announced").and_then(Value::as_bool) == Some(true);
        line(
            &mut out,
            "Announce Addresses",
            format!(
                "{}{}",
                announce.iter().map(text).collect::<Vec<_>>().join(", "),
                if announced { " (present)" } else { " (withdrawn)" }
            ),
        );
    }
    if let Some(open) = u64_field(instance, "drain_serving_connections") {
        line(
            &mut out,
            "Drain",
            format!("serving {open} open connection(s) before releasing the announce addresses"),
        );
    }
    if let Some(handover) = instance.get("handover").filter(|handover| handover.is_object()) {
        line(
            &mut out,
            "Handover",
            format!(
                "forwarding the connections of {} to it: {} packets, idle {:.1} s",
                shown(handover, "from"),
                shown(handover, "forwarded_packets"),
                handover.get("idle_seconds").and_then(Value::as_f64).unwrap_or(f64::NAN)
            ),
        );
    }
    let trackers = list(instance, "trackers");
    if !trackers.is_empty() {
        line(&mut out, "Trackers", trackers.len());
        for tracker in trackers {
            line(
                &mut out,
                "..................................",
                format!(
                    "{} {} ({})",
                    shown(tracker, "name"),
                    match tracker.get("up").and_then(Value::as_bool) {
                        Some(true) => "up",
                        Some(false) => "down",
                        None => "?",
                    },
                    shown(tracker, "effect")
                ),
            );
        }
    }
    if let Some(last) = list(instance, "history").first() {
        line(
            &mut out,
            "Last Transition",
            format!(
                "{} -> {}, {} ({:.3} s ago)",
                shown(last, "from"),
                shown(last, "to"),
                shown(last, "reason"),
                last.get("secs_ago").and_then(Value::as_f64).unwrap_or(f64::NAN)
            ),
        );
    }
    if detail {
        let rejected = nonzero(counters.get("rejected"));
        line(
            &mut out,
            "Packets Refused",
            if rejected.is_empty() {
                "0".to_string()
            } else {
                rejected.join(", ")
            },
        );
        line(
            &mut out,
            "Priority-0 Tx/Rx",
            format!(
                "{}/{}",
                shown(counters, "priority_zero_sent"),
                shown(counters, "priority_zero_received")
            ),
        );
        for record in list(instance, "history") {
            line(
                &mut out,
                "Transition",
                format!(
                    "{} -> {}, {} ({:.3} s ago)",
                    shown(record, "from"),
                    shown(record, "to"),
                    shown(record, "reason"),
                    record.get("secs_ago").and_then(Value::as_f64).unwrap_or(f64::NAN)
                ),
            );
        }
    }
    out
}

/// `drain` / `undrain`: what okapi-vrrpd did.
pub fn drain(answer: &Value) -> String {
    let drained = answer.get("drained").and_then(Value::as_bool);
    let instances = list(answer, "instances");
    let mut out = match drained {
        Some(true) => format!(
            "Drained: {} instance(s) at priority 1; their peers take the VIPs over and hand the \
             connections open here back to this node until they end.\n",
            instances.len()
        ),
        Some(false) => format!(
            "Undrained: {} instance(s) at their configured priority.\n",
            instances.len()
        ),
        None => "?\n".to_string(),
    };
    for instance in instances {
        let _ = writeln!(
            out,
            "  {} (VRID {}): {}, priority {}",
            shown(instance, "name"),
            shown(instance, "vrid"),
            shown(instance, "state"),
            shown(instance, "effective_priority")
        );
    }
    out
}

/// `show vrrp summary`: FRR's table, one row per instance.
pub fn summary(answer: &Value) -> String {
    let header = format!(
        "{:<16} {:<6} {:<10} {:<8} {:<12} {:<16} {}",
        "Interface", "VRID", "Priority", "Family", "State", "Master", "Instance"
    );
    let mut out = format!("{header}\n{}\n", "-".repeat(header.len()));
    for instance in list(answer, "instances") {
        let priority = match (
            u64_field(instance, "effective_priority"),
            u64_field(instance, "configured_priority"),
        ) {
            (Some(effective), Some(configured)) if effective != configured => format!("{effective}/{configured}"),
            (Some(effective), _) => effective.to_string(),
            _ => "?".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<16} {:<6} {:<10} {:<8} {:<12} {:<16} {}",
            shown(instance, "interface"),
            shown(instance, "vrid"),
            priority,
            if str_field(instance, "family") == Some("ipv6") {
                "IPv6"
            } else {
                "IPv4"
            },
            shown(instance, "state"),
            text(instance.get("master_address").unwrap_or(&Value::Null)),
            shown(instance, "name"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({"instances": [{
            "name": "web", "vrid": 51, "version": 3, "family": "ipv4", "interface": "eth1",
            "vmac": null, "local_address": "10.0.0.1", "state": "Master", "fault_reason": null,
            "configured_priority": 150, "effective_priority": 90, "master_address": "10.0.0.1",
            "preempt": true, "preempt_delay": 0.0, "accept_mode": true, "advert_interval_cs": 100,
            "master_adver_interval_cs": 100, "skew_time_cs": 64.84375, "master_down_interval_cs": 364.84375,
            "counters": {"adverts_sent": 12, "adverts_received": 3, "priority_zero_sent": 0,
                         "priority_zero_received": 1, "rejected": {"bad-ttl": 2, "bad-checksum": 0}},
            "transition_count": 2, "virtual_addresses": ["203.0.113.10/24"], "vips_installed": true,
            "trackers": [{"name": "haproxy", "up": false, "effect": "priority -60 while down"}],
            "history": [{"from": "Backup", "to": "Master", "reason": "master-down timer expired", "secs_ago": 1.5}]
        }]})
    }

    #[test]
    fn a_block_has_frr_lines_and_ours() {
        let text = instances(&sample(), false);
        assert!(text.contains(" Virtual Router ID                       51\n"), "{text}");
        assert!(text.contains(" Protocol Version                        3\n"), "{text}");
        assert!(
            text.contains(" Status (v4)                             Master\n"),
            "{text}"
        );
        assert!(text.contains(" Effective Priority (v4)                 90\n"), "{text}");
        assert!(
            text.contains(" Skew Time (v4)                          648 ms\n"),
            "{text}"
        );
        assert!(
            text.contains(" Master Down Interval (v4)               3648 ms\n"),
            "{text}"
        );
        assert!(
            text.contains(" IPv4 Addresses                          1 (installed)\n"),
            "{text}"
        );
        assert!(text.contains("haproxy down (priority -60 while down)"), "{text}");
        assert!(
            text.contains("Backup -> Master, master-down timer expired (1.500 s ago)"),
            "{text}"
        );
        assert!(!text.contains("Packets Refused"), "{text}");
        let detail = instances(&sample(), true);
        assert!(
            detail.contains(" Packets Refused                         bad-ttl 2\n"),
            "{detail}"
        );
        assert!(
            detail.contains(" Priority-0 Tx/Rx                        0/1\n"),
            "{detail}"
        );
    }

    #[test]
    fn the_summary_is_a_table() {
        let text = summary(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("Interface        VRID   Priority"), "{text}");
        assert!(
            lines[2].starts_with("eth1             51     90/150     IPv4     Master       10.0.0.1         web"),
            "{text}"
        );
    }

    #[test]
    fn a_drained_node_says_so() {
        let mut answer = sample();
        answer["drained"] = serde_json::json!(true);
        assert!(instances(&answer, false).starts_with("This node is drained"));
        assert!(!instances(&sample(), false).starts_with("This node is drained"));
    }

    #[test]
    fn drain_and_handover_show_in_the_block() {
        let mut answer = sample();
        let instance = &mut answer["instances"][0];
        instance["announce_addresses"] = json!(["198.51.100.10/32"]);
        instance["announced"] = json!(true);
        instance["drain_serving_connections"] = json!(3);
        instance["handover"] = json!({"from": "10.0.0.2", "forwarded_packets": 181, "idle_seconds": 0.5});
        let text = instances(&answer, false);
        assert!(
            text.contains(
                " Announce Addresses                      198.51.100.10/32 (present)
"
            ),
            "{text}"
        );
        assert!(text.contains("serving 3 open connection(s)"), "{text}");
        assert!(
            text.contains("forwarding the connections of 10.0.0.2 to it: 181 packets, idle 0.5 s"),
            "{text}"
        );
        let plain = instances(&sample(), false);
        assert!(
            !plain.contains("Announce") && !plain.contains("Drain") && !plain.contains("Handover"),
            "{plain}"
        );
    }

    #[test]
    fn no_instances_says_so() {
        assert_eq!(
            instances(&json!({"instances": []}), false),
            "No VRRP instances configured\n"
        );
    }
}
