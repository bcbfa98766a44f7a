//! End-to-end tests of the editing features of `layerwise lsp` (completion, navigation, rename,
//! folding, selection ranges, document links, semantic tokens) through the real binary.
//!
//! Fixtures mark the cursor with `┃`; expected ranges are `(line, character)` pairs in the
//! encoding the session negotiated. Each feature has one helper, so a case is a few lines.

mod common;

use std::path::Path;
use std::time::Duration;

use common::lsp::LspClient;
use serde_json::{json, Value};

const CURSOR: char = '┃';

/// An initialised server with one document open at a time.
struct Session {
    client: LspClient,
    version: i64,
}

impl Session {
    /// A session whose client offers `encodings` and, when `snippets`, snippet completion.
    fn start(encodings: &[&str], snippets: bool) -> Self {
        let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
        client.set_timeout(Duration::from_secs(10));
        client.initialize(json!({
            "general": {"positionEncodings": encodings},
            "textDocument": {
                "completion": {"completionItem": {"snippetSupport": snippets}},
                "rename": {"prepareSupport": true},
            },
        }));
        Self { client, version: 0 }
    }

    fn utf16() -> Self {
        Self::start(&["utf-16"], true)
    }

    /// Opens `text` (after removing the cursor mark) as `uri`; returns the cursor position.
    #[track_caller]
    fn open(&mut self, uri: &str, fixture: &str) -> Value {
        let (text, cursor) = cursor(fixture, true);
        self.version += 1;
        self.client.did_open(uri, &text, self.version);
        self.client.wait_diagnostics(uri, Some(self.version));
        json!({"line": cursor.0, "character": cursor.1})
    }

    #[track_caller]
    fn request(&mut self, method: &str, uri: &str, position: &Value, extra: Value) -> Value {
        let mut params = json!({"textDocument": {"uri": uri}, "position": position});
        if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
            params.extend(extra.clone());
        }
        self.client.request_ok(method, params)
    }

    #[track_caller]
    fn finish(self) {
        assert!(self.client.shutdown_and_exit().success());
    }
}

/// `fixture` without its cursor mark, and the cursor's `(line, character)` (UTF-16 when
/// `utf16`, else UTF-8). No mark: the end of the text.
fn cursor(fixture: &str, utf16: bool) -> (String, (u32, u32)) {
    let at = fixture.find(CURSOR).unwrap_or(fixture.len());
    let text = fixture.replacen(CURSOR, "", 1);
    (text.clone(), position(&text, at, utf16))
}

/// The LSP position of byte `offset` (lines end at LF, CRLF or CR).
fn position(text: &str, offset: usize, utf16: bool) -> (u32, u32) {
    let before = &text[..offset];
    let line_start = before.rfind(['\n', '\r']).map_or(0, |at| at + 1);
    let line = before
        .char_indices()
        .filter(|&(i, c)| c == '\n' || (c == '\r' && text.as_bytes().get(i + 1) != Some(&b'\n')))
        .count();
    let column = &before[line_start..];
    let character = if utf16 {
        column.encode_utf16().count()
    } else {
        column.len()
    };
    (line as u32, character as u32)
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": {"line": start.0, "character": start.1},
        "end": {"line": end.0, "character": end.1},
    })
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["label"].as_str().unwrap_or("").to_string())
        .collect()
}

// ----- completion ----------------------------------------------------------------------------

/// The completion labels at the cursor of `fixture`, and the items.
#[track_caller]
fn complete(s: &mut Session, fixture: &str) -> (Vec<String>, Value) {
    let at = s.open("untitled:complete", fixture);
    let items = s.request(
        "textDocument/completion",
        "untitled:complete",
        &at,
        json!({}),
    );
    s.client.did_close("untitled:complete");
    (labels(&items), items)
}

#[test]
fn completion_is_announced_with_its_trigger_characters() {
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    let result = client.initialize(json!({}));
    assert_eq!(
        result["capabilities"]["completionProvider"]["triggerCharacters"],
        json!(["-", "=", "$", "{", ","])
    );
    assert!(client.shutdown_and_exit().success());
}

#[test]
fn completion_offers_stage_names_after_from_with_exact_edits() {
    let mut s = Session::utf16();
    // a non-ASCII value before the flag: UTF-16 columns
    let (found, items) = complete(
        &mut s,
        "FROM a AS build\nFROM b AS test\nCOPY --chown=\u{fc}\u{1F600} --from=b┃ /a /b\nFROM c AS later\n",
    );
    // not `test`, which holds the COPY (a circular dependency), nor `later`
    assert_eq!(found, ["build"]);
    assert_eq!(items[0]["textEdit"]["range"], range((2, 24), (2, 25)));
    assert_eq!(items[0]["textEdit"]["newText"], "build");
    assert_eq!(items[0]["kind"], 9);
    assert_eq!(items[0]["detail"], "stage on line 1 (FROM a)");
    // CRLF and the backtick escape, the flag on a continuation line
    let (found, items) = complete(
        &mut s,
        "# escape=`\r\nFROM a AS one\r\nFROM b\r\nCOPY --link `\r\n  --from=┃ /a /b\r\n",
    );
    assert_eq!(found, ["one"]);
    assert_eq!(items[0]["textEdit"]["range"], range((4, 9), (4, 9)));
    s.finish();
}

#[test]
fn completion_offers_keywords_flags_and_values() {
    let mut s = Session::utf16();
    let (found, items) = complete(&mut s, "FROM a\nco┃");
    assert_eq!(found.len(), 18);
    let copy = &items[8];
    assert_eq!(copy["label"], "COPY");
    assert_eq!(copy["textEdit"]["newText"], "COPY ${1:src} ${2:dest}$0");
    assert_eq!(copy["textEdit"]["range"], range((1, 0), (1, 2)));
    assert_eq!(copy["insertTextFormat"], 2);
    let (found, _) = complete(&mut s, "FROM a\nONBUILD ┃");
    assert_eq!(found.len(), 15);
    assert!(!found
        .iter()
        .any(|k| ["FROM", "ONBUILD", "MAINTAINER"].contains(&k.as_str())));
    let (found, _) = complete(&mut s, "FROM a\nADD --link --┃ x y");
    assert_eq!(
        found,
        [
            "--chown",
            "--chmod",
            "--parents",
            "--exclude",
            "--checksum",
            "--keep-git-dir",
            "--unpack"
        ]
    );
    let (found, _) = complete(
        &mut s,
        "FROM a\nRUN --mount=type=cache,target=┃ apt-get update",
    );
    assert_eq!(found, ["/var/cache/apt", "/var/lib/apt/lists"]);
    let (found, _) = complete(&mut s, "FROM a\nRUN --mount=type=secret,┃");
    assert_eq!(
        found,
        ["id", "target", "env", "required", "mode", "uid", "gid"]
    );
    let (found, _) = complete(&mut s, "FROM --platform=┃");
    assert_eq!(found[0], "$BUILDPLATFORM");
    s.finish();
}

