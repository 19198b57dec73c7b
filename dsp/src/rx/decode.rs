//! SIG and data decoding of one synchronised frame: per-symbol FFT, equalisation with pilot
//! tracking, soft demapping, deinterleaving, MCS10 repetition combining, Viterbi,
//! descrambling and A-MPDU de-framing.

use super::sync::{backoff, derotate, FrameSync};
use super::tracking::{estimate, Correction, PilotMeasurement};
use crate::ampdu;
use crate::interleaver::Interleaver;
use crate::mapping;
use crate::params::{
    bin, Format, Gi, Mcs, MAX_CBPS, MAX_DATA_SYMBOLS, MAX_DATA_TONES, MAX_FFT, SERVICE_BITS,
    SIG_DATA_TONES_2M,
};
use crate::pilots::{pilot_values, Field};
use crate::preamble::STF_LEN;
use crate::scrambler::Scrambler;
use crate::sig::{Sig, SigError, MAX_SIG_BITS, REPETITION_MASK};
use crate::viterbi::Viterbi;
use num_complex::Complex32;
use rustfft::Fft;
use std::sync::Arc;

/// Where the phase corrections of each symbol come from.
#[derive(Debug, Clone)]
pub enum PhaseSource {
    /// Estimate them from the pilots over the whole frame (a real receiver).
    Pilots,
    /// Each symbol's own pilots alone, unsmoothed: exact on a noise-free reference.
    Raw,
    /// Use these, one per SIG symbol then one per data symbol (a genie).
    Known(Vec<Correction>),
}

/// Why a synchronised frame produced no PSDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The SIG was not accepted.
    Sig(SigError),
    /// The SIG announces more data symbols than any PPDU has.
    TooLong,
    /// The A-MPDU's first delimiter is missing or inconsistent.
    Ampdu(ampdu::AmpduError),
}

/// Result of a successful data decode.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The SIG.
    pub sig: Sig,
    /// PSDU bytes (MPDU, for an A-MPDU).
    pub psdu: Vec<u8>,
    /// Data symbols decoded.
    pub n_sym: usize,
    /// Buffer-relative index one past the last sample of the PPDU.
    pub end: usize,
}

/// Reusable decoder for one format. Sized for the longest PPDU at construction.
pub struct FrameDecoder {
    format: Format,
    fft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex32>,
    sym: Vec<Complex32>,
    /// FFT outputs of every symbol of the frame (SIG then data), `fft_len` each.
    store: Vec<Complex32>,
    meas: Vec<PilotMeasurement>,
    llr: Vec<f32>,
    sym_llr: Vec<f32>,
    deint: Vec<f32>,
    bits: Vec<u8>,
    coded: Vec<u8>,
    punct: Vec<u8>,
    points: Vec<Complex32>,
    weights: Vec<f32>,
    viterbi: Viterbi,
    interleavers: Vec<Option<Interleaver>>,
    sig_il: Interleaver,
    /// Corrections applied to the last frame's symbols, SIG first (for the genie and
    /// diagnostics).
    pub corrections: Vec<Correction>,
    /// Equalised data points to keep per frame (0: none).
    pub keep_points: usize,
    kept: Vec<Complex32>,
}

impl FrameDecoder {
    /// A decoder for `format` using the shared forward FFT plan.
    pub fn new(format: Format, fft: Arc<dyn Fft<f32>>) -> Self {
        let max_bits =
            MAX_DATA_SYMBOLS * format.n_dbps(Mcs(if format == Format::S1g1M { 7 } else { 8 }));
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        let interleavers = (0..=10u8)
            .map(|m| {
                format
                    .supports(Mcs(m))
                    .then(|| Interleaver::for_data(format, Mcs(m)))
            })
            .collect();
        let sig_il = Interleaver::for_sig(format);
        FrameDecoder {
            format,
            fft,
            scratch,
            sym: vec![Complex32::new(0.0, 0.0); MAX_FFT],
            store: vec![Complex32::new(0.0, 0.0); (MAX_DATA_SYMBOLS + 6) * format.fft_len()],
            meas: Vec::with_capacity(MAX_DATA_SYMBOLS + 6),
            llr: vec![0.0; 2 * max_bits + MAX_CBPS],
            sym_llr: vec![0.0; MAX_CBPS],
            deint: vec![0.0; MAX_CBPS],
            bits: vec![0; max_bits],
            coded: Vec::with_capacity(2 * max_bits),
            punct: Vec::with_capacity(2 * max_bits),
            points: vec![Complex32::new(0.0, 0.0); MAX_DATA_TONES],
            weights: vec![0.0; MAX_DATA_TONES],
            viterbi: Viterbi::new(max_bits),
            interleavers,
            sig_il,
            corrections: Vec::with_capacity(MAX_DATA_SYMBOLS + 6),
            keep_points: 0,
            kept: Vec::new(),
        }
    }

