//! The `.sigmf-meta` file: where it lives, its JSON model, parsing with field-naming
//! errors, and atomic rewriting.
//!
//! Parsing goes through `serde_json::Value` rather than derived structs so each error can
//! name the exact field (`annotations[3].core:sample_count`) and so keys we do not model
//! (other `core:` keys, other namespaces) survive a rewrite in the `extra` maps.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::{Result, SigmfError};
use super::Datatype;

/// File name extension of the metadata file.
pub const META_EXT: &str = "sigmf-meta";
/// File name extension of the data file.
pub const DATA_EXT: &str = "sigmf-data";
/// SigMF version written by [`super::Writer`].
pub const SIGMF_VERSION: &str = "1.0.0";
/// Namespace of subgate's own annotation keys (`subgate:mcs`, ...).
pub const SUBGATE_NS: &str = "subgate";

/// JSON keys, named once.
mod key {
    pub const GLOBAL: &str = "global";
    pub const CAPTURES: &str = "captures";
    pub const ANNOTATIONS: &str = "annotations";
    pub const DATATYPE: &str = "core:datatype";
    pub const SAMPLE_RATE: &str = "core:sample_rate";
    pub const VERSION: &str = "core:version";
    pub const DESCRIPTION: &str = "core:description";
    pub const NUM_CHANNELS: &str = "core:num_channels";
    pub const EXTENSIONS: &str = "core:extensions";
    pub const SAMPLE_START: &str = "core:sample_start";
    pub const SAMPLE_COUNT: &str = "core:sample_count";
    pub const FREQUENCY: &str = "core:frequency";
    pub const DATETIME: &str = "core:datetime";
    pub const HEADER_BYTES: &str = "core:header_bytes";
    pub const LABEL: &str = "core:label";
    pub const COMMENT: &str = "core:comment";
    pub const FREQ_LOWER_EDGE: &str = "core:freq_lower_edge";
    pub const FREQ_UPPER_EDGE: &str = "core:freq_upper_edge";
    pub const EXT_NAME: &str = "name";
    pub const EXT_VERSION: &str = "version";
    pub const EXT_OPTIONAL: &str = "optional";
}

/// The metadata and data paths of a recording, from its base path, its `.sigmf-meta` path
/// or its `.sigmf-data` path (any other name is taken as the base and the extensions are
/// appended, so `cap.915MHz` becomes `cap.915MHz.sigmf-meta`).
pub fn paths(path: &Path) -> (PathBuf, PathBuf) {
    let base = match path.extension().and_then(|e| e.to_str()) {
        Some(META_EXT) | Some(DATA_EXT) => path.with_extension(""),
        _ => path.to_path_buf(),
    };
    (with_ext(&base, META_EXT), with_ext(&base, DATA_EXT))
}

fn with_ext(base: &Path, ext: &str) -> PathBuf {
    let mut s: OsString = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// One SigMF annotation: a labelled segment of the recording.
///
/// Keys other than the modelled `core:` ones (including subgate's `subgate:*` keys) live in
/// `extra` and are written back unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotation {
    /// First sample of the segment (`core:sample_start`).
    pub sample_start: u64,
    /// Length in samples (`core:sample_count`; 0 when the file omits it).
    pub sample_count: u64,
    /// Short label (`core:label`), e.g. `S1G_1M MCS0 24B`.
    pub label: Option<String>,
    /// Free text (`core:comment`).
    pub comment: Option<String>,
    /// Lower edge of the segment's band, Hz (`core:freq_lower_edge`).
    pub freq_lower_edge: Option<f64>,
    /// Upper edge of the segment's band, Hz (`core:freq_upper_edge`).
    pub freq_upper_edge: Option<f64>,
    /// Every other key, verbatim.
    pub extra: Map<String, Value>,
}

impl Annotation {
    /// A bare segment with no label, comment, band or extra keys.
    pub fn new(sample_start: u64, sample_count: u64) -> Self {
        Annotation {
            sample_start,
            sample_count,
            ..Annotation::default()
        }
    }

