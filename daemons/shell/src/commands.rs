//! The command table and its dispatch.
//!
//! ```text
//!   line ──► Grammar::parse ──► Invocation { action, words, args } ──► action.handler()
//!                                                                          │
//!            daemons.rs (GET on the control sockets) ◄─────────────────────┤
//!            render.rs  (JSON ──► FRR-shaped text) ◄───────────────────────┘──► Reply
//! ```
//!
//! `show version` and `show interface` ask whichever daemons run; a protocol's commands ask
//! its daemon only (`show ip ospf ...` -> okapi-ospfd on `ospf.sock`, rendered by
//! render/ospf.rs), and fail with one line naming that socket when it does not answer.
//!
//! Adding a command is one [`CommandSpec`] in [`specs`], one [`Action`] variant and one
//! handler function named in [`Action::handler`]:
//!
//! ```text
//! CommandSpec::new("show vrrp [<1-255>$vrid] [detail] [json]", Action::ShowVrrp)
//!     .help("vrrp", "Virtual Router Redundancy Protocol")
//!     .help("vrid", "Virtual router ID"),
//! ...
//! Action::ShowVrrp => show_vrrp,
//! ```

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use okapi_runtime::VERSION;
use okapi_runtime::control::ClientError;
use serde_json::{Map, Value, json};

use crate::daemons::{self, Answer, Daemons};
use crate::grammar::{CommandSpec, Grammar, GrammarError, Invocation, ParseError};
use crate::render;

/// What a command does; each variant has one handler ([`Action::handler`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ShowVersion,
    ShowInterface,
    ShowIpOspf,
    ShowIpOspfInterface,
    ShowIpOspfNeighbor,
    ShowIpOspfDatabase,
    ShowIpOspfRoute,
    ShowVrrp,
    ShowVrrpSummary,
    Drain,
    Undrain,
    Help,
    Exit,
}

/// Help for words many commands share. A command's own `.help()` wins over these.
pub const COMMON_HELP: &[(&str, &str)] = &[
    ("show", "Show running system information"),
    ("json", "JavaScript Object Notation"),
    ("detail", "Detailed information"),
    ("ip", "IP information"),
    ("ospf", "OSPF information"),
    ("ifname", "Interface name"),
    ("vrrp", "VRRP information"),
];

/// The LSA types `show ip ospf database` takes, with their LS type numbers.
const LSA_TYPES: &[(&str, u8)] = &[
    ("router", 1),
    ("network", 2),
    ("summary", 3),
    ("asbr-summary", 4),
    ("external", 5),
];

/// Every command of the shell, in the order `help` lists them.
pub fn specs() -> Vec<CommandSpec<Action>> {
    vec![
        CommandSpec::new("show version [json]", Action::ShowVersion)
            .help("version", "Versions of the shell and of the running daemons"),
        CommandSpec::new("show interface [WORD$ifname] [json]", Action::ShowInterface)
            .help("interface", "Interface status and configuration"),
        CommandSpec::new("show ip ospf [json]", Action::ShowIpOspf),
        CommandSpec::new(
            "show ip ospf interface [WORD$ifname] [json]",
            Action::ShowIpOspfInterface,
        )
        .help("interface", "Interface information"),
        CommandSpec::new(
            "show ip ospf neighbor [detail|A.B.C.D$router-id] [json]",
            Action::ShowIpOspfNeighbor,
        )
        .help("neighbor", "Neighbor list")
        .help("detail", "Detail of all neighbors")
        .help("router-id", "Neighbor ID"),
        CommandSpec::new(
            "show ip ospf database [(router|network|summary|asbr-summary|external) [A.B.C.D$lsid]] [json]",
            Action::ShowIpOspfDatabase,
        )
        .help("database", "Database summary")
        .help("router", "Router link states")
        .help("network", "Network link states")
        .help("summary", "Network summary link states")
        .help("asbr-summary", "ASBR summary link states")
        .help("external", "External link states")
        .help("lsid", "Link State ID (as an IP address)"),
        CommandSpec::new("show ip ospf route [json]", Action::ShowIpOspfRoute).help("route", "OSPF routing table"),
        CommandSpec::new("show vrrp [<1-255>$vrid [detail]] [json]", Action::ShowVrrp)
            .help("vrid", "Virtual Router ID")
            .help("detail", "Trackers, refused packets and recent transitions"),
        CommandSpec::new("show vrrp summary [json]", Action::ShowVrrpSummary).help("summary", "One line per instance"),
        CommandSpec::new("drain [json]", Action::Drain).help(
            "drain",
            "Move this node's VIPs to its peers (VRRP priority 1) for maintenance",
        ),
        CommandSpec::new("undrain [json]", Action::Undrain)
            .help("undrain", "End a drain: the configured priorities again"),
        CommandSpec::new("help", Action::Help).help("help", "List the commands"),
        CommandSpec::new("exit", Action::Exit).help("exit", "Leave the shell"),
        CommandSpec::new("quit", Action::Exit).help("quit", "Leave the shell"),
    ]
}

