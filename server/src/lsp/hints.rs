//! `textDocument/inlayHint`: resolved paths and variable values from [`crate::ide::hints`].

use tower_lsp_server::ls_types::{self as ls, InlayHint, InlayHintKind, InlayHintLabel};

use super::convert;
use super::document::Document;
use crate::ide::hints::{self, HintKind};
use crate::syntax::Span;
use crate::text::Encoding;

/// The hints inside `range`.
pub fn inlay_hints(doc: &Document, range: ls::Range, enc: Encoding) -> Vec<InlayHint> {
    let start = convert::offset(&doc.text, range.start, enc);
    let end = convert::offset(&doc.text, range.end, enc).max(start);
    hints::hints(
        doc.tree(),
        doc.names(),
        doc.text.text(),
        Span::new(start, end),
    )
    .into_iter()
    .map(|hint| InlayHint {
        position: convert::range(&doc.text, Span::empty(hint.at), enc).start,
        label: InlayHintLabel::String(hint.label),
        kind: Some(match hint.kind {
            HintKind::Path => InlayHintKind::TYPE,
            HintKind::Value => InlayHintKind::PARAMETER,
        }),
        text_edits: None,
        tooltip: None,
        padding_left: Some(true),
        padding_right: None,
        data: None,
    })
    .collect()
}
