//! pcap and pcapng files to `(link type, frame)` pairs. Every offset is checked against the
//! data; the frame count is capped at [`MAX_FRAMES`].

use crate::MAX_FRAMES;

/// The frames of a pcap or pcapng file, each with its link type.
pub(crate) fn frames(data: &[u8]) -> Result<Vec<(u32, &[u8])>, String> {
    match data.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng_frames(data),
        Some(_) => pcap_frames(data),
        None => Err("shorter than a magic number".into()),
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let raw: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(match self {
            Self::Little => u16::from_le_bytes(raw),
            Self::Big => u16::from_be_bytes(raw),
        })
    }

    pub(crate) fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
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
