//! Model of the front end's burst-stream framer, clock for clock the same as
//! `subgate_gateware::framer::Framer`: it takes the four channels' burst records off the
//! front end's arbiter ([`super::top`]) and sends them to the host as the byte stream of
//! docs/burst-stream.md (segments of CI16 samples with a header CRC and a payload CRC), one
//! byte per clock at most, with back-pressure from the link.
//!
//! # Behaviour
//! - **Input register.** A record is taken into a register with its channel's state in the
//!   clock it comes and acted on in the next (so a channel's records must come at least two
//!   clocks apart; the front end's come at least 16 apart). Whether the channel's ring is
//!   full is judged as it was in the clock the record came.
//! - **Rings.** Each channel's forwarded samples go into its own ring of [`RING`] slots (one
//!   2048 × 32 block RAM holds the four) as they come; a channel's *open segment* is the run
//!   of its latest samples not yet closed.
//! - **Closing.** A segment closes when the burst ends (its `End` record: flag `END`), when
//!   a sample arrives and the open segment already holds [`SEGMENT`] samples (so a burst of
//!   exactly `n · SEGMENT` samples still ends with an `END` segment, as
//!   `drivers::burst_stream::segments_of` cuts it), when a burst starts while one is open, or
//!   when a sample has to be dropped. A closed segment is a descriptor (channel, first slot,
//!   count, flags, first index) in a queue of [`QUEUE`] entries; the emitter takes them in
//!   order.
//! - **Overflow.** A sample that finds its channel's ring full (the link has been too slow)
//!   is dropped; so is a whole closed segment that finds the queue full (its slots are given
//!   back). Either way the channel's next segment carries `OVERFLOW` and the drop counter
//!   counts the samples. Samples inside a segment are therefore always consecutive.
//! - **Emitter.** Header (magic, version 1, CI16, channel, flags, 64-bit timestamp, the
//!   channel's 16-bit sequence number, count, header CRC), payload (I then Q, 16-bit little
//!   endian), payload CRC; two idle clocks between segments (take the descriptor, read it).
//!   The CRC register takes each byte in the clock after it went into the output register
//!   (a short path for the gateware), so the first byte of each CRC waits one clock for it.
//!   A sample's slot is free again once its last byte has gone into the output register.
//! - **Timestamps.** Records carry 32-bit sample indices. The framer counts ADC strobes
//!   (`adc`, the front end's `in_valid`): `D` = strobes / 16 is at least one more than the
//!   index of any decimated sample already made, so the 64-bit timestamp of a segment is
//!   `D − ((D mod 2³²) − index mod 2³²)`, exact while segments leave less than 2³² samples
//!   (71 minutes at 1 Msps) after their first sample was made.
//! - **Output.** A byte register with `valid`; it takes the next byte when it is empty or
//!   the link takes its byte (`ready` high in that clock). [`Framer::step`] returns the byte
//!   the link took at that clock edge.
//!
//! Throughput: the link needs 4 bytes per forwarded sample plus 28 per segment of
//! [`SEGMENT`]; four channels forwarding without pause at 16 ADC samples per decimated sample
//! need 16·1.03 bytes per 16 ADC strobes, so with the ADC on every clock the link is just short
//! and the rings fill (the tests use this to exercise overflow); at the boards' ADC rates
//! (≤ 30.72 Msps on a 100 MHz clock) there is more than three times the room.

use super::burst::BurstOutput;
use super::top::CHANNELS;

