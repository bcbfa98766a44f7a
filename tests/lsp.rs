//! End-to-end tests of `layerwise lsp`: the real binary driven over stdio.
//!
//! Helpers at the bottom keep the tests reading like data: a [`Project`] is a temporary folder
//! with files, a [`Session`] is an initialised server, edits are written as
//! `("context with ⟦replaced part⟧", "replacement")` and applied to a local copy of the text,
//! and diagnostics are compared as `(rule, line, character)` summaries.

mod common;
use common::project::Project;

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use common::lsp::LspClient;
use serde_json::{json, Value};

const PYTHON: &str = "FROM python:3.8.0-slim\nCOPY . /app\nRUN pip install -r requirements.txt\n";
const INVALID_PARAMS: i64 = -32602;

// ----- initialize --------------------------------------------------------------------------

#[test]
fn initialize_negotiates_encoding_and_announces_capabilities() {
    let cases: &[(Option<&[&str]>, &str)] = &[
        (Some(&["utf-16", "utf-8"]), "utf-8"),
        (Some(&["utf-8"]), "utf-8"),
        (Some(&["utf-16"]), "utf-16"),
        (Some(&["utf-32"]), "utf-16"),
        (None, "utf-16"),
    ];
    for &(offered, expected) in cases {
        let mut client = spawn();
        let result = client.initialize(capabilities(offered, false));
        let caps = &result["capabilities"];
        assert_eq!(caps["positionEncoding"], expected, "offered {offered:?}");
        assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
        assert_eq!(caps["textDocumentSync"]["openClose"], true);
        assert_eq!(caps["hoverProvider"], true);
        assert_eq!(caps["documentSymbolProvider"], true);
        assert_eq!(
            caps["codeActionProvider"]["codeActionKinds"],
            json!([
                "quickfix",
                "refactor.rewrite",
                "refactor.extract",
                "source.fixAll.layerwise"
            ])
        );
        assert_eq!(result["serverInfo"]["name"], "layerwise");
        assert!(result["serverInfo"]["version"].is_string());
        assert!(client.shutdown_and_exit().success());
    }
}

// ----- diagnostics -------------------------------------------------------------------------

#[test]
fn did_open_reports_findings_with_the_build_context() {
    let project = project("open", &[]);
    let mut s = Session::start(&["utf-16"]);
    let uri = project.uri("Dockerfile");
    let params = s.open(&uri, PYTHON);
    let found = summary(&params["diagnostics"]);
    for expected in [("cache-busting-copy", 1, 0), ("missing-dockerignore", 1, 0)] {
        assert!(
            found.contains(&own(expected)),
            "{expected:?} not in {found:?}"
        );
    }
    let copy = find(&params["diagnostics"], "cache-busting-copy");
    assert_eq!(copy["source"], "layerwise");
    assert_eq!(copy["severity"], 2);
    // a link only to a real address: the package's `repository`, which Cargo.toml does not set
    match layerwise::rules::docs::rule_url("cache-busting-copy") {
        Some(url) => assert_eq!(copy["codeDescription"]["href"], url.as_str()),
        None => assert!(copy.get("codeDescription").is_none(), "{copy}"),
    }
    assert_eq!(copy["range"], range((1, 0), (1, 11)));
    // the install it invalidates, in the same document
    let related = &copy["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri.as_str());
    assert_eq!(related["location"]["range"]["start"]["line"], 2);
    assert!(related["message"].as_str().is_some_and(|m| !m.is_empty()));
    s.finish();
}

#[test]
fn broken_syntax_is_reported() {
    let project = project("syntax", &[]);
    let mut s = Session::start(&[]);
    let uri = project.uri("Dockerfile");
    let found = summary(&s.open(&uri, "FROM alpine:3.20\nCOP . /app\n")["diagnostics"]);
    assert!(found.contains(&own(("syntax", 1, 0))), "{found:?}");
    s.finish();
}

#[test]
fn unsaved_documents_have_no_build_context() {
    let mut s = Session::start(&[]);
    let uri = "untitled:Untitled-1";
    let found = summary(&s.open(uri, PYTHON)["diagnostics"]);
    assert!(
        found.contains(&own(("cache-busting-copy", 1, 0))),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(rule, ..)| rule == "missing-dockerignore"),
        "no folder, no .dockerignore finding: {found:?}"
    );
    s.finish();
}

