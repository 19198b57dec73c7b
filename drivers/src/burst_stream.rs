//! The burst-stream protocol (docs/burst-stream.md): how the front end's burst gate hands
//! the samples around detected frames to the host, as segments of at most
//! [`MAX_SAMPLES`] samples, each with a header (timestamp, channel, sequence, length, sample
//! format, flags) and CRC-32s over the header and over the payload.
//!
//! - [`Packet`] / [`Repr`]: one segment, smoltcp style (checked view, parse, emit).
//! - [`Deframer`]: bytes in as they come off the link, segments out; it resynchronises on
//!   the magic after any damage and reports each damaged stretch once, as a [`StreamError`].
//! - [`Reassembler`]: segments of one channel back into bursts, noting lost segments (a
//!   sequence gap) and FIFO overflows the gate flagged.
//!
//! Nothing here panics on any input (`tests/burst_stream.rs` feeds it arbitrary bytes).

use num_complex::Complex32;

/// The four bytes every segment starts with: `SGBS`.
pub const MAGIC: [u8; 4] = *b"SGBS";
/// Protocol version this code reads and writes.
pub const VERSION: u8 = 1;
/// Header bytes (magic to header CRC).
pub const HEADER_LEN: usize = 24;
/// Trailer bytes (the payload CRC).
pub const TRAILER_LEN: usize = 4;
/// Most samples in one segment.
pub const MAX_SAMPLES: usize = 4096;

mod field {
    pub const MAGIC: std::ops::Range<usize> = 0..4;
    pub const VERSION: usize = 4;
    pub const FORMAT: usize = 5;
    pub const CHANNEL: usize = 6;
    pub const FLAGS: usize = 7;
    pub const TIMESTAMP: std::ops::Range<usize> = 8..16;
    pub const SEQUENCE: std::ops::Range<usize> = 16..18;
    pub const COUNT: std::ops::Range<usize> = 18..20;
    pub const HEADER_CRC: std::ops::Range<usize> = 20..24;
}

/// Segment flags.
pub mod flags {
    /// The segment starts a burst.
    pub const START: u8 = 1 << 0;
    /// The segment ends a burst.
    pub const END: u8 = 1 << 1;
    /// The gate's FIFO overflowed before this segment: samples are missing before it.
    pub const OVERFLOW: u8 = 1 << 2;
    /// Every flag this version defines.
    pub const KNOWN: u8 = START | END | OVERFLOW;
}

/// How samples are packed in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleFormat {
    /// I then Q, signed 16-bit little-endian each: 4 bytes per sample.
    Ci16,
    /// I and Q as signed 12-bit, packed into 3 bytes: `I[7:0]`, `Q[3:0] I[11:8]`, `Q[11:4]`
    /// (the LMS7002M's sample width).
    Ci12,
}

impl SampleFormat {
    /// Its code in the header.
    pub fn code(self) -> u8 {
        match self {
            SampleFormat::Ci16 => 1,
            SampleFormat::Ci12 => 2,
        }
    }

    /// The format of a header code.
    pub fn from_code(c: u8) -> Option<SampleFormat> {
        match c {
            1 => Some(SampleFormat::Ci16),
            2 => Some(SampleFormat::Ci12),
            _ => None,
        }
    }

    /// Payload bytes per sample.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            SampleFormat::Ci16 => 4,
            SampleFormat::Ci12 => 3,
        }
    }

    /// Full scale: the magnitude that maps to 1.0.
    pub fn full_scale(self) -> f32 {
        match self {
            SampleFormat::Ci16 => 32768.0,
            SampleFormat::Ci12 => 2048.0,
        }
    }

    /// Largest component value.
    fn max(self) -> i16 {
        match self {
            SampleFormat::Ci16 => i16::MAX,
            SampleFormat::Ci12 => 2047,
        }
    }
}

