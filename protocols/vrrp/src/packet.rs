//! The VRRP advertisement: RFC 5798 §5 (VRRPv3, IPv4 and IPv6) and RFC 3768 §5 (VRRPv2,
//! IPv4). Parsed with nom, emitted with `bytes`.
//!
//! ```text
//! RFC 5798 §5.1 (v3)
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |(rsvd) |     Max Adver Int     |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      IPvX Address(es) (4 or 16 bytes each)    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! RFC 3768 §5.1 (v2)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Auth Type   |   Adver Int   |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         IP Address(es)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Authentication Data (8 bytes)             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Decoding checks, in order: the 8-byte header is there; version 2 or 3; type 1; the IP
//! source and destination are one family (and IPv4 for v2); VRID is not 0; Count is at least
//! 1; the payload holds exactly the header, Count addresses and (v2) the 8 authentication
//! bytes; the checksum verifies. Only then is the address vector allocated, sized from a
//! length already checked against the payload.
//!
//! Trailing bytes (anything after the address list in v3, after the authentication data in
//! v2) are refused with `trailing-bytes`: both RFCs define the whole message, the checksum
//! covers them, and a packet that cannot be re-encoded byte for byte is not accepted. The IP
//! layer strips Ethernet padding (the payload ends at the IP length).
//!
//! The four reserved bits before Max Adver Int (v3) are ignored on reception and sent as
//! zero (RFC 5798 §5.2.6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, Bytes, BytesMut};
use nom::Parser;
use nom::number::complete::{be_u8, be_u16, be_u32, be_u128};
use serde::{Serialize, Serializer};

use crate::checksum::{v2_checksum, v3_checksum};
use crate::error::{DecodeError, EncodeError};

/// Fixed header length, both versions.
pub const HEADER_LEN: usize = 8;
/// RFC 3768 §5.3.10: the authentication data after the addresses.
pub const V2_AUTH_LEN: usize = 8;
/// RFC 5798 §5.2.2: the one packet type.
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// RFC 5798 §5.2.7: Max Adver Int is 12 bits of centiseconds.
pub const MAX_V3_INTERVAL_CS: u16 = 0x0fff;

/// The VRRP version (RFC 5798 §5.2.1): 3, or 2 for RFC 3768.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    /// The value of the Version field.
    pub fn wire(self) -> u8 {
        match self {
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }
}

impl Serialize for Version {
    /// As the number, `2` or `3`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.wire())
    }
}

/// VRRPv2 authentication (RFC 3768 §5.3.6, §5.3.10): type 0 none, 1 simple text password
/// (the 8 data bytes, zero-padded), 2 IP Authentication Header (the data is unused). RFC 3768
/// deprecates 1 and 2 but keepalived still sends type 1 with `auth_type PASS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct V2Auth {
    pub auth_type: u8,
    pub data: [u8; 8],
}

impl V2Auth {
    /// Type 0, zero data: what RFC 3768 §5.3.6.1 says to send.
    pub const NONE: V2Auth = V2Auth {
        auth_type: 0,
        data: [0; 8],
    };

    /// Type 1 with `password`, truncated to 8 bytes and zero-padded (RFC 3768 §5.3.10).
    pub fn simple_text(password: &[u8]) -> V2Auth {
        let mut data = [0; 8];
        let len = password.len().min(8);
        data[..len].copy_from_slice(&password[..len]);
        V2Auth { auth_type: 1, data }
    }
}

/// A VRRP ADVERTISEMENT, v2 or v3.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Advertisement {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// Centiseconds. v3: the 12-bit Max Advertise Interval as is (0..=4095).
    /// v2: the 8-bit Adver Int (seconds) x 100 on decode; encode requires a multiple of 100
    /// that fits in u8 seconds.
    pub interval_cs: u16,
    /// v2 only (None for v3).
    pub v2_auth: Option<V2Auth>,
    /// The virtual addresses, all of the packet's family.
    pub addresses: Vec<IpAddr>,
}

fn truncated(needed: usize, available: usize) -> DecodeError {
    DecodeError::Truncated { needed, available }
}

