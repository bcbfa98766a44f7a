//! The labeled corpus in `../shared/corpus` (beside the repository), run through
//! `layerwise check --format json` exactly as a user would. Every (rule, line) pair of the 13
//! scored rule ids must match the labels: no false positive, no false negative.
//! Skips with a message when the corpus is not there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SCORED: &[&str] = &[
    "cache-busting-copy",
    "single-stage-toolchain",
    "missing-dockerignore",
    "apt-no-install-recommends",
    "apt-lists-not-cleaned",
    "apt-update-alone",
    "pip-no-cache-dir",
    "consecutive-run",
    "dev-server-flag",
    "shell-form-entrypoint",
    "add-instead-of-copy",
    "unpinned-base-image",
    "relative-workdir",
];

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus folder is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_dir()
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.len() > 3
                        && n.as_bytes()[0].is_ascii_digit()
                        && n.as_bytes()[1].is_ascii_digit()
                        && n.as_bytes()[2] == b'-'
                })
        })
        .collect();
    cases.sort();
    cases
}

/// (rule, line) pairs reported by the CLI for one file.
fn reported(file: &Path) -> BTreeSet<(String, u64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(["check", "--format", "json"])
        .arg(file)
        .output()
        .expect("layerwise runs");
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "{}: exit {:?}\n{}",
        file.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    json.as_array()
        .expect("a JSON array")
        .iter()
        .filter_map(|d| Some((d["rule"].as_str()?.to_string(), d["line"].as_u64()?)))
        .filter(|(rule, _)| SCORED.contains(&rule.as_str()))
        .collect()
}

#[test]
fn corpus_labels_match_exactly() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED corpus_labels_match_exactly: ../shared/corpus is not present beside the repository");
        return;
    };
    let mut problems = Vec::new();
    let (mut tp, mut total_expected) = (0usize, 0usize);
    let all = cases(&dir);
    assert!(
        all.len() >= 40,
        "expected the 40 corpus cases, found {}",
        all.len()
    );
    for case in &all {
        let labels: Value = serde_json::from_str(
            &std::fs::read_to_string(case.join("expected.json")).expect("expected.json"),
        )
        .expect("valid JSON");
        let file = case.join(labels["file"].as_str().unwrap_or("Dockerfile"));
        let expected: BTreeSet<(String, u64)> = labels["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().expect("rule").to_string(),
                    f["line"].as_u64().expect("line"),
                )
            })
            .collect();
        let got = reported(&file);
        total_expected += expected.len();
        tp += expected.intersection(&got).count();
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for fp in got.difference(&expected) {
            problems.push(format!("{name}: false positive {}@{}", fp.0, fp.1));
        }
        for fneg in expected.difference(&got) {
            problems.push(format!("{name}: false negative {}@{}", fneg.0, fneg.1));
        }
        for rule in labels["must_not"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if got.iter().any(|(r, _)| r == rule) {
                problems.push(format!("{name}: `{rule}` is in must_not but was reported"));
            }
        }
    }
    eprintln!(
        "corpus: {tp}/{total_expected} labeled findings reported, {} problems",
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "corpus mismatches:\n{}",
        problems.join("\n")
    );
}
