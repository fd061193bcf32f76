//! The Database Description packet (type 2, RFC 2328 A.3.3): the LSA headers of the
//! sender's database, exchanged while an adjacency forms (§10.6, §10.8).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 OSPF header (24 bytes, type 2)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Interface MTU         |    Options    |0|0|0|0|0|I|M|MS
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     DD sequence number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +-                                                             -+
//! |                                                               |
//! +-                      An LSA Header                          -+
//! |                                                               |
//! +-                                                             -+
//! |                                                               |
//! +-                                                             -+
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              ...                              |
//! ```

use bitflags::bitflags;
use bytes::BufMut;
use nom::Parser;
use serde::Serialize;

use crate::error::DecodeError;
use crate::lsa::{LSA_HEADER_LEN, LsaHeader};
use crate::options::Options;
use crate::wire;

const FIXED_LEN: usize = 8;

bitflags! {
    /// The Database Description flag byte; the five upper bits are kept as received
    /// (RFC 4811 uses 0x08 for the R bit of out-of-band resynchronization).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
    pub struct DdFlags: u8 {
        /// Init: the first packet of the sequence.
        const I = 0x04;
        /// More: more packets follow.
        const M = 0x02;
        /// Master/Slave: set by the master.
        const MS = 0x01;
    }
}

/// A Database Description packet body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DatabaseDescription {
    /// The largest IP datagram the interface sends unfragmented (0 on virtual links).
    pub interface_mtu: u16,
    pub options: Options,
    pub flags: DdFlags,
    pub dd_sequence_number: u32,
    pub lsa_headers: Vec<LsaHeader>,
}

impl DatabaseDescription {
    pub(crate) fn decode(body: &[u8], length: u16) -> Result<Self, DecodeError> {
        let bad_length = |what| DecodeError::BadPacketLength { length, what };
        let (header_bytes, (interface_mtu, options, flags, dd_sequence_number)) =
            (wire::u16, wire::u8, wire::u8, wire::u32)
                .parse(body)
                .map_err(|_| bad_length("shorter than a Database Description"))?;
        if header_bytes.len() % LSA_HEADER_LEN != 0 {
            return Err(bad_length("LSA headers are not a multiple of 20 bytes"));
        }
        let lsa_headers = wire::records(header_bytes, LSA_HEADER_LEN, LsaHeader::parse)
            .ok_or(bad_length("LSA headers do not parse"))?;
        Ok(Self {
            interface_mtu,
            options: Options::from_bits_retain(options),
            flags: DdFlags::from_bits_retain(flags),
            dd_sequence_number,
            lsa_headers,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        FIXED_LEN + LSA_HEADER_LEN * self.lsa_headers.len()
    }

    pub(crate) fn emit(&self, buf: &mut impl BufMut) {
        buf.put_u16(self.interface_mtu);
        buf.put_u8(self.options.bits());
        buf.put_u8(self.flags.bits());
        buf.put_u32(self.dd_sequence_number);
        for header in &self.lsa_headers {
            header.emit(buf);
        }
    }
}