#[test]
fn ranges_use_the_negotiated_encoding() {
    // `pip` starts after an emoji: 2 UTF-16 code units, 4 UTF-8 bytes.
    let text = "FROM python:3.12\nRUN echo 🐳 && pip install flask\n";
    for (offered, character) in [(&["utf-16"][..], 15), (&["utf-8", "utf-16"][..], 17)] {
        let mut s = Session::start(offered);
        let uri = "untitled:enc";
        let params = s.open(uri, text);
        let pip = find(&params["diagnostics"], "pip-no-cache-dir");
        assert_eq!(
            pip["range"]["start"],
            json!({"line": 1, "character": character})
        );
        s.finish();
    }
}

/// Edits with emoji, CJK and CRLF, one notification each, each answered by diagnostics for its
/// version; at the end the diagnostics equal those of the final text opened afresh.
#[test]
fn incremental_edits_match_a_fresh_open() {
    type Steps = &'static [&'static [(&'static str, &'static str)]];
    const LF: Steps = &[
        &[("⟦⟧FROM", "# 🐳 build 日本語\n")],
        &[("COPY . ⟦/app⟧", "/srv/😀app")],
        &[("-r ⟦requirements⟧.txt", "要件")],
        &[("要件.txt⟦⟧", " && echo 🎉")],
        // two changes in one notification, applied in order
        &[
            ("⟦# 🐳 build 日本語\n⟧", ""),
            ("FROM python:3.8.0-slim⟦⟧", "\nWORKDIR /w"),
        ],
        &[("⟦COPY⟧ .", "ADD")],
        &[("echo 🎉⟦⟧", "\nCMD [\"python\"]\n")],
        // join two lines, then split them again
        &[("/w⟦\n⟧ADD", " ")],
        &[("/w⟦ ⟧ADD", "\n")],
    ];
    const CRLF: Steps = &[
        &[("3.8.0-slim⟦⟧\r\n", "\r\nENV LANG=C.UTF-8 NAME=ñandú")],
        &[("ñandú⟦\r\n⟧COPY", "\r\n\r\n# 漢字 ✨\r\n")],
        &[("⟦漢字⟧", "🦀")],
        &[("/app⟦\r\n⟧RUN", "\r\nRUN apt-get update\r\n")],
        &[("⟦RUN apt-get update\r\n⟧", "")],
    ];
    let crlf_text = PYTHON.replace('\n', "\r\n");
    for (offered, initial, steps) in [
        (&["utf-16"][..], PYTHON, LF),
        (&["utf-8"][..], PYTHON, LF),
        (&["utf-16"][..], crlf_text.as_str(), CRLF),
        (&["utf-8", "utf-16"][..], crlf_text.as_str(), CRLF),
    ] {
        let project = project("incremental", &[]);
        let uri = project.uri("Dockerfile");
        let mut s = Session::start(offered);
        let mut text = initial.to_string();
        let mut published = s.open(&uri, &text);
        for step in steps {
            let changes: Vec<Value> = step
                .iter()
                .map(|&(context, new)| s.edit(&mut text, context, new))
                .collect();
            published = s.change(&uri, Value::Array(changes));
        }
        assert_eq!(
            normalized(&published),
            s.fresh_diagnostics(&uri, &text),
            "{offered:?} final text {text:?}"
        );
        s.finish();
    }
}

/// 300 changes sent without waiting: the diagnostics arrive in version order and the last
/// version's match the final text.
#[test]
fn a_burst_of_changes_ends_with_the_final_texts_diagnostics() {
    let project = project("burst", &[]);
    let uri = project.uri("Dockerfile");
    let mut s = Session::start(&["utf-16"]);
    let mut text = PYTHON.to_string();
    s.open(&uri, &text);
    // typing at the end of the RUN line (before the final line break), with some deletions
    let pieces = [
        "ü",
        "🐳",
        " x",
        " \\\n  ",
        "日",
        " && echo 😀",
        " ; pip install flask",
    ];
    let mut last = 0;
    for i in 0..300 {
        let end = text.len() - 1;
        let change = if i % 5 == 4 {
            let last_char = text[..end].chars().next_back().map_or(0, char::len_utf8);
            s.edit_bytes(&mut text, end - last_char, end, "")
        } else {
            s.edit_bytes(&mut text, end, end, pieces[i % pieces.len()])
        };
        last = s.send_change(&uri, change);
    }
    let publications = s.diagnostics_until(&uri, last);
    let versions: Vec<i64> = publications
        .iter()
        .map(|p| p["version"].as_i64().unwrap_or(-1))
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "in order: {versions:?}"
    );
    let final_published = publications.last().cloned().unwrap_or_default();
    assert_eq!(
        normalized(&final_published),
        s.fresh_diagnostics(&uri, &text)
    );
    s.finish();
}