/// What is wrong with a segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than the header, or than the header says the segment has.
    #[error("segment truncated: {have} of {need} bytes")]
    Truncated {
        /// Bytes there.
        have: usize,
        /// Bytes needed.
        need: usize,
    },
    /// The first four bytes are not [`MAGIC`].
    #[error("no segment magic")]
    BadMagic,
    /// A version this code does not read.
    #[error("burst-stream version {0} (this reads {VERSION})")]
    Version(u8),
    /// The header's CRC does not match: nothing in it can be trusted.
    #[error("header CRC mismatch")]
    HeaderCrc,
    /// An unknown sample format code.
    #[error("unknown sample format {0}")]
    Format(u8),
    /// Flags this version does not define.
    #[error("unknown flags {0:#04x}")]
    Flags(u8),
    /// A sample count of 0 or over [`MAX_SAMPLES`].
    #[error("sample count {0} not in 1..={MAX_SAMPLES}")]
    Count(usize),
    /// The payload's CRC does not match (the header is sound: the segment can be skipped).
    #[error("payload CRC mismatch")]
    PayloadCrc,
    /// A component outside the format's range (emit only).
    #[error("sample component {0} out of the format's range")]
    Range(i16),
}

/// Read-only view of one segment.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` and checks magic, version, header CRC, format, flags, count, length and
    /// payload CRC, in that order.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let p = Packet { buffer };
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        let (format, count) = check_header(b)?;
        let need = segment_len(format, count);
        if b.len() < need {
            return Err(Error::Truncated {
                have: b.len(),
                need,
            });
        }
        let payload = &b[HEADER_LEN..need - TRAILER_LEN];
        if crc32fast::hash(payload).to_le_bytes() != b[need - TRAILER_LEN..need] {
            return Err(Error::PayloadCrc);
        }
        Ok(())
    }

    /// Segment length in bytes (header, payload, trailer).
    pub fn len(&self) -> usize {
        segment_len(self.format(), self.count())
    }

    /// Always false: a checked segment has at least one sample.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The sample format.
    pub fn format(&self) -> SampleFormat {
        SampleFormat::from_code(self.buffer.as_ref()[field::FORMAT]).unwrap_or(SampleFormat::Ci16)
    }

    /// Channel number.
    pub fn channel(&self) -> u8 {
        self.buffer.as_ref()[field::CHANNEL]
    }

    /// Flags ([`flags`]).
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    /// Index of the segment's first sample on its channel's sample clock.
    pub fn timestamp(&self) -> u64 {
        u64::from_le_bytes(le_array(&self.buffer.as_ref()[field::TIMESTAMP]))
    }

    /// Per-channel segment counter.
    pub fn sequence(&self) -> u16 {
        u16::from_le_bytes(le_array(&self.buffer.as_ref()[field::SEQUENCE]))
    }

    /// Samples in the segment.
    pub fn count(&self) -> usize {
        usize::from(u16::from_le_bytes(le_array(
            &self.buffer.as_ref()[field::COUNT],
        )))
    }

    /// The packed samples.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.len() - TRAILER_LEN]
    }
}

fn le_array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

fn segment_len(format: SampleFormat, count: usize) -> usize {
    HEADER_LEN + count * format.bytes_per_sample() + TRAILER_LEN
}

/// Checks everything the header alone can say; returns its format and count.
fn check_header(b: &[u8]) -> Result<(SampleFormat, usize), Error> {
    if b.len() < HEADER_LEN {
        return Err(Error::Truncated {
            have: b.len(),
            need: HEADER_LEN,
        });
    }
    if b[field::MAGIC] != MAGIC {
        return Err(Error::BadMagic);
    }
    if b[field::VERSION] != VERSION {
        return Err(Error::Version(b[field::VERSION]));
    }
    if crc32fast::hash(&b[..field::HEADER_CRC.start]).to_le_bytes() != b[field::HEADER_CRC] {
        return Err(Error::HeaderCrc);
    }
    let format =
        SampleFormat::from_code(b[field::FORMAT]).ok_or(Error::Format(b[field::FORMAT]))?;
    if b[field::FLAGS] & !flags::KNOWN != 0 {
        return Err(Error::Flags(b[field::FLAGS]));
    }
    let count = usize::from(u16::from_le_bytes(le_array(&b[field::COUNT])));
    if count == 0 || count > MAX_SAMPLES {
        return Err(Error::Count(count));
    }
    Ok((format, count))
}

