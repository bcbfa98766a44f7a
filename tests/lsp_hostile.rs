//! Hostile input against the real `layerwise lsp` binary: broken framing and JSON, protocol
//! misuse, absurd documents and bursts, hostile build contexts (FIFOs and devices named like
//! manifests, a slow context), clients that never read or read at 2 MB/s, and an ignored
//! 30-minute soak. Every case gets a JSON-RPC error or is ignored as the
//! specification says, and the server stays up: the next request is answered (or, for `exit`,
//! the process ends with the specification's exit code).
//!
//! Size scaled: the issue's 50 MB document is 16 MB here, to stay near 2 s in the debug build
//! (most of it is the test client encoding the JSON); `LAYERWISE_HOSTILE_MB=50` runs the full
//! size (about 7 s in a debug build). What it proves (above the 5 MB limit: one notice, no
//! analysis, no hang, edits still applied, the server keeps answering) does not depend on it.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::lsp::{frame, range_change, LspClient};
use serde_json::{json, Value};

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const SERVER_NOT_INITIALIZED: i64 = -32002;
const REQUEST_CANCELLED: i64 = -32800;

const DOC: &str = "untitled:hostile";
const TEXT: &str = "FROM python:3.8.0-slim\nCOPY . /app\nRUN pip install -r requirements.txt\n";

/// Taken for reading by the CPU-heavy tests, for writing by the timed one, so that its time
/// measures the server, not the tests around it.
static HEAVY: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn spawn() -> LspClient {
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    client.set_timeout(Duration::from_secs(10));
    client
}

/// An initialised server with [`DOC`] open at version 1 (its first diagnostics consumed).
fn ready() -> LspClient {
    let mut client = spawn();
    client.initialize(json!({
        "general": {"positionEncodings": ["utf-16"]},
        "textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": true}},
    }));
    client.did_open(DOC, TEXT, 1);
    client.wait_diagnostics(DOC, Some(1));
    client
}

/// The server answers a request about [`DOC`] with its stages, so it is up and kept its state.
#[track_caller]
fn assert_alive(client: &mut LspClient) {
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": DOC}}),
    );
    assert_eq!(
        symbols[0]["name"], "FROM python:3.8.0-slim",
        "the server is up and still has the document: {symbols}"
    );
}

/// The code of an error object.
fn code(error: &Value) -> i64 {
    error["code"].as_i64().unwrap_or(0)
}

/// Waits for the next error response with `"id": null` and returns its code.
#[track_caller]
fn null_id_error(client: &mut LspClient) -> i64 {
    let response = client.wait_response_message(&Value::Null);
    code(&response["error"])
}

#[track_caller]
fn shutdown(client: LspClient) {
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

// ----- framing and JSON ---------------------------------------------------------------------

#[test]
fn bodies_that_are_not_messages_get_errors() {
    let mut client = ready();
    let cases: &[(&[u8], i64, Value)] = &[
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":",
            PARSE_ERROR,
            Value::Null,
        ),
        (b"not json at all", PARSE_ERROR, Value::Null),
        (
            b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}",
            PARSE_ERROR,
            Value::Null,
        ),
        (b"", PARSE_ERROR, Value::Null),
        (b"[1, 2, 3]", INVALID_REQUEST, Value::Null),
        (b"[]", INVALID_REQUEST, Value::Null),
        (b"42", INVALID_REQUEST, Value::Null),
        (b"\"hello\"", INVALID_REQUEST, Value::Null),
        (b"{}", INVALID_REQUEST, Value::Null),
        // the id is echoed when it can be read
        (
            br#"{"id":801,"method":"initialize"}"#,
            INVALID_REQUEST,
            json!(801),
        ),
        (
            br#"{"jsonrpc":"1.0","id":"x1","method":"shutdown"}"#,
            INVALID_REQUEST,
            json!("x1"),
        ),
        (
            br#"{"jsonrpc":"2.0","id":802,"method":7}"#,
            INVALID_REQUEST,
            json!(802),
        ),
        (
            br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#,
            INVALID_REQUEST,
            Value::Null,
        ),
    ];
    for (body, expected, id) in cases {
        client.send_raw(&frame(body));
        let response = client.wait_response_message(id);
        assert_eq!(
            code(&response["error"]),
            *expected,
            "{:?}: {response}",
            String::from_utf8_lossy(body)
        );
        assert_alive(&mut client);
    }
    assert!(
        client.stderr_gets("answered with error"),
        "{}",
        client.stderr()
    );
    shutdown(client);
}

