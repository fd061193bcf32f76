//! The Link State Request packet (type 3, RFC 2328 A.3.4): the LSAs the sender wants in
//! full after the database exchange (§10.9).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 OSPF header (24 bytes, type 3)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          LS type                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Link State ID                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Advertising Router                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use std::net::Ipv4Addr;

use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::error::DecodeError;
use crate::wire::{self, put_ipv4};

const ENTRY_LEN: usize = 12;

/// One requested LSA, identified as in §12.1. The LS type is a 32-bit field here; it is
/// kept whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LsRequestEntry {
    pub ls_type: u32,
    pub link_state_id: Ipv4Addr,
    pub advertising_router: Ipv4Addr,
}

/// A Link State Request packet body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LinkStateRequest {
    pub entries: Vec<LsRequestEntry>,
}

impl LinkStateRequest {
    pub(crate) fn decode(body: &[u8], length: u16) -> Result<Self, DecodeError> {
        let bad_length = |what| DecodeError::BadPacketLength { length, what };
        if body.len() % ENTRY_LEN != 0 {
            return Err(bad_length("requests are not a multiple of 12 bytes"));
        }
        let entries = wire::records(body, ENTRY_LEN, |record| {
            (wire::u32, wire::ipv4, wire::ipv4)
                .map(|(ls_type, link_state_id, advertising_router)| LsRequestEntry {
                    ls_type,
                    link_state_id,
                    advertising_router,
                })
                .parse(record)
        })
        .ok_or(bad_length("requests do not parse"))?;
        Ok(Self { entries })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        ENTRY_LEN * self.entries.len()
    }

    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        for entry in &self.entries {
            buf.put_u32(entry.ls_type);
            put_ipv4(buf, entry.link_state_id);
            put_ipv4(buf, entry.advertising_router);
        }
    }
}
