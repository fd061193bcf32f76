//! The 20-byte LSA header (RFC 2328 A.4.1), alone in Database Description and Link State
//! Acknowledgment packets, and at the start of every LSA.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            LS age             |    Options    |    LS type    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Link State ID                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Advertising Router                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     LS sequence number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         LS checksum           |             length            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::options::Options;
use crate::wire::{self, ParseResult, put_ipv4};

/// The size of an LSA header.
pub const LSA_HEADER_LEN: usize = 20;

/// The LS type field (A.4.1; 7 is RFC 3101, 9-11 are RFC 5250). Any value is kept.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LsaType(pub u8);

impl LsaType {
    pub const ROUTER: Self = Self(1);
    pub const NETWORK: Self = Self(2);
    pub const SUMMARY_NETWORK: Self = Self(3);
    pub const SUMMARY_ASBR: Self = Self(4);
    pub const AS_EXTERNAL: Self = Self(5);
    pub const NSSA_EXTERNAL: Self = Self(7);
    pub const OPAQUE_LINK: Self = Self(9);
    pub const OPAQUE_AREA: Self = Self(10);
    pub const OPAQUE_AS: Self = Self(11);

    /// True for the types whose body this crate decodes (1 to 5).
    pub fn has_decoded_body(self) -> bool {
        (1..=5).contains(&self.0)
    }
}

impl fmt::Debug for LsaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::ROUTER => "router",
            Self::NETWORK => "network",
            Self::SUMMARY_NETWORK => "summary-network",
            Self::SUMMARY_ASBR => "summary-asbr",
            Self::AS_EXTERNAL => "as-external",
            Self::NSSA_EXTERNAL => "nssa-external",
            Self::OPAQUE_LINK => "opaque-link",
            Self::OPAQUE_AREA => "opaque-area",
            Self::OPAQUE_AS => "opaque-as",
            _ => "unknown",
        };
        write!(f, "LsaType({}: {name})", self.0)
    }
}

/// An LSA header. In an [`Lsa`](super::Lsa) the length and checksum describe its body; in
/// Database Description and Link State Acknowledgment packets they are kept as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LsaHeader {
    /// Seconds since origination (§12.1.1); not covered by the checksum.
    pub age: u16,
    pub options: Options,
    pub lsa_type: LsaType,
    pub link_state_id: Ipv4Addr,
    pub advertising_router: Ipv4Addr,
    /// A signed 32-bit number (§12.1.6): 0x80000001 (InitialSequenceNumber) is the lowest.
    pub sequence_number: i32,
    /// The Fletcher checksum of the LSA without its age field (§12.1.7).
    pub checksum: u16,
    /// The length of the LSA in bytes, header included.
    pub length: u16,
}

impl LsaHeader {
    pub(crate) fn parse(input: &[u8]) -> ParseResult<'_, Self> {
        let mut fields = (
            wire::u16,
            wire::u8,
            wire::u8,
            wire::ipv4,
            wire::ipv4,
            wire::i32,
            wire::u16,
            wire::u16,
        );
        let (rest, (age, options, lsa_type, link_state_id, advertising_router, sequence_number, checksum, length)) =
            fields.parse(input)?;
        let header = Self {
            age,
            options: Options::from_bits_retain(options),
            lsa_type: LsaType(lsa_type),
            link_state_id,
            advertising_router,
            sequence_number,
            checksum,
            length,
        };
        Ok((rest, header))
    }

    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u16(self.age);
        buf.put_u8(self.options.bits());
        buf.put_u8(self.lsa_type.0);
        put_ipv4(buf, self.link_state_id);
        put_ipv4(buf, self.advertising_router);
        buf.put_i32(self.sequence_number);
        buf.put_u16(self.checksum);
        buf.put_u16(self.length);
    }
}
