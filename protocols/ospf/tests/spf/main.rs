//! Integration tests of the SPF calculation (RFC 2328 §16.1): random areas, encoded as real
//! Router- and Network-LSAs, against an independent reference.

mod random;
mod reference;
mod topology;
