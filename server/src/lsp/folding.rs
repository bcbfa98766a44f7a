//! `textDocument/foldingRange`: the folds of [`crate::ide::folding`] as line ranges.

use tower_lsp_server::ls_types::{FoldingRange, FoldingRangeKind};

use super::document::Document;
use crate::ide::folding::{self, FoldKind};

/// The folding ranges of `doc`.
pub fn folding_ranges(doc: &Document) -> Vec<FoldingRange> {
    folding::folds(doc.tree(), doc.text.text())
        .into_iter()
        .map(|fold| FoldingRange {
            start_line: fold.lines.0,
            end_line: fold.lines.1,
            kind: Some(match fold.kind {
                FoldKind::Region => FoldingRangeKind::Region,
                FoldKind::Comment => FoldingRangeKind::Comment,
            }),
            ..FoldingRange::default()
        })
        .collect()
}
