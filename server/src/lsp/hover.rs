//! Hover: a rule's documentation over its findings, an instruction's documentation over its
//! keyword, a flag's, a `--mount` key's or a directive's over it, a stage's or variable's
//! declaration over a name ([`crate::ide::hover`]), and over a `FROM` whether its stage ships
//! and what the built image is for.

use tower_lsp_server::ls_types::{self as ls, Hover, HoverContents, MarkupContent, MarkupKind};

use super::convert;
use super::document::Document;
use crate::ide::{self, reference};
use crate::rules;
use crate::syntax::{Keyword, Span};
use crate::text::Encoding;

/// The hover at `position`, or `None` when there is nothing to say there.
pub fn hover(doc: &Document, position: ls::Position, enc: Encoding) -> Option<Hover> {
    let at = convert::offset(&doc.text, position, enc);
    let mut sections = Vec::new();
    let mut covered: Option<Span> = None;
    for d in doc
        .diagnostics
        .iter()
        .filter(|d| touches(d.editor_span(), at))
    {
        let Some(meta) = rules::rule(d.rule) else {
            continue;
        };
        sections.push(format!(
            "**{}** ({}): {}\n\n{}",
            meta.id,
            d.severity.as_str(),
            d.message,
            dedent(meta.doc)
        ));
        covered = Some(covered.map_or(d.editor_span(), |c| c.cover(d.editor_span())));
    }
    let instructions = &doc.tree().instructions;
    let keyword = instructions
        .iter()
        .position(|located| touches(located.keyword_span(), at));
    if let Some(k) = keyword {
        let located = &instructions[k];
        if let Some(doc) = reference::instruction(located.keyword) {
            sections.push(format!("`{}`: {}", located.keyword.name(), doc.summary));
            covered =
                Some(covered.map_or(located.keyword_span(), |c| c.cover(located.keyword_span())));
        }
    }
    // flags, mount keys, directives, names
    if let Some((span, doc)) = ide::hover::describe(doc.tree(), doc.names(), doc.text.text(), at) {
        sections.push(doc);
        covered = Some(covered.map_or(span, |c| c.cover(span)));
    }
    // over a FROM line: what the stage is for
    let from = instructions.iter().position(|located| {
        located.keyword == Keyword::From && {
            let head = located.keyword_span().cover(located.abs(located.args_span));
            touches(head, at) || head.end == at
        }
    });
    if let Some(k) = from {
        if let Some(summary) = doc.stage_summary(k) {
            let located = &instructions[k];
            let head = located.keyword_span().cover(located.abs(located.args_span));
            sections.push(summary);
            covered = Some(covered.map_or(head, |c| c.cover(head)));
        }
    }
    let covered = covered?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(convert::range(&doc.text, covered, enc)),
    })
}

/// Whether `at` is inside `span` (or at an empty span).
fn touches(span: Span, at: usize) -> bool {
    span.contains(at) || span.start == at
}

/// A doc comment's text without the one space `///` leaves at the start of each line.
fn dedent(doc: &str) -> String {
    doc.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}
