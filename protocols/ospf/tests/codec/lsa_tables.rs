//! Table tests of the LSA types: bytes from FRR in the lab (types 1 to 5) and LSAs made here
//! with an independent checksum script (TOS metrics, opaque and NSSA types). Each expected
//! LSA is built with `Lsa::new`, so the checksum compared is the one this crate computes.

use std::net::Ipv4Addr;

use bytes::Bytes;
use okapi_ospf::lsa::{
    AsExternalLsa, ExternalMetric, ExternalMetricType, Lsa, LsaBody, LsaHeader, LsaType, NetworkLsa, RouterLink,
    RouterLinkType, RouterLsa, RouterLsaFlags, RouterTosMetric, SummaryLsa, SummaryTosMetric,
};
use okapi_ospf::{DecodeError, EncodeError, Options};

use crate::support::checksums;
use crate::support::hex_diff::assert_bytes_eq;

/// frr-abr-asbr.pcap frame 11: r2's Router-LSA, B bit set (area border router), p2p and stub links.
pub(crate) const ROUTER_ABR: &[u8] = &[
    0x00, 0x01, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x04, 0xf1, 0xd0, 0x00,
    0x3c, 0x01, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x0c, 0x02, 0x01, 0x00, 0x00, 0x0a, 0x0a, 0x00,
    0x0c, 0x00, 0xff, 0xff, 0xff, 0xfc, 0x03, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x03,
    0x00, 0x00, 0x00,
];

/// frr-lan.pcap frame 21: r1's Router-LSA with a transit link to the LAN.
pub(crate) const ROUTER_TRANSIT: &[u8] = &[
    0x00, 0x01, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x04, 0x2b, 0xdd, 0x00,
    0x30, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x7b, 0x01, 0x0a, 0x00, 0x7b, 0x01, 0x02, 0x00, 0x00, 0x0a, 0x0a, 0x00,
    0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x00, 0x00,
];

/// frr-lan.pcap frame 21: the DR's Network-LSA for 10.0.123.0/24.
pub(crate) const NETWORK: &[u8] = &[
    0x00, 0x01, 0x02, 0x02, 0x0a, 0x00, 0x7b, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x21, 0x90, 0x00,
    0x20, 0xff, 0xff, 0xff, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
];

/// frr-abr-asbr.pcap frame 11: r2 (ABR) summarizes 10.0.0.3/32 from area 1.
pub(crate) const SUMMARY_NETWORK: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x0a, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x01, 0xc8, 0x71, 0x00,
    0x1c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x0a,
];

/// frr-abr-asbr.pcap frame 11: r2 (ABR) announces the ASBR 10.0.0.3.
pub(crate) const SUMMARY_ASBR: &[u8] = &[
    0x00, 0x01, 0x02, 0x04, 0x0a, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x01, 0xba, 0x7e, 0x00,
    0x1c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
];

/// frr-abr-asbr.pcap frame 11: r3's 192.0.2.0/24, E1 metric 20, route tag 42.
pub(crate) const EXTERNAL_TYPE1_TAG: &[u8] = &[
    0x00, 0x02, 0x02, 0x05, 0xc0, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x80, 0x00, 0x00, 0x01, 0xd2, 0x72, 0x00,
    0x24, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
];