    /// Buffer index where SIG symbol 0 starts (its guard interval).
    fn sig_start(&self, sync: &FrameSync) -> usize {
        sync.start + STF_LEN + 160
    }

    /// Number of samples from the STF start to the end of the SIG.
    pub fn preamble_len(&self) -> usize {
        self.format.preamble_len()
    }

    /// FFTs the symbol whose guard interval starts at `at` (CFO-corrected, scaled so a
    /// unit-power symbol's tones equal H·X) into store slot `slot` and records its pilots.
    #[allow(clippy::too_many_arguments)]
    fn measure(
        &mut self,
        buf: &[Complex32],
        sync: &FrameSync,
        at: usize,
        cp: usize,
        field: Field,
        n: usize,
        slot: usize,
    ) {
        let f = self.format;
        let nfft = f.fft_len();
        let from = at + cp - backoff(f);
        derotate(
            &buf[from..from + nfft],
            &mut self.sym[..nfft],
            sync.cfo,
            from as f64,
        );
        self.fft
            .process_with_scratch(&mut self.sym[..nfft], &mut self.scratch);
        let n_tones = (f.n_data_tones() + f.pilot_tones().len()) as f32;
        let s = n_tones.sqrt() / nfft as f32;
        let dst = &mut self.store[slot * nfft..(slot + 1) * nfft];
        for (d, v) in dst.iter_mut().zip(&self.sym[..nfft]) {
            *d = v * s;
        }
        let mut pv = [0f32; 4];
        pilot_values(f, field, n, &mut pv);
        let mut m = PilotMeasurement {
            t: (from - sync.start) as f32,
            z: [Complex32::new(0.0, 0.0); 4],
            w: [0.0; 4],
            noise: sync.noise_var,
            aided: None,
        };
        for (i, &k) in f.pilot_tones().iter().enumerate() {
            let h = sync.h[bin(k, nfft)];
            let y = dst[bin(k, nfft)];
            let hh = h.norm_sqr();
            if hh > 0.0 {
                m.z[i] = y * h.conj() / hh * pv[i];
                m.w[i] = hh;
            }
        }
        self.meas.push(m);
    }

    /// Corrections for every measured symbol, from `phases`.
    fn corrections(&mut self, phases: &PhaseSource) {
        let tones = self.format.pilot_tones();
        match phases {
            PhaseSource::Pilots => estimate(tones, &self.meas, true, &mut self.corrections),
            PhaseSource::Raw => estimate(tones, &self.meas, false, &mut self.corrections),
            PhaseSource::Known(v) => {
                self.corrections.clear();
                for i in 0..self.meas.len() {
                    self.corrections
                        .push(v.get(i).copied().unwrap_or(Correction::NONE));
                }
            }
        }
    }

    /// Equalises the tones `tones` of store slot `slot` into `points`/`weights`.
    fn equalise(&mut self, sync: &FrameSync, slot: usize, tones: &[i32]) {
        let n = self.format.fft_len();
        let c = self
            .corrections
            .get(slot)
            .copied()
            .unwrap_or(Correction::NONE);
        let sym = &self.store[slot * n..(slot + 1) * n];
        for (i, &k) in tones.iter().enumerate() {
            let h = sync.h[bin(k, n)] * c.amp;
            let hh = h.norm_sqr();
            let y = sym[bin(k, n)] * c.derotation(k);
            if hh > 0.0 {
                self.points[i] = y * h.conj() / hh;
                self.weights[i] = hh;
            } else {
                self.points[i] = Complex32::new(0.0, 0.0);
                self.weights[i] = 0.0;
            }
        }
    }

    /// The equalised data points kept from the last decoding pass (at most `keep_points`).
    pub fn kept_points(&self) -> &[Complex32] {
        &self.kept
    }

    /// Number of SIG symbols of the format.
    fn n_sig(&self) -> usize {
        match self.format {
            Format::S1g1M => 6,
            Format::S1gShort2M => 2,
        }
    }