#[test]
fn completion_offers_variables_in_scope_and_directives() {
    let mut s = Session::utf16();
    let fixture = "ARG GLOBAL=1\nFROM a AS base\nENV INHERITED=2\nARG LOCAL\nFROM base\nARG GLOBAL\nENV MINE=3\nRUN echo ${┃";
    let (found, items) = complete(&mut s, fixture);
    assert_eq!(&found[..3], ["GLOBAL", "INHERITED", "MINE"]);
    assert_eq!(items[0]["detail"], "GLOBAL=1");
    assert_eq!(items[0]["textEdit"]["newText"], "GLOBAL}");
    assert!(!found.contains(&"LOCAL".to_string()), "{found:?}");
    assert!(found.contains(&"TARGETARCH".to_string()));
    let (found, _) = complete(&mut s, "# syntax=docker/dockerfile:1\n# ┃\nFROM a\n");
    assert_eq!(found, ["syntax", "escape", "check"]);
    let (found, _) = complete(&mut s, "FROM a\n# ┃\n");
    assert!(found.is_empty());
    s.finish();
}

#[test]
fn completion_without_snippet_support_inserts_plain_text() {
    let mut s = Session::start(&["utf-8"], false);
    let (found, items) = complete(&mut s, "FROM a\nRUN --net┃");
    assert_eq!(found, ["--mount", "--network", "--security", "--device"]);
    assert_eq!(items[1]["textEdit"]["newText"], "--network=");
    assert_eq!(items[1]["textEdit"]["range"], range((1, 4), (1, 9)));
    assert_eq!(items[1]["insertTextFormat"], 1);
    s.finish();
}

#[test]
fn completion_never_fails_on_odd_positions_and_text() {
    let mut s = Session::utf16();
    for text in [
        "",
        "\u{FEFF}",
        "RUN <<EOF\n${\nEOF",
        "COPY --from=",
        "FROM a\r\nRUN $",
        "ONBUILD",
    ] {
        let at = s.open("untitled:odd", text);
        for position in [
            at,
            json!({"line": 0, "character": u32::MAX}),
            json!({"line": u32::MAX, "character": 3}),
        ] {
            let items = s.request(
                "textDocument/completion",
                "untitled:odd",
                &position,
                json!({}),
            );
            assert!(items.is_array(), "{text:?}: {items}");
        }
        s.client.did_close("untitled:odd");
    }
    s.finish();
}

// ----- navigation and rename -----------------------------------------------------------------

/// The UTF-16 position of the `n`-th (0-based) occurrence of `needle` in `text`, plus `shift`
/// characters.
#[track_caller]
fn at_nth(text: &str, needle: &str, n: usize, shift: u32) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("no {needle:?} #{n} in {text:?}"))
        .0;
    let (line, character) = position(text, offset, true);
    json!({"line": line, "character": character + shift})
}

/// The byte offset of an LSP UTF-16 position.
fn offset_of(text: &str, p: &Value) -> usize {
    let line = p["line"].as_u64().unwrap_or(0) as usize;
    let character = p["character"].as_u64().unwrap_or(0) as usize;
    let mut start = 0;
    for _ in 0..line {
        let rest = &text[start..];
        let Some(at) = rest.find(['\n', '\r']) else {
            return text.len();
        };
        let crlf = rest[at..].starts_with("\r\n");
        start += at + if crlf { 2 } else { 1 };
    }
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' || c == '\r' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// `text` with LSP text edits applied.
fn apply(text: &str, edits: &Value) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                offset_of(text, &e["range"]["start"]),
                offset_of(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    out
}

/// The text under each range of `locations` (or highlights).
fn texts_at(text: &str, locations: &Value) -> Vec<String> {
    locations
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let range = if l["range"].is_object() {
                &l["range"]
            } else {
                l
            };
            text[offset_of(text, &range["start"])..offset_of(text, &range["end"])].to_string()
        })
        .collect()
}

/// A multi-stage file with a stage used with flags in every order, CRLF line ends and
/// non-ASCII text before the names.
const STAGES: &str = "# escape=`\r\nFROM alpine AS bu\u{ef}ld-env\r\n\
    FROM alpine AS builder\r\n\
    LABEL note=\"caf\u{e9} \u{1F600}\"\r\n\
    COPY --from=builder --chown=1:1 /a /b\r\n\
    COPY --chown=\u{e9}:1 --from=builder /a /b\r\n\
    COPY --link --from=builder --chmod=755 /a /b\r\n\
    COPY --link `\r\n  --from=builder /a /b\r\n\
    RUN --mount=type=cache,target=/c --mount=from=builder,target=/src,type=bind make\r\n\
    FROM builder AS final\r\n\
    COPY <<EOF /builder\r\nbuilder\r\nEOF\r\n";

#[test]
fn definition_of_a_stage_from_every_use() {
    let mut s = Session::utf16();
    let uri = "untitled:stages";
    s.open(uri, STAGES);
    let declaration = at_nth(STAGES, "builder", 0, 0);
    // every use: after --from= with a flag before or after it, on a continuation line, in a
    // --mount, in FROM; the cursor at the start, inside and at the end of the name
    for n in 1..=6 {
        for shift in [0, 3, 7] {
            let found = s.request(
                "textDocument/definition",
                uri,
                &at_nth(STAGES, "builder", n, shift),
                json!({}),
            );
            assert_eq!(found["uri"], uri);
            assert_eq!(found["range"]["start"], declaration, "use {n} +{shift}");
            assert_eq!(texts_at(STAGES, &json!([found])), ["builder"]);
        }
    }
    // the heredoc body and its destination are no uses
    for n in [7, 8] {
        let found = s.request(
            "textDocument/definition",
            uri,
            &at_nth(STAGES, "builder", n, 1),
            json!({}),
        );
        assert!(found.is_null(), "{n}: {found}");
    }
    let references = s.request(
        "textDocument/references",
        uri,
        &at_nth(STAGES, "builder", 3, 0),
        json!({"context": {"includeDeclaration": true}}),
    );
    assert_eq!(texts_at(STAGES, &references), vec!["builder"; 7]);
    let uses = s.request(
        "textDocument/references",
        uri,
        &declaration,
        json!({"context": {"includeDeclaration": false}}),
    );
    assert_eq!(uses.as_array().map(Vec::len), Some(6));
    s.finish();
}

