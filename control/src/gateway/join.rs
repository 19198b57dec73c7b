//! Discovery, authentication, association with registration, resource requests, leaving,
//! and the station deadlines (module docs of [`super`] give the rules).

use super::{Gateway, Peer};
use crate::registrar::RegistrationRequest;
use crate::rsn::Akm;
use crate::scheduler::{window_us, Decision};
use crate::station::{Event, FilterResult, State, StationError, TimeoutAction};
use crate::store::IncomingReport;
use crate::wire::m2m::carry::{action_frame, action_of, action_psdu_len, nonce_element, Carried};
use crate::wire::m2m::{
    M2mAction, M2mElement, ReportRepr, ResourceRequestRepr, ResourceResponseRepr, ResourceResult,
    ServiceInfoRepr, Sid, SidList, SidNotSupportedRepr,
};
use crate::wire::mgmt::{
    capability, AidResponse, AssociationRequestRepr, AssociationResponseRepr, AuthAlgorithm,
    AuthenticationRepr, DeauthenticationRepr, ProbeRequestRepr, ProbeResponseRepr, ReasonCode,
    StatusCode,
};
use crate::wire::{Error, Frame, Ie, MacAddr, Result};

/// Beacon interval field of probe responses, TU (1 TU = 1 024 µs), saturating.
fn beacon_interval_tu(superframe_us: u64) -> u16 {
    u16::try_from(superframe_us / 1_024).unwrap_or(u16::MAX)
}

/// The PSDU length of a report with `payload_len` bytes of data for `sid` (what its window
/// is sized from).
pub(super) fn report_psdu_len(sid: &Sid, payload_len: usize) -> usize {
    let report = ReportRepr {
        sequence: 0,
        sid: sid.clone(),
        timestamp: 0,
        data_format: crate::wire::m2m::DataFormat::Opaque,
        payload: Vec::new(),
    };
    action_psdu_len(&M2mAction::Report(report)) + payload_len
}

/// The served SID a station's reports are filed under, of the SIDs its request matched: the
/// first that is not a user id (reports belong to a service), else the first.
fn filed_under(served: &[Sid]) -> Option<Sid> {
    served
        .iter()
        .find(|s| !matches!(s, Sid::User(_)))
        .or(served.first())
        .cloned()
}

impl Gateway {
    pub(super) fn on_probe(&mut self, now: u64, channel: u8, p: &ProbeRequestRepr) -> Result<()> {
        let carried = Carried::from_elements(&p.elements)?;
        let answer = match self.filter.check(&carried.sids) {
            FilterResult::Match(m) => {
                self.stats.probes_answered += 1;
                M2mElement::SidList(SidList {
                    sids: m.into_sids(),
                })
            }
            FilterResult::NotSupported(n) => {
                self.stats.answered_not_supported += 1;
                M2mElement::SidNotSupported(n)
            }
            FilterResult::Silent => {
                self.stats.ignored_unmatched += 1;
                return Ok(());
            }
        };
        let frame = Frame::ProbeResponse(ProbeResponseRepr {
            header: self.header_to(p.header.addr2),
            timestamp: now,
            beacon_interval: beacon_interval_tu(self.timeline.superframe_us),
            capability: capability::ESS,
            elements: vec![self.ssid()?, answer.to_ie()?],
        });
        self.send(channel, now, &frame);
        Ok(())
    }