/// Samples per channel ring (one quarter of the 2048 × 32 block RAM).
pub const RING: usize = 512;
/// Most samples in one segment (the protocol allows 4096; 256 keeps two segments per ring).
pub const SEGMENT: usize = 256;
/// Closed segments waiting for the emitter, at most.
pub const QUEUE: usize = 16;
/// ADC samples per decimated sample (the decimation chain's factor).
pub const DECIMATION: u64 = 16;
/// Header bytes (as `drivers::burst_stream::HEADER_LEN`).
pub const HEADER_LEN: usize = 24;
/// Bytes of the header the header CRC covers.
pub const HEADER_CRC_FROM: usize = 20;
/// Trailer bytes (the payload CRC).
pub const TRAILER_LEN: usize = 4;
/// The protocol's magic, version and sample-format code (CI16).
pub const MAGIC: [u8; 4] = *b"SGBS";
/// Protocol version.
pub const VERSION: u8 = 1;
/// Sample-format code of CI16.
pub const FORMAT_CI16: u8 = 1;
/// Flag bits (docs/burst-stream.md §2).
pub mod flags {
    /// First segment of a burst.
    pub const START: u8 = 1 << 0;
    /// Last segment of a burst.
    pub const END: u8 = 1 << 1;
    /// Samples of this channel were dropped before this segment.
    pub const OVERFLOW: u8 = 1 << 2;
}

const _: () = assert!(
    RING.is_power_of_two() && SEGMENT * 2 == RING && QUEUE.is_power_of_two() && CHANNELS == 4
);

/// The reflected CRC-32 polynomial (CRC-32/ISO-HDLC).
pub const CRC_POLY: u32 = 0xEDB8_8320;

/// One byte into a CRC-32 register (initial value `!0`, result complemented), bit by bit as
/// the gateware does it.
pub fn crc32_step(mut crc: u32, byte: u8) -> u32 {
    for b in 0..8 {
        let fb = (crc ^ u32::from(byte >> b)) & 1;
        crc = (crc >> 1) ^ if fb != 0 { CRC_POLY } else { 0 };
    }
    crc
}

/// What the framer sees in one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FramerInput {
    /// An ADC sample was taken (the front end's `in_valid`).
    pub adc: bool,
    /// A record from the front end's arbiter, with its channel (0..4).
    pub record: Option<(usize, BurstOutput)>,
    /// The link takes the output byte, if there is one.
    pub ready: bool,
}

/// The framer's counters (the status registers of the front end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FramerStats {
    /// Segments whose header has gone out (wrapping).
    pub segments: u32,
    /// Samples dropped (ring or queue full; wrapping).
    pub dropped: u32,
    /// Closed segments given up because the queue was full (the model's own count, no
    /// register: it shows a test reached that path).
    pub discards: u32,
}

/// A closed segment waiting for the emitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Descriptor {
    channel: usize,
    base: usize,
    count_minus_1: usize,
    flags: u8,
    index: u32,
}

/// Per-channel state of the ring side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Lane {
    used: usize,
    write: usize,
    count: usize,
    base: usize,
    index: u32,
    flags: u8,
    pending_overflow: bool,
    sequence: u16,
}

/// A record in the input register, with its channel's state from the same clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Staged {
    channel: usize,
    record: BurstOutput,
    lane: Lane,
    full: bool,
}

/// The emitter's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Emit {
    #[default]
    Idle,
    Load,
    Header,
    Payload,
    Trailer,
}

/// The framer (see the module documentation).
#[derive(Debug, Clone)]
pub struct Framer {
    ring: Vec<u32>,
    lanes: [Lane; CHANNELS],
    staged: Option<Staged>,
    queue: [Descriptor; QUEUE],
    queue_write: usize,
    queue_read: usize,
    adc_phase: u64,
    decimated: u64,
    state: Emit,
    e_channel: usize,
    e_base: usize,
    e_count_minus_1: usize,
    e_flags: u8,
    e_timestamp: u64,
    e_sequence: u16,
    byte: usize,
    part: usize,
    sample: usize,
    crc: u32,
    crc_due: Option<u8>,
    out_valid: bool,
    out_byte: u8,
    stats: FramerStats,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer after reset: rings and queue empty, sequence numbers 0.
    pub fn new() -> Self {
        Framer {
            ring: vec![0; RING * CHANNELS],
            lanes: [Lane::default(); CHANNELS],
            staged: None,
            queue: [Descriptor::default(); QUEUE],
            queue_write: 0,
            queue_read: 0,
            adc_phase: 0,
            decimated: 0,
            state: Emit::Idle,
            e_channel: 0,
            e_base: 0,
            e_count_minus_1: 0,
            e_flags: 0,
            e_timestamp: 0,
            e_sequence: 0,
            byte: 0,
            part: 0,
            sample: 0,
            crc: !0,
            crc_due: None,
            out_valid: false,
            out_byte: 0,
            stats: FramerStats::default(),
        }
    }

