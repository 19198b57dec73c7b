//! The S1G beacon sent at the start of every superframe on every channel: served SIDs and
//! the broadcast report indication of the AIDs whose windows start in the superframe.

use super::Gateway;
use crate::config::{Config, ConfigError};
use crate::station::SidFilter;
use crate::wire::m2m::{M2mElement, ReportIndicationRepr, SidList, MAX_ELEMENT_BODY};
use crate::wire::mac::FCS_LEN;
use crate::wire::{s1g_beacon, with_fcs, ElementId, Error, Frame, Ie, MacAddr};

/// The beacon without a report indication.
fn base(
    sa: MacAddr,
    name: &str,
    filter: &SidFilter,
    tsf: u64,
) -> crate::wire::Result<s1g_beacon::Repr> {
    Ok(s1g_beacon::Repr {
        duration: 0,
        sa,
        // The field holds the low 32 bits of the TSF.
        timestamp: (tsf & u64::from(u32::MAX)) as u32,
        change_sequence: 0,
        next_tbtt: None,
        compressed_ssid: None,
        ano: None,
        bss_bw: 0,
        security: false,
        ap_pm: false,
        elements: vec![
            Ie::new(ElementId::Ssid, name.as_bytes().to_vec())?,
            M2mElement::SidList(SidList {
                sids: filter.served().to_vec(),
            })
            .to_ie()?,
        ],
    })
}

/// Longest beacon PSDU this configuration sends: the base plus one full indication element.
pub(super) fn max_len(filter: &SidFilter, config: &Config) -> Result<usize, ConfigError> {
    let sa = config.bssid()?;
    let b = base(sa, &config.gateway.name, filter, 0).map_err(|_| ConfigError::Invalid {
        file: crate::config::STRING_ORIGIN.into(),
        key: "service.sids".into(),
        value: "…".into(),
        expected: "served SIDs that fit one beacon element".into(),
    })?;
    // With groups, room for a wake indication of the most groups one beacon names.
    let wake = if config.groups.groups.is_empty() {
        0
    } else {
        2 + 4 + 2 * super::groups::WAKE_PER_BEACON
    };
    Ok(Frame::S1gBeacon(b).buffer_len() + 2 + MAX_ELEMENT_BODY + wake + FCS_LEN)
}

/// Length of a beacon without report or wake indication (what thinned superframes lack).
pub(super) fn base_len(filter: &SidFilter, config: &Config) -> Result<usize, ConfigError> {
    let full = max_len(filter, config)?;
    let sa = config.bssid()?;
    Ok(base(sa, &config.gateway.name, filter, 0)
        .map(|b| Frame::S1gBeacon(b).buffer_len() + FCS_LEN)
        .unwrap_or(full))
}

/// The most AIDs of `aids` (in order) one indication element names.
fn indication(aids: &[u16]) -> Option<ReportIndicationRepr> {
    let mut n = aids.len();
    while n > 0 {
        match ReportIndicationRepr::from_aids(&aids[..n]) {
            Ok(r) => return Some(r),
            Err(Error::Oversized) => n /= 2,
            Err(_) => return None,
        }
    }
    None
}

impl Gateway {
    /// Beacons at superframe start `s` on every channel.
    pub(super) fn send_beacons(&mut self, s: u64) {
        let end = s.saturating_add(self.timeline.superframe_us);
        let index = s / self.timeline.superframe_us.max(1);
        for ci in 0..self.channels.len() {
            let channel = self.channels[ci];
            let Ok(mut beacon) = base(self.bssid, &self.name, &self.filter, s) else {
                continue;
            };
            let aids: Vec<u16> = self
                .scheduler
                .windows_in(channel, s, end)
                .map(|(aid, _, _)| aid)
                .collect();
            if let Some(ind) = indication(&aids) {
                if let Ok(ie) = M2mElement::ReportIndication(ind).to_ie() {
                    beacon.elements.push(ie);
                }
            }
            let wake = self.wake_indication();
            // Thinned beacons (a tight duty cycle): still one where windows or a wake-up
            // need it, as far as the limit admits.
            let every = self.beacon_every.get(ci).copied().unwrap_or(1);
            if !index.is_multiple_of(every) && aids.is_empty() && wake.is_none() {
                self.stats.beacons_held += 1;
                continue;
            }
            beacon.elements.extend(wake);
            let psdu = with_fcs(&Frame::S1gBeacon(beacon).to_bytes());
            let airtime = crate::scheduler::airtime_us(self.format, self.mcs, psdu.len());
            let class = crate::regulatory::FrameClass::Beacon;
            if self.governor.admit(channel, s, airtime, class).is_err() {
                self.stats.beacons_held += 1;
                continue;
            }
            self.out.push(super::Transmission {
                channel,
                at_us: s,
                airtime_us: airtime,
                request: subgate_dsp::TxRequest::new(psdu, self.format, self.mcs),
            });
            self.stats.beacons += 1;
        }
    }
}