    /// First sample past the segment, or `None` if the sum overflows `u64`.
    pub fn end(&self) -> Option<u64> {
        self.sample_start.checked_add(self.sample_count)
    }

    /// The annotation as a SigMF JSON object.
    pub fn to_json(&self) -> Value {
        let mut m = self.extra.clone();
        m.insert(key::SAMPLE_START.into(), self.sample_start.into());
        m.insert(key::SAMPLE_COUNT.into(), self.sample_count.into());
        if let Some(l) = &self.label {
            m.insert(key::LABEL.into(), l.clone().into());
        }
        if let Some(c) = &self.comment {
            m.insert(key::COMMENT.into(), c.clone().into());
        }
        if let Some(f) = self.freq_lower_edge {
            m.insert(key::FREQ_LOWER_EDGE.into(), f.into());
        }
        if let Some(f) = self.freq_upper_edge {
            m.insert(key::FREQ_UPPER_EDGE.into(), f.into());
        }
        Value::Object(m)
    }

    fn from_json(file: &Path, field: &str, v: &Value) -> Result<Self> {
        let mut m = object(file, field, v)?.clone();
        let sample_start = take_u64(file, field, &mut m, key::SAMPLE_START)?
            .ok_or_else(|| missing(file, field, key::SAMPLE_START))?;
        let sample_count = take_u64(file, field, &mut m, key::SAMPLE_COUNT)?.unwrap_or(0);
        Ok(Annotation {
            sample_start,
            sample_count,
            label: take_string(file, field, &mut m, key::LABEL)?,
            comment: take_string(file, field, &mut m, key::COMMENT)?,
            freq_lower_edge: take_f64(file, field, &mut m, key::FREQ_LOWER_EDGE)?,
            freq_upper_edge: take_f64(file, field, &mut m, key::FREQ_UPPER_EDGE)?,
            extra: m,
        })
    }
}

/// One SigMF capture segment: where a tuning starts in the data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capture {
    /// First sample of the segment (`core:sample_start`).
    pub sample_start: u64,
    /// Centre frequency, Hz (`core:frequency`).
    pub frequency: Option<f64>,
    /// ISO-8601 time of the first sample (`core:datetime`).
    pub datetime: Option<String>,
    /// Every other key, verbatim.
    pub extra: Map<String, Value>,
}

impl Capture {
    fn to_json(&self) -> Value {
        let mut m = self.extra.clone();
        m.insert(key::SAMPLE_START.into(), self.sample_start.into());
        if let Some(f) = self.frequency {
            m.insert(key::FREQUENCY.into(), f.into());
        }
        if let Some(d) = &self.datetime {
            m.insert(key::DATETIME.into(), d.clone().into());
        }
        Value::Object(m)
    }

    fn from_json(file: &Path, field: &str, v: &Value) -> Result<Self> {
        let mut m = object(file, field, v)?.clone();
        let sample_start = take_u64(file, field, &mut m, key::SAMPLE_START)?
            .ok_or_else(|| missing(file, field, key::SAMPLE_START))?;
        // A header inside the data file would shift every sample: refuse rather than
        // return garbage.
        if let Some(n) = m.get(key::HEADER_BYTES).and_then(Value::as_u64) {
            if n != 0 {
                return Err(invalid(
                    file,
                    &format!("{field}.{}", key::HEADER_BYTES),
                    format!("is {n}; data files with headers are not supported"),
                ));
            }
        }
        Ok(Capture {
            sample_start,
            frequency: take_f64(file, field, &mut m, key::FREQUENCY)?,
            datetime: take_string(file, field, &mut m, key::DATETIME)?,
            extra: m,
        })
    }
}

/// The parsed metadata of one recording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Meta {
    /// The whole `global` object, including the fields below (kept for rewriting).
    pub global: Map<String, Value>,
    pub datatype: Datatype,
    pub sample_rate: f64,
    pub version: Option<String>,
    pub description: Option<String>,
    pub captures: Vec<Capture>,
    pub annotations: Vec<Annotation>,
}