    /// A framer that has already seen `decimated` decimated samples' worth of ADC strobes,
    /// for checking timestamps past 2³² without running 2³⁶ clocks (the gateware starts at 0).
    pub fn after(decimated: u64) -> Self {
        Framer {
            decimated,
            ..Self::new()
        }
    }

    /// The counters.
    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// Whether nothing is left to send: rings, queue and output register empty.
    pub fn is_idle(&self) -> bool {
        !self.out_valid
            && self.staged.is_none()
            && self.state == Emit::Idle
            && self.queue_write == self.queue_read
            && self.lanes.iter().all(|l| l.used == 0)
    }

    /// Header byte `b` of the segment being emitted.
    fn header_byte(&self, b: usize) -> u8 {
        let count = (self.e_count_minus_1 + 1) as u16;
        match b {
            0..=3 => MAGIC[b],
            4 => VERSION,
            5 => FORMAT_CI16,
            6 => self.e_channel as u8,
            7 => self.e_flags,
            8..=15 => (self.e_timestamp >> (8 * (b - 8))) as u8,
            16 | 17 => (self.e_sequence >> (8 * (b - 16))) as u8,
            18 | 19 => (count >> (8 * (b - 18))) as u8,
            _ => (!self.crc >> (8 * (b - HEADER_CRC_FROM))) as u8,
        }
    }

