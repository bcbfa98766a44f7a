//! Code actions: a rule's fix, "ignore this rule here" (not for `syntax`: its findings fail the
//! build, which no comment changes), and "fix all safe problems".
//!
//! A diagnostic the client sends back gets the fix of the current finding it shows: the one with
//! the same rule, message and range. A diagnostic published for an older text matches none when
//! the edit moved or changed it (and when it matches, the current finding's fix is the right
//! one). Every edit is a minimal text edit, never a rewrite of the whole file.

use std::collections::{HashMap, HashSet};

use tower_lsp_server::ls_types::{
    self as ls, CodeAction, CodeActionContext, CodeActionKind, CodeActionOrCommand, TextEdit, Uri,
    WorkspaceEdit,
};

use super::convert;
use super::document::Document;
use crate::ide::suggest;
use crate::rules::{self, Fix, Safety};
use crate::syntax::Span;
use crate::text::Encoding;

/// The kind of the "fix all safe problems" source action.
pub const FIX_ALL_KIND: CodeActionKind = CodeActionKind::new("source.fixAll.layerwise");

/// The code actions for `context` in `doc` at `uri`.
pub fn actions(
    uri: &Uri,
    doc: &Document,
    _range: &ls::Range,
    context: &CodeActionContext,
    enc: Encoding,
) -> Vec<CodeActionOrCommand> {
    let only = context.only.as_deref().filter(|only| !only.is_empty());
    let mut fixes = Vec::new();
    let mut ignores = Vec::new();
    let mut ignore_seen = HashSet::new();
    for diagnostic in &context.diagnostics {
        let Some(rule) = convert::rule_of(diagnostic) else {
            continue;
        };
        if let Some(action) = fix_action(uri, doc, diagnostic, rule, enc) {
            fixes.push(action);
        }
        // a `syntax` finding fails the build: hiding it would not make the build pass; what
        // was meant, when it is close, is offered instead
        if rule == rules::SYNTAX {
            fixes.extend(suggestions(uri, doc, diagnostic, enc));
            continue;
        }
        let (at, action) = ignore_action(uri, doc, diagnostic, rule, enc);
        if ignore_seen.insert((rule, at)) {
            ignores.push(action);
        }
    }
    let fix_all = fix_all(uri, doc, enc);
    fixes
        .into_iter()
        .chain(ignores)
        .chain(fix_all)
        .filter(|action| action.kind.as_ref().is_some_and(|kind| allowed(kind, only)))
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

/// Whether `kind` is among the requested kinds (`only` lists kinds or their parents).
fn allowed(kind: &CodeActionKind, only: Option<&[CodeActionKind]>) -> bool {
    let Some(only) = only else {
        return true;
    };
    let kind = kind.as_str();
    only.iter().any(|wanted| {
        let wanted = wanted.as_str();
        kind == wanted
            || kind
                .strip_prefix(wanted)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// A workspace edit of `edits` to the document at `uri`.
fn workspace_edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// The current finding that `diagnostic` (as the client sent it back) shows: the same rule,
/// message and range.
fn finding_of<'d>(
    doc: &'d Document,
    diagnostic: &ls::Diagnostic,
    rule: &str,
    enc: Encoding,
) -> Option<&'d rules::Diagnostic> {
    doc.diagnostics.iter().find(|d| {
        d.rule == rule
            && d.message == diagnostic.message
            && convert::range(&doc.text, d.editor_span(), enc) == diagnostic.range
    })
}

/// The fix of the current finding `diagnostic` shows, if it has one.
/// "Did you mean" quick fixes for a syntax error ([`crate::ide::suggest`]); never preferred, and
/// never part of fix-all.
fn suggestions(
    uri: &Uri,
    doc: &Document,
    diagnostic: &ls::Diagnostic,
    enc: Encoding,
) -> Vec<CodeAction> {
    let Some(finding) = finding_of(doc, diagnostic, rules::SYNTAX, enc) else {
        return Vec::new();
    };
    let text = doc.text.text();
    suggest::for_syntax_error(doc.tree(), text, finding.span.start, &finding.message)
        .into_iter()
        .map(|s| CodeAction {
            title: s.title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(workspace_edit(
                uri,
                vec![TextEdit::new(
                    convert::range(&doc.text, s.span, enc),
                    s.text,
                )],
            )),
            ..CodeAction::default()
        })
        .collect()
}

fn fix_action(
    uri: &Uri,
    doc: &Document,
    diagnostic: &ls::Diagnostic,
    rule: &'static str,
    enc: Encoding,
) -> Option<CodeAction> {
    let fix = finding_of(doc, diagnostic, rule, enc)?.fix.as_ref()?;
    if fix.edits.is_empty() && fix.creates.is_empty() {
        return None;
    }
    // the structural rewrites are refactorings; everything else fixes its finding in place
    let kind = match rule {
        "cache-busting-copy" if !fix.edits.is_empty() => CodeActionKind::REFACTOR_REWRITE,
        "single-stage-toolchain" => CodeActionKind::REFACTOR_EXTRACT,
        _ => CodeActionKind::QUICKFIX,
    };
    let edits = convert::text_edits(&doc.text, &fix.edits, enc);
    let edit = if fix.creates.is_empty() {
        workspace_edit(uri, edits)
    } else {
        create_edit(uri, doc, edits, &fix.creates)?
    };
    Some(CodeAction {
        title: fix.title.clone(),
        kind: Some(kind),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit),
        is_preferred: (fix.safety == Safety::Safe).then_some(true),
        ..CodeAction::default()
    })
}

/// A workspace edit that creates files (never overwriting one) and edits this document.
fn create_edit(
    uri: &Uri,
    doc: &Document,
    edits: Vec<TextEdit>,
    creates: &[rules::NewFile],
) -> Option<WorkspaceEdit> {
    let mut ops = Vec::new();
    for file in creates {
        if file.path.exists() {
            return None;
        }
        let new_uri = Uri::from_file_path(&file.path)?;
        ops.push(ls::DocumentChangeOperation::Op(ls::ResourceOp::Create(
            ls::CreateFile {
                uri: new_uri.clone(),
                options: Some(ls::CreateFileOptions {
                    overwrite: Some(false),
                    ignore_if_exists: Some(true),
                }),
                annotation_id: None,
            },
        )));
        ops.push(ls::DocumentChangeOperation::Edit(ls::TextDocumentEdit {
            text_document: ls::OptionalVersionedTextDocumentIdentifier {
                uri: new_uri,
                version: None,
            },
            edits: vec![ls::OneOf::Left(TextEdit {
                range: ls::Range::default(),
                new_text: file.text.clone(),
            })],
        }));
    }
    if !edits.is_empty() {
        ops.push(ls::DocumentChangeOperation::Edit(ls::TextDocumentEdit {
            text_document: ls::OptionalVersionedTextDocumentIdentifier {
                uri: uri.clone(),
                version: Some(doc.version),
            },
            edits: edits.into_iter().map(ls::OneOf::Left).collect(),
        }));
    }
    Some(WorkspaceEdit {
        document_changes: Some(ls::DocumentChanges::Operations(ops)),
        ..WorkspaceEdit::default()
    })
}

/// "Ignore `rule` for this instruction": a `# layerwise: ignore=<rule>` line above the
/// instruction where `diagnostic` starts, with that instruction's indentation and the file's
/// line ending. Returns the insertion offset (to merge duplicates) and the action.
fn ignore_action(
    uri: &Uri,
    doc: &Document,
    diagnostic: &ls::Diagnostic,
    rule: &str,
    enc: Encoding,
) -> (usize, CodeAction) {
    let text = doc.text.text();
    let at = convert::offset(&doc.text, diagnostic.range.start, enc);
    let instruction = doc
        .tree()
        .instructions
        .iter()
        .map(|located| (located.offset, located.span()))
        .find(|&(_, span)| span.start <= at && at <= span.end)
        .map(|(start, _)| start);
    let line = doc.text.line_of(instruction.unwrap_or(at));
    let bounds = doc.text.line_range(line).unwrap_or(at..at);
    let mut line_start = bounds.start;
    if line_start == 0 && text.starts_with('\u{feff}') {
        line_start = '\u{feff}'.len_utf8();
    }
    let content = text.get(line_start..bounds.end).unwrap_or("");
    let indent_len = content.len() - content.trim_start_matches([' ', '\t']).len();
    let indent = &content[..indent_len];
    let newline = line_ending(text, bounds.end);
    let insert = format!("{indent}# layerwise: ignore={rule}{newline}");
    let edit = TextEdit::new(
        convert::range(&doc.text, Span::empty(line_start), enc),
        insert,
    );
    let action = CodeAction {
        title: format!("Ignore `{rule}` for this instruction"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit(uri, vec![edit])),
        ..CodeAction::default()
    };
    (line_start, action)
}

/// The line ending of the line whose content ends at `content_end`, else the file's first line
/// ending, else `\n`. Never a lone CR: it ends a line for LSP but not for BuildKit, so a comment
/// ending in one would swallow the instruction after it.
fn line_ending(text: &str, content_end: usize) -> &'static str {
    let ending_at = |i: usize| {
        let rest = text.as_bytes().get(i..)?;
        match rest {
            [b'\r', b'\n', ..] => Some("\r\n"),
            [b'\n' | b'\r', ..] => Some("\n"),
            _ => None,
        }
    };
    ending_at(content_end)
        .or_else(|| text.find(['\r', '\n']).and_then(ending_at))
        .unwrap_or("\n")
}

