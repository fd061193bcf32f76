//! The Summary-LSA body (LS types 3 and 4, RFC 2328 A.4.4), originated by area border
//! routers: type 3 describes a network (Link State ID: its address), type 4 an AS boundary
//! router (Link State ID: its router ID, network mask 0).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Network Mask                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      0        |                  metric                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     TOS       |                TOS  metric                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use std::net::Ipv4Addr;

use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::error::{DecodeError, EncodeError};
use crate::lsa::LsaType;
use crate::wire::{self, put_ipv4, put_u24};

const FIXED_LEN: usize = 8;
const TOS_LEN: usize = 4;
/// Metrics are 24-bit fields.
pub(crate) const MAX_METRIC: u32 = 0x00ff_ffff;

/// A TOS-specific metric of a Summary-LSA, kept for an exact round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SummaryTosMetric {
    pub tos: u8,
    /// 24 bits.
    pub metric: u32,
}

/// A Summary-LSA body (types 3 and 4 share it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SummaryLsa {
    pub network_mask: Ipv4Addr,
    /// The byte before the metric, zero in RFC 2328.
    pub reserved: u8,
    /// The cost to the destination, 24 bits (LSInfinity, 0xffffff, withdraws it).
    pub metric: u32,
    pub tos_metrics: Vec<SummaryTosMetric>,
}

impl SummaryLsa {
    pub(crate) fn decode(lsa_type: LsaType, body: &[u8]) -> Result<Self, DecodeError> {
        let malformed = |what| DecodeError::MalformedLsa {
            lsa_type: lsa_type.0,
            what,
        };
        let (tos_bytes, (network_mask, reserved, metric)) = (wire::ipv4, wire::u8, wire::u24)
            .parse(body)
            .map_err(|_| malformed("shorter than the 8 fixed bytes"))?;
        if tos_bytes.len() % TOS_LEN != 0 {
            return Err(malformed("TOS metrics are not a multiple of 4 bytes"));
        }
        let tos_metrics = wire::records(tos_bytes, TOS_LEN, |record| {
            (wire::u8, wire::u24)
                .map(|(tos, metric)| SummaryTosMetric { tos, metric })
                .parse(record)
        })
        .ok_or(malformed("TOS metrics do not parse"))?;
        Ok(Self {
            network_mask,
            reserved,
            metric,
            tos_metrics,
        })
    }

    pub(crate) fn validate(&self) -> Result<(), EncodeError> {
        let metrics = std::iter::once(self.metric).chain(self.tos_metrics.iter().map(|tos| tos.metric));
        match metrics.into_iter().find(|metric| *metric > MAX_METRIC) {
            Some(metric) => Err(EncodeError::MetricOutOfRange { metric }),
            None => Ok(()),
        }
    }

    pub(crate) fn encoded_len(&self) -> usize {
        FIXED_LEN + TOS_LEN * self.tos_metrics.len()
    }

    /// Writes the body; [`validate`](Self::validate) has passed.
    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        put_ipv4(buf, self.network_mask);
        buf.put_u8(self.reserved);
        put_u24(buf, self.metric);
        for tos in &self.tos_metrics {
            buf.put_u8(tos.tos);
            put_u24(buf, tos.metric);
        }
    }
}
