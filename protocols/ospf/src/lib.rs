//! okapi-ospf: sans-IO OSPFv2 (RFC 2328).
//!
//! This first piece is the wire codec: [`packet`] (the five packet types and
//! authentication) and [`lsa`] (the LSA header, the router, network, summary and
//! AS-external bodies, other types kept opaque, the Fletcher checksum). It parses with nom,
//! emits with `bytes`, allocates only from lengths already checked against the input, and
//! never panics on received bytes.
//!
//! ```
//! use okapi_ospf::packet::{AuthConfig, Md5Keys, Packet, PacketBody};
//!
//! // A Hello from FRR (router 10.0.0.2, area 0, null authentication).
//! let bytes = [
//!     0x02, 0x01, 0x00, 0x2c, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0xf1, 0xcd,
//!     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xfc,
//!     0x00, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
//!     0x00, 0x00,
//! ];
//! let packet = Packet::decode_verified(&bytes, &AuthConfig::Null)?;
//! let PacketBody::Hello(hello) = &packet.body else { panic!("not a Hello") };
//! assert_eq!(hello.router_dead_interval, 4);
//! assert_eq!(packet.encode(&Md5Keys::new())?.as_ref(), bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod lsa;
pub mod options;
pub mod packet;
mod wire;

pub use error::{DecodeError, EncodeError};
pub use lsa::{Lsa, LsaBody, LsaHeader, LsaType};
pub use options::Options;
pub use packet::{AuthConfig, Md5Key, Md5Keys, Packet, PacketAuth, PacketBody, PacketType};