#[test]
fn wrong_content_lengths_and_junk_between_messages() {
    let mut client = ready();
    let body = br#"{"jsonrpc":"2.0","method":"unknown/notification"}"#;
    let with_header = |header: &str| [header.as_bytes(), body].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("too short", with_header("Content-Length: 10\r\n\r\n")),
        // the promised body runs into the next message, which is still answered
        ("too long", with_header("Content-Length: 5000\r\n\r\n")),
        ("not a number", with_header("Content-Length: many\r\n\r\n")),
        ("negative", with_header("Content-Length: -4\r\n\r\n")),
        (
            "missing",
            with_header("Content-Type: application/json\r\n\r\n"),
        ),
        (
            "huge",
            with_header("Content-Length: 99999999999999\r\n\r\n"),
        ),
        ("junk", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("no header end", b"Content-Length: 12\r\n{}".to_vec()),
    ];
    for (name, bytes) in cases {
        client.send_raw(&bytes);
        assert_alive(&mut client);
        assert_eq!(null_id_error(&mut client), PARSE_ERROR, "{name}");
    }
    // headers tower-lsp alone would refuse (three headers, another charset) are fine
    client.send_raw(
        &[
            format!(
                "Content-Type: application/vscode-jsonrpc; charset=latin1\r\nX-Trace: 1\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
            body,
        ]
        .concat(),
    );
    // stray line breaks between messages are dropped silently
    client.send_raw(b"\r\n\r\n");
    assert_alive(&mut client);
    shutdown(client);
}

// ----- protocol misuse ----------------------------------------------------------------------

#[test]
fn unknown_methods_are_errors_and_unknown_notifications_are_ignored() {
    let mut client = ready();
    let error = client
        .request("layerwise/noSuchThing", json!({}))
        .expect_err("unknown request");
    assert_eq!(code(&error), METHOD_NOT_FOUND);
    // `$/` requests must be answered with MethodNotFound too; `$/` notifications are ignored
    let error = client
        .request("$/noSuchThing", json!({}))
        .expect_err("unknown $/ request");
    assert_eq!(code(&error), METHOD_NOT_FOUND);
    client.notify("$/setTrace", json!({"value": "verbose"}));
    client.notify("$/noSuchNotification", json!({"x": 1}));
    client.notify("layerwise/unknown", json!(null));
    // wrong params: an error for a request, ignored for a notification
    let error = client
        .request("textDocument/hover", json!({"position": "nowhere"}))
        .expect_err("bad params");
    assert_eq!(code(&error), INVALID_PARAMS);
    // (documentSymbol is answered beside the router: the same errors)
    let error = client
        .request("textDocument/documentSymbol", json!({"textDocument": 5}))
        .expect_err("bad params");
    assert_eq!(code(&error), INVALID_PARAMS);
    client.notify(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": DOC}}),
    );
    client.notify("textDocument/didChange", json!({"textDocument": 5}));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": DOC, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x"}
        ]}),
    );
    assert_alive(&mut client);
    // the rejected change did not count: version 2 is still free and applies to the original
    client.did_change(DOC, 2, range_change((0, 0), (0, 0), "# hi\n"));
    let published = client.wait_diagnostics(DOC, Some(2));
    assert!(published["diagnostics"].is_array());
    shutdown(client);
}

#[test]
fn requests_before_initialize_are_refused_and_notifications_dropped() {
    let mut client = spawn();
    let error = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": DOC}}),
        )
        .expect_err("not initialised");
    assert_eq!(code(&error), SERVER_NOT_INITIALIZED);
    let error = client
        .request("shutdown", Value::Null)
        .expect_err("not initialised");
    assert_eq!(code(&error), SERVER_NOT_INITIALIZED);
    // dropped: the document is not open after initialize
    client.did_open(DOC, TEXT, 1);
    client.initialize(json!({}));
    let error = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": DOC}}),
        )
        .expect_err("not open");
    assert_eq!(code(&error), INVALID_PARAMS);
    // a second initialize is an error; the session goes on
    let error = client
        .request("initialize", json!({"capabilities": {}}))
        .expect_err("initialised twice");
    assert_eq!(code(&error), INVALID_REQUEST);
    client.did_open(DOC, TEXT, 1);
    client.wait_diagnostics(DOC, Some(1));
    assert_alive(&mut client);
    shutdown(client);
}

#[test]
fn changes_to_unknown_documents_and_old_versions_are_ignored() {
    let mut client = ready();
    client.did_change("untitled:never-opened", 2, json!({"text": "FROM x\n"}));
    client.did_change(
        "file:///no/such/dir/Dockerfile",
        7,
        range_change((0, 0), (0, 0), "x"),
    );
    client.did_close("untitled:never-opened-either");
    // versions going backwards or repeating
    client.did_change(DOC, 1, json!({"text": "COP . /x\n"}));
    client.did_change(DOC, 0, json!({"text": "COP . /x\n"}));
    client.did_change(DOC, -5, json!({"text": "COP . /x\n"}));
    assert_alive(&mut client);
    let error = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "untitled:never-opened"}, "position": {"line": 0, "character": 0}}),
        )
        .expect_err("not open");
    assert_eq!(code(&error), INVALID_PARAMS);
    // the next version applies to the text as it was
    client.did_change(DOC, 2, range_change((3, 0), (3, 0), "USER app\n"));
    let published = client.wait_diagnostics(DOC, Some(2));
    assert!(published["diagnostics"].is_array());
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": DOC}}),
    );
    let children = symbols[0]["children"].as_array().map_or(0, Vec::len);
    assert_eq!(children, 3, "COPY, RUN, USER: {symbols}");
    // stderr is read by another thread: wait for the lines rather than race them
    assert!(
        client.stderr_gets("not open") && client.stderr_gets("is not after"),
        "{}",
        client.stderr()
    );
    shutdown(client);
}

#[test]
fn ranges_past_the_end_inverted_or_absurd_are_clamped() {
    let mut client = ready();
    let max = u32::MAX;
    let steps: &[(Value, &str)] = &[
        (
            range_change((max, max), (max, max), "USER a\n"),
            "FROM python:3.8.0-slim\nCOPY . /app\nRUN pip install -r requirements.txt\nUSER a\n",
        ),
        (
            range_change((3, 4), (3, 0), "USER b"),
            "FROM python:3.8.0-slim\nCOPY . /app\nRUN pip install -r requirements.txt\nUSER b a\n",
        ),
        (
            range_change((0, max), (1, max), ""),
            "FROM python:3.8.0-slim\nRUN pip install -r requirements.txt\nUSER b a\n",
        ),
        (range_change((max, 0), (0, 0), ""), ""),
        (
            range_change((7, 7), (9, 9), "FROM alpine:3.20\n"),
            "FROM alpine:3.20\n",
        ),
    ];
    let mut version = 1;
    for (change, expected) in steps {
        version += 1;
        client.did_change(DOC, version, change.clone());
        let published = client.wait_diagnostics(DOC, Some(version));
        let fresh_uri = format!("untitled:fresh-{version}");
        client.did_open(&fresh_uri, expected, 1);
        let fresh = client.wait_diagnostics(&fresh_uri, Some(1));
        assert_eq!(
            ranges(&published),
            ranges(&fresh),
            "after {change}: expected text {expected:?}"
        );
    }
    shutdown(client);
}

