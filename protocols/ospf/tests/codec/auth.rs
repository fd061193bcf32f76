//! Authentication (RFC 2328 Appendix D): FRR's keyed-MD5 packets from the lab accepted with
//! the right key and refused with a wrong one, simple passwords, null authentication, and
//! the checksum/digest rules of D.4.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use okapi_ospf::packet::{Hello, Md5Key, Md5Keys, Packet, PacketAuth, PacketBody, SimplePassword};
use okapi_ospf::{AuthConfig, DecodeError, Options};

use crate::support::hex_diff::assert_bytes_eq;
use crate::support::{fixture_payloads, frr_md5_keys};

fn keys(entries: &[(u8, &[u8])]) -> Md5Keys {
    entries
        .iter()
        .map(|(key_id, secret)| (*key_id, Md5Key::new(secret).expect("short key")))
        .collect()
}

fn hello_packet(auth: PacketAuth) -> Packet {
    let hello = Hello {
        network_mask: Ipv4Addr::new(255, 255, 255, 0),
        hello_interval: 10,
        options: Options::E,
        router_priority: 1,
        router_dead_interval: 40,
        designated_router: Ipv4Addr::UNSPECIFIED,
        backup_designated_router: Ipv4Addr::UNSPECIFIED,
        neighbors: vec![Ipv4Addr::new(192, 0, 2, 7)],
    };
    Packet {
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        area_id: Ipv4Addr::new(0, 0, 0, 1),
        auth,
        body: PacketBody::Hello(hello),
        trailer: Default::default(),
    }
}

#[test]
fn frr_md5_packets_verify_with_the_right_key_and_encode_identically() {
    let right = AuthConfig::Md5(frr_md5_keys());
    let mut last_sequence: BTreeMap<Ipv4Addr, u32> = BTreeMap::new();
    for (frame, bytes) in fixture_payloads("frr-pair-md5.pcap") {
        let packet = Packet::decode_verified(&bytes, &right).unwrap_or_else(|error| panic!("frame {frame}: {error}"));
        let PacketAuth::Cryptographic { key_id: 1, sequence } = packet.auth else {
            panic!("frame {frame}: {:?}", packet.auth);
        };
        // D.4.3: the sequence number never decreases per sender (the daemon's check).
        let previous = last_sequence.insert(packet.router_id, sequence).unwrap_or(0);
        assert!(
            sequence >= previous,
            "frame {frame}: sequence {sequence:#x} after {previous:#x}"
        );
        let encoded = packet.encode(&frr_md5_keys()).expect("encodes");
        assert_bytes_eq(&encoded, &bytes, &format!("frame {frame}"));
    }
    assert_eq!(last_sequence.len(), 2, "both routers' packets are in the capture");
}

#[test]
fn frr_md5_packets_are_refused_with_a_wrong_key_or_key_id_or_type() {
    for (frame, bytes) in fixture_payloads("frr-pair-md5.pcap") {
        let wrong_key = AuthConfig::Md5(keys(&[(1, b"SECRET2")]));
        assert_eq!(
            Packet::decode_verified(&bytes, &wrong_key),
            Err(DecodeError::BadDigest { key_id: 1 }),
            "frame {frame}"
        );
        let other_id = AuthConfig::Md5(keys(&[(2, b"SECRET")]));
        assert_eq!(
            Packet::decode_verified(&bytes, &other_id),
            Err(DecodeError::UnknownKeyId(1)),
            "frame {frame}"
        );
        assert_eq!(
            Packet::decode_verified(&bytes, &AuthConfig::Null),
            Err(DecodeError::AuthTypeMismatch {
                configured: 0,
                received: 2
            }),
            "frame {frame}"
        );
        // Without configuration the structure decodes: the digest is the only check of
        // AuType 2 (no standard checksum, D.4.3).
        assert!(Packet::decode(&bytes).is_ok(), "frame {frame}");
    }
}

#[test]
fn a_key_change_accepts_both_keys() {
    let bytes = &fixture_payloads("frr-pair-md5.pcap")[0].1;
    let rollover = AuthConfig::Md5(keys(&[(1, b"SECRET"), (2, b"NEXT")]));
    assert!(Packet::decode_verified(bytes, &rollover).is_ok());
}

