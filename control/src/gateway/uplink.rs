//! The gateway's side of the northbound beyond batches: events (a terminal registered or
//! left, a command's result) queued for the next group commit and then forwarded from the
//! store like batches; the periodic status; and downlink commands (docs/northbound.md §2–4).

use serde_json::json;

use super::Gateway;
use crate::aggregate::forward_events;
use crate::northbound::{Command, CommandAction, OutboxCounts, StationCounts, StatusPayload};
use crate::station::State;
use crate::store::{NewEvent, ServiceConfigRecord};
use crate::wire::m2m::{ServiceInfoRepr, Sid};
use crate::wire::MacAddr;

/// What a `registered` event says about a terminal.
pub(super) struct Registered<'a> {
    /// Its AID.
    pub aid: u16,
    /// Its window's channel.
    pub channel: u8,
    /// The served SID.
    pub sid: &'a Sid,
    /// Its service information.
    pub info: &'a ServiceInfoRepr,
    /// Bytes of the configuration elements sent to it.
    pub config_bytes: usize,
    /// Its peripheral group (name, id), if it is a configured member.
    pub group: Option<(String, u16)>,
}

impl Gateway {
    /// Queues an event; it is stored with the next commit and forwarded after it.
    pub(super) fn record_event(
        &mut self,
        now: u64,
        kind: &str,
        terminal: Option<MacAddr>,
        sid: Option<Sid>,
        detail: serde_json::Value,
    ) {
        self.events.push(NewEvent {
            at: now,
            kind: kind.to_string(),
            terminal,
            sid,
            detail: detail.to_string(),
        });
        self.stats.events_recorded += 1;
    }

    /// The `registered` event of a terminal given its window, with the bytes of the
    /// configuration elements it is sent (what charging counts downlink).
    pub(super) fn record_registered(&mut self, now: u64, mac: MacAddr, r: &Registered<'_>) {
        let delivery =
            serde_json::to_value(self.delivery_of(r.sid).unwrap_or_default()).unwrap_or_default();
        let detail = json!({
            "aid": r.aid,
            "channel": r.channel,
            "report_period_s": r.info.report_period,
            "data_format": r.info.data_format.to_string(),
            "data_amount": r.info.data_amount,
            "delivery": delivery,
            "config_bytes": r.config_bytes,
            "group": r.group.as_ref().map(|g| g.0.clone()),
            "group_id": r.group.as_ref().map(|g| g.1),
        });
        self.record_event(now, "registered", Some(mac), Some(r.sid.clone()), detail);
    }

    /// Forwards the stored events still pending (after the batches, each poll).
    pub(super) fn forward_events(&mut self, now: u64) {
        match forward_events(&mut self.store, self.northbound.as_mut(), now) {
            Ok(n) => self.stats.events_forwarded += n as u64,
            Err(e) => {
                self.stats.northbound_errors += 1;
                tracing::debug!(gateway = %self.name, error = %e, "events stay pending");
            }
        }
    }

    /// Publishes the status now (best effort: a failure waits for the next interval).
    pub(super) fn publish_status(&mut self, now: u64) {
        let scheduled = self
            .stations
            .iter()
            .filter(|s| matches!(s.state(), State::Scheduled | State::Reporting))
            .count() as u64;
        let outbox = OutboxCounts {
            pending_batches: self
                .store
                .pending_batches()
                .map(|b| b.len() as u64)
                .unwrap_or(0),
            pending_events: self.store.pending_event_count().unwrap_or(0),
        };
        let status = StatusPayload {
            online: true,
            at_us: Some(now),
            stations: Some(StationCounts {
                known: self.stations.len() as u64,
                scheduled,
            }),
            outbox: Some(outbox),
            stats: Some(self.stats),
            ..StatusPayload::offline(&self.name)
        };
        match self.northbound.publish_status(&status) {
            Ok(()) => self.stats.status_published += 1,
            Err(e) => tracing::debug!(gateway = %self.name, error = %e, "status not published"),
        }
    }