    /// One clock: returns the byte the link took at this clock's edge, if any.
    pub fn step(&mut self, input: FramerInput) -> Option<u8> {
        let taken = (self.out_valid && input.ready).then_some(self.out_byte);
        // the record goes into the input register with its channel's state as it is now
        let staged = input.record.map(|(c, record)| {
            let c = c % CHANNELS;
            Staged {
                channel: c,
                record,
                lane: self.lanes[c],
                full: self.lanes[c].used == RING,
            }
        });
        let advance = !self.out_valid || input.ready;

        // --- emitter (reads this clock's registers) ---
        // The CRC takes each byte one clock after it went into the output register, so the
        // first header-CRC byte and the first trailer byte wait for it.
        let crc_now = self.crc;
        let mut next_crc = match self.crc_due {
            Some(b) => crc32_step(crc_now, b),
            None => crc_now,
        };
        let waiting = self.crc_due.is_some();
        let mut crc_byte = None;
        let mut produced = None;
        let mut freed = None;
        let queue_len = self.queue_write.wrapping_sub(self.queue_read) % (2 * QUEUE);
        let mut next_state = self.state;
        match self.state {
            Emit::Idle if queue_len != 0 => next_state = Emit::Load,
            Emit::Load => {
                let d = self.queue[self.queue_read % QUEUE];
                self.queue_read = (self.queue_read + 1) % (2 * QUEUE);
                self.e_channel = d.channel;
                self.e_base = d.base;
                self.e_count_minus_1 = d.count_minus_1;
                self.e_flags = d.flags;
                let lag = (self.decimated as u32).wrapping_sub(d.index);
                self.e_timestamp = self.decimated.wrapping_sub(u64::from(lag));
                self.e_sequence = self.lanes[d.channel].sequence;
                self.lanes[d.channel].sequence = self.lanes[d.channel].sequence.wrapping_add(1);
                self.byte = 0;
                self.sample = 0;
                self.part = 0;
                next_crc = !0;
                next_state = Emit::Header;
            }
            Emit::Header if advance && !(self.byte == HEADER_CRC_FROM && waiting) => {
                if self.byte == 0 {
                    self.stats.segments = self.stats.segments.wrapping_add(1);
                }
                let v = self.header_byte(self.byte);
                produced = Some(v);
                if self.byte < HEADER_CRC_FROM {
                    crc_byte = Some(v);
                }
                if self.byte == HEADER_LEN - 1 {
                    next_crc = !0;
                    self.byte = 0;
                    next_state = Emit::Payload;
                } else {
                    self.byte += 1;
                }
            }
            Emit::Payload if advance => {
                let slot = self.e_channel * RING + (self.e_base + self.sample) % RING;
                let v = (self.ring[slot] >> (8 * self.part)) as u8;
                produced = Some(v);
                crc_byte = Some(v);
                if self.part == 3 {
                    self.part = 0;
                    freed = Some(self.e_channel);
                    if self.sample == self.e_count_minus_1 {
                        next_state = Emit::Trailer;
                    } else {
                        self.sample += 1;
                    }
                } else {
                    self.part += 1;
                }
            }
            Emit::Trailer if advance && !(self.byte == 0 && waiting) => {
                produced = Some((!crc_now >> (8 * self.byte)) as u8);
                if self.byte == TRAILER_LEN - 1 {
                    self.byte = 0;
                    next_state = Emit::Idle;
                } else {
                    self.byte += 1;
                }
            }
            _ => {}
        }
        self.crc = next_crc;
        self.crc_due = crc_byte;
        self.state = next_state;
        if advance {
            self.out_valid = produced.is_some();
            if let Some(v) = produced {
                self.out_byte = v;
            }
        }

        // --- ring side: the record taken in the previous clock, with its channel's state as it
        // was then (the channel's `used` as it is now; whether the ring was full as it was
        // then) ---
        if let Some(st) = self.staged.take() {
            let c = st.channel;
            let mut l = Lane {
                used: self.lanes[c].used,
                sequence: self.lanes[c].sequence,
                ..st.lane
            };
            let queue_full = queue_len == QUEUE;
            let close = match st.record {
                BurstOutput::Sample { start, .. } => {
                    l.count == SEGMENT || (l.count > 0 && (start || st.full))
                }
                BurstOutput::End { .. } => l.count > 0,
            };
            let discard = close && queue_full;
            let mut dropped = 0;
            if close {
                if discard {
                    dropped = l.count;
                    self.stats.discards += 1;
                    l.used -= l.count;
                    l.write = l.base;
                    l.pending_overflow = true;
                } else {
                    let end = matches!(st.record, BurstOutput::End { .. });
                    self.queue[self.queue_write % QUEUE] = Descriptor {
                        channel: c,
                        base: l.base,
                        count_minus_1: l.count - 1,
                        flags: l.flags | if end { flags::END } else { 0 },
                        index: l.index,
                    };
                    self.queue_write = (self.queue_write + 1) % (2 * QUEUE);
                }
                l.count = 0;
            }
            if let BurstOutput::Sample { index, x, start } = st.record {
                // a discard gives slots back, so only a full ring without one drops
                if st.full && !discard {
                    dropped += 1;
                    l.pending_overflow = true;
                } else {
                    self.ring[c * RING + l.write] =
                        (u32::from(x.1 as u16) << 16) | u32::from(x.0 as u16);
                    if l.count == 0 {
                        l.base = l.write;
                        l.index = index;
                        l.flags = if start { flags::START } else { 0 }
                            | if l.pending_overflow {
                                flags::OVERFLOW
                            } else {
                                0
                            };
                        l.pending_overflow = false;
                    }
                    l.count += 1;
                    l.write = (l.write + 1) % RING;
                    l.used += 1;
                }
            }
            self.stats.dropped = self.stats.dropped.wrapping_add(dropped as u32);
            self.lanes[c] = l;
        }
        self.staged = staged;
        if let Some(c) = freed {
            self.lanes[c].used -= 1;
        }

        // --- ADC strobes ---
        if input.adc {
            if self.adc_phase == DECIMATION - 1 {
                self.adc_phase = 0;
                self.decimated = self.decimated.wrapping_add(1);
            } else {
                self.adc_phase += 1;
            }
        }
        taken
    }
}

