//! `layerwise context` as a user runs it: the context's cost, what each COPY takes, secrets in
//! the shipped image, and change impact from `--changed` and `--since`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::project::Project;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const DOCKERFILE: &str = "FROM python:3.12-slim AS build
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN python -m compileall src

FROM python:3.12-slim
COPY --from=build /app /app
CMD [\"python\", \"/app/src/main.py\"]
";

fn seed() -> Project {
    let big = vec![b'x'; 20_000];
    Project::new(
        "context",
        &[
            ("Dockerfile", DOCKERFILE.as_bytes()),
            ("requirements.txt", b"fastapi\n".as_slice()),
            ("src/main.py", b"print('hi')\n".as_slice()),
            ("src/util.py", b"x = 1\n".as_slice()),
            (".env", b"TOKEN=abc\n".as_slice()),
            (
                ".npmrc",
                b"//registry.npmjs.org/:_authToken=abc\n".as_slice(),
            ),
            ("docs/manual.pdf", big.as_slice()),
            ("build.log", b"log\n".as_slice()),
            (".dockerignore", b"*.log\n".as_slice()),
        ],
    )
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn counts_what_each_copy_takes_after_dockerignore() {
    let p = seed();
    let v = json(p.path(), &["context", "--format", "json", "--list"]);
    // build.log is ignored; the other 8 files are sent
    assert_eq!(v["files"], 8);
    assert_eq!(v["ignore_file"], ".dockerignore");
    let copies = v["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 3);
    assert_eq!(copies[0]["line"], 3);
    assert_eq!(copies[0]["files"], 1);
    assert_eq!(copies[0]["taken"][0]["image_path"], "/app/requirements.txt");
    assert_eq!(copies[1]["files"], 8);
    assert_eq!(copies[1]["top"][0]["path"], "docs/");
    assert_eq!(copies[2]["from"], "build");
    // everything is copied by `COPY . .`: nothing is sent for nothing
    assert_eq!(v["unused"]["files"], 0);
}

#[test]
fn secrets_reaching_the_shipped_image_through_copy_from_are_named() {
    let p = seed();
    let v = json(p.path(), &["context", "--format", "json"]);
    let suspects: Vec<(String, u64)> = v["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(suspects, [(".env".to_owned(), 9), (".npmrc".to_owned(), 9)]);

    // an .npmrc without a token is not a secret, and a stage that does not ship leaks nothing
    p.write(".npmrc", "registry=https://example.com/\n");
    p.write(
        "Dockerfile",
        DOCKERFILE.replace(
            "COPY --from=build /app /app",
            "COPY --from=build /app/src /app",
        ),
    );
    let v = json(p.path(), &["context", "--format", "json"]);
    assert_eq!(v["suspects"], Value::Array(Vec::new()));
}

#[test]
fn files_never_copied_are_reported() {
    let p = seed();
    p.write(
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY requirements.txt /app/\nCOPY src /app/src\n",
    );
    let (code, out, err) = run(p.path(), &["context"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("line 3    COPY src /app/src\n             2 files, 18 B"),
        "{out}"
    );
    // Dockerfile, .dockerignore, .env, .npmrc and the 20 kB manual are sent for nothing
    assert!(out.contains("Sent but never copied: 5 files"), "{out}");
    assert!(out.contains("docs/ 20.0 kB"), "{out}");
}

#[test]
fn change_impact_names_the_first_step_that_runs_again() {
    let p = seed();
    let (code, out, err) = run(p.path(), &["context", "--changed", "src/main.py"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("stage build: rebuilds from line 5 (COPY . .), as it takes src/main.py"),
        "{out}"
    );
    assert!(
        out.contains(
            "stays cached: line 3 (COPY requirements.txt .); line 4 (RUN pip install -r requirements.txt)"
        ),
        "{out}"
    );
    assert!(
        out.contains("runs again: line 6 (RUN python -m compileall src)"),
        "{out}"
    );
    assert!(
        out.contains(
            "stage 1: rebuilds from line 9 (COPY --from=build /app /app), as what it reads from stage build changed"
        ),
        "{out}"
    );

    // an ignored file rebuilds nothing
    let v = json(
        p.path(),
        &["context", "--changed", "build.log", "--format", "json"],
    );
    for stage in v["stages"].as_array().unwrap() {
        assert!(stage["rebuilds_from"].is_null(), "{v}");
    }

    // the manifest rebuilds from its own copy
    let v = json(
        p.path(),
        &[
            "context",
            "--format",
            "json",
            "--changed",
            "requirements.txt",
        ],
    );
    assert_eq!(v["stages"][0]["rebuilds_from"]["line"], 3);
}

#[test]
fn since_reads_the_changes_from_git() {
    let p = seed();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(p.path())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        ok
    };
    if !git(&["init", "-q"]) {
        eprintln!("skipped: git is not available");
        return;
    }
    assert!(git(&["add", "-A"]) && git(&["commit", "-qm", "seed"]));
    p.write("requirements.txt", "fastapi\nuvicorn\n");
    let v = json(
        p.path(),
        &["context", "--since", "HEAD", "--format", "json"],
    );
    assert_eq!(v["changed"], serde_json::json!(["requirements.txt"]));
    assert_eq!(v["stages"][0]["rebuilds_from"]["line"], 3);

    // a new, untracked file counts too
    assert!(git(&["checkout", "-q", "--", "requirements.txt"]));
    p.write("src/new.py", "y = 2\n");
    let v = json(
        p.path(),
        &["context", "--since", "HEAD", "--format", "json"],
    );
    assert_eq!(v["changed"], serde_json::json!(["src/new.py"]));
    assert_eq!(v["stages"][0]["rebuilds_from"]["line"], 5);

    let (code, _, err) = run(p.path(), &["context", "--since", "no-such-ref"]);
    assert_eq!(code, 2);
    assert!(err.contains("git diff"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let p = seed();
    let (code, _, err) = run(p.path(), &["context", "--format", "xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format"), "{err}");
    let (code, _, err) = run(p.path(), &["context", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a folder"), "{err}");
    let (code, out, _) = run(p.path(), &["context", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--changed"), "{out}");
}

/// The editor shows what each COPY takes as an inlay hint, once the context has been walked in
/// the background (the first answer may come before the walk ends).
#[test]
fn inlay_hints_show_what_each_copy_takes() {
    use common::lsp::LspClient;
    use serde_json::json;
    use std::time::{Duration, Instant};

    let p = seed();
    let mut client = LspClient::spawn(Path::new(env!("CARGO_BIN_EXE_layerwise")), &["lsp"]);
    client.set_timeout(Duration::from_secs(10));
    client.initialize(json!({}));
    let uri = p.uri("Dockerfile");
    client.did_open(&uri, DOCKERFILE, 1);
    let params = json!({
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}},
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let labels = loop {
        let hints = client.request_ok("textDocument/inlayHint", params.clone());
        let labels: Vec<(u64, u64, String)> = hints
            .as_array()
            .into_iter()
            .flatten()
            .filter(|h| h["label"].as_str().is_some_and(|l| l.contains("file")))
            .map(|h| {
                (
                    h["position"]["line"].as_u64().unwrap_or(99),
                    h["position"]["character"].as_u64().unwrap_or(99),
                    h["label"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        if !labels.is_empty() || Instant::now() > deadline {
            break labels;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // at the end of each COPY's line; build.log is ignored; COPY --from takes nothing
    // from the context
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert_eq!(labels[0], (2, 23, "1 file, 8 B".to_owned()));
    assert_eq!(labels[1].0, 4);
    assert!(labels[1].2.starts_with("8 files, 20."), "{labels:?}");
    client.shutdown_and_exit();
}