    /// Applies the downlink commands received since the last poll; each one's result is an
    /// event.
    pub(super) fn run_commands(&mut self, now: u64) {
        for input in self.northbound.take_commands() {
            match input {
                Ok(c) => self.apply_command(now, c),
                Err(refused) => {
                    tracing::warn!(gateway = %self.name, error = %refused, "downlink command refused");
                    self.stats.commands_refused += 1;
                    let detail = json!({
                        "command_id": refused.id,
                        "status": "refused",
                        "reason": refused.reason,
                    });
                    self.record_event(now, "command", None, None, detail);
                }
            }
        }
    }

    fn apply_command(&mut self, now: u64, c: Command) {
        let kind = c.action.kind();
        let result = match c.action {
            CommandAction::ServiceConfig { sid, info } => self
                .set_service_config(now, &c.id, &sid, info)
                .map(|n| (Some(sid), json!({ "terminals_to_reconfigure": n }))),
            group => self
                .apply_group_command(now, &c.id, group)
                .map(|d| (None, d)),
        };
        let (sid, detail) = match result {
            Ok((sid, extra)) => {
                self.stats.commands_applied += 1;
                tracing::info!(gateway = %self.name, command = %c.id, kind, "downlink command applied");
                let mut detail = json!({
                    "command_id": c.id,
                    "type": kind,
                    "status": "applied",
                });
                if let (Some(d), serde_json::Value::Object(x)) = (detail.as_object_mut(), extra) {
                    d.extend(x);
                }
                (sid, detail)
            }
            Err(reason) => {
                self.stats.commands_refused += 1;
                tracing::warn!(gateway = %self.name, command = %c.id, %reason, "downlink command refused");
                let detail = json!({
                    "command_id": c.id,
                    "type": kind,
                    "status": "refused",
                    "reason": reason,
                });
                (None, detail)
            }
        };
        self.record_event(now, "command", None, sid, detail);
    }

    /// Sets the configuration of a served service: stored durably first, then used for
    /// every registration of it, and the terminals holding the old one are marked to be
    /// moved over at their next report. Returns how many were marked, or why it was refused.
    fn set_service_config(
        &mut self,
        now: u64,
        command_id: &str,
        sid: &Sid,
        info: ServiceInfoRepr,
    ) -> Result<usize, String> {
        if !self.filter.served().contains(sid) {
            return Err(format!("{sid} is not served by this gateway"));
        }
        self.scheduler
            .check_request(info.report_period, self.window_for(sid, &info))
            .map_err(|e| format!("the scheduler cannot serve it: {e}"))?;
        let record = ServiceConfigRecord {
            sid: sid.clone(),
            info: info.clone(),
            command_id: command_id.to_string(),
            set_at: now,
        };
        self.store
            .set_service_config(&record)
            .map_err(|e| format!("not stored: {e}"))?;
        self.service_overrides.insert(sid.clone(), info);
        let holders: Vec<MacAddr> = self
            .peers
            .iter()
            .filter(|(_, p)| p.service_sid.as_ref() == Some(sid))
            .map(|(m, _)| *m)
            .collect();
        let n = holders.len();
        self.reconfigure.extend(holders);
        Ok(n)
    }

    /// The service information a registration of `sid` gets: the commanded one when a
    /// command set it (keeping the registrar's server SID), else the registrar's.
    pub(super) fn service_info_for(
        &self,
        sid: &Sid,
        from_registrar: ServiceInfoRepr,
    ) -> ServiceInfoRepr {
        match self.service_overrides.get(sid) {
            Some(o) => ServiceInfoRepr {
                server: from_registrar.server,
                ..o.clone()
            },
            None => from_registrar,
        }
    }

    /// After a commit acked `acked`: the ones marked for reconfiguration are deauthenticated
    /// (their report is safe in the store) so they join again and get the new configuration.
    pub(super) fn reconfigure_acked(&mut self, now: u64, acked: &[(MacAddr, u8)]) {
        if self.reconfigure.is_empty() {
            return;
        }
        for &(mac, channel) in acked {
            if self.reconfigure.remove(&mac) {
                self.stats.reconfigured += 1;
                self.deregister_because(now, mac, crate::station::Event::Deauth, "reconfigured");
                self.deauth(now, channel, mac);
            }
        }
    }
}