/// The bytes one address takes for the family of `address`.
fn address_len(address: IpAddr) -> usize {
    match address {
        IpAddr::V4(_) => 4,
        IpAddr::V6(_) => 16,
    }
}

impl Advertisement {
    /// Decodes the VRRP message `payload` (the bytes after the IP header). `source` and
    /// `destination` are the IP header's: the v3 checksum covers them (RFC 5798 §5.2.8), the
    /// v2 checksum does not (RFC 3768 §5.3.8) but the family still decides the address size.
    pub fn decode(payload: &[u8], source: IpAddr, destination: IpAddr) -> Result<Advertisement, DecodeError> {
        type NomError<'a> = nom::Err<nom::error::Error<&'a [u8]>>;
        let available = payload.len();
        let (rest, (version_type, vrid, priority, count, byte4, byte5, received)) =
            (be_u8, be_u8, be_u8, be_u8, be_u8, be_u8, be_u16)
                .parse(payload)
                .map_err(|_: NomError<'_>| truncated(HEADER_LEN, available))?;

        // RFC 5798 §5.2.1, §7.1: version 3 (or 2, RFC 3768 §5.3.1).
        let version = match version_type >> 4 {
            2 => Version::V2,
            3 => Version::V3,
            other => return Err(DecodeError::BadVersion(other)),
        };
        // §5.2.2: type 1 only.
        if version_type & 0x0f != TYPE_ADVERTISEMENT {
            return Err(DecodeError::BadType(version_type & 0x0f));
        }
        let address_size = match (source, destination) {
            (IpAddr::V4(_), IpAddr::V4(_)) => 4,
            (IpAddr::V6(_), IpAddr::V6(_)) if version == Version::V2 => return Err(DecodeError::V2OverIpv6),
            (IpAddr::V6(_), IpAddr::V6(_)) => 16,
            _ => return Err(DecodeError::FamilyMismatch),
        };
        // §5.2.3: VRID 1-255.
        if vrid == 0 {
            return Err(DecodeError::BadVrid);
        }
        // §5.2.5: at least one address.
        if count == 0 {
            return Err(DecodeError::AddressCount(count));
        }
        // §7.1: the packet holds the complete message. The lengths come from a u8 count, so
        // `needed` cannot overflow; it is checked before anything is allocated.
        let addresses_len = usize::from(count) * address_size;
        let auth_len = if version == Version::V2 { V2_AUTH_LEN } else { 0 };
        let needed = HEADER_LEN + addresses_len + auth_len;
        if available < needed {
            return Err(truncated(needed, available));
        }
        if available > needed {
            return Err(DecodeError::TrailingBytes(available - needed));
        }

        // §5.2.8 (v3, with the pseudo-header) / RFC 3768 §5.3.8 (v2, the message only),
        // verified per §7.1 by computing it with the field as zero and comparing: a sum that
        // merely folds to zero would also take 0xffff for 0x0000 (ones' complement has two
        // zeros), which no sender computes and which could not be re-encoded.
        let without = [
            payload.get(..6).unwrap_or(&[]),
            &[0, 0],
            payload.get(HEADER_LEN..).unwrap_or(&[]),
        ];
        let computed = match version {
            Version::V3 => v3_checksum(source, destination, &without),
            Version::V2 => Some(v2_checksum(&without)),
        };
        if computed != Some(received) {
            return Err(DecodeError::BadChecksum {
                received,
                computed: computed.unwrap_or(0),
            });
        }

        let mut addresses = Vec::with_capacity(usize::from(count));
        let mut input = rest;
        for _ in 0..count {
            let (next, address) = if address_size == 4 {
                be_u32
                    .map(|raw| IpAddr::V4(Ipv4Addr::from(raw)))
                    .parse(input)
                    .map_err(|_: NomError<'_>| truncated(needed, available))?
            } else {
                be_u128
                    .map(|raw| IpAddr::V6(Ipv6Addr::from(raw)))
                    .parse(input)
                    .map_err(|_: NomError<'_>| truncated(needed, available))?
            };
            addresses.push(address);
            input = next;
        }

        let (interval_cs, v2_auth) = match version {
            // §5.2.6-§5.2.7: 4 reserved bits (ignored), 12 bits of centiseconds.
            Version::V3 => (u16::from_be_bytes([byte4, byte5]) & MAX_V3_INTERVAL_CS, None),
            // RFC 3768 §5.3.6-§5.3.7, §5.3.10: Auth Type, Adver Int in seconds, auth data.
            Version::V2 => {
                let data: [u8; 8] = input
                    .get(..V2_AUTH_LEN)
                    .and_then(|data| data.try_into().ok())
                    .ok_or_else(|| truncated(needed, available))?;
                (u16::from(byte5) * 100, Some(V2Auth { auth_type: byte4, data }))
            }
        };
        Ok(Advertisement {
            version,
            vrid,
            priority,
            interval_cs,
            v2_auth,
            addresses,
        })
    }

    /// The length of the encoded message.
    pub fn encoded_len(&self) -> usize {
        let addresses: usize = self.addresses.iter().map(|address| address_len(*address)).sum();
        let auth = if self.version == Version::V2 { V2_AUTH_LEN } else { 0 };
        HEADER_LEN + addresses + auth
    }

    /// Encodes the message with its checksum (v3: over the pseudo-header of `source` and
    /// `destination`, RFC 5798 §5.2.8; v2: the message only, RFC 3768 §5.3.8). A v2
    /// advertisement without `v2_auth` is sent with [`V2Auth::NONE`].
    pub fn encode(&self, source: IpAddr, destination: IpAddr) -> Result<Bytes, EncodeError> {
        if self.vrid == 0 {
            return Err(EncodeError::BadVrid);
        }
        let count = u8::try_from(self.addresses.len())
            .ok()
            .filter(|count| *count > 0)
            .ok_or(EncodeError::AddressCount(self.addresses.len()))?;
        let v6 = match (source, destination) {
            (IpAddr::V4(_), IpAddr::V4(_)) => false,
            (IpAddr::V6(_), IpAddr::V6(_)) => true,
            _ => return Err(EncodeError::FamilyMismatch),
        };
        if self.addresses.iter().any(|address| address.is_ipv6() != v6) {
            return Err(EncodeError::FamilyMismatch);
        }
        let (byte4, byte5) = match self.version {
            Version::V3 => {
                if self.v2_auth.is_some() {
                    return Err(EncodeError::V2AuthOnV3);
                }
                if self.interval_cs > MAX_V3_INTERVAL_CS {
                    return Err(EncodeError::V3Interval(self.interval_cs));
                }
                let [high, low] = self.interval_cs.to_be_bytes();
                (high, low)
            }
            Version::V2 => {
                if v6 {
                    return Err(EncodeError::V2OverIpv6);
                }
                let seconds = u8::try_from(self.interval_cs / 100)
                    .ok()
                    .filter(|_| self.interval_cs % 100 == 0)
                    .ok_or(EncodeError::V2Interval(self.interval_cs))?;
                (self.v2_auth.unwrap_or(V2Auth::NONE).auth_type, seconds)
            }
        };

        let mut buf = BytesMut::with_capacity(self.encoded_len());
        buf.put_u8(self.version.wire() << 4 | TYPE_ADVERTISEMENT);
        buf.put_u8(self.vrid);
        buf.put_u8(self.priority);
        buf.put_u8(count);
        buf.put_u8(byte4);
        buf.put_u8(byte5);
        buf.put_u16(0); // checksum, filled below
        for address in &self.addresses {
            match address {
                IpAddr::V4(address) => buf.put_slice(&address.octets()),
                IpAddr::V6(address) => buf.put_slice(&address.octets()),
            }
        }
        if self.version == Version::V2 {
            buf.put_slice(&self.v2_auth.unwrap_or(V2Auth::NONE).data);
        }
        let checksum = match self.version {
            Version::V3 => v3_checksum(source, destination, &[&buf]).ok_or(EncodeError::FamilyMismatch)?,
            Version::V2 => v2_checksum(&[&buf]),
        };
        buf[6..8].copy_from_slice(&checksum.to_be_bytes());
        Ok(buf.freeze())
    }
}
