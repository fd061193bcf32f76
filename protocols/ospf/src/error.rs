//! Why a packet was refused ([`DecodeError`]) or could not be built ([`EncodeError`]).
//!
//! Every [`DecodeError`] has a stable, short [`reason`](DecodeError::reason) that the daemon
//! uses as the name of a per-interface counter; [`DecodeError::REASONS`] lists them all so the
//! counters can exist (at zero) before the first bad packet arrives.

use thiserror::Error;

/// A received packet that is not a valid OSPFv2 packet, or that fails authentication.
///
/// The checks follow RFC 2328 §8.2 (packet header), Appendix D (authentication) and
/// §13 (1) (LSA checksum), plus every length field checked against the bytes that hold it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The buffer ends before the header, the packet length or the MD5 digest says it does.
    #[error("truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    /// RFC 2328 §8.2: the version number field must specify protocol version 2.
    #[error("bad version {0} (expected 2)")]
    BadVersion(u8),
    /// A packet type other than 1 to 5 (A.3.1).
    #[error("unknown packet type {0}")]
    UnknownPacketType(u8),
    /// The packet length field is below the header size, or the body does not fill it
    /// exactly (a neighbor list that is not a multiple of 4 bytes, an LSA count that does
    /// not match the LSAs present, ...).
    #[error("bad packet length {length}: {what}")]
    BadPacketLength { length: u16, what: &'static str },
    /// RFC 2328 D.4.1/D.4.2: the standard OSPF checksum does not verify.
    #[error("bad checksum {received:#06x}")]
    BadChecksum { received: u16 },
    /// An authentication type other than 0, 1 and 2 (D.3).
    #[error("unknown authentication type {0}")]
    UnknownAuthType(u16),
    /// D.3: cryptographic authentication whose auth data length is not 16 (only keyed MD5
    /// is supported).
    #[error("unsupported cryptographic auth data length {0} (MD5 is 16)")]
    BadAuthDataLength(u8),
    /// D.3: the packet's AuType differs from the one configured on the interface.
    #[error("authentication type mismatch: configured {configured}, received {received}")]
    AuthTypeMismatch { configured: u16, received: u16 },
    /// D.4.2: the simple password differs from the configured one.
    #[error("simple password mismatch")]
    BadPassword,
    /// D.4.3: no MD5 key is configured for the packet's key id.
    #[error("no MD5 key configured for key id {0}")]
    UnknownKeyId(u8),
    /// D.4.3: the MD5 digest does not match the one computed with the configured key.
    #[error("MD5 digest mismatch (key id {key_id})")]
    BadDigest { key_id: u8 },
    /// An LSA length field below 20, beyond the packet, or not matching the LSA's body.
    #[error("bad LSA length {length}: {what}")]
    BadLsaLength { length: u16, what: &'static str },
    /// RFC 2328 §12.1.7/§13 (1): the LSA's Fletcher checksum does not verify.
    #[error("bad LSA checksum {received:#06x} (LSA type {lsa_type})")]
    BadLsaChecksum { lsa_type: u8, received: u16 },
    /// The body of a router, network, summary or AS-external LSA does not parse.
    #[error("malformed LSA of type {lsa_type}: {what}")]
    MalformedLsa { lsa_type: u8, what: &'static str },
}

impl DecodeError {
    /// Every value [`reason`](Self::reason) can return, in declaration order.
    pub const REASONS: &'static [&'static str] = &[
        "truncated",
        "bad-version",
        "unknown-packet-type",
        "bad-length",
        "bad-checksum",
        "unknown-auth-type",
        "bad-auth-data-length",
        "auth-type-mismatch",
        "bad-password",
        "unknown-key-id",
        "bad-digest",
        "bad-lsa-length",
        "bad-lsa-checksum",
        "malformed-lsa",
    ];

    /// A short name for the reason, stable across releases: use it as a counter name.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "truncated",
            Self::BadVersion(_) => "bad-version",
            Self::UnknownPacketType(_) => "unknown-packet-type",
            Self::BadPacketLength { .. } => "bad-length",
            Self::BadChecksum { .. } => "bad-checksum",
            Self::UnknownAuthType(_) => "unknown-auth-type",
            Self::BadAuthDataLength(_) => "bad-auth-data-length",
            Self::AuthTypeMismatch { .. } => "auth-type-mismatch",
            Self::BadPassword => "bad-password",
            Self::UnknownKeyId(_) => "unknown-key-id",
            Self::BadDigest { .. } => "bad-digest",
            Self::BadLsaLength { .. } => "bad-lsa-length",
            Self::BadLsaChecksum { .. } => "bad-lsa-checksum",
            Self::MalformedLsa { .. } => "malformed-lsa",
        }
    }

    /// True for the failures of authentication proper (D.4): a wrong AuType, password, key
    /// id or digest. RFC 2328 §8.2 drops these packets like any other; a daemon may want to
    /// log them louder.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            Self::AuthTypeMismatch { .. } | Self::BadPassword | Self::UnknownKeyId(_) | Self::BadDigest { .. }
        )
    }
}

/// A packet or LSA that cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// The packet would exceed the 65535 bytes its length field can say.
    #[error("packet of {length} bytes exceeds 65535")]
    PacketTooLong { length: usize },
    /// The LSA would exceed the 65535 bytes its length field can say.
    #[error("LSA of {length} bytes exceeds 65535")]
    LsaTooLong { length: usize },
    /// A summary or AS-external metric above the 24 bits the field holds (A.4.4, A.4.5).
    #[error("metric {metric} does not fit in 24 bits")]
    MetricOutOfRange { metric: u32 },
    /// An AS-external TOS value above the 7 bits the field holds (A.4.5).
    #[error("external TOS {tos} does not fit in 7 bits")]
    ExternalTosOutOfRange { tos: u8 },
    /// A Router-LSA link with more than 255 TOS entries (the #TOS field is 8 bits, A.4.2).
    #[error("router link with {count} TOS metrics (at most 255)")]
    TooManyTosMetrics { count: usize },
    /// [`LsaBody::Unknown`](crate::lsa::LsaBody::Unknown) used for a type this crate decodes
    /// (1 to 5): its bytes would decode as another body, so the round trip would break.
    #[error("LSA type {lsa_type} has a decoded body type; an unknown body is not allowed")]
    UnknownBodyForKnownType { lsa_type: u8 },
    /// The packet uses cryptographic authentication with a key id that has no key.
    #[error("no MD5 key for key id {key_id}")]
    MissingKey { key_id: u8 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_is_listed_once() {
        let samples = [
            DecodeError::Truncated {
                needed: 1,
                available: 0,
            },
            DecodeError::BadVersion(3),
            DecodeError::UnknownPacketType(9),
            DecodeError::BadPacketLength { length: 0, what: "" },
            DecodeError::BadChecksum { received: 0 },
            DecodeError::UnknownAuthType(7),
            DecodeError::BadAuthDataLength(20),
            DecodeError::AuthTypeMismatch {
                configured: 0,
                received: 1,
            },
            DecodeError::BadPassword,
            DecodeError::UnknownKeyId(1),
            DecodeError::BadDigest { key_id: 1 },
            DecodeError::BadLsaLength { length: 0, what: "" },
            DecodeError::BadLsaChecksum {
                lsa_type: 1,
                received: 0,
            },
            DecodeError::MalformedLsa { lsa_type: 1, what: "" },
        ];
        let reasons: Vec<_> = samples.iter().map(DecodeError::reason).collect();
        assert_eq!(reasons, DecodeError::REASONS);
    }
}