    /// Decodes the SIG; its pilot measurements stay for [`FrameDecoder::decode_data`].
    ///
    /// With `PhaseSource::Pilots`, a SIG failing its CRC gets a second pass: the first pass's
    /// Viterbi output is re-encoded into the symbols it implies, every tone then serves as a
    /// phase reference (not just the pilots), and the SIG is decoded again. Near the
    /// sensitivity limit the few SIG symbols otherwise leave the phase too noisy.
    pub fn decode_sig(
        &mut self,
        buf: &[Complex32],
        sync: &FrameSync,
        phases: &PhaseSource,
    ) -> Result<Sig, SigError> {
        self.meas.clear();
        let f = self.format;
        let n = f.fft_len();
        let cp = f.gi_len(Gi::Long);
        let n_sig = self.n_sig();
        for s in 0..n_sig {
            let at = self.sig_start(sync) + s * (n + cp);
            self.measure(buf, sync, at, cp, Field::Sig, s, s);
        }
        self.corrections(phases);
        let mut bits = [0u8; MAX_SIG_BITS];
        let first = self.sig_pass(sync, &mut bits);
        if first != Err(SigError::Crc) || !matches!(phases, PhaseSource::Pilots) {
            return first;
        }
        self.aid_sig(sync, &bits);
        self.corrections(phases);
        let second = self.sig_pass(sync, &mut bits);
        for m in &mut self.meas {
            m.aided = None;
        }
        second
    }

    /// Equalises, demaps and decodes the measured SIG symbols into `bits`.
    fn sig_pass(
        &mut self,
        sync: &FrameSync,
        bits: &mut [u8; MAX_SIG_BITS],
    ) -> Result<Sig, SigError> {
        let f = self.format;
        let nbits = Sig::n_bits(f);
        let mut llr = [0f32; 2 * MAX_SIG_BITS];
        for s in 0..self.n_sig() {
            match f {
                Format::S1g1M => {
                    self.equalise(sync, s, f.data_tones());
                    let mut raw = [0f32; 24];
                    mapping::demap(
                        crate::params::Modulation::Bpsk,
                        &self.points[..24],
                        &self.weights[..24],
                        &mut raw,
                    );
                    let mut d = [0f32; 24];
                    self.sig_il.deinterleave(&raw, &mut d);
                    combine_repetition(&d, &mut llr[12 * s..12 * s + 12]);
                }
                Format::S1gShort2M => {
                    self.equalise(sync, s, &SIG_DATA_TONES_2M);
                    // QBPSK: bits on the imaginary axis
                    let mut raw = [0f32; 48];
                    for ((r, p), w) in raw
                        .iter_mut()
                        .zip(&self.points[..48])
                        .zip(&self.weights[..48])
                    {
                        *r = p.im * w;
                    }
                    self.sig_il
                        .deinterleave(&raw, &mut llr[48 * s..48 * s + 48]);
                }
            }
        }
        self.viterbi.decode(
            crate::params::CodeRate::R1_2,
            &llr[..2 * nbits],
            nbits,
            bits,
        );
        Sig::from_bits(f, &bits[..])
    }

    /// Adds data-aided phase observations to the SIG measurements from decoded `bits`.
    fn aid_sig(&mut self, sync: &FrameSync, bits: &[u8; MAX_SIG_BITS]) {
        let f = self.format;
        let n = f.fft_len();
        let nbits = Sig::n_bits(f);
        let mut coded = [0u8; 2 * MAX_SIG_BITS];
        crate::bcc::encode(&bits[..nbits], &mut coded[..2 * nbits]);
        let per = 2 * nbits / self.n_sig();
        let mut pv = [0f32; 4];
        for s in 0..self.n_sig() {
            let block = &coded[per * s..per * (s + 1)];
            let mut ilv = [0u8; 48];
            crate::tx::sig_symbol_bits(f, &self.sig_il, block, &mut ilv);
            let (tones, re): (&[i32], bool) = match f {
                Format::S1g1M => (f.data_tones(), true),
                Format::S1gShort2M => (&SIG_DATA_TONES_2M, false),
            };
            let sym = &self.store[s * n..(s + 1) * n];
            let mut acc = Complex32::new(0.0, 0.0);
            let mut wsum = 0f32;
            for (&k, &b) in tones.iter().zip(&ilv) {
                let v = 2.0 * b as f32 - 1.0;
                let x = if re {
                    Complex32::new(v, 0.0)
                } else {
                    Complex32::new(0.0, v)
                };
                let h = sync.h[bin(k, n)];
                acc += sym[bin(k, n)] * (h * x).conj();
                wsum += h.norm_sqr();
            }
            pilot_values(f, Field::Sig, s, &mut pv);
            for (&k, &p) in f.pilot_tones().iter().zip(&pv) {
                let h = sync.h[bin(k, n)];
                acc += sym[bin(k, n)] * (h * p).conj();
                wsum += h.norm_sqr();
            }
            self.meas[s].aided = Some((acc, wsum));
        }
    }