#[test]
fn variables_resolve_through_global_args_and_stage_scopes() {
    let text = "ARG VERSION=1.0\nFROM alpine:${VERSION} AS base\nARG VERSION\nENV APP=/opt/$VERSION\n\
                RUN echo \"$VERSION\" '$VERSION' $APP\nCMD echo $VERSION $APP\nFROM base\nRUN echo $APP $VERSION\n";
    let mut s = Session::utf16();
    let uri = "untitled:vars";
    s.open(uri, text);
    // FROM's use and the stage's use both go to the global ARG; the stage's use to its `ARG VERSION`
    let global = at_nth(text, "VERSION", 0, 0);
    let found = s.request(
        "textDocument/definition",
        uri,
        &at_nth(text, "VERSION", 1, 2),
        json!({}),
    );
    assert_eq!(found["range"]["start"], global);
    let local = at_nth(text, "VERSION", 2, 0);
    let found = s.request(
        "textDocument/definition",
        uri,
        &at_nth(text, "VERSION", 3, 0),
        json!({}),
    );
    assert_eq!(found["range"]["start"], local);
    // the redeclaration itself leads to the global one
    let found = s.request("textDocument/definition", uri, &local, json!({}));
    assert_eq!(found["range"]["start"], global);
    let highlights = s.request("textDocument/documentHighlight", uri, &global, json!({}));
    let kinds: Vec<(u32, i64)> = highlights
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["range"]["start"]["line"].as_u64().unwrap_or(99) as u32,
                h["kind"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    // declaration (write), FROM, redeclaration (write), ENV value, RUN's "$VERSION"; not the
    // single-quoted one, not CMD (the container has no ARGs), not the stage built on `base`
    assert_eq!(kinds, [(0, 3), (1, 2), (2, 3), (3, 2), (4, 2)]);
    let app = s.request(
        "textDocument/references",
        uri,
        &at_nth(text, "APP", 0, 1),
        json!({"context": {"includeDeclaration": true}}),
    );
    let lines: Vec<u64> = app
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    // ENV is seen by CMD and inherited by the stage built on `base`
    assert_eq!(lines, [3, 4, 5, 7]);
    // an undeclared name and blank space have no definition
    for position in [
        at_nth(text, "echo", 0, 1),
        json!({"line": 99, "character": 0}),
    ] {
        let found = s.request("textDocument/definition", uri, &position, json!({}));
        assert!(found.is_null());
    }
    s.finish();
}

#[test]
fn rename_a_stage_everywhere_and_nothing_else() {
    let mut s = Session::utf16();
    let uri = "untitled:rename";
    s.open(uri, STAGES);
    let prepared = s.request(
        "textDocument/prepareRename",
        uri,
        &at_nth(STAGES, "builder", 2, 4),
        json!({}),
    );
    assert_eq!(prepared["placeholder"], "builder");
    assert_eq!(texts_at(STAGES, &json!([prepared])), ["builder"]);
    let edit = s.request(
        "textDocument/rename",
        uri,
        &at_nth(STAGES, "builder", 4, 0),
        json!({"newName": "compile"}),
    );
    let renamed = apply(STAGES, &edit["changes"][uri]);
    assert_eq!(renamed, STAGES.replacen("builder", "compile", 7));
    assert!(renamed.ends_with("COPY <<EOF /builder\r\nbuilder\r\nEOF\r\n"));
    s.finish();
}

#[test]
fn rename_refuses_bad_and_clashing_names() {
    let mut s = Session::utf16();
    let uri = "untitled:refuse";
    let text = "ARG TAG=1\nFROM alpine:$TAG AS build\nFROM debian AS test\nENV MODE=prod\nRUN echo $MODE $OTHER\nCOPY --from=build /a /b\n";
    s.open(uri, text);
    let stage = at_nth(text, "build", 0, 1);
    for (new, reason) in [
        ("Build", "not a valid stage name"),
        ("test", "already called `test`"),
        ("context", "reserved"),
        ("debian", "line 3 refers to an image `debian`"),
    ] {
        let error = s
            .client
            .request(
                "textDocument/rename",
                json!({"textDocument": {"uri": uri}, "position": stage, "newName": new}),
            )
            .expect_err(new);
        assert_eq!(error["code"], -32803);
        assert!(
            error["message"].as_str().unwrap_or("").contains(reason),
            "{new}: {error}"
        );
    }
    let variable = at_nth(text, "MODE", 1, 0);
    for (new, reason) in [
        ("OTHER", "already used"),
        ("TAG", "already declared"),
        ("9x", "not a valid variable name"),
        ("PATH", "already has a meaning"),
    ] {
        let error = s
            .client
            .request(
                "textDocument/rename",
                json!({"textDocument": {"uri": uri}, "position": variable, "newName": new}),
            )
            .expect_err(new);
        assert!(
            error["message"].as_str().unwrap_or("").contains(reason),
            "{new}: {error}"
        );
    }
    let edit = s.request(
        "textDocument/rename",
        uri,
        &variable,
        json!({"newName": "APP_MODE"}),
    );
    assert_eq!(
        apply(text, &edit["changes"][uri]),
        text.replace("MODE", "APP_MODE")
    );
    // nothing to rename on a keyword or an undeclared variable
    for position in [at_nth(text, "RUN", 0, 1), at_nth(text, "OTHER", 0, 1)] {
        let prepared = s.request("textDocument/prepareRename", uri, &position, json!({}));
        assert!(prepared.is_null(), "{prepared}");
    }
    s.finish();
}

#[test]
fn navigation_is_announced_and_survives_odd_positions() {
    let mut s = Session::utf16();
    let uri = "untitled:nav-odd";
    for text in [
        "",
        "FROM",
        "FROM a AS",
        "COPY --from= /a /b",
        "RUN ${",
        "ARG =1\nFROM $",
        "FROM a AS x\nFROM x AS x\n",
    ] {
        s.open(uri, text);
        for method in [
            "textDocument/definition",
            "textDocument/references",
            "textDocument/documentHighlight",
            "textDocument/prepareRename",
        ] {
            for position in [
                json!({"line": 0, "character": 0}),
                json!({"line": 0, "character": u32::MAX}),
                json!({"line": u32::MAX, "character": u32::MAX}),
            ] {
                let _ = s.request(
                    method,
                    uri,
                    &position,
                    json!({"context": {"includeDeclaration": true}}),
                );
            }
        }
        s.client.did_close(uri);
    }
    s.finish();
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    let caps = client.initialize(json!({}))["capabilities"].clone();
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["referencesProvider"], true);
    assert_eq!(caps["documentHighlightProvider"], true);
    assert_eq!(caps["renameProvider"], json!({"prepareProvider": true}));
    assert_eq!(caps["foldingRangeProvider"], true);
    assert_eq!(caps["selectionRangeProvider"], true);
    assert_eq!(caps["documentLinkProvider"]["resolveProvider"], false);
    assert_eq!(
        caps["signatureHelpProvider"]["triggerCharacters"],
        json!([" ", "="])
    );
    assert_eq!(caps["inlayHintProvider"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["documentRangeFormattingProvider"], true);
    assert!(client.shutdown_and_exit().success());
}

// ----- folding and selection ranges ----------------------------------------------------------

#[test]
fn folding_ranges_cover_stages_continuations_heredocs_and_comments() {
    let text = "# escape=`\r\n# build the app\r\n# in two stages\r\nFROM golang AS build\r\n\
                RUN go build `\r\n    -o /app .\r\nCOPY <<A <<B /etc/\r\none\r\nA\r\ntwo\r\nB\r\n\r\n\
                FROM scratch\r\nCOPY --from=build /app /app\r\n";
    let mut s = Session::utf16();
    let uri = "untitled:folds";
    s.open(uri, text);
    let folds = s.client.request_ok(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": uri}}),
    );
    let found: Vec<(u64, u64, String)> = folds
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap_or(99),
                f["endLine"].as_u64().unwrap_or(99),
                f["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let own = |list: &[(u64, u64, &str)]| -> Vec<(u64, u64, String)> {
        list.iter()
            .map(|&(a, b, k)| (a, b, k.to_string()))
            .collect()
    };
    assert_eq!(
        found,
        own(&[
            (1, 2, "comment"),
            (3, 10, "region"),
            (4, 5, "region"),
            (6, 10, "region"),
            (8, 10, "region"),
            (12, 13, "region"),
        ])
    );
    s.finish();
}

#[test]
fn selection_ranges_grow_from_the_word_to_the_stage() {
    let text =
        "FROM alpine AS b\u{fc}ild\nCOPY --chown=\u{e9} --from=b\u{fc}ild /src /dst\nRUN true\n";
    let mut s = Session::utf16();
    let uri = "untitled:select";
    s.open(uri, text);
    let inside = at_nth(text, "b\u{fc}ild", 1, 2);
    let answer = s.client.request_ok(
        "textDocument/selectionRange",
        json!({"textDocument": {"uri": uri}, "positions": [inside, {"line": 99, "character": 99}]}),
    );
    let mut chain = Vec::new();
    let mut next = &answer[0];
    while next.is_object() {
        chain.push(texts_at(text, &json!([next["range"]]))[0].clone());
        next = &next["parent"];
    }
    assert_eq!(
        chain,
        [
            "b\u{fc}ild",
            "--from=b\u{fc}ild",
            "COPY --chown=\u{e9} --from=b\u{fc}ild /src /dst",
            "FROM alpine AS b\u{fc}ild\nCOPY --chown=\u{e9} --from=b\u{fc}ild /src /dst\nRUN true",
        ]
    );
    // a position past the end still gets an answer
    assert!(answer[1]["range"].is_object());
    s.finish();
}

// ----- document links and semantic tokens ----------------------------------------------------

#[test]
fn document_links_lead_to_registry_pages() {
    let text = "# syntax=docker/dockerfile:1\r\nARG V=3\r\nFROM python:3.12-slim AS b\u{e9}se\r\nFROM b\u{e9}se\r\n\
                FROM ghcr.io/owner/tool:1 AS t\r\nFROM node:$V\r\nFROM scratch\r\n";
    let mut s = Session::utf16();
    let uri = "untitled:links";
    s.open(uri, text);
    let links = s.client.request_ok(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": uri}}),
    );
    let found: Vec<(String, String)> = texts_at(text, &links)
        .into_iter()
        .zip(links.as_array().into_iter().flatten())
        .map(|(under, link)| (under, link["target"].as_str().unwrap_or("").to_string()))
        .collect();
    let own = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|&(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        found,
        own(&[
            (
                "docker/dockerfile:1",
                "https://hub.docker.com/r/docker/dockerfile"
            ),
            ("python:3.12-slim", "https://hub.docker.com/_/python"),
            ("ghcr.io/owner/tool:1", "https://ghcr.io/owner/tool"),
        ])
    );
    s.finish();
}

/// `(line, character, length, type, modifiers)` of each token of a `semanticTokens` answer.
fn decode(tokens: &Value, legend: &[String]) -> Vec<(u64, u64, u64, String, u64)> {
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n.as_u64().unwrap_or(0))
        .collect();
    let (mut line, mut character) = (0, 0);
    data.chunks(5)
        .map(|t| {
            line += t[0];
            character = if t[0] == 0 { character + t[1] } else { t[1] };
            let kind = legend
                .get(t[3] as usize)
                .cloned()
                .unwrap_or_else(|| format!("outside the legend: {}", t[3]));
            (line, character, t[2], kind, t[4])
        })
        .collect()
}

