//! The project's own captures of keepalived 2.2.7 (tests/fixtures/, see its README): every
//! advertisement decodes to exactly the expected fields and re-encodes to the same bytes.

use std::net::IpAddr;

use okapi_capture::assert_bytes_eq;
use okapi_vrrp::{Advertisement, V2Auth, Version};

use crate::support::{fixture, vrrp_datagrams};

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

/// (frame, source, vrid, priority) of each advertisement, in capture order.
type Expected = &'static [(usize, &'static str, u8, u8)];

/// Node a (priority 150) is master, stops gracefully (priority 0), node b (100) takes over
/// and stops too.
const V3_IPV4: Expected = &[
    (1, "192.0.2.1", 51, 150),
    (2, "192.0.2.1", 51, 150),
    (3, "192.0.2.1", 51, 150),
    (4, "192.0.2.1", 51, 0),
    (5, "192.0.2.2", 51, 100),
    (6, "192.0.2.2", 51, 100),
    (7, "192.0.2.2", 51, 100),
    (8, "192.0.2.2", 51, 0),
];
const V3_IPV6: Expected = &[
    (1, "fe80::ff:fe00:a", 52, 150),
    (2, "fe80::ff:fe00:a", 52, 150),
    (3, "fe80::ff:fe00:a", 52, 150),
    (4, "fe80::ff:fe00:a", 52, 0),
    (5, "fe80::ff:fe00:b", 52, 100),
    (6, "fe80::ff:fe00:b", 52, 100),
    (7, "fe80::ff:fe00:b", 52, 100),
    (8, "fe80::ff:fe00:b", 52, 0),
];
const V2_IPV4: Expected = &[
    (1, "192.0.2.1", 53, 150),
    (2, "192.0.2.1", 54, 150),
    (3, "192.0.2.1", 53, 150),
    (4, "192.0.2.1", 54, 150),
    (5, "192.0.2.1", 53, 150),
    (6, "192.0.2.1", 54, 150),
    (7, "192.0.2.1", 53, 0),
    (8, "192.0.2.1", 54, 0),
    (9, "192.0.2.2", 53, 100),
    (10, "192.0.2.2", 54, 100),
    (11, "192.0.2.2", 53, 100),
    (12, "192.0.2.2", 54, 100),
    (13, "192.0.2.2", 53, 100),
    (14, "192.0.2.2", 54, 100),
    (15, "192.0.2.2", 53, 0),
    (16, "192.0.2.2", 54, 0),
];

/// What keepalived was configured with (make-fixtures.sh), per VRID.
fn expected(frame: usize, vrid: u8, priority: u8) -> Advertisement {
    let (version, v2_auth, addresses) = match vrid {
        51 => (Version::V3, None, vec![ip("192.0.2.51"), ip("192.0.2.151")]),
        52 => (Version::V3, None, vec![ip("2001:db8::52")]),
        53 => (Version::V2, Some(V2Auth::NONE), vec![ip("192.0.2.53")]),
        54 => (
            Version::V2,
            Some(V2Auth::simple_text(b"okapi54")),
            vec![ip("192.0.2.54")],
        ),
        _ => panic!("frame {frame}: unexpected vrid {vrid}"),
    };
    Advertisement {
        version,
        vrid,
        priority,
        interval_cs: 100,
        v2_auth,
        addresses,
    }
}

fn check(name: &str, group: &str, table: Expected) {
    let path = fixture(name);
    let (_, datagrams) = vrrp_datagrams(&path, false).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert_eq!(datagrams.len(), table.len(), "{name}: advertisements");
    for (datagram, (frame, source, vrid, priority)) in datagrams.iter().zip(table) {
        let context = format!("{name} frame {frame}");
        assert_eq!(datagram.frame, *frame, "{context}");
        assert_eq!(datagram.source, ip(source), "{context}");
        assert_eq!(datagram.destination, ip(group), "{context}");
        assert_eq!(datagram.ttl_or_hop_limit, 255, "{context}: RFC 5798 §5.1.1.3");
        let ad = Advertisement::decode(&datagram.payload, datagram.source, datagram.destination)
            .unwrap_or_else(|error| panic!("{context}: {error}"));
        assert_eq!(ad, expected(*frame, *vrid, *priority), "{context}");
        let encoded = ad
            .encode(datagram.source, datagram.destination)
            .unwrap_or_else(|error| panic!("{context}: {error}"));
        assert_bytes_eq(&encoded, &datagram.payload, &context);
    }
}

#[test]
fn keepalived_v3_ipv4_checksum_includes_the_pseudo_header() {
    check("keepalived-v3-ipv4.pcap", "224.0.0.18", V3_IPV4);
}

#[test]
fn keepalived_v3_ipv6() {
    check("keepalived-v3-ipv6.pcap", "ff02::12", V3_IPV6);
}

#[test]
fn keepalived_v2_ipv4_with_and_without_simple_text_authentication() {
    check("keepalived-v2-ipv4.pcap", "224.0.0.18", V2_IPV4);
}
