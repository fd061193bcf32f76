//! Where results go: command output on stdout, errors on stderr. A closed stdout (`okapi ...
//! | head -1`) is not an error to shout about: it is remembered so the caller stops quietly.

use std::io::{self, Write};

#[derive(Debug, Default)]
pub struct Output {
    broken: bool,
}

impl Output {
    /// Writes `text` to stdout, ending it with a newline if it has none; nothing for "".
    pub fn text(&mut self, text: &str) {
        if text.is_empty() || self.broken {
            return;
        }
        let mut stdout = io::stdout().lock();
        let newline = if text.ends_with('\n') { "" } else { "\n" };
        let written = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.write_all(newline.as_bytes()));
        if written.and_then(|()| stdout.flush()).is_err() {
            self.broken = true;
        }
    }

    /// Writes `text` and a newline to stderr.
    pub fn error(&mut self, text: &str) {
        let mut stderr = io::stderr().lock();
        // Nowhere left to report a failure to write to stderr.
        let _ = writeln!(stderr, "{text}");
    }

    /// Whether stdout was closed under us.
    pub fn broken(&self) -> bool {
        self.broken
    }
}