/// (code, range) of each diagnostic.
fn ranges(published: &Value) -> Vec<(Value, Value)> {
    published["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d["code"].clone(), d["range"].clone()))
        .collect()
}

#[test]
fn cancel_requests_known_unknown_and_finished() {
    let mut client = ready();
    // unknown and odd ids: ignored
    client.cancel(987_654);
    client.notify("$/cancelRequest", json!({"id": "no-such-request"}));
    client.notify("$/cancelRequest", json!({"id": null}));
    client.notify("$/cancelRequest", json!({}));
    // a request cancelled right away: its answer or RequestCancelled, exactly one response
    let id = client.send_request_no_wait(
        "textDocument/hover",
        json!({"textDocument": {"uri": DOC}, "position": {"line": 0, "character": 1}}),
    );
    client.cancel(id);
    if let Err(error) = client.wait_response(id) {
        assert_eq!(code(&error), REQUEST_CANCELLED, "{error}");
    }
    // cancelling what has already been answered changes nothing
    client.cancel(id);
    assert_alive(&mut client);
    shutdown(client);
}

// ----- lifecycle ----------------------------------------------------------------------------

#[test]
fn shutdown_without_exit_refuses_requests_and_exit_codes_follow_the_spec() {
    // shutdown, then requests are InvalidRequest, notifications ignored; end of input: 0
    let mut client = ready();
    client.request_ok("shutdown", Value::Null);
    let error = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": DOC}}),
        )
        .expect_err("after shutdown");
    assert_eq!(code(&error), INVALID_REQUEST);
    client.did_change(DOC, 2, json!({"text": "FROM x\n"}));
    client.close_stdin();
    assert_eq!(client.wait_exit().code(), Some(0));

    // shutdown, then exit: 0 (even with stdin left open)
    let mut client = ready();
    client.request_ok("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(0));

    // exit without shutdown: 1, also before initialize
    let mut client = ready();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(1));
    let mut client = spawn();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(1));

    // the input ends without shutdown: 1
    let mut client = ready();
    client.close_stdin();
    assert_eq!(client.wait_exit().code(), Some(1));

    // the input ends in the middle of a message: 1, no hang
    let mut client = ready();
    client.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\":");
    client.close_stdin();
    assert_eq!(client.wait_exit().code(), Some(1));
}

// ----- absurd documents ---------------------------------------------------------------------

#[test]
fn a_huge_document_gets_one_notice_and_the_server_stays_responsive() {
    let _heavy = HEAVY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mb: usize = std::env::var("LAYERWISE_HOSTILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let mut client = ready();
    let uri = "untitled:huge";
    let line = "RUN echo 0123456789abcdef0123456789abcdef0123456789 && pip install x\n";
    let text = format!(
        "FROM alpine:3.20\n{}",
        line.repeat(mb * 1024 * 1024 / line.len())
    );
    let started = Instant::now();
    client.did_open(uri, &text, 1);
    let published = client.wait_diagnostics(uri, Some(1));
    let diagnostics = published["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(diagnostics.len(), 1, "one notice: {diagnostics:?}");
    assert!(diagnostics[0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("5 MB"));
    // edits to it are applied (and not analysed); the server keeps answering
    client.did_change(uri, 2, range_change((0, 0), (0, 0), "# big\n"));
    client.did_change(
        uri,
        3,
        range_change((1_000_000, 0), (1_000_000, 0), "USER x\n"),
    );
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(symbols.is_array());
    assert_alive(&mut client);
    eprintln!("{mb} MB document handled in {:?}", started.elapsed());
    shutdown(client);
}

#[test]
fn nul_bytes_control_characters_and_odd_line_breaks() {
    let mut client = ready();
    let uri = "untitled:nul";
    let text =
        "FROM alpine\u{0}:3.20\nRUN \u{0}echo \u{1}\u{7f}\r\rCOPY \u{0} /x\u{2028}\u{85}\n\u{0}";
    client.did_open(uri, text, 1);
    let published = client.wait_diagnostics(uri, Some(1));
    assert!(published["diagnostics"].is_array());
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 11}}),
    );
    assert!(hover.is_ok(), "{hover:?}");
    client.did_change(uri, 2, range_change((1, 4), (1, 5), "\u{0}\u{0}"));
    client.wait_diagnostics(uri, Some(2));
    assert_alive(&mut client);
    shutdown(client);
}

