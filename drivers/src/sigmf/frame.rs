//! Turning a decoded frame into a SigMF annotation, so a recording can carry what the
//! receiver found in it and be reviewed later in any SigMF viewer.

use serde_json::Value;
use subgate_dsp::frame::RxFrame;
use subgate_dsp::params::MAX_PSDU_LEN;

use super::meta::{Annotation, SUBGATE_NS};

/// Bytes of one A-MPDU delimiter, added to the PSDU when estimating an aggregated PPDU.
const AMPDU_DELIMITER_LEN: usize = 4;

/// An annotation covering `frame`'s PPDU in a recording sampled at `input_rate`.
///
/// - `core:sample_start` is the frame's `sample_index`; `core:sample_count` is the PPDU
///   length computed from format, MCS, GI and length, scaled to `input_rate` (rounded up;
///   for an A-MPDU one delimiter is counted, padding delimiters are not).
/// - `core:label` reads like `S1G_1M MCS0 24B`; `core:comment` says `FCS bad` when so.
/// - With `center_frequency`, the band edges are centre ± half the format's bandwidth,
///   which assumes the frame sits at that centre: pass the channel's centre for a
///   channelised receiver.
/// - `subgate:format`, `subgate:mcs`, `subgate:gi`, `subgate:length`, `subgate:channel`,
///   `subgate:aggregated`, `subgate:snr_db`, `subgate:cfo_hz`, `subgate:rssi_dbfs`,
///   `subgate:fcs_ok` carry the [`subgate_dsp::frame::RxInfo`] fields (non-finite floats
///   become `null`).
pub fn annotation_for_frame(
    frame: &RxFrame,
    input_rate: f64,
    center_frequency: Option<f64>,
) -> Annotation {
    let info = &frame.info;
    let format = info.format;

    // Clamp so absurd lengths cannot overflow the symbol arithmetic.
    let mut bytes = info.length.min(MAX_PSDU_LEN);
    if info.aggregated {
        bytes += AMPDU_DELIMITER_LEN;
    }
    let n_sym = format.n_sym(info.mcs, bytes);
    let native = format.ppdu_len(info.gi, n_sym) as f64;
    // `as` saturates (NaN -> 0), so a bad rate cannot panic.
    let sample_count = (native * input_rate / format.sample_rate()).ceil() as u64;

    let half_bw = f64::from(format.bandwidth_mhz()) * 1.0e6 / 2.0;
    let mut a = Annotation::new(info.sample_index, sample_count);
    a.label = Some(format!("{} {} {}B", format, info.mcs, info.length));
    a.comment = (!info.fcs_ok).then(|| "FCS bad".to_string());
    a.freq_lower_edge = center_frequency.map(|f| f - half_bw);
    a.freq_upper_edge = center_frequency.map(|f| f + half_bw);

    let mut put = |k: &str, v: Value| {
        a.extra.insert(format!("{SUBGATE_NS}:{k}"), v);
    };
    put("format", format.to_string().into());
    put("mcs", info.mcs.0.into());
    put("gi", info.gi.to_string().into());
    put("length", info.length.into());
    put("channel", info.channel.into());
    put("aggregated", info.aggregated.into());
    put("snr_db", info.snr_db.into());
    put("cfo_hz", info.cfo_hz.into());
    put("rssi_dbfs", info.rssi_dbfs.into());
    put("fcs_ok", info.fcs_ok.into());
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use subgate_dsp::frame::RxInfo;
    use subgate_dsp::params::{Format, Gi, Mcs};

    fn frame(length: usize) -> RxFrame {
        RxFrame {
            psdu: vec![0; length],
            info: RxInfo {
                sample_index: 1000,
                time_s: 1e-3,
                channel: 3,
                format: Format::S1g1M,
                mcs: Mcs(0),
                length,
                gi: Gi::Long,
                aggregated: false,
                rssi_dbfs: -20.5,
                snr_db: f32::NAN,
                cfo_hz: 1250.0,
                fcs_ok: false,
            },
        }
    }

    #[test]
    fn label_extent_and_keys() {
        let a = annotation_for_frame(&frame(24), 4.0e6, Some(915.5e6));
        assert_eq!(a.label.as_deref(), Some("S1G_1M MCS0 24B"));
        assert_eq!(a.comment.as_deref(), Some("FCS bad"));
        assert_eq!(a.sample_start, 1000);
        // 24 B at MCS0 (12 data bits/symbol): ceil((192 + 14) / 12) = 18 symbols;
        // 560 µs preamble + 18 × 40 µs = 1280 µs = 5120 samples at 4 Msps.
        assert_eq!(a.sample_count, 5120);
        assert_eq!(a.freq_lower_edge, Some(915.0e6));
        assert_eq!(a.freq_upper_edge, Some(916.0e6));
        assert_eq!(a.extra["subgate:mcs"], Value::from(0));
        assert_eq!(a.extra["subgate:format"], Value::from("S1G_1M"));
        assert_eq!(a.extra["subgate:length"], Value::from(24));
        assert_eq!(a.extra["subgate:fcs_ok"], Value::from(false));
        assert_eq!(a.extra["subgate:snr_db"], Value::Null);
        assert_eq!(a.extra["subgate:rssi_dbfs"], Value::from(-20.5));
        assert_eq!(a.extra["subgate:cfo_hz"], Value::from(1250.0));
    }

    #[test]
    fn absurd_inputs_do_not_panic() {
        let mut f = frame(0);
        f.info.length = usize::MAX;
        f.info.mcs = Mcs(255);
        f.info.aggregated = true;
        let a = annotation_for_frame(&f, f64::NAN, Some(f64::INFINITY));
        assert_eq!(a.sample_count, 0);
        let a = annotation_for_frame(&f, f64::MAX, None);
        assert_eq!(a.sample_count, u64::MAX);
    }
}
