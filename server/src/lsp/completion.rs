//! `textDocument/completion`: the items of [`crate::ide::completion`] as LSP items, each with a
//! text edit over exactly the bytes it replaces (so clients do not guess where a `--flag` or a
//! `${NAME` begins) and its documentation inline.

use tower_lsp_server::ls_types::{
    self as ls, CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation,
    InsertTextFormat, MarkupContent, MarkupKind, TextEdit,
};

use super::convert;
use super::document::Document;
use crate::ide::completion::{self, Kind};
use crate::text::Encoding;

/// The characters after which clients ask again without waiting for a word character.
pub const TRIGGERS: [&str; 5] = ["-", "=", "$", "{", ","];

/// The completion items at `position`. `snippets`: whether the client takes snippets.
pub fn completion(
    doc: &Document,
    position: ls::Position,
    enc: Encoding,
    snippets: bool,
) -> Vec<CompletionItem> {
    let text = doc.text.text();
    let offset = convert::offset(&doc.text, position, enc);
    completion::complete(doc.tree(), doc.names(), text, offset, snippets)
        .into_iter()
        .map(|item| CompletionItem {
            kind: Some(kind(item.kind)),
            detail: item.detail,
            documentation: item.documentation.map(|value| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                })
            }),
            sort_text: Some(item.sort),
            insert_text_format: Some(if item.snippet {
                InsertTextFormat::SNIPPET
            } else {
                InsertTextFormat::PLAIN_TEXT
            }),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                convert::range(&doc.text, item.replace, enc),
                item.insert,
            ))),
            label: item.label,
            ..CompletionItem::default()
        })
        .collect()
}

fn kind(kind: Kind) -> CompletionItemKind {
    match kind {
        Kind::Keyword => CompletionItemKind::KEYWORD,
        Kind::Flag => CompletionItemKind::PROPERTY,
        Kind::Value => CompletionItemKind::VALUE,
        Kind::Stage => CompletionItemKind::MODULE,
        Kind::Variable => CompletionItemKind::VARIABLE,
        Kind::Directive => CompletionItemKind::KEYWORD,
        Kind::Image => CompletionItemKind::REFERENCE,
    }
}