/// Every safe fix of the current analysis that can be applied with the earlier ones (edits that
/// do not clash, and together still building what the file builds: [`crate::fix::compatible`],
/// as `check --fix` chooses a round), as one source action; `None` when there is none.
fn fix_all(uri: &Uri, doc: &Document, enc: Encoding) -> Option<CodeAction> {
    let safe: Vec<&Fix> = doc
        .diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|fix| fix.safety == Safety::Safe && !fix.edits.is_empty())
        .collect();
    if safe.is_empty() {
        return None;
    }
    let chosen = doc
        .fix_all_choice
        .get_or_init(|| crate::fix::compatible(doc.text.text(), doc.tree(), doc.context(), &safe));
    let count = chosen.len();
    let edits: Vec<TextEdit> = chosen
        .iter()
        .flat_map(|&k| safe[k].edits.iter())
        .map(|edit| TextEdit::new(convert::range(&doc.text, edit.span, enc), edit.text.clone()))
        .collect();
    (count > 0).then(|| CodeAction {
        title: format!(
            "Fix all safe layerwise problems ({count} fix{})",
            if count == 1 { "" } else { "es" }
        ),
        kind: Some(FIX_ALL_KIND),
        edit: Some(workspace_edit(uri, edits)),
        ..CodeAction::default()
    })
}

