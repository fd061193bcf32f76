//! The Router-LSA body (LS type 1, RFC 2328 A.4.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    0    |V|E|B|        0      |            # links            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Link ID                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Link Data                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     # TOS     |            metric             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      TOS      |        0      |          TOS  metric          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```
//!
//! The flag byte and the byte after it are kept whole (later RFCs define more bits: W in
//! RFC 1584, Nt in RFC 3101), and so are the TOS entries, which RFC 2328 routing ignores.

use std::net::Ipv4Addr;

use bitflags::bitflags;
use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::error::{DecodeError, EncodeError};
use crate::lsa::LsaType;
use crate::wire::{self, ParseResult, put_ipv4};

const FIXED_LEN: usize = 4;
const LINK_LEN: usize = 12;
const TOS_LEN: usize = 4;

bitflags! {
    /// The Router-LSA flag byte; unknown bits are retained.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
    pub struct RouterLsaFlags: u8 {
        /// RFC 3101: an NSSA border router that translates type-7 LSAs unconditionally.
        const NT = 0x10;
        /// RFC 1584: a wild-card multicast receiver.
        const W = 0x08;
        /// A.4.2: an endpoint of one or more fully adjacent virtual links.
        const V = 0x04;
        /// A.4.2: an AS boundary router.
        const E = 0x02;
        /// A.4.2: an area border router.
        const B = 0x01;
    }
}

/// The kind of a router link (A.4.2 "Type"); any value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RouterLinkType(pub u8);

impl RouterLinkType {
    /// Link ID: the neighbor's router ID; Link Data: the interface's address (or ifIndex).
    pub const POINT_TO_POINT: Self = Self(1);
    /// Link ID: the DR's interface address; Link Data: the interface's address.
    pub const TRANSIT: Self = Self(2);
    /// Link ID: the network's address; Link Data: its mask.
    pub const STUB: Self = Self(3);
    /// Link ID: the neighbor's router ID; Link Data: the interface's address.
    pub const VIRTUAL: Self = Self(4);
}

/// A TOS-specific metric of a router link (A.4.2), kept for an exact round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RouterTosMetric {
    pub tos: u8,
    /// The byte after the TOS, zero in RFC 2328.
    pub reserved: u8,
    pub metric: u16,
}

/// One link of a Router-LSA.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RouterLink {
    pub link_id: Ipv4Addr,
    pub link_data: Ipv4Addr,
    pub link_type: RouterLinkType,
    /// The TOS 0 cost of the link.
    pub metric: u16,
    pub tos_metrics: Vec<RouterTosMetric>,
}

/// A Router-LSA body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RouterLsa {
    pub flags: RouterLsaFlags,
    /// The byte after the flags, zero in RFC 2328.
    pub reserved: u8,
    pub links: Vec<RouterLink>,
}

impl RouterLsa {
    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let malformed = |what| DecodeError::MalformedLsa {
            lsa_type: LsaType::ROUTER.0,
            what,
        };
        let (mut rest, (flags, reserved, link_count)) = (wire::u8, wire::u8, wire::u16)
            .parse(body)
            .map_err(|_| malformed("shorter than the 4 fixed bytes"))?;
        // Each link takes at least 12 bytes: the count cannot ask for more than that.
        let mut links = Vec::with_capacity(usize::from(link_count).min(rest.len() / LINK_LEN));
        for _ in 0..link_count {
            let (after, link) = parse_link(rest).map_err(|_| malformed("a link runs past the end of the LSA"))?;
            links.push(link);
            rest = after;
        }
        if !rest.is_empty() {
            return Err(malformed("bytes after the last link"));
        }
        Ok(Self {
            flags: RouterLsaFlags::from_bits_retain(flags),
            reserved,
            links,
        })
    }

    pub(crate) fn validate(&self) -> Result<(), EncodeError> {
        if let Some(link) = self
            .links
            .iter()
            .find(|link| link.tos_metrics.len() > usize::from(u8::MAX))
        {
            return Err(EncodeError::TooManyTosMetrics {
                count: link.tos_metrics.len(),
            });
        }
        Ok(())
    }

    pub(crate) fn encoded_len(&self) -> usize {
        FIXED_LEN
            + self
                .links
                .iter()
                .map(|link| LINK_LEN + TOS_LEN * link.tos_metrics.len())
                .sum::<usize>()
    }

    /// Writes the body; [`validate`](Self::validate) and the LSA length check (which bounds
    /// the link count) have passed.
    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.flags.bits());
        buf.put_u8(self.reserved);
        buf.put_u16(self.links.len() as u16);
        for link in &self.links {
            put_ipv4(buf, link.link_id);
            put_ipv4(buf, link.link_data);
            buf.put_u8(link.link_type.0);
            buf.put_u8(link.tos_metrics.len() as u8);
            buf.put_u16(link.metric);
            for tos in &link.tos_metrics {
                buf.put_u8(tos.tos);
                buf.put_u8(tos.reserved);
                buf.put_u16(tos.metric);
            }
        }
    }
}

fn parse_link(input: &[u8]) -> ParseResult<'_, RouterLink> {
    let (mut rest, (link_id, link_data, link_type, tos_count, metric)) =
        (wire::ipv4, wire::ipv4, wire::u8, wire::u8, wire::u16).parse(input)?;
    let mut tos_metrics = Vec::with_capacity(usize::from(tos_count).min(rest.len() / TOS_LEN));
    for _ in 0..tos_count {
        let (after, (tos, reserved, metric)) = (wire::u8, wire::u8, wire::u16).parse(rest)?;
        tos_metrics.push(RouterTosMetric { tos, reserved, metric });
        rest = after;
    }
    Ok((
        rest,
        RouterLink {
            link_id,
            link_data,
            link_type: RouterLinkType(link_type),
            metric,
            tos_metrics,
        },
    ))
}
