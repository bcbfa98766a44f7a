//! The seed goldens through the LSP path: the real server offers "Copy dependency manifests
//! first" and "Extract a builder stage" as code actions on the seed example, and applying
//! their edits client-side gives the expected files. "Create .dockerignore" creates a file.

mod common;
use common::lsp::LspClient;
use common::project::Project;
use common::SEED;

use serde_json::{json, Value};

/// The article's second version (the manifest COPY right before the pip RUN, as `./`).
const REORDERED: &str = "FROM python:3.8.0-slim
RUN apt-get update \\
&& apt-get install gcc -y \\
&& apt-get clean
WORKDIR app
COPY requirements.txt ./
RUN pip install --user --default-timeout=100 -r requirements.txt
COPY . /app
ENTRYPOINT uvicorn main:app --reload --host 0.0.0.0 --port 8080
";

/// The article's third version: a builder stage, and a runtime stage with `/root/.local`.
const EXTRACTED: &str = "FROM python:3.8.0-slim AS builder
RUN apt-get update \\
&& apt-get install gcc -y \\
&& apt-get clean
WORKDIR app
COPY requirements.txt ./
RUN pip install --user --default-timeout=100 -r requirements.txt
COPY . /app

FROM python:3.8.0-slim
ENV PATH=/root/.local/bin:$PATH
COPY --from=builder /root/.local /root/.local
COPY --from=builder /app /app
WORKDIR /app
ENTRYPOINT uvicorn main:app --reload --host 0.0.0.0 --port 8080
";

/// The seed project: the Dockerfile and the files it copies, removed on drop.
fn project() -> Project {
    Project::new(
        "lsp-fixes",
        &[
            ("Dockerfile", SEED),
            ("requirements.txt", "fastapi\n"),
            ("main.py", "app = None\n"),
        ],
    )
}

/// Byte offset of an LSP position (UTF-16 characters) in `text`.
fn offset(text: &str, pos: &Value) -> usize {
    let line = usize::try_from(pos["line"].as_u64().expect("line")).expect("fits");
    let character = usize::try_from(pos["character"].as_u64().expect("character")).expect("fits");
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// Apply LSP text edits (non-overlapping) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"]),
                offset(text, &e["range"]["end"]),
                e["newText"].as_str().expect("newText").to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut out = String::new();
    let mut at = 0;
    for (s, e, t) in spans {
        assert!(s >= at, "overlapping edits");
        out.push_str(&text[at..s]);
        out.push_str(&t);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

struct Session {
    client: LspClient,
    uri: String,
    version: i64,
}

impl Session {
    fn open(dir: &std::path::Path) -> Session {
        let mut client = LspClient::spawn(
            std::path::Path::new(env!("CARGO_BIN_EXE_layerwise")),
            &["lsp"],
        );
        client.initialize(json!({"workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create"]}}}));
        let uri = format!("file://{}", dir.join("Dockerfile").display());
        client.did_open(&uri, SEED, 1);
        Session {
            client,
            uri,
            version: 1,
        }
    }

    fn diagnostics(&mut self) -> Value {
        self.client.wait_diagnostics(&self.uri, Some(self.version))["diagnostics"].clone()
    }

    /// The code action titled `title` for the finding of `rule`.
    fn action(&mut self, rule: &str, title: &str) -> Value {
        let diagnostics = self.diagnostics();
        let d = diagnostics
            .as_array()
            .expect("array")
            .iter()
            .find(|d| d["code"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {diagnostics}"))
            .clone();
        let actions = self.client.request_ok(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": self.uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
        );
        actions
            .as_array()
            .expect("actions")
            .iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("no action `{title}` in {actions}"))
            .clone()
    }

    fn replace(&mut self, text: &str) {
        self.version += 1;
        self.client
            .did_change(&self.uri, self.version, json!([{"text": text}]));
    }
}

#[test]
fn seed_goldens_through_code_actions() {
    let dir = project();
    let mut s = Session::open(dir.path());

    let reorder = s.action("cache-busting-copy", "Copy dependency manifests first");
    assert_eq!(reorder["kind"], "refactor.rewrite");
    let edits = reorder["edit"]["changes"][&s.uri]
        .as_array()
        .expect("edits")
        .clone();
    let reordered = apply(SEED, &edits);
    assert_eq!(reordered, REORDERED);

    s.replace(&reordered);
    let extract = s.action("single-stage-toolchain", "Extract a builder stage");
    assert_eq!(extract["kind"], "refactor.extract");
    let edits = extract["edit"]["changes"][&s.uri]
        .as_array()
        .expect("edits")
        .clone();
    let extracted = apply(&reordered, &edits);
    assert_eq!(extracted, EXTRACTED);

    // the extracted file has no toolchain or cache finding left
    s.replace(&extracted);
    let left = s.diagnostics();
    let rules: Vec<&str> = left
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        !rules.contains(&"single-stage-toolchain") && !rules.contains(&"cache-busting-copy"),
        "{rules:?}"
    );
    assert!(s.client.shutdown_and_exit().success());
}

#[test]
fn create_dockerignore_is_a_file_creation() {
    let dir = project();
    let mut s = Session::open(dir.path());
    let create = s.action("missing-dockerignore", "Create .dockerignore");
    let ops = create["edit"]["documentChanges"]
        .as_array()
        .expect("document changes")
        .clone();
    let target = format!("file://{}", dir.join(".dockerignore").display());
    assert_eq!(ops[0]["kind"], "create");
    assert_eq!(ops[0]["uri"], target.as_str());
    assert_eq!(ops[0]["options"]["overwrite"], false);
    assert_eq!(ops[1]["textDocument"]["uri"], target.as_str());
    let content = ops[1]["edits"][0]["newText"].as_str().expect("text");
    for entry in [".git", "__pycache__", "*.pyc", ".venv"] {
        assert!(
            content.lines().any(|l| l == entry),
            "{entry} missing from {content}"
        );
    }
    assert!(s.client.shutdown_and_exit().success());
}
