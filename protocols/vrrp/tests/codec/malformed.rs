//! Malformed advertisements: each is refused with the expected reason. The inputs are the
//! valid keepalived v3 IPv4 and v2 messages with one field broken (checksums recomputed
//! where the test is about another field).

use std::net::IpAddr;

use okapi_vrrp::checksum::{v2_checksum, v3_checksum};
use okapi_vrrp::{Advertisement, DecodeError};

const V3: [u8; 16] = [
    0x31, 0x33, 0x96, 0x02, 0x00, 0x64, 0x11, 0x06, 0xc0, 0x00, 0x02, 0x33, 0xc0, 0x00, 0x02, 0x97,
];
const V2: [u8; 20] = [
    0x21, 0x35, 0x96, 0x01, 0x00, 0x01, 0x86, 0x92, 0xc0, 0x00, 0x02, 0x35, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00,
];

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

fn source() -> IpAddr {
    ip("192.0.2.1")
}

fn group() -> IpAddr {
    ip("224.0.0.18")
}

/// Rewrites the checksum so only the broken field is wrong.
fn fix_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes[6] = 0;
    bytes[7] = 0;
    let sum = if bytes[0] >> 4 == 2 {
        v2_checksum(&[&bytes])
    } else {
        v3_checksum(source(), group(), &[&bytes]).expect("one family")
    };
    bytes[6..8].copy_from_slice(&sum.to_be_bytes());
    bytes
}

fn reason(bytes: &[u8]) -> &'static str {
    match Advertisement::decode(bytes, source(), group()) {
        Ok(ad) => panic!("{bytes:02x?} decoded: {ad:?}"),
        Err(error) => error.reason(),
    }
}

#[test]
fn each_broken_field_has_its_reason() {
    let with = |base: &[u8], at: usize, value: u8| {
        let mut bytes = base.to_vec();
        bytes[at] = value;
        fix_checksum(bytes)
    };
    assert_eq!(reason(&with(&V3, 0, 0x41)), "bad-version");
    assert_eq!(reason(&with(&V3, 0, 0x11)), "bad-version");
    assert_eq!(reason(&with(&V3, 0, 0x32)), "bad-type");
    assert_eq!(reason(&with(&V3, 1, 0)), "bad-vrid");
    assert_eq!(reason(&with(&V3, 3, 0)), "address-count");
    assert_eq!(reason(&with(&V3, 3, 3)), "truncated");
    assert_eq!(reason(&with(&V3, 3, 255)), "truncated");
    assert_eq!(reason(&with(&V3, 3, 1)), "trailing-bytes");
    assert_eq!(reason(&with(&V2, 3, 2)), "truncated");
    let mut bad_sum = V3.to_vec();
    bad_sum[9] ^= 1;
    assert_eq!(reason(&bad_sum), "bad-checksum");
    let mut bad_sum = V2.to_vec();
    bad_sum[19] ^= 0x80;
    assert_eq!(reason(&bad_sum), "bad-checksum");
}

#[test]
fn truncation_at_every_length_is_truncated() {
    for base in [&V3[..], &V2[..]] {
        for len in 0..base.len() {
            assert_eq!(reason(&base[..len]), "truncated", "{len} of {} bytes", base.len());
        }
    }
}

#[test]
fn trailing_bytes_are_refused_even_with_a_matching_checksum() {
    for base in [&V3[..], &V2[..]] {
        let bytes = fix_checksum([base, &[0, 0, 0, 0]].concat());
        assert_eq!(
            Advertisement::decode(&bytes, source(), group()),
            Err(DecodeError::TrailingBytes(4))
        );
    }
}

#[test]
fn families_are_checked_before_the_addresses() {
    let six = ip("fe80::1");
    let decode =
        |bytes: &[u8], source, destination| Advertisement::decode(bytes, source, destination).map_err(|e| e.reason());
    assert_eq!(decode(&V3, six, group()), Err("family-mismatch"));
    assert_eq!(decode(&V2, six, ip("ff02::12")), Err("v2-over-ipv6"));
}

#[test]
fn v3_reserved_bits_are_ignored_and_sent_as_zero() {
    // RFC 5798 §5.2.6.
    let mut bytes = V3.to_vec();
    bytes[4] |= 0xf0;
    let bytes = fix_checksum(bytes);
    let ad = Advertisement::decode(&bytes, source(), group()).expect("decodes");
    assert_eq!(ad.interval_cs, 100);
    assert_eq!(&ad.encode(source(), group()).expect("encodes")[..], &V3[..]);
}

#[test]
fn fuzz_found_the_other_zero_checksum_is_refused() {
    // fuzz artifact crash-0b1250cb: a v2 message whose checksum is 0x0000 carried as 0xffff.
    // Both fold to a zero sum; only 0x0000 is what a sender computes.
    let bytes = [
        33, 53, 0, 1, 0, 1, 255, 255, 255, 254, 28, 147, 192, 0, 2, 54, 0, 0, 0, 0,
    ];
    assert_eq!(
        Advertisement::decode(&bytes, source(), group()),
        Err(DecodeError::BadChecksum {
            received: 0xffff,
            computed: 0
        })
    );
    let mut zero = bytes;
    zero[6] = 0;
    zero[7] = 0;
    let ad = Advertisement::decode(&zero, source(), group()).expect("the computed sum decodes");
    assert_eq!(&ad.encode(source(), group()).expect("encodes")[..], &zero[..]);
}
