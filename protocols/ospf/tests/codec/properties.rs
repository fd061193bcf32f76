//! Properties: decoding never panics, whatever the bytes; generated packets and LSAs survive
//! encode-then-decode unchanged; bytes that decode re-encode to themselves.

use std::net::Ipv4Addr;

use bytes::Bytes;
use okapi_ospf::lsa::{
    AsExternalLsa, ExternalMetric, ExternalMetricType, Lsa, LsaBody, LsaHeader, LsaType, NetworkLsa, RouterLink,
    RouterLinkType, RouterLsa, RouterLsaFlags, RouterTosMetric, SummaryLsa, SummaryTosMetric,
};
use okapi_ospf::packet::{
    DatabaseDescription, DdFlags, Hello, LinkStateAck, LinkStateRequest, LinkStateUpdate, LsRequestEntry, Md5Key,
    Md5Keys, Packet, PacketAuth, PacketBody, SimplePassword,
};
use okapi_ospf::{AuthConfig, Options};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::support::checksums::{fix_packet_checksum, lsa_checksum, packet_checksum};
use crate::support::hex_diff::hex_diff;

const MAX_METRIC: u32 = 0x00ff_ffff;

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn options() -> impl Strategy<Value = Options> {
    any::<u8>().prop_map(Options::from_bits_retain)
}

