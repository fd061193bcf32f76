//! The two OSPF checksums written plainly from their RFCs, independently of the crate's
//! implementation, to build hand-edited test packets and to cross-check the crate.

/// The checksum of a whole LSA (age excluded, checksum field taken as zero).
pub fn lsa_checksum(lsa: &[u8]) -> u16 {
    let mut data = lsa[2..].to_vec();
    data[14] = 0;
    data[15] = 0;
    let (mut c0, mut c1) = (0i64, 0i64);
    for byte in &data {
        c0 = (c0 + i64::from(*byte)) % 255;
        c1 = (c1 + c0) % 255;
    }
    // The checksum is at the 15th and 16th octets of the checksummed data.
    let (n, k) = (data.len() as i64, 15i64);
    let x = ((n - k) * c0 - c1).rem_euclid(255);
    let y = (c1 - (n - k + 1) * c0).rem_euclid(255);
    let x = if x == 0 { 255 } else { x };
    let y = if y == 0 { 255 } else { y };
    ((x as u16) << 8) | y as u16
}

/// The standard OSPF packet checksum (RFC 2328 D.4.1): the IP checksum of the packet
/// without its 64-bit authentication field, the checksum field taken as zero.
pub fn packet_checksum(packet: &[u8]) -> u16 {
    let mut data = packet.to_vec();
    data[12] = 0;
    data[13] = 0;
    data.drain(16..24);
    if data.len() % 2 == 1 {
        data.push(0);
    }
    let mut sum: u32 = data
        .chunks(2)
        .map(|word| u32::from(word[0]) << 8 | u32::from(word[1]))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Rewrites the packet checksum of a hand-edited packet of at least 24 bytes.
pub fn fix_packet_checksum(bytes: &mut [u8]) {
    // Hand-edited lengths may be anything: checksum what a decoder would (at least the
    // header, at most the buffer).
    let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]])).clamp(24, bytes.len());
    let checksum = packet_checksum(&bytes[..length]);
    bytes[12..14].copy_from_slice(&checksum.to_be_bytes());
}
