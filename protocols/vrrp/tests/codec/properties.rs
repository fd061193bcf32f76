//! Properties: decoding never panics on arbitrary bytes; a valid advertisement encodes, and
//! decoding the encoding gives it back; a single flipped bit is never silently accepted as
//! the same advertisement.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use okapi_capture::hex_diff;
use okapi_vrrp::{Advertisement, V2Auth, Version};
use proptest::prelude::*;

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|raw| IpAddr::V4(Ipv4Addr::from(raw))),
        any::<[u8; 16]>().prop_map(|raw| IpAddr::V6(Ipv6Addr::from(raw))),
    ]
}

/// A valid advertisement with its IP source and destination.
fn valid() -> impl Strategy<Value = (Advertisement, IpAddr, IpAddr)> {
    let v3_ipv4 = (
        1u8..,
        any::<u8>(),
        0u16..=4095,
        prop::collection::vec(any::<[u8; 4]>(), 1..20),
        any::<[u8; 4]>(),
    )
        .prop_map(|(vrid, priority, interval_cs, addresses, source)| {
            let ad = Advertisement {
                version: Version::V3,
                vrid,
                priority,
                interval_cs,
                v2_auth: None,
                addresses: addresses
                    .into_iter()
                    .map(|raw| IpAddr::V4(Ipv4Addr::from(raw)))
                    .collect(),
            };
            (
                ad,
                IpAddr::V4(Ipv4Addr::from(source)),
                IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
            )
        });
    let v3_ipv6 = (
        1u8..,
        any::<u8>(),
        0u16..=4095,
        prop::collection::vec(any::<[u8; 16]>(), 1..10),
        any::<[u8; 16]>(),
    )
        .prop_map(|(vrid, priority, interval_cs, addresses, source)| {
            let ad = Advertisement {
                version: Version::V3,
                vrid,
                priority,
                interval_cs,
                v2_auth: None,
                addresses: addresses
                    .into_iter()
                    .map(|raw| IpAddr::V6(Ipv6Addr::from(raw)))
                    .collect(),
            };
            let group = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12));
            (ad, IpAddr::V6(Ipv6Addr::from(source)), group)
        });
    let v2 = (
        1u8..,
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<[u8; 8]>(),
        prop::collection::vec(any::<[u8; 4]>(), 1..20),
    )
        .prop_map(|(vrid, priority, seconds, auth_type, data, addresses)| {
            let ad = Advertisement {
                version: Version::V2,
                vrid,
                priority,
                interval_cs: u16::from(seconds) * 100,
                v2_auth: Some(V2Auth { auth_type, data }),
                addresses: addresses
                    .into_iter()
                    .map(|raw| IpAddr::V4(Ipv4Addr::from(raw)))
                    .collect(),
            };
            (
                ad,
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
            )
        });
    prop_oneof![v3_ipv4, v3_ipv6, v2]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600), source in any_ip(), destination in any_ip()) {
        if let Ok(ad) = Advertisement::decode(&bytes, source, destination) {
            // What decodes re-encodes to the same bytes (reserved bits aside).
            let again = ad.encode(source, destination).expect("a decoded advertisement encodes");
            let mut expected = bytes.clone();
            if ad.version == Version::V3 && expected[4] & 0xf0 != 0 {
                return Ok(());
            }
            expected.truncate(again.len());
            prop_assert!(again[..] == expected[..], "{}", hex_diff(&again, &expected));
        }
    }

    #[test]
    fn encode_then_decode_is_the_identity((ad, source, destination) in valid()) {
        let bytes = ad.encode(source, destination).expect("valid advertisements encode");
        prop_assert_eq!(bytes.len(), ad.encoded_len());
        let decoded = Advertisement::decode(&bytes, source, destination).expect("encodings decode");
        prop_assert_eq!(decoded, ad);
    }

    #[test]
    fn a_flipped_bit_is_refused_or_changes_the_advertisement((ad, source, destination) in valid(), bit in any::<usize>()) {
        let mut bytes = ad.encode(source, destination).expect("valid advertisements encode").to_vec();
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        // The Internet checksum catches every single-bit error.
        prop_assert!(Advertisement::decode(&bytes, source, destination).is_err());
    }
}
