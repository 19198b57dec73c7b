//! Downlink commands, read from `<prefix>/<gateway>/commands` (docs/northbound.md §4): JSON
//! with [`SCHEMA`](super::SCHEMA), a `command_id` the result event quotes, and a `type`.
//! Anything else — bad JSON, an unknown type or field, a value out of range — is refused with
//! a reason, never applied in part.

use std::str::FromStr;

use serde::Deserialize;

use super::payload::SCHEMA;
use crate::config::{group_spec, GroupConfig};
use crate::groups::GroupSpec;
use crate::wire::m2m::{DataFormat, ServiceInfoRepr, Sid, MAX_GROUP_PAYLOAD};
use crate::wire::{parse_hex, MacAddr};

/// Longest command id kept (longer ids are refused).
pub const MAX_COMMAND_ID: usize = 64;
/// Largest command payload read, bytes (a `group-config` of 2000 members fits).
pub const MAX_COMMAND_LEN: usize = 65_536;

/// A valid command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The sender's id for it, quoted in the result event.
    pub id: String,
    /// What to do.
    pub action: CommandAction,
}

/// What a command asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandAction {
    /// `group-request`: deliver `payload` to every member of `group` (or to `terminals` of
    /// it), waking those in standby first.
    GroupRequest {
        /// Group name.
        group: String,
        /// Only these members (`None`: all).
        terminals: Option<Vec<MacAddr>>,
        /// What the application sends, ≤ 1024 bytes.
        payload: Vec<u8>,
    },
    /// `group-config`: create the group, or replace its members and standby members.
    GroupConfig(GroupSpec),
    /// `group-member`: the application's answer to a member's registration.
    GroupMember {
        /// The member.
        terminal: MacAddr,
        /// `false`: rejected (removed from its group and deregistered).
        authorise: bool,
    },
    /// `service-config`: from now on, terminals of service `sid` get `info` (report period,
    /// data format, data amount) instead of what the registrar returns; terminals already
    /// registered are moved over at their next report (docs/northbound.md §4).
    ServiceConfig {
        /// The served SID.
        sid: Sid,
        /// Its new service information (no server SID).
        info: ServiceInfoRepr,
    },
}

impl CommandAction {
    /// The `type` text.
    pub fn kind(&self) -> &'static str {
        match self {
            CommandAction::ServiceConfig { .. } => "service-config",
            CommandAction::GroupRequest { .. } => "group-request",
            CommandAction::GroupConfig(_) => "group-config",
            CommandAction::GroupMember { .. } => "group-member",
        }
    }
}

/// A command that was refused before reaching the gateway: its id when one could be read,
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("command {}: {reason}", id.as_deref().unwrap_or("(no id)"))]
pub struct RefusedCommand {
    /// `command_id`, if it was readable.
    pub id: Option<String>,
    /// Why.
    pub reason: String,
}

/// What the northbound hands the gateway: a command, or the refusal of one.
pub type CommandInput = Result<Command, RefusedCommand>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    schema: u32,
    command_id: String,
    #[serde(rename = "type")]
    kind: String,
    sid: Option<String>,
    report_period: Option<u32>,
    data_format: Option<String>,
    data_amount: Option<u32>,
    group: Option<String>,
    terminals: Option<Vec<String>>,
    payload_hex: Option<String>,
    members: Option<Vec<String>>,
    standby: Option<Vec<String>>,
    terminal: Option<String>,
    action: Option<String>,
}

/// Just the id, to quote it when the rest does not parse.
#[derive(Deserialize)]
struct IdOnly {
    command_id: Option<String>,
}

