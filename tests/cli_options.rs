//! The command line's conventions, through the real binary: help, completions, standard input,
//! missing paths, exit status controls (`--fail-on`, `--exit-zero`, `--diff`), `--statistics`,
//! `--show-fixes`, colour, and the settings `.layerwise.toml` may hold for the command line.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::project::Project;
use common::SEED;

fn project(files: &[(&str, &[u8])]) -> Project {
    Project::new("cli-options", files)
}

/// Run `layerwise ARGS` in `dir` with `stdin` and extra environment: (exit code, stdout, stderr).
fn run_with(
    dir: &Path,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layerwise"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("runs");
    let mut input = child.stdin.take().expect("stdin");
    // a run that does not read stdin may have exited already: a broken pipe is fine
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().expect("waits");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run_with(dir, args, b"", &[])
}

/// `(rule, line)` of each finding in JSON output.
fn rules_of(json: &str) -> Vec<(String, u64)> {
    let items: serde_json::Value = serde_json::from_str(json).expect("JSON");
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// A warning (`relative-workdir`, no safe fix) and nothing else.
const WARNING_ONLY: &[u8] = b"FROM python:3.12-slim\nWORKDIR app\n";

#[test]
fn help_goes_to_stdout_with_status_0() {
    let dir = project(&[]);
    for args in [
        &["check", "--help"][..],
        &["check", "-h"],
        &["help", "check"],
        &["--help"],
        &[],
        &["format", "--help"],
        &["rule", "--help"],
    ] {
        let (code, out, err) = run(dir.path(), args);
        assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
        assert!(!out.contains("layerwise: layerwise"), "{args:?}: {out}");
        assert!(out.contains("Usage: layerwise"), "{args:?}: {out}");
    }
    let (_, out, _) = run(dir.path(), &["check", "--help"]);
    assert!(
        out.starts_with("Check Dockerfiles"),
        "the first line says what check does: {out}"
    );
    // creating a .dockerignore is an unsafe fix, and the help says so where it says it
    let fix_help: String = out
        .split("--fix")
        .nth(1)
        .map(|s| s.split("--unsafe-fixes").next().unwrap_or("").to_string())
        .unwrap_or_default();
    assert!(!fix_help.contains("dockerignore"), "{fix_help}");
    let unsafe_help = out.split("--unsafe-fixes").nth(1).unwrap_or("");
    assert!(unsafe_help.contains(".dockerignore"), "{out}");
    for flag in [
        "--stdin-filename",
        "--output-format",
        "--color",
        "--fail-on",
        "--exit-zero",
        "--statistics",
        "--show-fixes",
    ] {
        assert!(out.contains(flag), "{flag} not in the help: {out}");
    }
    let (code, out, _) = run(dir.path(), &["--version"]);
    assert_eq!(
        (code, out.trim()),
        (
            0,
            format!("layerwise {}", env!("CARGO_PKG_VERSION")).as_str()
        )
    );
}

#[test]
fn completions_are_valid_shell_scripts() {
    let dir = project(&[]);
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(dir.path(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains("layerwise") && out.contains("stdin-filename"),
            "{shell}"
        );
        // syntax-checked by the shell itself where it is installed
        let Ok(status) = Command::new(shell)
            .arg("-n")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .and_then(|mut child| {
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(out.as_bytes())?;
                child.wait()
            })
        else {
            eprintln!("partly skipped: no {shell} to syntax-check its completions");
            continue;
        };
        assert!(status.success(), "{shell} -n rejects the completions");
    }
    // bash completes the subcommands and check's flags
    if Command::new("bash").arg("--version").output().is_ok() {
        let script = run(dir.path(), &["completions", "bash"]).1;
        let file = dir.join("layerwise.bash");
        std::fs::write(&file, script).expect("write");
        let probe = format!(
            "source {}; COMP_WORDS=(layerwise check --stdin); COMP_CWORD=2; _layerwise layerwise --stdin check; echo \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash")
            .args(["-c", &probe])
            .output()
            .expect("bash");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "--stdin-filename"
        );
    }
}

