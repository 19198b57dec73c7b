//! Block interleavers of the S1G data field and of the S1G_SHORT SIG field.
//!
//! Two permutations per OFDM symbol (802.11-2020 17.3.5.7 / 21.3.10.8, one stream, so the
//! third, frequency-rotation step is absent): adjacent coded bits go to distant tones, then
//! alternate between more and less significant constellation bits.

/// One interleaver, as a precomputed permutation (built once per format and MCS).
#[derive(Debug, Clone)]
pub struct Interleaver {
    /// `perm[k]` = position after interleaving of coded bit k.
    perm: Vec<u16>,
}

impl Interleaver {
    /// Interleaver for `n_cbps` coded bits per symbol, `n_bpscs` bits per tone, `n_col` columns.
    ///
    /// # Panics
    /// If `n_cbps` is not a multiple of `n_col`.
    pub fn new(n_cbps: usize, n_bpscs: usize, n_col: usize) -> Self {
        assert_eq!(
            n_cbps % n_col,
            0,
            "interleaver: {n_cbps} bits do not fill {n_col} columns"
        );
        let n_row = n_cbps / n_col;
        let s = (n_bpscs / 2).max(1);
        let perm = (0..n_cbps)
            .map(|k| {
                let i = n_row * (k % n_col) + k / n_col;
                let j = s * (i / s) + (i + n_cbps - (n_col * i / n_cbps)) % s;
                j as u16
            })
            .collect();
        Interleaver { perm }
    }

    /// Data-field interleaver of a format: 1 MHz 8 columns, 2 MHz 13 columns.
    pub fn for_data(format: crate::params::Format, mcs: crate::params::Mcs) -> Self {
        use crate::params::Format;
        let n_bpscs = mcs.modulation().bits_per_symbol();
        let n_col = match format {
            Format::S1g1M => 8,
            Format::S1gShort2M => 13,
        };
        Interleaver::new(format.n_cbps(mcs), n_bpscs, n_col)
    }

    /// The SIG interleaver of a format: the 1 MHz 24-bit data interleaver (MCS10 layout), or
    /// the 802.11a 48-tone one for S1G_SHORT.
    pub fn for_sig(format: crate::params::Format) -> Self {
        match format {
            crate::params::Format::S1g1M => Interleaver::new(24, 1, 8),
            crate::params::Format::S1gShort2M => Interleaver::for_sig_2m(),
        }
    }

    /// The 802.11a 48-tone BPSK interleaver the S1G_SHORT SIG uses (16 columns).
    pub fn for_sig_2m() -> Self {
        Interleaver::new(48, 1, 16)
    }

    /// Bits per symbol.
    pub fn len(&self) -> usize {
        self.perm.len()
    }

    /// Whether the interleaver is empty (never, for real formats).
    pub fn is_empty(&self) -> bool {
        self.perm.is_empty()
    }

    /// Interleaves one symbol's bits.
    pub fn interleave<T: Copy>(&self, input: &[T], out: &mut [T]) {
        for (k, &p) in self.perm.iter().enumerate() {
            out[p as usize] = input[k];
        }
    }

    /// Undoes [`Interleaver::interleave`] on one symbol's soft values.
    pub fn deinterleave<T: Copy>(&self, input: &[T], out: &mut [T]) {
        for (k, &p) in self.perm.iter().enumerate() {
            out[k] = input[p as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Format, Mcs};

    #[test]
    fn is_a_permutation_and_inverts() {
        for f in Format::ALL {
            for m in 0..=10u8 {
                let mcs = Mcs(m);
                if !f.supports(mcs) {
                    continue;
                }
                let il = Interleaver::for_data(f, mcs);
                let input: Vec<u32> = (0..il.len() as u32).collect();
                let mut mid = vec![0; il.len()];
                let mut back = vec![0; il.len()];
                il.interleave(&input, &mut mid);
                let mut sorted = mid.clone();
                sorted.sort();
                assert_eq!(sorted, input);
                il.deinterleave(&mid, &mut back);
                assert_eq!(back, input);
            }
        }
    }

    #[test]
    fn bpsk_48_matches_the_80211a_table() {
        // 802.11a BPSK (Ncbps 48): first permutation only; coded bit k goes to 3*(k mod 16) + k/16.
        let il = Interleaver::for_sig_2m();
        let input: Vec<u32> = (0..48).collect();
        let mut out = vec![0; 48];
        il.interleave(&input, &mut out);
        assert_eq!(out[0], 0);
        assert_eq!(out[3], 1);
        assert_eq!(out[1], 16);
        assert_eq!(out[2], 32);
        assert_eq!(out[45], 15);
    }
}
