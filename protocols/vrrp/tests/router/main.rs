//! Table tests of the virtual router state machine, one per transition, named after the RFC
//! section; and the sync group.

mod rfc3768;
mod rfc5798;
mod support;
mod sync;
