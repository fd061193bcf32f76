//! okapi-lab: containerlab topology files realized on a plain Linux host with network
//! namespaces, veth pairs, Linux bridges and per-node mount views (no Docker).
//!
//! ```text
//!  Topology::load ──► validated topology (keys, nodes, links, binds, images, binaries)
//!        │                nothing exists yet; every error is one line naming file and place
//!        ▼
//!  Lab::up ──► state.json ──► netns clab-<lab>-<node> ──► private dirs + enter.sh ──► veths
//!        │      (written before each thing is created)            ──► processes ──► exec lines
//!        ▼
//!  Lab::exec / command / capture ──► ip netns exec NS <node>/enter.sh CMD...
//!        ▼
//!  Lab::down / down(name) ──► stop captures, processes, namespace strays ──► delete netns,
//!                             host paths, state dir
//! ```
//!
//! Modules: `topology` (parse + validate), `images` (image -> processes), `view` (mount view,
//! enter.sh), `node` (node preparation), `netns` (ip), `process`, `state`, `capture`, `up`
//! (bringing a lab up), `lab` (the Lab API), `teardown` (down, leftovers).

mod capture;
mod error;
mod images;
mod lab;
mod netns;
mod node;
mod process;
pub mod state;
mod teardown;
mod topology;
mod up;
mod view;

pub use capture::Capture;
pub use error::LabError;
pub use lab::{Lab, LabGuard, is_root};
pub use teardown::{down, lab_name, leftovers};
pub use topology::{DEFAULT_MTU, KnownKeys, MAX_IFNAME, Topology, known_keys, netns_name};

/// Links of a namespace (`ip -n NS -o link`), for status displays.
pub fn namespace_links(ns: &str) -> Vec<String> {
    netns::links(ns)
}

/// Whether a named network namespace exists.
pub fn namespace_exists(ns: &str) -> bool {
    netns::exists(ns)
}

/// Whether the process `pid` started at `start_time` (0: any) is alive.
pub fn process_alive(pid: i32, start_time: u64) -> bool {
    process::alive(pid, start_time)
}