#[test]
fn md5_digest_follows_the_packet_and_checksum_is_zero() {
    let packet = hello_packet(PacketAuth::Cryptographic {
        key_id: 7,
        sequence: 0x0102_0304,
    });
    let keys = keys(&[(7, b"k")]);
    let bytes = packet.encode(&keys).expect("encodes");
    let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    assert_eq!(bytes.len(), length + 16, "the digest is outside the length field");
    assert_eq!(&bytes[12..14], &[0, 0], "D.4.3: no standard checksum");
    assert_eq!(&bytes[14..24], &[0, 2, 0, 0, 7, 16, 1, 2, 3, 4]);
    let decoded = Packet::decode_verified(&bytes, &AuthConfig::Md5(keys.clone())).expect("verifies");
    assert_eq!(decoded, packet);

    let mut tampered = bytes.to_vec();
    tampered[30] ^= 1;
    assert_eq!(
        Packet::decode_verified(&tampered, &AuthConfig::Md5(keys)),
        Err(DecodeError::BadDigest { key_id: 7 })
    );
    assert!(matches!(
        Packet::decode(&bytes[..bytes.len() - 1]),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn md5_with_another_auth_data_length_is_refused() {
    let bytes = hello_packet(PacketAuth::Cryptographic { key_id: 1, sequence: 1 })
        .encode(&keys(&[(1, b"k")]))
        .unwrap();
    let mut sha = bytes.to_vec();
    sha[19] = 20;
    assert_eq!(Packet::decode(&sha), Err(DecodeError::BadAuthDataLength(20)));
}

#[test]
fn simple_password_is_checked_and_outside_the_checksum() {
    let password = SimplePassword::new(b"okapi").expect("short");
    let packet = hello_packet(PacketAuth::SimplePassword(password.clone()));
    let bytes = packet.encode(&Md5Keys::new()).expect("encodes");
    assert_eq!(&bytes[16..24], b"okapi\0\0\0");
    let config = AuthConfig::SimplePassword(password);
    assert_eq!(Packet::decode_verified(&bytes, &config), Ok(packet));

    // D.4.2: the checksum excludes the authentication field, so another password is still
    // a well-formed packet, refused by verification only.
    let mut other = bytes.to_vec();
    other[16..24].copy_from_slice(b"guess\0\0\0");
    assert!(Packet::decode(&other).is_ok());
    assert_eq!(Packet::decode_verified(&other, &config), Err(DecodeError::BadPassword));
    assert_eq!(
        Packet::decode_verified(&other, &AuthConfig::Null),
        Err(DecodeError::AuthTypeMismatch {
            configured: 0,
            received: 1
        })
    );
}

#[test]
fn null_authentication_ignores_the_field_and_checks_the_checksum() {
    let bytes = hello_packet(PacketAuth::Null).encode(&Md5Keys::new()).expect("encodes");
    assert_eq!(&bytes[14..24], &[0; 10]);
    // D.4.1: the authentication field "can contain anything; it is not examined".
    let mut anything = bytes.to_vec();
    anything[16..24].copy_from_slice(&[0xa5; 8]);
    assert!(Packet::decode_verified(&anything, &AuthConfig::Null).is_ok());

    let mut corrupt = bytes.to_vec();
    corrupt[40] ^= 0x80;
    let received = u16::from_be_bytes([corrupt[12], corrupt[13]]);
    assert_eq!(Packet::decode(&corrupt), Err(DecodeError::BadChecksum { received }));
    let md5 = AuthConfig::Md5(keys(&[(1, b"k")]));
    assert_eq!(
        Packet::decode_verified(&bytes, &md5),
        Err(DecodeError::AuthTypeMismatch {
            configured: 2,
            received: 0
        })
    );
}

#[test]
fn unknown_auth_types_are_refused() {
    let mut bytes = hello_packet(PacketAuth::Null)
        .encode(&Md5Keys::new())
        .expect("encodes")
        .to_vec();
    bytes[15] = 3;
    assert_eq!(Packet::decode(&bytes), Err(DecodeError::UnknownAuthType(3)));
}
