//! Integration tests of the OSPFv2 codec: tables of real packets and LSAs, properties,
//! the project's own lab captures, the tcpdump corpus, fuzzer regressions.

mod auth;
mod corpus;
mod fuzz_regressions;
mod lab_fixtures;
mod lsa_tables;
mod malformed;
mod packet_tables;
mod properties;
mod support;
