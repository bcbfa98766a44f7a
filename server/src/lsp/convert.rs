//! Conversions between the crate's types and LSP types.
//!
//! Byte spans become LSP ranges only through [`crate::text::TextDocument`], in the negotiated
//! encoding. A diagnostic carries no `data`: a code action finds the finding a diagnostic shows
//! among the document's current findings (`code_action.rs`), so it needs no re-analysis, and a
//! diagnostic of an older text (whose fix would refer to other bytes) matches none.

use tower_lsp_server::ls_types::{
    self as ls, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, TextEdit, Uri,
};

use crate::rules::{self, Severity};
use crate::syntax::Span;
use crate::text::{Encoding, Position, TextDocument};

/// The `source` of every diagnostic this server publishes.
pub const SOURCE: &str = "layerwise";

/// An LSP position from a text position.
pub fn to_lsp_position(p: Position) -> ls::Position {
    ls::Position::new(p.line, p.character)
}

/// A text position from an LSP position.
pub fn from_lsp_position(p: ls::Position) -> Position {
    Position::new(p.line, p.character)
}

/// The LSP range of a byte span.
pub fn range(doc: &TextDocument, span: Span, enc: Encoding) -> ls::Range {
    ls::Range::new(
        to_lsp_position(doc.position(span.start, enc)),
        to_lsp_position(doc.position(span.end, enc)),
    )
}

/// The byte offset of an LSP position (clamped by the text module).
pub fn offset(doc: &TextDocument, p: ls::Position, enc: Encoding) -> usize {
    doc.offset(from_lsp_position(p), enc)
}

/// The LSP severity of a severity.
pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// The LSP text edits of a fix's edits, in the current text (which must be the text the spans
/// were computed for).
pub fn text_edits(doc: &TextDocument, edits: &[rules::Edit], enc: Encoding) -> Vec<TextEdit> {
    edits
        .iter()
        .map(|e| TextEdit::new(range(doc, e.span, enc), e.text.clone()))
        .collect()
}

/// The documentation link of a rule, when there is a real one ([`rules::docs::rule_url`]).
pub fn rule_href(rule: &str) -> Option<Uri> {
    rules::docs::rule_url(rule)?.parse().ok()
}

/// The LSP diagnostic of a finding in `doc` at `uri`.
pub fn diagnostic(
    uri: &Uri,
    doc: &TextDocument,
    d: &rules::Diagnostic,
    enc: Encoding,
) -> ls::Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .map(|r| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(doc, r.span, enc)),
            message: r.message.clone(),
        })
        .collect();
    ls::Diagnostic {
        range: range(doc, d.editor_span(), enc),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description: rule_href(d.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The single diagnostic published for a document too large to analyse.
pub fn too_large(limit_bytes: usize) -> ls::Diagnostic {
    ls::Diagnostic {
        range: ls::Range::default(),
        severity: Some(DiagnosticSeverity::INFORMATION),
        source: Some(SOURCE.to_string()),
        message: format!(
            "layerwise does not analyse files above {} MB; this file is larger",
            limit_bytes / (1024 * 1024)
        ),
        ..ls::Diagnostic::default()
    }
}

/// The rule id of one of our diagnostics sent back by the client.
pub fn rule_of(d: &ls::Diagnostic) -> Option<&'static str> {
    if d.source.as_deref() != Some(SOURCE) {
        return None;
    }
    match &d.code {
        Some(NumberOrString::String(id)) => rules::rule(id).map(|meta| meta.id),
        _ => None,
    }
}
