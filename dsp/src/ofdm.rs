//! OFDM symbol assembly: tones → IFFT → scale → cyclic prefix, with the plan made once.

use crate::params::bin;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Builds time-domain OFDM symbols of one FFT size.
pub struct OfdmModulator {
    n: usize,
    ifft: Arc<dyn Fft<f32>>,
    grid: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl OfdmModulator {
    /// A modulator for `n`-point symbols.
    pub fn new(n: usize) -> Self {
        let ifft = FftPlanner::new().plan_fft_inverse(n);
        let scratch = vec![Complex32::new(0.0, 0.0); ifft.get_inplace_scratch_len()];
        OfdmModulator {
            n,
            ifft,
            grid: vec![Complex32::new(0.0, 0.0); n],
            scratch,
        }
    }

    /// Clears the tone grid.
    pub fn clear(&mut self) {
        self.grid.fill(Complex32::new(0.0, 0.0));
    }

    /// Sets subcarrier `k` (−n/2..n/2).
    #[inline]
    pub fn set(&mut self, k: i32, v: Complex32) {
        let b = bin(k, self.n);
        self.grid[b] = v;
    }

    /// Transforms the grid, scales it by `scale` and appends `cp` prefix samples plus the
    /// symbol to `out`. The grid is left cleared.
    pub fn emit(&mut self, scale: f32, cp: usize, out: &mut Vec<Complex32>) {
        self.ifft
            .process_with_scratch(&mut self.grid, &mut self.scratch);
        let n = self.n;
        out.extend(self.grid[n - cp..].iter().map(|&v| v * scale));
        out.extend(self.grid.iter().map(|&v| v * scale));
        self.clear();
    }
}
