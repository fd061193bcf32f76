//! The project's own captures of FRR in the lab (tests/fixtures/, see its README): every
//! packet decodes, verifies and re-encodes to the same bytes, and together they cover every
//! packet type and LSA types 1 to 5.

use std::collections::BTreeSet;

use okapi_ospf::lsa::LsaType;
use okapi_ospf::packet::{AuthConfig, Md5Keys, Packet, PacketBody, PacketType};

use crate::support::hex_diff::assert_bytes_eq;
use crate::support::{fixture_payloads, frr_md5_keys};

const FIXTURES: &[&str] = &[
    "frr-pair.pcap",
    "frr-lan.pcap",
    "frr-abr-asbr.pcap",
    "frr-pair-md5.pcap",
];

fn config_for(name: &str) -> AuthConfig {
    if name.contains("md5") {
        AuthConfig::Md5(frr_md5_keys())
    } else {
        AuthConfig::Null
    }
}

#[test]
fn every_fixture_packet_decodes_and_re_encodes_identically() {
    for name in FIXTURES {
        let config = config_for(name);
        let keys = if let AuthConfig::Md5(keys) = &config {
            keys.clone()
        } else {
            Md5Keys::new()
        };
        for (frame, bytes) in fixture_payloads(name) {
            let context = format!("{name} frame {frame}");
            let packet = Packet::decode_verified(&bytes, &config).unwrap_or_else(|error| panic!("{context}: {error}"));
            let encoded = packet
                .encode(&keys)
                .unwrap_or_else(|error| panic!("{context}: {error}"));
            assert_bytes_eq(&encoded, &bytes, &context);
        }
    }
}

#[test]
fn fixtures_cover_every_packet_type_and_lsa_types_1_to_5() {
    let mut packet_types = BTreeSet::new();
    let mut lsa_types = BTreeSet::new();
    for name in FIXTURES {
        for (_, bytes) in fixture_payloads(name) {
            let packet = Packet::decode(&bytes).expect("fixtures are valid");
            packet_types.insert(packet.packet_type() as u8);
            if let PacketBody::LinkStateUpdate(update) = &packet.body {
                lsa_types.extend(update.lsas.iter().map(|lsa| lsa.header().lsa_type));
            }
        }
    }
    let all_packet_types: BTreeSet<u8> = [
        PacketType::Hello,
        PacketType::DatabaseDescription,
        PacketType::LinkStateRequest,
        PacketType::LinkStateUpdate,
        PacketType::LinkStateAck,
    ]
    .into_iter()
    .map(|packet_type| packet_type as u8)
    .collect();
    assert_eq!(packet_types, all_packet_types);
    let decoded_lsa_types: BTreeSet<LsaType> = (1..=5).map(LsaType).collect();
    assert_eq!(lsa_types, decoded_lsa_types);
}
