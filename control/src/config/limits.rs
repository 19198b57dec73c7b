//! `[limits]`: what one radio source, and everyone not associated yet, may cost the gateway
//! (issue 10, flood resistance; docs/hardening.md). Anyone in radio range can send probe,
//! authentication and association requests from any MAC address; these limits keep the
//! answers to them, the state they create and the registrar calls they cause bounded, so
//! that scheduled terminals keep their downlink (report acks) and their windows.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Requests (probe, authentication, association) answered per second from one source,
    /// associated or not (a replay carries a terminal's own MAC); more are dropped
    /// unanswered. Default 1.
    pub requests_per_source_per_s: f64,
    /// Burst of such requests one source may send before the rate applies. Default 4.
    pub request_burst: u32,
    /// Sources whose request rate is tracked at once (oldest forgotten first). Default 4096.
    pub sources_tracked: usize,
    /// Share of each downlink part that answers to requests (probe, authentication and
    /// association responses, deauthentications) and other frames for sources holding no
    /// AID may take; the rest stays for scheduled terminals. 0 < share ≤ 1. Default 0.5.
    pub answer_share: f64,
    /// Superframes ahead such an answer may be queued; later it is
    /// dropped (the requester has retried or gone by then). Default 2.
    pub answer_horizon: u32,
    /// Stations held while joining (authenticated, not associated); when full, the one
    /// joining longest is forgotten for the newcomer. Default 1024.
    pub max_joining: usize,
    /// Registrar calls (association requests passed on to the M2M or AAA server) per
    /// second; more are refused "unable to handle" and the terminal retries. Default 50.
    pub registrations_per_s: f64,
    /// Burst of registrar calls before the rate applies. Default 500.
    pub registration_burst: u32,
    /// Reports kept per station and report period (its window's report, retries, answers
    /// to polls); more are dropped unanswered. Default 4.
    pub reports_per_period: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            requests_per_source_per_s: 1.0,
            request_burst: 4,
            sources_tracked: 4_096,
            answer_share: 0.5,
            answer_horizon: 2,
            max_joining: 1_024,
            registrations_per_s: 50.0,
            registration_burst: 500,
            reports_per_period: 4,
        }
    }
}

impl LimitsConfig {
    /// Checks every value.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ConfigError::invalid(key, v, "a rate > 0"))
            }
        };
        positive(
            "limits.requests_per_source_per_s",
            self.requests_per_source_per_s,
        )?;
        positive("limits.registrations_per_s", self.registrations_per_s)?;
        if !(self.answer_share > 0.0 && self.answer_share <= 1.0) {
            return Err(ConfigError::invalid(
                "limits.answer_share",
                self.answer_share,
                "a share in (0, 1]",
            ));
        }
        for (key, v) in [
            ("limits.request_burst", u64::from(self.request_burst)),
            ("limits.sources_tracked", self.sources_tracked as u64),
            ("limits.answer_horizon", u64::from(self.answer_horizon)),
            ("limits.max_joining", self.max_joining as u64),
            (
                "limits.registration_burst",
                u64::from(self.registration_burst),
            ),
            (
                "limits.reports_per_period",
                u64::from(self.reports_per_period),
            ),
        ] {
            if v == 0 {
                return Err(ConfigError::invalid(key, v, "at least 1"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn defaults_load_and_bad_values_name_their_key() {
        let c: Config = "".parse().expect("defaults");
        assert_eq!(c.limits.max_joining, 1_024);
        for (text, key) in [
            ("[limits]\nanswer_share = 0.0\n", "limits.answer_share"),
            ("[limits]\nanswer_share = 1.5\n", "limits.answer_share"),
            ("[limits]\nmax_joining = 0\n", "limits.max_joining"),
            (
                "[limits]\nrequests_per_source_per_s = -1.0\n",
                "limits.requests_per_source_per_s",
            ),
            (
                "[limits]\nreports_per_period = 0\n",
                "limits.reports_per_period",
            ),
        ] {
            let err = text.parse::<Config>().expect_err(text);
            assert_eq!(err.key(), Some(key), "{text}");
        }
    }
}