#[test]
fn every_change_is_published_in_order() {
    let mut s = Session::start(&["utf-16"]);
    let uri = "untitled:order";
    s.open(uri, PYTHON);
    let mut last = 0;
    for n in 0..60 {
        last = s.send_change(
            uri,
            json!({"text": format!("FROM alpine:3.{n}\nCOPY . /x\nRUN npm ci\n")}),
        );
    }
    let versions: Vec<i64> = s
        .diagnostics_until(uri, last)
        .iter()
        .map(|p| p["version"].as_i64().unwrap_or(-1))
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "in order: {versions:?}"
    );
    s.finish();
}

#[test]
fn positions_past_the_end_are_clamped() {
    let mut s = Session::start(&["utf-16"]);
    let uri = "untitled:clamp";
    s.open(uri, "FROM alpine:3.20\nRUN true");
    let changes = [
        // a character past the end of line 0 clamps to its end
        (
            range_change((0, 99), (0, 120), " AS base"),
            "FROM alpine:3.20 AS base\nRUN true",
        ),
        // a line past the end clamps to the end of the document
        (
            range_change((9, 3), (12, 0), "\nUSER app"),
            "FROM alpine:3.20 AS base\nRUN true\nUSER app",
        ),
        // an inverted range is normalised
        (
            range_change((1, 8), (1, 4), "false"),
            "FROM alpine:3.20 AS base\nRUN false\nUSER app",
        ),
    ];
    for (change, expected) in changes {
        let published = s.change(uri, change);
        assert_eq!(
            normalized(&published),
            s.fresh_diagnostics(uri, expected),
            "{expected:?}"
        );
    }
    s.finish();
}

#[test]
fn stale_and_unknown_changes_are_ignored() {
    let mut s = Session::start(&["utf-16"]);
    let uri = "untitled:stale";
    s.open(uri, "FROM alpine:3.20\n");
    // an older or equal version, and a document that is not open: both ignored
    s.client.did_change(uri, 1, json!({"text": "COP . /x\n"}));
    s.client
        .did_change("untitled:nobody", 5, json!({"text": "COP . /x\n"}));
    // the server still answers, and the document still has its text
    let symbols = s.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(symbol_names(&symbols), ["FROM alpine:3.20"]);
    let published = s.change(uri, range_change((1, 0), (1, 0), "COPY . /x\n"));
    assert_eq!(published["version"], 2);
    assert_eq!(
        normalized(&published),
        s.fresh_diagnostics(uri, "FROM alpine:3.20\nCOPY . /x\n")
    );
    assert!(s.client.stderr_gets("not open"), "{}", s.client.stderr());
    s.finish();
}

