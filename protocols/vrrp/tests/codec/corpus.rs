//! The tcpdump test captures `vrrp*.pcap` in `../shared/corpus/tcpdump/` (when present):
//! every VRRP datagram either decodes and re-encodes to the same bytes, or is refused with a
//! reason. Some captures are deliberately malformed (`vrrp_print-oobr*`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use okapi_capture::hex_diff;
use okapi_vrrp::{Advertisement, Version};

use crate::support::{tcpdump_corpus, vrrp_datagrams};

#[test]
fn tcpdump_vrrp_captures_decode_or_are_refused_never_panic() {
    let Some(dir) = tcpdump_corpus() else {
        println!("skipped: no shared/corpus/tcpdump directory beside the checkout");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable corpus")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.starts_with("vrrp") && (name.ends_with(".pcap") || name.ends_with(".pcapng"))
        })
        .collect();
    files.sort();

    let mut decoded: BTreeMap<(Version, bool), usize> = BTreeMap::new();
    let mut rejected: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (frames, datagrams) = match vrrp_datagrams(path, true) {
            Ok(read) => read,
            Err(error) => {
                println!("{name}: not read: {error}");
                continue;
            }
        };
        println!("{name}: {frames} frames, {} VRRP", datagrams.len());
        for datagram in &datagrams {
            let frame = datagram.frame;
            match Advertisement::decode(&datagram.payload, datagram.source, datagram.destination) {
                Ok(ad) => {
                    *decoded.entry((ad.version, datagram.source.is_ipv6())).or_default() += 1;
                    match ad.encode(datagram.source, datagram.destination) {
                        Ok(again) if again[..] == datagram.payload[..] => {}
                        Ok(again) => mismatches.push(format!(
                            "{name} frame {frame}:\n{}",
                            hex_diff(&again, &datagram.payload)
                        )),
                        Err(error) => mismatches.push(format!("{name} frame {frame}: does not re-encode: {error}")),
                    }
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
        "tcpdump corpus: {} files, decoded {decoded:?} (version, IPv6), {refused} refused {rejected:?}",
        files.len()
    );
    assert!(
        mismatches.is_empty(),
        "decoded advertisements that re-encode differently:\n{}",
        mismatches.join("\n")
    );
    let total: usize = decoded.values().sum();
    assert!(total > 0, "the corpus holds VRRP captures");
}
