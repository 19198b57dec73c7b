//! Peripheral groups (seed 001, DESIGN §4, docs/groups.md): the M2M user configures groups;
//! the gateway pre-allocates a group id to every configured peripheral and sets its initial
//! state (standby or active) before the peripheral ever appears ([`GroupTable`]); a
//! registered peripheral learns its group and state with its configuration; a group service
//! request is tracked member by member until each one is delivered, unanswered or refused
//! ([`GroupRequest`]).
//!
//! The gateway drives this from its superframes (`gateway/groups.rs`); here is only the
//! bookkeeping, with no clock and no radio.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::wire::m2m::{GroupAssignmentRepr, WakeMode};
use crate::wire::MacAddr;

/// Most groups a gateway holds.
pub const MAX_GROUPS: usize = 4096;

/// How a group request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// One frame to each member, acked by it.
    Unicast,
    /// One frame per channel to the group address; every member acks.
    GroupAddressed,
}

/// A group as configured: name, members, the members that start in standby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// Name.
    pub name: String,
    /// Members.
    pub members: Vec<MacAddr>,
    /// Members starting in standby (a subset of `members`).
    pub standby: Vec<MacAddr>,
}

/// A group with its pre-allocated id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Id, 1..=65535, fixed for the gateway's run.
    pub id: u16,
    /// Name.
    pub name: String,
    /// Members.
    pub members: BTreeSet<MacAddr>,
    /// Members starting in standby.
    pub standby: BTreeSet<MacAddr>,
}

/// Why a group could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// A member is already in another group.
    #[error("{member} is a member of group {other:?} already")]
    MemberElsewhere {
        /// The member.
        member: MacAddr,
        /// Its group.
        other: String,
    },
    /// No group id is left.
    #[error("no group id left ({MAX_GROUPS} groups)")]
    Full,
}

/// Where a member stands with the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// It registered and holds a report window.
    Registered,
    /// It was registered and lost its window (left, timed out, rejected).
    Deregistered,
}

/// Every group, the member → group map, and which members are registered now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTable {
    wake: WakeMode,
    delivery: Delivery,
    groups: BTreeMap<u16, Group>,
    by_name: BTreeMap<String, u16>,
    member_of: HashMap<MacAddr, u16>,
    registration: HashMap<MacAddr, Registration>,
}

impl GroupTable {
    /// No groups yet.
    pub fn new(wake: WakeMode, delivery: Delivery) -> GroupTable {
        GroupTable {
            wake,
            delivery,
            groups: BTreeMap::new(),
            by_name: BTreeMap::new(),
            member_of: HashMap::new(),
            registration: HashMap::new(),
        }
    }

    /// How standby members are woken.
    pub fn wake(&self) -> WakeMode {
        self.wake
    }

    /// How requests are sent.
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// Whether any group is configured.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Creates the group (next free id) or replaces the members of the group of that name
    /// (same id); returns its id. Members dropped from it lose their pre-allocation.
    pub fn configure(&mut self, spec: GroupSpec) -> Result<u16, GroupError> {
        let existing = self.by_name.get(&spec.name).copied();
        for m in &spec.members {
            if let Some(&g) = self.member_of.get(m) {
                if Some(g) != existing {
                    let other = self
                        .groups
                        .get(&g)
                        .map(|x| x.name.clone())
                        .unwrap_or_default();
                    return Err(GroupError::MemberElsewhere { member: *m, other });
                }
            }
        }
        let id = match existing {
            Some(id) => id,
            None => (1..=u16::MAX)
                .find(|i| !self.groups.contains_key(i))
                .filter(|_| self.groups.len() < MAX_GROUPS)
                .ok_or(GroupError::Full)?,
        };
        if let Some(old) = self.groups.get(&id) {
            for m in &old.members {
                self.member_of.remove(m);
            }
        }
        for m in &spec.members {
            self.member_of.insert(*m, id);
        }
        self.by_name.insert(spec.name.clone(), id);
        self.groups.insert(
            id,
            Group {
                id,
                name: spec.name,
                members: spec.members.into_iter().collect(),
                standby: spec.standby.into_iter().collect(),
            },
        );
        Ok(id)
    }