#[test]
fn semantic_tokens_in_the_legend_with_utf16_columns() {
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    let caps = client.initialize(json!({"general": {"positionEncodings": ["utf-16"]}}))
        ["capabilities"]
        .clone();
    let provider = &caps["semanticTokensProvider"];
    assert_eq!(provider["full"], json!({"delta": true}));
    assert_eq!(provider["range"], true);
    let legend: Vec<String> = provider["legend"]["tokenTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(provider["legend"]["tokenModifiers"], json!(["declaration"]));
    let text = "FROM alpine AS b\r\nLABEL t=\"\u{1F600}\" k=$X\r\nARG X\r\nENV \u{e9}=1 Y=$X\r\nCOPY <<'EOF' /f\r\n$X\r\nEOF\r\nCOPY --from=b /a /b\r\n";
    let uri = "untitled:tokens";
    client.did_open(uri, text, 1);
    client.wait_diagnostics(uri, Some(1));
    let tokens = client.request_ok(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let found = decode(&tokens, &legend);
    let expected: Vec<(u64, u64, u64, String, u64)> = [
        (0, 0, 4, "keyword", 0),
        (0, 5, 6, "string", 0),
        (0, 12, 2, "keyword", 0),
        (0, 15, 1, "namespace", 1),
        (1, 0, 5, "keyword", 0),
        (1, 6, 1, "property", 0),
        (1, 7, 1, "operator", 0),
        (1, 8, 4, "string", 0),
        (1, 13, 1, "property", 0),
        (1, 14, 1, "operator", 0),
        (1, 15, 2, "string", 0),
        (2, 0, 3, "keyword", 0),
        (2, 4, 1, "variable", 1),
        (3, 0, 3, "keyword", 0),
        // a non-ASCII name: one UTF-16 unit
        (3, 4, 1, "variable", 1),
        (3, 5, 1, "operator", 0),
        (3, 6, 1, "string", 0),
        (3, 8, 1, "variable", 1),
        (3, 9, 1, "operator", 0),
        (3, 10, 1, "string", 0),
        (3, 11, 1, "variable", 0),
        (4, 0, 4, "keyword", 0),
        (4, 5, 7, "operator", 0),
        (6, 0, 3, "operator", 0),
        (7, 0, 4, "keyword", 0),
        (7, 5, 6, "parameter", 0),
        (7, 11, 1, "operator", 0),
        (7, 12, 1, "namespace", 0),
    ]
    .into_iter()
    .map(|(l, c, n, k, m)| (l, c, n, k.to_string(), m))
    .collect();
    assert_eq!(found, expected);
    // a range: only the tokens of line 7
    let ranged = client.request_ok(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": uri}, "range": range((7, 0), (8, 0))}),
    );
    assert_eq!(decode(&ranged, &legend), expected[24..].to_vec());
    assert!(client.shutdown_and_exit().success());
}

// ----- signature help, inlay hints, formatting ------------------------------------------------

#[test]
fn signature_help_shows_the_forms_and_the_active_parameter() {
    let mut s = Session::utf16();
    let uri = "untitled:signature";
    let at = s.open(
        uri,
        "FROM a AS b\r\nCOPY --chown=\u{e9} --from=b┃ /src /dst\r\n",
    );
    let help = s.request("textDocument/signatureHelp", uri, &at, json!({}));
    assert_eq!(help["activeSignature"], 0);
    let signature = &help["signatures"][0];
    let label = signature["label"].as_str().unwrap_or("");
    assert!(label.starts_with("COPY [--from=<stage>]"), "{label}");
    let active = help["activeParameter"].as_u64().unwrap_or(99) as usize;
    let offsets = &signature["parameters"][active]["label"];
    let (start, end) = (
        offsets[0].as_u64().unwrap_or(0) as usize,
        offsets[1].as_u64().unwrap_or(0) as usize,
    );
    assert_eq!(&label[start..end], "[--from=<stage>]");
    s.client.did_close(uri);
    let at = s.open(uri, "FROM a\nCMD [\"run\", ┃");
    let help = s.request("textDocument/signatureHelp", uri, &at, json!({}));
    assert_eq!(
        help["signatures"][help["activeSignature"].as_u64().unwrap_or(9) as usize]["label"],
        "CMD [\"<executable>\", \"<arg>\"...]"
    );
    s.client.did_close(uri);
    let at = s.open(uri, "FR┃OM a\n");
    assert!(s
        .request("textDocument/signatureHelp", uri, &at, json!({}))
        .is_null());
    s.finish();
}

#[test]
fn inlay_hints_show_resolved_paths_and_values() {
    let text = "ARG PY=3.12\r\nFROM python:${PY}-slim\r\nWORKDIR /srv\r\nWORKDIR \u{e9}app\r\nCOPY req.txt deps/\r\nENV HOME_DIR=/home/app\r\nRUN ls $HOME_DIR\r\n";
    let mut s = Session::utf16();
    let uri = "untitled:hints";
    s.open(uri, text);
    let hints = s.client.request_ok(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": range((0, 0), (99, 0))}),
    );
    let found: Vec<(u64, u64, String)> = hints
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["position"]["line"].as_u64().unwrap_or(99),
                h["position"]["character"].as_u64().unwrap_or(99),
                h["label"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let own = |list: &[(u64, u64, &str)]| -> Vec<(u64, u64, String)> {
        list.iter()
            .map(|&(a, b, c)| (a, b, c.to_string()))
            .collect()
    };
    assert_eq!(
        found,
        own(&[
            (1, 17, "= 3.12"),
            (3, 12, "→ /srv/\u{e9}app"),
            (4, 18, "→ /srv/\u{e9}app/deps/"),
            (6, 16, "= /home/app"),
        ])
    );
    // only the range asked for
    let hints = s.client.request_ok(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": range((6, 0), (7, 0))}),
    );
    assert_eq!(hints.as_array().map(Vec::len), Some(1));
    s.finish();
}

#[test]
fn formatting_changes_keywords_and_indentation_only_and_converges() {
    let text = "# escape=`\r\n  from alpine as build\r\nrun apk add `\r\n\t curl `\r\n# keep   this\r\n        git\r\ncopy <<EOF /x\r\n  body stays\r\nEOF\r\nenv A hello `\r\n     world\r\nrun echo \"a `\r\n   b\"\r\n";
    let expected = "# escape=`\r\nFROM alpine AS build\r\nRUN apk add `\r\n    curl `\r\n# keep   this\r\n    git\r\nCOPY <<EOF /x\r\n  body stays\r\nEOF\r\nENV A hello `\r\n     world\r\nRUN echo \"a `\r\n   b\"\r\n";
    let mut s = Session::utf16();
    let uri = "untitled:format";
    s.open(uri, text);
    let options = json!({"tabSize": 4, "insertSpaces": true});
    let edits = s.client.request_ok(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": options}),
    );
    let formatted = apply(text, &edits);
    assert_eq!(formatted, expected);
    // formatting the result again changes nothing
    s.client.did_close(uri);
    s.open(uri, &formatted);
    let again = s.client.request_ok(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": options}),
    );
    assert_eq!(again, json!([]));
    s.client.did_close(uri);
    // a range formats only its lines
    s.open(uri, text);
    let edits = s.client.request_ok(
        "textDocument/rangeFormatting",
        json!({"textDocument": {"uri": uri}, "range": range((2, 0), (3, 0)), "options": options}),
    );
    assert_eq!(
        apply(text, &edits),
        text.replacen("run apk add", "RUN apk add", 1)
            .replacen("\t curl", "    curl", 1)
    );
    s.finish();
}

/// Every Dockerfile fixture: formatting converges at once, keeps every line (comments and
/// heredoc bodies byte for byte) and the words of every instruction.
#[test]
fn formatting_every_fixture_converges_and_keeps_meaning() {
    use layerwise::ide::format::format_text;
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().contains("Dockerfile") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 100, "{}", files.len());
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let once = format_text(&text, "    ");
        assert_eq!(format_text(&once, "    "), once, "{}", path.display());
        let (before, after) = (
            layerwise::syntax::parse(&text),
            layerwise::syntax::parse(&once),
        );
        assert_eq!(
            before.instructions.len(),
            after.instructions.len(),
            "{}",
            path.display()
        );
        assert_eq!(
            text.lines().count(),
            once.lines().count(),
            "{}",
            path.display()
        );
        for (a, b) in before.instructions.iter().zip(&after.instructions) {
            assert_eq!(a.keyword, b.keyword, "{}", path.display());
            let words = |l: &layerwise::syntax::Located, t: &str| {
                if let Some(layerwise::syntax::instruction::Form::Exec { words, .. }) = l.form() {
                    // an exec form: the strings of the JSON array (blanks between them go)
                    let values: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
                    return format!("{values:?}");
                }
                let args = l.abs(l.args_span).of(t).to_string();
                let joined = args.split_whitespace().collect::<Vec<_>>().join(" ");
                joined.to_ascii_lowercase()
            };
            assert_eq!(words(a, &text), words(b, &once), "{}", path.display());
            let bodies = |l: &layerwise::syntax::Located, t: &str| -> Vec<String> {
                l.heredocs
                    .iter()
                    .map(|h| l.abs(h.body).of(t).to_string())
                    .collect()
            };
            assert_eq!(bodies(a, &text), bodies(b, &once), "{}", path.display());
            assert_eq!(a.errors.len(), b.errors.len(), "{}", path.display());
        }
        assert_eq!(before.split.comments.len(), after.split.comments.len());
        for (a, b) in before.split.comments.iter().zip(&after.split.comments) {
            assert_eq!(
                a.span.of(&text).trim(),
                b.span.of(&once).trim(),
                "{}",
                path.display()
            );
        }
    }
}

// ----- hover -----------------------------------------------------------------------------------

#[test]
fn hover_documents_flags_mount_keys_and_names() {
    let text = "ARG V=1.2\r\nFROM alpine AS b\u{e9}se\r\nARG V\r\nRUN --mount=type=cache,target=/c echo $V\r\nFROM b\u{e9}se\r\nCOPY --link --from=b\u{e9}se /a /b\r\n";
    let mut s = Session::utf16();
    let uri = "untitled:hover";
    s.open(uri, text);
    let cases: &[(Value, &str, &str)] = &[
        (
            at_nth(text, "--link", 0, 3),
            "--link",
            "`--link`: Copies into an independent layer",
        ),
        (
            at_nth(text, "target", 0, 2),
            "target",
            "`target` (mount key)",
        ),
        (
            at_nth(text, "$V", 0, 1),
            "V",
            "`V=1.2`, declared by the ARG on line 1",
        ),
        (
            at_nth(text, "b\u{e9}se", 2, 2),
            "b\u{e9}se",
            "Stage `b\u{e9}se`, declared on line 2: `FROM alpine`",
        ),
        (
            at_nth(text, "RUN", 0, 1),
            "RUN",
            "`RUN`: Executes a command",
        ),
    ];
    for (position, under, part) in cases {
        let hover = s.request("textDocument/hover", uri, position, json!({}));
        let value = hover["contents"]["value"].as_str().unwrap_or("");
        assert!(value.contains(part), "{part:?} not in {value}");
        assert_eq!(texts_at(text, &json!([hover["range"]])), [*under]);
    }
    s.finish();
}

// ----- every feature on every fixture ------------------------------------------------------------

/// Every editing feature at every character of every Dockerfile fixture (also with CRLF line
/// ends): no panic, tokens that neither overlap nor cross lines, selections that nest, rename
/// edits on char boundaries that do not overlap, and folds within the file.
#[test]
fn every_feature_everywhere_in_every_fixture() {
    use layerwise::ide::{
        completion, folding, hints, hover, links, names, rename, selection, signature, tokens,
    };
    use layerwise::syntax::Span;
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().contains("Dockerfile") {
                files.push(path);
            }
        }
    }
    files.sort();
    // hostile texts beside the fixtures: NUL, lone CR, BOM, unterminated quotes, heredocs and
    // substitutions, a backtick escape at the end, non-ASCII names
    let hostile = [
        "\u{0}FROM\u{0} a\u{0}",
        "\u{feff}# escape=`\rFROM a AS b\rCOPY --from=b `",
        "FROM a\nENV X=\"unterminated \\\n  $X\nRUN <<EOF\n${X\n",
        "FROM \u{e9}\u{1F600} AS \u{e9}\nCOPY --from=\u{e9} \u{1F600} /\u{e9}\nRUN --mount=from=\u{e9},target=/x ${\u{e9}}",
        "ONBUILD ONBUILD COPY --from= x",
        "ARG\nFROM $\nARG =\nENV =$\n",
    ];
    let texts = files
        .iter()
        .filter_map(|path| Some((path.clone(), std::fs::read_to_string(path).ok()?)))
        .chain(
            hostile
                .iter()
                .map(|t| (Path::new("hostile").to_path_buf(), (*t).to_string())),
        );
    for (path, original) in texts {
        let path = path.as_path();
        for text in [original.clone(), original.replace('\n', "\r\n")] {
            let tree = layerwise::syntax::parse(&text);
            let index = names::NameIndex::build(&tree, &text);
            let all = tokens::tokens(&tree, &index, &text);
            for pair in all.windows(2) {
                assert!(pair[0].span.end <= pair[1].span.start, "{}", path.display());
            }
            assert!(all.iter().all(|t| !t.span.of(&text).contains(['\n', '\r'])));
            for fold in folding::folds(&tree, &text) {
                assert!(fold.span.end <= text.len() && fold.lines.0 < fold.lines.1);
            }
            let _ = links::links(&tree, &text);
            let _ = hints::hints(&tree, &index, &text, Span::new(0, text.len()));
            let occurrences = index.occurrences();
            let step = (text.len() / 400).max(1);
            for offset in (0..=text.len() + 1).step_by(step) {
                let _ = completion::complete(&tree, &index, &text, offset, true);
                let _ = signature::help(&tree, &text, offset);
                let _ = hover::describe(&tree, &index, &text, offset);
                let spans = selection::expand(&tree, &text, offset);
                for pair in spans.windows(2) {
                    assert!(pair[1].start <= pair[0].start && pair[0].end <= pair[1].end);
                }
                let _ = names::definition(&tree, occurrences, offset);
                if let Ok(mut edits) = rename::rename(&tree, &index, &text, offset, "renamed_x") {
                    edits.sort_by_key(|(s, _)| s.start);
                    for pair in edits.windows(2) {
                        assert!(pair[0].0.end <= pair[1].0.start, "{}", path.display());
                    }
                    assert!(edits.iter().all(
                        |(s, _)| text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
                    ));
                }
            }
        }
    }
}

