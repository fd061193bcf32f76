//! The Network-LSA body (LS type 2, RFC 2328 A.4.3), originated by the Designated Router.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Network Mask                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Attached Router                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use std::net::Ipv4Addr;

use bytes::BufMut;
use serde::Serialize;

use crate::error::DecodeError;
use crate::lsa::LsaType;
use crate::wire::{self, put_ipv4};

const ADDRESS_LEN: usize = 4;

/// A Network-LSA body: the network's mask and the routers fully adjacent to the DR
/// (the DR included).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct NetworkLsa {
    pub network_mask: Ipv4Addr,
    pub attached_routers: Vec<Ipv4Addr>,
}

impl NetworkLsa {
    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let malformed = |what| DecodeError::MalformedLsa {
            lsa_type: LsaType::NETWORK.0,
            what,
        };
        let (routers, network_mask) = wire::ipv4(body).map_err(|_| malformed("shorter than the network mask"))?;
        if routers.len() % ADDRESS_LEN != 0 {
            return Err(malformed("attached routers are not a multiple of 4 bytes"));
        }
        let attached_routers =
            wire::records(routers, ADDRESS_LEN, wire::ipv4).ok_or(malformed("attached routers do not parse"))?;
        Ok(Self {
            network_mask,
            attached_routers,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        ADDRESS_LEN + ADDRESS_LEN * self.attached_routers.len()
    }

    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        put_ipv4(buf, self.network_mask);
        for router in &self.attached_routers {
            put_ipv4(buf, *router);
        }
    }
}