#[test]
fn a_100000_line_continuation_is_analysed_without_a_hang() {
    let _heavy = HEAVY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut client = ready();
    let uri = "untitled:continuation";
    let text = format!(
        "FROM python:3.12\nRUN pip install \\\n{}    flask\n",
        "    pkg \\\n".repeat(100_000)
    );
    let started = Instant::now();
    client.did_open(uri, &text, 1);
    let published = client.wait_diagnostics(uri, Some(1));
    assert!(
        published["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "pip-no-cache-dir")),
        "{}",
        published["diagnostics"]
    );
    // an edit in the middle re-parses that one instruction
    client.did_change(uri, 2, range_change((50_000, 4), (50_000, 7), "other"));
    client.wait_diagnostics(uri, Some(2));
    assert_alive(&mut client);
    eprintln!("100,000-line continuation: {:?}", started.elapsed());
    shutdown(client);
}

#[test]
fn deeply_nested_and_numerous_heredocs() {
    let mut client = ready();
    // heredocs inside heredoc bodies, 2,000 deep
    let mut nested = String::from("FROM alpine:3.20\nRUN <<E0\n");
    for i in 1..2000 {
        nested.push_str(&format!("cat <<E{i}\n"));
    }
    for i in (0..2000).rev() {
        nested.push_str(&format!("E{i}\n"));
    }
    // 5,000 heredocs on one instruction, most never terminated
    let many = format!(
        "FROM alpine:3.20\nCOPY {} /dst/\n{}",
        (0..5000)
            .map(|i| format!("<<H{i}"))
            .collect::<Vec<_>>()
            .join(" "),
        (0..100)
            .map(|i| format!("body {i}\nH{i}\n"))
            .collect::<String>()
    );
    // an unterminated heredoc swallowing the rest of the file, with CRLF and tabs
    let open =
        "FROM alpine:3.20\r\nRUN <<-EOF\r\n\tRUN x\r\n\tEOF \r\nCMD [\"a\"]\r\n".repeat(2000);
    for (name, text) in [("nested", nested), ("many", many), ("open", open)] {
        let uri = format!("untitled:heredoc-{name}");
        let started = Instant::now();
        client.did_open(&uri, &text, 1);
        let published = client.wait_diagnostics(&uri, Some(1));
        assert!(published["diagnostics"].is_array(), "{name}");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{name}: {:?}",
            started.elapsed()
        );
    }
    assert_alive(&mut client);
    shutdown(client);
}

// ----- bursts -------------------------------------------------------------------------------

/// xorshift64*, for reproducible random edits.
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

/// UTF-16 LSP position of a byte offset; lines end at LF, CRLF or a lone CR.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let bytes = text.as_bytes();
    let mut line = 0;
    let mut line_start = 0;
    for (i, &b) in before.as_bytes().iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    let character = before[line_start..].encode_utf16().count();
    (line, u32::try_from(character).unwrap_or(u32::MAX))
}

/// A random char boundary of `text` that is not between a CR and its LF.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let mut i = rng.below(text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    if i > 0 && text.as_bytes()[i - 1] == b'\r' && text.as_bytes().get(i) == Some(&b'\n') {
        i -= 1;
    }
    i
}

#[test]
fn a_burst_of_1000_changes_is_applied_in_order() {
    let _heavy = HEAVY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut client = ready();
    let pieces = [
        "a",
        "é",
        "🐳",
        "日本",
        "\n",
        "\r\n",
        "\r",
        " \\\n",
        "RUN pip install x\n",
        "&& ",
        "<<EOF\n",
        "EOF\n",
        "\"",
        "[",
    ];
    let mut rng = Rng(0x00c0_ffee);
    let mut text = TEXT.to_string();
    let mut version = 1;
    for _ in 0..1000 {
        let start = boundary(&mut rng, &text);
        let end = if rng.below(3) == 0 {
            boundary(&mut rng, &text).max(start)
        } else {
            start
        };
        let end = if text.as_bytes().get(end.wrapping_sub(1)) == Some(&b'\r')
            && text.as_bytes().get(end) == Some(&b'\n')
        {
            end - 1
        } else {
            end
        };
        let end = end.max(start);
        let new = pieces[rng.below(pieces.len())];
        let change = range_change(position(&text, start), position(&text, end), new);
        text.replace_range(start..end, new);
        version += 1;
        client.did_change(DOC, version, change);
    }
    // every publication in version order; the last is the final version's
    let mut last = Value::Null;
    let mut versions = Vec::new();
    while last["version"] != version {
        last = client.wait_diagnostics(DOC, None);
        versions.push(last["version"].as_i64().unwrap_or(-1));
    }
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    client.did_open("untitled:fresh", &text, 1);
    let fresh = client.wait_diagnostics("untitled:fresh", Some(1));
    assert_eq!(ranges(&last), ranges(&fresh), "final text {text:?}");
    let symbols = |client: &mut LspClient, uri: &str| {
        client.request_ok(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        )
    };
    assert_eq!(
        symbols(&mut client, DOC),
        symbols(&mut client, "untitled:fresh")
    );
    shutdown(client);
}

#[test]
fn hostile_settings_are_reported_not_fatal() {
    let mut client = ready();
    let long = "x".repeat(100_000);
    for settings in [
        json!(null),
        json!([1, 2, 3]),
        json!("layerwise"),
        json!({"layerwise": 5}),
        json!({"layerwise": {"rules": 5}}),
        json!({"layerwise": {"rules": {"cache-busting-copy": 5, "no-such-rule": "off", "": null}}}),
        json!({"layerwise": {"rules": {"cache-busting-copy": long}}}),
        json!({"layerwise": {"select": "not-a-list", "ignore": [1, null, {}]}}),
        json!({"layerwise": {"rules": {"syntax": "off"}, "unknownKey": {"deep": [[[[]]]]}}}),
    ] {
        client.notify(
            "workspace/didChangeConfiguration",
            json!({"settings": settings}),
        );
        assert_alive(&mut client);
    }
    // a sane setting still applies afterwards
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"layerwise": {"rules": {"cache-busting-copy": "off"}}}}),
    );
    client.did_change(DOC, 2, range_change((0, 0), (0, 0), "# x\n"));
    let published = client.wait_diagnostics(DOC, Some(2));
    assert!(
        !published["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["code"] == "cache-busting-copy"),
        "{published}"
    );
    shutdown(client);
}

