//! `textDocument/definition`, `references` and `documentHighlight` for stage and variable
//! names: the occurrences [`crate::ide::names`] finds, as locations in the document.

use tower_lsp_server::ls_types::{
    self as ls, DocumentHighlight, DocumentHighlightKind, GotoDefinitionResponse, Location, Uri,
};

use super::convert;
use super::document::Document;
use crate::ide::names::{self, Role};
use crate::syntax::Span;
use crate::text::Encoding;

/// Where the name at `position` is declared.
pub fn definition(
    uri: &Uri,
    doc: &Document,
    position: ls::Position,
    enc: Encoding,
) -> Option<GotoDefinitionResponse> {
    let offset = convert::offset(&doc.text, position, enc);
    let span = names::definition(doc.tree(), doc.names().occurrences(), offset)?;
    Some(GotoDefinitionResponse::Scalar(location(
        uri, doc, span, enc,
    )))
}

/// Every occurrence of the name at `position` (its declarations only when `declarations`).
pub fn references(
    uri: &Uri,
    doc: &Document,
    position: ls::Position,
    enc: Encoding,
    declarations: bool,
) -> Vec<Location> {
    same_symbol(doc, position, enc)
        .into_iter()
        .filter(|(_, role)| declarations || *role == Role::Use)
        .map(|(span, _)| location(uri, doc, span, enc))
        .collect()
}

/// The occurrences of the name at `position`, declarations as writes and uses as reads.
pub fn highlight(doc: &Document, position: ls::Position, enc: Encoding) -> Vec<DocumentHighlight> {
    same_symbol(doc, position, enc)
        .into_iter()
        .map(|(span, role)| DocumentHighlight {
            range: convert::range(&doc.text, span, enc),
            kind: Some(match role {
                Role::Declaration => DocumentHighlightKind::WRITE,
                Role::Use => DocumentHighlightKind::READ,
            }),
        })
        .collect()
}

/// The spans and roles of the occurrences of the symbol at `position`, in text order.
fn same_symbol(doc: &Document, position: ls::Position, enc: Encoding) -> Vec<(Span, Role)> {
    let offset = convert::offset(&doc.text, position, enc);
    let occurrences = doc.names().occurrences();
    let Some(symbol) = names::at(occurrences, offset).map(|o| o.symbol) else {
        return Vec::new();
    };
    occurrences
        .iter()
        .filter(|o| o.symbol == symbol)
        .map(|o| (o.span, o.role))
        .collect()
}

fn location(uri: &Uri, doc: &Document, span: Span, enc: Encoding) -> Location {
    Location::new(uri.clone(), convert::range(&doc.text, span, enc))
}
