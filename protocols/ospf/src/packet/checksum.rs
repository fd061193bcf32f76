//! The standard OSPF packet checksum (RFC 2328 A.3.1, D.4.1).
//!
//! "The checksum is the standard IP checksum of the entire contents of the packet, starting
//! with the OSPF packet header but excluding the 64-bit authentication field." An odd final
//! byte is padded with a zero byte. It is used with AuType 0 and 1; with cryptographic
//! authentication (AuType 2) it is not computed (D.4.3).

use super::header::{AUTHENTICATION_RANGE, CHECKSUM_RANGE};

/// The checksum to put in the header of `packet` (its checksum field's contents ignored).
pub(crate) fn compute(packet: &[u8]) -> u16 {
    // The sum includes the stored checksum word; taking it out is the same as summing with
    // a zero checksum field.
    !fold(ones_complement_sum(packet) - u32::from(stored(packet)))
}

/// True when the checksum field of `packet` verifies.
pub(crate) fn verify(packet: &[u8]) -> bool {
    fold(ones_complement_sum(packet)) == 0xffff
}

fn stored(packet: &[u8]) -> u16 {
    match packet.get(CHECKSUM_RANGE) {
        Some(&[high, low]) => u16::from_be_bytes([high, low]),
        _ => 0,
    }
}

/// The one's complement sum (unfolded) of the 16-bit words of `packet` outside the
/// authentication field, checksum field included.
fn ones_complement_sum(packet: &[u8]) -> u32 {
    let before = packet.get(..AUTHENTICATION_RANGE.start).unwrap_or(packet);
    let after = packet.get(AUTHENTICATION_RANGE.end..).unwrap_or(&[]);
    // Both parts start on an even offset, so they can be summed separately.
    word_sum(before) + word_sum(after)
}

fn word_sum(bytes: &[u8]) -> u32 {
    let mut words = bytes.chunks_exact(2);
    // A packet is at most 65535 bytes: 32768 words of at most 0xffff fit in a u32.
    let mut sum: u32 = words
        .by_ref()
        .map(|word| match word {
            [high, low] => u32::from(u16::from_be_bytes([*high, *low])),
            _ => 0,
        })
        .sum();
    if let [last] = words.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}
