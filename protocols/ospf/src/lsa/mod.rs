//! Link state advertisements (RFC 2328 §12, A.4): a 20-byte [`LsaHeader`] and a body.
//!
//! The bodies of types 1 to 5 are decoded ([`RouterLsa`], [`NetworkLsa`], [`SummaryLsa`],
//! [`AsExternalLsa`]); any other type (type 7, opaque 9/10/11, ...) is kept as
//! [`LsaBody::Unknown`] bytes and re-emitted as received. Decoding and encoding a valid LSA
//! gives back the same bytes: fields without meaning here (TOS metrics, reserved bits) are
//! kept.
//!
//! An [`Lsa`] is consistent by construction: its header's type, length and checksum describe
//! its body. It comes from [`Lsa::decode`] (checked) or [`Lsa::new`] (computed); only the age
//! can change afterwards, and the age is outside the checksum.

mod as_external;
mod checksum;
mod header;
mod network;
mod router;
mod summary;

use bytes::{BufMut, Bytes, BytesMut};
use nom::Finish;
use serde::Serialize;

pub use as_external::{AsExternalLsa, ExternalMetric, ExternalMetricType};
pub use header::{LSA_HEADER_LEN, LsaHeader, LsaType};
pub use network::NetworkLsa;
pub use router::{RouterLink, RouterLinkType, RouterLsa, RouterLsaFlags, RouterTosMetric};
pub use summary::{SummaryLsa, SummaryTosMetric};

use crate::error::{DecodeError, EncodeError};
use crate::wire::serialize_hex;

/// The largest LS age (§B: MaxAge, one hour).
pub const MAX_AGE: u16 = 3600;

/// An LSA body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LsaBody {
    /// Type 1.
    Router(RouterLsa),
    /// Type 2.
    Network(NetworkLsa),
    /// Type 3.
    SummaryNetwork(SummaryLsa),
    /// Type 4.
    SummaryAsbr(SummaryLsa),
    /// Type 5.
    AsExternal(AsExternalLsa),
    /// Any other type, kept as the bytes after the header.
    Unknown {
        lsa_type: LsaType,
        #[serde(serialize_with = "serialize_hex")]
        data: Bytes,
    },
}

impl LsaBody {
    pub fn lsa_type(&self) -> LsaType {
        match self {
            Self::Router(_) => LsaType::ROUTER,
            Self::Network(_) => LsaType::NETWORK,
            Self::SummaryNetwork(_) => LsaType::SUMMARY_NETWORK,
            Self::SummaryAsbr(_) => LsaType::SUMMARY_ASBR,
            Self::AsExternal(_) => LsaType::AS_EXTERNAL,
            Self::Unknown { lsa_type, .. } => *lsa_type,
        }
    }

    fn decode(lsa_type: LsaType, body: &[u8]) -> Result<Self, DecodeError> {
        Ok(match lsa_type {
            LsaType::ROUTER => Self::Router(RouterLsa::decode(body)?),
            LsaType::NETWORK => Self::Network(NetworkLsa::decode(body)?),
            LsaType::SUMMARY_NETWORK => Self::SummaryNetwork(SummaryLsa::decode(lsa_type, body)?),
            LsaType::SUMMARY_ASBR => Self::SummaryAsbr(SummaryLsa::decode(lsa_type, body)?),
            LsaType::AS_EXTERNAL => Self::AsExternal(AsExternalLsa::decode(body)?),
            _ => Self::Unknown {
                lsa_type,
                data: Bytes::copy_from_slice(body),
            },
        })
    }

    fn validate(&self) -> Result<(), EncodeError> {
        match self {
            Self::Router(router) => router.validate(),
            Self::Network(_) => Ok(()),
            Self::SummaryNetwork(summary) | Self::SummaryAsbr(summary) => summary.validate(),
            Self::AsExternal(external) => external.validate(),
            Self::Unknown { lsa_type, .. } if lsa_type.has_decoded_body() => {
                Err(EncodeError::UnknownBodyForKnownType { lsa_type: lsa_type.0 })
            }
            Self::Unknown { .. } => Ok(()),
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            Self::Router(router) => router.encoded_len(),
            Self::Network(network) => network.encoded_len(),
            Self::SummaryNetwork(summary) | Self::SummaryAsbr(summary) => summary.encoded_len(),
            Self::AsExternal(external) => external.encoded_len(),
            Self::Unknown { data, .. } => data.len(),
        }
    }

