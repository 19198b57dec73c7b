//! Hostile traffic for the frame-level simulation (issue 10, floods and misbehaving
//! terminals): what anyone in radio range can send a gateway, made frame by frame and
//! handed to the gateway's receiver as if decoded.
//!
//! The frames go straight to the receiver, not through the medium: the question is what the
//! gateway does with them — the answers it sends, the state it keeps, the registrar calls
//! it makes — not whether a transmitter can jam a channel (no MAC defends a window against
//! a radio that talks over it). So every flood frame is received, the worst case for the
//! gateway, and none collides with a terminal's frame, which keeps the test about the
//! gateway. The gateway's answers do go on air and take downlink time like any frame.
//!
//! The mix ([`FloodKind`]): probe requests from random MACs asking for random SIDs or a
//! served one, authentications from random MACs with a served SID, association requests
//! with a forged registration proof (from MACs that just authenticated, so they reach the
//! registrar), replays of terminals' own authentication and association frames captured on
//! air, and — from a few terminals chosen to misbehave — reports outside their window at
//! many times their rate, and oversized reports.

use subgate_control::registrar::proof::indication;
use subgate_control::registrar::Psk;
use subgate_control::wire::m2m::carry::action_frame;
use subgate_control::wire::m2m::{DataFormat, M2mAction, M2mElement, ReportRepr, Sid, SidList};
use subgate_control::wire::mac::{HeaderRepr, SeqCtrl};
use subgate_control::wire::mgmt::{
    AssociationRequestRepr, AuthAlgorithm, AuthenticationRepr, ProbeRequestRepr, StatusCode,
};
use subgate_control::wire::{with_fcs, Frame, FrameControl, FrameKind, Ie, MacAddr};
use subgate_dsp::rng::Rng;

/// Captured frames kept for replay.
const REPLAY_KEEP: usize = 512;
/// Random MACs that authenticated lately, for the forged association requests.
const RECENT_KEEP: usize = 64;

/// A flood: how much, when, and who misbehaves.
#[derive(Debug, Clone)]
pub struct FloodSetup {
    /// Flood frames per second, over all channels (Poisson arrivals).
    pub rate_per_s: f64,
    /// Virtual second the flood starts at.
    pub from_s: u64,
    /// Virtual second it stops at (`None`: at the end of the report phase).
    pub until_s: Option<u64>,
    /// Terminals (indices) that misbehave: their reports out of their window and oversized
    /// ones are part of the flood; they do not count as legitimate.
    pub misbehaving: Vec<usize>,
    /// Terminals (indices) that go mute once scheduled: they never report, answer a poll or
    /// ack anything again; they do not count as legitimate.
    pub mute: Vec<usize>,
    /// Seed of the flood's choices.
    pub seed: u64,
}

/// The kinds of flood frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodKind {
    /// Probe request, random MAC, random SID.
    ProbeRandom,
    /// Probe request, random MAC, a served SID.
    ProbeServed,
    /// Authentication, random MAC, a served SID.
    Auth,
    /// Association request with a forged registration proof.
    AssocForged,
    /// A captured authentication or association request of a terminal, sent again.
    Replay,
    /// A report from a misbehaving terminal outside its window.
    ReportOffSlot,
    /// A report from a misbehaving terminal larger than its data amount.
    ReportOversized,
}

impl FloodKind {
    /// Every kind, in the order of [`FloodCounts::by_kind`].
    pub const ALL: [FloodKind; 7] = [
        FloodKind::ProbeRandom,
        FloodKind::ProbeServed,
        FloodKind::Auth,
        FloodKind::AssocForged,
        FloodKind::Replay,
        FloodKind::ReportOffSlot,
        FloodKind::ReportOversized,
    ];

    /// Share of the flood, per mille.
    fn weight(self) -> u64 {
        match self {
            FloodKind::ProbeRandom => 250,
            FloodKind::ProbeServed => 200,
            FloodKind::Auth => 200,
            FloodKind::AssocForged => 150,
            FloodKind::Replay => 100,
            FloodKind::ReportOffSlot => 70,
            FloodKind::ReportOversized => 30,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FloodKind::ProbeRandom => "probe, random SID",
            FloodKind::ProbeServed => "probe, served SID",
            FloodKind::Auth => "authentication",
            FloodKind::AssocForged => "association, forged proof",
            FloodKind::Replay => "replayed auth/assoc",
            FloodKind::ReportOffSlot => "report off its slot",
            FloodKind::ReportOversized => "oversized report",
        }
    }
}

/// Flood frames sent, per kind (in [`FloodKind::ALL`] order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloodCounts {
    /// Frames per kind.
    pub by_kind: [u64; 7],
}

