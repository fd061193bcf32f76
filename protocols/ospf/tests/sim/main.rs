//! Simulation tests: many okapi-ospf instances over simulated links in virtual time
//! (`support::Network`), checked against the SPF tests' independent reference on random
//! topologies (`support::model`).
//!
//! - `adjacency`: p2p and LAN adjacencies, the first DR/BDR election, the DR dying,
//!   authentication, Hello mismatches, passive interfaces, router ID change, views.
//! - `election`: the BDR dying, a higher-priority router joining (no preemption, §9.4), a
//!   DR restarting.
//! - `flooding`: synchronisation on rings, LANs and grids, VIPs, restarts, a late joiner
//!   with a large database, one encoding per flooded LSA.
//! - `random`: random areas (with LANs, asymmetric costs, ECMP, latencies, MD5): identical
//!   databases, and every router's routes equal to the reference's.
//! - `failures`: links down, cut silently or flapping; routers dying and coming back (or
//!   restarting quickly); partitions healing after a minute or an hour; two routers dying on
//!   large LANs. Routes against the reference on the model of the network after each event.
//! - `aging`: five hours of LSA refresh; a dead router's LSAs reaching MaxAge and flushed.
//! - `large`: 1,000 routers.
//!
//! A failure in a test over random topologies names its seed: `OKAPI_SIM_SEED=n` reruns a
//! test of one topology on another, `OKAPI_SIM_SEEDS=n` runs n seeds of those that loop;
//! `OKAPI_SIM_THREADS=n` sets the harness's threads (results do not depend on it).

mod adjacency;
mod aging;
mod election;
mod failures;
mod flooding;
mod large;
mod random;
mod support;

// The SPF tests' topology model and independent reference, shared (see support::model).
#[allow(dead_code)]
#[path = "../spf/reference.rs"]
mod reference;
#[path = "../spf/topology.rs"]
mod topology;
