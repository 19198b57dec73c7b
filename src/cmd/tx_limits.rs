//! The gateway's airtime per transmit limit as `sim` and `demo` print it: one line per
//! sub-band (duty cycle, or usage where the region sets no limit) and per channel dwell.

use subgate_control::regulatory::LimitUse;

/// One line per limit, each starting with `label` padded to `width`.
pub fn lines(usage: &[LimitUse], simulated_s: f64, width: usize) -> Vec<String> {
    usage
        .iter()
        .map(|u| {
            let channels: Vec<String> = u.channels.iter().map(u8::to_string).collect();
            let average = if simulated_s > 0.0 {
                u.airtime_us as f64 / (simulated_s * 1e4)
            } else {
                0.0
            };
            let limit = match u.limit_percent {
                Some(p) => format!("limit {p} % per {} s", u.window_s),
                None => "no duty limit".to_string(),
            };
            let label = format!("{} {}", u.kind, u.name);
            format!(
                "{label:<width$}channels {} · {limit} · used {average:.3} % on average, busiest window ≤ {:.3} % · frames {} · deferred {} · dropped {}",
                channels.join(","),
                u.peak_percent,
                u.frames,
                u.deferred,
                u.dropped
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_the_limit_and_the_use() {
        let u = LimitUse {
            name: "h1.4".into(),
            kind: "duty",
            channels: vec![5, 7],
            limit_percent: Some(1.0),
            window_s: 3600,
            frames: 10,
            airtime_us: 36_000_000,
            peak_percent: 0.9,
            deferred: 2,
            dropped: 1,
            source: String::new(),
        };
        let l = lines(&[u], 7200.0, 14);
        assert_eq!(
            l[0],
            "duty h1.4     channels 5,7 · limit 1 % per 3600 s · used 0.500 % on average, busiest window ≤ 0.900 % · frames 10 · deferred 2 · dropped 1"
        );
    }
}
