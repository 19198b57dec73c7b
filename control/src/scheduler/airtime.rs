//! How long a report occupies the channel: the PPDU of the report, SIFS, and the ACK.
//!
//! Times come from the PHY's own sample counts (`Format::ppdu_len` over `Format::n_sym`,
//! long GI), divided by the format's native sample rate, rounded up to whole µs; so the
//! scheduler and the transmitter agree on every PPDU's length.

use subgate_dsp::{Format, Gi, Mcs};

use crate::wire::ack;
use crate::wire::mac::FCS_LEN;

/// S1G short interframe space, µs (802.11-2020 Table 23-39: aSIFSTime = 160 µs).
pub const SIFS_US: u64 = 160;

/// Bytes of an ACK on air: the 10-byte control frame plus its FCS.
pub const ACK_PSDU_LEN: usize = ack::LEN + FCS_LEN;

/// Microseconds per second.
const US_PER_S: u64 = 1_000_000;

/// Airtime of one PPDU carrying `psdu_bytes` at `mcs` in `format`, long GI, µs (rounded up).
///
/// Computed for any MCS index the tables know; whether `format` supports `mcs` is the
/// caller's check (`Format::supports`).
pub fn airtime_us(format: Format, mcs: Mcs, psdu_bytes: usize) -> u64 {
    let samples = format.ppdu_len(Gi::Long, format.n_sym(mcs, psdu_bytes)) as u64;
    // Native rates are whole numbers of samples per second (1 or 2 Msps): exact as u64.
    let rate_hz = (format.sample_rate() as u64).max(1);
    samples.saturating_mul(US_PER_S).div_ceil(rate_hz)
}

/// MCS of the ACK answering a report sent at `mcs`: the most robust rate of the format
/// (MCS0, or MCS10 when the report itself used the 1 MHz repetition MCS). Conservative: a
/// faster basic rate only shortens the real exchange.
pub const fn ack_mcs(mcs: Mcs) -> Mcs {
    if mcs.is_repetition() {
        Mcs::MCS10
    } else {
        Mcs(0)
    }
}

/// Airtime of the ACK answering a report sent at `mcs` in `format`, µs.
pub fn ack_airtime_us(format: Format, mcs: Mcs) -> u64 {
    airtime_us(format, ack_mcs(mcs), ACK_PSDU_LEN)
}

/// A terminal's report window, µs: its report PPDU (`psdu_bytes` at `mcs`), SIFS, and the
/// gateway's ACK. This is the `duration` to pass to
/// [`Scheduler::allocate`](super::Scheduler::allocate); the scheduler reserves
/// [`SchedulerConfig::guard_us`](super::SchedulerConfig::guard_us) more after it, so the
/// channel time held per report is report + ACK + guard.
pub fn window_us(format: Format, mcs: Mcs, psdu_bytes: usize) -> u64 {
    airtime_us(format, mcs, psdu_bytes)
        .saturating_add(SIFS_US)
        .saturating_add(ack_airtime_us(format, mcs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mhz_mcs0_matches_the_symbol_count() {
        // 100 bytes at 1 MHz MCS0 (12 data bits/symbol): (800 + 8 + 6) / 12 → 68 symbols of
        // 40 µs, after a 560 µs preamble (STF 160 + LTF1 160 + SIG 6 × 40).
        assert_eq!(airtime_us(Format::S1g1M, Mcs(0), 100), 560 + 68 * 40);
    }

    #[test]
    fn two_mhz_halves_the_sample_count() {
        // 2 MHz MCS0: 26 bits/symbol; 100 bytes → ceil(814 / 26) = 32 symbols of 40 µs after
        // a 240 µs preamble; 2 Msps, so samples / 2.
        assert_eq!(airtime_us(Format::S1gShort2M, Mcs(0), 100), 240 + 32 * 40);
    }

    #[test]
    fn empty_psdu_still_carries_service_and_tail() {
        // SERVICE + tail = 14 bits: two 12-bit symbols at MCS0, one at MCS1 (24 bits).
        assert_eq!(airtime_us(Format::S1g1M, Mcs(0), 0), 560 + 2 * 40);
        assert_eq!(airtime_us(Format::S1g1M, Mcs(1), 0), 560 + 40);
    }

    #[test]
    fn ack_uses_the_robust_rate() {
        // 14 bytes at MCS0: ceil(126 / 12) = 11 symbols.
        assert_eq!(ack_airtime_us(Format::S1g1M, Mcs(7)), 560 + 11 * 40);
        // MCS10 (6 bits/symbol): ceil(126 / 6) = 21 symbols.
        assert_eq!(ack_airtime_us(Format::S1g1M, Mcs::MCS10), 560 + 21 * 40);
    }

    #[test]
    fn window_is_report_sifs_ack() {
        let w = window_us(Format::S1g1M, Mcs(2), 64);
        assert_eq!(
            w,
            airtime_us(Format::S1g1M, Mcs(2), 64) + SIFS_US + ack_airtime_us(Format::S1g1M, Mcs(2))
        );
    }
}
