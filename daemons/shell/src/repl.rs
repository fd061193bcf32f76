//! The interactive shell: rustyline with the grammar behind Tab, `?` and hints.
//!
//! ```text
//!   key ?  ──► HelpKey: remember (line, cursor), accept the line ──► readline returns
//!              Validator shows "?" after the line (FRR echo)          │
//!   loop:  pending help? ── yes ──► print the `?` listing, re-edit the same line, same cursor
//!                         └─ no ──► history, Shell::execute, print, next prompt
//!   Tab    ──► Completer: keywords that fit the word at the cursor (List: common prefix,
//!              then all of them on a second Tab)
//!   typing ──► Hinter: the rest of the only keyword the word can become, dimmed (→ accepts)
//! ```
//!
//! `?` goes through "accept the line, then restore it" because a key handler cannot print:
//! rustyline owns the terminal while a line is edited, and this way the listing appears
//! between two clean prompts, exactly as vtysh shows it.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{
    Cmd, CompletionType, ConditionalEventHandler, Config, Context, Editor, Event, EventContext, EventHandler, Helper,
    KeyEvent, Modifiers, RepeatCount,
};

use crate::commands::{Action, Shell};
use crate::grammar::Grammar;
use crate::output::Output;

/// Lines kept in ~/.okapi_history.
const HISTORY_SIZE: usize = 1000;
/// What the validator shows after a line accepted by `?`, as vtysh echoes the key.
const QUESTION: &str = "?";

/// A `?` press: the line and the cursor (byte offset) at that moment.
type Pending = Arc<Mutex<Option<(String, usize)>>>;

fn take(pending: &Pending) -> Option<(String, usize)> {
    pending
        .lock()
        .map(|mut slot| slot.take())
        .unwrap_or_else(|poisoned| poisoned.into_inner().take())
}

/// The `?` key: records where it was pressed and ends the edit.
struct HelpKey {
    pending: Pending,
}

impl ConditionalEventHandler for HelpKey {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        let request = Some((ctx.line().to_string(), ctx.pos()));
        match self.pending.lock() {
            Ok(mut slot) => *slot = request,
            Err(poisoned) => *poisoned.into_inner() = request,
        }
        Some(Cmd::AcceptLine)
    }
}

/// The rustyline helper: Tab, hints and the `?` echo, all from the grammar.
pub struct ShellHelper {
    grammar: Grammar<Action>,
    pending: Pending,
}

impl ShellHelper {
    pub fn new(grammar: Grammar<Action>) -> Self {
        ShellHelper {
            grammar,
            pending: Pending::default(),
        }
    }

    /// The keywords the word before `pos` may become, with a space after each.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let (start, words) = self.grammar.complete(line, pos);
        let pairs = words
            .into_iter()
            .map(|word| Pair {
                replacement: format!("{word} "),
                display: word,
            })
            .collect();
        (start, pairs)
    }

    /// The rest of the one keyword the word being typed at the end of the line can become.
    pub fn hint_for(&self, line: &str, pos: usize) -> Option<String> {
        if pos != line.len() {
            return None;
        }
        let (start, words) = self.grammar.complete(line, pos);
        let typed = line.get(start..pos)?;
        match words.as_slice() {
            [only] if !typed.is_empty() => only
                .get(typed.len()..)
                .filter(|rest| !rest.is_empty())
                .map(str::to_string),
            _ => None,
        }
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _: &Context<'_>) -> Option<String> {
        self.hint_for(line, pos)
    }
}

impl Highlighter for ShellHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if hint == QUESTION {
            Cow::Borrowed(hint)
        } else {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        }
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let echo = match self.pending.lock() {
            Ok(slot) => slot
                .as_ref()
                .is_some_and(|(line, pos)| *pos == line.len() && line == ctx.input()),
            Err(_) => false,
        };
        Ok(ValidationResult::Valid(echo.then(|| QUESTION.to_string())))
    }
}

impl Helper for ShellHelper {}