// ----- hostile build contexts ---------------------------------------------------------------

/// A folder with `files`, removed on drop.
fn context(files: &[(&str, &[u8])]) -> common::project::Project {
    common::project::Project::new("lsp-hostile", files)
}

/// A Dockerfile whose analysis reads `go.mod` and the build files next to it.
const READS_CONTEXT: &str = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nFROM appbase\nCOPY --from=0 /app /app\n";

/// A FIFO, a link to the server's own stdin and a link to `/dev/zero`, named like the files the
/// analysis reads: diagnostics still come at once, the server keeps answering (it did not read
/// the client's messages as a manifest), its memory stays small, and stderr names the files.
#[test]
fn fifo_and_device_manifests_are_not_read() {
    let p = context(&[("Dockerfile", READS_CONTEXT.as_bytes())]);
    if !std::process::Command::new("mkfifo")
        .arg(p.join("Makefile"))
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("SKIPPED fifo_and_device_manifests_are_not_read: mkfifo is not available");
        return;
    }
    std::os::unix::fs::symlink("/dev/stdin", p.join("go.mod")).expect("link");
    std::os::unix::fs::symlink("/dev/zero", p.join("compose.yaml")).expect("link");
    let mut client = spawn();
    client.initialize(json!({}));
    let uri = p.uri("Dockerfile");
    client.did_open(&uri, READS_CONTEXT, 1);
    let published = client.wait_diagnostics(&uri, Some(1));
    assert!(published["diagnostics"].is_array(), "{published}");
    for version in 2..6 {
        client.did_change(&uri, version, range_change((0, 0), (0, 0), "# x\n"));
        client.wait_diagnostics(&uri, Some(version));
    }
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(symbols.is_array(), "{symbols}");
    assert!(
        rss_mb(client.pid()) < 200,
        "RSS {} MB",
        rss_mb(client.pid())
    );
    for name in ["Makefile", "go.mod", "compose.yaml"] {
        assert!(
            client.stderr_gets(&format!("{name}: skipped: not a regular file")),
            "{name}: {}",
            client.stderr()
        );
    }
    shutdown(client);
}

/// The CPU time process `pid` used so far, in clock ticks (0 when unknown).
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // after the command name in parentheses: state is field 3, utime 14, stime 15
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// The resident memory of process `pid` in MB (0 when unknown).
fn rss_mb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb / 1024)
}

// ----- slow clients ---------------------------------------------------------------------------

/// A server driven by hand: its stdin written by the test, its stdout read (or not) as the test
/// decides, its stderr drained. Killed on drop.
struct RawServer {
    child: std::process::Child,
}

impl RawServer {
    fn spawn() -> (Self, std::process::ChildStdin, std::process::ChildStdout) {
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_layerwise"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        (Self { child }, stdin, stdout)
    }

    fn rss_mb(&self) -> u64 {
        rss_mb(self.child.id())
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes one framed message.
fn send(to: &mut impl std::io::Write, message: &Value) -> std::io::Result<()> {
    to.write_all(&frame(message.to_string().as_bytes()))?;
    to.flush()
}

/// A Dockerfile with `lines` installs, each worth a few diagnostics (some hundred kilobytes of
/// them in all).
fn noisy(lines: usize) -> String {
    let mut text = String::from("FROM ubuntu\n");
    for i in 0..lines {
        text.push_str(&format!(
            "RUN apt-get install -y pkg{i} && pip install lib{i}\n"
        ));
    }
    text
}

fn did_change(uri: &str, version: i64, line: u32, text: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                                      "end": {"line": line, "character": 0}}, "text": text}],
    }})
}

/// `initialize` (its answer read from `stdout`: the server drops what comes before it), then
/// `initialized` and `didOpen`.
fn initialize_and_open(
    stdin: &mut impl std::io::Write,
    stdout: &mut impl std::io::BufRead,
    uri: &str,
    text: &str,
) {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"processId": null, "rootUri": null, "capabilities": {}}});
    send(stdin, &initialize).expect("send");
    loop {
        let body = common::lsp::read_frame(stdout)
            .expect("a frame")
            .expect("the server answers initialize");
        let message: Value = serde_json::from_slice(&body).expect("JSON");
        if message["id"] == 1 {
            break;
        }
    }
    let messages = [
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
            {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}}}),
    ];
    for message in &messages {
        send(stdin, message).expect("send");
    }
}

