//! The Hello packet (type 1, RFC 2328 A.3.2): neighbor discovery, bidirectional check,
//! DR/BDR election.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 OSPF header (24 bytes, type 1)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Network Mask                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         HelloInterval         |    Options    |    Rtr Pri    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     RouterDeadInterval                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Designated Router                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Backup Designated Router                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Neighbor                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use std::net::Ipv4Addr;

use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::error::DecodeError;
use crate::options::Options;
use crate::wire::{self, put_ipv4};

const FIXED_LEN: usize = 20;
const NEIGHBOR_LEN: usize = 4;

/// A Hello packet body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Hello {
    /// The sending interface's mask (0.0.0.0 on point-to-point links is common).
    pub network_mask: Ipv4Addr,
    /// Seconds between this router's Hellos.
    pub hello_interval: u16,
    pub options: Options,
    /// Router priority for the DR election; 0 never becomes DR or BDR.
    pub router_priority: u8,
    /// Seconds of silence after which the router is declared down.
    pub router_dead_interval: u32,
    /// The sender's view of the DR (its interface address), 0.0.0.0 if none.
    pub designated_router: Ipv4Addr,
    /// The sender's view of the BDR, 0.0.0.0 if none.
    pub backup_designated_router: Ipv4Addr,
    /// Router IDs of the neighbors heard in the last RouterDeadInterval.
    pub neighbors: Vec<Ipv4Addr>,
}

impl Hello {
    pub(crate) fn decode(body: &[u8], length: u16) -> Result<Self, DecodeError> {
        let bad_length = |what| DecodeError::BadPacketLength { length, what };
        let mut fields = (
            wire::ipv4,
            wire::u16,
            wire::u8,
            wire::u8,
            wire::u32,
            wire::ipv4,
            wire::ipv4,
        );
        let (neighbor_bytes, (network_mask, hello_interval, options, router_priority, router_dead_interval, dr, bdr)) =
            fields.parse(body).map_err(|_| bad_length("shorter than a Hello"))?;
        if neighbor_bytes.len() % NEIGHBOR_LEN != 0 {
            return Err(bad_length("neighbor list is not a multiple of 4 bytes"));
        }
        let neighbors = wire::records(neighbor_bytes, NEIGHBOR_LEN, wire::ipv4)
            .ok_or(bad_length("neighbor list does not parse"))?;
        Ok(Self {
            network_mask,
            hello_interval,
            options: Options::from_bits_retain(options),
            router_priority,
            router_dead_interval,
            designated_router: dr,
            backup_designated_router: bdr,
            neighbors,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        FIXED_LEN + NEIGHBOR_LEN * self.neighbors.len()
    }

    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        put_ipv4(buf, self.network_mask);
        buf.put_u16(self.hello_interval);
        buf.put_u8(self.options.bits());
        buf.put_u8(self.router_priority);
        buf.put_u32(self.router_dead_interval);
        put_ipv4(buf, self.designated_router);
        put_ipv4(buf, self.backup_designated_router);
        for neighbor in &self.neighbors {
            put_ipv4(buf, *neighbor);
        }
    }
}