impl Meta {
    /// A fresh single-capture metadata block, as the writer produces.
    pub fn new(
        datatype: Datatype,
        sample_rate: f64,
        center_frequency: Option<f64>,
        description: &str,
    ) -> Meta {
        let mut global = Map::new();
        global.insert(key::DATATYPE.into(), datatype.sigmf_name().into());
        global.insert(key::SAMPLE_RATE.into(), sample_rate.into());
        global.insert(key::VERSION.into(), SIGMF_VERSION.into());
        global.insert(key::DESCRIPTION.into(), description.into());
        global.insert(
            "core:recorder".into(),
            concat!("subgate-drivers ", env!("CARGO_PKG_VERSION")).into(),
        );
        Meta {
            global,
            datatype,
            sample_rate,
            version: Some(SIGMF_VERSION.into()),
            description: Some(description.into()),
            captures: vec![Capture {
                sample_start: 0,
                frequency: center_frequency,
                datetime: None,
                extra: Map::new(),
            }],
            annotations: Vec::new(),
        }
    }

    /// Parses metadata bytes; `file` is only used in errors.
    pub fn parse(file: &Path, bytes: &[u8]) -> Result<Meta> {
        let root: Value = serde_json::from_slice(bytes).map_err(|e| SigmfError::MalformedJson {
            file: file.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: {
                // serde_json appends the location, which the variant already carries.
                let m = e.to_string();
                let at = format!(" at line {} column {}", e.line(), e.column());
                m.strip_suffix(&at).map(str::to_string).unwrap_or(m)
            },
        })?;
        let root = object(file, "(top level)", &root)?;
        let global = match root.get(key::GLOBAL) {
            Some(g) => object(file, key::GLOBAL, g)?.clone(),
            None => return Err(missing(file, "", key::GLOBAL)),
        };

        let g = key::GLOBAL;
        let datatype = match global.get(key::DATATYPE) {
            None => return Err(missing(file, g, key::DATATYPE)),
            Some(Value::String(s)) => {
                Datatype::from_sigmf(s).ok_or_else(|| SigmfError::UnknownDatatype {
                    file: file.to_path_buf(),
                    value: s.clone(),
                })?
            }
            Some(_) => return Err(invalid(file, &join(g, key::DATATYPE), "must be a string")),
        };
        let sample_rate = match global.get(key::SAMPLE_RATE) {
            None => return Err(missing(file, g, key::SAMPLE_RATE)),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| invalid(file, &join(g, key::SAMPLE_RATE), "must be a number"))?,
        };
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(SigmfError::BadSampleRate {
                file: file.to_path_buf(),
                rate: sample_rate,
            });
        }
        if let Some(n) = global.get(key::NUM_CHANNELS) {
            if n.as_u64() != Some(1) {
                return Err(invalid(
                    file,
                    &join(g, key::NUM_CHANNELS),
                    format!("is {n}; only single-channel recordings are supported"),
                ));
            }
        }
        let version = get_string(file, g, &global, key::VERSION)?;
        let description = get_string(file, g, &global, key::DESCRIPTION)?;

        let captures = array(file, root, key::CAPTURES)?
            .iter()
            .enumerate()
            .map(|(i, v)| Capture::from_json(file, &format!("{}[{i}]", key::CAPTURES), v))
            .collect::<Result<Vec<_>>>()?;
        let annotations = array(file, root, key::ANNOTATIONS)?
            .iter()
            .enumerate()
            .map(|(i, v)| Annotation::from_json(file, &format!("{}[{i}]", key::ANNOTATIONS), v))
            .collect::<Result<Vec<_>>>()?;

        Ok(Meta {
            global,
            datatype,
            sample_rate,
            version,
            description,
            captures,
            annotations,
        })
    }

    /// Checks that every capture starts and every annotation ends inside `len` samples.
    pub fn check_extent(&self, data_file: &Path, len: u64) -> Result<()> {
        for (i, c) in self.captures.iter().enumerate() {
            // The first sample of every capture must exist.
            if c.sample_start >= len {
                return Err(SigmfError::Truncated {
                    file: data_file.to_path_buf(),
                    field: format!("{}[{i}].{}", key::CAPTURES, key::SAMPLE_START),
                    end: c.sample_start,
                    len,
                });
            }
        }
        check_annotations(data_file, &self.annotations, len)
    }

    /// Declares the `subgate` extension in `global.core:extensions` if any annotation
    /// uses a `subgate:` key and it is not declared yet (SigMF asks for every namespace
    /// in use to be declared).
    fn declare_extension(&mut self) {
        let prefix = format!("{SUBGATE_NS}:");
        let used = self
            .annotations
            .iter()
            .any(|a| a.extra.keys().any(|k| k.starts_with(&prefix)));
        if !used {
            return;
        }
        let ext = self
            .global
            .entry(key::EXTENSIONS)
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = ext else {
            // Someone else's malformed value: leave it alone rather than clobber it.
            return;
        };
        let declared = list
            .iter()
            .any(|e| e.get(key::EXT_NAME).and_then(Value::as_str) == Some(SUBGATE_NS));
        if !declared {
            let mut e = Map::new();
            e.insert(key::EXT_NAME.into(), SUBGATE_NS.into());
            e.insert(key::EXT_VERSION.into(), env!("CARGO_PKG_VERSION").into());
            e.insert(key::EXT_OPTIONAL.into(), true.into());
            list.push(Value::Object(e));
        }
    }

    /// Brings the metadata into the shape SigMF asks for before writing: annotations
    /// sorted by start, the `subgate` namespace declared when used.
    pub fn normalise(&mut self) {
        self.declare_extension();
        self.annotations.sort_by_key(|a| a.sample_start);
    }

    /// The whole metadata as pretty JSON (call [`Self::normalise`] first).
    pub fn to_json_bytes(&self) -> serde_json::Result<Vec<u8>> {
        let mut global = self.global.clone();
        global.insert(key::DATATYPE.into(), self.datatype.sigmf_name().into());
        global.insert(key::SAMPLE_RATE.into(), self.sample_rate.into());
        let mut root = Map::new();
        root.insert(key::GLOBAL.into(), Value::Object(global));
        root.insert(
            key::CAPTURES.into(),
            Value::Array(self.captures.iter().map(Capture::to_json).collect()),
        );
        root.insert(
            key::ANNOTATIONS.into(),
            Value::Array(self.annotations.iter().map(Annotation::to_json).collect()),
        );
        let mut out = serde_json::to_vec_pretty(&Value::Object(root))?;
        out.push(b'\n');
        Ok(out)
    }

    /// Writes the metadata to `file` atomically: a temporary file in the same directory,
    /// synced, then renamed over the target, so a crash never leaves half a JSON file.
    pub fn write_atomic(&mut self, file: &Path) -> Result<()> {
        self.normalise();
        let bytes = self.to_json_bytes().map_err(|e| SigmfError::Io {
            file: file.to_path_buf(),
            source: e.into(),
        })?;
        let mut tmp = file.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let io_err = |source: io::Error| SigmfError::Io {
            file: file.to_path_buf(),
            source,
        };
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, file)
        })();
        if result.is_err() {
            // Best effort: the temporary file is ours and useless now.
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(io_err)
    }
}

