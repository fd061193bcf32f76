//! Inputs the fuzzer (fuzz/fuzz_targets/decode_packet.rs) found or that exercise the paths it
//! reaches, kept as regression tests: each must decode or fail without panicking, and what
//! decodes must encode. Files live in tests/fixtures/fuzz-regressions/.

use okapi_ospf::packet::{AuthConfig, Md5Key, Packet, PacketAuth};

use crate::support::fixture;

#[test]
fn fuzz_regressions_decode_or_fail_cleanly() {
    let dir = fixture("fuzz-regressions");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("the regression directory exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file() && path.extension().is_none_or(|extension| extension != "md"))
        .collect();
    inputs.sort();
    let md5 = AuthConfig::Md5([(1, Md5Key::new(b"fuzz").expect("short"))].into_iter().collect());
    for path in &inputs {
        let bytes = std::fs::read(path).expect("readable");
        let _ = Packet::decode_verified(&bytes, &md5);
        if let Ok(packet) = Packet::decode(&bytes) {
            let mut keys = okapi_ospf::Md5Keys::new();
            if let PacketAuth::Cryptographic { key_id, .. } = packet.auth {
                keys.insert(key_id, Md5Key::new(b"fuzz").expect("short"));
            }
            packet
                .encode(&keys)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        }
    }
    println!("{} fuzz regression inputs", inputs.len());
}
