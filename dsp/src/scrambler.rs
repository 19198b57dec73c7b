//! The 802.11 data scrambler, x^7 + x^4 + 1, and the pilot polarity sequence it generates.

/// Seven-bit LFSR. Each step outputs x7 ⊕ x4 and shifts that bit in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scrambler {
    state: u8,
}

impl Scrambler {
    /// A scrambler whose register holds `seed` (bit 6 = x7 … bit 0 = x1). A zero seed would
    /// produce all zeros; callers reject it.
    pub const fn new(seed: u8) -> Self {
        Scrambler { state: seed & 0x7F }
    }

    /// Next sequence bit (0 or 1).
    #[inline]
    pub fn next_bit(&mut self) -> u8 {
        let out = ((self.state >> 6) ^ (self.state >> 3)) & 1;
        self.state = ((self.state << 1) | out) & 0x7F;
        out
    }

    /// XORs the sequence into `bits` (one bit per byte).
    pub fn apply(&mut self, bits: &mut [u8]) {
        for b in bits {
            *b ^= self.next_bit();
        }
    }

    /// The scrambler whose next output follows the seven sequence bits `first7` just seen:
    /// after seven steps the register holds exactly the last seven outputs.
    pub fn from_first_outputs(first7: &[u8; 7]) -> Self {
        let mut s = 0u8;
        for &b in first7 {
            s = (s << 1) | (b & 1);
        }
        Scrambler::new(s)
    }

    /// Register value that, after seven steps, has output `first7`. Used to report the seed.
    pub fn seed_for_first_outputs(first7: &[u8; 7]) -> u8 {
        // Run the recurrence backwards: out_n = x7 ⊕ x4 of the register before step n.
        // Brute force over 127 seeds is simplest and only runs once per frame.
        (1u8..=127)
            .find(|&seed| {
                let mut s = Scrambler::new(seed);
                first7.iter().all(|&b| s.next_bit() == b)
            })
            .unwrap_or(0)
    }
}

/// The 127-long pilot polarity sequence p_0..p_126 as ±1: the scrambler's output from the
/// all-ones state with 0 → +1 and 1 → −1 (802.11-2020 17.3.5.10).
pub const POLARITY: [i8; 127] = {
    let mut p = [0i8; 127];
    let mut state = 0x7Fu8;
    let mut i = 0;
    while i < 127 {
        let out = ((state >> 6) ^ (state >> 3)) & 1;
        state = ((state << 1) | out) & 0x7F;
        p[i] = if out == 0 { 1 } else { -1 };
        i += 1;
    }
    p
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_ones_sequence_matches_the_standard() {
        // 802.11-2020 17.3.5.5: the all-ones state generates the 127-bit sequence starting
        // 00001110 11110010 11001001 00000010 00100110 00101110 10110110 00001100 …
        let want = "00001110111100101100100100000010001001100010111010110110000011001101010011100111101101000010101011111010010100011011100011111111";
        let mut s = Scrambler::new(0x7F);
        let got: String = (0..127).map(|_| char::from(b'0' + s.next_bit())).collect();
        assert_eq!(got, &want[..127]);
    }

    #[test]
    fn polarity_starts_as_published() {
        // 802.11-2020 Eq. 17-25: p = {1,1,1,1,-1,-1,-1,1,-1,-1,-1,-1,1,1,-1,1,-1,-1,1,1,-1,1,1,-1, …, -1,-1,-1}
        assert_eq!(
            POLARITY[..24],
            [1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, -1, 1, 1, -1, 1, -1, -1, 1, 1, -1, 1, 1, -1]
        );
        assert_eq!(POLARITY[120..], [-1, -1, -1, -1, -1, -1, -1]);
    }

    #[test]
    fn descrambler_recovers_state_from_seven_bits() {
        for seed in 1..=127u8 {
            let mut tx = Scrambler::new(seed);
            let first: Vec<u8> = (0..7).map(|_| tx.next_bit()).collect();
            let first: [u8; 7] = first.try_into().unwrap_or([0; 7]);
            let mut rx = Scrambler::from_first_outputs(&first);
            for _ in 0..50 {
                assert_eq!(rx.next_bit(), tx.next_bit());
            }
            assert_eq!(Scrambler::seed_for_first_outputs(&first), seed);
        }
    }
}
