//! Finding the daemons and asking them: one control socket per daemon under the run dir, in
//! `DAEMON_TABLES` order, each asked through `okapi_runtime::control`.
//!
//! ```text
//!   run dir ──► ospf.sock  vrrp.sock  bgp.sock  testd.sock      (DAEMON_TABLES order)
//!                  │          │          │          │
//!   first()   ─────┴─ the first that answers (a daemon that answers with an error counts)
//!   all()     ─────── every one that answers, asked concurrently
//!   neither answers anywhere ──► ShellError::NoDaemon, one line naming the sockets tried
//!   get(table) ────── that daemon only (`show ip ospf ...` asks okapi-ospfd)
//!   it does not answer ──► ShellError::NotRunning, one line naming its socket
//! ```

use std::io;
use std::path::{Path, PathBuf};

use okapi_runtime::control::{self, ClientError};
use okapi_runtime::{DAEMON_TABLES, control_socket_path};
use serde_json::Value;

use crate::commands::ShellError;

/// One daemon's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The daemon's table in okapi.toml (`testd`), which names its socket.
    pub table: &'static str,
    pub socket: PathBuf,
    pub value: Value,
}

/// The daemons under one run dir, and the async runtime their client calls run on.
pub struct Daemons {
    run_dir: PathBuf,
    runtime: tokio::runtime::Runtime,
}

impl Daemons {
    pub fn new(run_dir: &Path) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Daemons {
            run_dir: run_dir.to_path_buf(),
            runtime,
        })
    }

    /// Control sockets of every daemon, in `DAEMON_TABLES` order.
    pub fn sockets(&self) -> Vec<(&'static str, PathBuf)> {
        DAEMON_TABLES
            .iter()
            .map(|table| (*table, control_socket_path(&self.run_dir, table)))
            .collect()
    }

    /// `GET path` on the first daemon whose socket answers. A daemon that answers with an
    /// error is the one asked: its error is returned, the next daemons are not tried.
    pub fn first(&self, path: &str) -> Result<Answer, ShellError> {
        let mut not_running = Vec::new();
        for (table, socket) in self.sockets() {
            match self.runtime.block_on(control::get(&socket, path)) {
                Ok(value) => return Ok(Answer { table, socket, value }),
                Err(ClientError::NotRunning { source, .. }) => not_running.push((socket, source)),
                Err(error) => return Err(ShellError::daemon(&socket, &error)),
            }
        }
        Err(ShellError::no_daemon(&not_running))
    }

    /// `GET path` on the daemon of `table` (`ospf`) only: the protocol's own commands.
    pub fn get(&self, table: &'static str, path: &str) -> Result<Answer, ShellError> {
        self.ask(table, "GET", path, None)
    }

    /// `POST path` with `body` on the daemon of `table`: actions (`drain`).
    pub fn post(&self, table: &'static str, path: &str, body: &serde_json::Value) -> Result<Answer, ShellError> {
        self.ask(table, "POST", path, Some(body))
    }

    fn ask(
        &self,
        table: &'static str,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ShellError> {
        let socket = control_socket_path(&self.run_dir, table);
        match self.runtime.block_on(control::request(&socket, method, path, body)) {
            Ok(value) => Ok(Answer { table, socket, value }),
            Err(ClientError::NotRunning { source, .. }) => Err(ShellError::NotRunning {
                daemon: daemon_name(table),
                denied: source.kind() == io::ErrorKind::PermissionDenied,
                socket,
            }),
            Err(error) => Err(ShellError::daemon(&socket, &error)),
        }
    }

    /// `GET path` on every daemon, concurrently. Daemons that do not run are left out; the
    /// others give their answer or their error, in `DAEMON_TABLES` order. `NoDaemon` when
    /// none runs.
    pub fn all(&self, path: &str) -> Result<Vec<Result<Answer, ShellError>>, ShellError> {
        let path = path.to_string();
        let tasks: Vec<_> = self
            .sockets()
            .into_iter()
            .map(|(table, socket)| {
                let path = path.clone();
                let task = self.runtime.spawn(async move {
                    let result = control::get(&socket, &path).await;
                    (table, socket, result)
                });
                (table, task)
            })
            .collect();
        let mut answers = Vec::new();
        let mut not_running = Vec::new();
        for (table, task) in tasks {
            match self.runtime.block_on(task) {
                Ok((table, socket, Ok(value))) => answers.push(Ok(Answer { table, socket, value })),
                Ok((_, socket, Err(ClientError::NotRunning { source, .. }))) => not_running.push((socket, source)),
                Ok((_, socket, Err(error))) => answers.push(Err(ShellError::daemon(&socket, &error))),
                // The task itself failed (it cannot panic short of a bug in the client).
                Err(error) => {
                    let socket = control_socket_path(&self.run_dir, table);
                    answers.push(Err(ShellError::Daemon {
                        socket,
                        message: format!("request task failed: {error}"),
                    }))
                }
            }
        }
        if answers.is_empty() {
            return Err(ShellError::no_daemon(&not_running));
        }
        Ok(answers)
    }
}

