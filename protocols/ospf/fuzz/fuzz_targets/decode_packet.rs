//! Decodes arbitrary bytes as an OSPFv2 packet, without and with MD5 verification; what
//! decodes must encode, and the encoding must decode to the same packet.

#![no_main]

use libfuzzer_sys::fuzz_target;
use okapi_ospf::packet::{AuthConfig, Md5Key, Md5Keys, Packet, PacketAuth};

fuzz_target!(|data: &[u8]| {
    let Some(key) = Md5Key::new(b"fuzz") else { return };
    let keys: Md5Keys = [(1, key.clone())].into_iter().collect();
    let _ = Packet::decode_verified(data, &AuthConfig::Md5(keys));
    let _ = Packet::decode_verified(data, &AuthConfig::Null);
    let Ok(packet) = Packet::decode(data) else { return };
    let mut keys = Md5Keys::new();
    if let PacketAuth::Cryptographic { key_id, .. } = packet.auth {
        keys.insert(key_id, key);
    }
    let encoded = packet.encode(&keys).expect("a decoded packet encodes");
    let again = Packet::decode(&encoded).expect("an encoded packet decodes");
    assert_eq!(again, packet);
});
