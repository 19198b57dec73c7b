//! Peripheral groups in the gateway (issue 8, seed 001, docs/groups.md).
//!
//! - **Registration**: a configured member gets a group-assignment element (group id,
//!   initial state, wake method) with its configuration, and the `registered` event names
//!   its group; once scheduled, a member configured for standby is put in standby (no
//!   reports expected, AID and window kept until `timeouts.standby_ms`).
//! - **Group request** (`group-request` command): every registered addressed member is
//!   pending; the others are refused with the reason. While a request has pending members
//!   the beacons name its group in the wake indication. A member is sent the request in the
//!   downlink part of a superframe whose beacon it hears — every one (`wake = "tim"`), or the
//!   one after its report window (`"next-slot"`) — unicast or group-addressed, again every
//!   `resend_superframes` until it acks, `retries` times at most. A member in standby is
//!   sent nothing before the beacon that woke it; its ack moves it out of standby.
//! - When every member has a final status the `group-delivery` event lists them all.

use serde_json::json;

use super::Gateway;
use crate::groups::{Delivery, GroupRequest, GroupTable, MemberStatus, Registration};
use crate::northbound::CommandAction;
use crate::station::{Event, State};
use crate::wire::m2m::carry::action_frame;
use crate::wire::m2m::{GroupAckRepr, GroupRequestRepr, M2mAction, M2mElement, WakeMode, WakeRepr};
use crate::wire::mac::HeaderRepr;
use crate::wire::{Ie, MacAddr};

/// Most groups named in one beacon's wake indication.
pub(super) const WAKE_PER_BEACON: usize = 16;

/// The gateway's groups and the requests being delivered.
#[derive(Debug)]
pub(super) struct GroupState {
    pub(super) table: GroupTable,
    requests: Vec<GroupRequest>,
    pub(super) next_id: u32,
    retries: u32,
    resend_us: u64,
}

impl GroupState {
    /// The configured groups; request ids start at `first_id` (random per start, so a
    /// restarted gateway does not reuse an id a member remembers).
    pub(super) fn new(table: GroupTable, retries: u32, resend_us: u64, first_id: u32) -> Self {
        GroupState {
            table,
            requests: Vec::new(),
            next_id: first_id,
            retries,
            resend_us,
        }
    }
}

/// The group address of group `id` (locally administered multicast, subgate's OUI bytes).
pub fn group_address(id: u16) -> MacAddr {
    let [hi, lo] = id.to_be_bytes();
    MacAddr([0x03, 0x53, 0x47, 0x00, hi, lo])
}

impl Gateway {
    /// The group-assignment element of a registering member.
    pub(super) fn group_assignment_ie(&self, mac: MacAddr) -> Option<Ie> {
        let a = self.groups.table.assignment_of(mac)?;
        M2mElement::GroupAssignment(a).to_ie().ok()
    }

    /// The group of a member as the `registered` event names it.
    pub(super) fn group_of(&self, mac: MacAddr) -> Option<(String, u16)> {
        self.groups
            .table
            .group_of(mac)
            .map(|g| (g.name.clone(), g.id))
    }

    /// A member was registered (configured).
    pub(super) fn group_registered(&mut self, mac: MacAddr) {
        self.groups
            .table
            .set_registration(mac, Registration::Registered);
    }

    /// A member got its window: one configured for standby goes to standby.
    pub(super) fn group_scheduled(&mut self, now: u64, mac: MacAddr) {
        if self
            .groups
            .table
            .assignment_of(mac)
            .is_some_and(|a| a.standby)
        {
            match self
                .stations
                .handle(mac, Event::StandbyRequested, now, &self.timeouts)
            {
                Ok(_) => self.stats.standby_entered += 1,
                Err(e) => tracing::debug!(%mac, error = %e, "member not put in standby"),
            }
        }
    }

    /// A member lost its registration: pending deliveries to it are refused.
    pub(super) fn group_deregistered(&mut self, mac: MacAddr) {
        self.groups
            .table
            .set_registration(mac, Registration::Deregistered);
        for r in &mut self.groups.requests {
            r.deregistered(mac);
        }
    }

    /// The wake indication of the beacons at superframe start `s`: the groups with members
    /// still pending.
    pub(super) fn wake_indication(&self) -> Option<Ie> {
        let mut groups: Vec<u16> = Vec::new();
        for r in &self.groups.requests {
            if !groups.contains(&r.group)
                && r.members
                    .values()
                    .any(|m| m.status == MemberStatus::Pending)
            {
                groups.push(r.group);
            }
        }
        groups.truncate(WAKE_PER_BEACON);
        if groups.is_empty() {
            return None;
        }
        M2mElement::WakeIndication(WakeRepr { groups }).to_ie().ok()
    }