/// Clocks after the last tick that [`arbiter_inputs`] adds with the link ready: enough to
/// send everything the rings and the queue can hold.
pub const DRAIN_CLOCKS: usize = CHANNELS * (RING * 4 + 2 * (HEADER_LEN + TRAILER_LEN + 2)) + 64;

/// Per-clock framer inputs for records made decimated sample by decimated sample, as the
/// front end presents them: an ADC strobe every `adc_gap()` clocks; after every
/// [`DECIMATION`]-th strobe the records of that decimated sample (`ticks[c][t]` for channel
/// `c`, tick `t`), one per clock in channel order from the next clock on (the arbiter);
/// `ready(clock)` says whether the link takes a byte in that clock. [`DRAIN_CLOCKS`] clocks
/// with the link ready follow the last tick.
///
/// # Panics
/// If the channels' tick lists differ in length, or `adc_gap()` gives 0.
pub fn arbiter_inputs(
    ticks: &[Vec<Option<BurstOutput>>],
    mut adc_gap: impl FnMut() -> usize,
    mut ready: impl FnMut(u64) -> bool,
) -> Vec<FramerInput> {
    assert!(ticks.len() <= CHANNELS);
    let n = ticks.first().map_or(0, Vec::len);
    assert!(
        ticks.iter().all(|t| t.len() == n),
        "channels of unequal length"
    );
    let mut out = Vec::new();
    let mut waiting = std::collections::VecDeque::new();
    let mut clock = 0u64;
    for t in 0..n {
        for _ in 0..DECIMATION {
            let gap = adc_gap();
            assert!(gap >= 1, "ADC gap 0");
            for g in 0..gap {
                out.push(FramerInput {
                    adc: g + 1 == gap,
                    record: waiting.pop_front(),
                    ready: ready(clock),
                });
                clock += 1;
            }
        }
        for (c, channel) in ticks.iter().enumerate() {
            if let Some(r) = channel[t] {
                waiting.push_back((c, r));
            }
        }
    }
    for _ in 0..DRAIN_CLOCKS + waiting.len() {
        out.push(FramerInput {
            adc: false,
            record: waiting.pop_front(),
            ready: true,
        });
    }
    out
}

/// A burst as [`random_records`] made it: first index (64-bit) and samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentBurst {
    /// Index of the first sample.
    pub first: u64,
    /// The samples.
    pub samples: Vec<(i16, i16)>,
}

/// Burst lengths for [`random_records`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurstSizes {
    /// The lengths that matter to the framer (1, 2, [`SEGMENT`] − 1, [`SEGMENT`],
    /// [`SEGMENT`] + 1, 2·[`SEGMENT`], 2·[`SEGMENT`] + 1) and random ones up to 1500; gaps up
    /// to 400, a third of them none.
    AroundSegment,
    /// 1 to 3 samples with gaps of 0 to 2: a segment per burst, so a stalled link fills the
    /// descriptor queue long before the rings.
    Tiny,
}

