//! Table tests: (bytes, IP addresses, expected advertisement). The bytes are real: keepalived
//! 2.2.7 in the lab (tests/fixtures/) and the tcpdump corpus's vrrp.pcap. Each case decodes
//! to the expected struct and encodes back to the same bytes (hex diff on failure).

use std::net::IpAddr;

use okapi_capture::assert_bytes_eq;
use okapi_vrrp::{Advertisement, V2Auth, Version};

struct Case {
    name: &'static str,
    source: &'static str,
    destination: &'static str,
    bytes: &'static [u8],
    expected: fn() -> Advertisement,
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

const CASES: &[Case] = &[
    Case {
        name: "keepalived v3 IPv4, priority 150, 1 s, two addresses",
        source: "192.0.2.1",
        destination: "224.0.0.18",
        bytes: &[
            0x31, 0x33, 0x96, 0x02, 0x00, 0x64, 0x11, 0x06, 0xc0, 0x00, 0x02, 0x33, 0xc0, 0x00, 0x02, 0x97,
        ],
        expected: || Advertisement {
            version: Version::V3,
            vrid: 51,
            priority: 150,
            interval_cs: 100,
            v2_auth: None,
            addresses: vec![ip("192.0.2.51"), ip("192.0.2.151")],
        },
    },
    Case {
        name: "keepalived v3 IPv6, priority 150, 1 s",
        source: "fe80::ff:fe00:a",
        destination: "ff02::12",
        bytes: &[
            0x31, 0x34, 0x96, 0x01, 0x00, 0x64, 0x0d, 0x33, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x52,
        ],
        expected: || Advertisement {
            version: Version::V3,
            vrid: 52,
            priority: 150,
            interval_cs: 100,
            v2_auth: None,
            addresses: vec![ip("2001:db8::52")],
        },
    },
    Case {
        name: "keepalived v2, no authentication",
        source: "192.0.2.1",
        destination: "224.0.0.18",
        bytes: &[
            0x21, 0x35, 0x96, 0x01, 0x00, 0x01, 0x86, 0x92, 0xc0, 0x00, 0x02, 0x35, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00,
        ],
        expected: || Advertisement {
            version: Version::V2,
            vrid: 53,
            priority: 150,
            interval_cs: 100,
            v2_auth: Some(V2Auth::NONE),
            addresses: vec![ip("192.0.2.53")],
        },
    },
    Case {
        name: "tcpdump vrrp.pcap frame 1: v2, simple text \"abcdefgh\", 10 s, three addresses",
        source: "10.0.0.91",
        destination: "224.0.0.18",
        bytes: &[
            0x21, 0x2a, 0xbf, 0x03, 0x01, 0x0a, 0xf1, 0x1f, 0x0a, 0x04, 0x2a, 0x01, 0x0a, 0x04, 0x2a, 0x02, 0x0a, 0x04,
            0x2a, 0x03, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        ],
        expected: || Advertisement {
            version: Version::V2,
            vrid: 42,
            priority: 191,
            interval_cs: 1000,
            v2_auth: Some(V2Auth::simple_text(b"abcdefgh")),
            addresses: vec![ip("10.4.42.1"), ip("10.4.42.2"), ip("10.4.42.3")],
        },
    },
    Case {
        name: "tcpdump vrrp.pcap frame 3: v3 IPv4, 10 s",
        source: "10.0.0.91",
        destination: "224.0.0.18",
        bytes: &[
            0x31, 0x2c, 0xbf, 0x02, 0x03, 0xe8, 0xb3, 0xc6, 0x0a, 0x04, 0x2c, 0x64, 0x0a, 0x04, 0x2c, 0xc8,
        ],
        expected: || Advertisement {
            version: Version::V3,
            vrid: 44,
            priority: 191,
            interval_cs: 1000,
            v2_auth: None,
            addresses: vec![ip("10.4.44.100"), ip("10.4.44.200")],
        },
    },
];

#[test]
fn every_case_decodes_to_its_struct_and_encodes_to_its_bytes() {
    for case in CASES {
        let (source, destination) = (ip(case.source), ip(case.destination));
        let decoded = Advertisement::decode(case.bytes, source, destination)
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_eq!(decoded, (case.expected)(), "{}", case.name);
        assert_eq!(decoded.encoded_len(), case.bytes.len(), "{}", case.name);
        let encoded = (case.expected)()
            .encode(source, destination)
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_bytes_eq(&encoded, case.bytes, case.name);
    }
}

#[test]
fn rfc5798_5_2_8_v3_checksum_covers_the_pseudo_header() {
    // The same message from another source no longer verifies, for both families.
    for case in CASES.iter().filter(|case| case.bytes[0] >> 4 == 3) {
        let other = if case.source.contains(':') {
            "fe80::1"
        } else {
            "192.0.2.200"
        };
        let error = Advertisement::decode(case.bytes, ip(other), ip(case.destination)).expect_err(case.name);
        assert_eq!(error.reason(), "bad-checksum", "{}", case.name);
    }
}

#[test]
fn rfc3768_5_3_8_v2_checksum_does_not_cover_the_ip_header() {
    for case in CASES.iter().filter(|case| case.bytes[0] >> 4 == 2) {
        let decoded = Advertisement::decode(case.bytes, ip("198.51.100.7"), ip("198.51.100.8"));
        assert_eq!(decoded.map(|ad| ad.vrid).ok(), Some(case.bytes[1]), "{}", case.name);
    }
}

#[test]
fn encode_refuses_what_the_wire_cannot_carry() {
    let v4 = (ip("192.0.2.1"), ip("224.0.0.18"));
    let v6 = (ip("fe80::1"), ip("ff02::12"));
    let base = (CASES[0].expected)();
    let refuse = |ad: Advertisement, (source, destination): (IpAddr, IpAddr)| {
        ad.encode(source, destination).expect_err("refused").to_string()
    };
    assert!(
        refuse(
            Advertisement {
                vrid: 0,
                ..base.clone()
            },
            v4
        )
        .contains("id 0")
    );
    assert!(
        refuse(
            Advertisement {
                addresses: vec![],
                ..base.clone()
            },
            v4
        )
        .contains("0 addresses")
    );
    let many = vec![ip("192.0.2.1"); 256];
    assert!(
        refuse(
            Advertisement {
                addresses: many,
                ..base.clone()
            },
            v4
        )
        .contains("256")
    );
    assert!(refuse(base.clone(), v6).contains("mixed"));
    assert!(
        refuse(
            Advertisement {
                interval_cs: 4096,
                ..base.clone()
            },
            v4
        )
        .contains("12 bits")
    );
    let v2 = (CASES[2].expected)();
    assert!(
        refuse(
            Advertisement {
                interval_cs: 150,
                ..v2.clone()
            },
            v4
        )
        .contains("whole seconds")
    );
    assert!(
        refuse(
            Advertisement {
                interval_cs: 25_600,
                ..v2.clone()
            },
            v4
        )
        .contains("whole seconds")
    );
    assert!(
        refuse(
            Advertisement {
                v2_auth: Some(V2Auth::NONE),
                ..base
            },
            v4
        )
        .contains("authentication")
    );
    let v2_six = Advertisement {
        addresses: vec![ip("2001:db8::1")],
        ..v2
    };
    assert!(refuse(v2_six, v6).contains("IPv6"));
}
