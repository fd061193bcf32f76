//! Where the files are, and the VRRP datagrams of a capture.

use std::path::PathBuf;

use okapi_capture::Datagram;
use okapi_vrrp::checksum::IP_PROTOCOL_VRRP;

/// The project's own captures (tests/fixtures/).
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The shared tcpdump corpus (`../shared/corpus/tcpdump` beside the checkout), when present.
pub fn tcpdump_corpus() -> Option<PathBuf> {
    okapi_capture::tcpdump_corpus(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// The VRRP datagrams (IPv4 and IPv6) of a capture file; with `hostile`, IPv4 fragments
/// too (tcpdump's malformed captures set MF on whole packets).
pub fn vrrp_datagrams(path: &std::path::Path, hostile: bool) -> Result<(usize, Vec<Datagram>), String> {
    let options = okapi_capture::Options {
        keep_ipv4_fragments: hostile,
    };
    let capture = okapi_capture::read_with(path, options)?;
    let datagrams = capture.protocol(IP_PROTOCOL_VRRP).cloned().collect();
    Ok((capture.frames, datagrams))
}
