//! Why an advertisement was refused ([`DecodeError`]) or could not be built
//! ([`EncodeError`]), and [`REJECT_REASONS`]: every counter key the codec and the state
//! machine can produce.

use thiserror::Error;

/// Received bytes that are not a valid VRRP advertisement (RFC 5798 §5 and §7.1, RFC 3768
/// §5 and §7.1): every length field is checked against the bytes that hold it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The payload ends before the fixed header, the address list (Count IPvX Addr says how
    /// long it is) or the VRRPv2 authentication data.
    #[error("truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    /// RFC 5798 §7.1 / RFC 3768 §7.1: a version other than 3 and 2.
    #[error("bad version {0}")]
    BadVersion(u8),
    /// RFC 5798 §5.2.2: the only type is 1, ADVERTISEMENT.
    #[error("bad type {0} (1 is ADVERTISEMENT)")]
    BadType(u8),
    /// The IP source and destination are of different families (VRRPv3 over IPv6 uses IPv6
    /// for both).
    #[error("IP source and destination of different families")]
    FamilyMismatch,
    /// RFC 3768 is IPv4 only.
    #[error("VRRPv2 over IPv6")]
    V2OverIpv6,
    /// RFC 5798 §5.2.3: Virtual Rtr ID is 1 to 255.
    #[error("virtual router id 0")]
    BadVrid,
    /// RFC 5798 §5.2.5: Count IPvX Addr is at least 1.
    #[error("address count {0}")]
    AddressCount(u8),
    /// Bytes after the address list (VRRPv3) or after the authentication data (VRRPv2).
    /// They are refused: the checksum covers them, re-encoding could not reproduce them, and
    /// neither RFC allows them (RFC 5798 §5.1, RFC 3768 §5.1 define the whole message).
    #[error("{0} bytes after the advertisement")]
    TrailingBytes(usize),
    /// RFC 5798 §5.2.8 / RFC 3768 §5.3.8 (checked per §7.1): the checksum does not verify.
    #[error("bad checksum {received:#06x} (computed {computed:#06x})")]
    BadChecksum { received: u16, computed: u16 },
}

impl DecodeError {
    /// Every value [`reason`](Self::reason) can return, in declaration order.
    pub const REASONS: &'static [&'static str] = &[
        "truncated",
        "bad-version",
        "bad-type",
        "family-mismatch",
        "v2-over-ipv6",
        "bad-vrid",
        "address-count",
        "trailing-bytes",
        "bad-checksum",
    ];

    /// A stable kebab-case key for the daemon's per-reason counters.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "truncated",
            Self::BadVersion(_) => "bad-version",
            Self::BadType(_) => "bad-type",
            Self::FamilyMismatch => "family-mismatch",
            Self::V2OverIpv6 => "v2-over-ipv6",
            Self::BadVrid => "bad-vrid",
            Self::AddressCount(_) => "address-count",
            Self::TrailingBytes(_) => "trailing-bytes",
            Self::BadChecksum { .. } => "bad-checksum",
        }
    }
}

/// An [`Advertisement`](crate::Advertisement) that cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// RFC 5798 §5.2.3: Virtual Rtr ID 0.
    #[error("virtual router id 0")]
    BadVrid,
    /// RFC 5798 §5.2.5: 1 to 255 addresses.
    #[error("{0} addresses (1 to 255 fit)")]
    AddressCount(usize),
    /// An address of the other family than the IP source and destination, or a source and
    /// destination of different families.
    #[error("addresses of mixed families")]
    FamilyMismatch,
    /// RFC 3768 is IPv4 only.
    #[error("VRRPv2 over IPv6")]
    V2OverIpv6,
    /// RFC 3768 §5.3.7: Adver Int is whole seconds, 0 to 255.
    #[error("VRRPv2 interval {0} cs is not whole seconds from 0 to 255")]
    V2Interval(u16),
    /// RFC 5798 §5.2.7: Max Adver Int has 12 bits.
    #[error("interval {0} cs does not fit in 12 bits")]
    V3Interval(u16),
    /// VRRPv3 has no authentication (RFC 5798 §9).
    #[error("VRRPv3 advertisement with VRRPv2 authentication")]
    V2AuthOnV3,
}

/// Every reason an advertisement can be rejected for, by the codec
/// ([`DecodeError::reason`]) or by the state machine's receive checks
/// ([`Output::Rejected`](crate::Output::Rejected), RFC 5798 §7.1, RFC 3768 §7.1), so the
/// daemon's counter table can start with all of them at zero.
pub const REJECT_REASONS: &[&str] = &[
    // codec
    "truncated",
    "bad-version",
    "bad-type",
    "family-mismatch",
    "v2-over-ipv6",
    "bad-vrid",
    "address-count",
    "trailing-bytes",
    "bad-checksum",
    // state machine (router.rs, RECEIVE_REASONS; "family-mismatch" above too)
    "bad-ttl",
    "version-mismatch",
    "vrid-mismatch",
    "local-owner",
    "address-list-mismatch",
    "interval-mismatch",
    "bad-interval",
    "auth-mismatch",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decode_reason_is_listed_once_and_among_the_reject_reasons() {
        let mut seen = std::collections::BTreeSet::new();
        for reason in DecodeError::REASONS {
            assert!(seen.insert(reason), "{reason} twice");
            assert!(REJECT_REASONS.contains(reason), "{reason}");
        }
        for reason in crate::router::RECEIVE_REASONS {
            assert!(REJECT_REASONS.contains(reason), "{reason}");
        }
        let all: std::collections::BTreeSet<_> = REJECT_REASONS.iter().collect();
        assert_eq!(all.len(), REJECT_REASONS.len(), "REJECT_REASONS has duplicates");
        let listed: std::collections::BTreeSet<_> = DecodeError::REASONS
            .iter()
            .chain(crate::router::RECEIVE_REASONS)
            .collect();
        assert_eq!(
            all, listed,
            "REJECT_REASONS is exactly the codec's and the router's reasons"
        );
    }

    #[test]
    fn every_variant_reports_a_listed_reason() {
        let variants = [
            DecodeError::Truncated {
                needed: 8,
                available: 0,
            },
            DecodeError::BadVersion(4),
            DecodeError::BadType(2),
            DecodeError::FamilyMismatch,
            DecodeError::V2OverIpv6,
            DecodeError::BadVrid,
            DecodeError::AddressCount(0),
            DecodeError::TrailingBytes(1),
            DecodeError::BadChecksum {
                received: 0,
                computed: 1,
            },
        ];
        let reasons: Vec<_> = variants.iter().map(DecodeError::reason).collect();
        assert_eq!(reasons, DecodeError::REASONS);
    }
}