/// A client that never reads its input: edits (each worth hundreds of kilobytes of
/// diagnostics) and thousands of document-symbol requests. The server's memory stays under
/// 200 MB: diagnostics wait coalesced, and requests stop being read once the output is behind.
#[test]
fn a_client_that_never_reads_does_not_grow_the_server() {
    let _heavy = HEAVY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (server, mut stdin, stdout) = RawServer::spawn();
    let mut stdout = std::io::BufReader::new(stdout);
    let uri = "untitled:never-read";
    initialize_and_open(&mut stdin, &mut stdout, uri, &noisy(150));
    let pid = server.child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    // the writes block once the server stops reading: write from a thread
    let writer = std::thread::spawn(move || {
        for version in 2..200 {
            if send(&mut stdin, &did_change(uri, version, 1, "# x\n")).is_err() {
                return;
            }
        }
        for id in 10..8000 {
            // answered beside the router, and through it
            let method = if id % 2 == 0 {
                "textDocument/documentSymbol"
            } else {
                "textDocument/foldingRange"
            };
            let request = json!({"jsonrpc": "2.0", "id": id,
                "method": method, "params": {"textDocument": {"uri": uri}}});
            if send(&mut stdin, &request).is_err() {
                return;
            }
        }
        let _ = done_tx.send(());
    });
    let start = Instant::now();
    let mut peak = 0;
    while start.elapsed() < Duration::from_secs(20) {
        peak = peak.max(rss_mb(pid));
        if done_rx.try_recv().is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    peak = peak.max(server.rss_mb());
    drop(server);
    drop(stdout);
    let _ = writer.join();
    eprintln!("peak {peak} MB after {:?}", start.elapsed());
    assert!(peak > 0, "cannot read the server's memory");
    assert!(peak < 200, "the server grew to {peak} MB");
}

/// A client that reads at 2 MB/s while the user types: each version's diagnostics are a few
/// hundred kilobytes, so sending every version would fall further behind at each keystroke.
/// Only the newest set per document waits to be written: the final version's diagnostics arrive
/// within a second of the last keystroke.
#[test]
fn a_slow_reader_gets_the_final_diagnostics_at_once() {
    // timed: the CPU-heavy tests of this file wait
    let _alone = HEAVY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    use std::io::Read;
    let (server, mut stdin, stdout) = RawServer::spawn();
    let mut stdout = std::io::BufReader::new(stdout);
    let uri = "untitled:slow-reader";
    initialize_and_open(&mut stdin, &mut stdout, uri, &noisy(150));
    let last_version = 60;
    let (seen_tx, seen_rx) = std::sync::mpsc::channel::<(i64, Instant)>();
    // reads 2 MB/s: 20 KB every 10 ms
    std::thread::spawn(move || {
        struct Throttled<R>(R);
        impl<R: Read> Read for Throttled<R> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::thread::sleep(Duration::from_millis(10));
                let n = buf.len().min(20_000);
                self.0.read(&mut buf[..n])
            }
        }
        let mut reader = std::io::BufReader::with_capacity(20_000, Throttled(stdout.into_inner()));
        while let Ok(Some(body)) = common::lsp::read_frame(&mut reader) {
            let Ok(message) = serde_json::from_slice::<Value>(&body) else {
                continue;
            };
            if message["method"] == "textDocument/publishDiagnostics" {
                let version = message["params"]["version"].as_i64().unwrap_or(-1);
                if seen_tx.send((version, Instant::now())).is_err() {
                    return;
                }
            }
        }
    });
    // typing: a keystroke every 60 ms (about what a debug build needs to analyse one)
    for version in 2..=last_version {
        send(&mut stdin, &did_change(uri, version, 1, "x")).expect("send");
        std::thread::sleep(Duration::from_millis(60));
    }
    let last_keystroke = Instant::now();
    // when the server is slower than the typing (a debug build on a busy machine), it is still
    // analysing after the last keystroke: count from when its CPU use stops (writing to a slow
    // client costs next to none)
    let pid = server.child.id();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let sampler = std::thread::spawn(move || {
        let mut busy_until = Instant::now();
        let mut last = cpu_ticks(pid);
        while stop_rx.recv_timeout(Duration::from_millis(50)).is_err() {
            let now = cpu_ticks(pid);
            // more than 20 ms of CPU in 50 ms: analysing
            if now > last + 2 {
                busy_until = Instant::now();
            }
            last = now;
        }
        busy_until
    });
    let mut versions = Vec::new();
    let arrived = loop {
        match seen_rx.recv_timeout(Duration::from_secs(60)) {
            Ok((version, at)) => {
                versions.push(version);
                if version == last_version {
                    break at;
                }
            }
            Err(e) => panic!("no diagnostics for the last version ({e}): {versions:?}"),
        }
    };
    let _ = stop_tx.send(());
    let busy_until = sampler.join().expect("sampler");
    let late = arrived.saturating_duration_since(last_keystroke.max(busy_until));
    eprintln!(
        "final diagnostics {late:?} after the last keystroke (or the end of the analysis, {:?} \
         after it); versions sent: {}; RSS {} MB",
        busy_until.saturating_duration_since(last_keystroke),
        versions.len(),
        server.rss_mb()
    );
    assert!(late < Duration::from_secs(1), "{late:?}: {versions:?}");
    assert!(server.rss_mb() < 200);
}