#[test]
fn documents_above_5_mb_get_one_notice_and_no_analysis() {
    let mut s = Session::start(&["utf-16"]);
    let uri = "untitled:big";
    let big = format!(
        "FROM alpine:3.20\n{}",
        "RUN echo 0123456789abcdef\n".repeat(220_000)
    );
    assert!(big.len() > 5 * 1024 * 1024);
    let published = s.open(uri, &big);
    let diagnostics = published["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(diagnostics.len(), 1, "{published}");
    assert_eq!(diagnostics[0]["severity"], 3);
    assert_eq!(diagnostics[0]["range"], range((0, 0), (0, 0)));
    assert!(diagnostics[0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("5 MB"));
    // said once: a change while still too large publishes nothing new
    s.send_change(uri, range_change((0, 0), (0, 0), "# hi\n"));
    s.client.expect_no_notification(
        "textDocument/publishDiagnostics",
        |_| true,
        Duration::from_millis(200),
    );
    // shrinking it below the limit brings the analysis back
    let published = s.change(uri, json!({"text": PYTHON}));
    assert_eq!(published["version"], 3);
    assert!(summary(&published["diagnostics"]).contains(&own(("cache-busting-copy", 1, 0))));
    s.finish();
}

// ----- settings ----------------------------------------------------------------------------

#[test]
fn settings_from_every_source_apply() {
    let project = project(
        "settings",
        &[(".layerwise.toml", "[rules]\npip-no-cache-dir = \"off\"\n")],
    );
    let uri = project.uri("Dockerfile");
    let rules_of = |params: &Value| -> Vec<(String, i64)> {
        let mut rules: Vec<(String, i64)> = params["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                (
                    d["code"].as_str().unwrap_or("").to_string(),
                    d["severity"].as_i64().unwrap_or(0),
                )
            })
            .collect();
        rules.sort();
        rules
    };
    let expect = |rules: &[(&str, i64)]| -> Vec<(String, i64)> {
        rules.iter().map(|&(r, s)| (r.to_string(), s)).collect()
    };

    // `.layerwise.toml` turns pip-no-cache-dir off; initializationOptions lower
    // missing-dockerignore to a hint.
    let mut client = spawn();
    client.initialize_with_params(json!({
        "processId": null,
        "rootUri": null,
        "capabilities": capabilities(None, false),
        "initializationOptions": {"rules": {"missing-dockerignore": "hint", "no-such-rule": "off"}},
    }));
    // an unknown rule in the settings is shown to the user, the rest applies
    let message = client.wait_notification("window/showMessage", |_| true);
    assert!(
        message["message"]
            .as_str()
            .unwrap_or("")
            .contains("no-such-rule"),
        "{message}"
    );
    client.did_open(&uri, PYTHON, 1);
    let params = client.wait_diagnostics(&uri, Some(1));
    assert_eq!(
        rules_of(&params),
        expect(&[("cache-busting-copy", 2), ("missing-dockerignore", 4)])
    );

    // didChangeConfiguration, wrapped in the section name, re-publishes open documents
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"layerwise": {"rules": {"cache-busting-copy": "error", "pip-no-cache-dir": "info"}}}}),
    );
    let params = client.wait_diagnostics(&uri, Some(1));
    assert_eq!(
        rules_of(&params),
        expect(&[
            ("cache-busting-copy", 1),
            ("missing-dockerignore", 2),
            ("pip-no-cache-dir", 3)
        ])
    );
    assert!(client.shutdown_and_exit().success());

    // pulled with workspace/configuration after `initialized`
    let mut client = spawn();
    client.set_configuration(json!({"rules": {"cache-busting-copy": "off"}}));
    client.initialize(capabilities(None, true));
    let request = client.wait_server_request("workspace/configuration", |_| true);
    assert_eq!(request["params"]["items"][0]["section"], "layerwise");
    client.did_open(&uri, PYTHON, 1);
    // the settings may be applied before or after the open: wait until they are
    loop {
        let params = client.wait_diagnostics(&uri, Some(1));
        if rules_of(&params) == expect(&[("missing-dockerignore", 2)]) {
            break;
        }
    }
    assert!(client.shutdown_and_exit().success());
}

