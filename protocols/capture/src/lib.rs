//! A small, bounded reader of pcap and pcapng files for the protocol crates' codec tests,
//! and byte comparisons that fail with a hex diff.
//!
//! ```no_run
//! let capture = okapi_capture::read(std::path::Path::new("frr-pair.pcap")).unwrap();
//! for datagram in capture.protocol(89) {
//!     println!("frame {}: {} bytes of OSPF", datagram.frame, datagram.payload.len());
//! }
//! ```
//!
//! - `file.rs`: pcap and pcapng files to `(link type, frame)` pairs.
//! - `ip.rs`: link-layer headers, then IPv4 and IPv6 headers, to [`Datagram`]s.
//! - `hex_diff.rs`: [`hex_diff`] and [`assert_bytes_eq`].
//!
//! Every length comes from the file and is checked before use; the file size and the frame
//! count are capped.

mod file;
mod hex_diff;
mod ip;

use std::net::IpAddr;
use std::path::Path;

pub use hex_diff::{assert_bytes_eq, hex_diff};

/// The largest file [`read`] takes.
pub const MAX_FILE_LEN: u64 = 16 << 20;
/// The most frames [`read`] takes from one file.
pub const MAX_FRAMES: usize = 100_000;

/// The IP version of a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

/// One unfragmented IP datagram found in a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// The frame number in the file (1-based, as Wireshark counts).
    pub frame: usize,
    pub family: Family,
    pub source: IpAddr,
    pub destination: IpAddr,
    /// IPv4 protocol, or the IPv6 next header after a hop-by-hop options header if any.
    pub protocol: u8,
    pub ttl_or_hop_limit: u8,
    /// The bytes after the IP header(s), up to the IP length or the end of the captured frame.
    pub payload: Vec<u8>,
}

/// What a capture file held.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// Frames in the file.
    pub frames: usize,
    /// The unfragmented IPv4 and IPv6 datagrams, in frame order.
    pub datagrams: Vec<Datagram>,
}

impl Capture {
    /// The datagrams of one IP protocol (89 OSPF, 112 VRRP, ...).
    pub fn protocol(&self, protocol: u8) -> impl Iterator<Item = &Datagram> {
        self.datagrams
            .iter()
            .filter(move |datagram| datagram.protocol == protocol)
    }
}

/// Reads a pcap or pcapng file (told apart by its magic number).
///
/// Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked capture (SLL and SLL2), raw
/// IP, IPv4, IPv6, BSD loopback (NULL and LOOP). IPv4 fragments, IPv6 fragments and IPv6
/// extension headers other than hop-by-hop options are skipped.
pub fn read(path: &Path) -> Result<Capture, String> {
    read_with(path, Options::default())
}

/// How [`read_with`] treats what [`read`] skips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Keep IPv4 fragments (flag MF or an offset) as if they were whole datagrams: for
    /// corpus tests that feed hostile captures to a decoder. IPv6 fragments stay skipped.
    pub keep_ipv4_fragments: bool,
}

/// [`read`] with [`Options`].
pub fn read_with(path: &Path, options: Options) -> Result<Capture, String> {
    let length = std::fs::metadata(path).map_err(|error| error.to_string())?.len();
    if length > MAX_FILE_LEN {
        return Err(format!("{length} bytes is more than this reader takes"));
    }
    let data = std::fs::read(path).map_err(|error| error.to_string())?;
    parse_with(&data, options)
}

/// [`read`] on bytes already in memory.
pub fn parse(data: &[u8]) -> Result<Capture, String> {
    parse_with(data, Options::default())
}

/// [`read_with`] on bytes already in memory.
pub fn parse_with(data: &[u8], options: Options) -> Result<Capture, String> {
    let frames = file::frames(data)?;
    let mut capture = Capture {
        frames: frames.len(),
        datagrams: Vec::new(),
    };
    for (index, (link_type, frame)) in frames.into_iter().enumerate() {
        if let Some(datagram) = ip::link_payload(link_type, frame).and_then(|ip| ip::datagram(index + 1, ip, options)) {
            capture.datagrams.push(datagram);
        }
    }
    Ok(capture)
}

/// The shared tcpdump corpus (`shared/corpus/tcpdump` in a directory above `start`, the
/// crate's manifest directory for a test), when present: tests that read it skip without it.
pub fn tcpdump_corpus(start: &Path) -> Option<std::path::PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("shared/corpus/tcpdump"))
        .find(|dir| dir.is_dir())
}
