//! Building blocks for fixes: line arithmetic that keeps the user's line endings and
//! indentation, and the structural fixes that belong to one rule each (one file per fix).

pub mod builder_stage;
pub mod dependency_step;
pub mod dockerignore;
pub mod dotnet;
pub mod equivalence;
pub mod manifests_first;
pub mod quick;
pub mod shell_state;

use crate::rules::{Analysis, Fix};
use crate::syntax::{Located, Span};

/// A restructuring fix is offered only when its output parses: it writes instructions from
/// paths and words of the file (a `WORKDIR` whose path holds `<<EOF` or a lone CR, copied into
/// `COPY --from=` lines, would make a heredoc), so it is checked by parsing what it produces:
/// the instructions the fix wrote or changed (the others parsed without errors before, and an
/// instruction parses the same wherever it is). Then the rewritten file must build what the
/// original builds ([`equivalence::check`]), apart from what `allow` says the fix means to
/// change. Runs once per analysis that finds the problem.
///
/// # Errors
/// The reason, when the edits do not apply, the output has a syntax error, or it is not
/// equivalent.
pub fn verified(
    cx: &Analysis<'_>,
    fix: Fix,
    allow: &equivalence::Allowance,
) -> Result<Fix, String> {
    let out = crate::fix::apply_edits(cx.text, &fix.edits)?;
    if let Some(e) = crate::syntax::first_error_after(cx.text, cx.tree, &out) {
        return Err(format!(
            "the rewritten file would not parse ({}); fix it by hand",
            e.message
        ));
    }
    equivalence::check(cx, &out, allow)?;
    Ok(fix)
}

/// Restructuring fixes (a builder stage, manifests first) move and copy instructions; on a file
/// with syntax errors they would carry broken instructions along (an `ARG` with no name copied
/// into the runtime stage is one more error), so they wait until the file parses.
///
/// # Errors
/// The reason, when the file has a syntax error.
pub fn parses(cx: &Analysis<'_>) -> Result<(), String> {
    match cx.tree.errors().next() {
        Some(_) => Err("the file has syntax errors; fix them first".into()),
        None => Ok(()),
    }
}

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
    // bytes, not `str` slicing: `offset` need not be a char boundary (one byte before the end of
    // an instruction whose last character is multi-byte); a `\n` byte always is
    text.as_bytes()[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The start of the comment lines directly above the line containing `offset` (no blank line
/// between), or of that line: where lines inserted before an instruction go, so that a comment
/// stays with the instruction it describes.
#[must_use]
pub fn block_start(text: &str, offset: usize) -> usize {
    let mut start = line_start(text, offset);
    while start > 0 {
        let above = line_start(text, start - 1);
        if !text[above..start].trim_start().starts_with('#') {
            break;
        }
        start = above;
    }
    start
}

/// The offset just after the line break of the line containing `offset` (the end of the text
/// when that line has none).
#[must_use]
pub fn after_line(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[offset..]
        .iter()
        .position(|&b| b == b'\n')
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
    word_escaped(s, '\\')
}

/// Quote a path for a Dockerfile word whose escape character is `escape`: under
/// `` # escape=` `` a backslash is an ordinary character (`C:\app`), and a quote or backtick is
/// escaped with a backtick.
#[must_use]
pub fn word_escaped(s: &str, escape: char) -> String {
    let special: &[char] = if escape == '\\' {
        &[' ', '\t', '"', '\'', '\\', '$']
    } else {
        &[' ', '\t', '"', '\'', '`', '$']
    };
    if s.is_empty() || s.contains(special) {
        let e = escape.to_string();
        let inner = s
            .replace(escape, &format!("{e}{e}"))
            .replace('"', &format!("{e}\""));
        format!("\"{inner}\"")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{after_line, line_start};

    /// Found by the stable fuzzer: `instruction_lines` asks for the line of the last byte of an
    /// instruction, which is inside its last character when that is multi-byte.
    #[test]
    fn offsets_inside_a_character_are_fine() {
        let text = "RUN a\nRUN b😀\nRUN c";
        let inside = text.find('😀').unwrap_or(0) + 1;
        assert_eq!(line_start(text, inside), 6);
        assert_eq!(after_line(text, inside), 16);
        assert_eq!(after_line(text, text.len() + 5), text.len());
        assert_eq!(line_start(text, 0), 0);
    }
}
