//! The AS-external-LSA body (LS type 5, RFC 2328 A.4.5), originated by AS boundary
//! routers; the Link State ID is the destination network's address.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Network Mask                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |E|     0       |                  metric                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Forwarding address                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      External Route Tag                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |E|    TOS      |                TOS  metric                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Forwarding address                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      External Route Tag                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use std::net::Ipv4Addr;

use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::error::{DecodeError, EncodeError};
use crate::lsa::LsaType;
use crate::lsa::summary::MAX_METRIC;
use crate::wire::{self, ParseResult, put_ipv4, put_u24};

const MASK_LEN: usize = 4;
const ENTRY_LEN: usize = 12;
const E_BIT: u8 = 0x80;
const MAX_TOS: u8 = 0x7f;

/// The E bit (A.4.5): how the metric compares with the internal cost (§16.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExternalMetricType {
    /// E clear: the metric is in the same units as link costs and is added to them.
    Type1,
    /// E set: the metric is larger than any internal path cost.
    Type2,
}

/// One metric entry of an AS-external-LSA (the first one is for TOS 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ExternalMetric {
    pub metric_type: ExternalMetricType,
    /// 7 bits; zero in the TOS 0 entry.
    pub tos: u8,
    /// 24 bits.
    pub metric: u32,
    /// Where to send the traffic; 0.0.0.0 means the originating ASBR.
    pub forwarding_address: Ipv4Addr,
    /// 32 bits the AS boundary routers may use; OSPF does not.
    pub route_tag: u32,
}

/// An AS-external-LSA body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AsExternalLsa {
    pub network_mask: Ipv4Addr,
    /// The TOS 0 entry: the one RFC 2328 routing uses.
    pub metric: ExternalMetric,
    /// Further TOS entries, kept for an exact round trip.
    pub tos_metrics: Vec<ExternalMetric>,
}

impl AsExternalLsa {
    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let malformed = |what| DecodeError::MalformedLsa {
            lsa_type: LsaType::AS_EXTERNAL.0,
            what,
        };
        let (entries, (network_mask, metric)) = (wire::ipv4, parse_entry)
            .parse(body)
            .map_err(|_| malformed("shorter than the 16 fixed bytes"))?;
        if entries.len() % ENTRY_LEN != 0 {
            return Err(malformed("TOS entries are not a multiple of 12 bytes"));
        }
        let tos_metrics =
            wire::records(entries, ENTRY_LEN, parse_entry).ok_or(malformed("TOS entries do not parse"))?;
        Ok(Self {
            network_mask,
            metric,
            tos_metrics,
        })
    }

    pub(crate) fn validate(&self) -> Result<(), EncodeError> {
        for entry in std::iter::once(&self.metric).chain(&self.tos_metrics) {
            if entry.metric > MAX_METRIC {
                return Err(EncodeError::MetricOutOfRange { metric: entry.metric });
            }
            if entry.tos > MAX_TOS {
                return Err(EncodeError::ExternalTosOutOfRange { tos: entry.tos });
            }
        }
        Ok(())
    }

    pub(crate) fn encoded_len(&self) -> usize {
        MASK_LEN + ENTRY_LEN * (1 + self.tos_metrics.len())
    }

    /// Writes the body; [`validate`](Self::validate) has passed.
    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        put_ipv4(buf, self.network_mask);
        for entry in std::iter::once(&self.metric).chain(&self.tos_metrics) {
            let e_bit = match entry.metric_type {
                ExternalMetricType::Type1 => 0,
                ExternalMetricType::Type2 => E_BIT,
            };
            buf.put_u8(e_bit | entry.tos);
            put_u24(buf, entry.metric);
            put_ipv4(buf, entry.forwarding_address);
            buf.put_u32(entry.route_tag);
        }
    }
}

fn parse_entry(input: &[u8]) -> ParseResult<'_, ExternalMetric> {
    let (rest, (e_and_tos, metric, forwarding_address, route_tag)) =
        (wire::u8, wire::u24, wire::ipv4, wire::u32).parse(input)?;
    let metric_type = if e_and_tos & E_BIT == 0 {
        ExternalMetricType::Type1
    } else {
        ExternalMetricType::Type2
    };
    Ok((
        rest,
        ExternalMetric {
            metric_type,
            tos: e_and_tos & MAX_TOS,
            metric,
            forwarding_address,
            route_tag,
        },
    ))
}
