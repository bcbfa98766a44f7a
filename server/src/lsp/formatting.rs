//! `textDocument/formatting` and `rangeFormatting`: the edits of [`crate::ide::format`] (already
//! minimal: each replaces a keyword or a run of blanks), for the whole document or the lines a
//! range touches.

use tower_lsp_server::ls_types::{self as ls, FormattingOptions, TextEdit};

use super::convert;
use super::document::Document;
use crate::ide::format;
use crate::text::Encoding;

/// The indentation of continuation lines the client's options ask for.
pub fn indent(options: &FormattingOptions) -> String {
    if options.insert_spaces {
        " ".repeat(usize::try_from(options.tab_size.clamp(1, 16)).unwrap_or(4))
    } else {
        "\t".to_string()
    }
}

/// The edits formatting `doc`, or only the lines of `range` when given.
pub fn format(
    doc: &Document,
    options: &FormattingOptions,
    range: Option<ls::Range>,
    enc: Encoding,
) -> Vec<TextEdit> {
    let indent = indent(options);
    let lines = range.map(|r| (r.start.line, r.end.line));
    format::format(doc.tree(), doc.text.text(), &indent)
        .into_iter()
        .map(|edit| TextEdit::new(convert::range(&doc.text, edit.span, enc), edit.text))
        .filter(|edit| {
            lines.is_none_or(|(first, last)| {
                edit.range.start.line >= first && edit.range.start.line <= last
            })
        })
        .collect()
}