/// The program serving a table: `ospf` -> `okapi-ospfd`, `testd` -> `okapi-testd`.
pub fn daemon_name(table: &str) -> String {
    if table.ends_with('d') {
        format!("okapi-{table}")
    } else {
        format!("okapi-{table}d")
    }
}

/// Whether any of the failed connections was refused for lack of permission (the daemon may
/// well be running: the socket is mode 0660).
pub fn permission_denied(not_running: &[(PathBuf, io::Error)]) -> Vec<PathBuf> {
    not_running
        .iter()
        .filter(|(_, error)| error.kind() == io::ErrorKind::PermissionDenied)
        .map(|(socket, _)| socket.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_follow_the_daemon_tables() {
        let daemons = Daemons::new(Path::new("/tmp/okapi-run")).expect("runtime");
        let sockets: Vec<String> = daemons.sockets().iter().map(|(_, p)| p.display().to_string()).collect();
        assert_eq!(
            sockets,
            [
                "/tmp/okapi-run/ospf.sock",
                "/tmp/okapi-run/vrrp.sock",
                "/tmp/okapi-run/bgp.sock",
                "/tmp/okapi-run/testd.sock"
            ]
        );
    }

    #[test]
    fn daemon_names() {
        assert_eq!(daemon_name("ospf"), "okapi-ospfd");
        assert_eq!(daemon_name("vrrp"), "okapi-vrrpd");
        assert_eq!(daemon_name("testd"), "okapi-testd");
    }

    #[test]
    fn one_daemon_not_running_is_named_with_its_socket() {
        let dir = std::env::temp_dir().join(format!("okapi-shell-one-{}", std::process::id()));
        let daemons = Daemons::new(&dir).expect("runtime");
        match daemons.get("ospf", "/ospf") {
            Err(error @ ShellError::NotRunning { .. }) => assert_eq!(
                error.to_string(),
                format!(
                    "okapi: okapi-ospfd is not running (no answer on {}/ospf.sock)",
                    dir.display()
                )
            ),
            other => panic!("expected NotRunning, got {other:?}"),
        }
    }

    #[test]
    fn an_empty_run_dir_is_one_no_daemon_error() {
        let dir = std::env::temp_dir().join(format!("okapi-shell-empty-{}", std::process::id()));
        let daemons = Daemons::new(&dir).expect("runtime");
        let expected = format!(
            "okapi: no okapi daemon answers (tried {0}/ospf.sock, {0}/vrrp.sock, {0}/bgp.sock, {0}/testd.sock)",
            dir.display()
        );
        match daemons.first("/interfaces") {
            Err(error @ ShellError::NoDaemon { .. }) => assert_eq!(error.to_string(), expected),
            other => panic!("expected NoDaemon, got {other:?}"),
        }
        match daemons.all("/version") {
            Err(error @ ShellError::NoDaemon { .. }) => assert_eq!(error.to_string(), expected),
            other => panic!("expected NoDaemon, got {other:?}"),
        }
    }
}
