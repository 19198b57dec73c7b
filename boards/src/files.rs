//! The TOML files compiled into the binary (boards, band plans, radios): parsed the same
//! way, with one error for a file that does not parse — a bug in `boards/`, caught by the
//! tests.

use serde::de::DeserializeOwned;

/// A compiled-in TOML file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{kind} file {index}: {source}")]
pub struct TomlFileError {
    kind: &'static str,
    index: usize,
    #[source]
    source: toml::de::Error,
}

/// Parses every text of `texts` (the `kind` of file, for the error).
pub fn parse_all<'a, T: DeserializeOwned>(
    kind: &'static str,
    texts: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<T>, TomlFileError> {
    texts
        .into_iter()
        .enumerate()
        .map(|(index, text)| {
            toml::from_str(text).map_err(|source| TomlFileError {
                kind,
                index,
                source,
            })
        })
        .collect()
}
