//! The front-end models in the receive loop: a 1 MHz channel's samples go through what the
//! board would do to them — moved into a 16 Msps band at an offset, quantised to the ADC's
//! 16 bits, then the channel model of [`super::channel`] (DDC back to baseband, decimation,
//! STF detector, burst gate) — and come back as the bursts the host would receive, so a
//! receiver can decode them and a PER sweep can show what the board costs (docs/gateware.md).

use super::channel::{Channel, ChannelSettings};
use super::{burst::BurstOutput, ddc, decim, detect, to_fixed};
use crate::resample::resample;
use num_complex::Complex32;

/// ADC rate of the board path: 16 Msps, decimated by 16 to the 1 MHz channel.
pub const ADC_RATE: f64 = 16e6;
/// Channel rate the path takes in and gives back (1 MHz S1G).
pub const CHANNEL_RATE: f64 = ADC_RATE / decim::DECIMATION as f64;

/// `y` (a 1 MHz channel's samples) as the band would carry it: resampled to [`ADC_RATE`]
/// and moved to `offset_hz`.
pub fn to_band(y: &[Complex32], offset_hz: f64) -> Vec<Complex32> {
    let mut wide = resample(y, CHANNEL_RATE, ADC_RATE);
    let w = 2.0 * std::f64::consts::PI * offset_hz / ADC_RATE;
    for (n, x) in wide.iter_mut().enumerate() {
        let (s, c) = (w * n as f64).sin_cos();
        *x *= Complex32::new(c as f32, s as f32);
    }
    wide
}

/// How the board path is set up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoardPath {
    /// Where in the 16 Msps band the channel sits, Hz.
    pub offset_hz: f64,
    /// Scale from the input's floating-point samples to the ADC's 16 bits (the input's noise
    /// has unit power in the PER sweeps, so 128 puts it at 128 LSB rms, 64 after the DDC).
    pub scale: f32,
    /// Detector threshold word.
    pub threshold: u16,
    /// Samples forwarded after the last detection.
    pub hold: u16,
    /// Pre-trigger samples.
    pub pre: usize,
}

impl Default for BoardPath {
    /// +3 MHz, scale 128, the receiver's threshold 0.3, hold 30 000 samples (longer than a
    /// 256-byte MCS10 frame), the gateware's default pre-trigger.
    fn default() -> Self {
        BoardPath {
            offset_hz: 3e6,
            scale: 128.0,
            threshold: detect::threshold_word(0.3),
            hold: 30_000,
            pre: super::burst::DEFAULT_PRE,
        }
    }
}

impl BoardPath {
    /// The bursts the board would forward from `y` (1 MHz samples), as floating-point
    /// samples on the input's scale. `pre` zeros follow the stream (as the band goes on), so
    /// the last samples leave the pre-trigger FIFO.
    pub fn bursts(&self, y: &[Complex32]) -> Vec<Vec<Complex32>> {
        let mut wide = to_band(y, self.offset_hz);
        wide.extend(std::iter::repeat_n(
            Complex32::default(),
            self.pre * decim::DECIMATION,
        ));
        let mut adc = Vec::with_capacity(wide.len());
        to_fixed(&wide, self.scale, &mut adc);
        let mut ch = Channel::new(
            8,
            self.pre,
            ChannelSettings {
                freq_word: ddc::frequency_word(-self.offset_hz, ADC_RATE),
                threshold: self.threshold,
                hold: self.hold,
            },
        );
        // DDC gain 32767/65536, decimation gain 1
        let back = 1.0 / (self.scale * f32::from(ddc::AMPLITUDE) / 65536.0);
        let mut bursts: Vec<Vec<Complex32>> = Vec::new();
        let mut open = false;
        for &x in &adc {
            let Some(record) = ch.step(x).and_then(|s| s.record) else {
                continue;
            };
            match record {
                BurstOutput::Sample { x, start, .. } => {
                    if start || !open {
                        bursts.push(Vec::new());
                    }
                    open = true;
                    if let Some(b) = bursts.last_mut() {
                        b.push(Complex32::new(f32::from(x.0), f32::from(x.1)) * back);
                    }
                }
                BurstOutput::End { .. } => open = false,
            }
        }
        bursts
    }
}
