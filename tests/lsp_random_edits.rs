//! Property: random edit sequences sent to the real server as incremental `didChange`s (random
//! ranges, several changes per notification, now and then a full replacement; inserted text with
//! CRLF, lone CR, emoji, CJK, continuations and heredocs) leave the server with the same document
//! as opening the final text afresh: the same diagnostics (ranges, codes, messages, fixes) and
//! the same document symbols, checked at checkpoints along the way, in UTF-8 and UTF-16, for an
//! unsaved buffer and for a file in a folder (with a build context).
//!
//! Deterministic (xorshift, fixed seeds); `LAYERWISE_EDIT_SEQUENCES=N` runs more sequences.

mod common;
use common::project::Project;

use std::path::Path;
use std::time::Duration;

use common::lsp::{range_change, LspClient};
use serde_json::{json, Value};

/// Pieces of inserted text: line breaks of every kind, wide characters, Dockerfile syntax.
const PIECES: &[&str] = &[
    "a",
    " ",
    "é",
    "🐳",
    "😀x",
    "日本語",
    "\u{feff}",
    "\n",
    "\r\n",
    "\r",
    "\r\r\n",
    " \\\n",
    " \\\r\n",
    "RUN pip install flask\n",
    "RUN apt-get update && apt-get install -y gcc\r\n",
    "COPY . /app\n",
    "FROM node:20 AS build\n",
    "<<EOF\n",
    "EOF\n",
    "# escape=`\n",
    "&& ",
    "\"",
    "[\"a\", ",
    "\t",
];

const STARTS: &[&str] = &[
    "FROM python:3.8.0-slim\nCOPY . /app\nRUN pip install -r requirements.txt\n",
    "FROM golang:1.22\r\nWORKDIR /src\r\nCOPY . .\r\nRUN go build -o /bin/app ./cmd\r\nCMD [\"/bin/app\"]\r\n",
    "# syntax=docker/dockerfile:1\nFROM node:20\nRUN <<EOF\nnpm ci\nEOF\nCOPY . .\nENTRYPOINT node server.js",
    "",
];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        usize::try_from(r % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// The LSP position of a byte offset; lines end at LF, CRLF or a lone CR.
fn position(text: &str, offset: usize, utf8: bool) -> (u32, u32) {
    let bytes = text.as_bytes();
    let mut line = 0;
    let mut line_start = 0;
    for (i, &b) in bytes[..offset].iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    let column = &text[line_start..offset];
    let character = if utf8 {
        column.len()
    } else {
        column.encode_utf16().count()
    };
    (line, u32::try_from(character).unwrap_or(u32::MAX))
}

/// A random offset an LSP position can name: a char boundary, not between a CR and its LF.
fn offset(rng: &mut Rng, text: &str) -> usize {
    let mut i = rng.below(text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    if i > 0 && text.as_bytes()[i - 1] == b'\r' && text.as_bytes().get(i) == Some(&b'\n') {
        i -= 1;
    }
    i
}

/// One random change applied to `text`; returns the LSP change doing the same.
fn random_change(rng: &mut Rng, text: &mut String, utf8: bool) -> Value {
    if rng.below(40) == 0 {
        let start = STARTS[rng.below(STARTS.len())];
        text.clone_from(&start.to_string());
        return json!({"text": start});
    }
    let a = offset(rng, text);
    let b = match rng.below(4) {
        0 | 1 => a,
        2 => offset(rng, text),
        _ => {
            let mut b = (a + rng.below(12)).min(text.len());
            while !text.is_char_boundary(b) {
                b -= 1;
            }
            if b > 0 && text.as_bytes()[b - 1] == b'\r' && text.as_bytes().get(b) == Some(&b'\n') {
                b -= 1;
            }
            b
        }
    };
    let (start, end) = (a.min(b), a.max(b));
    let new: String = (0..rng.below(3))
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect();
    let change = range_change(position(text, start, utf8), position(text, end, utf8), &new);
    text.replace_range(start..end, &new);
    change
}

fn spawn(encoding: &str) -> (LspClient, bool) {
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    client.set_timeout(Duration::from_secs(20));
    let result = client.initialize(json!({"general": {"positionEncodings": [encoding]}}));
    let utf8 = result["capabilities"]["positionEncoding"] == "utf-8";
    assert_eq!(utf8, encoding == "utf-8");
    (client, utf8)
}

/// What must be equal between the edited document and a fresh one: the diagnostics, the code
/// actions for all of them (the fixes, the ignores and "fix all"), and the document symbols.
fn observable(client: &mut LspClient, uri: &str, published: &Value) -> Value {
    let diagnostics = published["diagnostics"].clone();
    let everything = json!({"start": {"line": 0, "character": 0},
                            "end": {"line": u32::MAX, "character": 0}});
    let actions = client.request_ok(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": everything,
               "context": {"diagnostics": diagnostics}}),
    );
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    json!({"diagnostics": diagnostics, "actions": actions, "symbols": symbols})
}

