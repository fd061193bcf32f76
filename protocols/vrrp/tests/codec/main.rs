//! Integration tests of the VRRP codec: tables of real advertisements, malformed inputs,
//! properties, the project's own keepalived captures and the tcpdump corpus.

mod corpus;
mod fixtures;
mod malformed;
mod properties;
mod support;
mod tables;
