//! JSON written straight into a buffer, for what the server sends often or in bulk: the
//! diagnostics of every keystroke and the document symbols of a large file.
//!
//! `serde_json` serializes the `ls_types` values correctly but slowly for these (a generic
//! serializer call per field, every key escaped at run time); here keys are literals and values
//! are written directly. What is rare or open-ended (`data`, tags, a numeric code) still goes
//! through `serde_json`. Unit tests hold each writer to `serde_json`'s output of the same values.

use serde::Serialize;
use tower_lsp_server::ls_types::{self as ls, NumberOrString, Uri};

/// Appends the body of a `textDocument/publishDiagnostics` notification.
pub fn publish_diagnostics(
    uri: &Uri,
    version: Option<i32>,
    diagnostics: &[ls::Diagnostic],
    out: &mut Vec<u8>,
) {
    out.reserve(256 + diagnostics.len() * 512);
    out.extend_from_slice(
        br#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#,
    );
    string(uri.as_str(), out);
    out.extend_from_slice(br#","diagnostics":["#);
    for (k, d) in diagnostics.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        diagnostic(d, out);
    }
    out.push(b']');
    if let Some(version) = version {
        out.extend_from_slice(br#","version":"#);
        serde_value(&version, out);
    }
    out.extend_from_slice(b"}}");
}

/// One diagnostic, as `serde_json` writes an `ls_types::Diagnostic`.
fn diagnostic(d: &ls::Diagnostic, out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"range":"#);
    range(d.range, out);
    if let Some(severity) = d.severity {
        out.extend_from_slice(br#","severity":"#);
        serde_value(&severity, out);
    }
    match &d.code {
        Some(NumberOrString::String(code)) => {
            out.extend_from_slice(br#","code":"#);
            string(code, out);
        }
        Some(code) => {
            out.extend_from_slice(br#","code":"#);
            serde_value(code, out);
        }
        None => {}
    }
    if let Some(description) = &d.code_description {
        out.extend_from_slice(br#","codeDescription":{"href":"#);
        string(description.href.as_str(), out);
        out.push(b'}');
    }
    if let Some(source) = &d.source {
        out.extend_from_slice(br#","source":"#);
        string(source, out);
    }
    out.extend_from_slice(br#","message":"#);
    string(&d.message, out);
    if let Some(related) = &d.related_information {
        out.extend_from_slice(br#","relatedInformation":["#);
        for (k, r) in related.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(br#"{"location":{"uri":"#);
            string(r.location.uri.as_str(), out);
            out.extend_from_slice(br#","range":"#);
            range(r.location.range, out);
            out.extend_from_slice(br#"},"message":"#);
            string(&r.message, out);
            out.push(b'}');
        }
        out.push(b']');
    }
    if let Some(tags) = &d.tags {
        out.extend_from_slice(br#","tags":"#);
        serde_value(tags, out);
    }
    if let Some(data) = &d.data {
        out.extend_from_slice(br#","data":"#);
        serde_value(data, out);
    }
    out.push(b'}');
}

/// An LSP range.
pub fn range(r: ls::Range, out: &mut Vec<u8>) {
    out.extend_from_slice(br#"{"start":{"line":"#);
    number(r.start.line, out);
    out.extend_from_slice(br#","character":"#);
    number(r.start.character, out);
    out.extend_from_slice(br#"},"end":{"line":"#);
    number(r.end.line, out);
    out.extend_from_slice(br#","character":"#);
    number(r.end.character, out);
    out.extend_from_slice(b"}}");
}

/// A `u32` in decimal.
pub fn number(mut n: u32, out: &mut Vec<u8>) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A JSON string.
pub fn string(s: &str, out: &mut Vec<u8>) {
    // what JSON escapes (and `serde_json` does): `"`, `\` and control characters
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_value(s, out);
    }
}

/// Anything else, through `serde_json` (writing to a `Vec` cannot fail; the values written
/// here always serialize).
pub fn serde_value(value: &(impl Serialize + ?Sized), out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::publish_diagnostics;
    use serde_json::{json, Value};
    use tower_lsp_server::ls_types::{
        self as ls, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity,
        DiagnosticTag, Location, NumberOrString, PublishDiagnosticsParams, Uri,
    };

    fn uri(s: &str) -> Uri {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn range(a: u32, b: u32, c: u32, d: u32) -> ls::Range {
        ls::Range::new(ls::Position::new(a, b), ls::Position::new(c, d))
    }

    /// Every field, set and unset, with what JSON escapes, against `serde_json`'s output.
    #[test]
    fn diagnostics_are_written_as_serde_json_writes_them() {
        let doc = uri("file:///tmp/a%20b/Dockerfile");
        let full = ls::Diagnostic {
            range: range(0, 0, 4_000_000_000, 17),
            severity: Some(DiagnosticSeverity::WARNING),
            code: Some(NumberOrString::String("cache-busting-copy".into())),
            code_description: Some(CodeDescription {
                href: uri("https://example.com/RULES.md#x"),
            }),
            source: Some("layerwise".into()),
            message: "quote \" backslash \\ tab \t newline \n control \u{1} é 😀".into(),
            related_information: Some(vec![
                DiagnosticRelatedInformation {
                    location: Location::new(doc.clone(), range(1, 2, 3, 4)),
                    message: "`gcc` is only needed to build".into(),
                },
                DiagnosticRelatedInformation {
                    location: Location::new(doc.clone(), range(5, 0, 5, 0)),
                    message: String::new(),
                },
            ]),
            tags: Some(vec![DiagnosticTag::UNNECESSARY]),
            data: Some(json!({"b": [1, "x"], "a": null})),
        };
        let bare = ls::Diagnostic {
            range: range(9, 9, 9, 9),
            message: "m".into(),
            ..ls::Diagnostic::default()
        };
        let numeric = ls::Diagnostic {
            code: Some(NumberOrString::Number(-7)),
            related_information: Some(Vec::new()),
            ..bare.clone()
        };
        for (version, diagnostics) in [
            (Some(3), vec![full.clone(), bare.clone(), numeric]),
            (None, vec![]),
            (Some(-1), vec![bare, full]),
        ] {
            let mut written = Vec::new();
            publish_diagnostics(&doc, version, &diagnostics, &mut written);
            let written: Value = serde_json::from_slice(&written)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&written)));
            let params = PublishDiagnosticsParams::new(doc.clone(), diagnostics, version);
            let expected = json!({
                "jsonrpc": "2.0",
                "method": "textDocument/publishDiagnostics",
                "params": serde_json::to_value(params).unwrap_or_default(),
            });
            assert_eq!(written, expected);
        }
    }
}