    fn emit(&self, buf: &mut impl BufMut) {
        match self {
            Self::Router(router) => router.emit(buf),
            Self::Network(network) => network.emit(buf),
            Self::SummaryNetwork(summary) | Self::SummaryAsbr(summary) => summary.emit(buf),
            Self::AsExternal(external) => external.emit(buf),
            Self::Unknown { data, .. } => buf.put_slice(data),
        }
    }
}

/// A whole LSA: header and body, consistent with each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Lsa {
    header: LsaHeader,
    body: LsaBody,
}

impl Lsa {
    /// Builds an LSA to originate: `header` gives the age, options, Link State ID,
    /// advertising router and sequence number; its type, length and checksum are computed
    /// from `body` (§12.1.7).
    pub fn new(mut header: LsaHeader, body: LsaBody) -> Result<Self, EncodeError> {
        body.validate()?;
        let length = LSA_HEADER_LEN + body.encoded_len();
        header.length = u16::try_from(length).map_err(|_| EncodeError::LsaTooLong { length })?;
        header.lsa_type = body.lsa_type();
        header.checksum = 0;
        let mut lsa = Self { header, body };
        let mut bytes = BytesMut::with_capacity(length);
        lsa.emit(&mut bytes);
        lsa.header.checksum = checksum::compute(&bytes);
        Ok(lsa)
    }

    /// Decodes exactly one LSA: `bytes` must hold the LSA and nothing else.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (lsa, rest) = Self::decode_prefix(bytes)?;
        if rest.is_empty() {
            Ok(lsa)
        } else {
            Err(DecodeError::BadLsaLength {
                length: lsa.header.length,
                what: "shorter than the buffer",
            })
        }
    }

    /// Decodes the LSA at the start of `input` (in a Link State Update) and returns the bytes
    /// after it. Checks the length (at least the header, within `input`) and then the
    /// checksum before looking at the body (§13 (1)).
    pub(crate) fn decode_prefix(input: &[u8]) -> Result<(Self, &[u8]), DecodeError> {
        let (_, header) = LsaHeader::parse(input)
            .finish()
            .map_err(|_| DecodeError::BadLsaLength {
                length: 0,
                what: "fewer than 20 bytes left for an LSA header",
            })?;
        let length = usize::from(header.length);
        if length < LSA_HEADER_LEN {
            return Err(DecodeError::BadLsaLength {
                length: header.length,
                what: "below the 20-byte header",
            });
        }
        let (Some(lsa), Some(rest)) = (input.get(..length), input.get(length..)) else {
            return Err(DecodeError::BadLsaLength {
                length: header.length,
                what: "beyond the end of the packet",
            });
        };
        if !checksum::verify(lsa) {
            return Err(DecodeError::BadLsaChecksum {
                lsa_type: header.lsa_type.0,
                received: header.checksum,
            });
        }
        let body = LsaBody::decode(header.lsa_type, lsa.get(LSA_HEADER_LEN..).unwrap_or(&[]))?;
        Ok((Self { header, body }, rest))
    }

    /// Writes the LSA as it is (header fields as stored).
    pub fn emit(&self, buf: &mut impl BufMut) {
        self.header.emit(buf);
        self.body.emit(buf);
    }

    /// The encoded LSA.
    pub fn to_bytes(&self) -> Bytes {
        let mut bytes = BytesMut::with_capacity(self.encoded_len());
        self.emit(&mut bytes);
        bytes.freeze()
    }

    /// The length in bytes, header included (the header's length field).
    pub fn encoded_len(&self) -> usize {
        usize::from(self.header.length)
    }

    pub fn header(&self) -> &LsaHeader {
        &self.header
    }

    pub fn body(&self) -> &LsaBody {
        &self.body
    }

    /// Sets the LS age (aging in the database, §14; InfTransDelay on flooding, §13.3). The
    /// age is not covered by the checksum.
    pub fn set_age(&mut self, age: u16) {
        self.header.age = age;
    }

    /// Consumes the LSA into its header and body.
    pub fn into_parts(self) -> (LsaHeader, LsaBody) {
        (self.header, self.body)
    }
}