    pub(super) fn on_auth(&mut self, now: u64, channel: u8, a: &AuthenticationRepr) -> Result<()> {
        if a.transaction_seq != 1 || a.algorithm != AuthAlgorithm::OpenSystem {
            self.stats.rx_ignored += 1;
            return Ok(());
        }
        let mac = a.header.addr2;
        let carried = Carried::from_elements(&a.elements)?;
        // Authenticated before and not associated yet: a repeated authentication.
        let joining = self
            .stations
            .get(&mac)
            .is_some_and(|s| matches!(s.state(), State::Unknown | State::Authenticated));
        // A new authentication from a station further along means the terminal started
        // over (it lost our answers, or rebooted): its old association goes, AID and window
        // included, and it starts again from the filter.
        let restarted = self.stations.get(&mac).is_some_and(|s| {
            !matches!(
                s.state(),
                State::Unknown | State::Authenticated | State::Deregistered
            )
        });
        if restarted {
            let proof_based = self
                .peers
                .get(&mac)
                .and_then(|p| p.service_sid.as_ref())
                .is_some_and(|sid| self.dot1x_delivery(sid).is_none());
            if proof_based {
                // Unprotected, so anyone can send it: the association stays until a new
                // one proves the terminal's key over this nonce (`on_assoc`).
                return self.hold_rejoin(now, channel, mac, &carried.sids);
            }
            self.on_leave(now, mac);
        }
        let (status, mut elements) = match self.filter.check(&carried.sids) {
            FilterResult::Match(m) => {
                if self.stations.get(&mac).is_none() {
                    self.make_joining_room(mac);
                }
                match self
                    .stations
                    .get_or_insert_after_filter(mac, m, now, &self.timeouts)
                {
                    Ok(_) => {
                        match self
                            .stations
                            .handle(mac, Event::AuthRequest, now, &self.timeouts)
                        {
                            Ok(_) => (StatusCode::Success, Vec::new()),
                            Err(e) => {
                                tracing::debug!(%mac, error = %e, "authentication refused");
                                (StatusCode::UnspecifiedFailure, Vec::new())
                            }
                        }
                    }
                    Err(e) => {
                        tracing::debug!(%mac, error = %e, "authentication refused");
                        (StatusCode::ApUnableToHandleNewSta, Vec::new())
                    }
                }
            }
            FilterResult::NotSupported(n) => {
                self.stats.answered_not_supported += 1;
                (
                    StatusCode::RequestDeclined,
                    vec![M2mElement::SidNotSupported(n).to_ie()?],
                )
            }
            FilterResult::Silent => {
                self.stats.ignored_unmatched += 1;
                return Ok(());
            }
        };
        if status == StatusCode::Success {
            self.stats.authenticated += 1;
            // A repeated authentication of a station still joining (its first answer was
            // lost or late) gets the same challenge: a terminal that took the first answer
            // and associates with its nonce must not be refused for a nonce it never saw.
            // The proof's counter still makes every registration attempt distinct.
            let nonce = match self.peers.get(&mac) {
                Some(p) if joining => p.nonce,
                _ => self.next_nonce(),
            };
            self.peers.insert(mac, Peer::new(nonce, channel));
            elements.push(nonce_element(nonce));
        }
        let frame = Frame::Authentication(AuthenticationRepr {
            header: self.header_to(mac),
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 2,
            status,
            elements,
        });
        self.send(channel, now, &frame);
        Ok(())
    }

    /// Before a new station joins: forgets the one joining longest when `limits.max_joining`
    /// stations are joining, and queues `mac` in the joining order.
    fn make_joining_room(&mut self, mac: MacAddr) {
        if self.stations.joining() >= self.max_joining {
            if let Some(old) = self.join_queue.pop_oldest(|m| self.stations.is_joining(m)) {
                self.stations.remove(&old);
                self.peers.remove(&old);
                self.stats.joining_evicted += 1;
                tracing::debug!(%old, "joining station forgotten for a newcomer");
            }
        }
        self.join_queue
            .sweep(2 * self.max_joining, |m| self.stations.is_joining(m));
        self.join_queue.push(mac);
    }

