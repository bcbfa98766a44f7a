//! `textDocument/completion` and `completionItem/resolve`: the items of
//! [`crate::ide::completion`] as LSP items, each with a text edit over exactly the bytes it
//! replaces (so clients do not guess where a `--flag` or a `${NAME` begins). A client that
//! resolves the documentation lazily (`resolveSupport` lists `documentation`) gets items without
//! it and asks for it item by item: the documentation of the last answer is kept ([`Kept`],
//! replaced by the next answer) and each item's `data` says which one it is. Other clients get
//! the documentation inline.

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

/// The documentation of the items of the last answer, for `completionItem/resolve`.
#[derive(Debug, Default)]
pub struct Kept {
    /// Which answer it is (counts answers).
    answer: u64,
    docs: Vec<Option<String>>,
}

/// `items` without their documentation, which goes to `kept` in place of the last answer's;
/// each item's `data` is `[answer, index]`.
pub fn defer_documentation(items: &mut [CompletionItem], kept: &mut Kept) {
    kept.answer = kept.answer.wrapping_add(1);
    kept.docs = items
        .iter_mut()
        .enumerate()
        .map(|(k, item)| {
            item.data = Some(serde_json::json!([kept.answer, k]));
            item.documentation.take().map(|d| match d {
                Documentation::MarkupContent(m) => m.value,
                Documentation::String(s) => s,
            })
        })
        .collect();
}

/// `item` with the documentation its `data` points at, when that answer is the last one.
pub fn resolve(mut item: CompletionItem, kept: &Kept) -> CompletionItem {
    let at = item
        .data
        .as_ref()
        .and_then(|d| Some((d.get(0)?.as_u64()?, d.get(1)?.as_u64()?)));
    if let Some((answer, k)) = at {
        let doc = usize::try_from(k)
            .ok()
            .filter(|_| answer == kept.answer)
            .and_then(|k| kept.docs.get(k).cloned().flatten());
        if let Some(value) = doc {
            item.documentation = Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }));
        }
    }
    item
}

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
