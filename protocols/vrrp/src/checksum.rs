//! The Internet checksum (RFC 1071) over a VRRP message, with the IPv4 or IPv6 pseudo-header
//! for VRRPv3 (RFC 5798 §5.2.8) and without for VRRPv2 (RFC 3768 §5.3.8).

use std::net::IpAddr;

/// IP protocol number of VRRP (RFC 5798 §5.1.1.3, §5.1.2.3).
pub const IP_PROTOCOL_VRRP: u8 = 112;

/// A running 16-bit ones'-complement sum over a stream of byte chunks of any length.
#[derive(Default)]
struct Sum {
    total: u64,
    /// The high byte of a 16-bit word whose low byte is in the next chunk.
    pending: Option<u8>,
}

impl Sum {
    fn add(&mut self, mut bytes: &[u8]) {
        if let Some(high) = self.pending.take() {
            match bytes.split_first() {
                Some((low, rest)) => {
                    self.total += u64::from(u16::from_be_bytes([high, *low]));
                    bytes = rest;
                }
                None => {
                    self.pending = Some(high);
                    return;
                }
            }
        }
        let mut words = bytes.chunks_exact(2);
        for word in &mut words {
            self.total += u64::from(u16::from_be_bytes([word[0], word[1]]));
        }
        self.pending = words.remainder().first().copied();
    }

    /// The ones' complement of the folded sum (an odd final byte is padded with zero).
    fn finish(mut self) -> u16 {
        if let Some(high) = self.pending.take() {
            self.total += u64::from(u16::from_be_bytes([high, 0]));
        }
        let mut folded = self.total;
        while folded >> 16 != 0 {
            folded = (folded & 0xffff) + (folded >> 16);
        }
        !(folded as u16)
    }
}

/// The Internet checksum of `chunks`, concatenated. Computed over a message whose checksum
/// field holds the transmitted value, it is 0 when that value is right.
pub fn internet_checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = Sum::default();
    for chunk in chunks {
        sum.add(chunk);
    }
    sum.finish()
}

/// RFC 5798 §5.2.8: the VRRPv3 checksum of `message` (its checksum field as it is), with the
/// pseudo-header of RFC 768 (IPv4) or RFC 8200 §8.1 (IPv6) for `source` and `destination`.
/// `None` when the two addresses are of different families or the message is longer than
/// the pseudo-header's length field.
pub fn v3_checksum(source: IpAddr, destination: IpAddr, message: &[&[u8]]) -> Option<u16> {
    let length: usize = message.iter().map(|chunk| chunk.len()).sum();
    let mut sum = Sum::default();
    match (source, destination) {
        // RFC 768: source, destination, zero, protocol, UDP-style length (16 bits).
        (IpAddr::V4(source), IpAddr::V4(destination)) => {
            let length = u16::try_from(length).ok()?;
            sum.add(&source.octets());
            sum.add(&destination.octets());
            sum.add(&[0, IP_PROTOCOL_VRRP]);
            sum.add(&length.to_be_bytes());
        }
        // RFC 8200 §8.1: source, destination, upper-layer length (32 bits), 3 zero bytes,
        // next header.
        (IpAddr::V6(source), IpAddr::V6(destination)) => {
            let length = u32::try_from(length).ok()?;
            sum.add(&source.octets());
            sum.add(&destination.octets());
            sum.add(&length.to_be_bytes());
            sum.add(&[0, 0, 0, IP_PROTOCOL_VRRP]);
        }
        _ => return None,
    }
    for chunk in message {
        sum.add(chunk);
    }
    Some(sum.finish())
}

/// RFC 3768 §5.3.8: the VRRPv2 checksum covers the VRRP message only.
pub fn v2_checksum(message: &[&[u8]]) -> u16 {
    internet_checksum(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_sums_to_ddf2() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
        assert_eq!(
            internet_checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
    }

    #[test]
    fn chunk_boundaries_at_odd_offsets_do_not_change_the_sum() {
        let bytes: Vec<u8> = (0u8..=40).map(|byte| byte.wrapping_mul(37)).collect();
        let whole = internet_checksum(&[&bytes]);
        for split in 0..bytes.len() {
            let (left, right) = bytes.split_at(split);
            assert_eq!(internet_checksum(&[left, right]), whole, "split at {split}");
        }
    }

    #[test]
    fn mixed_families_have_no_pseudo_header() {
        let v4 = IpAddr::from([10, 0, 0, 1]);
        let v6 = IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(v3_checksum(v4, v6, &[&[0; 8]]), None);
    }
}
