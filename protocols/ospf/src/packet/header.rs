//! The 24-byte OSPF packet header (RFC 2328 A.3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Version #   |     Type      |         Packet length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Router ID                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Area ID                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |             AuType            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Authentication                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Authentication                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! This module reads and writes the fields as they are; what they mean (version, type,
//! length, authentication) is checked by [`Packet::decode`](super::Packet::decode).

use std::net::Ipv4Addr;
use std::ops::Range;

use bytes::BufMut;
use nom::Parser;
use nom::bytes::complete::take;
use serde::Serialize;

use crate::error::DecodeError;
use crate::wire::{self, put_ipv4};

/// The size of the header.
pub const HEADER_LEN: usize = 24;
/// The OSPF version this crate speaks.
pub const VERSION: u8 = 2;
/// Where the checksum field sits in the header.
pub(crate) const CHECKSUM_RANGE: Range<usize> = 12..14;
/// Where the 64-bit authentication field sits in the header.
pub(crate) const AUTHENTICATION_RANGE: Range<usize> = 16..24;

/// The five OSPF packet types (A.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacketType {
    Hello = 1,
    DatabaseDescription = 2,
    LinkStateRequest = 3,
    LinkStateUpdate = 4,
    LinkStateAck = 5,
}

impl PacketType {
    pub fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Hello,
            2 => Self::DatabaseDescription,
            3 => Self::LinkStateRequest,
            4 => Self::LinkStateUpdate,
            5 => Self::LinkStateAck,
            _ => return None,
        })
    }
}

/// The header fields exactly as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawHeader {
    pub version: u8,
    pub packet_type: u8,
    pub length: u16,
    pub router_id: Ipv4Addr,
    pub area_id: Ipv4Addr,
    pub checksum: u16,
    pub autype: u16,
    pub authentication: [u8; 8],
}

impl RawHeader {
    /// Reads the first 24 bytes of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut fields = (
            wire::u8,
            wire::u8,
            wire::u16,
            wire::ipv4,
            wire::ipv4,
            wire::u16,
            wire::u16,
            take(8usize),
        );
        let (_, (version, packet_type, length, router_id, area_id, checksum, autype, authentication)) = fields
            .parse(buf)
            .map_err(|_: nom::Err<nom::error::Error<&[u8]>>| DecodeError::Truncated {
                needed: HEADER_LEN,
                available: buf.len(),
            })?;
        let authentication = <[u8; 8]>::try_from(authentication).map_err(|_| DecodeError::Truncated {
            needed: HEADER_LEN,
            available: buf.len(),
        })?;
        Ok(Self {
            version,
            packet_type,
            length,
            router_id,
            area_id,
            checksum,
            autype,
            authentication,
        })
    }

    pub fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.version);
        buf.put_u8(self.packet_type);
        buf.put_u16(self.length);
        put_ipv4(buf, self.router_id);
        put_ipv4(buf, self.area_id);
        buf.put_u16(self.checksum);
        buf.put_u16(self.autype);
        buf.put_slice(&self.authentication);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_then_emit_is_identity() {
        let bytes: [u8; 24] = [
            0x02, 0x01, 0x00, 0x30, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xf6, 0x98, 0x00, 0x00, 0, 0, 0, 0,
            0, 0, 0, 0,
        ];
        let header = RawHeader::parse(&bytes).unwrap();
        assert_eq!(header.version, 2);
        assert_eq!(header.packet_type, 1);
        assert_eq!(header.length, 48);
        assert_eq!(header.router_id, Ipv4Addr::new(10, 0, 0, 1));
        let mut out = Vec::new();
        header.emit(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn short_buffer_is_truncated() {
        assert_eq!(
            RawHeader::parse(&[2; 23]),
            Err(DecodeError::Truncated {
                needed: 24,
                available: 23
            })
        );
    }
}
