//! `LabError`: every failure of okapi-lab, each displayed as one line that says what and why.

use std::path::Path;

/// What went wrong. `Display` is always a single line (newlines in captured output are folded).
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The topology file is invalid; `message` names the place (`topology.links[1]`, `line:col`).
    #[error("{file}: {message}")]
    Topology { file: String, message: String },

    /// The operation needs root (network and mount namespaces).
    #[error("needs root (it creates network and mount namespaces): run it as root or with sudo")]
    NotRoot,

    /// A lab of this name already exists.
    #[error("lab {name} is already up ({detail}); run `okapi-lab down {name}` first")]
    AlreadyUp { name: String, detail: String },

    /// No state for this lab.
    #[error("lab {name} is not up (no {state})")]
    NotUp { name: String, state: String },

    /// `exec`/`capture` without `--lab` while zero or several labs are up.
    #[error("{0}")]
    WhichLab(String),

    /// The lab has no such node.
    #[error("lab {lab} has no node {node} (nodes: {nodes})")]
    UnknownNode { lab: String, node: String, nodes: String },

    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },

    /// An external command (`ip`, `vtysh -b`, an `exec` line...) failed.
    #[error("{what}: {detail}")]
    Command { what: String, detail: String },

    /// A process of a node did not start or did not become ready.
    #[error("node {node}: {what}: {detail}")]
    Process { node: String, what: String, detail: String },

    /// The state file is unreadable or inconsistent.
    #[error("{path}: {message}")]
    State { path: String, message: String },

    /// `down` did not manage to remove everything.
    #[error("lab {name}: down left {left}")]
    Leftovers { name: String, left: String },
}

impl LabError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> LabError {
        LabError::Io {
            what: one_line(&what.into()),
            source,
        }
    }

    pub(crate) fn command(what: impl Into<String>, detail: impl AsRef<str>) -> LabError {
        LabError::Command {
            what: one_line(&what.into()),
            detail: one_line(detail.as_ref()),
        }
    }

    pub(crate) fn process(node: &str, what: impl Into<String>, detail: impl AsRef<str>) -> LabError {
        let detail = one_line(detail.as_ref());
        let detail = if detail.is_empty() {
            "no output".to_string()
        } else {
            detail
        };
        LabError::Process {
            node: node.to_string(),
            what: one_line(&what.into()),
            detail,
        }
    }

    pub(crate) fn topology(file: &Path, message: impl AsRef<str>) -> LabError {
        LabError::Topology {
            file: file.display().to_string(),
            message: one_line(message.as_ref()),
        }
    }

    pub(crate) fn state(path: &Path, message: impl AsRef<str>) -> LabError {
        LabError::State {
            path: path.display().to_string(),
            message: one_line(message.as_ref()),
        }
    }
}

/// Folds text onto one line: trims it, joins its non-empty lines with "; " and caps its length.
pub(crate) fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    const MAX: usize = 600;
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_and_caps() {
        assert_eq!(one_line("  a\n\n b \n"), "a; b");
        assert!(one_line(&"x".repeat(1000)).ends_with("..."));
        let error = LabError::command("vtysh -b", "line 1\nline 2\n");
        assert_eq!(error.to_string(), "vtysh -b: line 1; line 2");
    }
}
