//! `textDocument/semanticTokens/full`, `/full/delta` and `/range`: the tokens of
//! [`crate::ide::tokens`] encoded as LSP's relative integers, positions in the negotiated
//! encoding. The last full answer of each document is kept with its result id, so a delta
//! request gets one edit: the tokens between the unchanged head and the unchanged tail.

use std::sync::atomic::{AtomicU64, Ordering};

use tower_lsp_server::ls_types::{
    self as ls, SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens,
    SemanticTokensDelta, SemanticTokensEdit, SemanticTokensFullDeltaResult, SemanticTokensLegend,
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
    let mut all = tokens::tokens(doc.tree(), doc.names(), doc.text.text());
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

/// The next result id (unique in the session).
fn next_result_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// The full tokens of `doc`, with a result id; kept in `kept` for the next delta.
pub fn full(
    doc: &Document,
    kept: &mut Option<(String, Vec<SemanticToken>)>,
    enc: Encoding,
) -> SemanticTokens {
    let mut tokens = semantic_tokens(doc, None, enc);
    let id = next_result_id();
    tokens.result_id = Some(id.clone());
    *kept = Some((id, tokens.data.clone()));
    tokens
}

/// The tokens of `doc` as an edit of the answer `previous` names, when it is the one kept;
/// else in full.
pub fn full_delta(
    doc: &Document,
    kept: &mut Option<(String, Vec<SemanticToken>)>,
    previous: &str,
    enc: Encoding,
) -> SemanticTokensFullDeltaResult {
    let Some((_, old)) = kept.take().filter(|(id, _)| id == previous) else {
        return SemanticTokensFullDeltaResult::Tokens(full(doc, kept, enc));
    };
    let new = semantic_tokens(doc, None, enc).data;
    let edit = edit(&old, &new);
    let id = next_result_id();
    *kept = Some((id.clone(), new));
    SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta {
        result_id: Some(id),
        edits: edit.into_iter().collect(),
    })
}

/// The one edit turning `old` into `new` (`None` when they are equal): the tokens after their
/// common head and before their common tail. Offsets count integers, five per token.
fn edit(old: &[SemanticToken], new: &[SemanticToken]) -> Option<SemanticTokensEdit> {
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    if head == old.len() && head == new.len() {
        return None;
    }
    let five = |n: usize| u32::try_from(n * 5).unwrap_or(u32::MAX);
    Some(SemanticTokensEdit {
        start: five(head),
        delete_count: five(old.len() - head - tail),
        data: Some(new[head..new.len() - tail].to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::edit;
    use tower_lsp_server::ls_types::SemanticToken;

    fn tokens(lengths: &[u32]) -> Vec<SemanticToken> {
        lengths
            .iter()
            .map(|&length| SemanticToken {
                delta_line: 1,
                delta_start: 0,
                length,
                token_type: 0,
                token_modifiers_bitset: 0,
            })
            .collect()
    }

    /// `old` with the edit applied is `new`.
    fn check(old: &[u32], new: &[u32]) {
        let (old_tokens, new_tokens) = (tokens(old), tokens(new));
        let mut applied = old_tokens.clone();
        if let Some(e) = edit(&old_tokens, &new_tokens) {
            let start = e.start as usize / 5;
            let end = start + e.delete_count as usize / 5;
            applied.splice(start..end, e.data.unwrap_or_default());
        }
        assert_eq!(applied, new_tokens);
    }

    #[test]
    fn one_edit_between_head_and_tail() {
        check(&[1, 2, 3], &[1, 2, 3]);
        check(&[1, 2, 3], &[1, 9, 3]);
        check(&[1, 2, 3], &[1, 2, 2, 3]);
        check(&[1, 1, 1], &[1, 1]);
        check(&[], &[4]);
        check(&[4], &[]);
        assert!(edit(&tokens(&[1]), &tokens(&[1])).is_none());
        let e = edit(&tokens(&[1, 2, 3]), &tokens(&[1, 9, 3]));
        assert_eq!(e.map(|e| (e.start, e.delete_count)), Some((5, 5)));
    }
}
