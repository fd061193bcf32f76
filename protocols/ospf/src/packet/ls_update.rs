//! The Link State Update packet (type 4, RFC 2328 A.3.5): whole LSAs, flooded (§13) or
//! sent in answer to a Link State Request.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 OSPF header (24 bytes, type 4)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            # LSAs                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +-                                                            +-+
//! |                             LSAs                              |
//! +-                                                            +-+
//! |                              ...                              |
//! ```
//!
//! Every LSA is checked (length, checksum, body) and one bad LSA refuses the whole packet.
//! RFC 2328 §13 (1) discards only the LSA with a bad checksum; with a valid packet checksum
//! or digest such an LSA means a broken sender, and refusing the packet (counted as
//! `bad-lsa-checksum`) keeps the codec's round trip exact. The sender retransmits.

use bytes::BufMut;
use serde::Serialize;

use crate::error::DecodeError;
use crate::lsa::{LSA_HEADER_LEN, Lsa};
use crate::wire;

const COUNT_LEN: usize = 4;

/// A Link State Update packet body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LinkStateUpdate {
    pub lsas: Vec<Lsa>,
}

impl LinkStateUpdate {
    pub(crate) fn decode(body: &[u8], length: u16) -> Result<Self, DecodeError> {
        let bad_length = |what| DecodeError::BadPacketLength { length, what };
        let (mut rest, count) = wire::u32(body).map_err(|_| bad_length("shorter than the LSA count"))?;
        // Each LSA takes at least its header: this bounds the count before allocating.
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > rest.len() / LSA_HEADER_LEN {
            return Err(bad_length("more LSAs counted than the packet can hold"));
        }
        let mut lsas = Vec::with_capacity(count);
        for _ in 0..count {
            let (lsa, after) = Lsa::decode_prefix(rest)?;
            lsas.push(lsa);
            rest = after;
        }
        if !rest.is_empty() {
            return Err(bad_length("bytes after the counted LSAs"));
        }
        Ok(Self { lsas })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        COUNT_LEN + self.lsas.iter().map(Lsa::encoded_len).sum::<usize>()
    }

    /// Writes the body; the packet length check (at most 65535 bytes) bounds the count.
    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.lsas.len() as u32);
        for lsa in &self.lsas {
            lsa.emit(buf);
        }
    }
}