/// Test records of one channel over `ticks` decimated samples counted from `origin`, as a
/// burst gate would give them: bursts of `sizes`, each followed by its `End`; the last
/// burst is cut short to fit.
pub fn random_records(
    ticks: usize,
    origin: u64,
    sizes: BurstSizes,
    rng: &mut crate::rng::Rng,
) -> (Vec<Option<BurstOutput>>, Vec<SentBurst>) {
    let mut recs = vec![None; ticks];
    let mut sent = Vec::new();
    let mut t = rng.below(50) as usize;
    loop {
        let len = match (sizes, rng.below(9)) {
            (BurstSizes::Tiny, r) => 1 + (r % 3) as usize,
            (_, 0) => 1,
            (_, 1) => 2,
            (_, 2) => SEGMENT - 1,
            (_, 3) => SEGMENT,
            (_, 4) => SEGMENT + 1,
            (_, 5) => 2 * SEGMENT,
            (_, 6) => 2 * SEGMENT + 1,
            _ => 1 + rng.below(1500) as usize,
        };
        // the last burst is cut to what is left
        let Some(room) = ticks.checked_sub(t + 1).filter(|&r| r > 0) else {
            break;
        };
        let len = len.min(room);
        let first = origin.wrapping_add(t as u64);
        let mut samples = Vec::with_capacity(len);
        for k in 0..len {
            let r = rng.next_u64();
            let x = (r as i16, (r >> 16) as i16);
            samples.push(x);
            recs[t + k] = Some(BurstOutput::Sample {
                index: first.wrapping_add(k as u64) as u32,
                x,
                start: k == 0,
            });
        }
        recs[t + len] = Some(BurstOutput::End {
            next: first.wrapping_add(len as u64) as u32,
        });
        sent.push(SentBurst { first, samples });
        t += len
            + 1
            + match (sizes, rng.below(3)) {
                (BurstSizes::Tiny, r) => r as usize,
                (_, 0) => 0,
                _ => rng.below(400) as usize,
            };
    }
    (recs, sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        let crc = b"123456789".iter().fold(!0u32, |c, &b| crc32_step(c, b));
        assert_eq!(!crc, 0xCBF4_3926);
    }

    /// One short burst on channel 2, link always ready: one segment, byte for byte.
    #[test]
    fn one_burst_one_segment() {
        let mut f = Framer::new();
        let mut out = Vec::new();
        let run = |f: &mut Framer, input: FramerInput, out: &mut Vec<u8>| {
            out.extend(f.step(input));
        };
        // 16 · 11 ADC strobes: decimated samples 0..=10 made
        for _ in 0..16 * 11 {
            run(
                &mut f,
                FramerInput {
                    adc: true,
                    record: None,
                    ready: true,
                },
                &mut out,
            );
        }
        for k in 0..3u32 {
            let rec = BurstOutput::Sample {
                index: 7 + k,
                x: (k as i16 - 1, -(k as i16) * 256),
                start: k == 0,
            };
            run(
                &mut f,
                FramerInput {
                    adc: false,
                    record: Some((2, rec)),
                    ready: true,
                },
                &mut out,
            );
            // a channel's records come at least two clocks apart
            let idle = FramerInput {
                ready: true,
                ..Default::default()
            };
            run(&mut f, idle, &mut out);
        }
        run(
            &mut f,
            FramerInput {
                adc: false,
                record: Some((2, BurstOutput::End { next: 10 })),
                ready: true,
            },
            &mut out,
        );
        for _ in 0..100 {
            run(
                &mut f,
                FramerInput {
                    ready: true,
                    ..Default::default()
                },
                &mut out,
            );
        }
        assert!(f.is_idle());
        assert_eq!(out.len(), HEADER_LEN + 3 * 4 + TRAILER_LEN);
        assert_eq!(&out[0..4], b"SGBS");
        assert_eq!(out[4..8], [1, 1, 2, flags::START | flags::END]);
        assert_eq!(u64::from_le_bytes(out[8..16].try_into().unwrap()), 7);
        assert_eq!(out[16..20], [0, 0, 3, 0]);
        let hcrc = out[..20].iter().fold(!0u32, |c, &b| crc32_step(c, b));
        assert_eq!(out[20..24], (!hcrc).to_le_bytes());
        assert_eq!(out[24..28], [0xFF, 0xFF, 0, 0]); // I = −1, Q = 0
        assert_eq!(out[28..32], [0, 0, 0, 0xFF]); // I = 0, Q = −256
        let pcrc = out[24..36].iter().fold(!0u32, |c, &b| crc32_step(c, b));
        assert_eq!(out[36..40], (!pcrc).to_le_bytes());
        assert_eq!(
            f.stats(),
            FramerStats {
                segments: 1,
                dropped: 0,
                discards: 0
            }
        );
    }
}