/// A build context that is slow to load (a `.dockerignore` of a megabyte, just under the cap:
/// about a second to read and parse in a debug build) is loaded when the document opens and
/// refreshed in the background afterwards: no keystroke waits for it, also when a refresh is due.
#[test]
fn a_slow_build_context_is_never_reloaded_on_a_keystroke() {
    let _heavy = HEAVY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut ignore = String::new();
    let mut n = 0;
    while ignore.len() < 1_000_000 {
        ignore.push_str(&format!("some/long/pattern{n}/**/*.tmp\n"));
        n += 1;
    }
    ignore.truncate(1_000_000);
    let text = "FROM python:3.12-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n";
    let p = context(&[
        ("Dockerfile", text.as_bytes()),
        (".dockerignore", ignore.as_bytes()),
    ]);
    let mut client = spawn();
    client.set_timeout(Duration::from_secs(30));
    client.initialize(json!({}));
    let uri = p.uri("Dockerfile");
    client.did_open(&uri, text, 1);
    client.wait_diagnostics(&uri, Some(1));
    // type for 5 s: two refreshes fall due meanwhile
    let mut worst = Duration::ZERO;
    let start = Instant::now();
    let mut version = 1;
    while start.elapsed() < Duration::from_secs(5) {
        version += 1;
        let sent = Instant::now();
        client.did_change(&uri, version, range_change((0, 0), (0, 0), "#\n"));
        client.wait_diagnostics(&uri, Some(version));
        worst = worst.max(sent.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "slowest keystroke: {worst:?} over {} keystrokes",
        version - 1
    );
    assert!(worst < Duration::from_millis(500), "{worst:?}");
    shutdown(client);
}

/// A change on disk still reaches the analysis: once the background refresh has loaded the new
/// context, the next keystroke uses it.
#[test]
fn a_changed_build_context_is_picked_up_after_the_refresh() {
    let text = "FROM python:3.12-slim\nCOPY . /app\n";
    let p = context(&[("Dockerfile", text.as_bytes())]);
    let mut client = spawn();
    client.initialize(json!({}));
    let uri = p.uri("Dockerfile");
    client.did_open(&uri, text, 1);
    let has_missing = |published: &Value| {
        published["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["code"] == "missing-dockerignore")
    };
    assert!(has_missing(&client.wait_diagnostics(&uri, Some(1))));
    p.write(".dockerignore", ".git\n");
    let start = Instant::now();
    let mut version = 1;
    loop {
        version += 1;
        client.did_change(&uri, version, range_change((0, 0), (0, 0), "#\n"));
        if !has_missing(&client.wait_diagnostics(&uri, Some(version))) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the new .dockerignore was never seen"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    shutdown(client);
}

/// A `didChange` whose text holds a lone surrogate escape is kept, the character replaced by
/// U+FFFD, so the server's copy does not drift from the editor's.
#[test]
fn a_lone_surrogate_in_a_change_is_replaced_not_dropped() {
    let mut client = ready();
    let body = format!(
        r##"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{DOC}","version":2}},"contentChanges":[{{"range":{{"start":{{"line":0,"character":0}},"end":{{"line":0,"character":0}}}},"text":"# \udc80\n"}}]}}}}"##
    );
    client.send_raw(&frame(body.as_bytes()));
    client.wait_diagnostics(DOC, Some(2));
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": DOC}}),
    );
    // the stage moved down one line: the edit was applied
    assert_eq!(
        symbols[0]["selectionRange"]["start"]["line"], 1,
        "{symbols}"
    );
    shutdown(client);
}

/// A second `initialize` is refused, also when it comes before the first is answered: the
/// session keeps the encoding it agreed on.
#[test]
fn a_second_initialize_is_refused() {
    let mut client = spawn();
    let params = |enc: &str| {
        json!({"processId": null, "rootUri": null,
               "capabilities": {"general": {"positionEncodings": [enc]}}})
    };
    let first = client.send_request_no_wait("initialize", params("utf-16"));
    let second = client.send_request_no_wait("initialize", params("utf-8"));
    let first = client.wait_response(first);
    let second = client.wait_response(second);
    assert!(first.is_ok(), "{first:?}");
    let error = second.expect_err("the second is refused");
    assert_eq!(code(&error), INVALID_REQUEST, "{error}");
    client.notify("initialized", json!({}));
    client.did_open(DOC, TEXT, 1);
    client.wait_diagnostics(DOC, Some(1));
    assert_alive(&mut client);
    shutdown(client);
}

/// 5,000 unknown rule names in the settings raise one message that names a few and counts the
/// rest, not 5,000 popups.
#[test]
fn many_unknown_rule_names_give_one_message() {
    let mut client = ready();
    let rules: serde_json::Map<String, Value> = (0..5000)
        .map(|i| (format!("no-such-rule-{i}"), json!("off")))
        .collect();
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"layerwise": {"rules": rules}}}),
    );
    assert_alive(&mut client);
    client.did_change(DOC, 2, range_change((0, 0), (0, 0), "# x\n"));
    client.wait_diagnostics(DOC, Some(2));
    let messages = client.drain_notifications("window/showMessage");
    assert_eq!(messages.len(), 1, "{messages:?}");
    let text = messages[0]["message"].as_str().unwrap_or("");
    assert!(
        text.contains("`no-such-rule-0`") && text.contains("and 4990 more"),
        "{text}"
    );
    shutdown(client);
}

/// Closing a huge document gives its memory back: the server keeps less than one and a half
/// times the document's size above what it used before (it kept over three times as much).
#[test]
fn closing_a_huge_document_releases_its_memory() {
    let _heavy = HEAVY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut client = ready();
    let before = rss_mb(client.pid());
    let mb: u64 = 16;
    let text = "RUN echo hello world\n".repeat(((mb << 20) / 21) as usize);
    client.did_open("untitled:huge-closed", &text, 1);
    client.wait_diagnostics("untitled:huge-closed", Some(1));
    drop(text);
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": "untitled:huge-closed"}}),
    );
    client.wait_diagnostics("untitled:huge-closed", None);
    assert_alive(&mut client);
    let after = rss_mb(client.pid());
    eprintln!("RSS {before} MB before a {mb} MB document, {after} MB after it was closed");
    assert!(after < before + mb * 3 / 2, "{before} MB -> {after} MB");
    shutdown(client);
}

// ----- soak ---------------------------------------------------------------------------------