    /// An authentication from a station that holds an association: answered with a fresh
    /// nonce, the association kept (see [`super::GatewayStats::rejoins_held`]).
    fn hold_rejoin(&mut self, now: u64, channel: u8, mac: MacAddr, sids: &[Sid]) -> Result<()> {
        if !matches!(self.filter.check(sids), FilterResult::Match(_)) {
            self.stats.rx_ignored += 1;
            return Ok(());
        }
        let nonce = self.next_nonce();
        if let Some(p) = self.peers.get_mut(&mac) {
            p.rejoin_nonce = Some(nonce);
        }
        self.stats.rejoins_held += 1;
        let frame = Frame::Authentication(AuthenticationRepr {
            header: self.header_to(mac),
            algorithm: AuthAlgorithm::OpenSystem,
            transaction_seq: 2,
            status: StatusCode::Success,
            elements: vec![nonce_element(nonce)],
        });
        self.send(channel, now, &frame);
        Ok(())
    }

    /// A re-association of a station holding an association, after [`Self::hold_rejoin`]:
    /// the registrar checks the proof over the rejoin nonce; only then does the old
    /// association go and the station join again from the filter, as a new one would.
    fn on_rejoin(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        nonce: [u8; 8],
        sids: &[Sid],
        indication: crate::wire::m2m::RegistrationRepr,
    ) -> Result<()> {
        let FilterResult::Match(m) = self.filter.check(sids) else {
            self.stats.rx_ignored += 1;
            return Ok(());
        };
        let Some(service_sid) = filed_under(m.sids()) else {
            self.stats.rx_ignored += 1;
            return Ok(());
        };
        if !self.registrations.take(now) {
            self.stats.registrations_throttled += 1;
            return self.refuse_assoc(now, channel, mac, StatusCode::RejectedTemporarily, None);
        }
        let request = RegistrationRequest {
            terminal: mac,
            sids: sids.to_vec(),
            indication,
            nonce,
        };
        let registration = match self.registrar.register(&request) {
            Ok(r) => r,
            Err(e) => {
                self.stats.rejoins_refused += 1;
                tracing::debug!(%mac, error = %e, "re-association refused; association kept");
                return self.refuse_assoc(now, channel, mac, e.status_code(), None);
            }
        };
        self.on_leave(now, mac);
        self.make_joining_room(mac);
        let joined = self
            .stations
            .get_or_insert_after_filter(mac, m, now, &self.timeouts)
            .is_ok()
            && self
                .stations
                .handle(mac, Event::AuthRequest, now, &self.timeouts)
                .is_ok();
        if !joined {
            return self.refuse_assoc(now, channel, mac, StatusCode::ApUnableToHandleNewSta, None);
        }
        self.peers.insert(mac, Peer::new(nonce, channel));
        let aid = match self.stations.associate(mac, now, &self.timeouts) {
            Ok(_) => self.stations.get(&mac).and_then(|s| s.aid()).unwrap_or(0),
            Err(e) => {
                tracing::debug!(%mac, error = %e, "re-association refused");
                return self.refuse_assoc(
                    now,
                    channel,
                    mac,
                    StatusCode::ApUnableToHandleNewSta,
                    None,
                );
            }
        };
        self.complete_assoc(now, channel, mac, aid, service_sid, registration.service)
    }