/// Checks that every annotation ends inside `len` samples.
pub(crate) fn check_annotations(
    data_file: &Path,
    annotations: &[Annotation],
    len: u64,
) -> Result<()> {
    for (i, a) in annotations.iter().enumerate() {
        let end = a.end().unwrap_or(u64::MAX);
        if end > len {
            return Err(SigmfError::Truncated {
                file: data_file.to_path_buf(),
                field: format!(
                    "{}[{i}] ({} + {})",
                    key::ANNOTATIONS,
                    key::SAMPLE_START,
                    key::SAMPLE_COUNT
                ),
                end,
                len,
            });
        }
    }
    Ok(())
}

fn join(parent: &str, k: &str) -> String {
    if parent.is_empty() {
        k.to_string()
    } else {
        format!("{parent}.{k}")
    }
}

fn missing(file: &Path, parent: &str, k: &str) -> SigmfError {
    SigmfError::MissingField {
        file: file.to_path_buf(),
        field: join(parent, k),
    }
}

fn invalid(file: &Path, field: &str, problem: impl Into<String>) -> SigmfError {
    SigmfError::InvalidField {
        file: file.to_path_buf(),
        field: field.to_string(),
        problem: problem.into(),
    }
}

fn object<'a>(file: &Path, field: &str, v: &'a Value) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| invalid(file, field, "must be a JSON object"))
}