#[test]
fn stdin_is_checked_as_the_file_it_names() {
    let dir = project(&[
        ("svc/.dockerignore", b".git\n"),
        (
            "svc/.layerwise.toml",
            b"[rules]\nrelative-workdir = \"error\"\n",
        ),
    ]);
    let text = b"FROM python:3.12-slim\nWORKDIR app\nCOPY . .\n";
    // named svc/Dockerfile: svc's .dockerignore and .layerwise.toml apply
    let (code, out, err) = run_with(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "-",
            "--stdin-filename",
            "svc/Dockerfile",
        ],
        text,
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(rules_of(&out), [("relative-workdir".to_string(), 2)]);
    let items: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(items[0]["file"], "svc/Dockerfile");
    assert_eq!(items[0]["severity"], "error");
    // unnamed: the current folder, which has no .dockerignore
    let (code, out, _) = run_with(dir.path(), &["check", "--format", "json", "-"], text, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_of(&out),
        [
            ("relative-workdir".to_string(), 2),
            ("missing-dockerignore".to_string(), 3)
        ]
    );
    let (_, out, _) = run_with(
        dir.path(),
        &["check", "--format", "concise", "-"],
        text,
        &[],
    );
    assert!(out.starts_with("-:"), "{out}");
    // --fix: the fixed text on stdout, the report on stderr, nothing written
    let (code, out, err) = run_with(
        dir.path(),
        &["check", "--fix", "-", "--stdin-filename", "svc/Dockerfile"],
        b"FROM python:3.12-slim\nRUN pip install flask\n",
        &[],
    );
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n"
        ),
        "{err}"
    );
    assert!(
        err.ends_with("0 problems in 1 file (1 fix applied)\n"),
        "{err}"
    );
    assert!(!dir.join("svc/Dockerfile").exists());
}