#[cfg(test)]
mod tests {
    use super::{actions, allowed, line_ending, FIX_ALL_KIND};
    use crate::fix::edits_clash as overlaps;
    use crate::lsp::convert;
    use crate::lsp::document::Document;
    use crate::rules::{self, Diagnostic, Edit, Fix};
    use crate::syntax::Span;
    use crate::text::Encoding;
    use serde_json::{json, Value};
    use tower_lsp_server::ls_types::{
        CodeActionContext, CodeActionKind, CodeActionOrCommand, NumberOrString, Range, Uri,
    };

    const TEXT: &str = "FROM python:3.8.0-slim\nCOPY . /app\nRUN pip install -r requirements.txt\n";

    fn uri() -> Uri {
        "untitled:test".parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn finding(rule: &str, span: (usize, usize), fix: Option<Fix>) -> Diagnostic {
        let meta = rules::rule(rule).unwrap_or_else(|| panic!("no rule {rule}"));
        Diagnostic::new(meta, Span::new(span.0, span.1), "m").with_fix(fix)
    }

    fn edit(start: usize, end: usize, text: &str) -> Edit {
        Edit {
            span: Span::new(start, end),
            text: text.to_string(),
        }
    }

    /// A document holding `TEXT` at version 3 whose analysis found `findings`.
    fn document(findings: Vec<Diagnostic>) -> Document {
        let mut doc = Document::open(&uri(), TEXT.to_string(), 3);
        // analysed (so its tree is the text's), then holding these findings instead
        let _ = doc.analyse(
            &uri(),
            &crate::rules::Config::default(),
            Encoding::Utf16,
            &mut Vec::new(),
        );
        doc.diagnostics = findings;
        doc
    }

    /// The diagnostics published for the findings of `doc`.
    fn published(doc: &Document) -> Vec<tower_lsp_server::ls_types::Diagnostic> {
        doc.diagnostics
            .iter()
            .map(|d| convert::diagnostic(&uri(), &doc.text, d, Encoding::Utf16))
            .collect()
    }

    /// The JSON of the actions for all findings of `doc`, as the client would send them back.
    fn actions_json(doc: &Document, only: Option<&[&str]>) -> Value {
        actions_for(doc, published(doc), only)
    }

    /// The JSON of the actions for `diagnostics` sent back by the client.
    fn actions_for(
        doc: &Document,
        diagnostics: Vec<tower_lsp_server::ls_types::Diagnostic>,
        only: Option<&[&str]>,
    ) -> Value {
        let context = CodeActionContext {
            diagnostics,
            only: only.map(|kinds| {
                kinds
                    .iter()
                    .map(|&k| CodeActionKind::from(k.to_string()))
                    .collect()
            }),
            trigger_kind: None,
        };
        let found: Vec<CodeActionOrCommand> =
            actions(&uri(), doc, &Range::default(), &context, Encoding::Utf16);
        serde_json::to_value(found).unwrap_or_default()
    }

    fn titles_and_kinds(actions: &Value) -> Vec<(String, String)> {
        actions
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["title"].as_str().unwrap_or("").to_string(),
                    a["kind"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn fixes_come_from_the_finding_a_diagnostic_shows() {
        let doc = document(vec![
            finding(
                "pip-no-cache-dir",
                (39, 50),
                Some(Fix::safe(
                    "Add `--no-cache-dir`",
                    vec![edit(50, 50, " --no-cache-dir")],
                )),
            ),
            finding(
                "cache-busting-copy",
                (23, 34),
                Some(Fix::unsafe_edit(
                    "Copy the manifest first",
                    vec![edit(23, 23, "COPY requirements.txt /app/\n")],
                )),
            ),
        ]);
        let found = actions_json(&doc, None);
        let expected: Vec<(String, String)> = [
            ("Add `--no-cache-dir`", "quickfix"),
            ("Copy the manifest first", "refactor.rewrite"),
            ("Ignore `pip-no-cache-dir` for this instruction", "quickfix"),
            (
                "Ignore `cache-busting-copy` for this instruction",
                "quickfix",
            ),
            (
                "Fix all safe layerwise problems (1 fix)",
                "source.fixAll.layerwise",
            ),
        ]
        .iter()
        .map(|&(t, k)| (t.to_string(), k.to_string()))
        .collect();
        assert_eq!(titles_and_kinds(&found), expected);
        assert_eq!(found[0]["isPreferred"], true);
        assert_eq!(found[1].get("isPreferred"), None);
        assert_eq!(
            found[0]["edit"]["changes"]["untitled:test"],
            json!([{"range": {"start": {"line": 2, "character": 15}, "end": {"line": 2, "character": 15}},
                    "newText": " --no-cache-dir"}])
        );

        // `only` keeps the requested kinds
        let only_fix_all = actions_json(&doc, Some(&["source.fixAll"]));
        assert_eq!(titles_and_kinds(&only_fix_all), expected[4..].to_vec());

        // diagnostics of an older text: moved (a line was inserted above since), or saying
        // something else; no finding is theirs, so only the ignore actions are offered
        let mut stale = published(&doc);
        stale[0].range.start.line += 1;
        stale[0].range.end.line += 1;
        stale[1].message.push_str(" (before)");
        assert_eq!(
            titles_and_kinds(&actions_for(&doc, stale, None))
                .into_iter()
                .map(|(t, _)| t)
                .collect::<Vec<_>>(),
            [
                "Ignore `pip-no-cache-dir` for this instruction",
                "Ignore `cache-busting-copy` for this instruction",
                "Fix all safe layerwise problems (1 fix)",
            ]
        );
        // and a diagnostic of another rule at the same place gets no fix either
        let mut other = published(&doc);
        other.truncate(1);
        other[0].code = Some(NumberOrString::String("add-instead-of-copy".into()));
        let found = actions_for(&doc, other, Some(&["quickfix"]));
        assert_eq!(
            titles_and_kinds(&found),
            [(
                "Ignore `add-instead-of-copy` for this instruction".to_string(),
                "quickfix".to_string()
            )]
        );
    }

    #[test]
    fn fix_all_takes_safe_fixes_that_do_not_overlap() {
        let doc = document(vec![
            finding(
                "syntax",
                (0, 4),
                Some(Fix::safe("a", vec![edit(0, 4, "from")])),
            ),
            // overlaps the first: skipped
            finding(
                "syntax",
                (2, 6),
                Some(Fix::safe("b", vec![edit(2, 6, "x")])),
            ),
            // unsafe: skipped
            finding(
                "syntax",
                (23, 27),
                Some(Fix::unsafe_edit("c", vec![edit(23, 27, "ADD")])),
            ),
            // two edits, neither overlapping
            finding(
                "pip-no-cache-dir",
                (39, 50),
                Some(Fix::safe(
                    "d",
                    vec![edit(50, 50, " --no-cache-dir"), edit(35, 35, "# pip\n")],
                )),
            ),
            // inserts where `d` inserts: skipped
            finding(
                "syntax",
                (50, 50),
                Some(Fix::safe("e", vec![edit(50, 50, "!")])),
            ),
        ]);
        let found = actions_json(&doc, Some(&["source.fixAll.layerwise"]));
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
        assert_eq!(
            found[0]["title"],
            "Fix all safe layerwise problems (2 fixes)"
        );
        let edits: Vec<(Value, String)> = found[0]["edit"]["changes"]["untitled:test"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["range"]["start"].clone(),
                    e["newText"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            edits,
            [
                (json!({"line": 0, "character": 0}), "from".to_string()),
                (
                    json!({"line": 2, "character": 15}),
                    " --no-cache-dir".to_string()
                ),
                (json!({"line": 2, "character": 0}), "# pip\n".to_string()),
            ]
        );
    }

    #[test]
    fn no_ignore_action_for_what_fails_the_build() {
        let doc = document(vec![
            finding("syntax", (0, 4), None),
            finding("unpinned-base-image", (5, 22), None),
        ]);
        assert_eq!(
            titles_and_kinds(&actions_json(&doc, None)),
            [(
                "Ignore `unpinned-base-image` for this instruction".to_string(),
                "quickfix".to_string()
            )]
        );
    }

    #[test]
    fn no_fix_all_without_safe_fixes() {
        let doc = document(vec![finding("syntax", (0, 4), None)]);
        let found = actions_json(&doc, Some(&["source"]));
        assert_eq!(found, json!([]));
    }

    #[test]
    fn kind_filter() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("quickfix", &["quickfix"], true),
            ("quickfix", &["refactor"], false),
            ("refactor.rewrite", &["refactor"], true),
            ("source.fixAll.layerwise", &["source.fixAll"], true),
            ("source.fixAll.layerwise", &["source"], true),
            ("source.fixAll.layerwise", &["source.fix"], false),
            ("source.fixAll.layerwise", &["quickfix"], false),
        ];
        for &(kind, only, expected) in cases {
            let only: Vec<CodeActionKind> = only.iter().map(|&k| CodeActionKind::from(k)).collect();
            assert_eq!(
                allowed(&CodeActionKind::from(kind), Some(&only)),
                expected,
                "{kind} in {only:?}"
            );
        }
        assert!(allowed(&FIX_ALL_KIND, None));
    }

    #[test]
    fn line_endings() {
        let cases = [
            ("a\r\nb", 1, "\r\n"),
            ("a\nb", 1, "\n"),
            ("a\rb", 1, "\n"),
            ("x\r\nab", 6, "\r\n"),
            ("ab", 2, "\n"),
        ];
        for (text, at, expected) in cases {
            assert_eq!(line_ending(text, at), expected, "{text:?} at {at}");
        }
    }

    #[test]
    fn overlapping_edits() {
        let s = Span::new;
        assert!(overlaps(s(0, 4), s(2, 6)));
        assert!(overlaps(s(3, 3), s(3, 3)));
        assert!(overlaps(s(0, 4), s(2, 2)));
        assert!(!overlaps(s(0, 4), s(4, 6)));
        // an insertion at an end of a replaced span may belong to the replaced text
        assert!(overlaps(s(0, 4), s(4, 4)));
        assert!(overlaps(s(4, 4), s(0, 4)));
        assert!(overlaps(s(2, 2), s(2, 6)));
        assert!(!overlaps(s(0, 4), s(5, 5)));
    }
}