impl FloodCounts {
    /// Every frame.
    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }
}

/// A misbehaving terminal as the flood sees it: its MAC, service SID and data amount.
#[derive(Debug, Clone)]
pub struct Misbehaver {
    /// Its MAC.
    pub mac: MacAddr,
    /// Its service SID.
    pub service: Sid,
    /// Its data amount, bytes.
    pub data_amount: u32,
}

/// The flood's generator.
#[derive(Debug)]
pub struct Flood {
    setup: FloodSetup,
    rng: Rng,
    bssid: MacAddr,
    served: Vec<Sid>,
    channels: Vec<u8>,
    captured: Vec<Vec<u8>>,
    recent_auth: Vec<MacAddr>,
    counts: FloodCounts,
    seq: u16,
}

impl Flood {
    /// A flood at a gateway `bssid` serving `served` on `channels`.
    pub fn new(setup: FloodSetup, bssid: MacAddr, served: Vec<Sid>, channels: Vec<u8>) -> Flood {
        let rng = Rng::new(setup.seed ^ 0xF100D);
        Flood {
            setup,
            rng,
            bssid,
            served,
            channels,
            captured: Vec::new(),
            recent_auth: Vec::new(),
            counts: FloodCounts::default(),
            seq: 0,
        }
    }

    /// Its setup.
    pub fn setup(&self) -> &FloodSetup {
        &self.setup
    }

    /// Frames sent so far.
    pub fn counts(&self) -> FloodCounts {
        self.counts
    }

    /// Time to the next flood frame, µs (exponential).
    pub fn gap_us(&mut self) -> u64 {
        let u = self.rng.uniform().max(1e-12);
        ((-u.ln() / self.setup.rate_per_s.max(1e-9)) * 1e6).ceil() as u64
    }

    /// Keeps a terminal's authentication or association request heard on air, for replay.
    pub fn capture(&mut self, psdu: &[u8]) {
        let kind = FrameControl::read(psdu).map(|fc| fc.kind());
        if !matches!(
            kind,
            Ok(FrameKind::Authentication | FrameKind::AssociationRequest)
        ) {
            return;
        }
        if self.captured.len() < REPLAY_KEEP {
            self.captured.push(psdu.to_vec());
        } else {
            let i = self.rng.below(REPLAY_KEEP as u64) as usize;
            self.captured[i] = psdu.to_vec();
        }
    }

    /// The next flood frame: its channel and PSDU (with FCS). `misbehavers` are the
    /// misbehaving terminals that are scheduled now.
    pub fn next_frame(&mut self, misbehavers: &[Misbehaver]) -> (u8, Vec<u8>) {
        let channel = self.channels[self.rng.below(self.channels.len().max(1) as u64) as usize];
        loop {
            let kind = self.pick();
            if let Some(psdu) = self.frame(kind, misbehavers) {
                let i = FloodKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
                self.counts.by_kind[i] += 1;
                return (channel, psdu);
            }
        }
    }

    fn pick(&mut self) -> FloodKind {
        let total: u64 = FloodKind::ALL.iter().map(|k| k.weight()).sum();
        let mut x = self.rng.below(total);
        for k in FloodKind::ALL {
            if x < k.weight() {
                return k;
            }
            x -= k.weight();
        }
        FloodKind::ProbeRandom
    }

    fn random_mac(&mut self) -> MacAddr {
        let b = self.rng.next_u64().to_be_bytes();
        // Locally administered, unicast: what a MAC randomiser makes.
        MacAddr([(b[0] & 0xFC) | 0x02, b[1], b[2], b[3], b[4], b[5]])
    }

    fn header(&mut self, from: MacAddr, to: MacAddr) -> HeaderRepr {
        self.seq = (self.seq + 1) % SeqCtrl::SEQ_MODULO;
        HeaderRepr {
            flags: 0,
            duration: 0,
            addr1: to,
            addr2: from,
            addr3: if to.is_group() {
                MacAddr::BROADCAST
            } else {
                to
            },
            seq_ctrl: SeqCtrl::new(self.seq, 0),
        }
    }

    fn served_sid(&mut self) -> Option<Sid> {
        let n = self.served.len() as u64;
        (n > 0).then(|| self.served[self.rng.below(n) as usize].clone())
    }

    fn sid_ie(sids: Vec<Sid>) -> Vec<Ie> {
        M2mElement::SidList(SidList { sids })
            .to_ie()
            .into_iter()
            .collect()
    }