#[test]
fn an_invalid_config_file_is_reported_once() {
    let project = project("badconfig", &[(".layerwise.toml", "[rules\nnope")]);
    let mut s = Session::start(&[]);
    for (i, name) in ["Dockerfile", "Dockerfile.dev"].iter().enumerate() {
        let uri = project.uri(name);
        let found = summary(&s.open(&uri, PYTHON)["diagnostics"]);
        assert!(
            found.contains(&own(("pip-no-cache-dir", 2, 4))),
            "defaults apply: {found:?}"
        );
        if i == 0 {
            let message = s.client.wait_notification("window/showMessage", |_| true);
            assert!(
                message["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains(".layerwise.toml"),
                "{message}"
            );
        }
    }
    s.client
        .expect_no_notification("window/showMessage", |_| true, Duration::from_millis(100));
    s.finish();
}

// ----- hover -------------------------------------------------------------------------------

#[test]
fn hover_shows_rule_docs_and_keyword_descriptions() {
    let project = project("hover", &[]);
    let uri = project.uri("Dockerfile");
    let mut s = Session::start(&["utf-16"]);
    s.open(&uri, PYTHON);
    /// A position and what its hover must contain (`None`: no hover).
    type Case = ((u32, u32), Option<&'static [&'static str]>);
    let cases: &[Case] = &[
        // on the COPY finding: both rules' docs, and COPY's description
        (
            (1, 2),
            Some(&[
                "**cache-busting-copy**",
                "layer cache",
                "**missing-dockerignore**",
                "`COPY`",
            ]),
        ),
        (
            (1, 8),
            Some(&["**cache-busting-copy**", "## Why is this bad?"]),
        ),
        // on a keyword without findings
        ((2, 1), Some(&["`RUN`: Executes a command"])),
        ((0, 0), Some(&["`FROM`: Begins a build stage"])),
        // over the FROM line: what the image is for
        (
            (0, 10),
            Some(&["**Ships**: application image (keeps its base image's process)"]),
        ),
        // nothing there
        ((1, 11), None),
        ((40, 3), None),
    ];
    for &((line, character), expected) in cases {
        let hover = s.request_ok(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        match expected {
            None => assert!(hover.is_null(), "at {line}:{character}: {hover}"),
            Some(parts) => {
                assert_eq!(hover["contents"]["kind"], "markdown");
                let value = hover["contents"]["value"].as_str().unwrap_or("");
                for part in parts {
                    assert!(
                        value.contains(part),
                        "at {line}:{character}: {part:?} not in {value}"
                    );
                }
            }
        }
    }
    s.finish();
}

#[test]
fn the_target_setting_chooses_the_stage_that_ships() {
    let project = project("target", &[(".dockerignore", ".git\n")]);
    let uri = project.uri("Dockerfile");
    let text = "FROM python:3.12-slim AS app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\nCOPY . /app\nCMD [\"gunicorn\", \"app:app\"]\nFROM app AS dev\nCMD [\"flask\", \"run\", \"--debug\"]\n";
    let mut client = spawn();
    client.initialize(capabilities(None, false));
    client.did_open(&uri, text, 1);
    // the last stage is a dev environment: its toolchain and dev server are expected
    let codes = |params: &Value| -> Vec<String> {
        params["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["code"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let params = client.wait_diagnostics(&uri, Some(1));
    assert!(codes(&params).is_empty(), "{params}");
    let hover = |client: &mut LspClient, line: u32| {
        client.request_ok(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 6}}),
        )["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let last = hover(&mut client, 4);
    assert!(
        last.contains("**Ships**: development environment (the stage is named `dev`)"),
        "{last}"
    );
    assert!(
        last.contains("name the stage you ship with the `target` setting"),
        "{last}"
    );
    assert!(hover(&mut client, 0).contains("**Ships** as the base of stage `dev`"));

    // with `target = "app"`, the app stage is checked
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"layerwise": {"target": "app"}}}),
    );
    let params = client.wait_diagnostics(&uri, Some(1));
    assert_eq!(codes(&params), ["single-stage-toolchain"], "{params}");
    let first = hover(&mut client, 0);
    assert!(
        first.contains("**Ships**: application image (runs `gunicorn app:app`) (named by the `target` setting)"),
        "{first}"
    );
    assert!(hover(&mut client, 4).contains("**Does not ship**: the build produces stage `app`"));
    assert!(client.shutdown_and_exit().success());
}

#[test]
fn a_finding_in_a_heredoc_underlines_the_command_not_the_script() {
    let project = project("heredoc", &[(".dockerignore", ".git\n")]);
    let uri = project.uri("Dockerfile");
    let text = "FROM python:3.12-slim\nRUN <<EOF\nset -eux\napt-get update\napt-get install -y --no-install-recommends gcc\nrm -rf /var/lib/apt/lists/*\nEOF\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n";
    let mut client = spawn();
    client.initialize(capabilities(None, false));
    client.did_open(&uri, text, 1);
    let params = client.wait_diagnostics(&uri, Some(1));
    let toolchain = find(&params["diagnostics"], "single-stage-toolchain");
    assert_eq!(toolchain["range"], range((4, 0), (4, 46)), "{toolchain}");
    assert!(client.shutdown_and_exit().success());
}

// ----- code actions ------------------------------------------------------------------------

#[test]
fn ignore_action_inserts_a_comment_with_the_files_line_ending() {
    let cases = [
        (
            "Dockerfile",
            PYTHON.to_string(),
            "# layerwise: ignore=cache-busting-copy\n",
        ),
        (
            "Dockerfile.crlf",
            "FROM python:3.8.0-slim\r\n  COPY . /app\r\nRUN pip install -r requirements.txt\r\n"
                .to_string(),
            "  # layerwise: ignore=cache-busting-copy\r\n",
        ),
    ];
    let project = project("ignore", &[]);
    let mut s = Session::start(&["utf-16"]);
    for (name, text, inserted) in cases {
        let uri = project.uri(name);
        let published = s.open(&uri, &text);
        let diagnostic = find(&published["diagnostics"], "cache-busting-copy").clone();
        let actions = s.code_actions(&uri, &diagnostic, None);
        let ignore = actions
            .iter()
            .find(|a| a["title"] == "Ignore `cache-busting-copy` for this instruction")
            .unwrap_or_else(|| panic!("no ignore action in {actions:?}"));
        assert_eq!(ignore["kind"], "quickfix");
        assert_eq!(ignore["diagnostics"], json!([diagnostic]));
        let edits = &ignore["edit"]["changes"][uri.as_str()];
        assert_eq!(
            edits,
            &json!([{"range": range((1, 0), (1, 0)), "newText": inserted}])
        );

        // applying it silences that finding on that instruction
        let published = s.change(&uri, as_changes(edits));
        let found = summary(&published["diagnostics"]);
        assert!(
            !found.iter().any(|(rule, ..)| rule == "cache-busting-copy"),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(rule, ..)| rule == "missing-dockerignore"),
            "{found:?}"
        );
    }
    s.finish();
}

