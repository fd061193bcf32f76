//! A small, bounded reader of pcap and pcapng files that returns the payloads of the IPv4
//! protocol-89 (OSPF) datagrams they hold.
//!
//! Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked capture (SLL and SLL2),
//! raw IP, IPv4, BSD loopback (NULL and LOOP). IPv6 (OSPFv3) and IPv4 fragments are skipped.
//! Every length comes from the file and is checked before use; files, frames and frame
//! counts are capped.

use std::path::Path;

const MAX_FILE_LEN: u64 = 16 << 20;
const MAX_FRAMES: usize = 100_000;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];
const IP_PROTOCOL_OSPF: u8 = 89;
const AF_INET: u32 = 2;

/// What a capture file held.
#[derive(Debug, Default)]
pub struct Capture {
    /// Frames in the file.
    pub frames: usize,
    /// IPv4 OSPF payloads (the bytes after the IP header, up to the IP total length or the
    /// end of the captured frame), with the frame number (1-based).
    pub ospf: Vec<(usize, Vec<u8>)>,
}

pub fn read(path: &Path) -> Result<Capture, String> {
    let length = std::fs::metadata(path).map_err(|error| error.to_string())?.len();
    if length > MAX_FILE_LEN {
        return Err(format!("{length} bytes is more than this reader takes"));
    }
    let data = std::fs::read(path).map_err(|error| error.to_string())?;
    let frames = match data.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng_frames(&data)?,
        Some(_) => pcap_frames(&data)?,
        None => return Err("shorter than a magic number".into()),
    };
    let mut capture = Capture {
        frames: frames.len(),
        ospf: Vec::new(),
    };
    for (index, (link_type, frame)) in frames.into_iter().enumerate() {
        if let Some(payload) = link_payload(link_type, frame).and_then(ospf_payload) {
            capture.ospf.push((index + 1, payload.to_vec()));
        }
    }
    Ok(capture)
}

#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let raw: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(raw),
            Self::Big => u16::from_be_bytes(raw),
        })
    }

    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(match self {
            Self::Little => u32::from_le_bytes(raw),
            Self::Big => u32::from_be_bytes(raw),
        })
    }
}

/// Classic pcap: a 24-byte file header, then 16-byte record headers and frames.
fn pcap_frames(data: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    let endian = match Endian::Little.u32(data, 0) {
        Some(0xa1b2_c3d4 | 0xa1b2_3c4d) => Endian::Little,
        Some(0xd4c3_b2a1 | 0x4d3c_b2a1) => Endian::Big,
        _ => return Err("not a pcap or pcapng file".into()),
    };
    let link_type = endian.u32(data, 20).ok_or("truncated pcap header")?;
    let mut frames = Vec::new();
    let mut at = 24;
    while at < data.len() {
        let captured = endian.u32(data, at + 8).ok_or("truncated record header")? as usize;
        let frame = data
            .get(at + 16..at + 16 + captured)
            .ok_or("record runs past the end of the file")?;
        push_frame(&mut frames, link_type, frame)?;
        at += 16 + captured;
    }
    Ok(frames)
}

