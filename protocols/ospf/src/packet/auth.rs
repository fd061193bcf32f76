//! OSPF authentication (RFC 2328 Appendix D): what a packet carries ([`PacketAuth`]), what
//! an interface is configured with ([`AuthConfig`]), and the checks of D.4.
//!
//! With cryptographic authentication (AuType 2, D.3) the 64-bit authentication field is:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |              0                |    Key ID     | Auth Data Len |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Cryptographic sequence number                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! and the 16-byte MD5 digest follows the packet (outside its length field), computed over
//! the packet followed by the key padded with zeros to 16 bytes (D.4.3).

use std::collections::BTreeMap;
use std::fmt;

use md5::{Digest, Md5};
use serde::{Serialize, Serializer};

use super::header::RawHeader;
use crate::error::DecodeError;

/// AuType 0: null authentication (D.4.1).
pub const AUTYPE_NULL: u16 = 0;
/// AuType 1: simple password (D.4.2).
pub const AUTYPE_SIMPLE_PASSWORD: u16 = 1;
/// AuType 2: cryptographic authentication (D.4.3).
pub const AUTYPE_CRYPTOGRAPHIC: u16 = 2;
/// The length of a keyed-MD5 digest and of an MD5 key (D.4.3).
pub const MD5_DIGEST_LEN: usize = 16;

/// The authentication a packet carries (D.3). With
/// [`Packet::decode_verified`](super::Packet::decode_verified) it has been checked against
/// the interface's configuration; a cryptographic packet then tells the key id and the sequence number the
/// daemon compares with the neighbor's last one (D.4.3: it must not decrease).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacketAuth {
    /// AuType 0. The authentication field is sent as zeros and not examined on receipt.
    Null,
    /// AuType 1: the 64-bit field holds the password.
    SimplePassword(SimplePassword),
    /// AuType 2 with keyed MD5 (auth data length 16).
    Cryptographic { key_id: u8, sequence: u32 },
}

impl PacketAuth {
    /// The AuType field for this authentication.
    pub fn autype(&self) -> u16 {
        match self {
            Self::Null => AUTYPE_NULL,
            Self::SimplePassword(_) => AUTYPE_SIMPLE_PASSWORD,
            Self::Cryptographic { .. } => AUTYPE_CRYPTOGRAPHIC,
        }
    }

    /// The bytes that follow the packet: the digest length for cryptographic authentication.
    pub(crate) fn digest_len(&self) -> usize {
        match self {
            Self::Cryptographic { .. } => MD5_DIGEST_LEN,
            Self::Null | Self::SimplePassword(_) => 0,
        }
    }

    /// Reads the AuType and authentication fields of a received header (D.3).
    pub(crate) fn from_header(header: &RawHeader) -> Result<Self, DecodeError> {
        let field = header.authentication;
        match header.autype {
            AUTYPE_NULL => Ok(Self::Null),
            AUTYPE_SIMPLE_PASSWORD => Ok(Self::SimplePassword(SimplePassword(field))),
            AUTYPE_CRYPTOGRAPHIC => {
                let [_, _, key_id, auth_data_len, s0, s1, s2, s3] = field;
                if usize::from(auth_data_len) != MD5_DIGEST_LEN {
                    return Err(DecodeError::BadAuthDataLength(auth_data_len));
                }
                Ok(Self::Cryptographic {
                    key_id,
                    sequence: u32::from_be_bytes([s0, s1, s2, s3]),
                })
            }
            other => Err(DecodeError::UnknownAuthType(other)),
        }
    }

    /// The 64-bit authentication field to send.
    pub(crate) fn header_field(&self) -> [u8; 8] {
        match self {
            Self::Null => [0; 8],
            Self::SimplePassword(password) => password.0,
            Self::Cryptographic { key_id, sequence } => {
                let [s0, s1, s2, s3] = sequence.to_be_bytes();
                [0, 0, *key_id, MD5_DIGEST_LEN as u8, s0, s1, s2, s3]
            }
        }
    }
}

/// A simple password (D.4.2): up to 8 bytes, padded with zeros. Shown as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct SimplePassword([u8; 8]);

impl SimplePassword {
    /// `None` when `password` is longer than 8 bytes.
    pub fn new(password: &[u8]) -> Option<Self> {
        pad(password).map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Debug for SimplePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimplePassword(<redacted>)")
    }
}

impl Serialize for SimplePassword {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

/// An MD5 authentication key (D.4.3): up to 16 bytes, padded with zeros. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Md5Key([u8; MD5_DIGEST_LEN]);

impl Md5Key {
    /// `None` when `secret` is longer than 16 bytes.
    pub fn new(secret: &[u8]) -> Option<Self> {
        pad(secret).map(Self)
    }
}

impl fmt::Debug for Md5Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Md5Key(<redacted>)")
    }
}