/// One segment, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Channel number.
    pub channel: u8,
    /// [`flags`].
    pub flags: u8,
    /// Index of the first sample on the channel's sample clock.
    pub timestamp: u64,
    /// Per-channel segment counter.
    pub sequence: u16,
    /// Sample format on the wire.
    pub format: SampleFormat,
    /// The samples as integers `(I, Q)`, in the format's range.
    pub samples: Vec<(i16, i16)>,
}

impl Repr {
    /// Parses a checked segment.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        let format = p.format();
        let samples = p
            .payload()
            .chunks_exact(format.bytes_per_sample())
            .map(|c| match format {
                SampleFormat::Ci16 => (
                    i16::from_le_bytes([c[0], c[1]]),
                    i16::from_le_bytes([c[2], c[3]]),
                ),
                SampleFormat::Ci12 => {
                    let i = u16::from(c[0]) | (u16::from(c[1] & 0x0F) << 8);
                    let q = u16::from(c[1] >> 4) | (u16::from(c[2]) << 4);
                    (sign12(i), sign12(q))
                }
            })
            .collect();
        Repr {
            channel: p.channel(),
            flags: p.flags(),
            timestamp: p.timestamp(),
            sequence: p.sequence(),
            format,
            samples,
        }
    }

    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        segment_len(self.format, self.samples.len())
    }

    /// The segment's bytes. `Count` for 0 or more than [`MAX_SAMPLES`] samples, `Flags` for
    /// undefined flags, `Range` for a component the format cannot carry.
    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let n = self.samples.len();
        if n == 0 || n > MAX_SAMPLES {
            return Err(Error::Count(n));
        }
        if self.flags & !flags::KNOWN != 0 {
            return Err(Error::Flags(self.flags));
        }
        let max = self.format.max();
        let mut out = Vec::with_capacity(self.buffer_len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&[VERSION, self.format.code(), self.channel, self.flags]);
        out.extend_from_slice(&self.timestamp.to_le_bytes());
        out.extend_from_slice(&self.sequence.to_le_bytes());
        out.extend_from_slice(&(n as u16).to_le_bytes());
        let hcrc = crc32fast::hash(&out);
        out.extend_from_slice(&hcrc.to_le_bytes());
        for &(i, q) in &self.samples {
            for v in [i, q] {
                if v > max || v < -max - 1 {
                    return Err(Error::Range(v));
                }
            }
            match self.format {
                SampleFormat::Ci16 => {
                    out.extend_from_slice(&i.to_le_bytes());
                    out.extend_from_slice(&q.to_le_bytes());
                }
                SampleFormat::Ci12 => {
                    let (i, q) = ((i as u16) & 0xFFF, (q as u16) & 0xFFF);
                    out.extend_from_slice(&[
                        i as u8,
                        ((i >> 8) as u8) | ((q as u8 & 0x0F) << 4),
                        (q >> 4) as u8,
                    ]);
                }
            }
        }
        let pcrc = crc32fast::hash(&out[HEADER_LEN..]);
        out.extend_from_slice(&pcrc.to_le_bytes());
        Ok(out)
    }

    /// The samples scaled to full scale 1.0.
    pub fn to_complex(&self) -> Vec<Complex32> {
        let s = self.format.full_scale();
        self.samples
            .iter()
            .map(|&(i, q)| Complex32::new(f32::from(i) / s, f32::from(q) / s))
            .collect()
    }
}

fn sign12(v: u16) -> i16 {
    ((v << 4) as i16) >> 4
}

/// A damaged stretch of the byte stream, reported once, and where the deframer resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// What was wrong with the first bad segment of the stretch.
    pub error: Error,
    /// Bytes skipped before the next good segment (or still unread).
    pub skipped: u64,
    /// Stream offset of the damage.
    pub offset: u64,
}

/// Counters of a [`Deframer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeframerStats {
    /// Good segments out.
    pub segments: u64,
    /// Damaged stretches reported.
    pub errors: u64,
    /// Bytes skipped in them.
    pub skipped_bytes: u64,
}

