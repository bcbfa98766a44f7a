//! Conversions between the crate's types and LSP types.
//!
//! Byte spans become LSP ranges only through [`crate::text::TextDocument`], in the negotiated
//! encoding. A finding's fix travels in the LSP diagnostic's `data` ([`FixData`]) together with
//! the document version it was computed for, so a code action needs no re-analysis and a stale
//! fix (its byte spans refer to an older text) is never applied.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    self as ls, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, TextEdit, Uri,
};

use crate::rules::{self, Safety, Severity};
use crate::syntax::Span;
use crate::text::{Encoding, Position, TextDocument};

/// The `source` of every diagnostic this server publishes.
pub const SOURCE: &str = "layerwise";

/// Where the rules are documented; `#<rule-id>` is appended.
const RULES_DOC: &str = "https://github.com/layerwise/layerwise/blob/main/server/RULES.md";

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

/// An edit of a fix, in bytes of the text it was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditData {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A file a fix creates, as carried in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateData {
    pub path: std::path::PathBuf,
    pub text: String,
}

/// A fix as carried in a diagnostic's `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixJson {
    pub title: String,
    pub safety: FixSafety,
    pub edits: Vec<EditData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creates: Vec<CreateData>,
}

/// [`Safety`], as carried in `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixSafety {
    Safe,
    Unsafe,
}

/// A diagnostic's `data`: its fix and the document version its byte spans refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixData {
    pub version: i32,
    pub fix: FixJson,
}

impl FixData {
    /// Reads the `data` of a diagnostic the client sent back; `None` when it is not ours.
    pub fn from_value(data: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(data.clone()).ok()
    }

    fn new(fix: &rules::Fix, version: i32) -> Self {
        Self {
            version,
            fix: FixJson {
                title: fix.title.clone(),
                safety: match fix.safety {
                    Safety::Safe => FixSafety::Safe,
                    Safety::Unsafe => FixSafety::Unsafe,
                },
                edits: fix
                    .edits
                    .iter()
                    .map(|e| EditData {
                        start: e.span.start,
                        end: e.span.end,
                        text: e.text.clone(),
                    })
                    .collect(),
                creates: fix
                    .creates
                    .iter()
                    .map(|c| CreateData {
                        path: c.path.clone(),
                        text: c.text.clone(),
                    })
                    .collect(),
            },
        }
    }
}

/// The LSP text edits of byte edits, in the current text (which must be the text the spans were
/// computed for).
pub fn text_edits(doc: &TextDocument, edits: &[EditData], enc: Encoding) -> Vec<TextEdit> {
    edits
        .iter()
        .map(|e| TextEdit::new(range(doc, Span::new(e.start, e.end), enc), e.text.clone()))
        .collect()
}

/// The documentation link of a rule.
pub fn rule_href(rule: &str) -> Option<Uri> {
    format!("{RULES_DOC}#{rule}").parse().ok()
}

/// The LSP diagnostic of a finding in `doc` (at `version`) at `uri`.
pub fn diagnostic(
    uri: &Uri,
    doc: &TextDocument,
    version: i32,
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
        range: range(doc, d.span, enc),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description: rule_href(d.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: d
            .fix
            .as_ref()
            .and_then(|fix| serde_json::to_value(FixData::new(fix, version)).ok()),
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
