//! okapi-ospf: sans-IO OSPFv2 (RFC 2328), area 0, point-to-point and broadcast interfaces.
//!
//! ```text
//!   packet, tick, link/address event, config ──► Instance::handle(input, now) ──► outputs:
//!                                                  │                              packets to send,
//!   interface FSM (§9) · neighbor FSM (§10) · LSDB │ (§12-§14) · flooding (§13)   route changes,
//!   origination (§12.4) · SPF (§16.1) with RFC 8405 delay · route table diff     FSM changes,
//!                                                                                 rejected packets
//! ```
//!
//! - wire codec: [`packet`] (the five packet types and authentication) and [`lsa`] (the LSA
//!   header, router, network, summary and AS-external bodies, other types kept opaque, the
//!   Fletcher checksum). It parses with nom, emits with `bytes`, allocates only from lengths
//!   already checked against the input, and never panics on received bytes;
//! - the router: [`instance`] (one entry point, [`Instance::handle`]; the daemon sleeps until
//!   [`Instance::next_deadline`]), [`interface`], [`neighbor`], [`lsdb`], [`spf`], [`config`],
//!   [`view`] (what the shell shows) and [`counters`] (rejected packets by reason).
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

pub mod config;
pub mod counters;
pub mod error;
mod exchange;
mod flood;
pub mod instance;
pub mod interface;
pub mod lsa;
pub mod lsdb;
pub mod neighbor;
pub mod options;
mod origination;
pub mod packet;
mod receive;
mod routes;
pub mod spf;
#[cfg(test)]
mod testkit;
pub mod timers;
pub mod view;
mod wire;

pub use config::{AnnouncedPrefix, Config, ExternalPrefix, InterfaceAuth, InterfaceConfig, NetworkType};
pub use error::{DecodeError, EncodeError};
pub use instance::{Input, Instance, Output};
pub use lsa::{Lsa, LsaBody, LsaHeader, LsaType};
pub use options::Options;
pub use packet::{AuthConfig, Md5Key, Md5Keys, Packet, PacketAuth, PacketBody, PacketType};