    /// A frame of `kind`, or `None` when there is nothing to make it from yet (no capture,
    /// no misbehaving terminal scheduled).
    fn frame(&mut self, kind: FloodKind, misbehavers: &[Misbehaver]) -> Option<Vec<u8>> {
        let frame = match kind {
            FloodKind::ProbeRandom | FloodKind::ProbeServed => {
                let mac = self.random_mac();
                let sid = if kind == FloodKind::ProbeServed {
                    self.served_sid()?
                } else {
                    Sid::service(&format!("x{:08x}", self.rng.next_u64() as u32)).ok()?
                };
                Frame::ProbeRequest(ProbeRequestRepr {
                    header: self.header(mac, MacAddr::BROADCAST),
                    elements: Self::sid_ie(vec![sid]),
                })
            }
            FloodKind::Auth => {
                let mac = self.random_mac();
                if self.recent_auth.len() >= RECENT_KEEP {
                    self.recent_auth.remove(0);
                }
                self.recent_auth.push(mac);
                let sid = self.served_sid()?;
                Frame::Authentication(AuthenticationRepr {
                    header: self.header(mac, self.bssid),
                    algorithm: AuthAlgorithm::OpenSystem,
                    transaction_seq: 1,
                    status: StatusCode::Success,
                    elements: Self::sid_ie(vec![sid]),
                })
            }
            FloodKind::AssocForged => {
                let n = self.recent_auth.len() as u64;
                let mac = if n == 0 {
                    self.random_mac()
                } else {
                    self.recent_auth[self.rng.below(n) as usize]
                };
                let sid = self.served_sid()?;
                let user = Sid::user(&format!("utility-{}", self.rng.below(4))).ok()?;
                let key =
                    Psk::from_hex(&format!("{:032x}", u128::from(self.rng.next_u64()))).ok()?;
                let nonce = self.rng.next_u64().to_be_bytes();
                let reg = indication(&key, mac, nonce, 1);
                let mut elements = Self::sid_ie(vec![user, sid]);
                elements.extend(M2mElement::Registration(reg).to_ie());
                Frame::AssociationRequest(AssociationRequestRepr {
                    header: self.header(mac, self.bssid),
                    capability: 0,
                    listen_interval: 0,
                    elements,
                })
            }
            FloodKind::Replay => {
                let n = self.captured.len() as u64;
                if n == 0 {
                    return None;
                }
                return Some(self.captured[self.rng.below(n) as usize].clone());
            }
            FloodKind::ReportOffSlot | FloodKind::ReportOversized => {
                let n = misbehavers.len() as u64;
                if n == 0 {
                    return None;
                }
                let m = &misbehavers[self.rng.below(n) as usize];
                let amount = m.data_amount as usize;
                let len = if kind == FloodKind::ReportOversized {
                    amount * 4 + 1
                } else {
                    amount
                };
                let report = ReportRepr {
                    // High sequence numbers: never the terminal's own.
                    sequence: 0x8000_0000 | (self.rng.next_u64() as u32 >> 1),
                    sid: m.service.clone(),
                    timestamp: 0,
                    data_format: DataFormat::Opaque,
                    payload: vec![0xA5; len],
                };
                let h = self.header(m.mac, self.bssid);
                action_frame(h, &M2mAction::Report(report)).ok()?
            }
        };
        Some(with_fcs(&frame.to_bytes()))
    }
}

/// Resident memory of this process, KiB (Linux; `None` elsewhere).
pub fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subgate_control::wire::strip_fcs;

    #[test]
    fn every_frame_parses_and_the_mix_is_kept() {
        let setup = FloodSetup {
            rate_per_s: 1_000.0,
            from_s: 0,
            until_s: None,
            misbehaving: vec![0],
            mute: Vec::new(),
            seed: 3,
        };
        let served = vec![Sid::service("metering").expect("sid")];
        let bssid = MacAddr([2, 0, 0, 0, 0, 1]);
        let mut f = Flood::new(setup, bssid, served, vec![1, 3]);
        let m = Misbehaver {
            mac: MacAddr([2, 0x10, 0, 0, 0, 1]),
            service: Sid::service("metering").expect("sid"),
            data_amount: 24,
        };
        let mut gap = 0;
        for _ in 0..5_000 {
            gap += f.gap_us();
            let (ch, psdu) = f.next_frame(std::slice::from_ref(&m));
            assert!(ch == 1 || ch == 3);
            let body = strip_fcs(&psdu).expect("fcs");
            Frame::parse(body).expect("parses");
            if f.counts().by_kind[2] == 1 {
                f.capture(&psdu);
            }
        }
        let c = f.counts();
        assert_eq!(c.total(), 5_000);
        // Replays only once something was captured; every kind turns up.
        assert!(c.by_kind.iter().all(|n| *n > 0), "{c:?}");
        // Mean gap near 1 ms.
        assert!((4_000_000..6_000_000).contains(&gap), "{gap}");
    }
}
