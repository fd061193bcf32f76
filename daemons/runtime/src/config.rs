//! okapi.toml: one file, one top-level table per daemon.
//!
//! A daemon deserializes only its own table (`[ospf]`, `[vrrp]`, ...) and skips the other
//! daemons' tables; any other top-level key is an error. Daemon tables use
//! `#[serde(deny_unknown_fields)]`, so an unknown key anywhere is rejected. Every error names
//! `file:line:col` and says what was expected.

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::DAEMON_TABLES;

/// A configuration error located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (unreadable).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// Reads `path` and returns the daemon's `table`, or `None` when the file has no such table.
pub fn load<T: DeserializeOwned>(path: &Path, table: &str) -> Result<Option<T>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {error}"),
    })?;
    parse(&text, path, table)
}

/// Parses `text` (the contents of `path`) and returns the daemon's `table`.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path, table: &str) -> Result<Option<T>, ConfigError> {
    // toml locates errors raised inside a table's value; an unknown top-level key is raised at
    // the document level, so the visitor remembers where that key stands.
    let unknown_key_at = std::cell::Cell::new(None);
    let located = |error: toml::de::Error| {
        let (line, column) = match unknown_key_at.take().or(error.span()) {
            Some(span) => line_and_column(text, span.start),
            None => (1, 1),
        };
        ConfigError {
            path: path.to_path_buf(),
            line,
            column,
            message: first_line(error.message()),
        }
    };
    let deserializer = toml::Deserializer::parse(text).map_err(located)?;
    DaemonTable::<T> {
        table,
        unknown_key_at: &unknown_key_at,
        _type: PhantomData,
    }
    .deserialize(deserializer)
    .map_err(located)
}

fn first_line(message: &str) -> String {
    message
        .trim()
        .lines()
        .next()
        .unwrap_or("invalid configuration")
        .to_string()
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Deserializes the top level of okapi.toml, keeping only `table`.
struct DaemonTable<'a, T> {
    table: &'a str,
    unknown_key_at: &'a std::cell::Cell<Option<std::ops::Range<usize>>>,
    _type: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for DaemonTable<'_, T> {
    type Value = Option<T>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for DaemonTable<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a table of daemon tables ({})", DAEMON_TABLES.join(", "))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<toml::Spanned<String>>()? {
            if key.get_ref() == self.table {
                found = Some(map.next_value::<T>()?);
            } else if DAEMON_TABLES.contains(&key.get_ref().as_str()) {
                map.next_value::<IgnoredAny>()?;
            } else {
                self.unknown_key_at.set(Some(key.span()));
                return Err(serde::de::Error::unknown_field(key.get_ref(), DAEMON_TABLES));
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        #[serde(default)]
        interval_ms: u32,
        #[serde(default)]
        interfaces: Vec<SampleInterface>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct SampleInterface {
        name: String,
        cost: u16,
    }

    fn parse_testd(text: &str) -> Result<Option<Sample>, String> {
        parse::<Sample>(text, Path::new("okapi.toml"), "testd").map_err(|e| e.to_string())
    }

    #[test]
    fn reads_its_own_table_and_skips_the_others() {
        let text = "[ospf]\nanything = 1\n\n[testd]\nname = \"a\"\ninterval_ms = 5\n";
        let expected = Sample {
            name: "a".into(),
            interval_ms: 5,
            interfaces: vec![],
        };
        assert_eq!(parse_testd(text), Ok(Some(expected)));
        assert_eq!(parse_testd("[vrrp]\nx = 1\n"), Ok(None));
    }

    #[test]
    fn unknown_key_in_the_table_names_line_and_column() {
        let error = parse_testd("[testd]\nname = \"a\"\n  colour = 3\n").unwrap_err();
        assert!(error.starts_with("okapi.toml:3:3: unknown field `colour`"), "{error}");
        assert!(
            error.contains("expected one of `name`, `interval_ms`, `interfaces`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_key_in_a_nested_table() {
        let text = "[testd]\nname = \"a\"\n[[testd.interfaces]]\nname = \"eth1\"\ncost = 1\nmtu = 9000\n";
        let error = parse_testd(text).unwrap_err();
        assert!(error.starts_with("okapi.toml:6:1: unknown field `mtu`"), "{error}");
    }

    #[test]
    fn wrong_type_names_line_and_column() {
        let error = parse_testd("[testd]\nname = \"a\"\ninterval_ms = \"fast\"\n").unwrap_err();
        assert!(
            error.starts_with("okapi.toml:3:15: invalid type: string \"fast\", expected u32"),
            "{error}"
        );
        let error =
            parse_testd("[testd]\nname = \"a\"\n[[testd.interfaces]]\nname = \"eth1\"\ncost = 70000\n").unwrap_err();
        assert!(error.starts_with("okapi.toml:5:8: "), "{error}");
    }

    #[test]
    fn unknown_top_level_table() {
        let error = parse_testd("[testd]\nname = \"a\"\n\n[ospfv3]\nx = 1\n").unwrap_err();
        assert!(error.starts_with("okapi.toml:4:2: "), "{error}");
        assert!(
            error.contains("unknown field `ospfv3`, expected one of `ospf`, `vrrp`, `bgp`, `testd`"),
            "{error}"
        );
    }

    #[test]
    fn missing_field_and_syntax_error() {
        let error = parse_testd("[testd]\ninterval_ms = 1\n").unwrap_err();
        assert!(error.contains("missing field `name`"), "{error}");
        let error = parse_testd("[testd]\nname = \n").unwrap_err();
        assert!(error.starts_with("okapi.toml:2:"), "{error}");
    }

    #[test]
    fn unreadable_file() {
        let error = load::<Sample>(Path::new("/nonexistent/okapi.toml"), "testd").unwrap_err();
        assert_eq!(error.line, 0);
        assert!(error.to_string().starts_with("/nonexistent/okapi.toml: cannot read:"));
    }

    #[test]
    fn line_and_column_counts_characters() {
        assert_eq!(line_and_column("ab\ncdé\nx", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncdé\nx", 3), (2, 1));
        assert_eq!(line_and_column("ab\ncdé\nx", 8), (3, 1));
        assert_eq!(line_and_column("ab\ncdé\nx", 7), (2, 4));
        assert_eq!(line_and_column("é", 1), (1, 1));
    }
}