/// `text` opened afresh at `uri` at `version` (closed first, so its diagnostics are cleared).
fn fresh(client: &mut LspClient, uri: &str, text: &str, version: i64) -> Value {
    client.did_close(uri);
    client.wait_notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && p.get("version").is_none()
    });
    client.did_open(uri, text, version);
    let published = client.wait_diagnostics(uri, Some(version));
    observable(client, uri, &published)
}

/// Hovers at random positions (some past the ends) and asks for the code actions of every
/// diagnostic and of the whole document: each is answered, never an internal error.
fn poke(
    client: &mut LspClient,
    rng: &mut Rng,
    uri: &str,
    text: &str,
    utf8: bool,
    published: &Value,
) {
    for _ in 0..4 {
        let (line, character) = if rng.below(4) == 0 {
            (
                u32::try_from(rng.below(100)).unwrap_or(0),
                u32::try_from(rng.below(300)).unwrap_or(0),
            )
        } else {
            position(text, offset(rng, text), utf8)
        };
        let hover = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        assert!(
            hover.is_ok(),
            "hover at {line}:{character}: {hover:?} in {text:?}"
        );
    }
    let diagnostics = published["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let whole =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}});
    for (range, context) in diagnostics
        .iter()
        .map(|d| (d["range"].clone(), json!([d])))
        .chain([(whole, Value::Array(diagnostics.clone()))])
    {
        let actions = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": context}}),
        );
        let actions = actions.unwrap_or_else(|e| panic!("code actions: {e} in {text:?}"));
        for action in actions.as_array().into_iter().flatten() {
            check_action(text, uri, utf8, action);
        }
    }
}

/// A code action's edits to this document, applied to `text`: they do not overlap, the result
/// has no more syntax errors than `text`, and an "ignore" action keeps every line.
fn check_action(text: &str, uri: &str, utf8: bool, action: &Value) {
    let Some(edits) = action["edit"]["changes"][uri].as_array() else {
        return; // a fix that also creates files travels as documentChanges
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let at = |p: &Value| {
                offset_at(
                    text,
                    p["line"].as_u64().unwrap_or(0),
                    p["character"].as_u64().unwrap_or(0),
                    utf8,
                )
            };
            (
                at(&e["range"]["start"]),
                at(&e["range"]["end"]),
                e["newText"].as_str().unwrap_or(""),
            )
        })
        .collect();
    spans.sort_by_key(|&(start, end, _)| (start, end));
    assert!(
        spans.windows(2).all(|w| w[0].1 <= w[1].0),
        "{}: overlapping edits {spans:?} in {text:?}",
        action["title"]
    );
    let mut out = text.to_string();
    for &(start, end, new) in spans.iter().rev() {
        out.replace_range(start..end, new);
    }
    let errors = |t: &str| layerwise::syntax::parse(t).errors().count();
    assert!(
        errors(&out) <= errors(text),
        "{}: the result has more syntax errors: {out:?} (from {text:?})",
        action["title"]
    );
    let ignore = action["title"]
        .as_str()
        .is_some_and(|t| t.starts_with("Ignore"));
    if ignore {
        // it inserts a comment line at the start of an LSP line (a lone CR ends one too; a BOM
        // stays first)
        let (text, out) = (
            text.trim_start_matches('\u{feff}'),
            out.trim_start_matches('\u{feff}'),
        );
        let mut kept = lsp_lines(out).into_iter();
        for line in lsp_lines(text) {
            assert!(
                kept.any(|l| l.ends_with(line)),
                "{}: lost the line {line:?}: {out:?}",
                action["title"]
            );
        }
    }
}