#[test]
fn every_layerwise_diagnostic_gets_an_ignore_action_and_foreign_ones_none() {
    let project = project("actions", &[]);
    let uri = project.uri("Dockerfile");
    let mut s = Session::start(&["utf-16"]);
    let published = s.open(&uri, PYTHON);
    for diagnostic in published["diagnostics"].as_array().into_iter().flatten() {
        let rule = diagnostic["code"].as_str().unwrap_or("");
        let actions = s.code_actions(&uri, diagnostic, None);
        let title = format!("Ignore `{rule}` for this instruction");
        assert!(
            actions.iter().any(|a| a["title"] == title.as_str()),
            "{title} in {actions:?}"
        );
        // diagnostics carry no `data`: the fix is the current finding's
        assert!(diagnostic.get("data").is_none(), "{diagnostic}");
        if rule == "pip-no-cache-dir" {
            assert!(
                actions.iter().any(|a| a["title"] == "Add --no-cache-dir"),
                "{actions:?}"
            );
        }
        // `only` filters by kind
        let only_refactor = s.code_actions(&uri, diagnostic, Some(json!(["refactor"])));
        assert!(only_refactor
            .iter()
            .all(|a| a["kind"].as_str().unwrap_or("").starts_with("refactor")));
    }
    let mut foreign = published["diagnostics"][0].clone();
    foreign["source"] = json!("hadolint");
    assert_eq!(
        s.code_actions(&uri, &foreign, Some(json!(["quickfix"]))),
        Vec::<Value>::new()
    );
    s.finish();
}

#[test]
fn stale_fixes_are_not_offered() {
    let mut s = Session::start(&["utf-16"]);
    let uri = "untitled:stale-fix";
    let published = s.open(uri, PYTHON);
    // the diagnostic of version 1, sent back at version 1 and, after an edit moved it, at 2
    let diagnostic = find(&published["diagnostics"], "pip-no-cache-dir").clone();
    let titles = |actions: &[Value]| -> Vec<String> {
        actions
            .iter()
            .map(|a| a["title"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let actions = s.code_actions(uri, &diagnostic, Some(json!(["quickfix"])));
    assert_eq!(
        titles(&actions),
        [
            "Add --no-cache-dir",
            "Ignore `pip-no-cache-dir` for this instruction"
        ]
    );
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(
        actions[0]["edit"]["changes"][uri],
        json!([{"range": range((2, 15), (2, 15)), "newText": " --no-cache-dir"}])
    );
    s.change(uri, range_change((0, 0), (0, 0), "# moved\n"));
    let actions = s.code_actions(uri, &diagnostic, Some(json!(["quickfix"])));
    assert_eq!(
        titles(&actions),
        ["Ignore `pip-no-cache-dir` for this instruction"]
    );
    s.finish();
}

#[test]
fn code_action_on_an_unknown_document_is_an_error() {
    let mut s = Session::start(&[]);
    let error = s
        .client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": "file:///nowhere/Dockerfile"},
                "range": range((0, 0), (0, 0)),
                "context": {"diagnostics": []},
            }),
        )
        .expect_err("an error for a document that is not open");
    assert_eq!(error["code"], INVALID_PARAMS);
    assert!(
        error["message"].as_str().unwrap_or("").contains("not open"),
        "{error}"
    );
    // and the server goes on
    s.open("untitled:after", "FROM alpine:3.20\n");
    s.finish();
}

// ----- symbols -----------------------------------------------------------------------------

