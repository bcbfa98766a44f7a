//! `textDocument/semanticTokens/full` and `/range`: the tokens of [`crate::ide::tokens`]
//! encoded as LSP's relative integers, positions in the negotiated encoding.

use tower_lsp_server::ls_types::{
    self as ls, SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens,
    SemanticTokensLegend,
};

use super::convert;
use super::document::Document;
use crate::ide::tokens::{self, TokenType, MODIFIERS};
use crate::text::Encoding;

/// The legend declared at `initialize`: [`TokenType::LEGEND`] and [`MODIFIERS`].
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TokenType::LEGEND
            .iter()
            .map(|&name| SemanticTokenType::new(name))
            .collect(),
        token_modifiers: MODIFIERS
            .iter()
            .map(|&name| SemanticTokenModifier::new(name))
            .collect(),
    }
}

/// The tokens of `doc`, only those inside `range` when given.
pub fn semantic_tokens(doc: &Document, range: Option<ls::Range>, enc: Encoding) -> SemanticTokens {
    let mut all = tokens::tokens(doc.tree(), doc.text.text());
    if let Some(range) = range {
        let start = convert::offset(&doc.text, range.start, enc);
        let end = convert::offset(&doc.text, range.end, enc);
        all.retain(|t| t.span.end > start && t.span.start < end);
    }
    let offsets: Vec<usize> = all
        .iter()
        .flat_map(|t| [t.span.start, t.span.end])
        .collect();
    let positions = doc.text.positions(&offsets, enc);
    let mut data = Vec::with_capacity(all.len());
    let (mut line, mut character) = (0, 0);
    for (token, pair) in all.iter().zip(positions.chunks_exact(2)) {
        let (start, end) = (pair[0], pair[1]);
        let delta_line = start.line - line;
        let delta_start = if delta_line == 0 {
            start.character - character
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character.saturating_sub(start.character),
            token_type: token.kind.index(),
            token_modifiers_bitset: token.modifiers,
        });
        (line, character) = (start.line, start.character);
    }
    SemanticTokens {
        result_id: None,
        data,
    }
}