#[test]
fn a_missing_path_is_reported_and_the_others_are_checked() {
    let dir = project(&[
        ("real/Dockerfile", WARNING_ONLY),
        ("real/.dockerignore", b""),
    ]);
    let (code, out, err) = run(
        dir.path(),
        &["check", "--format", "concise", "typo", "real"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("typo: No such file"), "{err}");
    assert!(
        out.contains("real/Dockerfile:2:9: warning[relative-workdir]"),
        "{out}"
    );
    assert!(out.ends_with("1 problem in 1 file\n"), "{out}");
}

#[test]
fn diff_fails_on_findings_without_a_fix_and_reports_them_on_stderr() {
    let dir = project(&[("Dockerfile", WARNING_ONLY), (".dockerignore", b"")]);
    // the only fix is unsafe: no diff, but the warning still fails the check
    let (code, out, err) = run(dir.path(), &["check", "--diff", "--format", "concise"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("warning[relative-workdir]"), "{err}");
    // a clean file with nothing to fix: 0
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM python:3.12-slim\nWORKDIR /app\n",
    )
    .expect("write");
    let (code, out, _) = run(dir.path(), &["check", "--diff"]);
    assert_eq!((code, out.as_str()), (0, ""));
    // an info finding with a safe fix: the diff alone fails it
    std::fs::write(
        dir.join(".layerwise.toml"),
        "[rules]\npip-no-cache-dir = \"info\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM python:3.12-slim\nRUN pip install flask\n",
    )
    .expect("write");
    let (code, out, _) = run(dir.path(), &["check", "--diff"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("+RUN pip install --no-cache-dir flask"),
        "{out}"
    );
    let (code, _, _) = run(dir.path(), &["check", "--diff", "--exit-zero"]);
    assert_eq!(code, 0);
}

#[test]
fn fail_on_and_exit_zero_set_the_threshold() {
    let dir = project(&[("Dockerfile", WARNING_ONLY), (".dockerignore", b"")]);
    let code = |args: &[&str]| {
        let mut full = vec!["check"];
        full.extend_from_slice(args);
        run(dir.path(), &full).0
    };
    assert_eq!(code(&[]), 1);
    assert_eq!(code(&["--fail-on", "warning"]), 1);
    assert_eq!(code(&["--fail-on", "error"]), 0);
    assert_eq!(code(&["--exit-zero"]), 0);
    let (c, out, _) = run(dir.path(), &["check", "--exit-zero", "--format", "concise"]);
    assert_eq!(c, 0);
    assert!(
        out.contains("relative-workdir"),
        "--exit-zero still reports: {out}"
    );
    // an info finding fails only at --fail-on info
    std::fs::write(
        dir.join(".layerwise.toml"),
        "[rules]\nrelative-workdir = \"info\"\n",
    )
    .expect("write");
    assert_eq!(code(&[]), 0);
    assert_eq!(code(&["--fail-on", "info"]), 1);
    // from the config; the flag wins
    std::fs::write(
        dir.join(".layerwise.toml"),
        "fail-on = \"info\"\n[rules]\nrelative-workdir = \"info\"\n",
    )
    .expect("write");
    assert_eq!(code(&[]), 1);
    assert_eq!(code(&["--fail-on", "warning"]), 0);
    assert_eq!(code(&["--fail-on", "hint"]), 2, "hint is no threshold");
    // usage errors stay 2 under --exit-zero
    assert_eq!(code(&["--exit-zero", "missing"]), 2);
}

#[test]
fn config_holds_select_ignore_and_format() {
    let dir = project(&[
        ("Dockerfile", b"FROM node:latest\nWORKDIR app\n"),
        (".dockerignore", b""),
    ]);
    std::fs::write(
        dir.join(".layerwise.toml"),
        "format = \"concise\"\nignore = [\"unpinned-base-image\"]\n",
    )
    .expect("write");
    let (_, out, _) = run(dir.path(), &["check"]);
    assert_eq!(
        out,
        "Dockerfile:2:9: warning[relative-workdir]: `WORKDIR app` is relative, so where it points depends on the working directory of the base image; write the absolute path `/app`\n1 problem in 1 file\n"
    );
    // the flag wins over the config
    assert_eq!(
        rules_of(&run(dir.path(), &["check", "--format", "json"]).1),
        [("relative-workdir".to_string(), 2)]
    );
    std::fs::write(
        dir.join(".layerwise.toml"),
        "format = \"json\"\nselect = [\"unpinned-base-image\"]\n",
    )
    .expect("write");
    assert_eq!(
        rules_of(&run(dir.path(), &["check"]).1),
        [("unpinned-base-image".to_string(), 1)]
    );
    std::fs::write(dir.join(".layerwise.toml"), "format = \"xml\"\n").expect("write");
    let (code, _, err) = run(dir.path(), &["check"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format `xml`"), "{err}");
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = project(&[
        ("a/Dockerfile", b"FROM node:latest\nWORKDIR app\n"),
        ("b/Dockerfile", b"FROM node:latest\n"),
        ("a/.dockerignore", b""),
        ("b/.dockerignore", b""),
    ]);
    let (code, out, _) = run(dir.path(), &["check", "--statistics"]);
    assert_eq!(code, 1);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0][..3],
        ["2", "unpinned-base-image", "warning"],
        "{out}"
    );
    assert_eq!(lines[1][..3], ["1", "relative-workdir", "warning"], "{out}");
    assert_eq!(out.lines().last(), Some("3 problems in 2 files"));
    let (_, out, _) = run(dir.path(), &["check", "--statistics", "--format", "json"]);
    let items: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(items[0]["rule"], "unpinned-base-image");
    assert_eq!(items[0]["count"], 2);
}

#[test]
fn show_fixes_lists_each_fix_applied() {
    let dir = project(&[
        ("Dockerfile", SEED.as_bytes()),
        ("requirements.txt", b"fastapi\n"),
    ]);
    let (_, out, _) = run(
        dir.path(),
        &["check", "--fix", "--show-fixes", "--format", "concise"],
    );
    let listed: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "Fixed in Dockerfile:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(listed.len(), 3, "{out}");
    assert!(
        listed.contains(&"  pip-no-cache-dir: Add --no-cache-dir"),
        "{out}"
    );
    assert!(out.ends_with("(3 fixes applied)\n"), "{out}");
}

#[test]
fn colour_follows_color_and_no_color() {
    let dir = project(&[("Dockerfile", WARNING_ONLY), (".dockerignore", b"")]);
    let coloured = |args: &[&str], env: &[(&str, &str)]| {
        let mut full = vec!["check"];
        full.extend_from_slice(args);
        run_with(dir.path(), &full, b"", env).1.contains('\u{1b}')
    };
    assert!(coloured(&["--color", "always"], &[]));
    assert!(
        coloured(&["--color", "always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(!coloured(&["--color", "never"], &[]));
    // auto: stdout is a pipe here
    assert!(!coloured(&[], &[]));
    assert!(!coloured(&["--color", "auto"], &[("NO_COLOR", "1")]));
    // a terminal, through script(1) where it exists
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("partly skipped: no script(1) to check colour on a terminal");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_layerwise");
    let on_tty = |no_color: bool| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &format!("{bin} check"), "/dev/null"])
            .current_dir(dir.path())
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&cmd.output().expect("script").stdout).contains('\u{1b}')
    };
    assert!(on_tty(false), "a terminal gets colour");
    assert!(!on_tty(true), "NO_COLOR turns it off");
}

#[test]
fn full_output_underlines_the_range_with_tabs_and_crlf() {
    let dir = project(&[
        ("Dockerfile", b"FROM python:3.12-slim\r\nWORKDIR\tapp\r\n"),
        (".dockerignore", b""),
    ]);
    let (code, out, _) = run(dir.path(), &["check"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "warning[relative-workdir]: `WORKDIR app` is relative, so where it points depends on the working
  directory of the base image; write the absolute path `/app`
 --> Dockerfile:2:9
  |
2 | WORKDIR app 
  |         ---
  |
  = help: fix (`--fix --unsafe-fixes`): Use the absolute path `/app`

1 problem in 1 file
"
    );
    // no line of the report is longer than 100 characters, however long the message
    let long = project(&[("Dockerfile", SEED.as_bytes())]);
    let (_, out, _) = run(long.path(), &["check"]);
    let widest = out
        .lines()
        .filter(|l| !l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.chars().count())
        .max();
    assert!(widest.is_some_and(|w| w <= 100), "{widest:?}: {out}");
}
