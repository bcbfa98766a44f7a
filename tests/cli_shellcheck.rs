//! ShellCheck in `layerwise check`, through the real binary: with a `shellcheck` on PATH its
//! findings are reported as rule `shellcheck` (the message led by the SC code) at the words it
//! means, ignore comments above the RUN silence a code, and `--no-shellcheck` or `--select`
//! turn it off; without one, the report is layerwise's alone and nothing is logged. The runs
//! that need ShellCheck are skipped (with a message) where none is installed; CI installs it.

use std::path::Path;
use std::process::Command;

mod common;
use common::project::Project;

const DOCKERFILE: &str = "FROM debian:12\nRUN echo start \\\n    && ls $dir\n# hadolint ignore=SC2086\nRUN ls $other\n\n# layerwise: ignore=SC2086\nRUN ls $third\n";

fn shellcheck_on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("shellcheck").is_file()))
}

/// `layerwise check ARGS Dockerfile` in `dir`, with PATH replaced when given: (status,
/// stdout, stderr).
fn check(dir: &Path, args: &[&str], path: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layerwise"));
    cmd.arg("check")
        .args(args)
        .arg("Dockerfile")
        .current_dir(dir)
        .env("NO_COLOR", "1");
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn shellcheck_findings(json: &str) -> Vec<serde_json::Value> {
    let all: serde_json::Value = serde_json::from_str(json).expect("json");
    all.as_array()
        .expect("an array")
        .iter()
        .filter(|f| f["rule"] == "shellcheck")
        .cloned()
        .collect()
}

#[test]
fn findings_are_reported_at_the_words_and_ignore_comments_hold() {
    if !shellcheck_on_path() {
        eprintln!("skipped: no shellcheck on PATH");
        return;
    }
    let project = Project::new("cli-shellcheck", &[("Dockerfile", DOCKERFILE)]);
    let (_, out, err) = check(project.path(), &["--output-format", "json"], None);
    let found = shellcheck_findings(&out);
    // only `$dir`: the other two RUNs carry an ignore comment for SC2086
    assert_eq!(found.len(), 1, "{out}\n{err}");
    let f = &found[0];
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("SC2086: ")),
        "{f}"
    );
    // the range starts on the RUN's first line, like every rule's, and ends after `$dir`
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(3), Some(15))
    );
    // the full report points at the word itself
    let (_, full, _) = check(project.path(), &["--output-format", "full"], None);
    assert!(full.contains("Dockerfile:3:11"), "{full}");
    assert!(full.contains("[shellcheck]: SC2086"), "{full}");
}

#[test]
fn no_shellcheck_and_select_turn_it_off() {
    if !shellcheck_on_path() {
        eprintln!("skipped: no shellcheck on PATH");
        return;
    }
    let project = Project::new("cli-shellcheck-off", &[("Dockerfile", DOCKERFILE)]);
    for args in [
        &["--output-format", "json", "--no-shellcheck"][..],
        &["--output-format", "json", "--select", "consecutive-run"][..],
    ] {
        let (_, out, err) = check(project.path(), args, None);
        assert_eq!(
            shellcheck_findings(&out),
            Vec::<serde_json::Value>::new(),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn without_shellcheck_the_report_is_layerwises_alone_and_quiet() {
    let project = Project::new("cli-shellcheck-absent", &[("Dockerfile", DOCKERFILE)]);
    // an empty folder as the whole PATH: no shellcheck can be found
    let empty = project.join("no-tools");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let path = empty.to_string_lossy().into_owned();
    let (code, out, err) = check(project.path(), &["--output-format", "json"], Some(&path));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(shellcheck_findings(&out), Vec::<serde_json::Value>::new());
    assert!(out.contains("consecutive-run"), "{out}");
    assert_eq!(err, "", "nothing is logged when ShellCheck is absent");
}