fn lsa_header() -> impl Strategy<Value = LsaHeader> {
    (
        any::<u16>(),
        options(),
        any::<u8>(),
        ipv4(),
        ipv4(),
        any::<i32>(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(
            |(age, options, lsa_type, link_state_id, advertising_router, sequence_number, checksum, length)| {
                LsaHeader {
                    age,
                    options,
                    lsa_type: LsaType(lsa_type),
                    link_state_id,
                    advertising_router,
                    sequence_number,
                    checksum,
                    length,
                }
            },
        )
}

fn router_lsa() -> impl Strategy<Value = RouterLsa> {
    let tos = (any::<u8>(), any::<u8>(), any::<u16>()).prop_map(|(tos, reserved, metric)| RouterTosMetric {
        tos,
        reserved,
        metric,
    });
    let link = (ipv4(), ipv4(), any::<u8>(), any::<u16>(), vec(tos, 0..3)).prop_map(
        |(link_id, link_data, link_type, metric, tos_metrics)| RouterLink {
            link_id,
            link_data,
            link_type: RouterLinkType(link_type),
            metric,
            tos_metrics,
        },
    );
    (any::<u8>(), any::<u8>(), vec(link, 0..5)).prop_map(|(flags, reserved, links)| RouterLsa {
        flags: RouterLsaFlags::from_bits_retain(flags),
        reserved,
        links,
    })
}

fn summary_lsa() -> impl Strategy<Value = SummaryLsa> {
    let tos = (any::<u8>(), 0..=MAX_METRIC).prop_map(|(tos, metric)| SummaryTosMetric { tos, metric });
    (ipv4(), any::<u8>(), 0..=MAX_METRIC, vec(tos, 0..3)).prop_map(|(network_mask, reserved, metric, tos_metrics)| {
        SummaryLsa {
            network_mask,
            reserved,
            metric,
            tos_metrics,
        }
    })
}

fn external_metric() -> impl Strategy<Value = ExternalMetric> {
    (any::<bool>(), 0..=0x7fu8, 0..=MAX_METRIC, ipv4(), any::<u32>()).prop_map(
        |(type2, tos, metric, forwarding_address, route_tag)| ExternalMetric {
            metric_type: if type2 {
                ExternalMetricType::Type2
            } else {
                ExternalMetricType::Type1
            },
            tos,
            metric,
            forwarding_address,
            route_tag,
        },
    )
}

fn lsa_body() -> impl Strategy<Value = LsaBody> {
    let unknown_type = any::<u8>().prop_filter("a type without a decoded body", |t| !(1..=5).contains(t));
    prop_oneof![
        router_lsa().prop_map(LsaBody::Router),
        (ipv4(), vec(ipv4(), 0..5)).prop_map(|(network_mask, attached_routers)| LsaBody::Network(NetworkLsa {
            network_mask,
            attached_routers
        })),
        summary_lsa().prop_map(LsaBody::SummaryNetwork),
        summary_lsa().prop_map(LsaBody::SummaryAsbr),
        (ipv4(), external_metric(), vec(external_metric(), 0..3)).prop_map(|(network_mask, metric, tos_metrics)| {
            LsaBody::AsExternal(AsExternalLsa {
                network_mask,
                metric,
                tos_metrics,
            })
        }),
        (unknown_type, vec(any::<u8>(), 0..40)).prop_map(|(lsa_type, data)| LsaBody::Unknown {
            lsa_type: LsaType(lsa_type),
            data: Bytes::from(data)
        }),
    ]
}

fn lsa() -> impl Strategy<Value = Lsa> {
    (lsa_header(), lsa_body()).prop_map(|(header, body)| Lsa::new(header, body).expect("generated LSAs are valid"))
}

fn packet_body() -> impl Strategy<Value = PacketBody> {
    let hello = (
        ipv4(),
        any::<u16>(),
        options(),
        any::<u8>(),
        any::<u32>(),
        ipv4(),
        ipv4(),
        vec(ipv4(), 0..6),
    )
        .prop_map(
            |(network_mask, hello_interval, options, router_priority, router_dead_interval, dr, bdr, neighbors)| {
                PacketBody::Hello(Hello {
                    network_mask,
                    hello_interval,
                    options,
                    router_priority,
                    router_dead_interval,
                    designated_router: dr,
                    backup_designated_router: bdr,
                    neighbors,
                })
            },
        );
    let database_description = (
        any::<u16>(),
        options(),
        any::<u8>(),
        any::<u32>(),
        vec(lsa_header(), 0..4),
    )
        .prop_map(|(interface_mtu, options, flags, dd_sequence_number, lsa_headers)| {
            PacketBody::DatabaseDescription(DatabaseDescription {
                interface_mtu,
                options,
                flags: DdFlags::from_bits_retain(flags),
                dd_sequence_number,
                lsa_headers,
            })
        });
    let request_entry =
        (any::<u32>(), ipv4(), ipv4()).prop_map(|(ls_type, link_state_id, advertising_router)| LsRequestEntry {
            ls_type,
            link_state_id,
            advertising_router,
        });
    prop_oneof![
        hello,
        database_description,
        vec(request_entry, 0..5).prop_map(|entries| PacketBody::LinkStateRequest(LinkStateRequest { entries })),
        vec(lsa(), 0..4).prop_map(|lsas| PacketBody::LinkStateUpdate(LinkStateUpdate { lsas })),
        vec(lsa_header(), 0..5).prop_map(|lsa_headers| PacketBody::LinkStateAck(LinkStateAck { lsa_headers })),
    ]
}

/// A packet and the configuration that accepts it.
fn packet() -> impl Strategy<Value = (Packet, AuthConfig)> {
    let auth = prop_oneof![
        Just((PacketAuth::Null, AuthConfig::Null)),
        any::<[u8; 8]>().prop_map(|password| {
            let password = SimplePassword::new(&password).expect("8 bytes");
            (
                PacketAuth::SimplePassword(password.clone()),
                AuthConfig::SimplePassword(password),
            )
        }),
        (any::<u8>(), any::<u32>(), vec(any::<u8>(), 0..=16)).prop_map(|(key_id, sequence, secret)| {
            let keys: Md5Keys = [(key_id, Md5Key::new(&secret).expect("16 bytes at most"))]
                .into_iter()
                .collect();
            (PacketAuth::Cryptographic { key_id, sequence }, AuthConfig::Md5(keys))
        }),
    ];
    (ipv4(), ipv4(), auth, packet_body(), vec(any::<u8>(), 0..12)).prop_map(
        |(router_id, area_id, (auth, config), body, trailer)| {
            (
                Packet {
                    router_id,
                    area_id,
                    auth,
                    body,
                    trailer: Bytes::from(trailer),
                },
                config,
            )
        },
    )
}

fn md5_keys(config: &AuthConfig) -> Md5Keys {
    match config {
        AuthConfig::Md5(keys) => keys.clone(),
        _ => Md5Keys::new(),
    }
}

/// The bytes of a decoded packet that re-encoding does not reproduce by design: the
/// checksum field (its two equivalent one's-complement zeros), the authentication field
/// under null authentication (D.4.1: not examined), the reserved bytes and the digest under
/// cryptographic authentication (the digest is recomputed).
fn normalized(bytes: &[u8]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    let autype = u16::from_be_bytes([bytes[14], bytes[15]]);
    bytes[12..14].fill(0);
    match autype {
        0 => bytes[16..24].fill(0),
        2 => {
            bytes[16..18].fill(0);
            let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            bytes[length..length + 16].fill(0);
        }
        _ => {}
    }
    bytes
}

fn any_md5_config() -> AuthConfig {
    AuthConfig::Md5([(1, Md5Key::new(b"key").expect("short"))].into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..400)) {
        let _ = Packet::decode(&bytes);
        let _ = Packet::decode_verified(&bytes, &any_md5_config());
        let _ = Lsa::decode(&bytes);
    }

    /// Arbitrary bodies behind a valid header (version, type, length, checksum), so the
    /// body parsers see the bytes.
    #[test]
    fn decoding_arbitrary_bodies_never_panics(packet_type in 1..=5u8, body in vec(any::<u8>(), 0..400)) {
        let mut bytes = vec![2, packet_type, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(&body);
        let length = bytes.len() as u16;
        bytes[2..4].copy_from_slice(&length.to_be_bytes());
        fix_packet_checksum(&mut bytes);
        if let Ok(packet) = Packet::decode(&bytes) {
            let encoded = packet.encode(&Md5Keys::new()).expect("a decoded packet encodes");
            prop_assert_eq!(encoded.as_ref(), bytes.as_slice());
        }
    }

    #[test]
    fn generated_packets_survive_encode_then_decode((packet, config) in packet()) {
        let bytes = packet.encode(&md5_keys(&config)).expect("generated packets encode");
        let decoded = Packet::decode_verified(&bytes, &config).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&decoded, &packet);
        let again = decoded.encode(&md5_keys(&config)).expect("encodes");
        prop_assert!(again == bytes, "{}", hex_diff(&again, &bytes));
    }

    #[test]
    fn the_packet_checksum_matches_an_independent_implementation((packet, config) in packet()) {
        prop_assume!(!matches!(packet.auth, PacketAuth::Cryptographic { .. }));
        let bytes = packet.encode(&md5_keys(&config)).expect("encodes");
        let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        prop_assert_eq!(u16::from_be_bytes([bytes[12], bytes[13]]), packet_checksum(&bytes[..length]));
    }

    /// Valid packets with bytes changed or cut: never a panic, and whatever still decodes
    /// re-encodes to the same bytes (up to the fields of `normalized`).
    #[test]
    fn mutated_packets_decode_or_fail_cleanly(
        (packet, config) in packet(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        fix_checksum in any::<bool>(),
    ) {
        let mut bytes = packet.encode(&md5_keys(&config)).expect("encodes").to_vec();
        for (at, value) in flips {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if fix_checksum && bytes.len() >= 24 {
            fix_packet_checksum(&mut bytes);
        }
        let keep = bytes.len() - cut.index(bytes.len() / 4 + 1);
        bytes.truncate(keep);
        let _ = Packet::decode_verified(&bytes, &config);
        if let Ok(decoded) = Packet::decode(&bytes) {
            let mut keys = md5_keys(&config);
            if let PacketAuth::Cryptographic { key_id, .. } = decoded.auth {
                keys.insert(key_id, Md5Key::new(b"any").expect("short"));
            }
            let again = decoded.encode(&keys).expect("a decoded packet encodes");
            let redecoded = Packet::decode(&again);
            prop_assert_eq!(redecoded.as_ref(), Ok(&decoded));
            let (again, bytes) = (normalized(&again), normalized(&bytes));
            prop_assert!(again == bytes, "{}", hex_diff(&again, &bytes));
        }
    }

    #[test]
    fn generated_lsas_survive_encode_then_decode(lsa in lsa()) {
        let bytes = lsa.to_bytes();
        prop_assert_eq!(bytes.len(), lsa.encoded_len());
        prop_assert_eq!(lsa.header().checksum, lsa_checksum(&bytes));
        let decoded = Lsa::decode(&bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&decoded, &lsa);
        prop_assert_eq!(decoded.to_bytes(), bytes);
    }
}