#[test]
fn semantic_tokens_delta_after_an_edit_equals_a_full_answer() {
    let mut s = Session::utf16();
    let uri = "untitled:delta";
    let text = "FROM alpine AS build\nARG V=1\nRUN echo $V\nFROM build\nCOPY --from=build /a /b\n";
    s.open(uri, text);
    let first = s.client.request_ok(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let id = first["resultId"].as_str().unwrap_or("").to_string();
    assert!(!id.is_empty());
    // rename a line's variable by hand: `$V` becomes `$VV` (no longer declared)
    s.version += 1;
    s.client.did_change(
        uri,
        s.version,
        json!([{"range": range((2, 10), (2, 11)), "text": "VV"}]),
    );
    s.client.wait_diagnostics(uri, Some(s.version));
    let delta = s.client.request_ok(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": id}),
    );
    let edits = delta["edits"].as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1, "{delta}");
    let mut data: Vec<Value> = first["data"].as_array().cloned().unwrap_or_default();
    let start = edits[0]["start"].as_u64().unwrap_or(0) as usize;
    let count = edits[0]["deleteCount"].as_u64().unwrap_or(0) as usize;
    let inserted = edits[0]["data"].as_array().cloned().unwrap_or_default();
    data.splice(start..start + count, inserted);
    let fresh = s.client.request_ok(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(Value::Array(data), fresh["data"]);
    assert_ne!(delta["resultId"], json!(id));
    // an unknown previous id gets the full tokens
    let full = s.client.request_ok(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": "nope"}),
    );
    assert_eq!(full["data"], fresh["data"]);
    s.finish();
}

/// The names each request reads are kept across edits: after edits that add, rename and remove
/// stages and variables, references, definition and completion answer what a freshly opened
/// copy of the same text answers.
#[test]
fn names_follow_edits_as_a_fresh_open_does() {
    let mut s = Session::utf16();
    let uri = "untitled:edited";
    let text = "ARG V=1\nFROM alpine AS build\nENV E=$V\nRUN echo $E\nFROM build AS test\nRUN echo $E\nFROM alpine\nCOPY --link --from=build /a /b\nCOPY --from=test /a /b\n";
    s.open(uri, text);
    let mut current = text.to_string();
    // (line, start, end, new text) in turn: rename a stage declaration (its uses no longer
    // match), add a stage between two, make a use match again, delete a line, add an ENV
    let edits: [(u32, u32, u32, &str); 5] = [
        (1, 15, 20, "built"),
        (4, 0, 0, "FROM built AS build\nENV E=2\n"),
        (9, 19, 24, "built"),
        (3, 0, 12, ""),
        (7, 11, 11, "ENV E=3 F=$E\n"),
    ];
    for (line, start, end, new) in edits {
        s.version += 1;
        s.client.did_change(
            uri,
            s.version,
            json!([{"range": range((line, start), (line, end)), "text": new}]),
        );
        s.client.wait_diagnostics(uri, Some(s.version));
        current = apply(
            &current,
            &json!([{"range": range((line, start), (line, end)), "newText": new}]),
        );
        s.version += 1;
        s.client.did_open("untitled:fresh", &current, s.version);
        s.client.wait_diagnostics("untitled:fresh", Some(s.version));
        let lines = current.lines().count() as u32;
        for l in 0..lines {
            for c in [0, 5, 7, 10, 12, 13, 15, 17, 19, 21, 25] {
                let position = json!({"line": l, "character": c});
                for method in [
                    "textDocument/references",
                    "textDocument/definition",
                    "textDocument/completion",
                ] {
                    let answer = |s: &mut Session, uri: &str| {
                        let extra = if method.ends_with("references") {
                            json!({"context": {"includeDeclaration": true}})
                        } else {
                            json!({})
                        };
                        let mut found = s.request(method, uri, &position, extra);
                        for located in found.as_array_mut().into_iter().flatten() {
                            located.as_object_mut().map(|o| o.remove("uri"));
                        }
                        if let Some(o) = found.as_object_mut() {
                            o.remove("uri");
                        }
                        found
                    };
                    let kept = answer(&mut s, uri);
                    let fresh = answer(&mut s, "untitled:fresh");
                    assert_eq!(kept, fresh, "{method} at {l}:{c} of {current:?}");
                }
            }
        }
        s.client.did_close("untitled:fresh");
    }
    s.finish();
}

// ----- symbols -------------------------------------------------------------------------------

/// Name, kind, start line and container of each flat symbol.
fn flat_symbols(symbols: &Value) -> Vec<(String, u64, u64, Option<String>)> {
    symbols
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_string(),
                s["kind"].as_u64().unwrap_or(0),
                s["location"]["range"]["start"]["line"]
                    .as_u64()
                    .unwrap_or(99),
                s["containerName"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[test]
fn document_symbols_are_flat_without_hierarchical_support_and_list_directives() {
    let text = "# syntax=docker/dockerfile:1\r\n# escape=`\r\nARG V=1\r\nFROM alpine AS build\r\nCOPY --link --from=base /a /b\r\nFROM scratch\r\nCOPY --from=build /a /b\r\n";
    // hierarchical: directives first, then the global ARG, then stages with children
    let mut s = Session::start(&["utf-16"], true);
    let mut client = s.client;
    let mut nested = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    nested.initialize(
        json!({"textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": true}}}),
    );
    nested.did_open("untitled:s", text, 1);
    nested.wait_diagnostics("untitled:s", Some(1));
    let tree = nested.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "untitled:s"}}),
    );
    let names: Vec<&str> = tree
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "# syntax=docker/dockerfile:1",
            "# escape=`",
            "ARG",
            "FROM alpine AS build",
            "FROM scratch"
        ]
    );
    assert_eq!(tree[3]["children"][0]["detail"], "--link --from=base /a /b");
    assert_eq!(tree[0]["selectionRange"]["start"]["character"], 2);
    assert!(nested.shutdown_and_exit().success());
    // flat: the same symbols, each instruction contained in its stage
    client.did_open("untitled:s", text, 1);
    client.wait_diagnostics("untitled:s", Some(1));
    let flat = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "untitled:s"}}),
    );
    let stage = |name: &str| Some(name.to_string());
    assert_eq!(
        flat_symbols(&flat),
        [
            ("# syntax=docker/dockerfile:1".to_string(), 20, 0, None),
            ("# escape=`".to_string(), 20, 1, None),
            ("ARG".to_string(), 13, 2, None),
            ("FROM alpine AS build".to_string(), 2, 3, None),
            ("COPY".to_string(), 1, 4, stage("FROM alpine AS build")),
            ("FROM scratch".to_string(), 2, 5, None),
            ("COPY".to_string(), 1, 6, stage("FROM scratch")),
        ]
    );
    s.client = client;
    s.finish();
}

