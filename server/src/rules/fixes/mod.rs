//! Building blocks for fixes: line arithmetic that keeps the user's line endings and
//! indentation, and the structural fixes that belong to one rule each (one file per fix).

pub mod builder_stage;
pub mod dockerignore;
pub mod manifests_first;
pub mod quick;

use crate::syntax::{Located, Span};

/// The file's line ending: CRLF when its first line break is CRLF, LF otherwise.
#[must_use]
pub fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The start of the line containing `offset`.
#[must_use]
pub fn line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just after the line break of the line containing `offset` (the end of the text
/// when that line has none).
#[must_use]
pub fn after_line(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The whole lines of an instruction: from the start of its first line to after the line break
/// of its last line.
#[must_use]
pub fn instruction_lines(text: &str, located: &Located) -> Span {
    let span = located.span();
    Span::new(
        line_start(text, span.start),
        after_line(text, span.end.saturating_sub(1).max(span.start)),
    )
}

/// The instruction's text from the start of its first line (indentation included) to the end of
/// its last line, without the final line break.
#[must_use]
pub fn instruction_text<'t>(text: &'t str, located: &Located) -> &'t str {
    let lines = instruction_lines(text, located);
    lines.of(text).trim_end_matches(['\n', '\r'])
}

/// The indentation of the line containing `offset`.
#[must_use]
pub fn indentation(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// Quote a path for a Dockerfile word when it needs it.
#[must_use]
pub fn word(s: &str) -> String {
    if s.is_empty() || s.contains([' ', '\t', '"', '\'', '\\', '$']) {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_string()
    }
}
