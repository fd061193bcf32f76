//! The Link State Acknowledgment packet (type 5, RFC 2328 A.3.6): the headers of the LSAs
//! acknowledged (§13.5).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 OSPF header (24 bytes, type 5)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +-                                                             -+
//! |                                                               |
//! +-                         An LSA Header                       -+
//! |                                                               |
//! +-                                                             -+
//! |                                                               |
//! +-                                                             -+
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use bytes::BufMut;
use serde::Serialize;

use crate::error::DecodeError;
use crate::lsa::{LSA_HEADER_LEN, LsaHeader};
use crate::wire;

/// A Link State Acknowledgment packet body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LinkStateAck {
    pub lsa_headers: Vec<LsaHeader>,
}

impl LinkStateAck {
    pub(crate) fn decode(body: &[u8], length: u16) -> Result<Self, DecodeError> {
        let bad_length = |what| DecodeError::BadPacketLength { length, what };
        if body.len() % LSA_HEADER_LEN != 0 {
            return Err(bad_length("LSA headers are not a multiple of 20 bytes"));
        }
        let lsa_headers =
            wire::records(body, LSA_HEADER_LEN, LsaHeader::parse).ok_or(bad_length("LSA headers do not parse"))?;
        Ok(Self { lsa_headers })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        LSA_HEADER_LEN * self.lsa_headers.len()
    }

    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        for header in &self.lsa_headers {
            header.emit(buf);
        }
    }
}