    /// Whether `mac` hears the beacon at superframe start `s` (and then the downlink part).
    fn member_listens(&self, mac: MacAddr, s: u64) -> bool {
        match self.groups.table.wake() {
            WakeMode::Tim => true,
            WakeMode::NextSlot => {
                let Some(aid) = self.stations.get(&mac).and_then(|st| st.aid()) else {
                    return false;
                };
                let sf = self.timeline.superframe_us;
                let Some(a) = self.scheduler.allocation(aid) else {
                    return false;
                };
                a.window_at_or_after(s.saturating_sub(sf))
                    .is_some_and(|(w, _)| w < s)
            }
        }
    }

    /// Sends what is due at superframe start `s` (after its beacons), closes requests whose
    /// members all have a final status.
    pub(super) fn run_group_requests(&mut self, s: u64) {
        if self.groups.requests.is_empty() {
            return;
        }
        let mut requests = std::mem::take(&mut self.groups.requests);
        for r in &mut requests {
            self.serve_request(s, r);
        }
        for r in requests {
            if r.is_done() {
                self.finish_request(s, &r);
            } else {
                self.groups.requests.push(r);
            }
        }
    }

    fn serve_request(&mut self, s: u64, r: &mut GroupRequest) {
        // Taken during superframe `s`: its beacon did not name the group yet.
        if r.created_us >= s {
            return;
        }
        let sf = self.timeline.superframe_us;
        let delivery = self.groups.table.delivery();
        let (retries, resend_us) = (self.groups.retries, self.groups.resend_us);
        let next_slot = self.groups.table.wake() == WakeMode::NextSlot;
        // The same action in every frame of this superframe, unicast or group-addressed.
        let req = M2mAction::GroupRequest(GroupRequestRepr {
            group: r.group,
            request: r.id,
            payload: r.payload.clone(),
        });
        // Channel → members to reach with one group-addressed frame there.
        let mut by_channel: std::collections::BTreeMap<u8, Vec<MacAddr>> = Default::default();
        // Channels whose downlink part of this superframe is full: the rest wait.
        let mut full: std::collections::BTreeSet<u8> = Default::default();
        let group_addressed = delivery == Delivery::GroupAddressed && r.whole_group;
        let macs: Vec<MacAddr> = r.members.keys().copied().collect();
        for mac in macs {
            let Some(m) = r.members.get(&mac) else {
                continue;
            };
            if m.status != MemberStatus::Pending {
                continue;
            }
            let state = self.stations.get(&mac).map(|st| st.state());
            let scheduled = matches!(
                state,
                Some(State::Scheduled | State::Reporting | State::Standby)
            );
            // A member never sent to in time (not scheduled, or the downlink stayed full) is
            // given up: one report period per try with next-slot, the resend interval with
            // tim, and the downlink queue's reach.
            let period = self
                .peers
                .get(&mac)
                .and_then(|p| p.service.as_ref())
                .map_or(0, |i| u64::from(i.report_period) * 1_000_000);
            let interval = if next_slot {
                period.max(resend_us)
            } else {
                resend_us
            };
            let deadline = r
                .created_us
                .saturating_add(interval.saturating_mul(u64::from(retries) + 1))
                .saturating_add(2 * super::MAX_DOWNLINK_AHEAD * sf);
            let due = m
                .last_sent_us
                .is_none_or(|t| s >= t.saturating_add(resend_us));
            if due && m.tries >= retries || m.tries == 0 && s >= deadline {
                if let Some(m) = r.members.get_mut(&mac) {
                    m.status = MemberStatus::NoAck;
                }
                continue;
            }
            if !scheduled || !due || !self.member_listens(mac, s) {
                continue;
            }
            // Its window's channel, where it listens once scheduled (a member in standby
            // has sent nothing there yet).
            let window_channel = self
                .stations
                .get(&mac)
                .and_then(|st| st.aid())
                .and_then(|aid| self.scheduler.allocation(aid))
                .map(|a| a.channel);
            let Some(channel) = window_channel.or(self.peers.get(&mac).map(|p| p.channel)) else {
                continue;
            };
            if full.contains(&channel) {
                continue;
            }
            if state == Some(State::Standby) {
                if let Some(m) = r.members.get_mut(&mac) {
                    m.woken_us.get_or_insert(s);
                }
            }
            match group_addressed {
                false => {
                    let h = self.header_to(mac);
                    let Ok(frame) = action_frame(h, &req) else {
                        continue;
                    };
                    if let Some(at) =
                        self.send_class(channel, s, &frame, crate::regulatory::FrameClass::Group)
                    {
                        self.stats.group_requests_sent += 1;
                        if at >= s.saturating_add(sf) {
                            full.insert(channel);
                        }
                        if let Some(m) = r.members.get_mut(&mac) {
                            m.tries += 1;
                            m.last_sent_us = Some(self.timeline.superframe_start(at));
                        }
                    }
                }
                true => by_channel.entry(channel).or_default().push(mac),
            }
        }
        for (channel, members) in by_channel {
            let h = HeaderRepr {
                addr1: group_address(r.group),
                ..self.header_to(MacAddr::BROADCAST)
            };
            let Ok(frame) = action_frame(h, &req) else {
                continue;
            };
            if let Some(at) =
                self.send_class(channel, s, &frame, crate::regulatory::FrameClass::Group)
            {
                self.stats.group_requests_sent += 1;
                for mac in members {
                    if let Some(m) = r.members.get_mut(&mac) {
                        m.tries += 1;
                        m.last_sent_us = Some(self.timeline.superframe_start(at));
                    }
                }
            }
        }
    }

