//! Publishing closed records to the spool directory: JSON lines in a file written whole to a
//! temporary name, fsynced, renamed into place and the directory fsynced; only then are the
//! records marked spooled in the store. A crash before the mark rewrites the same file
//! (named by the first pending record's id) with the same records and any closed since, so
//! a record is never lost and never in two spool files. Also CSV export.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::record::ChargingRecord;
use super::usage::Class;
use crate::store::{Store, StoreError};

/// Why spooling failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Writing the spool file failed.
    #[error("spool {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes every closed record not yet spooled into one new spool file in `dir` and marks
/// them spooled at `now_ms`; returns the file, or `None` when nothing was pending.
pub fn spool_pending(
    store: &mut Store,
    dir: &Path,
    now_ms: u64,
) -> Result<Option<PathBuf>, SpoolError> {
    let pending = store.unspooled_records()?;
    let Some(first) = pending.first() else {
        return Ok(None);
    };
    let path = dir.join(format!("charging-{:012}.jsonl", first.id));
    let io_err = |source| SpoolError::Io {
        path: path.clone(),
        source,
    };
    let mut text = String::new();
    for r in &pending {
        let line = serde_json::to_string(&r.record).map_err(|e| io_err(io::Error::other(e)))?;
        text.push_str(&line);
        text.push('\n');
    }
    let tmp = dir.join(format!(".charging-{:012}.jsonl.tmp", first.id));
    let mut f = File::create(&tmp).map_err(io_err)?;
    f.write_all(text.as_bytes()).map_err(io_err)?;
    f.sync_all().map_err(io_err)?;
    drop(f);
    fs::rename(&tmp, &path).map_err(io_err)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err)?;
    let ids: Vec<i64> = pending.iter().map(|r| r.id).collect();
    store.mark_spooled(&ids, now_ms)?;
    Ok(Some(path))
}

/// Reads a spool file back.
pub fn read_spool(path: &Path) -> io::Result<Vec<ChargingRecord>> {
    fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(io::Error::other))
        .collect()
}

/// The CSV header of [`csv_rows`].
pub const CSV_HEADER: &str = "subscription,sequence,opened_at_ms,closed_at_ms,close_reason,service,device,ul_non_roaming,dl_non_roaming,ul_roaming,dl_roaming";

/// One CSV line per record, service and device (a device's usage of a service).
pub fn csv_rows(r: &ChargingRecord) -> Vec<String> {
    let reason = r.close_reason.as_ref().map_or("", |c| c.kind());
    let mut out = Vec::new();
    for (svc, sec) in &r.services {
        for (dev, v) in &sec.devices {
            let vols: Vec<String> = Class::ALL.iter().map(|&c| v.get(c).to_string()).collect();
            out.push(format!(
                "{},{},{},{},{},{},{},{}",
                csv_field(&r.subscription),
                r.sequence,
                r.opened_at_ms,
                r.closed_at_ms.map(|t| t.to_string()).unwrap_or_default(),
                reason,
                csv_field(svc),
                csv_field(dev),
                vols.join(",")
            ));
        }
    }
    out
}

/// Quotes a field holding a comma, quote or newline (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
