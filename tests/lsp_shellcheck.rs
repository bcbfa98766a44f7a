//! ShellCheck in the editor: with a `shellcheck` on PATH, its findings follow layerwise's own
//! diagnostics after the debounce, at exact positions; without one, nothing changes. Skipped
//! (with a message) where no `shellcheck` is installed; CI installs it.

mod common;

use std::path::Path;
use std::time::Duration;

use common::lsp::LspClient;
use serde_json::{json, Value};

fn shellcheck_on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("shellcheck").is_file()))
}

fn shellcheck_codes(params: &Value) -> Vec<(String, u64, u64, u64)> {
    params["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["source"] == "shellcheck")
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap_or_default(),
                d["range"]["start"]["character"]
                    .as_u64()
                    .unwrap_or_default(),
                d["range"]["end"]["character"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn shellcheck_findings_follow_the_debounce_at_exact_positions() {
    if !shellcheck_on_path() {
        eprintln!("skipped: no shellcheck on PATH");
        return;
    }
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    client.set_timeout(Duration::from_secs(20));
    client.initialize(json!({}));
    let uri = "untitled:Dockerfile";
    let text = "FROM debian:12\nRUN echo start \\\n# dropped by BuildKit\n    && ls $dir\n# hadolint ignore=SC2086\nRUN ls $other\n";
    client.did_open(uri, text, 1);
    // layerwise's own diagnostics come first, without ShellCheck's
    let first = client.wait_diagnostics(uri, Some(1));
    assert!(shellcheck_codes(&first).is_empty(), "{first}");
    // then layerwise's again with ShellCheck's: `$dir` on line 3 (0-based), columns 10-14
    let second = client.wait_diagnostics(uri, Some(1));
    assert_eq!(
        shellcheck_codes(&second),
        [("SC2086".to_string(), 3, 10, 14)],
        "{second}"
    );
    assert!(second["diagnostics"]
        .as_array()
        .is_some_and(|a| a.iter().any(|d| d["source"] == "layerwise")));
    // a burst of edits: only the last version is checked
    for v in 2..=4 {
        let edited = text.replace("$dir", &format!("$dir{v}"));
        client.did_change(uri, v, json!([{ "text": edited }]));
    }
    let mut last = client.wait_diagnostics(uri, Some(4));
    if shellcheck_codes(&last).is_empty() {
        last = client.wait_diagnostics(uri, Some(4));
    }
    assert_eq!(shellcheck_codes(&last), [("SC2086".to_string(), 3, 10, 15)]);
    let stale = client.drain_notifications("textDocument/publishDiagnostics");
    assert!(
        stale
            .iter()
            .all(|p| p["version"] == 4 || shellcheck_codes(p).is_empty()),
        "a superseded version got ShellCheck's findings: {stale:?}"
    );
    assert!(client.shutdown_and_exit().success());
}
