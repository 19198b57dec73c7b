//! `[groups]`: peripheral groups (seed 001, docs/groups.md): the groups the M2M user
//! configures, each with its members and the members that start in standby, and how group
//! service requests reach them (wake method, delivery, retries).

use serde::{Deserialize, Serialize};

use super::{quoted, Config, ConfigError};
use crate::groups::{Delivery as GroupDelivery, GroupSpec, GroupTable, MAX_GROUPS};
use crate::wire::m2m::WakeMode;
use crate::wire::MacAddr;

/// Longest group name, bytes.
pub const MAX_GROUP_NAME: usize = 64;

/// `[groups]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupsConfig {
    /// How standby members are woken: `"tim"` (every beacon's wake indication) or
    /// `"next-slot"` (the beacon after the member's own report slot). Default `"tim"`.
    pub wake: WakeMode,
    /// How a request is sent: `"unicast"` (one frame per member) or `"group-addressed"` (one
    /// frame per channel for every woken member there). Default `"unicast"`.
    pub delivery: GroupDelivery,
    /// Sends to one member before its status is `no-ack`, ≥ 1. Default 4.
    pub retries: u32,
    /// Superframes between sends to a member that has not acked, ≥ 1. Default 2.
    pub resend_superframes: u32,
    /// The groups: `{ name, members, standby }`. Default: none.
    pub groups: Vec<GroupConfig>,
}

impl Default for GroupsConfig {
    fn default() -> Self {
        GroupsConfig {
            wake: WakeMode::Tim,
            delivery: GroupDelivery::Unicast,
            retries: 4,
            resend_superframes: 2,
            groups: Vec::new(),
        }
    }
}

/// One group of `[groups]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Group name (what the M2M application names it by).
    pub name: String,
    /// Member terminal ids (MAC addresses).
    pub members: Vec<String>,
    /// Members that start in standby (the rest start active).
    #[serde(default)]
    pub standby: Vec<String>,
}

impl Config {
    /// `[groups]` typed and checked: the group table with an id pre-allocated to every
    /// configured group (1, 2, … in file order) and every member's initial state. Errors name
    /// the key (`groups.groups[2].members[7]`).
    pub fn group_table(&self) -> Result<GroupTable, ConfigError> {
        let g = &self.groups;
        if g.retries == 0 {
            return Err(ConfigError::invalid("groups.retries", 0, "≥ 1"));
        }
        if g.resend_superframes == 0 {
            return Err(ConfigError::invalid("groups.resend_superframes", 0, "≥ 1"));
        }
        if g.groups.len() > MAX_GROUPS {
            return Err(ConfigError::invalid(
                "groups.groups",
                format!("[{} groups]", g.groups.len()),
                format!("at most {MAX_GROUPS}"),
            ));
        }
        let mut table = GroupTable::new(g.wake, g.delivery);
        for (i, group) in g.groups.iter().enumerate() {
            let key = format!("groups.groups[{i}]");
            let spec = group_spec(&key, group)?;
            if g.groups[..i].iter().any(|o| o.name == group.name) {
                return Err(ConfigError::invalid(
                    format!("{key}.name"),
                    quoted(&group.name),
                    "each group listed once",
                ));
            }
            table.configure(spec).map_err(|e| {
                ConfigError::invalid(format!("{key}.name"), quoted(&group.name), e.to_string())
            })?;
        }
        Ok(table)
    }
}

/// A group of the configuration (or of a `group-config` command) checked.
pub fn group_spec(key: &str, group: &GroupConfig) -> Result<GroupSpec, ConfigError> {
    if group.name.is_empty()
        || group.name.len() > MAX_GROUP_NAME
        || group.name.chars().any(char::is_control)
    {
        return Err(ConfigError::invalid(
            format!("{key}.name"),
            quoted(&group.name),
            format!("1..={MAX_GROUP_NAME} bytes of text without control characters"),
        ));
    }
    let mac = |k: String, text: &str| -> Result<MacAddr, ConfigError> {
        match text.parse::<MacAddr>() {
            Ok(m) if !m.is_group() => Ok(m),
            _ => Err(ConfigError::invalid(
                k,
                quoted(text),
                "a unicast MAC address like \"02:10:00:00:00:01\"",
            )),
        }
    };
    let mut members = Vec::with_capacity(group.members.len());
    for (j, text) in group.members.iter().enumerate() {
        let m = mac(format!("{key}.members[{j}]"), text)?;
        if members.contains(&m) {
            return Err(ConfigError::invalid(
                format!("{key}.members[{j}]"),
                quoted(text),
                "each member listed once",
            ));
        }
        members.push(m);
    }
    let mut standby = Vec::with_capacity(group.standby.len());
    for (j, text) in group.standby.iter().enumerate() {
        let m = mac(format!("{key}.standby[{j}]"), text)?;
        if !members.contains(&m) {
            return Err(ConfigError::invalid(
                format!("{key}.standby[{j}]"),
                quoted(text),
                "a member of the group",
            ));
        }
        standby.push(m);
    }
    Ok(GroupSpec {
        name: group.name.clone(),
        members,
        standby,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_get_ids_in_file_order_and_members_their_state() {
        let c: Config = r#"
            [groups]
            wake = "next-slot"
            delivery = "group-addressed"
            groups = [
              { name = "street-1", members = ["02:10:00:00:00:01", "02:10:00:00:00:02"], standby = ["02:10:00:00:00:02"] },
              { name = "street-2", members = ["02:10:00:00:00:03"] },
            ]
        "#
        .parse()
        .unwrap();
        let t = c.group_table().unwrap();
        let m2: MacAddr = "02:10:00:00:00:02".parse().unwrap();
        let m3: MacAddr = "02:10:00:00:00:03".parse().unwrap();
        assert_eq!(t.id_of("street-1"), Some(1));
        assert_eq!(t.id_of("street-2"), Some(2));
        let a = t.assignment_of(m2).unwrap();
        assert_eq!((a.group, a.standby, a.wake), (1, true, WakeMode::NextSlot));
        assert!(!t.assignment_of(m3).unwrap().standby);
        assert_eq!(t.delivery(), GroupDelivery::GroupAddressed);
    }

    #[test]
    fn bad_groups_name_their_key() {
        for (text, key) in [
            ("retries = 0", "groups.retries"),
            ("groups = [{ name = \"\", members = [] }]", "groups.groups[0].name"),
            ("groups = [{ name = \"a\", members = [\"zz\"] }]", "groups.groups[0].members[0]"),
            ("groups = [{ name = \"a\", members = [\"02:00:00:00:00:01\", \"02:00:00:00:00:01\"] }]", "groups.groups[0].members[1]"),
            ("groups = [{ name = \"a\", members = [], standby = [\"02:00:00:00:00:01\"] }]", "groups.groups[0].standby[0]"),
            ("groups = [{ name = \"a\", members = [\"02:00:00:00:00:01\"] }, { name = \"b\", members = [\"02:00:00:00:00:01\"] }]", "groups.groups[1].name"),
            ("groups = [{ name = \"a\", members = [] }, { name = \"a\", members = [] }]", "groups.groups[1].name"),
        ] {
            let e = format!("[groups]\n{text}").parse::<Config>().unwrap_err();
            assert_eq!(e.key(), Some(key), "{text}: {e}");
        }
    }
}
