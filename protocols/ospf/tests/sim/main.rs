//! Simulation tests: many okapi-ospf instances over simulated links in virtual time.

mod adjacency;
mod flooding;
mod support;
