//! The one runtime every okapi daemon is built on.
//!
//! ```text
//!             okapi.toml ──► config ──► Daemon::run ◄── SIGTERM/SIGINT (stop), SIGHUP (reload)
//!                                          │
//!   kernel ◄── netlink (links, addresses, routes) ──► protocol task ◄──► rawsock (IP proto N)
//!                                          │
//!               okapi shell ──HTTP/JSON──► control (Unix socket /run/okapi/<daemon>.sock)
//! ```
//!
//! A daemon supplies its name, its config table type and an async body; the runtime supplies
//! everything that touches the OS apart from the protocol's own packets.

pub mod announce;
pub mod config;
pub mod config_values;
pub mod control;
pub mod daemon;
pub mod health;
pub mod interfaces;
pub mod logging;
pub mod netlink;
pub mod rawsock;
pub mod rejects;
pub mod tcp_table;
pub mod timer;
pub mod vmac;

/// Version of the okapi suite, shared by every binary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where daemons put their control sockets unless told otherwise.
pub const DEFAULT_RUN_DIR: &str = "/run/okapi";

/// Where daemons read their configuration unless told otherwise.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/okapi/okapi.toml";

/// Top-level tables of okapi.toml, one per daemon. A daemon reads its own table and skips
/// the others; any other top-level key is an error.
pub const DAEMON_TABLES: &[&str] = &["ospf", "vrrp", "bgp", "testd"];

/// Control socket path of the daemon whose config table is `table`, under `run_dir`.
pub fn control_socket_path(run_dir: &std::path::Path, table: &str) -> std::path::PathBuf {
    run_dir.join(format!("{table}.sock"))
}