    /// Number of data symbols a SIG announces.
    pub fn n_sym(&self, sig: &Sig) -> usize {
        if sig.aggregation {
            sig.length as usize
        } else {
            self.format.n_sym(sig.mcs, sig.length as usize)
        }
    }

    /// Buffer index one past the PPDU's last sample.
    pub fn end(&self, sync: &FrameSync, sig: &Sig) -> usize {
        sync.start + self.format.ppdu_len(sig.gi, self.n_sym(sig))
    }

    /// Decodes the data field after [`FrameDecoder::decode_sig`] succeeded on the same frame;
    /// `buf` must reach [`FrameDecoder::end`].
    pub fn decode_data(
        &mut self,
        buf: &[Complex32],
        sync: &FrameSync,
        sig: &Sig,
        phases: &PhaseSource,
    ) -> Result<Decoded, DecodeError> {
        let f = self.format;
        let n = f.fft_len();
        let n_sym = self.n_sym(sig);
        if n_sym > MAX_DATA_SYMBOLS || (sig.aggregation && n_sym == 0) {
            return Err(DecodeError::TooLong);
        }
        let n_sig = self.n_sig();
        self.meas.truncate(n_sig);
        let mut at = self.sig_start(sync) + n_sig * (n + f.gi_len(Gi::Long));
        for s in 0..n_sym {
            let gi = if s == 0 { Gi::Long } else { sig.gi };
            let cp = f.gi_len(gi);
            self.measure(buf, sync, at, cp, Field::Data, s, n_sig + s);
            at += n + cp;
        }
        self.corrections(phases);
        let first = self.data_pass(sync, sig, n_sym);
        let failed = match &first {
            Ok(p) => !crate::crc::fcs_ok(p),
            Err(_) => true,
        };
        let psdu = if failed && matches!(phases, PhaseSource::Pilots) {
            // Second pass: re-encode what the first pass decoded and use every tone as a
            // phase reference.
            self.aid_data(sync, sig, n_sym);
            self.corrections(phases);
            let second = self.data_pass(sync, sig, n_sym);
            for m in &mut self.meas {
                m.aided = None;
            }
            match (&second, &first) {
                (Ok(p), _) if crate::crc::fcs_ok(p) => second,
                (_, Ok(_)) => first,
                _ => second,
            }
        } else {
            first
        }?;
        Ok(Decoded {
            sig: *sig,
            psdu,
            n_sym,
            end: at,
        })
    }

