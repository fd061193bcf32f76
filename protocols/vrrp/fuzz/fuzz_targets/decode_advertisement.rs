//! Decodes arbitrary bytes as a VRRP advertisement under IPv4 and IPv6 addresses (the first
//! input byte picks the family), as they are and with the checksum fixed up (so the fuzzer
//! gets past it to the length and address checks); what decodes must encode to the same
//! bytes (v3 reserved bits aside), and the encoding must decode to the same advertisement.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use okapi_vrrp::Advertisement;
use okapi_vrrp::checksum::{v2_checksum, v3_checksum};

fn round_trip(payload: &[u8], source: IpAddr, destination: IpAddr) {
    let Ok(ad) = Advertisement::decode(payload, source, destination) else { return };
    let encoded = ad.encode(source, destination).expect("a decoded advertisement encodes");
    assert_eq!(encoded.len(), ad.encoded_len());
    assert_eq!(encoded.len(), payload.len());
    if payload[0] >> 4 == 2 || payload[4] & 0xf0 == 0 {
        assert_eq!(&encoded[..], payload);
    }
    let again = Advertisement::decode(&encoded, source, destination).expect("an encoded advertisement decodes");
    assert_eq!(again, ad);
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, payload)) = data.split_first() else { return };
    let (source, destination) = match selector % 3 {
        0 => (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))),
        1 => (
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0xa)),
            IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
        ),
        _ => (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), IpAddr::V6(Ipv6Addr::LOCALHOST)),
    };
    round_trip(payload, source, destination);
    if payload.len() >= 8 {
        let mut fixed = payload.to_vec();
        fixed[6] = 0;
        fixed[7] = 0;
        let sum = if fixed[0] >> 4 == 2 {
            Some(v2_checksum(&[&fixed]))
        } else {
            v3_checksum(source, destination, &[&fixed])
        };
        if let Some(sum) = sum {
            fixed[6..8].copy_from_slice(&sum.to_be_bytes());
            round_trip(&fixed, source, destination);
        }
    }
});