    fn finish_request(&mut self, now: u64, r: &GroupRequest) {
        let (delivered, no_ack, refused) = r.counts();
        self.stats.group_requests_done += 1;
        let name = self
            .groups
            .table
            .group(r.group)
            .map(|g| g.name.clone())
            .unwrap_or_default();
        let members: Vec<serde_json::Value> = r
            .members
            .iter()
            .map(|(mac, m)| {
                let mut v = json!({ "terminal": mac.to_string(), "tries": m.tries });
                if let (Some(o), serde_json::Value::Object(st)) = (
                    v.as_object_mut(),
                    serde_json::to_value(&m.status).unwrap_or_default(),
                ) {
                    o.extend(st);
                    if let Some(w) = m.woken_us {
                        o.insert("woken_at_us".into(), w.into());
                    }
                }
                v
            })
            .collect();
        tracing::info!(group = %name, request = r.id, delivered, no_ack, refused, "group request finished");
        let detail = json!({
            "command_id": r.command_id,
            "group": name,
            "group_id": r.group,
            "request_id": r.id,
            "delivered": delivered,
            "no_ack": no_ack,
            "refused": refused,
            "members": members,
        });
        self.record_event(now, "group-delivery", None, None, detail);
    }

    /// A member's ack of a group request.
    pub(super) fn on_group_ack(&mut self, now: u64, mac: MacAddr, ack: GroupAckRepr) {
        let Some(r) = self
            .groups
            .requests
            .iter_mut()
            .find(|r| r.id == ack.request && r.group == ack.group)
        else {
            return;
        };
        if !r.acked(mac, now) {
            return;
        }
        let bytes = r.payload.len();
        self.stats.group_deliveries += 1;
        if self.stations.get(&mac).map(|s| s.state()) == Some(State::Standby) {
            if let Err(e) = self
                .stations
                .handle(mac, Event::WakeUp, now, &self.timeouts)
            {
                tracing::debug!(%mac, error = %e, "woken member not moved out of standby");
            }
        }
        if let Some(sid) = self.peers.get(&mac).and_then(|p| p.service_sid.clone()) {
            self.charge_downlink(now, mac, &sid, bytes);
        }
    }

    /// Applies a group command; the `command` event's extra fields, or why it was refused.
    pub(super) fn apply_group_command(
        &mut self,
        now: u64,
        command_id: &str,
        action: CommandAction,
    ) -> Result<serde_json::Value, String> {
        match action {
            CommandAction::GroupRequest {
                group,
                terminals,
                payload,
            } => {
                let id = self
                    .groups
                    .table
                    .id_of(&group)
                    .ok_or_else(|| format!("unknown group {group:?}"))?;
                let g = self
                    .groups
                    .table
                    .group(id)
                    .cloned()
                    .ok_or_else(|| format!("unknown group {group:?}"))?;
                let request_id = self.groups.next_id;
                self.groups.next_id = self.groups.next_id.wrapping_add(1);
                let r = GroupRequest::new(
                    &self.groups.table,
                    &g,
                    terminals.as_deref(),
                    request_id,
                    command_id.to_string(),
                    payload,
                    now,
                );
                let (_, _, refused) = r.counts();
                let pending = r.members.len() - refused;
                self.groups.requests.push(r);
                Ok(json!({
                    "group": group, "group_id": id, "request_id": request_id,
                    "pending": pending, "refused": refused,
                }))
            }
            CommandAction::GroupConfig(spec) => {
                let name = spec.name.clone();
                let members = spec.members.len();
                let id = self
                    .groups
                    .table
                    .configure(spec)
                    .map_err(|e| e.to_string())?;
                Ok(json!({ "group": name, "group_id": id, "members": members }))
            }
            CommandAction::GroupMember {
                terminal,
                authorise,
            } => {
                let (name, id) = self
                    .group_of(terminal)
                    .ok_or_else(|| format!("{terminal} is in no group"))?;
                if !authorise {
                    self.groups.table.remove_member(terminal);
                    let channel = self.peers.get(&terminal).map(|p| p.channel);
                    if self.deregister_because(now, terminal, Event::Deauth, "rejected") {
                        if let Some(ch) = channel {
                            self.deauth(now, ch, terminal);
                        }
                    }
                    self.group_deregistered(terminal);
                }
                Ok(json!({
                    "group": name, "group_id": id, "terminal": terminal.to_string(),
                    "authorised": authorise,
                }))
            }
            CommandAction::ServiceConfig { .. } => Err("not a group command".into()),
        }
    }

    /// The group table (configured groups and registrations).
    pub fn groups(&self) -> &GroupTable {
        &self.groups.table
    }

    /// Group requests still being delivered.
    pub fn group_requests(&self) -> &[GroupRequest] {
        &self.groups.requests
    }
}
