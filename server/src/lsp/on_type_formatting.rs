//! `textDocument/onTypeFormatting`: after the escape character (`\`, or `` ` `` in files that
//! choose it), the instruction it was typed in is formatted; after a line break that follows
//! one, the new continuation line gets the formatter's indentation
//! ([`crate::ide::format::on_type`]).

use tower_lsp_server::ls_types::{self as ls, FormattingOptions, TextEdit};

use super::convert;
use super::document::Document;
use super::formatting::indent;
use crate::ide::format;
use crate::text::Encoding;

/// The characters that ask for it: the two escape characters and the line break.
pub const FIRST: &str = "\\";
pub const MORE: [&str; 2] = ["`", "\n"];

/// The edits after `typed` was typed at `position`.
pub fn on_type(
    doc: &Document,
    position: ls::Position,
    typed: &str,
    options: &FormattingOptions,
    enc: Encoding,
) -> Vec<TextEdit> {
    let offset = convert::offset(&doc.text, position, enc);
    let text = doc.text.text();
    format::on_type(doc.tree(), text, offset, typed, &indent(options))
        .into_iter()
        .map(|edit| TextEdit::new(convert::range(&doc.text, edit.span, enc), edit.text))
        .collect()
}
