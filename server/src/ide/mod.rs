//! Editing features below the LSP layer: completion, stage and variable names (definition,
//! references, rename), hover documentation, signature help, inlay hints, folding and
//! selection ranges, semantic tokens, document links, formatting, and suggestions for syntax
//! errors (`suggest.rs`, offered as quick fixes).
//!
//! Each feature is one file of plain functions over the kept [`SyntaxTree`] and the text, with
//! byte offsets in and byte spans out; `lsp/` turns positions into offsets and spans into ranges
//! in the negotiated encoding, and knows nothing of Dockerfiles. Nothing a request calls parses
//! the file again: it reads the tree the last analysis kept (one pass over its instructions at
//! most; `format::format_text`, which parses, is for the command line). [`reference`] holds what
//! the features know about the language (flags, mount keys, predefined arguments, directives).

pub mod completion;
pub mod folding;
pub mod format;
pub mod hints;
pub mod hover;
pub mod links;
pub mod names;
pub mod reference;
pub mod rename;
pub mod selection;
pub mod signature;
pub mod suggest;
pub mod tokens;

use crate::syntax::{Located, Span, SyntaxTree};

/// The index of the instruction whose text holds `offset` (its end included: a cursor just
/// after the last character is still in it).
#[must_use]
pub fn instruction_at(tree: &SyntaxTree, offset: usize) -> Option<usize> {
    let after = tree
        .instructions
        .partition_point(|located| located.offset <= offset);
    let i = after.checked_sub(1)?;
    (offset <= tree.instructions[i].span().end).then_some(i)
}

/// The start of the line holding `offset` (after the last line break before it).
#[must_use]
pub fn line_start(text: &str, offset: usize) -> usize {
    let offset = floor_boundary(text, offset);
    text[..offset].rfind(['\n', '\r']).map_or(0, |at| at + 1)
}

/// `offset` clamped to `text` and moved back to a char boundary.
#[must_use]
pub fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The span of a value as written in `text` at `span`, without surrounding quotes, when that
/// text is exactly `value` (possibly quoted); `None` when the source differs (a line
/// continuation or escapes inside), so that callers never point at the wrong bytes.
#[must_use]
pub fn exact_span(text: &str, span: Span, value: &str) -> Option<Span> {
    let written = span.of(text);
    if written == value && !value.is_empty() {
        return Some(span);
    }
    for quote in ['"', '\''] {
        if let Some(inner) = written
            .strip_prefix(quote)
            .and_then(|w| w.strip_suffix(quote))
        {
            if inner == value && !value.is_empty() {
                return Some(Span::new(span.start + 1, span.end - 1));
            }
        }
    }
    None
}

/// The instruction an ONBUILD registers, or the instruction itself.
#[must_use]
pub fn effective(located: &Located) -> &crate::syntax::Instruction {
    match &located.args {
        crate::syntax::instruction::Args::Onbuild(inner) => inner,
        _ => located,
    }
}
