//! Checksums the PHY touches: the 802.11 FCS (CRC-32) for the caller, the SIG CRC-4, and the
//! A-MPDU delimiter CRC-8.

/// Reflected CRC-32 polynomial of IEEE 802.3 / 802.11 (x^32 + x^26 + … + 1).
const CRC32_POLY_REFLECTED: u32 = 0xEDB8_8320;
/// `crc32` of data followed by its own FCS (the register residue 0xDEBB20E3, inverted).
const CRC32_RESIDUE: u32 = 0x2144_DF1C;

const CRC32_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ CRC32_POLY_REFLECTED
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 of `data` as the 802.11 FCS computes it (init all ones, reflected, final inversion).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = CRC32_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// Appends the FCS (CRC-32, little endian as it goes on air) to `frame`.
pub fn append_fcs(frame: &mut Vec<u8>) {
    let c = crc32(frame);
    frame.extend_from_slice(&c.to_le_bytes());
}

/// Whether the last four bytes of `frame` are a correct FCS over the bytes before them.
pub fn fcs_ok(frame: &[u8]) -> bool {
    frame.len() >= 4 && crc32(frame) == CRC32_RESIDUE
}

/// S1G SIG CRC-4: x^4 + x + 1, register preset to ones, output complemented, sent c3 first.
///
/// `bits` are the SIG bits in transmission order (one bit per byte, 0 or 1). Returns the four
/// CRC bits in transmission order (c3, c2, c1, c0).
pub fn sig_crc4(bits: &[u8]) -> [u8; 4] {
    let mut reg = [1u8; 4]; // reg[i] holds c_i
    for &b in bits {
        let fb = (b & 1) ^ reg[3];
        reg[3] = reg[2];
        reg[2] = reg[1];
        reg[1] = reg[0] ^ fb;
        reg[0] = fb;
    }
    [reg[3] ^ 1, reg[2] ^ 1, reg[1] ^ 1, reg[0] ^ 1]
}

/// CRC-8 of an A-MPDU delimiter (x^8 + x^2 + x + 1, preset ones, complemented), over the
/// first 16 delimiter bits in transmission order (b0 of byte 0 first). Returns the byte
/// as it is stored in the delimiter (c7 in the least significant bit, as 802.11 sends c7 first).
pub fn delimiter_crc8(first_two: [u8; 2]) -> u8 {
    let mut reg = 0xFFu8; // bit i holds c_i
    for byte in first_two {
        for i in 0..8 {
            let b = (byte >> i) & 1;
            let fb = b ^ (reg >> 7);
            reg <<= 1;
            if fb != 0 {
                reg ^= 0x07;
            }
        }
    }
    let c = !reg;
    // transmit c7 first: c7 goes to bit 0 of the octet
    c.reverse_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard CRC-32 check value over ASCII "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn fcs_round_trip_and_residue() {
        let mut f = b"an 802.11 frame body".to_vec();
        append_fcs(&mut f);
        assert!(fcs_ok(&f));
        f[3] ^= 0x10;
        assert!(!fcs_ok(&f));
        assert!(!fcs_ok(&[0, 1, 2]));
    }

    #[test]
    fn crc4_detects_every_single_bit_error() {
        let bits: Vec<u8> = (0..26).map(|i| ((i * 7 + 3) % 5 == 0) as u8).collect();
        let c = sig_crc4(&bits);
        for i in 0..bits.len() {
            let mut b = bits.clone();
            b[i] ^= 1;
            assert_ne!(sig_crc4(&b), c, "bit {i}");
        }
    }

    #[test]
    fn crc4_standard_example() {
        // 802.11-2020 23.3.8.2.2.6 example: m0..m25 = 1101100111011010011110111 1 → c3..c0 = 0101.
        let m = [
            1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1,
        ];
        assert_eq!(sig_crc4(&m), [0, 1, 0, 1]);
    }

    #[test]
    fn crc8_matches_a_bitwise_shift_register() {
        // Galois shift register for x^8 + x^2 + x + 1, preset ones, complemented, c7 sent first.
        fn reference(bits: &[u8]) -> [u8; 8] {
            let mut c = [1u8; 8];
            for &b in bits {
                let fb = b ^ c[7];
                for i in (1..8).rev() {
                    c[i] = c[i - 1];
                }
                c[0] = fb;
                c[1] ^= fb;
                c[2] ^= fb;
            }
            let mut out = [0u8; 8];
            for i in 0..8 {
                out[i] = c[7 - i] ^ 1;
            }
            out
        }
        for v in [0u16, 1, 0x1234, 0xFFFF, 0x8001, 0x0410] {
            let bits: Vec<u8> = (0..16).map(|i| ((v >> i) & 1) as u8).collect();
            let got = delimiter_crc8(v.to_le_bytes());
            let got_bits: Vec<u8> = (0..8).map(|i| (got >> i) & 1).collect();
            assert_eq!(got_bits, reference(&bits), "value {v:#x}");
        }
    }
}