    /// Equalises, demaps and Viterbi-decodes the measured data symbols, then descrambles and
    /// de-frames them into the PSDU. `self.bits` keeps the scrambled decoder output.
    fn data_pass(
        &mut self,
        sync: &FrameSync,
        sig: &Sig,
        n_sym: usize,
    ) -> Result<Vec<u8>, DecodeError> {
        let f = self.format;
        let mcs = sig.mcs;
        let n_cbps = f.n_cbps(mcs);
        let per_sym = f.n_encoded_per_symbol(mcs);
        let modu = mcs.modulation();
        let nd = f.n_data_tones();
        let n_sig = self.n_sig();
        let il = self.interleavers[mcs.0 as usize]
            .take()
            .ok_or(DecodeError::Sig(SigError::Unsupported("MCS")))?;
        self.kept.clear();
        for s in 0..n_sym {
            self.equalise(sync, n_sig + s, f.data_tones());
            let room = self.keep_points.saturating_sub(self.kept.len()).min(nd);
            self.kept.extend_from_slice(&self.points[..room]);
            mapping::demap(
                modu,
                &self.points[..nd],
                &self.weights[..nd],
                &mut self.sym_llr[..n_cbps],
            );
            let dst = &mut self.llr[s * per_sym..(s + 1) * per_sym];
            if mcs.is_repetition() {
                il.deinterleave(&self.sym_llr[..n_cbps], &mut self.deint[..n_cbps]);
                combine_repetition(&self.deint[..24], dst);
            } else {
                il.deinterleave(&self.sym_llr[..n_cbps], dst);
            }
        }
        self.interleavers[mcs.0 as usize] = Some(il);
        let total = n_sym * f.n_dbps(mcs);
        self.viterbi.decode(
            mcs.code_rate(),
            &self.llr[..n_sym * per_sym],
            total,
            &mut self.bits[..total],
        );
        // descramble on the fly: the first seven SERVICE bits were zeros before scrambling
        let mut first = [0u8; 7];
        first.copy_from_slice(&self.bits[..7]);
        let mut scr = Scrambler::from_first_outputs(&first);
        let n_octets = if sig.aggregation {
            (total - SERVICE_BITS - crate::params::TAIL_BITS) / 8
        } else {
            sig.length as usize
        };
        let mut octets = Vec::with_capacity(n_octets);
        let mut bit = 7;
        // SERVICE bit 7 (reserved)
        let _ = self.bits[bit] ^ scr.next_bit();
        bit += 1;
        for _ in 0..n_octets {
            let mut o = 0u8;
            for b in 0..8 {
                o |= (self.bits[bit] ^ scr.next_bit()) << b;
                bit += 1;
            }
            octets.push(o);
        }
        if sig.aggregation {
            Ok(ampdu::first_mpdu(&octets)
                .map_err(DecodeError::Ampdu)?
                .to_vec())
        } else {
            Ok(octets)
        }
    }

    /// Re-encodes the last pass's decoder output into the data symbols it implies and adds
    /// a data-aided phase observation (every tone, weighted by |H·X|²) to each measurement.
    fn aid_data(&mut self, sync: &FrameSync, sig: &Sig, n_sym: usize) {
        let f = self.format;
        let n = f.fft_len();
        let mcs = sig.mcs;
        let total = n_sym * f.n_dbps(mcs);
        let per_sym = f.n_encoded_per_symbol(mcs);
        let nd = f.n_data_tones();
        let n_sig = self.n_sig();
        self.coded.resize(2 * total, 0);
        crate::bcc::encode(&self.bits[..total], &mut self.coded[..2 * total]);
        self.punct.resize(2 * total, 0);
        crate::bcc::puncture(mcs.code_rate(), &self.coded[..2 * total], &mut self.punct);
        let Some(il) = self.interleavers[mcs.0 as usize].take() else {
            return;
        };
        let mut sym_bits = [0u8; MAX_CBPS];
        let mut il_bits = [0u8; MAX_CBPS];
        let mut pv = [0f32; 4];
        for s in 0..n_sym {
            let src = &self.punct[s * per_sym..(s + 1) * per_sym];
            crate::tx::map_data_symbol(
                f,
                mcs,
                &il,
                src,
                &mut sym_bits,
                &mut il_bits,
                &mut self.points[..nd],
            );
            let slot = n_sig + s;
            let slope = self.corrections.get(slot).map(|c| c.slope).unwrap_or(0.0);
            let sym = &self.store[slot * n..(slot + 1) * n];
            let mut acc = Complex32::new(0.0, 0.0);
            let mut wsum = 0f32;
            for (&k, &x) in f.data_tones().iter().zip(&self.points[..nd]) {
                let hx = sync.h[bin(k, n)] * x;
                acc += sym[bin(k, n)] * hx.conj() * Complex32::from_polar(1.0, -slope * k as f32);
                wsum += hx.norm_sqr();
            }
            pilot_values(f, Field::Data, s, &mut pv);
            for (&k, &p) in f.pilot_tones().iter().zip(&pv) {
                let h = sync.h[bin(k, n)];
                acc +=
                    sym[bin(k, n)] * (h * p).conj() * Complex32::from_polar(1.0, -slope * k as f32);
                wsum += h.norm_sqr();
            }
            self.meas[slot].aided = Some((acc, wsum));
        }
        self.interleavers[mcs.0 as usize] = Some(il);
    }
}

/// Combines the two copies of MCS10 / 1 MHz SIG repetition: LLRs `d[0..12]` and the second
/// copy `d[12..24]`, whose bits were XORed with the mask (flipping their sign).
fn combine_repetition(d: &[f32], out: &mut [f32]) {
    for j in 0..12 {
        let second = if REPETITION_MASK[j] == 1 {
            -d[12 + j]
        } else {
            d[12 + j]
        };
        out[j] = d[j] + second;
    }
}
