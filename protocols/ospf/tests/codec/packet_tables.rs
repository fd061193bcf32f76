//! Table tests of the five packet types on bytes captured from FRR in the lab
//! (tests/fixtures/), each with the packet it must decode to; decoding and re-encoding must
//! give back the same bytes.

use std::net::Ipv4Addr;

use okapi_ospf::lsa::{Lsa, LsaBody, LsaHeader, LsaType, RouterLink, RouterLinkType, RouterLsa, RouterLsaFlags};
use okapi_ospf::packet::{
    DatabaseDescription, DdFlags, Hello, LinkStateAck, LinkStateRequest, LinkStateUpdate, LsRequestEntry, Md5Keys,
    Packet, PacketAuth, PacketBody,
};
use okapi_ospf::{AuthConfig, Options};

use crate::support::frr_md5_keys;
use crate::support::hex_diff::assert_bytes_eq;

/// frr-pair.pcap frame 1: r2's first Hello, no neighbor heard yet.
pub(crate) const HELLO_P2P: &[u8] = &[
    0x02, 0x01, 0x00, 0x2c, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0xf1, 0xcd, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xfc, 0x00, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// frr-pair.pcap frame 2: r1's Hello listing r2.
pub(crate) const HELLO_P2P_NEIGHBOR: &[u8] = &[
    0x02, 0x01, 0x00, 0x30, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xe7, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xfc, 0x00, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
];

/// frr-lan.pcap frame 56: the DR's Hello (priority 10), DR and BDR elected, two neighbors.
pub(crate) const HELLO_LAN: &[u8] = &[
    0x02, 0x01, 0x00, 0x34, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xd4, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x02, 0x0a, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x00,
    0x7b, 0x01, 0x0a, 0x00, 0x7b, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x03,
];

/// frr-pair.pcap frame 3: r2's first Database Description (I, M, MS; MTU 9500).
pub(crate) const DD_INIT: &[u8] = &[
    0x02, 0x02, 0x00, 0x20, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x5d, 0x5e, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x25, 0x1c, 0x02, 0x07, 0x66, 0x50, 0x09, 0x0a,
];

/// frr-pair.pcap frame 5: r1, slave, describing its Router-LSA.
pub(crate) const DD_HEADERS: &[u8] = &[
    0x02, 0x02, 0x00, 0x34, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x69, 0x75, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x25, 0x1c, 0x02, 0x00, 0x66, 0x50, 0x09, 0x0a, 0x00, 0x01, 0x02, 0x01, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x02, 0x5d, 0xa6, 0x00, 0x30,
];

/// frr-pair.pcap frame 8: r1 requests r2's Router-LSA.
pub(crate) const LS_REQUEST: &[u8] = &[
    0x02, 0x03, 0x00, 0x24, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xdf, 0xd2, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02,
];

/// frr-pair.pcap frame 13: r1 floods its Router-LSA (3 links).
pub(crate) const LS_UPDATE: &[u8] = &[
    0x02, 0x04, 0x00, 0x58, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x59, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
    0x00, 0x01, 0x80, 0x00, 0x00, 0x03, 0xda, 0xec, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x02, 0x0a,
    0x00, 0x0c, 0x01, 0x01, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x0c, 0x00, 0xff, 0xff, 0xff, 0xfc, 0x03, 0x00, 0x00, 0x0a,
    0x0a, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x00, 0x00,
];

/// frr-pair.pcap frame 14: r2 acknowledges two Router-LSAs.
pub(crate) const LS_ACK: &[u8] = &[
    0x02, 0x05, 0x00, 0x40, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x8e, 0xaa, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x80, 0x00,
    0x00, 0x02, 0x5d, 0xa6, 0x00, 0x30, 0x00, 0x01, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x80,
    0x00, 0x00, 0x03, 0xda, 0xec, 0x00, 0x3c,
];

/// frr-pair-md5.pcap frame 2: r1's Hello with keyed MD5 (key id 1, key `SECRET`), digest after the packet.
pub(crate) const HELLO_MD5: &[u8] = &[
    0x02, 0x01, 0x00, 0x30, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01,
    0x10, 0x6b, 0x05, 0x21, 0x2a, 0xff, 0xff, 0xff, 0xfc, 0x00, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x84, 0x8d, 0x75, 0x64, 0xda, 0xe1, 0x3f, 0x59, 0x0b,
    0x83, 0x12, 0x91, 0x9b, 0xf0, 0xf8, 0xb8,
];

fn ip(text: &str) -> Ipv4Addr {
    text.parse().expect("an IPv4 address")
}

fn packet(router_id: &str, auth: PacketAuth, body: PacketBody) -> Packet {
    Packet {
        router_id: ip(router_id),
        area_id: ip("0.0.0.0"),
        auth,
        body,
        trailer: Default::default(),
    }
}

fn p2p_hello(neighbors: &[&str]) -> PacketBody {
    PacketBody::Hello(Hello {
        network_mask: ip("255.255.255.252"),
        hello_interval: 1,
        options: Options::E,
        router_priority: 1,
        router_dead_interval: 4,
        designated_router: ip("0.0.0.0"),
        backup_designated_router: ip("0.0.0.0"),
        neighbors: neighbors.iter().map(|neighbor| ip(neighbor)).collect(),
    })
}

fn lsa_header(age: u16, id: &str, sequence_number: u32, checksum: u16, length: u16) -> LsaHeader {
    LsaHeader {
        age,
        options: Options::E,
        lsa_type: LsaType::ROUTER,
        link_state_id: ip(id),
        advertising_router: ip(id),
        sequence_number: sequence_number as i32,
        checksum,
        length,
    }
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

/// r1's Router-LSA: built with `Lsa::new`, so its checksum is ours and must equal FRR's.
fn r1_router_lsa() -> Lsa {
    let body = LsaBody::Router(RouterLsa {
        flags: RouterLsaFlags::empty(),
        reserved: 0,
        links: vec![
            link(RouterLinkType::POINT_TO_POINT, "10.0.0.2", "10.0.12.1", 10),
            link(RouterLinkType::STUB, "10.0.12.0", "255.255.255.252", 10),
            link(RouterLinkType::STUB, "10.0.0.1", "255.255.255.255", 0),
        ],
    });
    Lsa::new(lsa_header(1, "10.0.0.1", 0x8000_0003, 0, 0), body).expect("a valid LSA")
}

struct Case {
    name: &'static str,
    bytes: &'static [u8],
    expected: fn() -> Packet,
}

const CASES: &[Case] = &[
    Case {
        name: "hello, p2p, no neighbor",
        bytes: HELLO_P2P,
        expected: || packet("10.0.0.2", PacketAuth::Null, p2p_hello(&[])),
    },
    Case {
        name: "hello, p2p, one neighbor",
        bytes: HELLO_P2P_NEIGHBOR,
        expected: || packet("10.0.0.1", PacketAuth::Null, p2p_hello(&["10.0.0.2"])),
    },
    Case {
        name: "hello, LAN, DR and BDR",
        bytes: HELLO_LAN,
        expected: || {
            let hello = Hello {
                network_mask: ip("255.255.255.0"),
                hello_interval: 1,
                options: Options::E,
                router_priority: 10,
                router_dead_interval: 4,
                designated_router: ip("10.0.123.1"),
                backup_designated_router: ip("10.0.123.2"),
                neighbors: vec![ip("10.0.0.2"), ip("10.0.0.3")],
            };
            packet("10.0.0.1", PacketAuth::Null, PacketBody::Hello(hello))
        },
    },
    Case {
        name: "database description, init",
        bytes: DD_INIT,
        expected: || {
            let dd = DatabaseDescription {
                interface_mtu: 9500,
                options: Options::E,
                flags: DdFlags::I | DdFlags::M | DdFlags::MS,
                dd_sequence_number: 0x6650_090a,
                lsa_headers: vec![],
            };
            packet("10.0.0.2", PacketAuth::Null, PacketBody::DatabaseDescription(dd))
        },
    },
    Case {
        name: "database description, one LSA header",
        bytes: DD_HEADERS,
        expected: || {
            let dd = DatabaseDescription {
                interface_mtu: 9500,
                options: Options::E,
                flags: DdFlags::empty(),
                dd_sequence_number: 0x6650_090a,
                lsa_headers: vec![lsa_header(1, "10.0.0.1", 0x8000_0002, 0x5da6, 48)],
            };
            packet("10.0.0.1", PacketAuth::Null, PacketBody::DatabaseDescription(dd))
        },
    },
    Case {
        name: "link state request",
        bytes: LS_REQUEST,
        expected: || {
            let entry = LsRequestEntry {
                ls_type: 1,
                link_state_id: ip("10.0.0.2"),
                advertising_router: ip("10.0.0.2"),
            };
            packet(
                "10.0.0.1",
                PacketAuth::Null,
                PacketBody::LinkStateRequest(LinkStateRequest { entries: vec![entry] }),
            )
        },
    },
    Case {
        name: "link state update, one Router-LSA",
        bytes: LS_UPDATE,
        expected: || {
            let update = LinkStateUpdate {
                lsas: vec![r1_router_lsa()],
            };
            packet("10.0.0.1", PacketAuth::Null, PacketBody::LinkStateUpdate(update))
        },
    },
    Case {
        name: "link state acknowledgment, two headers",
        bytes: LS_ACK,
        expected: || {
            let ack = LinkStateAck {
                lsa_headers: vec![
                    lsa_header(2, "10.0.0.1", 0x8000_0002, 0x5da6, 48),
                    lsa_header(1, "10.0.0.1", 0x8000_0003, 0xdaec, 60),
                ],
            };
            packet("10.0.0.2", PacketAuth::Null, PacketBody::LinkStateAck(ack))
        },
    },
    Case {
        name: "hello, keyed MD5",
        bytes: HELLO_MD5,
        expected: || {
            packet(
                "10.0.0.1",
                PacketAuth::Cryptographic {
                    key_id: 1,
                    sequence: 0x6b05_212a,
                },
                p2p_hello(&["10.0.0.2"]),
            )
        },
    },
];

#[test]
fn each_packet_decodes_to_its_struct_and_encodes_to_its_bytes() {
    for case in CASES {
        let expected = (case.expected)();
        let decoded = Packet::decode(case.bytes).unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_eq!(decoded, expected, "{}", case.name);
        let encoded = expected
            .encode(&frr_md5_keys())
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        assert_bytes_eq(&encoded, case.bytes, case.name);
    }
}

#[test]
fn each_packet_verifies_with_the_configuration_it_was_sent_with() {
    for case in CASES {
        let config = match (case.expected)().auth {
            PacketAuth::Cryptographic { .. } => AuthConfig::Md5(frr_md5_keys()),
            _ => AuthConfig::Null,
        };
        Packet::decode_verified(case.bytes, &config).unwrap_or_else(|error| panic!("{}: {error}", case.name));
    }
}

#[test]
fn packet_type_and_json_view() {
    let packet = Packet::decode(HELLO_LAN).expect("valid");
    assert_eq!(packet.packet_type(), okapi_ospf::PacketType::Hello);
    let json = serde_json::to_value(&packet).expect("serializable");
    assert_eq!(json["router_id"], "10.0.0.1");
    assert_eq!(json["auth"], "null");
    assert_eq!(json["body"]["hello"]["designated_router"], "10.0.123.1");
    assert_eq!(json["body"]["hello"]["options"], "E");
    assert_eq!(json["trailer"], "");
}

#[test]
fn encoding_without_the_key_fails() {
    let packet = Packet::decode(HELLO_MD5).expect("valid");
    assert_eq!(
        packet.encode(&Md5Keys::new()),
        Err(okapi_ospf::EncodeError::MissingKey { key_id: 1 })
    );
}