type Handler = fn(&Shell, &Invocation<Action>) -> Result<Reply, ShellError>;

impl Action {
    pub fn handler(self) -> Handler {
        match self {
            Action::ShowVersion => show_version,
            Action::ShowInterface => show_interface,
            Action::ShowIpOspf => show_ip_ospf,
            Action::ShowIpOspfInterface => show_ip_ospf_interface,
            Action::ShowIpOspfNeighbor => show_ip_ospf_neighbor,
            Action::ShowIpOspfDatabase => show_ip_ospf_database,
            Action::ShowIpOspfRoute => show_ip_ospf_route,
            Action::ShowVrrp => show_vrrp,
            Action::ShowVrrpSummary => show_vrrp_summary,
            Action::Drain => |shell, invocation| drain(shell, invocation, true),
            Action::Undrain => |shell, invocation| drain(shell, invocation, false),
            Action::Help => help,
            Action::Exit => |_, _| {
                Ok(Reply {
                    exit: true,
                    ..Reply::default()
                })
            },
        }
    }
}

/// Why a command failed. `Display` is the text printed on stderr, prefix included.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The line does not parse: the grammar's message, with its caret.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// No daemon answers on any socket.
    #[error("okapi: no okapi daemon answers (tried {}){}", join(.tried), denied_note(.denied))]
    NoDaemon { tried: Vec<PathBuf>, denied: Vec<PathBuf> },
    /// A daemon answered, but with an error, or with something the shell cannot read.
    #[error("okapi: {message}")]
    Daemon { socket: PathBuf, message: String },
    /// The daemon a command asks does not answer (`show ip ospf ...` without okapi-ospfd).
    #[error(
        "okapi: {daemon} {}",
        if *.denied { format!("cannot be reached: permission denied on {}", .socket.display()) }
        else { format!("is not running (no answer on {})", .socket.display()) }
    )]
    NotRunning {
        daemon: String,
        socket: PathBuf,
        denied: bool,
    },
    #[error("% Can't find interface {0}")]
    NoSuchInterface(String),
    /// A named object the daemon does not have: `% No OSPF neighbor 10.0.0.9`.
    #[error("% {0}")]
    NotFound(String),
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn denied_note(denied: &[PathBuf]) -> String {
    if denied.is_empty() {
        String::new()
    } else {
        format!(": permission denied on {}", join(denied))
    }
}

impl ShellError {
    pub fn no_daemon(not_running: &[(PathBuf, std::io::Error)]) -> Self {
        ShellError::NoDaemon {
            tried: not_running.iter().map(|(socket, _)| socket.clone()).collect(),
            denied: daemons::permission_denied(not_running),
        }
    }

    pub fn daemon(socket: &Path, error: &ClientError) -> Self {
        let text = error.to_string();
        let shown = socket.display().to_string();
        let message = if text.contains(&shown) {
            text
        } else {
            format!("{shown}: {text}")
        };
        ShellError::Daemon {
            socket: socket.to_path_buf(),
            message,
        }
    }

    fn bad_answer(socket: &Path, what: &str) -> Self {
        ShellError::Daemon {
            socket: socket.to_path_buf(),
            message: format!("{}: {what}", socket.display()),
        }
    }
}

/// What a command produced: text for stdout, errors for stderr (a command may partly
/// succeed, e.g. `show version` with one daemon of two answering), and whether to leave.
#[derive(Debug, Default)]
pub struct Reply {
    pub text: String,
    pub errors: Vec<ShellError>,
    pub exit: bool,
}

impl Reply {
    fn text(text: String) -> Self {
        Reply {
            text,
            ..Reply::default()
        }
    }
}

/// The grammar and the daemons: everything a command needs.
pub struct Shell {
    grammar: Grammar<Action>,
    daemons: Daemons,
}

