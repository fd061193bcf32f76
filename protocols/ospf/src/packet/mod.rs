//! OSPFv2 packets (RFC 2328 A.3): the header, the five bodies, authentication.
//!
//! ```text
//!  IP payload (protocol 89)
//!  +------------------+---------------------+-------------------+--------------------+
//!  | header, 24 bytes | body                | MD5 digest        | trailer (LLS, ...) |
//!  |  (A.3.1)         |  (A.3.2 - A.3.6)    |  16 bytes, AuType |  kept opaque       |
//!  |                  |                     |  2 only (D.4.3)   |                    |
//!  +------------------+---------------------+-------------------+--------------------+
//!  |<---- packet length field ------------->|
//! ```
//!
//! [`Packet::decode`] checks the structure and the standard checksum; [`Packet::decode_verified`]
//! also checks the authentication against the interface's [`AuthConfig`]. [`Packet::encode`]
//! computes the length, the checksum (AuType 0 and 1) or the MD5 digest (AuType 2).

mod auth;
mod checksum;
mod database_description;
mod header;
mod hello;
mod ls_ack;
mod ls_request;
mod ls_update;

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

pub use auth::{
    AUTYPE_CRYPTOGRAPHIC, AUTYPE_NULL, AUTYPE_SIMPLE_PASSWORD, AuthConfig, MD5_DIGEST_LEN, Md5Key, Md5Keys, PacketAuth,
    SimplePassword,
};
pub use database_description::{DatabaseDescription, DdFlags};
pub use header::{HEADER_LEN, PacketType, VERSION};
pub use hello::Hello;
pub use ls_ack::LinkStateAck;
pub use ls_request::{LinkStateRequest, LsRequestEntry};
pub use ls_update::LinkStateUpdate;

use self::header::{CHECKSUM_RANGE, RawHeader};
use crate::error::{DecodeError, EncodeError};
use crate::wire::serialize_hex;

/// An OSPFv2 packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Packet {
    /// The router ID of the sender.
    pub router_id: Ipv4Addr,
    /// The area the packet belongs to (0.0.0.0: the backbone).
    pub area_id: Ipv4Addr,
    pub auth: PacketAuth,
    pub body: PacketBody,
    /// Bytes after the packet (and its MD5 digest): the link-local signaling block of
    /// RFC 5613 when the L option bit is set. Kept as received and sent back as is.
    #[serde(serialize_with = "serialize_hex")]
    pub trailer: Bytes,
}

/// The body of a packet, one variant per packet type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacketBody {
    Hello(Hello),
    DatabaseDescription(DatabaseDescription),
    LinkStateRequest(LinkStateRequest),
    LinkStateUpdate(LinkStateUpdate),
    LinkStateAck(LinkStateAck),
}