/// Turns a byte stream into segments; see the module docs.
#[derive(Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// The damage being skipped, reported once the next good segment (or the end) comes.
    damage: Option<StreamError>,
    /// A good segment found right after damage, handed out after the damage report.
    pending: Option<Repr>,
    stats: DeframerStats,
}

/// What [`Deframer::next`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A good segment.
    Segment(Repr),
    /// A damaged stretch before it.
    Damaged(StreamError),
}

impl Deframer {
    /// An empty deframer.
    pub fn new() -> Deframer {
        Deframer::default()
    }

    /// Appends bytes from the link.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Counters so far.
    pub fn stats(&self) -> DeframerStats {
        self.stats
    }

    /// The next item, or `None` until more bytes come.
    pub fn next_item(&mut self) -> Option<Item> {
        if let Some(r) = self.pending.take() {
            return Some(Item::Segment(r));
        }
        loop {
            let Some(at) = find_magic(&self.buf) else {
                // Keep the last 3 bytes: they may start a magic.
                let drop = self.buf.len().saturating_sub(MAGIC.len() - 1);
                self.skip(drop, Error::BadMagic);
                return None;
            };
            if at > 0 {
                self.skip(at, Error::BadMagic);
            }
            match check_header(&self.buf) {
                Err(Error::Truncated { .. }) => return None,
                Err(e) => {
                    // The header cannot be trusted: look for the next magic after this one.
                    self.skip(1, e);
                    continue;
                }
                Ok((format, count)) => {
                    let need = segment_len(format, count);
                    if self.buf.len() < need {
                        return None;
                    }
                    match Packet::new_checked(&self.buf[..need]) {
                        Ok(p) => {
                            let repr = Repr::parse(&p);
                            self.consume(need);
                            self.stats.segments += 1;
                            if let Some(d) = self.damage.take() {
                                self.pending = Some(repr);
                                return Some(Item::Damaged(d));
                            }
                            return Some(Item::Segment(repr));
                        }
                        Err(e) => {
                            // A sound header: the whole segment is skipped at once.
                            self.skip(need, e);
                            continue;
                        }
                    }
                }
            }
        }
    }

    /// The damage still being skipped when the stream ended (call at the end).
    pub fn finish(&mut self) -> Option<StreamError> {
        if !self.buf.is_empty() {
            let n = self.buf.len();
            self.skip(
                n,
                Error::Truncated {
                    have: n,
                    need: HEADER_LEN,
                },
            );
        }
        self.damage.take()
    }

    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.offset += n as u64;
    }

    fn skip(&mut self, n: usize, error: Error) {
        if n == 0 {
            return;
        }
        match &mut self.damage {
            Some(d) => d.skipped += n as u64,
            None => {
                self.stats.errors += 1;
                self.damage = Some(StreamError {
                    error,
                    skipped: n as u64,
                    offset: self.offset,
                });
            }
        }
        self.stats.skipped_bytes += n as u64;
        self.consume(n);
    }
}

fn find_magic(b: &[u8]) -> Option<usize> {
    b.windows(MAGIC.len()).position(|w| w == MAGIC)
}

/// A burst put back together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// Channel number.
    pub channel: u8,
    /// Index of its first sample on the channel's sample clock.
    pub timestamp: u64,
    /// Sample format it came in.
    pub format: SampleFormat,
    /// The samples, in order.
    pub samples: Vec<(i16, i16)>,
    /// Every segment arrived (no sequence or timestamp gap, started and ended).
    pub complete: bool,
    /// The gate flagged a FIFO overflow inside or just before it.
    pub overflow: bool,
}

#[derive(Debug, Default)]
struct Open {
    burst: Option<Burst>,
    next_sequence: Option<u16>,
}

/// Counters of a [`Reassembler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblerStats {
    /// Bursts out, complete or not.
    pub bursts: u64,
    /// Of them, incomplete.
    pub incomplete: u64,
    /// Segments missing by the sequence numbers.
    pub lost_segments: u64,
    /// Segments that belonged to no burst (a middle segment after a loss).
    pub orphans: u64,
}