impl Command {
    /// Parses a command payload.
    pub fn from_json(bytes: &[u8]) -> CommandInput {
        let refuse = |id: Option<String>, reason: String| RefusedCommand { id, reason };
        if bytes.len() > MAX_COMMAND_LEN {
            return Err(refuse(
                None,
                format!(
                    "{} bytes, over the {MAX_COMMAND_LEN}-byte limit",
                    bytes.len()
                ),
            ));
        }
        let id = serde_json::from_slice::<IdOnly>(bytes)
            .ok()
            .and_then(|i| i.command_id)
            .filter(|i| valid_id(i));
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|e| refuse(id.clone(), format!("not a command: {e}")))?;
        if !valid_id(&raw.command_id) {
            return Err(refuse(
                None,
                format!("command_id must be 1..={MAX_COMMAND_ID} printable characters"),
            ));
        }
        let id = raw.command_id.clone();
        if raw.schema != SCHEMA {
            return Err(refuse(
                Some(id),
                format!("schema {} (this gateway reads {SCHEMA})", raw.schema),
            ));
        }
        match raw.kind.as_str() {
            "service-config" => {
                let need =
                    |what: &str| refuse(Some(id.clone()), format!("service-config needs {what}"));
                let sid_text = raw.sid.ok_or_else(|| need("sid"))?;
                let sid = Sid::from_str(&sid_text)
                    .map_err(|e| refuse(Some(id.clone()), format!("sid {sid_text:?}: {e}")))?;
                let report_period = raw.report_period.ok_or_else(|| need("report_period"))?;
                let format_text = raw.data_format.ok_or_else(|| need("data_format"))?;
                let data_format = DataFormat::from_str(&format_text).map_err(|_| {
                    refuse(
                        Some(id.clone()),
                        format!("data_format {format_text:?} is not a format name"),
                    )
                })?;
                let data_amount = raw.data_amount.ok_or_else(|| need("data_amount"))?;
                Ok(Command {
                    id,
                    action: CommandAction::ServiceConfig {
                        sid,
                        info: ServiceInfoRepr {
                            report_period,
                            data_format,
                            data_amount,
                            server: None,
                        },
                    },
                })
            }
            "group-request" => {
                let need =
                    |what: &str| refuse(Some(id.clone()), format!("group-request needs {what}"));
                let group = raw.group.ok_or_else(|| need("group"))?;
                let hex = raw.payload_hex.ok_or_else(|| need("payload_hex"))?;
                let payload = parse_hex(&hex).ok_or_else(|| {
                    refuse(Some(id.clone()), "payload_hex is not hex".to_string())
                })?;
                if payload.len() > MAX_GROUP_PAYLOAD {
                    return Err(refuse(
                        Some(id),
                        format!(
                            "payload of {} bytes, over {MAX_GROUP_PAYLOAD}",
                            payload.len()
                        ),
                    ));
                }
                let terminals = match raw.terminals {
                    None => None,
                    Some(list) => Some(
                        list.iter()
                            .map(|t| {
                                t.parse::<MacAddr>().map_err(|_| {
                                    refuse(Some(id.clone()), format!("terminal {t:?} is not a MAC"))
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                };
                Ok(Command {
                    id,
                    action: CommandAction::GroupRequest {
                        group,
                        terminals,
                        payload,
                    },
                })
            }
            "group-config" => {
                let need =
                    |what: &str| refuse(Some(id.clone()), format!("group-config needs {what}"));
                let g = GroupConfig {
                    name: raw.group.ok_or_else(|| need("group"))?,
                    members: raw.members.ok_or_else(|| need("members"))?,
                    standby: raw.standby.unwrap_or_default(),
                };
                let spec = group_spec("group-config", &g)
                    .map_err(|e| refuse(Some(id.clone()), e.to_string()))?;
                Ok(Command {
                    id,
                    action: CommandAction::GroupConfig(spec),
                })
            }
            "group-member" => {
                let need =
                    |what: &str| refuse(Some(id.clone()), format!("group-member needs {what}"));
                let text = raw.terminal.ok_or_else(|| need("terminal"))?;
                let terminal = text.parse::<MacAddr>().map_err(|_| {
                    refuse(Some(id.clone()), format!("terminal {text:?} is not a MAC"))
                })?;
                let authorise = match raw.action.as_deref() {
                    Some("authorise") => true,
                    Some("reject") => false,
                    _ => return Err(need("action \"authorise\" or \"reject\"")),
                };
                Ok(Command {
                    id,
                    action: CommandAction::GroupMember {
                        terminal,
                        authorise,
                    },
                })
            }
            other => Err(refuse(Some(id), format!("unknown command type {other:?}"))),
        }
    }
}

fn valid_id(id: &str) -> bool {
    (1..=MAX_COMMAND_ID).contains(&id.len()) && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_config_command_parses() {
        let c = Command::from_json(
            br#"{"schema":1,"command_id":"c-1","type":"service-config","sid":"service:meter",
                 "report_period":900,"data_format":"cbor","data_amount":48}"#,
        )
        .unwrap();
        assert_eq!(c.id, "c-1");
        assert_eq!(
            c.action,
            CommandAction::ServiceConfig {
                sid: Sid::service("meter").unwrap(),
                info: ServiceInfoRepr {
                    report_period: 900,
                    data_format: DataFormat::Cbor,
                    data_amount: 48,
                    server: None,
                },
            }
        );
    }

    #[test]
    fn refusals_keep_the_id_when_readable() {
        let cases: [(&[u8], Option<&str>, &str); 6] = [
            (b"not json", None, "not a command"),
            (br#"{"schema":1,"command_id":"c-2","type":"reboot"}"#, Some("c-2"), "unknown command type"),
            (br#"{"schema":2,"command_id":"c-3","type":"service-config"}"#, Some("c-3"), "schema 2"),
            (br#"{"schema":1,"command_id":"c-4","type":"service-config","sid":"service:m"}"#, Some("c-4"), "needs report_period"),
            (br#"{"schema":1,"command_id":"c-5","type":"service-config","sid":"service:m","report_period":1,"data_format":"xml","data_amount":1}"#, Some("c-5"), "not a format name"),
            (br#"{"schema":1,"command_id":"c-6","type":"service-config","extra":1}"#, Some("c-6"), "unknown field"),
        ];
        for (bytes, id, reason) in cases {
            let e = Command::from_json(bytes).unwrap_err();
            assert_eq!(e.id.as_deref(), id, "{}", String::from_utf8_lossy(bytes));
            assert!(
                e.reason.contains(reason),
                "{} → {}",
                String::from_utf8_lossy(bytes),
                e.reason
            );
        }
    }

    #[test]
    fn oversized_commands_are_refused_unread() {
        let big = vec![b' '; MAX_COMMAND_LEN + 1];
        let e = Command::from_json(&big).unwrap_err();
        assert!(e.reason.contains("limit"));
    }

    #[test]
    fn group_commands_parse() {
        let c = Command::from_json(
            br#"{"schema":1,"command_id":"g-1","type":"group-request","group":"street","payload_hex":"a1B2","terminals":["02:10:00:00:00:01"]}"#,
        )
        .unwrap();
        assert_eq!(
            c.action,
            CommandAction::GroupRequest {
                group: "street".into(),
                terminals: Some(vec!["02:10:00:00:00:01".parse().unwrap()]),
                payload: vec![0xa1, 0xb2],
            }
        );
        let c = Command::from_json(
            br#"{"schema":1,"command_id":"g-2","type":"group-config","group":"street","members":["02:10:00:00:00:01","02:10:00:00:00:02"],"standby":["02:10:00:00:00:02"]}"#,
        )
        .unwrap();
        let CommandAction::GroupConfig(spec) = c.action else {
            panic!("not a group-config");
        };
        assert_eq!((spec.members.len(), spec.standby.len()), (2, 1));
        let c = Command::from_json(
            br#"{"schema":1,"command_id":"g-3","type":"group-member","terminal":"02:10:00:00:00:01","action":"reject"}"#,
        )
        .unwrap();
        assert_eq!(c.action.kind(), "group-member");
        assert!(matches!(
            c.action,
            CommandAction::GroupMember {
                authorise: false,
                ..
            }
        ));
    }

    #[test]
    fn bad_group_commands_are_refused_with_the_reason() {
        let too_big = format!(
            r#"{{"schema":1,"command_id":"g-9","type":"group-request","group":"g","payload_hex":"{}"}}"#,
            "00".repeat(MAX_GROUP_PAYLOAD + 1)
        );
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (br#"{"schema":1,"command_id":"g-4","type":"group-request","payload_hex":"00"}"#.to_vec(), "needs group"),
            (br#"{"schema":1,"command_id":"g-5","type":"group-request","group":"g","payload_hex":"0"}"#.to_vec(), "not hex"),
            (br#"{"schema":1,"command_id":"g-6","type":"group-request","group":"g","payload_hex":"00","terminals":["x"]}"#.to_vec(), "not a MAC"),
            (br#"{"schema":1,"command_id":"g-7","type":"group-config","group":"g","members":["02:00:00:00:00:01"],"standby":["02:00:00:00:00:02"]}"#.to_vec(), "a member of the group"),
            (br#"{"schema":1,"command_id":"g-8","type":"group-member","terminal":"02:00:00:00:00:01","action":"maybe"}"#.to_vec(), "authorise"),
            (too_big.into_bytes(), "over 1024"),
        ];
        for (bytes, reason) in cases {
            let e = Command::from_json(&bytes).unwrap_err();
            assert!(e.id.is_some());
            assert!(
                e.reason.contains(reason),
                "{} → {}",
                String::from_utf8_lossy(&bytes),
                e.reason
            );
        }
    }
}