#[test]
fn document_symbols_are_stages_with_their_instructions() {
    let text = "ARG GO=1.22\n\
                FROM golang:${GO} AS build\n\
                WORKDIR /src\n\
                RUN go build -o /out/app . && echo a-long-tail-that-is-cut-off-somewhere-after-sixty\n\
                \n\
                FROM gcr.io/distroless/static\n\
                COPY --from=build /out/app /app\n";
    let mut s = Session::start(&["utf-16"]);
    let uri = "untitled:symbols";
    s.open(uri, text);
    let symbols = s.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    /// Name, kind, first and last line, and the children's names and details.
    type Outline = (String, i64, (i64, i64), Vec<(String, String)>);
    let outline: Vec<Outline> = symbols
        .as_array()
        .into_iter()
        .flatten()
        .map(|symbol| {
            let children = symbol["children"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| (str_of(&c["name"]), str_of(&c["detail"])))
                .collect();
            let lines = (
                symbol["range"]["start"]["line"].as_i64().unwrap_or(-1),
                symbol["range"]["end"]["line"].as_i64().unwrap_or(-1),
            );
            (
                str_of(&symbol["name"]),
                symbol["kind"].as_i64().unwrap_or(0),
                lines,
                children,
            )
        })
        .collect();
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|&(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        outline,
        [
            ("ARG".to_string(), 13, (0, 0), vec![]),
            (
                "FROM golang:${GO} AS build".to_string(),
                2,
                (1, 3),
                pairs(&[
                    ("WORKDIR", "/src"),
                    (
                        "RUN",
                        "go build -o /out/app . && echo a-long-tail-that-is-cut-off-s"
                    ),
                ])
            ),
            (
                "FROM gcr.io/distroless/static".to_string(),
                2,
                (5, 6),
                pairs(&[("COPY", "--from=build /out/app /app")])
            ),
        ]
    );
    s.finish();
}

// ----- lifecycle ---------------------------------------------------------------------------

#[test]
fn exit_code_follows_the_specification() {
    // shutdown then exit: 0
    let mut client = spawn();
    client.initialize(capabilities(None, false));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
    // exit without shutdown: 1
    let mut client = spawn();
    client.initialize(capabilities(None, false));
    client.notify("exit", Value::Null);
    assert_eq!(exit_status(client).code(), Some(1));
}

// ----- helpers -----------------------------------------------------------------------------

fn spawn() -> LspClient {
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    client.set_timeout(Duration::from_secs(5));
    client
}

fn exit_status(mut client: LspClient) -> ExitStatus {
    client.close_stdin();
    client.wait_exit()
}

/// Client capabilities offering `encodings` (none: the field is absent).
fn capabilities(encodings: Option<&[&str]>, configuration: bool) -> Value {
    let mut caps = json!({
        "workspace": {"configuration": configuration, "didChangeConfiguration": {}},
        "textDocument": {
            "publishDiagnostics": {"relatedInformation": true, "versionSupport": true},
            "documentSymbol": {"hierarchicalDocumentSymbolSupport": true},
        },
    });
    if let Some(encodings) = encodings {
        caps["general"] = json!({"positionEncodings": encodings});
    }
    caps
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": {"line": start.0, "character": start.1},
        "end": {"line": end.0, "character": end.1},
    })
}

fn range_change(start: (u32, u32), end: (u32, u32), text: &str) -> Value {
    json!({"range": range(start, end), "text": text})
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn own((rule, line, character): (&str, u32, u32)) -> (String, u32, u32) {
    (rule.to_string(), line, character)
}

/// `(rule, start line, start character)` of each diagnostic.
fn summary(diagnostics: &Value) -> Vec<(String, u32, u32)> {
    diagnostics
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let start = &d["range"]["start"];
            (
                str_of(&d["code"]),
                start["line"].as_u64().unwrap_or(u64::MAX) as u32,
                start["character"].as_u64().unwrap_or(u64::MAX) as u32,
            )
        })
        .collect()
}

/// The first diagnostic of `rule`.
#[track_caller]
fn find<'a>(diagnostics: &'a Value, rule: &str) -> &'a Value {
    diagnostics
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == rule))
        .unwrap_or_else(|| panic!("no {rule} in {diagnostics}"))
}

/// The diagnostics of a publication.
fn normalized(published: &Value) -> Value {
    published["diagnostics"].clone()
}

fn symbol_names(symbols: &Value) -> Vec<String> {
    symbols
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| str_of(&s["name"]))
        .collect()
}

/// A temporary folder with files, removed on drop.
fn project(name: &str, files: &[(&str, &str)]) -> Project {
    Project::new(&format!("lsp-{name}"), files)
}

/// An initialised server, the position encoding it negotiated, and the version of each open
/// document.
struct Session {
    client: LspClient,
    utf8: bool,
    versions: HashMap<String, i64>,
}

impl Session {
    fn start(offered: &[&str]) -> Self {
        let mut client = spawn();
        let result = client.initialize(capabilities(
            (!offered.is_empty()).then_some(offered),
            false,
        ));
        let utf8 = result["capabilities"]["positionEncoding"] == "utf-8";
        Self {
            client,
            utf8,
            versions: HashMap::new(),
        }
    }

