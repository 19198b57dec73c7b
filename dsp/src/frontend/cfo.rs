//! The SID filter's coarse frequency-offset word: the angle of the STF detector's lag-8
//! correlation `(Cr', Ci')` ([`super::detect`], the software receiver's coarse CFO) turned
//! into the frequency word of a derotating NCO ([`super::ddc`]), by CORDIC — the arithmetic
//! of the rust-hdl block `subgate_gateware::cfo::CfoWord`, bit for bit and clock for clock.
//!
//! - `C = Σ r[k]·conj(r[k+8])` has angle `−2π·f·8` for an offset of `f` cycles per sample,
//!   so the word that moves the frame back to 0 Hz, `w = −f·2³²` (the DDC's convention), is
//!   the angle in turns times `2³²/8`;
//! - inputs scaled to 26-bit words (`· 2⁸`); a vector in the left half-plane is turned by
//!   half a turn first (`x, y ← −x, −y`, `z = 2³¹`); then [`ITERATIONS`] vectoring steps
//!   `i`: with `y ≥ 0`, `x += y >> i`, `y −= x >> i`, `z += A_i`, else the other way, where
//!   `A_i = round(atan(2⁻ⁱ) / 2π · 2³²)` ([`angles`]); `z` wraps in 32 bits (turns · 2³²);
//! - the word is `(z + 4) >> 3` (arithmetic, 32 bits): within one part in 2¹⁶ of a turn of
//!   the exact angle over the lag, far below what the 15-bit correlation itself resolves;
//! - timing: `start` with the correlation at clock `c` (taken when idle), the word and
//!   `done` at `c + `[`DONE`]; a start is taken again from `c + DONE + 1`.

use std::f64::consts::PI;

/// CORDIC steps.
pub const ITERATIONS: usize = 18;
/// Clocks from `start` to `done`: load, the steps (two clocks each: the shifts, then the
/// sums), the word.
pub const DONE: u64 = 2 * ITERATIONS as u64 + 1;
/// The lag of the detector's correlation (one 1 MHz STF period).
pub const LAG: u32 = 8;

/// `round(atan(2⁻ⁱ) / 2π · 2³²)` for each step.
pub fn angles() -> [u32; ITERATIONS] {
    let mut a = [0u32; ITERATIONS];
    for (i, v) in a.iter_mut().enumerate() {
        *v = ((0.5f64.powi(i as i32)).atan() / (2.0 * PI) * 4_294_967_296.0).round() as u32;
    }
    a
}

/// The angle of `(re, im)` in turns · 2³² (wrapping), as the block computes it.
pub fn angle(re: i16, im: i16) -> u32 {
    let a = angles();
    let (mut x, mut y) = (i64::from(re) << 8, i64::from(im) << 8);
    let mut z = 0u32;
    if x < 0 {
        x = -x;
        y = -y;
        z = 1 << 31;
    }
    for (i, &ai) in a.iter().enumerate() {
        let (dx, dy) = (y >> i, x >> i);
        if y >= 0 {
            x += dx;
            y -= dy;
            z = z.wrapping_add(ai);
        } else {
            x -= dx;
            y += dy;
            z = z.wrapping_sub(ai);
        }
    }
    z
}

/// The derotating NCO's frequency word for the correlation `(re, im)`.
pub fn word(re: i16, im: i16) -> i32 {
    (angle(re, im).wrapping_add(4) as i32) >> 3
}

/// The offset, in cycles per sample, that a word undoes (`−w / 2³²`).
pub fn offset_of(w: i32) -> f64 {
    -f64::from(w) / 4_294_967_296.0
}

/// One clock of the block's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CfoClock {
    /// Nothing (junk on the inputs).
    Idle,
    /// `start` with a correlation (ignored while busy).
    Start(i16, i16),
}

/// What the block gives for `clocks`: `(clock of done, word)` per start taken.
pub fn expected(clocks: &[CfoClock]) -> Vec<(u64, i32)> {
    let mut out = Vec::new();
    let mut free_from = 0u64;
    for (c, x) in clocks.iter().enumerate() {
        let c = c as u64;
        if let CfoClock::Start(re, im) = *x {
            if c >= free_from {
                out.push((c + DONE, word(re, im)));
                free_from = c + DONE + 1;
            }
        }
    }
    out
}

