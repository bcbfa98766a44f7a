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
    assert_eq!(found, ["build", "test"]);
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