    /// Opens `uri` at the next version and returns its first diagnostics.
    #[track_caller]
    fn open(&mut self, uri: &str, text: &str) -> Value {
        let version = self.next_version(uri);
        self.client.did_open(uri, text, version);
        self.client.wait_diagnostics(uri, Some(version))
    }

    fn next_version(&mut self, uri: &str) -> i64 {
        let version = self.versions.entry(uri.to_string()).or_insert(0);
        *version += 1;
        *version
    }

    /// Sends `changes` at the next version without waiting; returns the version.
    fn send_change(&mut self, uri: &str, changes: Value) -> i64 {
        let version = self.next_version(uri);
        self.client.did_change(uri, version, changes);
        version
    }

    /// Sends `changes` at the next version and returns the diagnostics for that version.
    #[track_caller]
    fn change(&mut self, uri: &str, changes: Value) -> Value {
        let version = self.send_change(uri, changes);
        self.client.wait_diagnostics(uri, Some(version))
    }

    /// Every publication for `uri`, in arrival order, up to the one for `version`.
    #[track_caller]
    fn diagnostics_until(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let params = self.client.wait_diagnostics(uri, None);
            let done = params["version"] == version;
            all.push(params);
            if done {
                return all;
            }
        }
    }

    #[track_caller]
    fn request_ok(&mut self, method: &str, params: Value) -> Value {
        self.client.request_ok(method, params)
    }

    /// Code actions for one diagnostic (at its range), optionally only of some kinds.
    #[track_caller]
    fn code_actions(&mut self, uri: &str, diagnostic: &Value, only: Option<Value>) -> Vec<Value> {
        let mut context = json!({"diagnostics": [diagnostic]});
        if let Some(only) = only {
            context["only"] = only;
        }
        let result = self.request_ok(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": context}),
        );
        result.as_array().cloned().unwrap_or_default()
    }

    /// Applies `("before ⟦old⟧ after", new)` to `text` (at the first place the context occurs)
    /// and returns the LSP change doing the same.
    #[track_caller]
    fn edit(&self, text: &mut String, context: &str, new: &str) -> Value {
        let (Some(open), Some(close)) = (context.find('⟦'), context.find('⟧')) else {
            panic!("{context:?} needs ⟦ and ⟧");
        };
        let plain = context.replace(['⟦', '⟧'], "");
        let at = text
            .find(&plain)
            .unwrap_or_else(|| panic!("{plain:?} not in {text:?}"));
        self.edit_bytes(text, at + open, at + close - '⟦'.len_utf8(), new)
    }

    /// Replaces bytes `start..end` of `text` by `new` and returns the LSP change doing the same,
    /// with positions in the session's encoding.
    fn edit_bytes(&self, text: &mut String, start: usize, end: usize, new: &str) -> Value {
        let change = range_change(
            position(text, start, self.utf8),
            position(text, end, self.utf8),
            new,
        );
        text.replace_range(start..end, new);
        change
    }

    /// The normalized diagnostics of `text` opened afresh at `uri` (closing it first).
    #[track_caller]
    fn fresh_diagnostics(&mut self, uri: &str, text: &str) -> Value {
        self.client.did_close(uri);
        self.client
            .wait_notification("textDocument/publishDiagnostics", |p| {
                p["uri"] == uri && p.get("version").is_none() && p["diagnostics"] == json!([])
            });
        normalized(&self.open(uri, text))
    }

    #[track_caller]
    fn finish(self) {
        assert!(self.client.shutdown_and_exit().success());
    }
}

/// LSP `(line, character)` of byte `offset` in `text`; lines end at LF, CRLF or CR.
fn position(text: &str, offset: usize, utf8: bool) -> (u32, u32) {
    let before = &text[..offset];
    let mut line = 0;
    let mut line_start = 0;
    for (i, &b) in before.as_bytes().iter().enumerate() {
        let breaks = b == b'\n' || (b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n'));
        if breaks {
            line += 1;
            line_start = i + 1;
        }
    }
    let column = &before[line_start..];
    let character = if utf8 {
        column.len()
    } else {
        column.encode_utf16().count()
    };
    (line, character as u32)
}

/// `contentChanges` doing what a list of `TextEdit`s does (`newText` becomes `text`); valid for
/// a single edit or edits listed from the end of the document backwards.
fn as_changes(edits: &Value) -> Value {
    let changes = edits
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| json!({"range": e["range"], "text": e["newText"]}))
        .collect();
    Value::Array(changes)
}