/// The lines of `text` with their line breaks (LF, CRLF or a lone CR).
fn lsp_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    for i in 0..bytes.len() {
        let ends = bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if ends {
            lines.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// The byte offset of an LSP position (clamped to its line and to the text); lines end at LF,
/// CRLF or a lone CR.
fn offset_at(text: &str, line: u64, character: u64, utf8: bool) -> usize {
    let bytes = text.as_bytes();
    let mut start = 0;
    for _ in 0..line {
        let Some(i) = bytes[start..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
        else {
            return text.len();
        };
        start += i + 1;
        if bytes[start - 1] == b'\r' && bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
    }
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += if utf8 {
            c.len_utf8() as u64
        } else {
            c.len_utf16() as u64
        };
    }
    end
}

/// A folder with a manifest (so context-dependent rules and fixes run), removed on drop.
fn project(name: &str) -> Project {
    Project::new(
        &format!("random-edits-{name}"),
        &[("requirements.txt", "flask\n")],
    )
}

/// Runs `sequences` random sequences of `edits` changes each; compares with a fresh open every
/// `checkpoint` changes and at the end.
fn run(encoding: &str, seed: u64, sequences: usize, edits: usize, checkpoint: usize) {
    let project = project(encoding);
    let (mut client, utf8) = spawn(encoding);
    let mut rng = Rng(seed);
    for sequence in 0..sequences {
        let uri = if sequence % 2 == 0 {
            format!("untitled:random-{sequence}")
        } else {
            project.uri(&format!("Dockerfile.{sequence}"))
        };
        let mut text = STARTS[sequence % STARTS.len()].to_string();
        let mut start = text.clone();
        client.did_open(&uri, &text, 1);
        client.wait_diagnostics(&uri, Some(1));
        let mut version = 1;
        let mut history = Vec::new();
        for step in 1..=edits {
            let batch: Vec<Value> = (0..=rng.below(3))
                .map(|_| random_change(&mut rng, &mut text, utf8))
                .collect();
            history.push(Value::Array(batch.clone()));
            version += 1;
            client.did_change(&uri, version, Value::Array(batch));
            if step % checkpoint == 0 || step == edits {
                let published = client.wait_diagnostics(&uri, Some(version));
                let edited = observable(&mut client, &uri, &published);
                poke(&mut client, &mut rng, &uri, &text, utf8, &published);
                // reopened at the same URI (messages name the file), then edited further
                version += 1;
                let expected = fresh(&mut client, &uri, &text, version);
                if edited != expected {
                    // for replaying: the start, every notification's changes, the final text
                    let dump = json!({"encoding": encoding, "start": start, "changes": history, "text": text});
                    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join(format!("target/lsp-random-edits-{encoding}.json"));
                    let _ = std::fs::write(&file, dump.to_string());
                    eprintln!("replay: {}", file.display());
                }
                assert_eq!(
                    edited, expected,
                    "{encoding} sequence {sequence} after {step} changes; text {text:?}; changes {history:?}"
                );
                // the reopened document is the start of the next stretch
                start.clone_from(&text);
                history.clear();
            }
        }
    }
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

fn sequences() -> usize {
    std::env::var("LAYERWISE_EDIT_SEQUENCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

#[test]
fn random_edits_in_utf16_equal_a_fresh_open() {
    run("utf-16", 0x1234_5678_9abc_def1, sequences(), 60, 15);
}

#[test]
fn random_edits_in_utf8_equal_a_fresh_open() {
    run("utf-8", 0x0fed_cba9_8765_4321, sequences(), 60, 15);
}

/// Typing after a continuation that runs to the end of the file continues that instruction.
/// (Found by the stable fuzzer in the incremental re-split.)
#[test]
fn typing_after_a_continuation_at_the_end_of_the_file() {
    let (mut client, utf8) = spawn("utf-16");
    assert!(!utf8);
    let uri = "untitled:continuation-at-eof";
    let mut text = "FROM alpine:3.20\nRUN apk add \\\n".to_string();
    client.did_open(uri, &text, 1);
    client.wait_diagnostics(uri, Some(1));
    let mut version = 1;
    for typed in ["c", "u", "r", "l", "\n", "CMD"] {
        let end = position(&text, text.len(), false);
        text.push_str(typed);
        version += 1;
        client.did_change(uri, version, range_change(end, end, typed));
    }
    let published = client.wait_diagnostics(uri, Some(version));
    let edited = observable(&mut client, uri, &published);
    version += 1;
    let expected = fresh(&mut client, uri, &text, version);
    assert_eq!(edited, expected, "{text:?}");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