impl Shell {
    pub fn new(run_dir: &Path) -> Result<Self, String> {
        let grammar = build_grammar().map_err(|error| format!("internal error in the command table: {error}"))?;
        let daemons = Daemons::new(run_dir).map_err(|error| format!("cannot start the async runtime: {error}"))?;
        Ok(Shell { grammar, daemons })
    }

    pub fn grammar(&self) -> &Grammar<Action> {
        &self.grammar
    }

    /// Runs one line. A `?` in the line lists what may come at that point instead (as the
    /// `?` key does interactively), so pipes and `-c` can ask too.
    pub fn execute(&self, line: &str) -> Result<Reply, ShellError> {
        if let Some(at) = line.find('?') {
            return self.describe(&line[..at]).map(Reply::text);
        }
        match self.grammar.parse(line)? {
            None => Ok(Reply::default()),
            Some(invocation) => invocation.action.handler()(self, &invocation),
        }
    }

    /// The `?` listing for the text before the cursor.
    pub fn describe(&self, before_cursor: &str) -> Result<String, ShellError> {
        Ok(render::help_listing(&self.grammar.help(before_cursor)?))
    }
}

pub fn build_grammar() -> Result<Grammar<Action>, GrammarError> {
    Grammar::build(&specs(), COMMON_HELP)
}

fn now_unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

// ----- handlers -----

fn show_version(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    let mut answers = Vec::new();
    let mut errors = Vec::new();
    for result in shell.daemons.all("/version")? {
        match result {
            Ok(answer) => answers.push(answer),
            Err(error) => errors.push(error),
        }
    }
    let text = if invocation.json() {
        let mut object = Map::new();
        object.insert("okapi".into(), json!({ "version": VERSION }));
        for answer in &answers {
            let name = answer
                .value
                .get("daemon")
                .and_then(Value::as_str)
                .unwrap_or(answer.table);
            object.insert(name.to_string(), answer.value.clone());
        }
        render::json(&Value::Object(object))
    } else {
        let values: Vec<&Value> = answers.iter().map(|a| &a.value).collect();
        render::version(VERSION, &values, now_unix_secs())
    };
    Ok(Reply {
        text,
        errors,
        exit: false,
    })
}

fn show_interface(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    const PATH: &str = "/interfaces";
    let answer = shell.daemons.first(PATH)?;
    let list = answer_list(&answer, PATH, "interfaces")?;
    interfaces_reply(
        invocation,
        &answer,
        list,
        |name| ShellError::NoSuchInterface(name.to_string()),
        render::interfaces,
    )
}

/// The list under `key` of an answer to `GET path`, or an error naming the socket.
fn answer_list<'a>(answer: &'a Answer, path: &str, key: &str) -> Result<&'a Vec<Value>, ShellError> {
    answer
        .value
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| ShellError::bad_answer(&answer.socket, &format!("answer to GET {path} has no \"{key}\" list")))
}

/// The interfaces of `list` (from `answer`) that the command's `ifname` selects, all of them
/// without one (`missing` makes the error for a name no interface has): as JSON, or as
/// `render_text` makes them.
fn interfaces_reply(
    invocation: &Invocation<Action>,
    answer: &Answer,
    list: &[Value],
    missing: impl FnOnce(&str) -> ShellError,
    render_text: impl FnOnce(&[Value]) -> String,
) -> Result<Reply, ShellError> {
    let selected: Vec<Value> = match invocation.arg("ifname") {
        Some(name) => {
            let found: Vec<Value> = list
                .iter()
                .filter(|i| i.get("name").and_then(Value::as_str) == Some(name))
                .cloned()
                .collect();
            if found.is_empty() {
                return Err(missing(name));
            }
            found
        }
        None if invocation.json() => return Ok(Reply::text(render::json(&answer.value))),
        None => list.to_vec(),
    };
    Ok(Reply::text(if invocation.json() {
        render::json(&json!({ "interfaces": selected }))
    } else {
        render_text(&selected)
    }))
}

// ----- show ip ospf: okapi-ospfd only -----

/// The table, hence the socket, of okapi-ospfd.
const OSPF: &str = "ospf";

/// A second question that only improves the text (names, router ID): its failure is not the
/// command's.
fn optional(shell: &Shell, path: &str) -> Option<Value> {
    shell.daemons.get(OSPF, path).ok().map(|answer| answer.value)
}