#[test]
fn workspace_symbols_search_stages_and_variables_of_open_documents() {
    let mut s = Session::utf16();
    let caps = s
        .client
        .request_ok("workspace/symbol", json!({"query": ""}));
    assert_eq!(caps, json!([]), "nothing open, nothing found");
    s.open(
        "untitled:a",
        "ARG BUILD_DIR=/b\nFROM golang AS build\nENV CGO=0\nFROM alpine\n",
    );
    s.open("untitled:b", "FROM node AS builder\nARG NODE_ENV\n");
    let found = s
        .client
        .request_ok("workspace/symbol", json!({"query": "bld"}));
    let mut found: Vec<(String, String, u64, Option<String>)> = found
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_string(),
                s["location"]["uri"].as_str().unwrap_or("").to_string(),
                s["location"]["range"]["start"]["character"]
                    .as_u64()
                    .unwrap_or(99),
                s["containerName"].as_str().map(str::to_string),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("BUILD_DIR".into(), "untitled:a".into(), 4, None),
            ("build".into(), "untitled:a".into(), 15, None),
            ("builder".into(), "untitled:b".into(), 13, None),
        ]
    );
    let all = s
        .client
        .request_ok("workspace/symbol", json!({"query": ""}));
    assert_eq!(all.as_array().map(Vec::len), Some(6), "{all}");
    s.finish();
}