/// Test stimulus: `n` starts — random correlations of every size, the axes and the extremes
/// (±32767, −32768, 0) — 0–30 idle clocks after each one's `done`, and now and then a
/// start while busy (ignored).
pub fn stimulus(n: usize, seed: u64) -> Vec<CfoClock> {
    let mut rng = crate::rng::Rng::new(seed);
    let corners = [-32768i16, -32767, -1, 0, 1, 32767];
    let mut clocks = Vec::new();
    for k in 0..n {
        let v = |rng: &mut crate::rng::Rng| -> i16 {
            match rng.below(8) {
                0 => corners[rng.below(corners.len() as u64) as usize],
                1 => (rng.below(64) as i16) - 32,
                _ => {
                    let bits = 1 + rng.below(16) as u32;
                    (rng.next_u64() as i16) >> (16 - bits)
                }
            }
        };
        let (re, im) = if k < corners.len() * corners.len() {
            (corners[k / corners.len()], corners[k % corners.len()])
        } else {
            (v(&mut rng), v(&mut rng))
        };
        clocks.push(CfoClock::Start(re, im));
        for j in 0..DONE + rng.below(31) {
            if j == 3 && rng.below(10) == 0 {
                clocks.push(CfoClock::Start(v(&mut rng), v(&mut rng)));
            } else {
                clocks.push(CfoClock::Idle);
            }
        }
    }
    clocks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word against the exact angle over every direction and size: within a few units
    /// of `2³²/8` turns' resolution while the vector has a few bits, and the offset it
    /// undoes is the offset that made the correlation.
    #[test]
    fn word_follows_the_exact_angle() {
        let mut n = 0;
        let mut line = String::new();
        for mag in [3.0f64, 30.0, 300.0, 3000.0, 32000.0] {
            let mut worst = 0f64;
            for k in 0..3600 {
                let th = (k as f64 / 3600.0 - 0.5) * 2.0 * PI;
                let (re, im) = ((mag * th.cos()).round(), (mag * th.sin()).round());
                let exact = im.atan2(re) / (2.0 * PI) / 8.0 * 4_294_967_296.0;
                let w = f64::from(word(re as i16, im as i16));
                // compare on the circle of words (2²⁹ per turn of the correlation)
                let mut d = (w - exact).rem_euclid(536_870_912.0);
                if d > 268_435_456.0 {
                    d -= 536_870_912.0;
                }
                worst = worst.max(d.abs());
                n += 1;
            }
            line += &format!(" |C| {mag}: {worst:.0};");
            // 18 steps leave under 1000 word units; a short vector loses more in the
            // shifts (as 1/|C|). One unit is 2.3e−4 Hz at 1 Msps: the worst, at |C| = 3,
            // is 46 Hz against the 31.25 kHz subcarrier spacing
            let allowed = 1000.0 + 900_000.0 / mag;
            assert!(worst <= allowed, "|C| {mag}: worst {worst}");
        }
        println!("cfo: {n} directions, worst word error (2⁻³² cycles/sample):{line}");
        // a correlation made by an offset gives it back
        for f in [-0.06f64, -0.037, -0.001, 0.0, 0.012, 0.037, 0.0612] {
            let th = -2.0 * PI * f * 8.0;
            let w = word((20000.0 * th.cos()) as i16, (20000.0 * th.sin()) as i16);
            assert!((offset_of(w) - f).abs() < 2e-6, "{f}: {}", offset_of(w));
        }
    }

    #[test]
    fn expected_ignores_starts_while_busy() {
        let stim = stimulus(200, 1);
        let got = expected(&stim);
        let starts = stim
            .iter()
            .filter(|c| matches!(c, CfoClock::Start(..)))
            .count();
        assert_eq!(got.len(), 200);
        assert!(starts > 200, "some starts while busy: {starts}");
    }
}