    /// The id of the group called `name`.
    pub fn id_of(&self, name: &str) -> Option<u16> {
        self.by_name.get(name).copied()
    }

    /// The group with id `id`.
    pub fn group(&self, id: u16) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// The group `terminal` is pre-allocated to.
    pub fn group_of(&self, terminal: MacAddr) -> Option<&Group> {
        self.groups.get(self.member_of.get(&terminal)?)
    }

    /// What a registering terminal is told: its group id and initial state.
    pub fn assignment_of(&self, terminal: MacAddr) -> Option<GroupAssignmentRepr> {
        let g = self.group_of(terminal)?;
        Some(GroupAssignmentRepr {
            group: g.id,
            standby: g.standby.contains(&terminal),
            wake: self.wake,
        })
    }

    /// Removes `terminal` from its group (the application rejected it); returns the group id.
    pub fn remove_member(&mut self, terminal: MacAddr) -> Option<u16> {
        let id = self.member_of.remove(&terminal)?;
        if let Some(g) = self.groups.get_mut(&id) {
            g.members.remove(&terminal);
            g.standby.remove(&terminal);
        }
        Some(id)
    }

    /// Notes that a member registered or lost its registration (others are ignored).
    pub fn set_registration(&mut self, terminal: MacAddr, r: Registration) {
        if self.member_of.contains_key(&terminal) {
            self.registration.insert(terminal, r);
        }
    }

    /// Where `terminal` stands (`None`: never registered since the gateway started).
    pub fn registration(&self, terminal: MacAddr) -> Option<Registration> {
        self.registration.get(&terminal).copied()
    }
}

/// Where one member's delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum MemberStatus {
    /// Not acked yet.
    Pending,
    /// Acked by the member at `at_us`.
    Delivered {
        /// When the ack came, µs.
        at_us: u64,
    },
    /// Sent `retries` times without an ack.
    NoAck,
    /// Not sent: the member cannot take it.
    Refused {
        /// `not-registered`, `deregistered` or `not-a-member`.
        reason: &'static str,
    },
}

/// One member of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDelivery {
    /// Its status.
    pub status: MemberStatus,
    /// Sends so far.
    pub tries: u32,
    /// Superframe of the last send, µs.
    pub last_sent_us: Option<u64>,
    /// Superframe whose beacon woke it (members in standby), µs.
    pub woken_us: Option<u64>,
}

impl MemberDelivery {
    fn new(status: MemberStatus) -> Self {
        MemberDelivery {
            status,
            tries: 0,
            last_sent_us: None,
            woken_us: None,
        }
    }
}

/// A group service request being delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRequest {
    /// Request id on the air.
    pub id: u32,
    /// The command that asked for it.
    pub command_id: String,
    /// Group id.
    pub group: u16,
    /// What the application sends.
    pub payload: Vec<u8>,
    /// When it was taken, µs.
    pub created_us: u64,
    /// Every addressed member.
    pub members: BTreeMap<MacAddr, MemberDelivery>,
    /// Addressed to the whole group (a subset is always sent unicast: a group-addressed
    /// frame would reach the others too).
    pub whole_group: bool,
}

impl GroupRequest {
    /// A request to `targets` of group `group` of `table` (every member when `None`):
    /// registered members pending, the others refused with the reason.
    pub fn new(
        table: &GroupTable,
        group: &Group,
        targets: Option<&[MacAddr]>,
        id: u32,
        command_id: String,
        payload: Vec<u8>,
        now_us: u64,
    ) -> GroupRequest {
        let addressed: Vec<MacAddr> = match targets {
            Some(t) => t.to_vec(),
            None => group.members.iter().copied().collect(),
        };
        let members = addressed
            .into_iter()
            .map(|m| {
                let status = if !group.members.contains(&m) {
                    MemberStatus::Refused {
                        reason: "not-a-member",
                    }
                } else {
                    match table.registration(m) {
                        Some(Registration::Registered) => MemberStatus::Pending,
                        Some(Registration::Deregistered) => MemberStatus::Refused {
                            reason: "deregistered",
                        },
                        None => MemberStatus::Refused {
                            reason: "not-registered",
                        },
                    }
                };
                (m, MemberDelivery::new(status))
            })
            .collect();
        GroupRequest {
            id,
            command_id,
            group: group.id,
            payload,
            created_us: now_us,
            members,
            whole_group: targets.is_none(),
        }
    }

