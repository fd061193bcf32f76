//! `show ip ospf ...`: okapi-ospfd's JSON views as FRR 8/9 `vtysh` prints them.
//!
//! ```text
//!   GET /ospf             InstanceView          ──► instance()         show ip ospf
//!   GET /ospf/interfaces  [InterfaceView]       ──► interfaces()       show ip ospf interface
//!   GET /ospf/neighbors   [NeighborView]        ──► neighbors()        show ip ospf neighbor
//!                                               ──► neighbors_detail() ... detail, ... A.B.C.D
//!   GET /ospf/database    [LsaView]             ──► database()         show ip ospf database
//!                         [LsaDetailView]       ──► database_detail()  ... router|network|...
//!   GET /ospf/routes      {prefix: OspfRoute}   ──► routes()           show ip ospf route
//! ```
//!
//! Column sets, headers and wording follow FRR's ospf_vty.c so that operators (and their
//! habits) move between FRR and okapi freely; what okapi-ospfd does not report is left out
//! rather than invented, and what it reports that FRR does not (rejected packets by reason)
//! is added at the end of its block. A field missing or of an unexpected type shows as `?`.
//! okapi-ospfd runs area 0 only: the area is the instance view's `area` when at hand, else
//! [`BACKBONE`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use serde_json::{Map, Value};

use super::{shown, str_field, u64_field};

/// The only area okapi-ospfd runs.
pub const BACKBONE: &str = "0.0.0.0";

/// A duration as FRR's `ospf_timeval_dump` prints it: `3.844s` under a minute, `2m15s`,
/// `1h02m03s`, `1d02h03m`, `1w2d03h`, `0` for nothing.
pub fn duration_ms(ms: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const WEEK: u64 = 7 * DAY;
    let (mut secs, millis) = (ms / 1000, ms % 1000);
    // FRR's thresholds: strictly more than a week or a day, at least an hour or a minute.
    let mut take = |unit: u64, at_least: bool| {
        let count = if (at_least && secs >= unit) || secs > unit {
            secs / unit
        } else {
            0
        };
        secs -= count * unit;
        count
    };
    let (w, d, h, m) = (
        take(WEEK, false),
        take(DAY, false),
        take(HOUR, true),
        take(MINUTE, true),
    );
    if w > 99 {
        format!("{w}w{d}d")
    } else if w > 0 {
        format!("{w}w{d}d{h:02}h")
    } else if d > 0 {
        format!("{d}d{h:02}h{m:02}m")
    } else if h > 0 {
        format!("{h}h{m:02}m{secs:02}s")
    } else if m > 0 {
        format!("{m}m{secs:02}s")
    } else if secs > 0 || millis > 0 {
        format!("{secs}.{millis:03}s")
    } else {
        "0".to_string()
    }
}

/// A millisecond field as a duration; `null` (no timer running) is FRR's `inactive`.
fn timer(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::Null) => "inactive".to_string(),
        Some(field) => field.as_u64().map_or_else(|| "?".to_string(), duration_ms),
        None => "?".to_string(),
    }
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn object<'a>(value: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    value.get(key).and_then(Value::as_object)
}

fn address(value: &Value, key: &str) -> Option<Ipv4Addr> {
    str_field(value, key)?.parse().ok()
}

