//! The LSA checksum (RFC 2328 §12.1.7): the Fletcher checksum of ISO 8473 Annex C (as
//! described in RFC 1008 §7), over the whole LSA except its LS age field.
//!
//! Verification sums the bytes including the checksum: both running sums must be zero
//! (mod 255). Generation computes the two checksum bytes so that they are; a byte that
//! comes out 0 is sent as 255 (the same value mod 255), as RFC 1008 and FRR do.

/// Where the checksum starts within the LSA.
const CHECKSUM_OFFSET: usize = 16;
/// The checksummed bytes start after the 2-byte age.
const AGE_LEN: usize = 2;

/// The checksum for `lsa` (a whole LSA, header included; its checksum field is ignored).
pub(crate) fn compute(lsa: &[u8]) -> u16 {
    let data = lsa.get(AGE_LEN..).unwrap_or(&[]);
    let checksum_at = CHECKSUM_OFFSET - AGE_LEN;
    let (c0, c1) = fletcher_sums(data.iter().enumerate().map(|(index, byte)| {
        if index == checksum_at || index == checksum_at + 1 {
            0
        } else {
            *byte
        }
    }));
    // RFC 1008 §7: with n bytes and the checksum at (1-based) position k,
    // X = (n - k) * C0 - C1 and Y = C1 - (n - k + 1) * C0 = -C0 - X (mod 255).
    let n_minus_k = data.len() as i64 - (checksum_at as i64 + 1);
    let x = nonzero_mod_255(n_minus_k * c0 - c1);
    let y = nonzero_mod_255(-c0 - x);
    ((x as u16) << 8) | y as u16
}

/// True when the checksum of `lsa` verifies.
pub(crate) fn verify(lsa: &[u8]) -> bool {
    let (c0, c1) = fletcher_sums(lsa.get(AGE_LEN..).unwrap_or(&[]).iter().copied());
    c0 == 0 && c1 == 0
}

/// C0 = sum of the bytes and C1 = sum of the running C0, both mod 255. An LSA is at most
/// 65535 bytes, so the sums fit in an i64 before the final reduction.
fn fletcher_sums(bytes: impl Iterator<Item = u8>) -> (i64, i64) {
    let (c0, c1) = bytes.fold((0i64, 0i64), |(c0, c1), byte| {
        let c0 = c0 + i64::from(byte);
        (c0, c1 + c0)
    });
    (c0 % 255, c1 % 255)
}

/// `value` mod 255 in 1..=255 (0 is written as 255).
fn nonzero_mod_255(value: i64) -> i64 {
    match value.rem_euclid(255) {
        0 => 255,
        rest => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FRR's Router-LSA of 10.0.0.1 from tests/fixtures/frr-pair.pcap (checksum 0xdaec).
    const ROUTER_LSA: [u8; 60] = [
        0x00, 0x01, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x03, 0xda, 0xec,
        0x00, 0x3c, 0x00, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x0c, 0x01, 0x01, 0x00, 0x00, 0x0a,
        0x0a, 0x00, 0x0c, 0x00, 0xff, 0xff, 0xff, 0xfc, 0x03, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x01, 0xff, 0xff,
        0xff, 0xff, 0x03, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn verifies_and_recomputes_a_real_checksum() {
        assert!(verify(&ROUTER_LSA));
        assert_eq!(compute(&ROUTER_LSA), 0xdaec);
    }

    #[test]
    fn age_is_not_covered() {
        let mut aged = ROUTER_LSA;
        aged[0] = 0x0e;
        aged[1] = 0x10;
        assert!(verify(&aged));
        assert_eq!(compute(&aged), 0xdaec);
    }

    #[test]
    fn a_flipped_bit_fails() {
        let mut corrupt = ROUTER_LSA;
        corrupt[50] ^= 0x01;
        assert!(!verify(&corrupt));
    }

    #[test]
    fn computed_checksums_verify() {
        let mut lsa = ROUTER_LSA;
        for fill in 0..=255u8 {
            lsa[44] = fill;
            lsa[59] = fill.wrapping_mul(7);
            let [high, low] = compute(&lsa).to_be_bytes();
            lsa[16] = high;
            lsa[17] = low;
            assert!(verify(&lsa), "fill {fill}");
        }
    }
}
