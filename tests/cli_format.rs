//! `layerwise format`: in place, `--check` and `--diff`, through the real binary.

mod common;

use std::process::{Command, Output};

use common::project::Project;

const MESSY: &str = "  from alpine as build\r\nrun apk add \\\r\n\tcurl\r\n# keep   this\r\nCOPY <<EOF /x\r\n  body\r\nEOF\r\n";
const TIDY: &str = "FROM alpine AS build\r\nRUN apk add \\\r\n    curl\r\n# keep   this\r\nCOPY <<EOF /x\r\n  body\r\nEOF\r\n";

fn run(project: &Project, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .arg("format")
        .args(args)
        .current_dir(project.path())
        .output()
        .unwrap_or_else(|e| panic!("run layerwise: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn format_writes_the_formatted_file_and_converges() {
    let project = Project::new(
        "format",
        &[("Dockerfile", MESSY), ("sub/app.dockerfile", TIDY)],
    );
    let out = run(&project, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "1 file reformatted, 1 already formatted\n"
    );
    assert_eq!(text(&project.read("Dockerfile")), TIDY);
    let again = run(&project, &["Dockerfile"]);
    assert_eq!(
        text(&again.stdout),
        "0 files reformatted, 1 already formatted\n"
    );
}

#[test]
fn check_and_diff_change_nothing_and_fail_when_a_file_would_change() {
    let project = Project::new("format-check", &[("Dockerfile", MESSY)]);
    let out = run(&project, &["--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "would reformat Dockerfile\n1 file would be reformatted, 0 already formatted\n"
    );
    let out = run(&project, &["--diff", "Dockerfile"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = text(&out.stdout);
    assert!(
        diff.starts_with("--- a/Dockerfile\n+++ b/Dockerfile\n"),
        "{diff}"
    );
    for line in [
        "-  from alpine as build\r\n",
        "+FROM alpine AS build\r\n",
        "+    curl\r\n",
    ] {
        assert!(diff.contains(line), "{line:?} not in {diff}");
    }
    // the comment is context, never a change
    assert!(diff.contains(" # keep   this\r\n"), "{diff}");
    assert_eq!(
        text(&out.stderr),
        "1 file would be reformatted, 0 already formatted\n"
    );
    assert_eq!(text(&project.read("Dockerfile")), MESSY);
    let bad = run(&project, &["--nope"]);
    assert_eq!(bad.status.code(), Some(2));
    project.write("Dockerfile", TIDY);
    assert_eq!(run(&project, &["--check"]).status.code(), Some(0));
}
