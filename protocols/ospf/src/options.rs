//! The Options field (RFC 2328 A.2), carried in Hello and Database Description packets and
//! in every LSA header.
//!
//! ```text
//!  +------------------------------------+
//!  | DN | O | DC | L | N/P | MC | E | MT |
//!  +------------------------------------+
//! ```
//!
//! RFC 2328 defines DC, EA, N/P, MC, E and T; later RFCs reuse the other bits (DN: RFC 4576,
//! O: RFC 5250, L: RFC 5613 in place of EA, MT: RFC 4915 in place of T). Bits are kept as
//! received, known or not, so that re-encoding gives the same byte.

use bitflags::bitflags;
use serde::Serialize;

bitflags! {
    /// The 8-bit OSPF Options field; unknown bits are retained.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
    pub struct Options: u8 {
        /// RFC 4576: the LSA was sent down by a PE (MPLS VPN loop prevention).
        const DN = 0x80;
        /// RFC 5250: the router handles opaque LSAs.
        const O = 0x40;
        /// RFC 1793: demand circuits.
        const DC = 0x20;
        /// RFC 5613: the packet carries a link-local signaling (LLS) data block.
        const L = 0x10;
        /// RFC 3101: NSSA (N in Hello packets, P in type-7 LSAs).
        const NP = 0x08;
        /// RFC 1584: multicast extensions.
        const MC = 0x04;
        /// RFC 2328 A.2: AS-external-LSAs are flooded (not a stub area).
        const E = 0x02;
        /// RFC 4915: multi-topology routing (the T bit of RFC 2328).
        const MT = 0x01;
    }
}
