//! The tcpdump test captures in `../shared/corpus/tcpdump/` (when present): every IPv4 OSPF
//! packet in every pcap/pcapng file either decodes and re-encodes to the same bytes, or is
//! refused with a reason. Some captures are deliberately malformed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use okapi_ospf::Packet;
use okapi_ospf::packet::Md5Keys;

use crate::support::hex_diff::hex_diff;
use crate::support::{digest_range, ospf_payloads, reencode, tcpdump_corpus};

#[test]
fn tcpdump_corpus_decodes_or_is_refused_never_panics() {
    let Some(dir) = tcpdump_corpus() else {
        println!("skipped: no shared/corpus/tcpdump directory beside the checkout");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable corpus")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "pcap" || extension == "pcapng")
        })
        .collect();
    files.sort();

    let mut decoded = 0;
    let mut rejected: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let capture = match okapi_capture::read(path) {
            Ok(capture) => capture,
            Err(error) => {
                println!("{name}: not read: {error}");
                continue;
            }
        };
        let ospf = ospf_payloads(&capture);
        println!("{name}: {} frames, {} IPv4 OSPF", capture.frames, ospf.len());
        for (frame, bytes) in &ospf {
            match Packet::decode(bytes) {
                Ok(packet) => {
                    decoded += 1;
                    // The corpus's MD5 keys are unknown: the digest is masked out.
                    let mut again = reencode(&packet, &Md5Keys::new());
                    let mut original = bytes.clone();
                    if let Some(range) = digest_range(&original) {
                        original[range.clone()].fill(0);
                        again[range].fill(0);
                    }
                    if again != original {
                        mismatches.push(format!("{name} frame {frame}:\n{}", hex_diff(&again, &original)));
                    }
                    println!(
                        "{name} frame {frame}: {:?}, {} bytes",
                        packet.packet_type(),
                        bytes.len()
                    );
                }
                Err(error) => {
                    *rejected.entry(error.reason()).or_default() += 1;
                    println!("{name} frame {frame}: refused: {error}");
                }
            }
        }
    }
    let refused: usize = rejected.values().sum();
    println!(
        "tcpdump corpus: {} files, {decoded} OSPFv2 packets decoded, {refused} refused {rejected:?}",
        files.len()
    );
    assert!(
        mismatches.is_empty(),
        "decoded packets that re-encode differently:\n{}",
        mismatches.join("\n")
    );
    assert!(decoded > 0, "the corpus holds OSPFv2 captures");
}
