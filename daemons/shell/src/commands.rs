//! The command table and its dispatch.
//!
//! ```text
//!   line ──► Grammar::parse ──► Invocation { action, words, args } ──► action.handler()
//!                                                                          │
//!            daemons.rs (GET on the control sockets) ◄─────────────────────┤
//!            render.rs  (JSON ──► FRR-shaped text) ◄───────────────────────┘──► Reply
//! ```
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

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use okapi_runtime::VERSION;
use okapi_runtime::control::ClientError;
use serde_json::{Map, Value, json};

use crate::daemons::{self, Daemons};
use crate::grammar::{CommandSpec, Grammar, GrammarError, Invocation, ParseError};
use crate::render;

/// What a command does; each variant has one handler ([`Action::handler`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ShowVersion,
    ShowInterface,
    Help,
    Exit,
}

/// Help for words many commands share. A command's own `.help()` wins over these.
pub const COMMON_HELP: &[(&str, &str)] = &[
    ("show", "Show running system information"),
    ("json", "JavaScript Object Notation"),
    ("detail", "Detailed information"),
    ("ip", "IP information"),
    ("ifname", "Interface name"),
];

/// Every command of the shell, in the order `help` lists them.
pub fn specs() -> Vec<CommandSpec<Action>> {
    vec![
        CommandSpec::new("show version [json]", Action::ShowVersion)
            .help("version", "Versions of the shell and of the running daemons"),
        CommandSpec::new("show interface [WORD$ifname] [json]", Action::ShowInterface)
            .help("interface", "Interface status and configuration"),
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
    #[error("% Can't find interface {0}")]
    NoSuchInterface(String),
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
    let answer = shell.daemons.first("/interfaces")?;
    let list = answer
        .value
        .get("interfaces")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ShellError::bad_answer(&answer.socket, "answer to GET /interfaces has no \"interfaces\" list")
        })?;
    let selected: Vec<Value> = match invocation.arg("ifname") {
        Some(name) => {
            let found: Vec<Value> = list
                .iter()
                .filter(|i| i.get("name").and_then(Value::as_str) == Some(name))
                .cloned()
                .collect();
            if found.is_empty() {
                return Err(ShellError::NoSuchInterface(name.to_string()));
            }
            found
        }
        None if invocation.json() => return Ok(Reply::text(render::json(&answer.value))),
        None => list.clone(),
    };
    Ok(Reply::text(if invocation.json() {
        render::json(&json!({ "interfaces": selected }))
    } else {
        render::interfaces(&selected)
    }))
}

fn help(shell: &Shell, _: &Invocation<Action>) -> Result<Reply, ShellError> {
    Ok(Reply::text(render::command_list(shell.grammar.commands())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::CR;

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
        assert_eq!(words(""), ["exit", "help", "quit", "show"]);
        assert_eq!(words("show "), ["interface", "version"]);
        assert_eq!(words("sh ver "), ["json", CR]);
        assert_eq!(words("sh int "), ["json", "WORD", CR]);
        assert_eq!(words("sh int eth0 "), ["json", CR]);
        assert_eq!(words("sh i"), ["interface"]);
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
