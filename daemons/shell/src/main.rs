//! okapi: the vtysh-like shell of the okapi routing daemons.
//!
//! ```text
//!   okapi                  stdin a terminal ──► repl.rs (rustyline: ?, Tab, history)
//!   okapi -c CMD [-c ...]  one shot, in order ─┐
//!   ... | okapi            one command a line ─┴► batch: # comments and blank lines skipped
//!                                                  │
//!                         commands.rs (grammar + handlers) ──► daemons.rs ──► <run dir>/<table>.sock
//! ```
//!
//! Exit status: 0 when every command succeeded, 1 when one failed (parse error, no daemon,
//! daemon error, unknown interface), 2 for a bad command line.

mod commands;
mod daemons;
mod grammar;
mod output;
mod render;
mod repl;
#[cfg(test)]
mod testnet;

use std::io::{self, BufRead, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use okapi_runtime::{DEFAULT_RUN_DIR, VERSION};

use crate::commands::{Shell, ShellError};
use crate::output::Output;

/// Longest line read from a pipe; longer ones are reported and skipped.
const MAX_LINE: usize = 4096;

/// The okapi shell: show the state of the okapi routing daemons.
///
/// Without -c and with a terminal on stdin, an interactive shell (? lists what may come next,
/// Tab completes). With stdin from a pipe or file, one command per line.
#[derive(Debug, Parser)]
#[command(name = "okapi", version = VERSION)]
struct Args {
    /// Run COMMAND and exit; repeat to run several, in order.
    #[arg(short = 'c', long = "command", value_name = "COMMAND")]
    commands: Vec<String>,
    /// Print the prompt and each command before its output (with -c or a pipe), as vtysh -E.
    #[arg(short = 'E', long)]
    echo: bool,
    /// Directory of the daemons' control sockets.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_RUN_DIR, env = "OKAPI_RUN_DIR")]
    run_dir: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut output = Output::default();
    let shell = match Shell::new(&args.run_dir) {
        Ok(shell) => shell,
        Err(error) => {
            output.error(&format!("okapi: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let echo = args.echo.then(repl::prompt);
    let ok = if !args.commands.is_empty() {
        batch(&shell, &mut output, args.commands.into_iter().map(Ok), echo.as_deref())
    } else if io::stdin().is_terminal() {
        repl::run(&shell, &mut output)
    } else {
        let lines = Lines {
            reader: io::stdin().lock(),
            number: 0,
            done: false,
        };
        batch(&shell, &mut output, lines, echo.as_deref())
    };
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Runs commands in order; `Err` items are reading errors, reported and counted as failures.
/// Blank lines and `#` comments are skipped. Stops at `exit`/`quit`, when no daemon answers
/// (every later command would say the same), and when stdout is closed. Returns whether every
/// command succeeded.
fn batch(
    shell: &Shell,
    output: &mut Output,
    lines: impl Iterator<Item = Result<String, String>>,
    echo: Option<&str>,
) -> bool {
    let mut ok = true;
    for line in lines {
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                output.error(&error);
                ok = false;
                continue;
            }
        };
        let command = line.trim();
        if command.is_empty() || command.starts_with('#') {
            continue;
        }
        if let Some(prompt) = echo {
            output.text(&format!("{prompt}{command}"));
        }
        match shell.execute(command) {
            Ok(reply) => {
                output.text(&reply.text);
                for error in &reply.errors {
                    output.error(&error.to_string());
                }
                ok &= reply.errors.is_empty();
                if reply.exit {
                    break;
                }
            }
            Err(error) => {
                output.error(&error.to_string());
                ok = false;
                if matches!(error, ShellError::NoDaemon { .. }) {
                    break;
                }
            }
        }
        if output.broken() {
            return false;
        }
    }
    ok
}

/// Lines of a reader, each at most [`MAX_LINE`] bytes, invalid UTF-8 replaced.
struct Lines<R> {
    reader: R,
    number: usize,
    done: bool,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<String, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        match (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => {
                self.number += 1;
                if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
                    self.skip_rest_of_line();
                    return Some(Err(format!(
                        "okapi: stdin line {}: longer than {MAX_LINE} bytes, skipped",
                        self.number
                    )));
                }
                Some(Ok(String::from_utf8_lossy(&line).into_owned()))
            }
            Err(error) => {
                self.done = true;
                Some(Err(format!("okapi: reading stdin: {error}")))
            }
        }
    }
}

impl<R: BufRead> Lines<R> {
    fn skip_rest_of_line(&mut self) {
        loop {
            let mut rest = Vec::new();
            match (&mut self.reader).take(MAX_LINE as u64).read_until(b'\n', &mut rest) {
                Ok(0) | Err(_) => return,
                Ok(_) if rest.last() == Some(&b'\n') => return,
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line() {
        Args::command().debug_assert();
        let args = Args::try_parse_from(["okapi", "-c", "sh ver", "-c", "sh int", "--run-dir", "/x"]).expect("args");
        assert_eq!(args.commands, ["sh ver", "sh int"]);
        assert_eq!(args.run_dir, PathBuf::from("/x"));
    }

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(MAX_LINE + 10);
        let exact = "y".repeat(MAX_LINE);
        let input = format!("show version\n{long}\n{exact}\nlast");
        let lines: Vec<Result<String, String>> = Lines {
            reader: io::Cursor::new(input.into_bytes()),
            number: 0,
            done: false,
        }
        .collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], Ok("show version\n".to_string()));
        assert!(lines[1].as_ref().is_err_and(|e| e.contains("line 2: longer than")));
        assert_eq!(lines[2].as_ref().map(|l| l.trim_end().len()), Ok(MAX_LINE));
        assert_eq!(lines[3], Ok("last".to_string()));
        let invalid: Vec<_> = Lines {
            reader: &b"sh \xff\n"[..],
            number: 0,
            done: false,
        }
        .collect();
        assert_eq!(invalid, [Ok("sh \u{fffd}\n".to_string())]);
    }
}