#[test]
fn completion_documentation_is_resolved_when_the_client_asks_for_it_lazily() {
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    let result = client.initialize(json!({"textDocument": {"completion": {"completionItem": {
        "snippetSupport": true,
        "resolveSupport": {"properties": ["documentation"]},
    }}}}));
    assert_eq!(
        result["capabilities"]["completionProvider"]["resolveProvider"],
        true
    );
    let text = "FROM alpine\nCOPY --\n";
    client.did_open("untitled:r", text, 1);
    client.wait_diagnostics("untitled:r", Some(1));
    let at =
        json!({"textDocument": {"uri": "untitled:r"}, "position": {"line": 1, "character": 7}});
    let items = client.request_ok("textDocument/completion", at.clone());
    let from = items
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["label"] == "--from")
        .cloned()
        .unwrap_or_default();
    assert!(from["documentation"].is_null(), "deferred: {from}");
    let resolved = client.request_ok("completionItem/resolve", from.clone());
    let doc = resolved["documentation"]["value"].as_str().unwrap_or("");
    assert!(doc.contains("stage"), "{resolved}");
    assert_eq!(resolved["label"], "--from");
    // an item of an older answer resolves to itself, without documentation
    let _ = client.request_ok("textDocument/completion", at);
    let stale = client.request_ok("completionItem/resolve", from);
    assert!(stale["documentation"].is_null(), "{stale}");
    assert!(client.shutdown_and_exit().success());
    // a client that does not resolve gets the documentation inline
    let mut s = Session::utf16();
    let (_, items) = complete(&mut s, "FROM alpine\nCOPY --┃\n");
    assert!(items
        .as_array()
        .into_iter()
        .flatten()
        .all(|i| i["documentation"]["value"].is_string()));
    s.finish();
}

