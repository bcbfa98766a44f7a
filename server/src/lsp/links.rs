//! `textDocument/documentLink`: the links of [`crate::ide::links`] (base images and the
//! `# syntax=` frontend to their registry pages).

use tower_lsp_server::ls_types::{DocumentLink, Uri};

use super::convert;
use super::document::Document;
use crate::ide::links;
use crate::text::Encoding;

/// The links of `doc`.
pub fn document_links(doc: &Document, enc: Encoding) -> Vec<DocumentLink> {
    links::links(doc.tree(), doc.text.text())
        .into_iter()
        .filter_map(|link| {
            let target: Uri = link.target.parse().ok()?;
            Some(DocumentLink {
                range: convert::range(&doc.text, link.span, enc),
                target: Some(target),
                tooltip: Some(format!("Open {}", link.target)),
                data: None,
            })
        })
        .collect()
}
