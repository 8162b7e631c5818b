//! YAML through serde-saphyr, whose errors carry line and column.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::diagnostic::{Diagnostic, Loc};

/// A value together with where it was written.
pub type S<T> = serde_saphyr::Spanned<T>;

/// Parses `text` (which starts `line_offset` lines and `byte_offset` bytes into
/// `file`) into `T`, turning a failure into a located diagnostic.
pub fn parse_yaml<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    line_offset: usize,
    byte_offset: usize,
) -> Result<T, Diagnostic> {
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| {
                let mut loc = Loc::from(&l);
                if loc.len == 0 && l.span().byte_offset().is_none() {
                    loc.offset = byte_offset_of(text, loc.line, loc.column);
                }
                loc
            })
            .unwrap_or(Loc::START)
            .shifted(line_offset, byte_offset);
        let full = e.without_snippet().to_string();
        let message = full
            .rsplit_once(" at line ")
            .map_or(full.as_str(), |(m, _)| m)
            .to_string();
        let (code, help) = classify(&message);
        Diagnostic::error(code, file, loc, message).help(help)
    })
}

fn byte_offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

fn classify(message: &str) -> (&'static str, String) {
    if message.starts_with("unknown field") {
        (
            "unknown-field",
            "check the spelling of the field name; only the fields listed in the README's source format are allowed".into(),
        )
    } else if message.starts_with("missing field") {
        ("missing-field", "add the field; it is required".into())
    } else if message.contains("expected")
        || message.contains("invalid type")
        || message.contains("cannot deserialize")
        || message.contains("invalid value")
    {
        (
            "wrong-type",
            "this value has the wrong shape: a text, a number, a list [..] or a mapping {..} was expected here".into(),
        )
    } else if message.contains("duplicate") {
        (
            "duplicate-key",
            "a key appears twice in the same mapping; keep one".into(),
        )
    } else {
        (
            "yaml-syntax",
            "fix the YAML syntax: check indentation (spaces, not tabs), colons after keys and closing quotes or brackets".into(),
        )
    }
}