#[test]
fn on_type_formatting_after_the_escape_character_and_a_line_break() {
    let mut s = Session::utf16();
    let caps = {
        let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
        let result = client.initialize(json!({}));
        assert!(client.shutdown_and_exit().success());
        result["capabilities"]["documentOnTypeFormattingProvider"].clone()
    };
    assert_eq!(
        caps,
        json!({"firstTriggerCharacter": "\\", "moreTriggerCharacter": ["`", "\n"]})
    );
    let uri = "untitled:ontype";
    let options = json!({"options": {"tabSize": 2, "insertSpaces": true}});
    // `\` typed: its instruction is formatted (CRLF and a non-ASCII word before it)
    let at = s.open(uri, "FROM alpine\r\nrun echo é \\┃\r\nrun b\r\n");
    let mut params = options.clone();
    params["ch"] = json!("\\");
    let edits = s.request("textDocument/onTypeFormatting", uri, &at, params);
    let text = "FROM alpine\r\nrun echo é \\\r\nrun b\r\n";
    assert_eq!(
        apply(text, &edits),
        "FROM alpine\r\nRUN echo é \\\r\n  run b\r\n"
    );
    s.client.did_close(uri);
    // a line break after it: the new line is indented
    let at = s.open(uri, "FROM alpine\nRUN a \\\n┃\n");
    let mut params = options;
    params["ch"] = json!("\n");
    let edits = s.request("textDocument/onTypeFormatting", uri, &at, params);
    assert_eq!(
        apply("FROM alpine\nRUN a \\\n\n", &edits),
        "FROM alpine\nRUN a \\\n  \n"
    );
    s.finish();
}

#[test]
fn syntax_errors_get_did_you_mean_quick_fixes() {
    let mut s = Session::utf16();
    let uri = "untitled:typos";
    // CRLF, a non-ASCII word before the flag (UTF-16 columns), a backtick escape file
    let text = "# escape=`\r\nFROM alpine AS b\r\nRUNN echo \u{1F600}\r\nCOPY --chown=\u{1F600} --form=b /a /b\r\n";
    s.client.did_open(uri, text, 1);
    let published = s.client.wait_diagnostics(uri, Some(1));
    let syntax: Vec<Value> = published["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["code"] == "syntax")
        .cloned()
        .collect();
    assert_eq!(syntax.len(), 2, "{published}");
    let mut fixed = text.to_string();
    let mut titles = Vec::new();
    for diagnostic in syntax {
        let actions = s.client.request_ok(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic]},
            }),
        );
        for action in actions.as_array().into_iter().flatten() {
            if action["kind"] != "quickfix" {
                continue;
            }
            assert!(
                action["isPreferred"].is_null(),
                "a guess is never preferred"
            );
            titles.push(action["title"].as_str().unwrap_or("").to_string());
            fixed = apply(&fixed, &action["edit"]["changes"][uri]);
        }
    }
    titles.sort();
    assert_eq!(
        titles,
        ["Change `--form` to `--from`", "Change `RUNN` to `RUN`"]
    );
    assert_eq!(
        fixed,
        "# escape=`\r\nFROM alpine AS b\r\nRUN echo \u{1F600}\r\nCOPY --chown=\u{1F600} --from=b /a /b\r\n"
    );
    s.finish();
}