    pub(super) fn on_assoc(
        &mut self,
        now: u64,
        channel: u8,
        a: &AssociationRequestRepr,
    ) -> Result<()> {
        let mac = a.header.addr2;
        let carried = Carried::from_elements(&a.elements)?;
        let state = self.stations.get(&mac).map(|s| s.state());
        let rejoin = self.peers.get(&mac).and_then(|p| p.rejoin_nonce);
        if let (Some(nonce), Some(indication), true) =
            (rejoin, carried.registration.clone(), self.holds_aid(&mac))
        {
            return self.on_rejoin(now, channel, mac, nonce, &carried.sids, indication);
        }
        // A repeated request (our response was lost): the same response again.
        if matches!(state, Some(State::Registered | State::Configured)) {
            if let Some(resp) = self.peers.get(&mac).and_then(|p| p.assoc_response.clone()) {
                self.send(channel, now, &resp);
                self.resend_handshake(now, channel, mac);
            }
            return Ok(());
        }
        let served = match self.filter.check(&carried.sids) {
            FilterResult::Match(m) => m.into_sids(),
            FilterResult::NotSupported(n) => {
                self.stats.answered_not_supported += 1;
                return self.refuse_assoc(now, channel, mac, StatusCode::RequestDeclined, Some(n));
            }
            FilterResult::Silent => {
                self.stats.ignored_unmatched += 1;
                return Ok(());
            }
        };
        let Some(service_sid) = filed_under(&served) else {
            return Err(Error::Malformed);
        };
        let dot1x = self.dot1x_delivery(&service_sid);
        let registration = carried.registration.clone();
        let nonce = self.peers.get(&mac).map(|p| p.nonce);
        if state.is_none() {
            // Not authenticated here (or forgotten by timeout): a class 2 frame from a
            // non-authenticated station; the terminal starts again.
            self.deauth(now, channel, mac);
            return Ok(());
        }
        let (indication, nonce) = match (registration, nonce, dot1x) {
            (Some(i), Some(n), None) => (Some(i), n),
            (_, Some(n), Some(_)) => (None, n),
            _ => {
                // No registration indication.
                return self.refuse_assoc(
                    now,
                    channel,
                    mac,
                    StatusCode::AssociationDeniedUnspecified,
                    None,
                );
            }
        };
        if state == Some(State::Authenticated) && !self.registrations.take(now) {
            // The registrar (an M2M or AAA server) is not flooded: try again later.
            self.stats.registrations_throttled += 1;
            return self.refuse_assoc(now, channel, mac, StatusCode::RejectedTemporarily, None);
        }
        let aid = match self.stations.associate(mac, now, &self.timeouts) {
            Ok(_) => self.stations.get(&mac).and_then(|s| s.aid()).unwrap_or(0),
            Err(e) => {
                tracing::debug!(%mac, error = %e, "association refused");
                let status = match e {
                    StationError::NoFreeAid | StationError::Full(_) => {
                        StatusCode::ApUnableToHandleNewSta
                    }
                    _ => StatusCode::UnspecifiedFailure,
                };
                return self.refuse_assoc(now, channel, mac, status, None);
            }
        };
        let Some(indication) = indication else {
            // 802.1X: the AAA server registers the terminal once EAP succeeds.
            return self.start_dot1x(now, channel, mac, aid, service_sid, carried.sids);
        };
        let request = RegistrationRequest {
            terminal: mac,
            sids: carried.sids.clone(),
            indication,
            nonce,
        };
        let registration = match self.registrar.register(&request) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(%mac, error = %e, "registration refused");
                self.deregister(now, mac, Event::RegistrationFailed);
                return self.refuse_assoc(now, channel, mac, e.status_code(), None);
            }
        };
        self.complete_assoc(now, channel, mac, aid, service_sid, registration.service)
    }

    /// A registration succeeded: the window, the configuration and the association
    /// response (or the 4-way handshake carrying the configuration).
    fn complete_assoc(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        aid: u16,
        service_sid: Sid,
        info: ServiceInfoRepr,
    ) -> Result<()> {
        let Some(configuration) =
            self.configure(now, channel, mac, aid, service_sid.clone(), info)?
        else {
            return self.refuse_assoc(now, channel, mac, StatusCode::ApUnableToHandleNewSta, None);
        };
        let by_handshake = self.delivers_by_handshake(&service_sid);
        let mut elements = vec![AidResponse {
            aid,
            switch_count: 0,
            response_interval: 0,
        }
        .to_ie()];
        if !by_handshake {
            elements.extend(configuration.iter().cloned());
        }
        let frame = Frame::AssociationResponse(AssociationResponseRepr {
            header: self.header_to(mac),
            capability: capability::ESS,
            status: StatusCode::Success,
            elements,
        });
        if let Some(peer) = self.peers.get_mut(&mac) {
            peer.assoc_response = Some(frame.clone());
        }
        self.stats.associated += 1;
        self.send(channel, now, &frame);
        if by_handshake {
            let pmk = self.pmk.clone();
            if !self.start_handshake(now, channel, mac, Some(&configuration), pmk, Akm::Psk) {
                self.deregister(now, mac, Event::Deauth);
                self.deauth(now, channel, mac);
            }
        }
        Ok(())
    }

    /// A registered terminal's report window and configuration: the scheduler allocates a
    /// window sized from the service's data amount, the station becomes Registered, and the
    /// configuration elements (service information, service time) are returned. `None` when
    /// no window is free: the station is then deregistered (the caller refuses).
    pub(super) fn configure(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        aid: u16,
        service_sid: Sid,
        info: ServiceInfoRepr,
    ) -> Result<Option<Vec<Ie>>> {
        let info = self.service_info_for(&service_sid, info);
        let window = self.window_for(&service_sid, &info);
        let allocation = match self.scheduler.allocate(aid, info.report_period, window) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(%mac, error = %e, "no report window: association refused");
                self.deregister(now, mac, Event::Deauth);
                return Ok(None);
            }
        };
        if self.stations.get(&mac).map(|s| s.state()) == Some(State::Associated) {
            if let Err(e) = self
                .stations
                .handle(mac, Event::RegistrationOk, now, &self.timeouts)
            {
                tracing::warn!(%mac, error = %e, "registration result refused by the state machine");
            }
        }
        let service_time = allocation.service_time_from(now);
        let mut configuration = vec![
            M2mElement::ServiceInformation(info.clone()).to_ie()?,
            M2mElement::ServiceTime(service_time).to_ie()?,
        ];
        configuration.extend(self.group_assignment_ie(mac));
        self.group_registered(mac);
        let config_bytes = crate::wire::ie::list_len(&configuration);
        self.record_registered(
            now,
            mac,
            &super::uplink::Registered {
                aid,
                channel: allocation.channel,
                sid: &service_sid,
                info: &info,
                config_bytes,
                group: self.group_of(mac),
            },
        );
        self.charge_downlink(now, mac, &service_sid, config_bytes);
        if let Some(peer) = self.peers.get_mut(&mac) {
            peer.channel = channel;
            peer.service = Some(info);
            peer.service_sid = Some(service_sid);
            peer.window_us = window;
        }
        Ok(Some(configuration))
    }

    /// The report window, µs, of a terminal of `sid` sending `info.data_amount` bytes.
    pub(super) fn window_for(&self, sid: &Sid, info: &ServiceInfoRepr) -> u32 {
        let amount = usize::try_from(info.data_amount).unwrap_or(usize::MAX / 2);
        let len = report_psdu_len(sid, amount);
        u32::try_from(window_us(self.format, self.mcs, len)).unwrap_or(u32::MAX)
    }

    /// An association refusal: the status code, maybe the SIDs refused, and never any
    /// configuration.
    fn refuse_assoc(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        status: StatusCode,
        not_supported: Option<SidNotSupportedRepr>,
    ) -> Result<()> {
        self.stats.assoc_refused += 1;
        let mut elements: Vec<Ie> = Vec::new();
        if let Some(n) = not_supported {
            elements.push(M2mElement::SidNotSupported(n).to_ie()?);
        }
        let frame = Frame::AssociationResponse(AssociationResponseRepr {
            header: self.header_to(mac),
            capability: capability::ESS,
            status,
            elements,
        });
        self.send(channel, now, &frame);
        Ok(())
    }

    pub(super) fn on_action(
        &mut self,
        now: u64,
        channel: u8,
        a: &crate::wire::mgmt::ActionRepr,
    ) -> Result<()> {
        let action = match action_of(a) {
            Ok(x) => x,
            Err(Error::Unsupported) => {
                self.stats.rx_ignored += 1;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mac = a.header.addr2;
        if let Some(peer) = self.peers.get_mut(&mac) {
            peer.channel = channel;
        }
        match action {
            M2mAction::ResourceRequest(r) => self.on_resource(now, channel, mac, &r),
            M2mAction::Report(r) => {
                self.on_report(now, channel, mac, r);
                Ok(())
            }
            M2mAction::GroupAck(ack) => {
                self.on_group_ack(now, mac, ack);
                Ok(())
            }
            _ => {
                self.stats.rx_ignored += 1;
                Ok(())
            }
        }
    }

    fn on_resource(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        r: &ResourceRequestRepr,
    ) -> Result<()> {
        let Some(station) = self.stations.get(&mac) else {
            self.deauth(now, channel, mac);
            return Ok(());
        };
        let (state, aid) = (station.state(), station.aid().unwrap_or(0));
        if !self.keyed(&mac) {
            // Its configuration is still in the handshake: no slot without the key.
            self.stats.rx_ignored += 1;
            tracing::debug!(%mac, "resource request before the 4-way handshake completed");
            return Ok(());
        }
        let Some(peer) = self.peers.get(&mac) else {
            return Ok(());
        };
        if let Some((token, resp)) = &peer.last_resource {
            if *token == r.dialog_token {
                let resp = *resp;
                return self.send_resource(now, channel, mac, resp);
            }
        }
        let period = peer.service.as_ref().map_or(0, |s| s.report_period);
        if state == State::Registered {
            // Its first frame after the association response: it holds the configuration.
            let _ = self
                .stations
                .handle(mac, Event::ConfigDelivered, now, &self.timeouts);
        }
        let state = self.stations.get(&mac).map(|s| s.state());
        if !matches!(
            state,
            Some(State::Configured | State::Scheduled | State::Reporting)
        ) {
            tracing::debug!(%mac, ?state, "resource request refused in this state");
            let resp = ResourceResponseRepr {
                dialog_token: r.dialog_token,
                result: ResourceResult::Reject,
                allocation: None,
            };
            return self.send_resource(now, channel, mac, resp);
        }
        let decision = self.scheduler.request(aid, r.proposal, period);
        match decision {
            Decision::Accept(_) => self.stats.resource_accepted += 1,
            Decision::CounterProposal(_) => self.stats.resource_countered += 1,
            Decision::Reject(_) => {}
        }
        let allocation = decision.allocation().copied();
        let resp = ResourceResponseRepr {
            dialog_token: r.dialog_token,
            result: decision.result(),
            allocation: allocation.map(|a| a.service_time_from(now)),
        };
        if let Some(a) = allocation {
            if state == Some(State::Configured) {
                let first = a.window_at_or_after(now).map_or(now, |(s, _)| s);
                let _ = self.stations.handle(
                    mac,
                    Event::ScheduleAccepted {
                        first_report_us: first,
                        period_us: a.period_us(),
                    },
                    now,
                    &self.timeouts,
                );
                self.group_scheduled(now, mac);
            }
        }
        if let Some(peer) = self.peers.get_mut(&mac) {
            peer.last_resource = Some((r.dialog_token, resp));
        }
        self.send_resource(now, channel, mac, resp)
    }

    fn send_resource(
        &mut self,
        now: u64,
        channel: u8,
        mac: MacAddr,
        resp: ResourceResponseRepr,
    ) -> Result<()> {
        let h = self.header_to(mac);
        let frame = action_frame(h, &M2mAction::ResourceResponse(resp))?;
        self.send(channel, now, &frame);
        Ok(())
    }

    /// A report from `mac`: kept for the next commit if the station is scheduled here,
    /// otherwise answered with a deauthentication.
    fn on_report(&mut self, now: u64, channel: u8, mac: MacAddr, report: ReportRepr) {
        let station = self.stations.get(&mac);
        let scheduled = station.is_some_and(|s| {
            matches!(
                s.state(),
                State::Scheduled | State::Reporting | State::Standby
            )
        });
        let (Some(aid), true) = (station.and_then(|s| s.aid()), scheduled) else {
            self.stats.reports_unassociated += 1;
            self.deauth(now, channel, mac);
            return;
        };
        let Some(service_sid) = self.peers.get(&mac).and_then(|p| p.service_sid.clone()) else {
            return;
        };
        // Filed under the served SID the report's SID resolves to (the terminal may name
        // its service by a corresponding SID); anything else is not this station's service.
        let sid = match self.filter.resolve(&report.sid) {
            Some(s) if *s == service_sid => s.clone(),
            _ => {
                self.stats.rx_ignored += 1;
                return;
            }
        };
        if !self.report_allowed(now, channel, mac, &report) {
            return;
        }
        self.stats.reports_received += 1;
        if !self.in_window(aid, now, &report) {
            self.stats.reports_late += 1;
        }
        let _ = self
            .stations
            .handle(mac, Event::ReportReceived, now, &self.timeouts);
        self.pending.push(IncomingReport {
            terminal: mac,
            aid,
            channel,
            received_at: now,
            report: ReportRepr { sid, ..report },
        });
    }

    /// Whether a report that ended at `end_us` started inside one of `aid`'s windows — or up
    /// to half a guard before it: a terminal resynchronised on the beacon still carries a
    /// few µs of clock error either way, and the guard is there for it.
    /// Whether a report from a scheduled station is within what its service allows: at most
    /// `limits.reports_per_period` per report period (or per minute, when the period is
    /// longer), and no larger than its data amount (answered "rejected": a terminal that
    /// sends more than it registered for must not be told to resend).
    fn report_allowed(&mut self, now: u64, channel: u8, mac: MacAddr, report: &ReportRepr) -> bool {
        let limit = self.reports_per_period;
        let Some(peer) = self.peers.get_mut(&mac) else {
            return false;
        };
        let (period_s, amount) = peer
            .service
            .as_ref()
            .map_or((60, u32::MAX), |s| (s.report_period, s.data_amount));
        let interval = u64::from(period_s.clamp(1, 60)) * 1_000_000;
        let start = now - now % interval;
        if peer.reports_in.0 != start {
            peer.reports_in = (start, 0);
        }
        if peer.reports_in.1 >= limit {
            self.stats.reports_over_rate += 1;
            tracing::debug!(%mac, "report beyond the station's allowance dropped");
            return false;
        }
        peer.reports_in.1 += 1;
        if u32::try_from(report.payload.len()).map_or(true, |n| n > amount) {
            self.stats.reports_oversized += 1;
            tracing::debug!(%mac, bytes = report.payload.len(), amount, "oversized report rejected");
            let ack = M2mAction::ReportAck(crate::wire::m2m::ReportAckRepr {
                status: crate::wire::m2m::AckStatus::Rejected,
                sequences: vec![report.sequence],
            });
            let h = self.header_to(mac);
            if let Ok(frame) = action_frame(h, &ack) {
                self.send(channel, now, &frame);
            }
            return false;
        }
        true
    }

    fn in_window(&self, aid: u16, end_us: u64, report: &ReportRepr) -> bool {
        let Some(a) = self.scheduler.allocation(aid) else {
            return false;
        };
        let len = report_psdu_len(&report.sid, report.payload.len());
        let mcs = self.rx_mcs.unwrap_or(self.mcs);
        let start = end_us.saturating_sub(crate::scheduler::airtime_us(self.format, mcs, len));
        let early = u64::from(self.scheduler.config().guard_us / 2);
        let shifted = start + early;
        if shifted < a.initial_time_us {
            return false;
        }
        let p = a.period_us().max(1);
        let w = a.initial_time_us + (shifted - a.initial_time_us) / p * p;
        shifted - w <= u64::from(a.duration_us) + early
    }

    pub(super) fn deauth(&mut self, now: u64, channel: u8, mac: MacAddr) {
        let frame = Frame::Deauthentication(DeauthenticationRepr {
            header: self.header_to(mac),
            reason: ReasonCode::Class3FromNonAssoc,
            elements: Vec::new(),
        });
        self.send(channel, now, &frame);
    }

    pub(super) fn on_leave(&mut self, now: u64, mac: MacAddr) {
        if self.stations.get(&mac).is_none() {
            return;
        }
        if !self.deregister(now, mac, Event::Deauth) {
            // Unknown / already deregistered: just forget it.
            self.stations.remove(&mac);
            self.peers.remove(&mac);
        }
    }

    /// Applies `event` (one that deregisters: a refused registration, a deauthentication),
    /// counts the deregistration and frees the station's window and gateway-side facts.
    /// `false` if the state machine refused the event.
    pub(super) fn deregister(&mut self, now: u64, mac: MacAddr, event: Event) -> bool {
        let why = match event {
            Event::RegistrationFailed => "registration failed",
            _ => "deauthenticated",
        };
        self.deregister_because(now, mac, event, why)
    }

    /// [`deregister`](Self::deregister) with the reason the `deregistered` event gives
    /// (recorded only for a terminal that had been registered: given a window).
    pub(super) fn deregister_because(
        &mut self,
        now: u64,
        mac: MacAddr,
        event: Event,
        why: &str,
    ) -> bool {
        match self.stations.handle(mac, event, now, &self.timeouts) {
            Ok(tr) => {
                self.stats.deregistered += 1;
                self.record_deregistered(now, mac, why);
                self.settle_peer(mac, tr.freed_aid);
                true
            }
            Err(_) => false,
        }
    }

    /// The `deregistered` event of `mac`, if it had been registered.
    fn record_deregistered(&mut self, now: u64, mac: MacAddr, why: &str) {
        let sid = self.peers.get_mut(&mac).and_then(|p| p.service_sid.take());
        if let Some(sid) = sid {
            self.group_deregistered(mac);
            self.reconfigure.remove(&mac);
            let detail = serde_json::json!({ "reason": why });
            self.record_event(now, "deregistered", Some(mac), Some(sid), detail);
        }
    }

    /// Station deadlines at `now`: re-sends, polls for missed windows, deregistrations.
    pub(super) fn run_deadlines(&mut self, now: u64) {
        for (mac, action) in self.stations.poll(now, &self.timeouts) {
            match action {
                TimeoutAction::Retry {
                    state: State::Registered | State::Configured,
                    ..
                } => {
                    let resp = self
                        .peers
                        .get(&mac)
                        .and_then(|p| p.assoc_response.clone().map(|f| (p.channel, f)));
                    if let Some((channel, frame)) = resp {
                        if !self.resend_handshake(now, channel, mac) {
                            self.send(channel, now, &frame);
                        }
                    }
                }
                TimeoutAction::Retry {
                    state: State::Scheduled | State::Reporting,
                    ..
                } if self.poll_missed => self.send_poll(now, mac),
                TimeoutAction::Retry { .. } => {}
                TimeoutAction::FallBack(tr) => {
                    if tr.to == State::Deregistered {
                        self.stats.deregistered += 1;
                        self.record_deregistered(now, mac, "timeout");
                        tracing::debug!(%mac, from = ?tr.from, "station deregistered by timeout");
                    }
                    self.settle_peer(mac, tr.freed_aid);
                }
            }
        }
    }

    fn send_poll(&mut self, now: u64, mac: MacAddr) {
        let Some(channel) = self
            .stations
            .get(&mac)
            .and_then(|s| s.aid())
            .and_then(|aid| self.scheduler.allocation(aid))
            .map(|a| a.channel)
        else {
            return;
        };
        self.poll_token = self.poll_token.wrapping_add(1);
        let h = self.header_to(mac);
        let poll = M2mAction::ReportPoll(crate::wire::m2m::ReportPollRepr {
            token: self.poll_token,
        });
        if let Ok(frame) = action_frame(h, &poll) {
            if self.send(channel, now, &frame) {
                self.stats.polls_sent += 1;
            }
        }
    }

    /// The SSID element: the gateway's name.
    pub(super) fn ssid(&self) -> Result<Ie> {
        Ie::new(crate::wire::ElementId::Ssid, self.name.as_bytes().to_vec())
    }
}
