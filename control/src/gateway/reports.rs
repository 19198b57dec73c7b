//! Group commit of received reports (with the events and the charging step of the same
//! moment) and their acks.

use std::collections::BTreeMap;

use super::Gateway;
use crate::store::{Outcome, StoreError};
use crate::wire::m2m::carry::action_frame;
use crate::wire::m2m::{AckStatus, M2mAction, ReportAckRepr};
use crate::wire::MacAddr;

/// Most sequence numbers in one report ack (its count field is one byte).
const MAX_ACKED: usize = u8::MAX as usize;

impl Gateway {
    /// The group commit's transaction: the pending reports, the queued events and the
    /// charging step of what they carried. Returns the reports' outcomes and how many
    /// charging records closed.
    fn commit_step(&mut self, now: u64) -> Result<(Vec<Outcome>, usize), StoreError> {
        let mut tx = self.store.begin_reports()?;
        let outcomes = self
            .pending
            .iter()
            .map(|r| tx.insert(r))
            .collect::<Result<Vec<_>, _>>()?;
        for e in &self.events {
            tx.insert_event(e)?;
        }
        let closed = match self.charging.as_mut() {
            Some(c) => c.step(&mut tx, now, &self.pending, &outcomes)?,
            None => 0,
        };
        tx.commit()?;
        Ok((outcomes, closed))
    }

    /// Stores every pending report (and queued event) in one transaction; once committed, acks them (one ack
    /// per terminal and status, in the downlink part at or after `now`). On a store error
    /// nothing is acked and the reports stay pending for the next commit. Returns whether
    /// anything was committed.
    pub(super) fn commit(&mut self, now: u64) -> bool {
        let charging_due = self.charging.as_ref().is_some_and(|c| c.due(now));
        if self.pending.is_empty() && self.events.is_empty() && !charging_due {
            return false;
        }
        let started = std::time::Instant::now();
        let result = self.commit_step(now);
        self.stats.commit_wall_us += u64::try_from(started.elapsed().as_micros()).unwrap_or(0);
        let outcomes = match result {
            Ok((o, closed)) => {
                if let Some(c) = self.charging.as_mut() {
                    c.committed(closed);
                }
                self.stats.records_closed += closed as u64;
                o
            }
            Err(e) => {
                self.stats.commit_errors += 1;
                if let Some(c) = self.charging.as_mut() {
                    c.rolled_back(&self.store);
                }
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
                Outcome::Stored => self.stats.reports_stored += 1,
                Outcome::Duplicate => self.stats.reports_duplicate += 1,
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