/// Segments of every channel back into bursts; see the module docs.
#[derive(Debug, Default)]
pub struct Reassembler {
    open: std::collections::BTreeMap<u8, Open>,
    stats: ReassemblerStats,
}

impl Reassembler {
    /// Nothing open.
    pub fn new() -> Reassembler {
        Reassembler::default()
    }

    /// Counters so far.
    pub fn stats(&self) -> ReassemblerStats {
        self.stats
    }

    /// Takes a segment; returns the bursts it closed (an earlier one cut short by a loss,
    /// and this one when it ends).
    pub fn push(&mut self, seg: Repr) -> Vec<Burst> {
        let mut out = Vec::new();
        let open = self.open.entry(seg.channel).or_default();
        let lost = match open.next_sequence {
            Some(want) => seg.sequence.wrapping_sub(want),
            None => 0,
        };
        open.next_sequence = Some(seg.sequence.wrapping_add(1));
        self.stats.lost_segments += u64::from(lost);
        let starts = seg.flags & flags::START != 0;
        let cut = open.burst.as_ref().is_some_and(|b| {
            let contiguous = b.timestamp.wrapping_add(b.samples.len() as u64) == seg.timestamp
                && b.format == seg.format;
            lost > 0 || starts || !contiguous
        });
        if cut {
            // The rest of the open burst is gone.
            if let Some(mut b) = open.burst.take() {
                b.complete = false;
                out.push(b);
            }
        }
        match open.burst.as_mut() {
            Some(b) => {
                b.samples.extend_from_slice(&seg.samples);
                b.overflow |= seg.flags & flags::OVERFLOW != 0;
            }
            None if starts => {
                open.burst = Some(Burst {
                    channel: seg.channel,
                    timestamp: seg.timestamp,
                    format: seg.format,
                    samples: seg.samples.clone(),
                    complete: true,
                    overflow: seg.flags & flags::OVERFLOW != 0,
                });
            }
            None => {
                self.stats.orphans += 1;
            }
        }
        if seg.flags & flags::END != 0 {
            if let Some(b) = open.burst.take() {
                out.push(b);
            }
        }
        for b in &out {
            self.stats.bursts += 1;
            if !b.complete {
                self.stats.incomplete += 1;
            }
        }
        out
    }
}

/// Splits a burst into segments of at most [`MAX_SAMPLES`] samples (see [`segments_of`]).
pub fn segments(
    channel: u8,
    timestamp: u64,
    format: SampleFormat,
    samples: &[(i16, i16)],
    overflow: bool,
    sequence: &mut u16,
) -> Vec<Repr> {
    segments_of(
        MAX_SAMPLES,
        channel,
        timestamp,
        format,
        samples,
        overflow,
        sequence,
    )
}

/// Splits a burst into segments of at most `max` samples (1..=[`MAX_SAMPLES`]), as a framer
/// with that segment size sends a burst it loses nothing of (the software model of the
/// gateware framer, whose segments hold 256): START on the first, END on the last, OVERFLOW
/// on the first when `overflow`; sequence numbers from `*sequence`, advanced.
///
/// # Panics
/// If `max` is 0 or above [`MAX_SAMPLES`].
pub fn segments_of(
    max: usize,
    channel: u8,
    timestamp: u64,
    format: SampleFormat,
    samples: &[(i16, i16)],
    overflow: bool,
    sequence: &mut u16,
) -> Vec<Repr> {
    assert!((1..=MAX_SAMPLES).contains(&max), "segment size {max}");
    let chunks: Vec<&[(i16, i16)]> = samples.chunks(max).collect();
    let last = chunks.len().saturating_sub(1);
    chunks
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let mut f = 0;
            if k == 0 {
                f |= flags::START;
                if overflow {
                    f |= flags::OVERFLOW;
                }
            }
            if k == last {
                f |= flags::END;
            }
            let seq = *sequence;
            *sequence = sequence.wrapping_add(1);
            Repr {
                channel,
                flags: f,
                timestamp: timestamp.wrapping_add((k * max) as u64),
                sequence: seq,
                format,
                samples: c.to_vec(),
            }
        })
        .collect()
}