/// Random edits and requests for 30 minutes (`LAYERWISE_SOAK_SECS` sets another length): the
/// server's memory stays flat (within 10 MB after the first tenth, the warm-up) and no request
/// is answered later than 100 ms after it was sent. Not run by CI:
/// `cargo test --test lsp_hostile -- --ignored soak --nocapture`; figures in server/FUZZING.md.
#[test]
#[ignore = "30 minutes; run by hand"]
fn soak_random_edits_and_requests() {
    let secs: u64 = std::env::var("LAYERWISE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1800);
    let pieces = [
        "FROM python:3.12-slim AS build\n",
        "FROM node:20\n",
        "RUN apt-get update && apt-get install -y curl\n",
        "RUN pip install -r requirements.txt\n",
        "COPY . /app\n",
        "WORKDIR /app\n",
        "ARG DIR=srv\n",
        "ENV PATH=/app/bin:$PATH\n",
        "CMD [\"python\", \"app.py\"]\n",
        "RUN <<EOF\nset -e\necho hi\nEOF\n",
        " \\\n  && ",
        "$",
        "é",
        "\n",
        "\"",
    ];
    let requests = [
        "textDocument/hover",
        "textDocument/documentSymbol",
        "textDocument/codeAction",
        "textDocument/completion",
        "textDocument/semanticTokens/full",
        "textDocument/foldingRange",
    ];
    let mut client = ready();
    client.set_timeout(Duration::from_secs(30));
    let pid = client.pid();
    let mut rng = Rng(0x5eed_50a1);
    let mut text = TEXT.to_string();
    let mut version = 1;
    let start = Instant::now();
    let warm_up = Duration::from_secs(secs / 10);
    let (mut low, mut high) = (u64::MAX, 0u64);
    let mut worst = Duration::ZERO;
    let mut answered = 0u64;
    let mut latencies = Vec::new();
    let mut last_sample = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        // an edit: insert a piece, or delete a stretch (more often when the text is long)
        let at = boundary(&mut rng, &text);
        let delete = text.len() > 4000 || rng.below(3) == 0;
        let end = if delete {
            boundary(&mut rng, &text).max(at).min(at + 400)
        } else {
            at
        };
        let end = (end..=text.len())
            .find(|&e| text.is_char_boundary(e) && !text[..e].ends_with('\r'))
            .unwrap_or(text.len());
        let new = if delete {
            ""
        } else {
            pieces[rng.below(pieces.len())]
        };
        let change = range_change(position(&text, at), position(&text, end), new);
        text.replace_range(at..end, new);
        version += 1;
        client.did_change(DOC, version, change);
        // a request about a random place
        let method = requests[rng.below(requests.len())];
        let (line, character) = position(&text, boundary(&mut rng, &text));
        let place = json!({"line": line, "character": character});
        let params = json!({
            "textDocument": {"uri": DOC},
            "position": place,
            "range": {"start": place, "end": place},
            "context": {"diagnostics": []},
        });
        let sent = Instant::now();
        let id = client.send_request_no_wait(method, params);
        let _ = client.wait_response(id);
        let took = sent.elapsed();
        worst = worst.max(took);
        latencies.push(took);
        answered += 1;
        let _ = client.drain_notifications("textDocument/publishDiagnostics");
        if last_sample.elapsed() >= Duration::from_secs(5) {
            last_sample = Instant::now();
            if start.elapsed() >= warm_up {
                let rss = rss_mb(pid);
                low = low.min(rss);
                high = high.max(rss);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    let late = latencies
        .iter()
        .filter(|t| **t > Duration::from_millis(100))
        .count();
    eprintln!(
        "soak: {secs} s, {} edits, {answered} requests, answers p50 {:?} p99 {:?} slowest {worst:?}, {late} over 100 ms, RSS after warm-up {low}..{high} MB",
        version - 1,
        at(0.5),
        at(0.99)
    );
    assert!(high >= low, "no memory samples");
    assert!(high - low <= 10, "RSS grew from {low} to {high} MB");
    assert!(
        worst <= Duration::from_millis(100),
        "slowest answer {worst:?}"
    );
    shutdown(client);
}

/// A client that can watch files is asked to watch the context's ignore files and manifests; a
/// change it reports reloads the context at once, without waiting for the quiet period.
#[test]
fn a_watched_file_change_reloads_the_context_at_once() {
    let text = "FROM python:3.12-slim\nCOPY . /app\n";
    let p = context(&[("Dockerfile", text.as_bytes())]);
    let mut client = spawn();
    client
        .initialize(json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}));
    let registration = client.wait_server_request("client/registerCapability", |_| true);
    let watchers = &registration["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert!(
        watchers
            .as_array()
            .into_iter()
            .flatten()
            .any(|w| w["globPattern"] == "**/.dockerignore"),
        "{registration}"
    );
    let uri = p.uri("Dockerfile");
    client.did_open(&uri, text, 1);
    let has_missing = |published: &Value| {
        published["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["code"] == "missing-dockerignore")
    };
    let opened = Instant::now();
    assert!(has_missing(&client.wait_diagnostics(&uri, Some(1))));
    p.write(".dockerignore", ".git\n");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": p.uri(".dockerignore"), "type": 1}]}),
    );
    std::thread::sleep(Duration::from_millis(300));
    client.did_change(&uri, 2, range_change((0, 0), (0, 0), "#\n"));
    let published = client.wait_diagnostics(&uri, Some(2));
    // well inside the quiet period, which alone would not have reloaded it yet
    assert!(
        opened.elapsed() < Duration::from_secs(2),
        "too slow to tell"
    );
    assert!(!has_missing(&published), "{published}");
    shutdown(client);
}
