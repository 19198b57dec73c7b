//! Group commit of received reports and their acks.

use std::collections::BTreeMap;

use super::Gateway;
use crate::wire::m2m::carry::action_frame;
use crate::wire::m2m::{AckStatus, M2mAction, ReportAckRepr};
use crate::wire::MacAddr;

/// Most sequence numbers in one report ack (its count field is one byte).
const MAX_ACKED: usize = u8::MAX as usize;

impl Gateway {
    /// Stores every pending report (and queued event) in one transaction; once committed, acks them (one ack
    /// per terminal and status, in the downlink part at or after `now`). On a store error
    /// nothing is acked and the reports stay pending for the next commit. Returns whether
    /// anything was committed.
    pub(super) fn commit(&mut self, now: u64) -> bool {
        if self.pending.is_empty() && self.events.is_empty() {
            return false;
        }
        let started = std::time::Instant::now();
        let result = self.store.store_with_events(&self.pending, &self.events);
        self.stats.commit_wall_us += u64::try_from(started.elapsed().as_micros()).unwrap_or(0);
        let outcomes = match result {
            Ok(o) => o,
            Err(e) => {
                self.stats.commit_errors += 1;
                tracing::error!(error = %e, pending = self.pending.len(), "report commit failed; will retry");
                return false;
            }
        };
        self.stats.commits += 1;
        self.events.clear();
        let pending = std::mem::take(&mut self.pending);
        // (terminal, channel, status) → sequences, in a stable order.
        let mut acks: BTreeMap<(MacAddr, u8, u8), Vec<u32>> = BTreeMap::new();
        for (r, outcome) in pending.iter().zip(&outcomes) {
            match outcome {
                crate::store::Outcome::Stored => self.stats.reports_stored += 1,
                crate::store::Outcome::Duplicate => self.stats.reports_duplicate += 1,
            }
            let status = outcome.ack_status();
            // Acked on the channel the report came on: where the terminal listens.
            acks.entry((r.terminal, r.channel, u8::from(status)))
                .or_default()
                .push(r.report.sequence);
        }
        let acked: Vec<(MacAddr, u8)> = acks.keys().map(|&(m, c, _)| (m, c)).collect();
        for ((mac, channel, status), sequences) in acks {
            for chunk in sequences.chunks(MAX_ACKED) {
                let ack = M2mAction::ReportAck(ReportAckRepr {
                    status: AckStatus::from(status),
                    sequences: chunk.to_vec(),
                });
                let h = self.header_to(mac);
                if let Ok(frame) = action_frame(h, &ack) {
                    if self.send(channel, now, &frame) {
                        self.stats.acks_sent += 1;
                    }
                }
            }
        }
        self.reconfigure_acked(now, &acked);
        true
    }
}