/// The array under `k`, or an empty slice when it is absent (lenient: SigMF requires
/// `captures` and `annotations`, but some tools omit empty ones).
fn array<'a>(file: &Path, root: &'a Map<String, Value>, k: &str) -> Result<&'a [Value]> {
    match root.get(k) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(invalid(file, k, "must be a JSON array")),
    }
}

fn take_u64(file: &Path, parent: &str, m: &mut Map<String, Value>, k: &str) -> Result<Option<u64>> {
    match m.remove(k) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            invalid(
                file,
                &join(parent, k),
                format!("is {v}; it must be an integer >= 0"),
            )
        }),
    }
}

fn take_f64(file: &Path, parent: &str, m: &mut Map<String, Value>, k: &str) -> Result<Option<f64>> {
    match m.remove(k) {
        None => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| {
            invalid(
                file,
                &join(parent, k),
                format!("is {v}; it must be a number"),
            )
        }),
    }
}

fn take_string(
    file: &Path,
    parent: &str,
    m: &mut Map<String, Value>,
    k: &str,
) -> Result<Option<String>> {
    match m.remove(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(invalid(
            file,
            &join(parent, k),
            format!("is {v}; it must be a string"),
        )),
    }
}

fn get_string(
    file: &Path,
    parent: &str,
    m: &Map<String, Value>,
    k: &str,
) -> Result<Option<String>> {
    match m.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(
            file,
            &join(parent, k),
            format!("is {v}; it must be a string"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_any_form() {
        for p in ["rec", "rec.sigmf-meta", "rec.sigmf-data"] {
            let (m, d) = paths(Path::new(p));
            assert_eq!(m, Path::new("rec.sigmf-meta"));
            assert_eq!(d, Path::new("rec.sigmf-data"));
        }
        let (m, _) = paths(Path::new("dir/cap.915MHz"));
        assert_eq!(m, Path::new("dir/cap.915MHz.sigmf-meta"));
    }

    #[test]
    fn unknown_keys_survive_a_rewrite() {
        let f = Path::new("x.sigmf-meta");
        let src = br#"{"global":{"core:datatype":"ci8","core:sample_rate":2e6,"core:author":"me"},
            "captures":[{"core:sample_start":0,"core:frequency":9.15e8,"other:gain":20}],
            "annotations":[{"core:sample_start":5,"core:sample_count":3,"core:label":"a","x:y":[1,2]}]}"#;
        let mut m = Meta::parse(f, src).unwrap();
        assert_eq!(m.captures[0].frequency, Some(9.15e8));
        assert_eq!(
            m.annotations[0].extra.get("x:y"),
            Some(&serde_json::json!([1, 2]))
        );
        m.normalise();
        let again = Meta::parse(f, &m.to_json_bytes().unwrap()).unwrap();
        assert_eq!(again, m);
        assert_eq!(again.global.get("core:author"), Some(&Value::from("me")));
        assert_eq!(
            again.captures[0].extra.get("other:gain"),
            Some(&Value::from(20))
        );
    }

    #[test]
    fn subgate_extension_declared_once() {
        let mut m = Meta::new(Datatype::Cf32Le, 1e6, None, "");
        let mut a = Annotation::new(0, 1);
        a.extra.insert("subgate:mcs".into(), 0.into());
        m.annotations.push(a);
        m.normalise();
        let mut once = Meta::parse(Path::new("x"), &m.to_json_bytes().unwrap()).unwrap();
        once.normalise();
        let twice = Meta::parse(Path::new("x"), &once.to_json_bytes().unwrap()).unwrap();
        let ext = twice
            .global
            .get(key::EXTENSIONS)
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(ext.len(), 1);
        assert_eq!(ext[0].get("name"), Some(&Value::from("subgate")));
    }
}