/// frr-abr-asbr.pcap frame 11: r3's 198.51.100.0/24, E2 metric 20.
pub(crate) const EXTERNAL_TYPE2: &[u8] = &[
    0x00, 0x02, 0x02, 0x05, 0xc6, 0x33, 0x64, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x80, 0x00, 0x00, 0x01, 0x70, 0xe2, 0x00,
    0x24, 0xff, 0xff, 0xff, 0x00, 0x80, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Made here (checksum by an independent script): V, E and B set, a link with two TOS metrics.
pub(crate) const ROUTER_TOS: &[u8] = &[
    0x00, 0x05, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x09, 0x0a, 0x00, 0x00, 0x09, 0x80, 0x00, 0x00, 0x10, 0x61, 0x36, 0x00,
    0x2c, 0x07, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x0c, 0x01, 0x01, 0x02, 0x00, 0x0a, 0x08, 0x00,
    0x00, 0x14, 0x10, 0x00, 0x00, 0x1e,
];

/// Made here: a Summary-LSA with a TOS 2 metric.
pub(crate) const SUMMARY_TOS: &[u8] = &[
    0x00, 0x07, 0x02, 0x03, 0x0a, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x02, 0x3d, 0x6b, 0x00,
    0x20, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x02, 0x00, 0x00, 0x32,
];

/// Made here: E2 with a forwarding address and tag, plus a TOS 4 entry (E1).
pub(crate) const EXTERNAL_TOS: &[u8] = &[
    0x00, 0x09, 0x02, 0x05, 0xcb, 0x00, 0x71, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x80, 0x00, 0x00, 0x05, 0x61, 0xa3, 0x00,
    0x30, 0xff, 0xff, 0xff, 0x00, 0x80, 0x00, 0x00, 0x1e, 0x0a, 0x00, 0x17, 0x01, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00,
    0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Made here: an area-scoped opaque LSA (type 10, RFC 5250), kept as bytes.
pub(crate) const OPAQUE_AREA: &[u8] = &[
    0x00, 0x01, 0x42, 0x0a, 0x04, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x6f, 0x32, 0x00,
    0x1c, 0x00, 0x01, 0x00, 0x04, 0x60, 0x00, 0x00, 0x00,
];

/// Made here: a type-7 NSSA LSA (RFC 3101), kept as bytes.
pub(crate) const NSSA_EXTERNAL: &[u8] = &[
    0x00, 0x03, 0x08, 0x07, 0xc0, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x03, 0x80, 0x00, 0x00, 0x01, 0x9f, 0x24, 0x00,
    0x24, 0xff, 0xff, 0xff, 0x00, 0x80, 0x00, 0x00, 0x14, 0x0a, 0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
];

fn ip(text: &str) -> Ipv4Addr {
    text.parse().expect("an IPv4 address")
}

/// The header fields `Lsa::new` takes from its caller (type, length, checksum are computed).
fn header(age: u16, options: Options, id: &str, advertising_router: &str, sequence_number: u32) -> LsaHeader {
    LsaHeader {
        age,
        options,
        lsa_type: LsaType(0),
        link_state_id: ip(id),
        advertising_router: ip(advertising_router),
        sequence_number: sequence_number as i32,
        checksum: 0,
        length: 0,
    }
}

fn lsa(header: LsaHeader, body: LsaBody) -> Lsa {
    Lsa::new(header, body).expect("a valid LSA")
}

fn link(link_type: RouterLinkType, link_id: &str, link_data: &str, metric: u16) -> RouterLink {
    RouterLink {
        link_id: ip(link_id),
        link_data: ip(link_data),
        link_type,
        metric,
        tos_metrics: vec![],
    }
}

fn external(metric_type: ExternalMetricType, tos: u8, metric: u32, forwarding: &str, route_tag: u32) -> ExternalMetric {
    ExternalMetric {
        metric_type,
        tos,
        metric,
        forwarding_address: ip(forwarding),
        route_tag,
    }
}

fn summary(mask: &str, metric: u32) -> SummaryLsa {
    SummaryLsa {
        network_mask: ip(mask),
        reserved: 0,
        metric,
        tos_metrics: vec![],
    }
}

struct Case {
    name: &'static str,
    bytes: &'static [u8],
    expected: fn() -> Lsa,
}

const CASES: &[Case] = &[
    Case {
        name: "router, area border router",
        bytes: ROUTER_ABR,
        expected: || {
            let body = RouterLsa {
                flags: RouterLsaFlags::B,
                reserved: 0,
                links: vec![
                    link(RouterLinkType::POINT_TO_POINT, "10.0.0.1", "10.0.12.2", 10),
                    link(RouterLinkType::STUB, "10.0.12.0", "255.255.255.252", 10),
                    link(RouterLinkType::STUB, "10.0.0.2", "255.255.255.255", 0),
                ],
            };
            lsa(
                header(1, Options::E, "10.0.0.2", "10.0.0.2", 0x8000_0004),
                LsaBody::Router(body),
            )
        },
    },
    Case {
        name: "router, transit link",
        bytes: ROUTER_TRANSIT,
        expected: || {
            let body = RouterLsa {
                flags: RouterLsaFlags::empty(),
                reserved: 0,
                links: vec![
                    link(RouterLinkType::TRANSIT, "10.0.123.1", "10.0.123.1", 10),
                    link(RouterLinkType::STUB, "10.0.0.1", "255.255.255.255", 0),
                ],
            };
            lsa(
                header(1, Options::E, "10.0.0.1", "10.0.0.1", 0x8000_0004),
                LsaBody::Router(body),
            )
        },
    },
    Case {
        name: "network",
        bytes: NETWORK,
        expected: || {
            let body = NetworkLsa {
                network_mask: ip("255.255.255.0"),
                attached_routers: vec![ip("10.0.0.1"), ip("10.0.0.2")],
            };
            lsa(
                header(1, Options::E, "10.0.123.1", "10.0.0.1", 0x8000_0001),
                LsaBody::Network(body),
            )
        },
    },
    Case {
        name: "summary, network",
        bytes: SUMMARY_NETWORK,
        expected: || {
            let body = LsaBody::SummaryNetwork(summary("255.255.255.255", 10));
            lsa(header(1, Options::E, "10.0.0.3", "10.0.0.2", 0x8000_0001), body)
        },
    },
    Case {
        name: "summary, ASBR",
        bytes: SUMMARY_ASBR,
        expected: || {
            let body = LsaBody::SummaryAsbr(summary("0.0.0.0", 10));
            lsa(header(1, Options::E, "10.0.0.3", "10.0.0.2", 0x8000_0001), body)
        },
    },
    Case {
        name: "AS-external, type 1, route tag",
        bytes: EXTERNAL_TYPE1_TAG,
        expected: || {
            let body = AsExternalLsa {
                network_mask: ip("255.255.255.0"),
                metric: external(ExternalMetricType::Type1, 0, 20, "0.0.0.0", 42),
                tos_metrics: vec![],
            };
            lsa(
                header(2, Options::E, "192.0.2.0", "10.0.0.3", 0x8000_0001),
                LsaBody::AsExternal(body),
            )
        },
    },
    Case {
        name: "AS-external, type 2",
        bytes: EXTERNAL_TYPE2,
        expected: || {
            let body = AsExternalLsa {
                network_mask: ip("255.255.255.0"),
                metric: external(ExternalMetricType::Type2, 0, 20, "0.0.0.0", 0),
                tos_metrics: vec![],
            };
            lsa(
                header(2, Options::E, "198.51.100.0", "10.0.0.3", 0x8000_0001),
                LsaBody::AsExternal(body),
            )
        },
    },
    Case {
        name: "router, V/E/B and TOS metrics",
        bytes: ROUTER_TOS,
        expected: || {
            let mut p2p = link(RouterLinkType::POINT_TO_POINT, "10.0.0.2", "10.0.12.1", 10);
            p2p.tos_metrics = vec![
                RouterTosMetric {
                    tos: 8,
                    reserved: 0,
                    metric: 20,
                },
                RouterTosMetric {
                    tos: 16,
                    reserved: 0,
                    metric: 30,
                },
            ];
            let body = RouterLsa {
                flags: RouterLsaFlags::V | RouterLsaFlags::E | RouterLsaFlags::B,
                reserved: 0,
                links: vec![p2p],
            };
            lsa(
                header(5, Options::E, "10.0.0.9", "10.0.0.9", 0x8000_0010),
                LsaBody::Router(body),
            )
        },
    },
    Case {
        name: "summary with a TOS metric",
        bytes: SUMMARY_TOS,
        expected: || {
            let mut body = summary("255.255.0.0", 100);
            body.tos_metrics = vec![SummaryTosMetric { tos: 2, metric: 50 }];
            lsa(
                header(7, Options::E, "10.1.0.0", "10.0.0.2", 0x8000_0002),
                LsaBody::SummaryNetwork(body),
            )
        },
    },
    Case {
        name: "AS-external with forwarding address and a TOS entry",
        bytes: EXTERNAL_TOS,
        expected: || {
            let body = AsExternalLsa {
                network_mask: ip("255.255.255.0"),
                metric: external(ExternalMetricType::Type2, 0, 30, "10.0.23.1", 7),
                tos_metrics: vec![external(ExternalMetricType::Type1, 4, 40, "0.0.0.0", 0)],
            };
            lsa(
                header(9, Options::E, "203.0.113.0", "10.0.0.3", 0x8000_0005),
                LsaBody::AsExternal(body),
            )
        },
    },
    Case {
        name: "opaque, area scope",
        bytes: OPAQUE_AREA,
        expected: || {
            let body = LsaBody::Unknown {
                lsa_type: LsaType::OPAQUE_AREA,
                data: Bytes::from_static(&[0, 1, 0, 4, 0x60, 0, 0, 0]),
            };
            lsa(
                header(1, Options::O | Options::E, "4.0.0.0", "10.0.0.1", 0x8000_0001),
                body,
            )
        },
    },
    Case {
        name: "NSSA external (type 7)",
        bytes: NSSA_EXTERNAL,
        expected: || {
            let data = Bytes::from_static(&[
                0xff, 0xff, 0xff, 0x00, 0x80, 0x00, 0x00, 0x14, 0x0a, 0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
            ]);
            let body = LsaBody::Unknown {
                lsa_type: LsaType::NSSA_EXTERNAL,
                data,
            };
            lsa(header(3, Options::NP, "192.0.2.0", "10.0.0.3", 0x8000_0001), body)
        },
    },
];

#[test]
fn each_lsa_decodes_to_its_struct_and_encodes_to_its_bytes() {
    for case in CASES {
        let expected = (case.expected)();
        let decoded = Lsa::decode(case.bytes).unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_eq!(decoded, expected, "{}", case.name);
        assert_bytes_eq(&expected.to_bytes(), case.bytes, case.name);
        assert_eq!(expected.encoded_len(), case.bytes.len(), "{}", case.name);
    }
}

#[test]
fn aging_keeps_the_checksum_valid() {
    let mut lsa = Lsa::decode(ROUTER_ABR).expect("valid");
    lsa.set_age(okapi_ospf::lsa::MAX_AGE);
    let aged = Lsa::decode(&lsa.to_bytes()).expect("still valid");
    assert_eq!(aged.header().age, 3600);
    assert_eq!(aged.header().checksum, 0xf1d0);
}

#[test]
fn a_corrupted_lsa_is_refused_for_its_checksum() {
    let mut bytes = EXTERNAL_TYPE2.to_vec();
    bytes[30] ^= 0x10;
    assert_eq!(
        Lsa::decode(&bytes),
        Err(DecodeError::BadLsaChecksum {
            lsa_type: 5,
            received: 0x70e2
        })
    );
}

#[test]
fn lengths_are_checked() {
    let mut short = NETWORK.to_vec();
    short[19] = 19;
    assert!(matches!(
        Lsa::decode(&short),
        Err(DecodeError::BadLsaLength { length: 19, .. })
    ));
    assert!(matches!(
        Lsa::decode(&NETWORK[..31]),
        Err(DecodeError::BadLsaLength { length: 32, .. })
    ));
    assert!(matches!(
        Lsa::decode(&[NETWORK, &[0]].concat()),
        Err(DecodeError::BadLsaLength { length: 32, .. })
    ));
    assert!(matches!(
        Lsa::decode(&NETWORK[..12]),
        Err(DecodeError::BadLsaLength { .. })
    ));
}

#[test]
fn malformed_bodies_are_refused() {
    // A Router-LSA announcing 4 links but holding 3: rebuilt with a valid checksum.
    let mut bytes = ROUTER_ABR.to_vec();
    bytes[23] = 4; // 3 links present
    fix_checksum(&mut bytes);
    assert!(matches!(
        Lsa::decode(&bytes),
        Err(DecodeError::MalformedLsa { lsa_type: 1, .. })
    ));
    // A Network-LSA whose router list is not a multiple of 4 bytes.
    let mut bytes = NETWORK.to_vec();
    bytes.push(0);
    bytes[19] += 1;
    fix_checksum(&mut bytes);
    assert!(matches!(
        Lsa::decode(&bytes),
        Err(DecodeError::MalformedLsa { lsa_type: 2, .. })
    ));
}

#[test]
fn new_refuses_what_cannot_be_encoded() {
    let mut body = summary("255.255.255.0", 0x0100_0000);
    let header = header(0, Options::E, "10.9.0.0", "10.0.0.1", 0x8000_0001);
    assert_eq!(
        Lsa::new(header, LsaBody::SummaryNetwork(body.clone())),
        Err(EncodeError::MetricOutOfRange { metric: 0x0100_0000 })
    );
    body.metric = 0x00ff_ffff;
    assert!(Lsa::new(header, LsaBody::SummaryNetwork(body)).is_ok());
    let unknown_router = LsaBody::Unknown {
        lsa_type: LsaType::ROUTER,
        data: Bytes::new(),
    };
    assert_eq!(
        Lsa::new(header, unknown_router),
        Err(EncodeError::UnknownBodyForKnownType { lsa_type: 1 })
    );
    let external = AsExternalLsa {
        network_mask: ip("255.255.255.0"),
        metric: external(ExternalMetricType::Type2, 0x80, 1, "0.0.0.0", 0),
        tos_metrics: vec![],
    };
    assert_eq!(
        Lsa::new(header, LsaBody::AsExternal(external)),
        Err(EncodeError::ExternalTosOutOfRange { tos: 0x80 })
    );
    let huge = LsaBody::Unknown {
        lsa_type: LsaType::OPAQUE_AS,
        data: Bytes::from(vec![0; 65_516]),
    };
    assert_eq!(Lsa::new(header, huge), Err(EncodeError::LsaTooLong { length: 65_536 }));
}

/// Writes the checksum of a hand-edited LSA (computed by the tests' own implementation).
fn fix_checksum(bytes: &mut [u8]) {
    let checksum = checksums::lsa_checksum(bytes);
    bytes[16..18].copy_from_slice(&checksum.to_be_bytes());
}