/// The MD5 keys of an interface, by key id (D.3: several keys may be configured at once
/// during a key change).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Md5Keys(BTreeMap<u8, Md5Key>);

impl Md5Keys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the key with this id.
    pub fn insert(&mut self, key_id: u8, key: Md5Key) -> &mut Self {
        self.0.insert(key_id, key);
        self
    }

    pub fn remove(&mut self, key_id: u8) -> Option<Md5Key> {
        self.0.remove(&key_id)
    }

    pub fn get(&self, key_id: u8) -> Option<&Md5Key> {
        self.0.get(&key_id)
    }

    pub fn key_ids(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.keys().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(u8, Md5Key)> for Md5Keys {
    fn from_iter<I: IntoIterator<Item = (u8, Md5Key)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The authentication configured on an interface: what received packets must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AuthConfig {
    #[default]
    Null,
    SimplePassword(SimplePassword),
    Md5(Md5Keys),
}

impl AuthConfig {
    /// The AuType packets must carry.
    pub fn autype(&self) -> u16 {
        match self {
            Self::Null => AUTYPE_NULL,
            Self::SimplePassword(_) => AUTYPE_SIMPLE_PASSWORD,
            Self::Md5(_) => AUTYPE_CRYPTOGRAPHIC,
        }
    }

    /// Checks a received packet's authentication (D.4). `packet` is the packet as received
    /// (its length-field bytes), `digest` the 16 bytes after it for AuType 2. The standard
    /// checksum (AuType 0 and 1) is checked by the decoder for every packet.
    pub(crate) fn verify(&self, auth: &PacketAuth, packet: &[u8], digest: &[u8]) -> Result<(), DecodeError> {
        match (self, auth) {
            // D.4.1: the authentication field is not examined.
            (Self::Null, PacketAuth::Null) => Ok(()),
            // D.4.2: the 64-bit field must equal the configured password.
            (Self::SimplePassword(configured), PacketAuth::SimplePassword(received)) => {
                if constant_time_eq(&configured.0, &received.0) {
                    Ok(())
                } else {
                    Err(DecodeError::BadPassword)
                }
            }
            // D.4.3: find the key by id, recompute the digest over the packet and the key.
            // The sequence number is the daemon's to check (per neighbor).
            (Self::Md5(keys), PacketAuth::Cryptographic { key_id, .. }) => {
                let key = keys.get(*key_id).ok_or(DecodeError::UnknownKeyId(*key_id))?;
                if constant_time_eq(&md5_digest(packet, key), digest) {
                    Ok(())
                } else {
                    Err(DecodeError::BadDigest { key_id: *key_id })
                }
            }
            // D.3: "the AuType ... must match the AuType specified for the interface".
            _ => Err(DecodeError::AuthTypeMismatch {
                configured: self.autype(),
                received: auth.autype(),
            }),
        }
    }
}

/// D.4.3: MD5 over the packet (header with the checksum field left as sent, zero) followed
/// by the 16-byte key.
pub(crate) fn md5_digest(packet: &[u8], key: &Md5Key) -> [u8; MD5_DIGEST_LEN] {
    let mut md5 = Md5::new();
    md5.update(packet);
    md5.update(key.0);
    md5.finalize().into()
}

fn pad<const N: usize>(secret: &[u8]) -> Option<[u8; N]> {
    let mut padded = [0; N];
    padded.get_mut(..secret.len())?.copy_from_slice(secret);
    Some(padded)
}

/// Compares without an early exit, so timing does not tell how many bytes matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_padded_and_bounded() {
        assert_eq!(SimplePassword::new(b"abc").unwrap().as_bytes(), b"abc\0\0\0\0\0");
        assert!(SimplePassword::new(b"123456789").is_none());
        assert!(Md5Key::new(&[1; 16]).is_some());
        assert!(Md5Key::new(&[1; 17]).is_none());
    }

    #[test]
    fn secrets_are_not_printed() {
        let key = Md5Key::new(b"SECRET").unwrap();
        assert_eq!(format!("{key:?}"), "Md5Key(<redacted>)");
        let password = SimplePassword::new(b"hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
        let json = serde_json::to_string(&PacketAuth::SimplePassword(password)).unwrap();
        assert_eq!(json, r#"{"simple-password":"<redacted>"}"#);
    }

    #[test]
    fn md5_digest_matches_rfc_1321_on_padded_key() {
        // MD5("" followed by 16 zero bytes) = 4ae71336e44bf9bf79d2752e234818a5.
        let digest = md5_digest(b"", &Md5Key::new(b"").unwrap());
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, "4ae71336e44bf9bf79d2752e234818a5");
    }
}