/// The prompt: `<hostname># `, or `okapi# ` when the host has no name.
pub fn prompt() -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_default();
    let host = host.split('.').next().unwrap_or_default();
    if host.is_empty() {
        "okapi# ".to_string()
    } else {
        format!("{host}# ")
    }
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".okapi_history"))
}

/// Runs the interactive shell until `exit`, `quit` or end of input. Returns whether it ended
/// cleanly (a terminal failure is the only unclean end; failed commands are not).
pub fn run(shell: &Shell, output: &mut Output) -> bool {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .max_history_size(HISTORY_SIZE)
        .and_then(|builder| builder.history_ignore_dups(true))
        .map(|builder| builder.build());
    let editor = config.and_then(Editor::<ShellHelper, DefaultHistory>::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(error) => {
            output.error(&format!("okapi: cannot start the line editor: {error}"));
            return false;
        }
    };
    let helper = ShellHelper::new(shell.grammar().clone());
    let pending = helper.pending.clone();
    editor.set_helper(Some(helper));
    editor.bind_sequence(
        KeyEvent::new('?', Modifiers::NONE),
        EventHandler::Conditional(Box::new(HelpKey {
            pending: pending.clone(),
        })),
    );
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is the normal first run.
        let _ = editor.load_history(path);
    }

    let prompt = prompt();
    let mut resume: Option<(String, String)> = None;
    let clean = loop {
        let read = match resume.take() {
            Some((left, right)) => editor.readline_with_initial(&prompt, (&left, &right)),
            None => editor.readline(&prompt),
        };
        let line = match read {
            Ok(line) => line,
            // ^C abandons the line being typed; ^D on an empty line leaves.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break true,
            Err(error) => {
                output.error(&format!("okapi: terminal: {error}"));
                break false;
            }
        };
        if let Some((text, pos)) = take(&pending) {
            let pos = if text.is_char_boundary(pos) { pos } else { text.len() };
            let (left, right) = text.split_at(pos);
            match shell.describe(left) {
                Ok(listing) => output.text(&listing),
                Err(error) => output.error(&error.to_string()),
            }
            resume = Some((left.to_string(), right.to_string()));
            continue;
        }
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        match shell.execute(&line) {
            Ok(reply) => {
                output.text(&reply.text);
                for error in &reply.errors {
                    output.error(&error.to_string());
                }
                if reply.exit {
                    break true;
                }
            }
            Err(error) => output.error(&error.to_string()),
        }
        if output.broken() {
            break false;
        }
    };
    if let Some(path) = &history
        && let Err(error) = editor.save_history(path)
    {
        output.error(&format!(
            "okapi: cannot save the history in {}: {error}",
            path.display()
        ));
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::build_grammar;

    fn helper() -> ShellHelper {
        ShellHelper::new(build_grammar().expect("grammar"))
    }

    #[test]
    fn tab_offers_keywords_with_a_space() {
        let h = helper();
        let (start, pairs) = h.candidates("sh", 2);
        assert_eq!(start, 0);
        assert_eq!(
            pairs.iter().map(|p| p.replacement.as_str()).collect::<Vec<_>>(),
            ["show "]
        );
        let (start, pairs) = h.candidates("show ", 5);
        assert_eq!(start, 5);
        assert_eq!(
            pairs.iter().map(|p| p.display.as_str()).collect::<Vec<_>>(),
            ["interface", "ip", "version", "vrrp"]
        );
        assert!(h.candidates("show bogus ", 11).1.is_empty());
    }

    #[test]
    fn hints_complete_the_only_possible_keyword() {
        let h = helper();
        assert_eq!(h.hint_for("sh", 2).as_deref(), Some("ow"));
        assert_eq!(h.hint_for("show int", 8).as_deref(), Some("erface"));
        assert_eq!(h.hint_for("show ", 5), None);
        assert_eq!(h.hint_for("show", 4), None);
        assert_eq!(h.hint_for("show int", 3), None);
        assert_eq!(h.hint_for("SH", 2).as_deref(), Some("ow"));
    }

    #[test]
    fn prompt_ends_with_hash() {
        assert!(prompt().ends_with("# "));
    }
}