    /// Whether every member has a final status.
    pub fn is_done(&self) -> bool {
        self.members
            .values()
            .all(|m| m.status != MemberStatus::Pending)
    }

    /// Counts: (delivered, no ack, refused).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for m in self.members.values() {
            match m.status {
                MemberStatus::Delivered { .. } => c.0 += 1,
                MemberStatus::NoAck => c.1 += 1,
                MemberStatus::Refused { .. } => c.2 += 1,
                MemberStatus::Pending => {}
            }
        }
        c
    }

    /// The member acked at `now_us`; returns whether that was news.
    pub fn acked(&mut self, member: MacAddr, now_us: u64) -> bool {
        match self.members.get_mut(&member) {
            Some(m) if m.status == MemberStatus::Pending => {
                m.status = MemberStatus::Delivered { at_us: now_us };
                true
            }
            _ => false,
        }
    }

    /// The member lost its registration: refused if still pending.
    pub fn deregistered(&mut self, member: MacAddr) {
        if let Some(m) = self.members.get_mut(&member) {
            if m.status == MemberStatus::Pending {
                m.status = MemberStatus::Refused {
                    reason: "deregistered",
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(n: u8) -> MacAddr {
        MacAddr([2, 0, 0, 0, 0, n])
    }

    #[test]
    fn ids_are_kept_by_name_and_members_belong_to_one_group() {
        let mut t = GroupTable::new(WakeMode::Tim, Delivery::Unicast);
        let a = t
            .configure(GroupSpec {
                name: "a".into(),
                members: vec![mac(1), mac(2)],
                standby: vec![mac(2)],
            })
            .unwrap();
        let b = t
            .configure(GroupSpec {
                name: "b".into(),
                members: vec![mac(3)],
                standby: vec![],
            })
            .unwrap();
        assert_eq!((a, b), (1, 2));
        assert!(matches!(
            t.configure(GroupSpec {
                name: "b".into(),
                members: vec![mac(1)],
                standby: vec![],
            }),
            Err(GroupError::MemberElsewhere { .. })
        ));
        // Updating "a" keeps its id; mac(2) leaves it.
        assert_eq!(
            t.configure(GroupSpec {
                name: "a".into(),
                members: vec![mac(1)],
                standby: vec![],
            }),
            Ok(1)
        );
        assert!(t.assignment_of(mac(2)).is_none());
        assert_eq!(t.assignment_of(mac(1)).map(|x| x.group), Some(1));
    }

    #[test]
    fn a_request_refuses_who_cannot_take_it_and_tracks_the_rest() {
        let mut t = GroupTable::new(WakeMode::Tim, Delivery::Unicast);
        t.configure(GroupSpec {
            name: "a".into(),
            members: vec![mac(1), mac(2), mac(3)],
            standby: vec![],
        })
        .unwrap();
        t.set_registration(mac(1), Registration::Registered);
        t.set_registration(mac(2), Registration::Deregistered);
        t.set_registration(mac(9), Registration::Registered); // not a member: ignored
        assert_eq!(t.registration(mac(9)), None);
        let g = t.group(1).unwrap().clone();
        let mut r = GroupRequest::new(&t, &g, None, 7, "c".into(), b"x".to_vec(), 0);
        assert_eq!(r.members[&mac(1)].status, MemberStatus::Pending);
        assert_eq!(
            r.members[&mac(2)].status,
            MemberStatus::Refused {
                reason: "deregistered"
            }
        );
        assert_eq!(
            r.members[&mac(3)].status,
            MemberStatus::Refused {
                reason: "not-registered"
            }
        );
        assert!(!r.is_done());
        assert!(r.acked(mac(1), 5));
        assert!(!r.acked(mac(1), 6), "a repeated ack is no news");
        assert!(r.is_done());
        assert_eq!(r.counts(), (1, 0, 2));
        let only = GroupRequest::new(&t, &g, Some(&[mac(9)]), 8, "d".into(), vec![], 0);
        assert_eq!(
            only.members[&mac(9)].status,
            MemberStatus::Refused {
                reason: "not-a-member"
            }
        );
    }
}