impl Packet {
    /// Decodes the IP payload of an OSPF packet: header (§8.2: version, type, length), the
    /// standard checksum for AuType 0 and 1 (D.4.1, D.4.2), the shape of the authentication
    /// field, and the body. Secrets are not checked: see [`decode_verified`](Self::decode_verified).
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_with(buf, None)
    }

    /// [`decode`](Self::decode), and the packet's authentication must match `config` (D.4):
    /// same AuType, same password, or a digest made with the configured key of its key id.
    /// The packet's [`auth`](Self::auth) then tells the key id and the cryptographic sequence
    /// number, which the daemon keeps per neighbor (D.4.3: it must not decrease).
    pub fn decode_verified(buf: &[u8], config: &AuthConfig) -> Result<Self, DecodeError> {
        Self::decode_with(buf, Some(config))
    }

    fn decode_with(buf: &[u8], config: Option<&AuthConfig>) -> Result<Self, DecodeError> {
        let header = RawHeader::parse(buf)?;
        if header.version != VERSION {
            return Err(DecodeError::BadVersion(header.version));
        }
        let packet_type =
            PacketType::from_u8(header.packet_type).ok_or(DecodeError::UnknownPacketType(header.packet_type))?;
        let length = usize::from(header.length);
        if length < HEADER_LEN {
            return Err(DecodeError::BadPacketLength {
                length: header.length,
                what: "below the 24-byte header",
            });
        }
        let packet = buf.get(..length).ok_or(DecodeError::Truncated {
            needed: length,
            available: buf.len(),
        })?;
        let auth = PacketAuth::from_header(&header)?;
        let digest_end = length + auth.digest_len();
        let (Some(digest), Some(trailer)) = (buf.get(length..digest_end), buf.get(digest_end..)) else {
            return Err(DecodeError::Truncated {
                needed: digest_end,
                available: buf.len(),
            });
        };
        // D.4.1, D.4.2: the checksum covers AuType 0 and 1; D.4.3: not AuType 2.
        if auth.digest_len() == 0 && !checksum::verify(packet) {
            return Err(DecodeError::BadChecksum {
                received: header.checksum,
            });
        }
        if let Some(config) = config {
            config.verify(&auth, packet, digest)?;
        }
        let body_bytes = packet.get(HEADER_LEN..).unwrap_or(&[]);
        let body = PacketBody::decode(packet_type, body_bytes, header.length)?;
        Ok(Self {
            router_id: header.router_id,
            area_id: header.area_id,
            auth,
            body,
            trailer: Bytes::copy_from_slice(trailer),
        })
    }

    /// Encodes the packet as an IP payload: header, body, MD5 digest (AuType 2, made with the
    /// key of the packet's key id in `md5_keys`), trailer. Packets without cryptographic
    /// authentication ignore `md5_keys` (pass an empty [`Md5Keys`]).
    pub fn encode(&self, md5_keys: &Md5Keys) -> Result<Bytes, EncodeError> {
        let length = HEADER_LEN + self.body.encoded_len();
        let length_field = u16::try_from(length).map_err(|_| EncodeError::PacketTooLong { length })?;
        let key = match &self.auth {
            PacketAuth::Cryptographic { key_id, .. } => Some(
                md5_keys
                    .get(*key_id)
                    .ok_or(EncodeError::MissingKey { key_id: *key_id })?,
            ),
            PacketAuth::Null | PacketAuth::SimplePassword(_) => None,
        };
        let mut buf = BytesMut::with_capacity(length + self.auth.digest_len() + self.trailer.len());
        let header = RawHeader {
            version: VERSION,
            packet_type: self.packet_type() as u8,
            length: length_field,
            router_id: self.router_id,
            area_id: self.area_id,
            checksum: 0,
            autype: self.auth.autype(),
            authentication: self.auth.header_field(),
        };
        header.emit(&mut buf);
        self.body.emit(&mut buf);
        match key {
            // D.4.3: the checksum stays zero; the digest follows the packet.
            Some(key) => {
                let digest = auth::md5_digest(&buf, key);
                buf.put_slice(&digest);
            }
            None => {
                let checksum = checksum::compute(&buf);
                if let Some(field) = buf.get_mut(CHECKSUM_RANGE) {
                    field.copy_from_slice(&checksum.to_be_bytes());
                }
            }
        }
        buf.put_slice(&self.trailer);
        Ok(buf.freeze())
    }

    pub fn packet_type(&self) -> PacketType {
        self.body.packet_type()
    }
}

impl PacketBody {
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Hello(_) => PacketType::Hello,
            Self::DatabaseDescription(_) => PacketType::DatabaseDescription,
            Self::LinkStateRequest(_) => PacketType::LinkStateRequest,
            Self::LinkStateUpdate(_) => PacketType::LinkStateUpdate,
            Self::LinkStateAck(_) => PacketType::LinkStateAck,
        }
    }

    fn decode(packet_type: PacketType, body: &[u8], length: u16) -> Result<Self, DecodeError> {
        Ok(match packet_type {
            PacketType::Hello => Self::Hello(Hello::decode(body, length)?),
            PacketType::DatabaseDescription => Self::DatabaseDescription(DatabaseDescription::decode(body, length)?),
            PacketType::LinkStateRequest => Self::LinkStateRequest(LinkStateRequest::decode(body, length)?),
            PacketType::LinkStateUpdate => Self::LinkStateUpdate(LinkStateUpdate::decode(body, length)?),
            PacketType::LinkStateAck => Self::LinkStateAck(LinkStateAck::decode(body, length)?),
        })
    }

    fn encoded_len(&self) -> usize {
        match self {
            Self::Hello(hello) => hello.encoded_len(),
            Self::DatabaseDescription(dd) => dd.encoded_len(),
            Self::LinkStateRequest(request) => request.encoded_len(),
            Self::LinkStateUpdate(update) => update.encoded_len(),
            Self::LinkStateAck(ack) => ack.encoded_len(),
        }
    }

    fn emit(&self, buf: &mut impl BufMut) {
        match self {
            Self::Hello(hello) => hello.emit(buf),
            Self::DatabaseDescription(dd) => dd.emit(buf),
            Self::LinkStateRequest(request) => request.emit(buf),
            Self::LinkStateUpdate(update) => update.emit(buf),
            Self::LinkStateAck(ack) => ack.emit(buf),
        }
    }
}