/// pcapng: blocks of (type, total length, body, total length); interface description blocks
/// give each interface's link type.
fn pcapng_frames(data: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    let mut frames = Vec::new();
    let mut interfaces: Vec<u32> = Vec::new();
    let mut endian = Endian::Little;
    let mut at = 0;
    while at < data.len() {
        if data.get(at..at + 4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            // Section header: the byte-order magic sets the endianness of the section.
            endian = match Endian::Little.u32(data, at + 8) {
                Some(0x1a2b_3c4d) => Endian::Little,
                Some(0x4d3c_2b1a) => Endian::Big,
                _ => return Err("bad pcapng byte-order magic".into()),
            };
            interfaces.clear();
        }
        let block_type = endian.u32(data, at).ok_or("truncated block header")?;
        let block_len = endian.u32(data, at + 4).ok_or("truncated block header")? as usize;
        if block_len < 12 || block_len % 4 != 0 {
            return Err(format!("bad block length {block_len}"));
        }
        let body = data
            .get(at + 8..at + block_len - 4)
            .ok_or("block runs past the end of the file")?;
        match block_type {
            // Interface description block.
            1 => interfaces.push(u32::from(endian.u16(body, 0).ok_or("truncated interface block")?)),
            // Enhanced packet block.
            6 => {
                let interface = endian.u32(body, 0).ok_or("truncated packet block")? as usize;
                let captured = endian.u32(body, 12).ok_or("truncated packet block")? as usize;
                let frame = body.get(20..20 + captured).ok_or("packet runs past its block")?;
                let link_type = *interfaces.get(interface).ok_or("packet on an undescribed interface")?;
                push_frame(&mut frames, link_type, frame)?;
            }
            // Simple packet block: interface 0, the frame fills the block.
            3 => {
                let original = endian.u32(body, 0).ok_or("truncated simple packet block")? as usize;
                let frame = body.get(4..).unwrap_or(&[]);
                let frame = frame.get(..original.min(frame.len())).unwrap_or(frame);
                let link_type = *interfaces.first().ok_or("packet before any interface")?;
                push_frame(&mut frames, link_type, frame)?;
            }
            // Obsolete packet block.
            2 => {
                let interface = usize::from(endian.u16(body, 0).ok_or("truncated packet block")?);
                let captured = endian.u32(body, 12).ok_or("truncated packet block")? as usize;
                let frame = body.get(20..20 + captured).ok_or("packet runs past its block")?;
                let link_type = *interfaces.get(interface).ok_or("packet on an undescribed interface")?;
                push_frame(&mut frames, link_type, frame)?;
            }
            _ => {}
        }
        at += block_len;
    }
    Ok(frames)
}

fn push_frame<'a>(frames: &mut Vec<(u32, &'a [u8])>, link_type: u32, frame: &'a [u8]) -> Result<(), String> {
    if frames.len() >= MAX_FRAMES {
        return Err(format!("more than {MAX_FRAMES} frames"));
    }
    frames.push((link_type, frame));
    Ok(())
}

/// The IPv4 datagram inside a frame, if it holds one.
fn link_payload(link_type: u32, frame: &[u8]) -> Option<&[u8]> {
    let network = Endian::Big;
    match link_type {
        // LINKTYPE_ETHERNET: skip VLAN tags to the EtherType.
        1 => {
            let mut at = 12;
            let mut ethertype = network.u16(frame, at)?;
            while ETHERTYPE_VLAN.contains(&ethertype) {
                at += 4;
                ethertype = network.u16(frame, at)?;
            }
            (ethertype == ETHERTYPE_IPV4).then(|| frame.get(at + 2..)).flatten()
        }
        // LINKTYPE_LINUX_SLL: protocol at 14, 16-byte header.
        113 => (network.u16(frame, 14)? == ETHERTYPE_IPV4)
            .then(|| frame.get(16..))
            .flatten(),
        // LINKTYPE_LINUX_SLL2: protocol at 0, 20-byte header.
        276 => (network.u16(frame, 0)? == ETHERTYPE_IPV4)
            .then(|| frame.get(20..))
            .flatten(),
        // LINKTYPE_RAW (and DLT_RAW's values 12 and 14 on some systems), LINKTYPE_IPV4.
        101 | 12 | 14 | 228 => Some(frame),
        // LINKTYPE_NULL (host byte order) and LINKTYPE_LOOP (network byte order).
        0 | 108 => {
            let family = network.u32(frame, 0)?;
            (family == AF_INET || family.swap_bytes() == AF_INET)
                .then(|| frame.get(4..))
                .flatten()
        }
        _ => None,
    }
}

/// The payload of an unfragmented IPv4 datagram of protocol 89.
fn ospf_payload(ip: &[u8]) -> Option<&[u8]> {
    let first = *ip.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let header_len = usize::from(first & 0x0f) * 4;
    let total_len = usize::from(Endian::Big.u16(ip, 2)?);
    let fragment = Endian::Big.u16(ip, 6)?;
    let more_fragments_or_offset = fragment & 0x3fff != 0;
    if header_len < 20 || total_len < header_len || more_fragments_or_offset || *ip.get(9)? != IP_PROTOCOL_OSPF {
        return None;
    }
    ip.get(header_len..total_len.min(ip.len()))
}
