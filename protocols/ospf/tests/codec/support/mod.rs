//! Helpers shared by the codec tests: hex diffs and the capture reader (both from
//! okapi-capture), where the files are.

pub mod checksums;

/// Side-by-side hex diffs (okapi-capture).
pub mod hex_diff {
    pub use okapi_capture::{assert_bytes_eq, hex_diff};
}

use std::path::PathBuf;

use okapi_ospf::packet::{Md5Key, Md5Keys, Packet, PacketAuth};

/// The project's own captures (tests/fixtures/).
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shared tcpdump corpus (`../shared/corpus/tcpdump` beside the checkout), when present.
pub fn tcpdump_corpus() -> Option<PathBuf> {
    okapi_capture::tcpdump_corpus(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// IP protocol 89.
const IP_PROTOCOL_OSPF: u8 = 89;

/// The IPv4 OSPF payloads (frame number, bytes after the IP header) of a capture.
pub fn ospf_payloads(capture: &okapi_capture::Capture) -> Vec<(usize, Vec<u8>)> {
    capture
        .protocol(IP_PROTOCOL_OSPF)
        .filter(|datagram| datagram.family == okapi_capture::Family::V4)
        .map(|datagram| (datagram.frame, datagram.payload.clone()))
        .collect()
}

/// The IPv4 OSPF payloads of a fixture, which must exist and hold some.
pub fn fixture_payloads(name: &str) -> Vec<(usize, Vec<u8>)> {
    let path = fixture(name);
    let capture = okapi_capture::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let payloads = ospf_payloads(&capture);
    assert!(!payloads.is_empty(), "{} holds no OSPF packet", path.display());
    payloads
}

/// The key FRR was configured with for tests/fixtures/frr-pair-md5.pcap (key id 1).
pub fn frr_md5_keys() -> Md5Keys {
    [(1, Md5Key::new(b"SECRET").expect("short key"))].into_iter().collect()
}

/// Re-encodes `packet`; with cryptographic authentication and no key for its key id, a
/// stand-in key is used, so the 16 digest bytes (and only those) cannot match.
pub fn reencode(packet: &Packet, keys: &Md5Keys) -> Vec<u8> {
    let mut keys = keys.clone();
    if let PacketAuth::Cryptographic { key_id, .. } = packet.auth {
        if keys.get(key_id).is_none() {
            keys.insert(key_id, Md5Key::new(b"stand-in").expect("short key"));
        }
    }
    packet.encode(&keys).expect("a decoded packet encodes").to_vec()
}

/// The range of the MD5 digest in an encoded packet, if it has one.
pub fn digest_range(bytes: &[u8]) -> Option<std::ops::Range<usize>> {
    let autype = u16::from_be_bytes([*bytes.get(14)?, *bytes.get(15)?]);
    let length = usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]));
    (autype == 2).then_some(length..length + 16)
}
