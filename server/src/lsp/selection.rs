//! `textDocument/selectionRange`: the spans of [`crate::ide::selection`] around each position,
//! nested from the innermost.

use tower_lsp_server::ls_types::{self as ls, SelectionRange};

use super::convert;
use super::document::Document;
use crate::ide::selection;
use crate::text::Encoding;

/// One selection range chain per position.
pub fn selection_ranges(
    doc: &Document,
    positions: &[ls::Position],
    enc: Encoding,
) -> Vec<SelectionRange> {
    positions
        .iter()
        .map(|&position| {
            let offset = convert::offset(&doc.text, position, enc);
            let spans = selection::expand(doc.tree(), doc.text.text(), offset);
            let mut chain: Option<SelectionRange> = None;
            for span in spans.iter().rev() {
                chain = Some(SelectionRange {
                    range: convert::range(&doc.text, *span, enc),
                    parent: chain.map(Box::new),
                });
            }
            chain.unwrap_or(SelectionRange {
                range: ls::Range::new(position, position),
                parent: None,
            })
        })
        .collect()
}
