//! Table tests of refused packets: each length field checked against the bytes that hold
//! it, and the reason the daemon counts.

use okapi_ospf::{DecodeError, Packet};

use crate::lsa_tables::NETWORK;
use crate::packet_tables::{DD_HEADERS, HELLO_LAN, LS_ACK, LS_REQUEST, LS_UPDATE};
use crate::support::checksums::{fix_packet_checksum, lsa_checksum};

/// A copy of `base` edited by `edit`, with the packet checksum recomputed.
fn edited(base: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = base.to_vec();
    edit(&mut bytes);
    fix_packet_checksum(&mut bytes);
    bytes
}

/// Sets the packet length field to the buffer's length.
fn fit_length(bytes: &mut [u8]) {
    let length = bytes.len() as u16;
    bytes[2..4].copy_from_slice(&length.to_be_bytes());
}

/// A Link State Update holding `lsas` (each a whole LSA) with `count` in its count field.
fn update_with(count: u32, lsas: &[&[u8]]) -> Vec<u8> {
    edited(&LS_UPDATE[..24], |bytes| {
        bytes.extend_from_slice(&count.to_be_bytes());
        lsas.iter().for_each(|lsa| bytes.extend_from_slice(lsa));
        fit_length(bytes);
    })
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    reason: &'static str,
}

fn cases() -> Vec<Case> {
    let mut short_lsa = NETWORK.to_vec();
    short_lsa[18..20].copy_from_slice(&19u16.to_be_bytes());
    let mut corrupt_lsa = NETWORK.to_vec();
    corrupt_lsa[24] ^= 1;
    let mut malformed_network = NETWORK.to_vec();
    malformed_network.push(0);
    malformed_network[19] = 33;
    let checksum = lsa_checksum(&malformed_network);
    malformed_network[16..18].copy_from_slice(&checksum.to_be_bytes());
    vec![
        Case {
            name: "empty",
            bytes: vec![],
            reason: "truncated",
        },
        Case {
            name: "23 bytes",
            bytes: HELLO_LAN[..23].to_vec(),
            reason: "truncated",
        },
        Case {
            name: "length beyond the buffer",
            bytes: HELLO_LAN[..40].to_vec(),
            reason: "truncated",
        },
        Case {
            name: "version 3",
            bytes: edited(HELLO_LAN, |bytes| bytes[0] = 3),
            reason: "bad-version",
        },
        Case {
            name: "type 0",
            bytes: edited(HELLO_LAN, |bytes| bytes[1] = 0),
            reason: "unknown-packet-type",
        },
        Case {
            name: "type 6",
            bytes: edited(HELLO_LAN, |bytes| bytes[1] = 6),
            reason: "unknown-packet-type",
        },
        Case {
            name: "length 20",
            bytes: edited(HELLO_LAN, |bytes| bytes[3] = 20),
            reason: "bad-length",
        },
        Case {
            name: "wrong checksum",
            bytes: {
                let mut bytes = HELLO_LAN.to_vec();
                bytes[13] ^= 1;
                bytes
            },
            reason: "bad-checksum",
        },
        Case {
            name: "hello shorter than its fields",
            bytes: edited(&HELLO_LAN[..40], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "hello neighbor list of 6 bytes",
            bytes: edited(&HELLO_LAN[..50], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "database description with half an LSA header",
            bytes: edited(&DD_HEADERS[..42], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "database description of 4 bytes",
            bytes: edited(&DD_HEADERS[..28], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "request list of 8 bytes",
            bytes: edited(&LS_REQUEST[..32], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "acknowledgment of 30 bytes",
            bytes: edited(&LS_ACK[..54], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "update without a count",
            bytes: edited(&LS_UPDATE[..26], |bytes| fit_length(bytes)),
            reason: "bad-length",
        },
        Case {
            name: "update counting 2, holding 1",
            bytes: update_with(2, &[NETWORK]),
            reason: "bad-length",
        },
        Case {
            name: "update counting 0, holding 1",
            bytes: update_with(0, &[NETWORK]),
            reason: "bad-length",
        },
        Case {
            name: "update counting 4 billion",
            bytes: update_with(u32::MAX, &[NETWORK]),
            reason: "bad-length",
        },
        Case {
            name: "LSA length 19",
            bytes: update_with(1, &[&short_lsa]),
            reason: "bad-lsa-length",
        },
        Case {
            name: "LSA longer than the packet",
            bytes: update_with(1, &[&NETWORK[..28]]),
            reason: "bad-lsa-length",
        },
        Case {
            name: "LSA with a bad checksum",
            bytes: update_with(1, &[&corrupt_lsa]),
            reason: "bad-lsa-checksum",
        },
        Case {
            name: "network LSA of 13 bytes of routers",
            bytes: update_with(1, &[&malformed_network]),
            reason: "malformed-lsa",
        },
    ]
}

#[test]
fn each_malformed_packet_is_refused_with_its_reason() {
    for case in cases() {
        match Packet::decode(&case.bytes) {
            Ok(packet) => panic!("{}: decoded {packet:?}", case.name),
            Err(error) => assert_eq!(error.reason(), case.reason, "{}: {error}", case.name),
        }
    }
}

#[test]
fn the_reasons_are_stable() {
    let error = Packet::decode(&[2, 1, 0, 20]).expect_err("truncated");
    assert_eq!(
        error,
        DecodeError::Truncated {
            needed: 24,
            available: 4
        }
    );
    assert!(DecodeError::REASONS.contains(&error.reason()));
}

#[test]
fn bytes_after_the_packet_are_kept_as_the_trailer() {
    // RFC 5613: an LLS block follows the packet when the L bit is set.
    let lls = [0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01];
    let bytes = [HELLO_LAN, &lls].concat();
    let packet = Packet::decode(&bytes).expect("decodes");
    assert_eq!(packet.trailer.as_ref(), lls);
    let encoded = packet.encode(&Default::default()).expect("encodes");
    assert_eq!(encoded.as_ref(), bytes);
}