fn optional_list(value: Option<&Value>, key: &str) -> Vec<Value> {
    value
        .and_then(|value| value.get(key))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn show_ip_ospf(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    let answer = shell.daemons.get(OSPF, "/ospf")?;
    Ok(Reply::text(if invocation.json() {
        render::json(&answer.value)
    } else {
        render::ospf::instance(&answer.value)
    }))
}

fn show_ip_ospf_interface(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    const PATH: &str = "/ospf/interfaces";
    // Filtered here rather than with ?name=: any interface name works, and an unknown one
    // gets the same message whatever the daemon would answer.
    let answer = shell.daemons.get(OSPF, PATH)?;
    let list = answer_list(&answer, PATH, "interfaces")?;
    interfaces_reply(
        invocation,
        &answer,
        list,
        |name| ShellError::NotFound(format!("OSPF is not enabled on interface {name}")),
        |selected| render::ospf::interfaces(selected, optional(shell, "/ospf").as_ref()),
    )
}

fn show_ip_ospf_neighbor(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    const PATH: &str = "/ospf/neighbors";
    let router_id: Option<Ipv4Addr> = invocation.arg("router-id").and_then(|id| id.parse().ok());
    let detail = router_id.is_some() || invocation.has("detail");
    let answer = shell
        .daemons
        .get(OSPF, if detail { "/ospf/neighbors?detail=1" } else { PATH })?;
    let list = answer_list(&answer, PATH, "neighbors")?;
    if let Some(id) = router_id {
        let found: Vec<Value> = list
            .iter()
            .filter(|n| n.get("router_id").and_then(Value::as_str).and_then(|r| r.parse().ok()) == Some(id))
            .cloned()
            .collect();
        if found.is_empty() {
            return Err(ShellError::NotFound(format!("No OSPF neighbor with router ID {id}")));
        }
        return Ok(Reply::text(if invocation.json() {
            render::json(&json!({ "neighbors": found }))
        } else {
            render::ospf::neighbors_detail(&found, render::ospf::BACKBONE)
        }));
    }
    Ok(Reply::text(if invocation.json() {
        render::json(&answer.value)
    } else if detail {
        render::ospf::neighbors_detail(list, render::ospf::BACKBONE)
    } else {
        let interfaces = optional(shell, "/ospf/interfaces");
        render::ospf::neighbors(list, &optional_list(interfaces.as_ref(), "interfaces"))
    }))
}

fn show_ip_ospf_database(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    const PATH: &str = "/ospf/database";
    let lsa_type = LSA_TYPES.iter().find(|(word, _)| invocation.has(word));
    let mut path = PATH.to_string();
    if let Some((word, _)) = lsa_type {
        path.push_str(&format!("?type={word}"));
        if let Some(lsid) = invocation.arg("lsid") {
            path.push_str(&format!("&lsid={lsid}"));
        }
    }
    let answer = shell.daemons.get(OSPF, &path)?;
    let lsas = answer_list(&answer, PATH, "lsas")?;
    if invocation.json() {
        return Ok(Reply::text(render::json(&answer.value)));
    }
    let instance = optional(shell, "/ospf");
    Ok(Reply::text(match lsa_type {
        Some((_, number)) => render::ospf::database_detail(lsas, *number, instance.as_ref()),
        None => render::ospf::database(lsas, instance.as_ref()),
    }))
}

fn show_ip_ospf_route(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    const PATH: &str = "/ospf/routes";
    let answer = shell.daemons.get(OSPF, PATH)?;
    let routes =
        answer.value.get("routes").and_then(Value::as_object).ok_or_else(|| {
            ShellError::bad_answer(&answer.socket, "answer to GET /ospf/routes has no \"routes\" object")
        })?;
    if invocation.json() {
        return Ok(Reply::text(render::json(&answer.value)));
    }
    let interfaces = optional(shell, "/ospf/interfaces");
    Ok(Reply::text(render::ospf::routes(
        routes,
        &optional_list(interfaces.as_ref(), "interfaces"),
        render::ospf::BACKBONE,
    )))
}

fn help(shell: &Shell, _: &Invocation<Action>) -> Result<Reply, ShellError> {
    Ok(Reply::text(render::command_list(shell.grammar.commands())))
}

// ----- show vrrp: okapi-vrrpd only -----

/// The table, hence the socket, of okapi-vrrpd.
const VRRP: &str = "vrrp";

fn show_vrrp(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    let path = match invocation.arg("vrid") {
        Some(vrid) => format!("/vrrp?vrid={vrid}"),
        None => "/vrrp".to_string(),
    };
    let answer = shell.daemons.get(VRRP, &path)?;
    Ok(Reply::text(if invocation.json() {
        render::json(&answer.value)
    } else {
        render::vrrp::instances(&answer.value, invocation.has("detail"))
    }))
}

/// `drain` / `undrain`: okapi-vrrpd lowers (restores) the priority of every instance; the
/// peers take the VIPs over before this node lets them go, so no request is refused.
fn drain(shell: &Shell, invocation: &Invocation<Action>, drained: bool) -> Result<Reply, ShellError> {
    let answer = shell.daemons.post(VRRP, "/vrrp/drain", &json!({ "drain": drained }))?;
    Ok(Reply::text(if invocation.json() {
        render::json(&answer.value)
    } else {
        render::vrrp::drain(&answer.value)
    }))
}

fn show_vrrp_summary(shell: &Shell, invocation: &Invocation<Action>) -> Result<Reply, ShellError> {
    let answer = shell.daemons.get(VRRP, "/vrrp")?;
    Ok(Reply::text(if invocation.json() {
        render::json(&answer.value)
    } else {
        render::vrrp::summary(&answer.value)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::CR;
    use crate::testnet::{FakeOspfd, TestNet};

    fn grammar() -> Grammar<Action> {
        build_grammar().expect("the command table builds")
    }

    fn words(line: &str) -> Vec<String> {
        grammar()
            .help(line)
            .expect("help")
            .into_iter()
            .map(|e| e.word)
            .collect()
    }

    #[test]
    fn every_spec_builds_alone_and_together() {
        for spec in specs() {
            let syntax = spec.syntax;
            Grammar::build(&[spec], COMMON_HELP).unwrap_or_else(|e| panic!("{syntax}: {e}"));
        }
        let g = grammar();
        assert_eq!(g.commands().len(), specs().len());
        assert!(
            g.commands().iter().all(|c| !c.summary.is_empty()),
            "every command has a summary"
        );
    }

    #[test]
    fn abbreviations() {
        let g = grammar();
        let parse = |line: &str| g.parse(line).expect(line).expect("a command");
        let inv = parse("sh int");
        assert_eq!(
            (inv.action, inv.json(), inv.arg("ifname")),
            (Action::ShowInterface, false, None)
        );
        let inv = parse("sh ver j");
        assert_eq!((inv.action, inv.json()), (Action::ShowVersion, true));
        let inv = parse("sh int eth1 j");
        assert_eq!(
            (inv.action, inv.json(), inv.arg("ifname")),
            (Action::ShowInterface, true, Some("eth1"))
        );
        let inv = parse("show interface lo");
        assert_eq!((inv.json(), inv.arg("ifname")), (false, Some("lo")));
        assert_eq!(parse("h").action, Action::Help);
        assert_eq!(parse("e").action, Action::Exit);
        assert_eq!(parse("q").action, Action::Exit);
        assert!(matches!(g.parse("sh"), Err(ParseError::Incomplete { .. })));
        assert!(matches!(
            g.parse("show bogus"),
            Err(ParseError::Unknown { column: 5, .. })
        ));
        assert!(matches!(
            g.parse("show version extra"),
            Err(ParseError::Unknown { column: 13, .. })
        ));
    }

    #[test]
    fn question_mark_listings() {
        assert_eq!(words(""), ["drain", "exit", "help", "quit", "show", "undrain"]);
        assert_eq!(words("show "), ["interface", "ip", "version", "vrrp"]);
        assert_eq!(words("sh ver "), ["json", CR]);
        assert_eq!(words("sh vrrp "), ["json", "summary", "<1-255>", CR]);
        assert_eq!(words("sh vrrp 51 "), ["detail", "json", CR]);
        assert_eq!(words("sh int "), ["json", "WORD", CR]);
        assert_eq!(words("sh int eth0 "), ["json", CR]);
        assert_eq!(words("sh i"), ["interface", "ip"]);
        let entries = grammar().help("sh int ").expect("help");
        assert_eq!(entries[1].help, "Interface name");
        assert_eq!(entries[0].help, "JavaScript Object Notation");
    }

    #[test]
    fn help_lists_every_command() {
        let text = render::command_list(grammar().commands());
        for line in [
            "show version [json]",
            "show interface [IFNAME] [json]",
            "show ip ospf [json]",
            "show ip ospf interface [IFNAME] [json]",
            "show ip ospf neighbor [detail|A.B.C.D] [json]",
            "show ip ospf database [(router|network|summary|asbr-summary|external) [A.B.C.D]] [json]",
            "show ip ospf route [json]",
            "help",
            "exit",
            "quit",
        ] {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(line)),
                "{line} in\n{text}"
            );
        }
    }

    #[test]
    fn ospf_abbreviations() {
        let g = grammar();
        let parse = |line: &str| g.parse(line).expect(line).expect("a command");
        let inv = parse("sh ip os");
        assert_eq!((inv.action, inv.json()), (Action::ShowIpOspf, false));
        assert_eq!(parse("sh ip os j").action, Action::ShowIpOspf);
        let inv = parse("sh ip os nei");
        assert_eq!(
            (inv.action, inv.has("detail"), inv.arg("router-id"), inv.json()),
            (Action::ShowIpOspfNeighbor, false, None, false)
        );
        let inv = parse("sh ip os nei det j");
        assert_eq!(
            (inv.action, inv.has("detail"), inv.json()),
            (Action::ShowIpOspfNeighbor, true, true)
        );
        let inv = parse("show ip ospf neighbor 10.0.0.2 json");
        assert_eq!((inv.arg("router-id"), inv.json()), (Some("10.0.0.2"), true));
        let inv = parse("sh ip os int eth1");
        assert_eq!(
            (inv.action, inv.arg("ifname")),
            (Action::ShowIpOspfInterface, Some("eth1"))
        );
        assert_eq!(parse("sh ip os i j").arg("ifname"), None);
        let inv = parse("sh ip os da");
        assert_eq!((inv.action, inv.words.len()), (Action::ShowIpOspfDatabase, 4));
        let inv = parse("sh ip os da r 10.0.0.1 j");
        assert_eq!(
            (inv.has("router"), inv.arg("lsid"), inv.json()),
            (true, Some("10.0.0.1"), true)
        );
        assert!(parse("sh ip os da a").has("asbr-summary"));
        assert!(parse("sh ip os da e").has("external"));
        assert!(parse("sh ip os da ne").has("network"));
        assert!(parse("sh ip os da su").has("summary"));
        assert_eq!(parse("sh ip os ro").action, Action::ShowIpOspfRoute);
        // An LSID needs a type, as in FRR; "n" is network or neighbor... only under database.
        assert!(matches!(
            g.parse("sh ip os da 10.0.0.1"),
            Err(ParseError::Unknown { column: 12, .. })
        ));
        assert!(matches!(g.parse("sh ip os da n"), Ok(Some(_))));
        assert!(matches!(
            g.parse("sh ip os nei 10.0.0.256"),
            Err(ParseError::Invalid { .. })
        ));
        assert!(matches!(
            g.parse("sh ip os nei detail 10.0.0.1"),
            Err(ParseError::Unknown { .. })
        ));
        assert!(matches!(g.parse("sh ip"), Err(ParseError::Incomplete { .. })));
        assert!(matches!(g.parse("sh ip os d x"), Err(ParseError::Unknown { .. })));
    }

    #[test]
    fn ospf_question_mark_listings() {
        assert_eq!(words("sh ip "), ["ospf"]);
        assert_eq!(
            words("sh ip os "),
            ["database", "interface", "json", "neighbor", "route", CR]
        );
        assert_eq!(words("sh ip os nei "), ["detail", "json", "A.B.C.D", CR]);
        assert_eq!(words("sh ip os nei det "), ["json", CR]);
        assert_eq!(
            words("sh ip os da "),
            ["asbr-summary", "external", "json", "network", "router", "summary", CR]
        );
        assert_eq!(words("sh ip os da r "), ["json", "A.B.C.D", CR]);
        assert_eq!(words("sh ip os int "), ["json", "WORD", CR]);
        let entries = grammar().help("sh ip os ").expect("help");
        let help: Vec<&str> = entries.iter().map(|e| e.help.as_str()).collect();
        assert_eq!(
            help,
            [
                "Database summary",
                "Interface information",
                "JavaScript Object Notation",
                "Neighbor list",
                "OSPF routing table",
                ""
            ]
        );
        let entries = grammar().help("sh ip os nei ").expect("help");
        assert_eq!(entries[2].help, "Neighbor ID");
        let entries = grammar().help("sh ip os da r ").expect("help");
        assert_eq!(entries[1].help, "Link State ID (as an IP address)");
    }

    /// A shell whose run dir has a fake okapi-ospfd serving `router`'s views of `net`.
    fn with_ospfd(net: &TestNet, router: usize, name: &str) -> (Shell, FakeOspfd, PathBuf) {
        let dir = std::env::temp_dir().join(format!("okapi-shell-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("run dir");
        let ospfd = FakeOspfd::start(net, router, &dir);
        (Shell::new(&dir).expect("shell"), ospfd, dir)
    }

    fn run(shell: &Shell, line: &str) -> String {
        let reply = shell.execute(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(reply.errors.is_empty(), "{line}: {:?}", reply.errors);
        reply.text
    }

    fn run_json(shell: &Shell, line: &str) -> Value {
        serde_json::from_str(&run(shell, line)).unwrap_or_else(|e| panic!("{line}: not JSON: {e}"))
    }

    #[test]
    fn ospf_commands_against_a_daemon() {
        let net = TestNet::lan();
        let (shell, ospfd, dir) = with_ospfd(&net, 0, "ospfd");

        // json: the daemon's answer as it is.
        assert_eq!(run_json(&shell, "show ip ospf json"), net.instance_json(0));
        assert_eq!(run_json(&shell, "sh ip os nei j"), net.neighbors_json(0));
        assert_eq!(run_json(&shell, "sh ip os int j"), net.interfaces_json(0));
        assert_eq!(run_json(&shell, "sh ip os da j"), net.database_json(0));
        assert_eq!(run_json(&shell, "sh ip os ro j"), net.routes_json(0));
        assert_eq!(
            ospfd.take_requests(),
            [
                "/ospf",
                "/ospf/neighbors",
                "/ospf/interfaces",
                "/ospf/database",
                "/ospf/routes"
            ]
        );

        // Text: the second questions (names, router ID) are asked too.
        let text = run(&shell, "sh ip os nei");
        assert!(text.contains("\n10.0.0.3          1 Full/DR   "), "{text}");
        assert!(text.contains(" eth1:10.0.123.1 "), "{text}");
        assert_eq!(ospfd.take_requests(), ["/ospf/neighbors", "/ospf/interfaces"]);
        let text = run(&shell, "show ip ospf neighbor detail");
        assert_eq!(text.matches(" Neighbor 10.0.0.").count(), 2, "{text}");
        assert_eq!(ospfd.take_requests(), ["/ospf/neighbors?detail=1"]);
        let text = run(&shell, "show ip ospf neighbor 10.0.0.3");
        assert!(
            text.starts_with(" Neighbor 10.0.0.3, interface address 10.0.123.3\n"),
            "{text}"
        );
        assert_eq!(text.matches(" Neighbor 10.0.0.").count(), 1, "{text}");
        let one = run_json(&shell, "show ip ospf neighbor 10.0.0.3 json");
        assert_eq!(one["neighbors"].as_array().map(Vec::len), Some(1));
        assert_eq!(one["neighbors"][0]["role"], "DR");
        ospfd.take_requests();

        let text = run(&shell, "sh ip os int eth1");
        assert!(text.starts_with("eth1 is up\n"), "{text}");
        assert!(
            text.contains("  Router ID 10.0.0.1, Network Type BROADCAST, Cost: 10\n"),
            "{text}"
        );
        assert_eq!(ospfd.take_requests(), ["/ospf/interfaces", "/ospf"]);
        let one = run_json(&shell, "sh ip os int eth1 j");
        assert_eq!(one, net.interfaces_json(0));
        ospfd.take_requests();

        let text = run(&shell, "sh ip os da");
        assert!(
            text.contains("                Net Link States (Area 0.0.0.0)\n"),
            "{text}"
        );
        assert_eq!(ospfd.take_requests(), ["/ospf/database", "/ospf"]);
        let text = run(&shell, "sh ip os da r 10.0.0.2");
        assert_eq!(text.matches("  LS age: ").count(), 1, "{text}");
        assert!(text.contains("  Link State ID: 10.0.0.2\n"), "{text}");
        assert_eq!(
            ospfd.take_requests(),
            ["/ospf/database?lsid=10.0.0.2&type=router", "/ospf"]
        );
        let text = run(&shell, "sh ip os da net");
        assert!(text.contains("        Attached Router: 10.0.0.2\n"), "{text}");
        let answer = run_json(&shell, "sh ip os da ex j");
        assert_eq!(answer, json!({"lsas": []}));
        assert_eq!(
            ospfd.take_requests(),
            ["/ospf/database?type=network", "/ospf", "/ospf/database?type=external"]
        );

        let text = run(&shell, "sh ip os ro");
        assert!(text.contains("   via 10.0.123.3, eth1\n"), "{text}");
        assert_eq!(ospfd.take_requests(), ["/ospf/routes", "/ospf/interfaces"]);

        let text = run(&shell, "show ip ospf");
        assert!(
            text.starts_with(" OSPF Routing Process, Router ID: 10.0.0.1\n"),
            "{text}"
        );

        // What the daemon does not have is an error, one line.
        let error = shell.execute("sh ip os int eth9").err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("% OSPF is not enabled on interface eth9"));
        let error = shell.execute("sh ip os nei 10.0.0.9 j").err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("% No OSPF neighbor with router ID 10.0.0.9"));
        drop(ospfd);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ospf_commands_without_ospfd_name_its_socket() {
        let dir = std::env::temp_dir().join(format!("okapi-shell-no-ospfd-{}", std::process::id()));
        let shell = Shell::new(&dir).expect("shell");
        let expected = format!(
            "okapi: okapi-ospfd is not running (no answer on {}/ospf.sock)",
            dir.display()
        );
        for line in [
            "show ip ospf",
            "sh ip os j",
            "sh ip os int",
            "sh ip os nei",
            "sh ip os nei detail",
            "sh ip os nei 10.0.0.1",
            "sh ip os da",
            "sh ip os da r 10.0.0.1 j",
            "sh ip os ro",
        ] {
            match shell.execute(line) {
                Err(error @ ShellError::NotRunning { .. }) => assert_eq!(error.to_string(), expected, "{line}"),
                other => panic!("{line}: expected NotRunning, got {other:?}"),
            }
        }
        let denied = ShellError::NotRunning {
            daemon: "okapi-ospfd".into(),
            socket: "/run/okapi/ospf.sock".into(),
            denied: true,
        };
        assert_eq!(
            denied.to_string(),
            "okapi: okapi-ospfd cannot be reached: permission denied on /run/okapi/ospf.sock"
        );
    }

    #[test]
    fn execute_without_daemons() {
        let dir = std::env::temp_dir().join(format!("okapi-shell-nodaemon-{}", std::process::id()));
        let shell = Shell::new(&dir).expect("shell");
        assert!(shell.execute("exit").expect("exit").exit);
        assert!(shell.execute("  ").expect("empty").text.is_empty());
        assert!(shell.execute("help").expect("help").text.contains("show version"));
        assert_eq!(
            shell.execute("sh ?").expect("?").text,
            shell.describe("sh ").expect("describe")
        );
        assert!(matches!(shell.execute("show foo"), Err(ShellError::Parse(_))));
        assert!(matches!(shell.execute("show vers"), Err(ShellError::NoDaemon { .. })));
        assert!(matches!(shell.execute("sh int j"), Err(ShellError::NoDaemon { .. })));
        let error = shell
            .execute("show bogus")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(error, "% Unknown command: show bogus\n                        ^");
    }

    #[test]
    fn errors_are_one_line() {
        let error = ShellError::NoDaemon {
            tried: vec!["/run/okapi/ospf.sock".into(), "/run/okapi/testd.sock".into()],
            denied: vec!["/run/okapi/ospf.sock".into()],
        };
        assert_eq!(
            error.to_string(),
            "okapi: no okapi daemon answers (tried /run/okapi/ospf.sock, /run/okapi/testd.sock): \
             permission denied on /run/okapi/ospf.sock"
        );
        let api = ClientError::Api {
            status: 500,
            message: "netlink: boom".into(),
        };
        assert_eq!(
            ShellError::daemon(Path::new("/run/okapi/testd.sock"), &api).to_string(),
            "okapi: /run/okapi/testd.sock: netlink: boom"
        );
        let timeout = ClientError::Protocol("/run/okapi/testd.sock did not answer GET /version within 10 s".into());
        assert_eq!(
            ShellError::daemon(Path::new("/run/okapi/testd.sock"), &timeout).to_string(),
            "okapi: /run/okapi/testd.sock did not answer GET /version within 10 s"
        );
    }
}