/// The non-zero counters of a `{"name": count}` object as `name count, name count`, names
/// in kebab case as the rejection reasons are (`originated-lsas 2, bad-digest 12`).
fn nonzero_counters(counters: Option<&Map<String, Value>>) -> Option<String> {
    let parts: Vec<String> = counters?
        .iter()
        .filter_map(|(name, count)| match count.as_u64() {
            Some(0) => None,
            Some(count) => Some(format!("{} {count}", name.replace('_', "-"))),
            None => Some(format!("{} ?", name.replace('_', "-"))),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The plain fields (numbers, strings, booleans) of an object as `name value, ...`, names in
/// kebab case; `None` when there are none.
fn scalars(fields: &Map<String, Value>) -> Option<String> {
    let parts: Vec<String> = fields
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::Number(number) => number.to_string(),
                Value::String(text) => text.clone(),
                Value::Bool(flag) => flag.to_string(),
                _ => return None,
            };
            Some(format!("{} {value}", name.replace('_', "-")))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Bits of a bitflags field as serialized (`"E | O"`, unknown bits as `0x..`) or a number.
fn flag_bits(value: Option<&Value>, names: &[(&str, u8)]) -> Option<u8> {
    match value? {
        Value::Number(number) => number.as_u64().and_then(|n| u8::try_from(n).ok()),
        Value::String(text) => {
            let mut bits = 0u8;
            for part in text.split('|').map(str::trim).filter(|part| !part.is_empty()) {
                bits |= match names.iter().find(|(name, _)| *name == part) {
                    Some((_, bit)) => *bit,
                    None => u8::from_str_radix(part.strip_prefix("0x")?, 16).ok()?,
                };
            }
            Some(bits)
        }
        _ => None,
    }
}

const OPTION_BITS: &[(&str, u8)] = &[
    ("DN", 0x80),
    ("O", 0x40),
    ("DC", 0x20),
    ("L", 0x10),
    ("NP", 0x08),
    ("MC", 0x04),
    ("E", 0x02),
    ("MT", 0x01),
];

const ROUTER_FLAG_BITS: &[(&str, u8)] = &[("NT", 0x10), ("W", 0x08), ("V", 0x04), ("E", 0x02), ("B", 0x01)];

/// FRR's `ospf_options_dump`: `*|O|DC|EA|N/P|MC|E|MT`, `-` for a clear bit.
fn options_dump(bits: u8) -> String {
    let bit = |mask: u8, name: &'static str| if bits & mask != 0 { name } else { "-" };
    format!(
        "*|{}|{}|{}|{}|{}|{}|{}",
        bit(0x40, "O"),
        bit(0x20, "DC"),
        bit(0x10, "EA"),
        bit(0x08, "N/P"),
        bit(0x04, "MC"),
        bit(0x02, "E"),
        bit(0x01, "MT")
    )
}

/// The FRR name of an interface state (`Point-To-Point`).
fn interface_state(view: &Value) -> String {
    match str_field(view, "state") {
        Some("Point-to-point") => "Point-To-Point".to_string(),
        Some(state) => state.to_string(),
        None => "?".to_string(),
    }
}

// ----- show ip ospf -----

/// `show ip ospf`: the process summary and the backbone's block.
pub fn instance(view: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, " OSPF Routing Process, Router ID: {}", shown(view, "router_id"));
    if let Some(up) = u64_field(view, "uptime_secs") {
        let _ = writeln!(out, " Uptime {}", super::uptime(up));
    }
    out.push_str(" This implementation conforms to RFC2328\n");
    match view.get("last_spf_ms_ago") {
        Some(Value::Null) => out.push_str(" SPF algorithm has not been run\n"),
        _ => {
            let _ = writeln!(
                out,
                " SPF algorithm last executed {} ago",
                timer(view, "last_spf_ms_ago")
            );
        }
    }
    let _ = writeln!(out, " SPF delay state (RFC 8405): {}", shown(view, "spf_delay_state"));
    let by_type = object(view, "lsa_count_by_type");
    let count = |lsa_type: u8| match by_type {
        Some(types) => types.get(&lsa_type.to_string()).map_or_else(
            || "0".to_string(),
            |n| n.as_u64().map_or("?".to_string(), |n| n.to_string()),
        ),
        None => "?".to_string(),
    };
    let _ = writeln!(out, " Number of external LSA {}", count(5));
    let _ = writeln!(out, " Maximum number of LSAs {}", shown(view, "max_lsas"));
    let _ = writeln!(out, " Number of OSPF routes {}", shown(view, "routes"));
    out.push_str(" Number of areas attached to this router: 1\n");
    if let Some(counters) = nonzero_counters(object(view, "counters")) {
        let _ = writeln!(out, " Counters: {counters}");
    }
    // What okapi-ospfd adds to the instance view: its kernel routes and its socket.
    for (key, title) in [("kernel", "Kernel routes"), ("io", "Packet I/O")] {
        if let Some(fields) = object(view, key).and_then(scalars) {
            let _ = writeln!(out, " {title}: {fields}");
        }
    }
    let unresolved: Vec<&str> = list(view, "unresolved_interfaces")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !unresolved.is_empty() {
        let _ = writeln!(out, " Configured interfaces not present: {}", unresolved.join(", "));
    }
    out.push('\n');
    let area = str_field(view, "area").unwrap_or(BACKBONE);
    let backbone = if area == BACKBONE { " (Backbone)" } else { "" };
    let _ = writeln!(out, " Area ID: {area}{backbone}");
    let _ = writeln!(
        out,
        "   Number of interfaces in this area: Total: {}",
        shown(view, "interfaces")
    );
    let _ = writeln!(
        out,
        "   Number of fully adjacent neighbors in this area: {}",
        shown(view, "full_adjacencies")
    );
    let _ = writeln!(out, "   SPF algorithm executed {} times", shown(view, "spf_runs"));
    let checksum = u64_field(view, "lsa_checksum_sum").map_or("?".to_string(), |sum| format!("0x{sum:08x}"));
    let _ = writeln!(
        out,
        "   Number of LSA {}. Checksum Sum {checksum}",
        shown(view, "lsa_count")
    );
    for (lsa_type, name) in [(1, "router"), (2, "network"), (3, "summary"), (4, "ASBR summary")] {
        let _ = writeln!(out, "   Number of {name} LSA {}", count(lsa_type));
    }
    let _ = writeln!(
        out,
        "   Number of LSDB changes that scheduled SPF {}",
        shown(view, "lsdb_changes")
    );
    out
}

// ----- show ip ospf interface -----

/// `show ip ospf interface`: one block per interface. `instance` (`GET /ospf`), when at
/// hand, gives the router ID and the area.
pub fn interfaces(interfaces: &[Value], instance: Option<&Value>) -> String {
    let router_id = instance.map_or("?".to_string(), |view| shown(view, "router_id"));
    let area = instance.and_then(|view| str_field(view, "area")).unwrap_or(BACKBONE);
    let blocks: Vec<String> = interfaces
        .iter()
        .map(|iface| interface(iface, &router_id, area))
        .collect();
    blocks.join("\n")
}

fn interface(iface: &Value, router_id: &str, area: &str) -> String {
    let state = interface_state(iface);
    let up = !matches!(state.as_str(), "Down" | "?");
    let mut out = format!("{} is {}\n", shown(iface, "name"), if up { "up" } else { "down" });
    let _ = writeln!(
        out,
        "  ifindex {}, MTU {} bytes",
        shown(iface, "ifindex"),
        shown(iface, "mtu")
    );
    if !up {
        out.push_str("  OSPF is enabled, but not running on this interface\n");
        rejected(&mut out, iface);
        return out;
    }
    let prefix_len = u64_field(iface, "prefix_len").filter(|len| *len <= 32);
    let (internet, broadcast) = match (address(iface, "address"), prefix_len) {
        (Some(address), Some(len)) => (format!("{address}/{len}"), broadcast(address, len as u32).to_string()),
        (Some(address), None) => (format!("{address}/?"), "?".to_string()),
        _ => ("?".to_string(), "?".to_string()),
    };
    let _ = writeln!(out, "  Internet Address {internet}, Broadcast {broadcast}, Area {area}");
    let network_type = match str_field(iface, "network_type") {
        Some("point-to-point") => "POINTOPOINT".to_string(),
        Some("broadcast") => "BROADCAST".to_string(),
        Some(other) => other.to_ascii_uppercase(),
        None => "?".to_string(),
    };
    let _ = writeln!(
        out,
        "  Router ID {router_id}, Network Type {network_type}, Cost: {}",
        shown(iface, "cost")
    );
    let _ = writeln!(
        out,
        "  Transmit Delay is {} sec, State {state}, Priority {}",
        shown(iface, "transmit_delay"),
        shown(iface, "priority")
    );
    // FRR says "No backup designated router" when there is no DR at all, too.
    match iface.get("dr_address") {
        Some(Value::String(dr)) => {
            let len = prefix_len.map_or("?".to_string(), |len| len.to_string());
            let _ = writeln!(
                out,
                "  Designated Router (ID) {} Interface Address {dr}/{len}",
                shown(iface, "dr_id")
            );
            match iface.get("bdr_address") {
                Some(Value::String(bdr)) => {
                    let _ = writeln!(
                        out,
                        "  Backup Designated Router (ID) {}, Interface Address {bdr}",
                        shown(iface, "bdr_id")
                    );
                }
                _ => out.push_str("  No backup designated router on this network\n"),
            }
        }
        _ => out.push_str("  No backup designated router on this network\n"),
    }
    let dead = shown(iface, "dead_interval");
    let _ = writeln!(
        out,
        "  Timer intervals configured, Hello {}s, Dead {dead}s, Wait {dead}s, Retransmit {}",
        shown(iface, "hello_interval"),
        shown(iface, "retransmit_interval")
    );
    if iface.get("passive").and_then(Value::as_bool) == Some(true) {
        out.push_str("    No Hellos (Passive interface)\n");
    } else {
        let _ = writeln!(out, "    Hello due in {}", timer(iface, "hello_due_ms"));
    }
    let _ = writeln!(
        out,
        "  Neighbor Count is {}, Adjacent neighbor count is {}",
        shown(iface, "neighbors"),
        shown(iface, "adjacent_neighbors")
    );
    match str_field(iface, "auth") {
        Some("none") => out.push_str("  Authentication NULL is enabled\n"),
        Some("simple") => out.push_str("  Simple password authentication enabled\n"),
        Some("md5") => out.push_str("  Cryptographic authentication enabled\n  Algorithm:MD5\n"),
        Some(other) => {
            let _ = writeln!(out, "  Authentication {other}");
        }
        None => {}
    }
    rejected(&mut out, iface);
    out
}

/// Ours, not FRR's: refused packets by reason, and LSAs dropped for a bad checksum.
fn rejected(out: &mut String, iface: &Value) {
    let counters = iface.get("counters");
    if let Some(reasons) = nonzero_counters(counters.and_then(|c| object(c, "rejected"))) {
        let _ = writeln!(out, "  Rejected packets: {reasons}");
    }
    if let Some(bad) = counters
        .and_then(|c| u64_field(c, "bad_lsa_checksums"))
        .filter(|n| *n > 0)
    {
        let _ = writeln!(out, "  LSAs dropped for a bad checksum: {bad}");
    }
}

/// FRR's `ipv4_broadcast_addr`: all ones for a /31.
fn broadcast(address: Ipv4Addr, len: u32) -> Ipv4Addr {
    if len == 31 {
        return Ipv4Addr::BROADCAST;
    }
    let host_mask = u32::MAX.checked_shr(len).unwrap_or(0);
    Ipv4Addr::from(u32::from(address) | host_mask)
}

// ----- show ip ospf neighbor -----

/// `show ip ospf neighbor`: FRR's table. `interfaces` (`GET /ospf/interfaces`), when at hand,
/// gives the interface addresses FRR shows after the name (`eth1:10.0.12.1`).
pub fn neighbors(neighbors: &[Value], interfaces: &[Value]) -> String {
    let mut out = format!(
        "\n{:<15} {:<3} {:<15} {:<15} {:<9} {:<15} {:<32} {:>5} {:>5} {:>5}\n",
        "Neighbor ID", "Pri", "State", "Up Time", "Dead Time", "Address", "Interface", "RXmtL", "RqstL", "DBsmL"
    );
    for neighbor in neighbors {
        let role = match str_field(neighbor, "role") {
            Some("") => "-",
            Some(role) => role,
            None => "?",
        };
        let state = format!("{}/{role}", shown(neighbor, "state"));
        let up = u64_field(neighbor, "uptime_secs").map_or("?".to_string(), |secs| duration_ms(secs * 1000));
        let _ = writeln!(
            out,
            "{:<15} {:>3} {:<15} {:<15} {:>9} {:<15} {:<32} {:>5} {:>5} {:>5}",
            shown(neighbor, "router_id"),
            shown(neighbor, "priority"),
            state,
            up,
            timer(neighbor, "dead_time_ms"),
            shown(neighbor, "address"),
            interface_label(neighbor, interfaces),
            shown(neighbor, "retransmit_list"),
            shown(neighbor, "request_list"),
            shown(neighbor, "summary_list"),
        );
    }
    out
}

/// FRR's `IF_NAME`: `eth1:10.0.12.1`, the name alone when our address is not known.
fn interface_label(neighbor: &Value, interfaces: &[Value]) -> String {
    let name = shown(neighbor, "interface");
    let ours = interfaces
        .iter()
        .find(
            |iface| match (u64_field(iface, "ifindex"), u64_field(neighbor, "ifindex")) {
                (Some(a), Some(b)) => a == b,
                _ => str_field(iface, "name") == Some(name.as_str()),
            },
        )
        .and_then(|iface| str_field(iface, "address"));
    match ours {
        Some(address) => format!("{name}:{address}"),
        None => name,
    }
}

/// `show ip ospf neighbor detail` and `show ip ospf neighbor A.B.C.D`: one block each.
pub fn neighbors_detail(neighbors: &[Value], area: &str) -> String {
    let mut out = String::new();
    for neighbor in neighbors {
        let _ = writeln!(
            out,
            " Neighbor {}, interface address {}",
            shown(neighbor, "router_id"),
            shown(neighbor, "address")
        );
        let _ = writeln!(
            out,
            "    In the area {area} via interface {}",
            shown(neighbor, "interface")
        );
        let _ = writeln!(
            out,
            "    Neighbor priority is {}, State is {}, {} state changes",
            shown(neighbor, "priority"),
            shown(neighbor, "state"),
            shown(neighbor, "state_changes")
        );
        let up = u64_field(neighbor, "uptime_secs").map_or("?".to_string(), |secs| duration_ms(secs * 1000));
        let _ = writeln!(out, "    Neighbor up for {up}");
        let _ = writeln!(
            out,
            "    DR is {}, BDR is {}",
            shown(neighbor, "designated_router"),
            shown(neighbor, "backup_designated_router")
        );
        match flag_bits(neighbor.get("options"), OPTION_BITS) {
            Some(bits) => {
                let _ = writeln!(out, "    Options {bits} {}", options_dump(bits));
            }
            None => out.push_str("    Options ?\n"),
        }
        let _ = writeln!(out, "    Dead timer due in {}", timer(neighbor, "dead_time_ms"));
        let _ = writeln!(out, "    Database Summary List {}", shown(neighbor, "summary_list"));
        let _ = writeln!(out, "    Link State Request List {}", shown(neighbor, "request_list"));
        let _ = writeln!(
            out,
            "    Link State Retransmission List {}",
            shown(neighbor, "retransmit_list")
        );
        let sequence = u64_field(neighbor, "dd_sequence").map_or("?".to_string(), |n| format!("0x{n:08x}"));
        let _ = writeln!(
            out,
            "    Database exchange role {}, DD sequence number {sequence}",
            shown(neighbor, "dd_role")
        );
        out.push('\n');
    }
    out
}

// ----- show ip ospf database -----

/// FRR's `show_database_desc`.
fn type_description(lsa_type: u64) -> String {
    match lsa_type {
        1 => "Router Link States".into(),
        2 => "Net Link States".into(),
        3 => "Summary Link States".into(),
        4 => "ASBR-Summary Link States".into(),
        5 => "AS External Link States".into(),
        7 => "NSSA-external Link States".into(),
        9 => "Link-Local Opaque-LSA".into(),
        10 => "Area-Local Opaque-LSA".into(),
        11 => "AS-external Opaque-LSA".into(),
        other => format!("Type-{other} Link States"),
    }
}

/// AS-wide types have no area in their title.
fn type_title(lsa_type: u64, area: &str) -> String {
    match lsa_type {
        5 | 11 => type_description(lsa_type),
        _ => format!("{} (Area {area})", type_description(lsa_type)),
    }
}

/// Groups LSAs by type (in type order), keeping the daemon's order within a type.
fn by_type(lsas: &[Value]) -> BTreeMap<u64, Vec<&Value>> {
    let mut groups: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for lsa in lsas {
        groups
            .entry(u64_field(lsa, "lsa_type").unwrap_or(u64::MAX))
            .or_default()
            .push(lsa);
    }
    groups
}

/// The router ID for the `OSPF Router with ID` title: the instance's, else the advertising
/// router of a self-originated LSA.
fn database_router_id(lsas: &[Value], instance: Option<&Value>) -> String {
    instance
        .and_then(|view| str_field(view, "router_id"))
        .or_else(|| {
            lsas.iter()
                .find(|lsa| lsa.get("self_originated").and_then(Value::as_bool) == Some(true))
                .and_then(|lsa| str_field(lsa, "advertising_router"))
        })
        .unwrap_or("?")
        .to_string()
}

/// A summary or external LSA's prefix, from its body when the answer has one.
fn lsa_prefix(lsa: &Value, body: Option<&Value>) -> String {
    let mask = body.and_then(|body| address(body, "network_mask"));
    match (address(lsa, "link_state_id"), mask) {
        (Some(id), Some(mask)) => {
            let len = u32::from(mask).leading_ones();
            let network = u32::from(id) & u32::MAX.checked_shl(32 - len).unwrap_or(0);
            format!("{}/{len}", Ipv4Addr::from(network))
        }
        _ => "?".to_string(),
    }
}

/// The body of a detail view, whichever its type (`{"router": {...}}`).
fn lsa_body(lsa: &Value) -> Option<(&str, &Value)> {
    let (kind, body) = lsa.get("body")?.as_object()?.iter().next()?;
    Some((kind.as_str(), body))
}

/// `show ip ospf database`: one table per LSA type. `instance` gives the router ID and the
/// area when at hand.
pub fn database(lsas: &[Value], instance: Option<&Value>) -> String {
    let area = instance.and_then(|view| str_field(view, "area")).unwrap_or(BACKBONE);
    let mut out = format!(
        "\n       OSPF Router with ID ({})\n\n",
        database_router_id(lsas, instance)
    );
    for (lsa_type, group) in by_type(lsas) {
        let _ = writeln!(out, "                {}\n", type_title(lsa_type, area));
        let extra = match lsa_type {
            1 => "  Link count",
            3 | 5 | 7 => "  Route",
            _ => "",
        };
        let _ = writeln!(out, "Link ID         ADV Router      Age  Seq#       CkSum{extra}");
        for lsa in group {
            let mut row = format!(
                "{:<15} {:<15} {:>4} {:<10} {:<6}",
                shown(lsa, "link_state_id"),
                shown(lsa, "advertising_router"),
                shown(lsa, "age"),
                shown(lsa, "sequence"),
                shown(lsa, "checksum"),
            );
            let body = lsa_body(lsa).map(|(_, body)| body);
            match lsa_type {
                1 => {
                    let _ = write!(row, " {}", shown(lsa, "links"));
                }
                3 => {
                    let _ = write!(row, " {}", lsa_prefix(lsa, body));
                }
                5 | 7 => {
                    let metric = body.and_then(|body| body.get("metric"));
                    let kind = match metric.and_then(|m| str_field(m, "metric_type")) {
                        Some("type1") => "E1",
                        Some("type2") => "E2",
                        _ => "?",
                    };
                    let tag = metric
                        .and_then(|m| u64_field(m, "route_tag"))
                        .map_or("?".to_string(), |tag| format!("0x{tag:x}"));
                    let _ = write!(row, " {kind} {} [{tag}]", lsa_prefix(lsa, body));
                }
                _ => {}
            }
            let _ = writeln!(out, "{}", row.trim_end());
        }
        out.push('\n');
    }
    out
}

/// FRR's `ospf_lsa_type_msg`.
fn lsa_type_name(lsa_type: u64) -> String {
    match lsa_type {
        1 => "router-LSA".into(),
        2 => "network-LSA".into(),
        3 => "summary-LSA".into(),
        4 => "asbr-summary-LSA".into(),
        5 => "AS-external-LSA".into(),
        7 => "NSSA-LSA".into(),
        other => format!("type-{other}-LSA"),
    }
}

/// FRR's `ospf_link_state_id_type_msg`.
fn link_state_id_meaning(lsa_type: u64) -> &'static str {
    match lsa_type {
        2 => " (address of Designated Router)",
        3 | 4 => " (summary Network ID)",
        5 | 7 => " (External Network Number)",
        _ => "",
    }
}

/// `show ip ospf database router|network|summary|asbr-summary|external [A.B.C.D]`: every LSA
/// of the answer in full, under the title of `lsa_type` (the type asked for).
pub fn database_detail(lsas: &[Value], lsa_type: u8, instance: Option<&Value>) -> String {
    let area = instance.and_then(|view| str_field(view, "area")).unwrap_or(BACKBONE);
    let mut out = format!(
        "\n       OSPF Router with ID ({})\n\n",
        database_router_id(lsas, instance)
    );
    let _ = writeln!(out, "\n                {}\n", type_title(u64::from(lsa_type), area));
    for lsa in lsas {
        lsa_detail(&mut out, lsa);
    }
    out
}

fn lsa_detail(out: &mut String, lsa: &Value) {
    let lsa_type = u64_field(lsa, "lsa_type").unwrap_or(0);
    let body = lsa_body(lsa);
    let _ = writeln!(out, "  LS age: {}", shown(lsa, "age"));
    match flag_bits(lsa.get("options"), OPTION_BITS) {
        Some(bits) => {
            let _ = writeln!(out, "  Options: 0x{bits:<2x} : {}", options_dump(bits));
        }
        None => out.push_str("  Options: ?\n"),
    }
    if let Some(("router", router)) = body {
        match flag_bits(router.get("flags"), ROUTER_FLAG_BITS) {
            Some(0) => out.push_str("  Flags: 0x0\n"),
            Some(bits) => {
                let names: String = [(0x01, " ABR"), (0x02, " ASBR"), (0x04, " VL-endpoint")]
                    .iter()
                    .filter(|(mask, _)| bits & mask != 0)
                    .map(|(_, name)| *name)
                    .collect();
                let _ = writeln!(out, "  Flags: 0x{bits:x} :{names}");
            }
            None => out.push_str("  Flags: ?\n"),
        }
    }
    let _ = writeln!(out, "  LS Type: {}", lsa_type_name(lsa_type));
    let _ = writeln!(
        out,
        "  Link State ID: {}{}",
        shown(lsa, "link_state_id"),
        link_state_id_meaning(lsa_type)
    );
    let _ = writeln!(out, "  Advertising Router: {}", shown(lsa, "advertising_router"));
    let sequence = shown(lsa, "sequence");
    let _ = writeln!(
        out,
        "  LS Seq Number: {}",
        sequence.strip_prefix("0x").unwrap_or(&sequence)
    );
    let _ = writeln!(out, "  Checksum: {}", shown(lsa, "checksum"));
    let _ = writeln!(out, "  Length: {}\n", shown(lsa, "length"));
    let mask_len = |body: &Value| {
        address(body, "network_mask").map_or("?".to_string(), |mask| u32::from(mask).leading_ones().to_string())
    };
    match body {
        Some(("router", router)) => {
            let links = list(router, "links");
            let _ = writeln!(out, "   Number of Links: {}\n", links.len());
            for link in links {
                let (kind, id, data) = match u64_field(link, "link_type") {
                    Some(1) => (
                        "another Router (point-to-point)",
                        "Neighboring Router ID",
                        "Router Interface address",
                    ),
                    Some(2) => (
                        "a Transit Network",
                        "Designated Router address",
                        "Router Interface address",
                    ),
                    Some(3) => ("Stub Network", "Net", "Network Mask"),
                    Some(4) => ("a Virtual Link", "Neighboring Router ID", "Router Interface address"),
                    _ => ("?", "Link ID", "Link Data"),
                };
                let _ = writeln!(out, "    Link connected to: {kind}");
                let _ = writeln!(out, "     (Link ID) {id}: {}", shown(link, "link_id"));
                let _ = writeln!(out, "     (Link Data) {data}: {}", shown(link, "link_data"));
                let _ = writeln!(out, "      Number of TOS metrics: {}", list(link, "tos_metrics").len());
                let _ = writeln!(out, "       TOS 0 Metric: {}\n", shown(link, "metric"));
            }
            out.push('\n');
        }
        Some(("network", network)) => {
            let _ = writeln!(out, "  Network Mask: /{}", mask_len(network));
            for router in list(network, "attached_routers") {
                let router = router.as_str().unwrap_or("?");
                let _ = writeln!(out, "        Attached Router: {router}\n");
            }
        }
        Some(("summary-network" | "summary-asbr", summary)) => {
            let _ = writeln!(out, "  Network Mask: /{}", mask_len(summary));
            let _ = writeln!(out, "        TOS: 0  Metric: {}\n", shown(summary, "metric"));
        }
        Some(("as-external", external)) => {
            let metric = external.get("metric").unwrap_or(&Value::Null);
            let kind = match str_field(metric, "metric_type") {
                Some("type2") => "2 (Larger than any link state path)",
                Some("type1") => "1",
                _ => "?",
            };
            let _ = writeln!(out, "  Network Mask: /{}", mask_len(external));
            let _ = writeln!(out, "        Metric Type: {kind}");
            let _ = writeln!(out, "        TOS: 0");
            let _ = writeln!(out, "        Metric: {}", shown(metric, "metric"));
            let _ = writeln!(out, "        Forward Address: {}", shown(metric, "forwarding_address"));
            let _ = writeln!(out, "        External Route Tag: {}\n", shown(metric, "route_tag"));
        }
        // A body okapi-ospf keeps undecoded, or no body in the answer: the header only.
        _ => {}
    }
}

// ----- show ip ospf route -----

/// `show ip ospf route`: FRR's network routing table, then the external one. `interfaces`
/// (`GET /ospf/interfaces`) names the next hops' interfaces; without it, `ifindex N`.
pub fn routes(routes: &Map<String, Value>, interfaces: &[Value], area: &str) -> String {
    let name_of = |nexthop: &Value| {
        let ifindex = u64_field(nexthop, "ifindex");
        interfaces
            .iter()
            .find(|iface| ifindex.is_some() && u64_field(iface, "ifindex") == ifindex)
            .and_then(|iface| str_field(iface, "name"))
            .map_or_else(|| format!("ifindex {}", shown(nexthop, "ifindex")), str::to_string)
    };
    // The JSON object's key order is not the prefix order: sort by address, then length.
    let mut sorted: Vec<(&String, &Value)> = routes.iter().collect();
    sorted.sort_by_key(|(prefix, _)| prefix_order(prefix));
    let (external, network): (Vec<_>, Vec<_>) = sorted
        .into_iter()
        .partition(|(_, route)| matches!(str_field(route, "path_type"), Some("type1-external" | "type2-external")));
    let mut out = String::from("============ OSPF network routing table ============\n");
    for (prefix, route) in network {
        let code = match str_field(route, "path_type") {
            Some("intra-area") => "N   ",
            Some("inter-area") => "N IA",
            _ => "N ? ",
        };
        let _ = writeln!(out, "{code} {prefix:<18}    [{}] area: {area}", shown(route, "cost"));
        nexthops(&mut out, route, &name_of);
    }
    out.push_str("\n============ OSPF external routing table ===========\n");
    for (prefix, route) in external {
        let code = match str_field(route, "path_type") {
            Some("type1-external") => "N E1",
            _ => "N E2",
        };
        let _ = writeln!(out, "{code} {prefix:<18}    [{}]", shown(route, "cost"));
        nexthops(&mut out, route, &name_of);
    }
    out.push('\n');
    out
}

fn nexthops(out: &mut String, route: &Value, name_of: &dyn Fn(&Value) -> String) {
    for nexthop in list(route, "nexthops") {
        match nexthop.get("gateway") {
            Some(Value::String(gateway)) => {
                let _ = writeln!(out, "{:24}   via {gateway}, {}", "", name_of(nexthop));
            }
            _ => {
                let _ = writeln!(out, "{:24}   directly attached to {}", "", name_of(nexthop));
            }
        }
    }
}

/// Sort key of a `A.B.C.D/M` key: address then length; anything else after, by its text.
fn prefix_order(prefix: &str) -> (u8, u32, u8, String) {
    let parsed = prefix
        .split_once('/')
        .and_then(|(addr, len)| Some((addr.parse::<Ipv4Addr>().ok()?, len.parse::<u8>().ok()?)));
    match parsed {
        Some((addr, len)) => (0, u32::from(addr), len, String::new()),
        None => (1, 0, 0, prefix.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testnet::TestNet;
    use okapi_ospf::LsaType;
    use serde_json::json;

    /// What the handlers pass: the list under `key` of an answer.
    fn items(answer: &Value, key: &str) -> Vec<Value> {
        answer[key].as_array().cloned().expect("a list")
    }

    /// The lines of `text` that start with `prefix`.
    fn lines_with<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|line| line.starts_with(prefix)).collect()
    }

    fn is_duration(text: &str) -> bool {
        let seconds = text
            .strip_suffix('s')
            .and_then(|t| t.split_once('.'))
            .is_some_and(|(s, ms)| s.parse::<u64>().is_ok() && ms.len() == 3 && ms.parse::<u64>().is_ok());
        seconds || text == "0" || text.contains('m') || text.contains('h')
    }

    /// The neighbor table's rows as (header, rows), each row checked against the header's
    /// columns: left-aligned ones start where their title starts, right-aligned ones end
    /// where theirs ends.
    fn neighbor_rows(text: &str) -> Vec<Vec<String>> {
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "", "FRR starts the table with an empty line:\n{text}");
        let header = lines[1];
        assert_eq!(
            header,
            "Neighbor ID     Pri State           Up Time         Dead Time Address         \
             Interface                        RXmtL RqstL DBsmL"
        );
        lines[2..]
            .iter()
            .map(|row| {
                assert_eq!(row.len(), header.len(), "row as wide as the header:\n{text}");
                for title in ["State", "Up Time", "Address", "Interface"] {
                    let at = header.find(title).expect("title");
                    assert!(
                        row[..at].ends_with(' ') && !row[at..].starts_with(' '),
                        "{title} column starts at {at}:\n{text}"
                    );
                }
                for title in ["Pri", "Dead Time", "RXmtL", "RqstL", "DBsmL"] {
                    let end = header.find(title).expect("title") + title.len();
                    assert!(
                        !row[..end].ends_with(' ') && (end == row.len() || row[end..].starts_with(' ')),
                        "{title} column ends at {end}:\n{text}"
                    );
                }
                row.split_whitespace().map(str::to_string).collect()
            })
            .collect()
    }

    #[test]
    fn durations_look_like_frr() {
        assert_eq!(duration_ms(0), "0");
        assert_eq!(duration_ms(1), "0.001s");
        assert_eq!(duration_ms(3_844), "3.844s");
        assert_eq!(duration_ms(52_000), "52.000s");
        assert_eq!(duration_ms(135_400), "2m15s");
        assert_eq!(duration_ms(3_723_000), "1h02m03s");
        // FRR's own thresholds: a day is still counted in hours.
        assert_eq!(duration_ms(86_400_000), "24h00m00s");
        assert_eq!(duration_ms(93_784_000), "1d02h03m");
        assert_eq!(duration_ms(9 * 86_400_000 + 3_600_000), "1w2d01h");
        assert!(duration_ms(u64::MAX).ends_with('d'), "no overflow");
    }

    #[test]
    fn options_and_flags() {
        assert_eq!(flag_bits(Some(&json!("E")), OPTION_BITS), Some(0x02));
        assert_eq!(flag_bits(Some(&json!("O | E")), OPTION_BITS), Some(0x42));
        assert_eq!(flag_bits(Some(&json!("E | 0x1")), OPTION_BITS), Some(0x03));
        assert_eq!(flag_bits(Some(&json!("")), OPTION_BITS), Some(0));
        assert_eq!(flag_bits(Some(&json!(66)), OPTION_BITS), Some(66));
        assert_eq!(flag_bits(Some(&json!("bogus")), OPTION_BITS), None);
        assert_eq!(flag_bits(Some(&json!(300)), OPTION_BITS), None);
        assert_eq!(flag_bits(None, OPTION_BITS), None);
        assert_eq!(options_dump(0x02), "*|-|-|-|-|-|E|-");
        assert_eq!(options_dump(0x7f), "*|O|DC|EA|N/P|MC|E|MT");
        assert_eq!(flag_bits(Some(&json!("B | E")), ROUTER_FLAG_BITS), Some(0x03));
        assert_eq!(broadcast(Ipv4Addr::new(10, 0, 12, 1), 30), Ipv4Addr::new(10, 0, 12, 3));
        assert_eq!(broadcast(Ipv4Addr::new(10, 0, 12, 0), 31), Ipv4Addr::BROADCAST);
        assert_eq!(broadcast(Ipv4Addr::new(10, 0, 0, 1), 32), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(broadcast(Ipv4Addr::new(10, 1, 2, 3), 0), Ipv4Addr::BROADCAST);
    }

    #[test]
    fn p2p_neighbor_table_and_detail() {
        let net = TestNet::p2p();
        let interfaces = items(&net.interfaces_json(0), "interfaces");
        let neighbors = items(&net.neighbors_json(0), "neighbors");
        let text = super::neighbors(&neighbors, &interfaces);
        println!("{text}");
        let rows = neighbor_rows(&text);
        assert_eq!(rows.len(), 1, "{text}");
        let row = &rows[0];
        assert_eq!(
            [&row[0], &row[1], &row[2], &row[5], &row[6], &row[7], &row[8], &row[9]],
            ["10.0.0.2", "1", "Full/-", "10.0.12.2", "eth1:10.0.12.1", "0", "0", "0"]
        );
        assert!(is_duration(&row[3]) && is_duration(&row[4]), "{text}");
        // Without the interfaces view: the name alone.
        let text = super::neighbors(&neighbors, &[]);
        assert_eq!(neighbor_rows(&text)[0][6], "eth1");

        let text = neighbors_detail(&neighbors, BACKBONE);
        println!("{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], " Neighbor 10.0.0.2, interface address 10.0.12.2");
        assert_eq!(lines[1], "    In the area 0.0.0.0 via interface eth1");
        assert!(
            lines[2].starts_with("    Neighbor priority is 1, State is Full, ") && lines[2].ends_with(" state changes"),
            "{text}"
        );
        assert!(text.contains("\n    DR is 0.0.0.0, BDR is 0.0.0.0\n"), "{text}");
        assert!(text.contains("\n    Options 2 *|-|-|-|-|-|E|-\n"), "{text}");
        assert!(
            text.contains("\n    Database Summary List 0\n    Link State Request List 0\n"),
            "{text}"
        );
        let dead = lines_with(&text, "    Dead timer due in ");
        assert!(is_duration(&dead[0]["    Dead timer due in ".len()..]), "{text}");
    }

    #[test]
    fn lan_neighbor_roles() {
        let net = TestNet::lan();
        let state_of = |router: usize| -> Vec<(String, String)> {
            let interfaces = items(&net.interfaces_json(router), "interfaces");
            let text = super::neighbors(&items(&net.neighbors_json(router), "neighbors"), &interfaces);
            println!("{text}");
            neighbor_rows(&text)
                .into_iter()
                .map(|row| (row[0].clone(), row[2].clone()))
                .collect()
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        assert_eq!(
            state_of(0),
            pairs(&[("10.0.0.2", "Full/Backup"), ("10.0.0.3", "Full/DR")])
        );
        assert_eq!(
            state_of(2),
            pairs(&[("10.0.0.1", "Full/DROther"), ("10.0.0.2", "Full/Backup")])
        );

        // Four routers: the two DROthers stay 2-Way.
        let net = TestNet::lan_of(4);
        let text = super::neighbors(&items(&net.neighbors_json(0), "neighbors"), &[]);
        let states: Vec<String> = neighbor_rows(&text).into_iter().map(|row| row[2].clone()).collect();
        assert_eq!(states, ["2-Way/DROther", "Full/Backup", "Full/DR"], "{text}");
    }

    /// The interface block without its `Hello due in` line (a timer).
    fn without_hello_due(text: &str) -> String {
        let mut kept: Vec<&str> = Vec::new();
        for line in text.lines() {
            match line.strip_prefix("    Hello due in ") {
                Some(due) => assert!(is_duration(due), "{text}"),
                None => kept.push(line),
            }
        }
        kept.join("\n") + "\n"
    }

    #[test]
    fn interfaces_look_like_frr() {
        let net = TestNet::p2p();
        let instance = net.instance_json(0);
        let text = interfaces(&items(&net.interfaces_json(0), "interfaces"), Some(&instance));
        println!("{text}");
        assert_eq!(
            without_hello_due(&text),
            "eth1 is up\n\
             \x20 ifindex 2, MTU 1500 bytes\n\
             \x20 Internet Address 10.0.12.1/30, Broadcast 10.0.12.3, Area 0.0.0.0\n\
             \x20 Router ID 10.0.0.1, Network Type POINTOPOINT, Cost: 10\n\
             \x20 Transmit Delay is 1 sec, State Point-To-Point, Priority 1\n\
             \x20 No backup designated router on this network\n\
             \x20 Timer intervals configured, Hello 1s, Dead 4s, Wait 4s, Retransmit 5\n\
             \x20 Neighbor Count is 1, Adjacent neighbor count is 1\n\
             \x20 Authentication NULL is enabled\n"
        );

        let net = TestNet::lan();
        let expected = |router: usize, state: &str| {
            format!(
                "eth1 is up\n\
                 \x20 ifindex 2, MTU 1500 bytes\n\
                 \x20 Internet Address 10.0.123.{n}/24, Broadcast 10.0.123.255, Area 0.0.0.0\n\
                 \x20 Router ID 10.0.0.{n}, Network Type BROADCAST, Cost: 10\n\
                 \x20 Transmit Delay is 1 sec, State {state}, Priority 1\n\
                 \x20 Designated Router (ID) 10.0.0.3 Interface Address 10.0.123.3/24\n\
                 \x20 Backup Designated Router (ID) 10.0.0.2, Interface Address 10.0.123.2\n\
                 \x20 Timer intervals configured, Hello 1s, Dead 4s, Wait 4s, Retransmit 5\n\
                 \x20 Neighbor Count is 2, Adjacent neighbor count is 2\n\
                 \x20 Authentication NULL is enabled\n",
                n = router + 1
            )
        };
        for (router, state) in [(0, "DROther"), (1, "Backup"), (2, "DR")] {
            let instance = net.instance_json(router);
            let text = interfaces(&items(&net.interfaces_json(router), "interfaces"), Some(&instance));
            println!("{text}");
            assert_eq!(without_hello_due(&text), expected(router, state));
        }
        // Without the instance view: the router ID is not known.
        let text = interfaces(&items(&net.interfaces_json(0), "interfaces"), None);
        assert!(
            text.contains("  Router ID ?, Network Type BROADCAST, Cost: 10\n"),
            "{text}"
        );
    }

    #[test]
    fn rejected_packets_are_listed_when_any() {
        let net = TestNet::p2p();
        let mut answer = net.interfaces_json(0);
        answer["interfaces"][0]["counters"]["rejected"] = json!({"bad-digest": 12, "hello-mismatch": 3, "ttl": 0});
        answer["interfaces"][0]["counters"]["bad_lsa_checksums"] = json!(2);
        let text = interfaces(&items(&answer, "interfaces"), None);
        assert!(
            text.ends_with(
                "  Authentication NULL is enabled\n  Rejected packets: bad-digest 12, hello-mismatch 3\n  \
                 LSAs dropped for a bad checksum: 2\n"
            ),
            "{text}"
        );
        // A down interface: FRR's one line, then the counters still.
        answer["interfaces"][0]["state"] = json!("Down");
        let text = interfaces(&items(&answer, "interfaces"), None);
        assert!(
            text.starts_with(
                "eth1 is down\n  ifindex 2, MTU 1500 bytes\n  OSPF is enabled, but not running on this interface\n  \
                 Rejected packets: "
            ),
            "{text}"
        );
    }

    #[test]
    fn database_tables() {
        let net = TestNet::lan();
        let instance = net.instance_json(0);
        let text = database(&items(&net.database_json(0), "lsas"), Some(&instance));
        println!("{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..6],
            [
                "",
                "       OSPF Router with ID (10.0.0.1)",
                "",
                "                Router Link States (Area 0.0.0.0)",
                "",
                "Link ID         ADV Router      Age  Seq#       CkSum  Link count",
            ]
        );
        let header = lines[5];
        for (index, router) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].iter().enumerate() {
            let row = lines[6 + index];
            let columns: Vec<&str> = row.split_whitespace().collect();
            assert_eq!((columns[0], columns[1], columns[5]), (*router, *router, "2"), "{text}");
            assert!(columns[2].parse::<u16>().is_ok(), "{text}");
            assert!(columns[3].starts_with("0x8000") && columns[3].len() == 10, "{text}");
            assert!(columns[4].starts_with("0x") && columns[4].len() == 6, "{text}");
            for title in ["ADV Router", "Seq#", "CkSum", "Link count"] {
                let at = header.find(title).expect("title");
                assert!(
                    row[..at].ends_with(' ') && !row[at..].starts_with(' '),
                    "{title}:\n{text}"
                );
            }
        }
        assert_eq!(
            lines[9..13],
            [
                "",
                "                Net Link States (Area 0.0.0.0)",
                "",
                "Link ID         ADV Router      Age  Seq#       CkSum",
            ]
        );
        assert!(lines[13].starts_with("10.0.123.3      10.0.0.3        "), "{text}");
        assert_eq!(lines.len(), 15, "{text}");

        // Without the instance view, the router ID of the self-originated LSAs.
        let text = database(&items(&net.database_json(1), "lsas"), None);
        assert!(text.starts_with("\n       OSPF Router with ID (10.0.0.2)\n"), "{text}");
    }

    #[test]
    fn database_details() {
        let net = TestNet::p2p();
        let instance = net.instance_json(0);
        let answer = net.database_detail_json(0, LsaType::ROUTER, Some(Ipv4Addr::new(10, 0, 0, 1)));
        let text = database_detail(&items(&answer, "lsas"), 1, Some(&instance));
        println!("{text}");
        let age = lines_with(&text, "  LS age: ");
        assert_eq!(age.len(), 1, "{text}");
        let (_, rest) = text.split_once(age[0]).expect("LS age line");
        let seq = lines_with(rest, "  LS Seq Number: ")[0];
        let checksum = lines_with(rest, "  Checksum: ")[0];
        let expected = format!(
            "\n       OSPF Router with ID (10.0.0.1)\n\n\n                Router Link States (Area 0.0.0.0)\n\n{}\n\
             \x20 Options: 0x2  : *|-|-|-|-|-|E|-\n\
             \x20 Flags: 0x0\n\
             \x20 LS Type: router-LSA\n\
             \x20 Link State ID: 10.0.0.1\n\
             \x20 Advertising Router: 10.0.0.1\n\
             {seq}\n{checksum}\n\
             \x20 Length: 60\n\
             \n\
             \x20  Number of Links: 3\n\
             \n\
             \x20   Link connected to: another Router (point-to-point)\n\
             \x20    (Link ID) Neighboring Router ID: 10.0.0.2\n\
             \x20    (Link Data) Router Interface address: 10.0.12.1\n\
             \x20     Number of TOS metrics: 0\n\
             \x20      TOS 0 Metric: 10\n\
             \n\
             \x20   Link connected to: Stub Network\n\
             \x20    (Link ID) Net: 10.0.12.0\n\
             \x20    (Link Data) Network Mask: 255.255.255.252\n\
             \x20     Number of TOS metrics: 0\n\
             \x20      TOS 0 Metric: 10\n\
             \n\
             \x20   Link connected to: Stub Network\n\
             \x20    (Link ID) Net: 10.0.0.1\n\
             \x20    (Link Data) Network Mask: 255.255.255.255\n\
             \x20     Number of TOS metrics: 0\n\
             \x20      TOS 0 Metric: 0\n\
             \n\n",
            age[0]
        );
        assert_eq!(text, expected);
        assert!(
            seq.len() == "  LS Seq Number: 80000002".len() && !seq.contains("0x"),
            "{text}"
        );

        let net = TestNet::lan();
        let answer = net.database_detail_json(0, LsaType::NETWORK, None);
        let text = database_detail(&items(&answer, "lsas"), 2, None);
        println!("{text}");
        assert!(
            text.contains("\n                Net Link States (Area 0.0.0.0)\n\n  LS age: "),
            "{text}"
        );
        assert!(text.contains("\n  LS Type: network-LSA\n"), "{text}");
        assert!(
            text.contains(
                "\n  Link State ID: 10.0.123.3 (address of Designated Router)\n  Advertising Router: 10.0.0.3\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with(
                "  Network Mask: /24\n        Attached Router: 10.0.0.3\n\n        Attached Router: 10.0.0.1\n\n        \
                 Attached Router: 10.0.0.2\n\n"
            ),
            "{text}"
        );
        // No LSA of that type: the titles only, as FRR.
        let text = database_detail(&[], 4, None);
        assert_eq!(
            text,
            "\n       OSPF Router with ID (?)\n\n\n                ASBR-Summary Link States (Area 0.0.0.0)\n\n"
        );
    }

    #[test]
    fn summary_and_external_lsas_from_hand_written_answers() {
        let summary = json!({"lsa_type": 3, "link_state_id": "10.9.1.7", "advertising_router": "10.0.0.9",
            "age": 100, "sequence": "0x80000001", "checksum": "0x1234", "length": 28, "options": "E",
            "body": {"summary-network": {"network_mask": "255.255.255.0", "metric": 20, "tos_metrics": []}}});
        let external = json!({"lsa_type": 5, "link_state_id": "192.168.0.0", "advertising_router": "10.0.0.9",
            "age": 3, "sequence": "0x80000003", "checksum": "0xabcd", "length": 36, "options": "E",
            "body": {"as-external": {"network_mask": "255.255.0.0", "metric": {"metric_type": "type2",
                "tos": 0, "metric": 20, "forwarding_address": "0.0.0.0", "route_tag": 7}, "tos_metrics": []}}});
        let text = database(&[summary.clone(), external.clone()], None);
        println!("{text}");
        assert!(
            text.contains(
                "                Summary Link States (Area 0.0.0.0)\n\n\
                 Link ID         ADV Router      Age  Seq#       CkSum  Route\n\
                 10.9.1.7        10.0.0.9         100 0x80000001 0x1234 10.9.1.0/24\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "                AS External Link States\n\n\
                 Link ID         ADV Router      Age  Seq#       CkSum  Route\n\
                 192.168.0.0     10.0.0.9           3 0x80000003 0xabcd E2 192.168.0.0/16 [0x7]\n"
            ),
            "{text}"
        );
        let text = database_detail(&[summary], 3, None);
        assert!(
            text.ends_with(
                "  Link State ID: 10.9.1.7 (summary Network ID)\n  Advertising Router: 10.0.0.9\n  \
                 LS Seq Number: 80000001\n  Checksum: 0x1234\n  Length: 28\n\n  Network Mask: /24\n        \
                 TOS: 0  Metric: 20\n\n"
            ),
            "{text}"
        );
        let text = database_detail(&[external], 5, None);
        assert!(text.contains("\n                AS External Link States\n\n"), "{text}");
        assert!(
            text.ends_with(
                "  Network Mask: /16\n        Metric Type: 2 (Larger than any link state path)\n        TOS: 0\n        \
                 Metric: 20\n        Forward Address: 0.0.0.0\n        External Route Tag: 7\n\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn route_tables() {
        let net = TestNet::p2p();
        let answer = net.routes_json(0);
        let routes = answer["routes"].as_object().expect("routes");
        let interfaces = items(&net.interfaces_json(0), "interfaces");
        let text = super::routes(routes, &interfaces, BACKBONE);
        println!("{text}");
        assert_eq!(
            text,
            "============ OSPF network routing table ============\n\
             N    10.0.0.1/32           [0] area: 0.0.0.0\n\
             N    10.0.0.2/32           [10] area: 0.0.0.0\n\
             \x20                          via 10.0.12.2, eth1\n\
             N    10.0.12.0/30          [10] area: 0.0.0.0\n\
             \x20                          directly attached to eth1\n\
             \n\
             ============ OSPF external routing table ===========\n\
             \n"
        );
        // Without the interfaces view: the ifindex.
        let text = super::routes(routes, &[], BACKBONE);
        assert!(text.contains("   via 10.0.12.2, ifindex 2\n"), "{text}");

        let net = TestNet::lan();
        let answer = net.routes_json(0);
        let text = super::routes(
            answer["routes"].as_object().expect("routes"),
            &items(&net.interfaces_json(0), "interfaces"),
            BACKBONE,
        );
        println!("{text}");
        assert_eq!(
            text,
            "============ OSPF network routing table ============\n\
             N    10.0.0.1/32           [0] area: 0.0.0.0\n\
             N    10.0.0.2/32           [10] area: 0.0.0.0\n\
             \x20                          via 10.0.123.2, eth1\n\
             N    10.0.0.3/32           [10] area: 0.0.0.0\n\
             \x20                          via 10.0.123.3, eth1\n\
             N    10.0.123.0/24         [10] area: 0.0.0.0\n\
             \x20                          directly attached to eth1\n\
             \n\
             ============ OSPF external routing table ===========\n\
             \n"
        );
    }

    #[test]
    fn routes_sort_by_prefix_and_show_ecmp_inter_area_and_external() {
        let routes = json!({
            "9.0.0.0/8": {"cost": 30, "path_type": "inter-area", "nexthops": [
                {"ifindex": 2, "gateway": "10.0.12.2"}, {"ifindex": 3, "gateway": "10.0.13.3"}]},
            "10.0.0.0/24": {"cost": 20, "path_type": "intra-area", "nexthops": []},
            "10.0.0.0/16": {"cost": 20, "path_type": "intra-area", "nexthops": []},
            "172.16.0.0/12": {"cost": 25, "path_type": "type2-external", "nexthops": [{"ifindex": 9, "gateway": "10.0.12.2"}]},
            "bogus": {"cost": "x"}
        });
        let interfaces = [
            json!({"ifindex": 2, "name": "eth1"}),
            json!({"ifindex": 3, "name": "eth2"}),
        ];
        let text = super::routes(routes.as_object().expect("object"), &interfaces, BACKBONE);
        assert_eq!(
            text,
            "============ OSPF network routing table ============\n\
             N IA 9.0.0.0/8             [30] area: 0.0.0.0\n\
             \x20                          via 10.0.12.2, eth1\n\
             \x20                          via 10.0.13.3, eth2\n\
             N    10.0.0.0/16           [20] area: 0.0.0.0\n\
             N    10.0.0.0/24           [20] area: 0.0.0.0\n\
             N ?  bogus                 [x] area: 0.0.0.0\n\
             \n\
             ============ OSPF external routing table ===========\n\
             N E2 172.16.0.0/12         [25]\n\
             \x20                          via 10.0.12.2, ifindex 9\n\
             \n"
        );
    }

    #[test]
    fn instance_summary() {
        let net = TestNet::lan();
        let text = instance(&net.instance_json(0));
        println!("{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], " OSPF Routing Process, Router ID: 10.0.0.1");
        assert!(lines[1].starts_with(" Uptime 00:00:"), "{text}");
        let spf = lines_with(&text, " SPF algorithm last executed ");
        assert!(spf.len() == 1 && spf[0].ends_with(" ago"), "{text}");
        for line in [
            " Number of external LSA 0",
            " Number of areas attached to this router: 1",
            " Number of OSPF routes 4",
            " Area ID: 0.0.0.0 (Backbone)",
            "   Number of interfaces in this area: Total: 1",
            "   Number of fully adjacent neighbors in this area: 2",
            "   Number of router LSA 3",
            "   Number of network LSA 1",
            "   Number of summary LSA 0",
        ] {
            assert!(lines.contains(&line), "{line:?} in\n{text}");
        }
        let checksum = lines_with(&text, "   Number of LSA 4. Checksum Sum 0x");
        assert_eq!(checksum.len(), 1, "{text}");
        assert!(
            lines_with(&text, " Counters: ")
                .iter()
                .all(|l| l.contains("originated-lsas ")),
            "{text}"
        );
        // okapi-ospfd's additions.
        let mut answer = net.instance_json(0);
        answer["kernel"] = json!({"installed": 3, "failed": 0, "last_error": null});
        answer["io"] = json!({"sent": 120, "send_errors": 1, "last_send_error": "ENOBUFS", "multicast_groups": []});
        answer["unresolved_interfaces"] = json!(["eth9"]);
        let text = instance(&answer);
        assert!(
            text.contains(
                "\n Kernel routes: failed 0, installed 3\n Packet I/O: last-send-error ENOBUFS, send-errors 1, sent 120\n \
                 Configured interfaces not present: eth9\n\n Area ID: "
            ),
            "{text}"
        );
        let fresh = instance(&json!({"router_id": "10.0.0.1", "last_spf_ms_ago": null, "lsa_count_by_type": {}}));
        assert!(fresh.contains("\n SPF algorithm has not been run\n"), "{fresh}");
        assert!(fresh.contains("\n   Number of router LSA 0\n"), "{fresh}");
    }

    #[test]
    fn odd_answers_show_question_marks_and_never_panic() {
        let odd = [
            json!({}),
            json!(null),
            json!([1, 2]),
            json!({"router_id": 7, "state": 3, "role": 5, "options": {"x": 1}, "age": "old", "lsa_type": "one",
                   "uptime_secs": -1, "dead_time_ms": "soon", "hello_due_ms": [], "prefix_len": 99,
                   "address": "not an address", "counters": {"rejected": {"ttl": "many"}}, "body": {"router": 1},
                   "lsa_count_by_type": [], "last_spf_ms_ago": "x", "links": null, "sequence": 5}),
        ];
        for value in &odd {
            let _ = instance(value);
            let _ = interfaces(std::slice::from_ref(value), Some(value));
            let _ = super::neighbors(std::slice::from_ref(value), std::slice::from_ref(value));
            let _ = neighbors_detail(std::slice::from_ref(value), BACKBONE);
            let _ = database(std::slice::from_ref(value), Some(value));
            for lsa_type in [0, 1, 2, 3, 4, 5, 200] {
                let _ = database_detail(std::slice::from_ref(value), lsa_type, Some(value));
            }
        }
        let text = super::neighbors(&[json!({})], &[]);
        assert_eq!(
            text.lines()
                .nth(2)
                .map(|row| row.split_whitespace().collect::<Vec<_>>()),
            Some(vec!["?", "?", "?/?", "?", "?", "?", "?", "?", "?", "?"])
        );
        assert!(instance(&json!({})).starts_with(" OSPF Routing Process, Router ID: ?\n"));
        assert!(
            interfaces(&[json!({"state": "DR", "name": "eth1"})], None)
                .contains("  Internet Address ?, Broadcast ?, Area 0.0.0.0\n")
        );
        assert!(
            interfaces(&[json!({"state": "DR", "address": "10.0.0.1", "prefix_len": 40})], None)
                .contains("  Internet Address 10.0.0.1/?, Broadcast ?,")
        );
        let text = database(&[json!({"lsa_type": 3})], None);
        assert!(
            text.contains("\n?               ?                  ? ?          ?      ?\n"),
            "{text}"
        );
        let text = database_detail(
            &[json!({"lsa_type": 1, "body": {"router": {"links": [{"link_type": 9}]}}})],
            1,
            None,
        );
        assert!(
            text.contains("    Link connected to: ?\n     (Link ID) Link ID: ?\n"),
            "{text}"
        );
        let routes = json!({"10.0.0.0/8": {"nexthops": [{"gateway": 5}]}, "x": 1});
        let text = super::routes(routes.as_object().expect("object"), &[], BACKBONE);
        assert!(
            text.contains("N ?  10.0.0.0/8            [?] area: 0.0.0.0\n"),
            "{text}"
        );
        assert!(text.contains("   directly attached to ifindex ?\n"), "{text}");
    }
}
