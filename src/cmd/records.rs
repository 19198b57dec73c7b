//! `subgate records`: the charging records in a gateway's database, as a table, CSV or JSON.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use subgate_control::charging::spool::{csv_rows, CSV_HEADER};
use subgate_control::charging::ChargingRecord;
use subgate_control::store::charging::RecordFilter;
use subgate_control::store::Store;

/// Output formats of `subgate records`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordsFormat {
    /// One line per record.
    Table,
    /// One line per record, service and device, with a header.
    Csv,
    /// The records as a JSON array.
    Json,
}

/// Options of `subgate records`.
#[derive(Args, Debug)]
pub struct RecordsArgs {
    /// The gateway's database (SQLite).
    #[arg(long)]
    db: PathBuf,
    /// Only this subscription.
    #[arg(long)]
    subscription: Option<String>,
    /// Only records in which this service carried bytes.
    #[arg(long)]
    service: Option<String>,
    /// Only records closed at or after this time, ms.
    #[arg(long)]
    from_ms: Option<u64>,
    /// Only records closed before this time, ms.
    #[arg(long)]
    before_ms: Option<u64>,
    /// Also the open records (not yet published).
    #[arg(long)]
    open: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: RecordsFormat,
}

pub fn run(a: RecordsArgs) -> Result<()> {
    if !a.db.is_file() {
        bail!("no database at {}", a.db.display());
    }
    let store = Store::open(&a.db).with_context(|| format!("opening {}", a.db.display()))?;
    let filter = RecordFilter {
        subscription: a.subscription.clone(),
        service: a.service.clone(),
        closed_from_ms: a.from_ms,
        closed_before_ms: a.before_ms,
    };
    let mut records: Vec<ChargingRecord> = store
        .charging_records(&filter)?
        .into_iter()
        .map(|r| r.record)
        .collect();
    if a.open {
        let (open, _) = store.charging_state()?;
        records.extend(open.into_iter().filter(|r| {
            a.subscription.as_ref().is_none_or(|s| &r.subscription == s)
                && a.service
                    .as_ref()
                    .is_none_or(|s| r.services.get(s).is_some_and(|sec| !sec.volumes.is_zero()))
        }));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A reader that stops early (`| head`) is no error.
    match print_records(&mut out, a.format, &records).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// The records in `format`.
fn print_records(
    out: &mut impl Write,
    format: RecordsFormat,
    records: &[ChargingRecord],
) -> std::io::Result<()> {
    match format {
        RecordsFormat::Json => {
            let json = serde_json::to_string_pretty(records).map_err(std::io::Error::other)?;
            writeln!(out, "{json}")?;
        }
        RecordsFormat::Csv => {
            writeln!(out, "{CSV_HEADER}")?;
            for r in records {
                for row in csv_rows(r) {
                    writeln!(out, "{row}")?;
                }
            }
        }
        RecordsFormat::Table => {
            writeln!(
                out,
                "{:<16} {:>5} {:>14} {:>14} {:<20} {:>10} {:>10} {:>10} {:>10} {:>8}",
                "subscription",
                "seq",
                "opened ms",
                "closed ms",
                "reason",
                "UL home",
                "DL home",
                "UL roam",
                "DL roam",
                "devices"
            )?;
            for r in records {
                let reason = r.close_reason.as_ref().map_or("(open)", |c| c.kind());
                let devices: usize = r.services.values().map(|s| s.devices.len()).sum();
                writeln!(
                    out,
                    "{:<16} {:>5} {:>14} {:>14} {:<20} {:>10} {:>10} {:>10} {:>10} {:>8}",
                    r.subscription,
                    r.sequence,
                    r.opened_at_ms,
                    r.closed_at_ms
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into()),
                    reason,
                    r.volumes.ul_home,
                    r.volumes.dl_home,
                    r.volumes.ul_roaming,
                    r.volumes.dl_roaming,
                    devices
                )?;
            }
            writeln!(out, "\n{} records", records.len())?;
        }
    }
    Ok(())
}
