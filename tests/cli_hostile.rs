//! The command line on hostile input: unreadable paths, folders without Dockerfiles, FIFOs,
//! non-UTF-8 and NUL bytes, and `--fix` when writing fails or is interrupted. Usage and I/O
//! errors exit 2 with the path (and position) on stderr; a file is never left half-written
//! (`fix::write_atomically`: a temporary file, synced, then renamed). Context files that are
//! FIFOs or devices are skipped with a warning; `--fix` writes through symlinks, keeps mode and
//! owner, refuses read-only files and never hard-codes a build argument's default.

use std::path::Path;
use std::process::Command;

mod common;
use common::project::Project;

/// A fresh folder with the given files, removed on drop.
fn project(files: &[(&str, &[u8])]) -> Project {
    Project::new("cli-hostile", files)
}

/// Run `layerwise ARGS` in the folder: (exit code, stdout, stderr).
fn run(p: &Project, args: &[&str]) -> (i32, String, String) {
    output(
        Command::new(env!("CARGO_BIN_EXE_layerwise"))
            .args(args)
            .current_dir(p.path()),
    )
}

/// The names in the folder, sorted.
fn names(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(p.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Fixable with a safe fix (`--no-cache-dir`).
const FIXABLE: &[u8] = b"FROM python:3.12-slim\nRUN pip install flask\n";

#[test]
fn unreadable_paths_exit_2_with_the_path() {
    let p = project(&[("ok/Dockerfile", b"FROM alpine:3.20\n")]);
    // we may run as root, for whom chmod 000 changes nothing: dangling links are unreadable
    // for everyone
    std::os::unix::fs::symlink(p.join("nowhere"), p.join("Dockerfile")).expect("link");
    std::os::unix::fs::symlink(p.join("gone"), p.join("ok/Dockerfile.dev")).expect("link");
    for (args, expected) in [
        (&["check", "Dockerfile"][..], "Dockerfile: "),
        (&["check", "missing/Dockerfile"], "missing/Dockerfile: "),
        // found by the folder walk, then unreadable
        (&["check", "ok"], "ok/Dockerfile.dev: cannot read"),
    ] {
        let (code, out, err) = run(&p, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(err.contains("No such file"), "{args:?}: {err}");
        assert_eq!(out, "", "{args:?}");
    }
}

#[test]
fn folders_without_dockerfiles_exit_2() {
    let p = project(&[
        ("empty/.keep", b""),
        ("only-ignored/.dockerignore", b".git\n"),
        ("only-ignored/Dockerfile.dockerignore", b".git\n"),
        (
            "only-ignored/node_modules/pkg/Dockerfile",
            b"FROM node:20\n",
        ),
        ("only-ignored/.git/Dockerfile", b"FROM node:20\n"),
    ]);
    std::fs::create_dir_all(p.join("a-folder-named/Dockerfile")).expect("dir");
    for folder in [
        "empty",
        "only-ignored",
        "a-folder-named",
        "a-folder-named/Dockerfile",
    ] {
        let (code, out, err) = run(&p, &["check", folder]);
        assert_eq!(code, 2, "{folder}: {out}{err}");
        assert!(err.contains("no Dockerfile found"), "{folder}: {err}");
    }
}

#[test]
fn fifos_and_devices_are_not_read() {
    let p = project(&[("Dockerfile", b"FROM alpine:3.20\n")]);
    let fifo = p.join("Dockerfile.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED fifos_and_devices_are_not_read: mkfifo is not available");
        return;
    }
    // the folder walk skips it (reading it would block forever)
    let (code, out, err) = run(&p, &["check", "."]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "0 problems in 1 file\n", "")
    );
    // named explicitly, it is refused
    for path in ["Dockerfile.pipe", "/dev/zero"] {
        let (code, _, err) = run(&p, &["check", path]);
        assert_eq!(code, 2, "{path}: {err}");
        assert!(err.contains("not a regular file"), "{path}: {err}");
    }
}

#[test]
fn non_utf8_input_exits_2_with_line_and_column() {
    let p = project(&[
        ("first.Dockerfile", b"\xffFROM alpine\n"),
        // the column counts characters: `é` is one
        (
            "later.Dockerfile",
            b"FROM alpine\nRUN echo \xc3\xa9 \xe2\x28\xa1\n",
        ),
        (
            "latin1.Dockerfile",
            b"FROM alpine\nLABEL author=\"Jos\xe9\"\n",
        ),
        (
            "truncated.Dockerfile",
            b"FROM alpine\nRUN echo \xf0\x9f\x90",
        ),
        ("utf16.Dockerfile", b"\xff\xfeF\x00R\x00O\x00M\x00"),
    ]);
    for (file, expected) in [
        ("first.Dockerfile", "first.Dockerfile:1:1: not valid UTF-8"),
        (
            "later.Dockerfile",
            "later.Dockerfile:2:12: not valid UTF-8 (byte offset 24)",
        ),
        (
            "latin1.Dockerfile",
            "latin1.Dockerfile:2:18: not valid UTF-8",
        ),
        (
            "truncated.Dockerfile",
            "truncated.Dockerfile:2:10: not valid UTF-8",
        ),
        (
            "utf16.Dockerfile",
            "utf16.Dockerfile:1:1: the file is UTF-16",
        ),
    ] {
        let (code, out, err) = run(&p, &["check", file]);
        assert_eq!(code, 2, "{file}: {out}{err}");
        assert!(err.contains(expected), "{file}: {err}");
        assert_eq!(out, "");
        // --fix leaves it alone
        let before = p.read(file);
        let (code, _, _) = run(&p, &["check", "--fix", "--unsafe-fixes", file]);
        assert_eq!(code, 2);
        assert_eq!(p.read(file), before, "{file}");
    }
}

#[test]
fn nul_bytes_and_control_characters_are_checked_like_any_text() {
    let p = project(&[
        (
            "Dockerfile",
            b"FROM python:3.12-slim\x00\nRUN \x00pip install flask\x01\nCOPY \x00 /x\n\x00\x00\x00",
        ),
        (".dockerignore", b".git\n"),
    ]);
    let (code, out, err) = run(&p, &["check", "--format", "json"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let findings: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert!(findings.is_array(), "{out}");
    let (code, out, err) = run(&p, &["check", "--fix", "--unsafe-fixes"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(p.read("Dockerfile").contains(&0), "NUL bytes kept");
}

/// `--fix` whose write is interrupted: the process is killed by SIGXFSZ at its first byte
/// written (`ulimit -f 0`), or the write fails with EFBIG when that signal is ignored. Either
/// way the Dockerfile keeps its old content; a failed write also removes its temporary file.
#[test]
fn an_interrupted_fix_leaves_the_file_intact() {
    let p = project(&[("Dockerfile", FIXABLE), ("requirements.txt", b"flask\n")]);
    let bin = env!("CARGO_BIN_EXE_layerwise");
    // killed in the middle of writing the temporary file
    let (code, _, _) = output(
        Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -f 0 && exec '{bin}' check --fix"))
            .current_dir(p.path()),
    );
    assert_ne!(code, 0);
    assert_eq!(p.read("Dockerfile"), FIXABLE, "killed: the file is intact");
    for name in names(&p) {
        if name.ends_with(".tmp") {
            // what a killed process leaves is only its temporary file, never a broken Dockerfile
            let _ = std::fs::remove_file(p.join(&name));
        }
    }
    // the write fails: a clear error, exit 2, the file intact, no temporary file left
    let (code, out, err) = output(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' XFSZ; ulimit -f 0 && exec '{bin}' check --fix"
            ))
            .current_dir(p.path()),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("Dockerfile: cannot write the fixed file") && err.contains("unchanged"),
        "{err}"
    );
    assert_eq!(p.read("Dockerfile"), FIXABLE);
    assert_eq!(names(&p), ["Dockerfile", "requirements.txt"]);
}

/// Makes `dir` read-only for this process: `chmod 555` for a normal user; as root (whom modes do
/// not stop) the immutable attribute. `false` when neither works here.
fn make_read_only(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join(".probe");
    let writable = || {
        let ok = std::fs::write(&probe, "x").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    };
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555));
    if !writable() {
        return true;
    }
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    let _ = Command::new("chattr").arg("+i").arg(dir).output();
    !writable()
}

#[test]
fn a_read_only_folder_gives_a_clear_error_and_leaves_the_file_intact() {
    let p = project(&[("svc/Dockerfile", FIXABLE), ("ok/Dockerfile", FIXABLE)]);
    if !make_read_only(&p.join("svc")) {
        eprintln!("SKIPPED a_read_only_folder...: cannot make a folder read-only here");
        return;
    }
    let (code, out, err) = run(&p, &["check", "--fix", "svc/Dockerfile"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("svc/Dockerfile: cannot write the fixed file") && err.contains("unchanged"),
        "{err}"
    );
    assert_eq!(p.read("svc/Dockerfile"), FIXABLE);
    // --diff only reads: it still works there
    let (code, out, _) = run(&p, &["check", "--diff", "svc/Dockerfile"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("+RUN pip install --no-cache-dir flask"),
        "{out}"
    );
    // the writable folder is fixed as usual
    let (_, _, err) = run(&p, &["check", "--fix", "ok/Dockerfile"]);
    assert_eq!(err, "");
    assert_ne!(p.read("ok/Dockerfile"), FIXABLE);
    let _ = Command::new("chattr").arg("-i").arg(p.join("svc")).output();
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(p.join("svc"), std::fs::Permissions::from_mode(0o755));
}

/// Runs `layerwise ARGS` in the folder with stdin a pipe that stays open and never carries data,
/// killing it after `limit`: (exit code or `None` when it had to be killed, stdout, stderr).
fn run_limited(p: &Project, args: &[&str], limit: std::time::Duration) -> (Option<i32>, String) {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(p.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (code, text)
}

/// A context whose manifests and build files are a FIFO, a link to the reader's own stdin and a
/// link to `/dev/zero` (git stores such links, so a clone is enough): the check ends at once,
/// does not read them, and says which files it skipped and why.
#[test]
fn fifo_and_device_manifests_in_the_context_are_skipped() {
    let p = project(&[(
        "Dockerfile",
        // an untagged local base makes the check read the build files (is it built here?)
        b"FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\nFROM appbase\nCOPY --from=0 /app /app\n" as &[u8],
    )]);
    if !Command::new("mkfifo")
        .arg(p.join("Makefile"))
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("SKIPPED fifo_and_device_manifests...: mkfifo is not available");
        return;
    }
    std::os::unix::fs::symlink("/dev/stdin", p.join("go.mod")).expect("link");
    std::os::unix::fs::symlink("/dev/zero", p.join("compose.yaml")).expect("link");
    let (code, text) = run_limited(&p, &["check"], std::time::Duration::from_secs(20));
    assert!(code == Some(0) || code == Some(1), "{code:?}: {text}");
    for name in ["Makefile", "go.mod", "compose.yaml"] {
        assert!(
            text.contains(&format!("{name}: skipped: not a regular file")),
            "{name}: {text}"
        );
    }
}

/// An oversized `.dockerignore` is not read (36 MB of patterns cost seconds and gigabytes); the
/// check says so, and rules that need it treat it as unknown: no "missing .dockerignore".
#[test]
fn a_huge_dockerignore_is_skipped_with_a_message() {
    let mut ignore = Vec::new();
    while ignore.len() < 3 << 20 {
        ignore.extend_from_slice(b"some/very/long/pattern/**/*.tmp\n");
    }
    let p = project(&[
        (
            "Dockerfile",
            b"FROM python:3.12-slim\nCOPY . /app\n" as &[u8],
        ),
        (".dockerignore", &ignore),
    ]);
    let (code, text) = run_limited(&p, &["check"], std::time::Duration::from_secs(20));
    assert!(code == Some(0) || code == Some(1), "{code:?}: {text}");
    assert!(
        text.contains(".dockerignore: skipped: larger than"),
        "{text}"
    );
    assert!(!text.contains("missing-dockerignore"), "{text}");
}

/// `--fix` on a symlinked Dockerfile fixes the link's target and keeps the link.
#[test]
fn fix_writes_through_a_symlink() {
    let p = project(&[
        ("real/Dockerfile.real", FIXABLE),
        ("requirements.txt", b"flask\n"),
    ]);
    std::os::unix::fs::symlink("real/Dockerfile.real", p.join("Dockerfile")).expect("link");
    let (code, out, err) = run(&p, &["check", "--fix", "Dockerfile"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let link = std::fs::symlink_metadata(p.join("Dockerfile")).expect("meta");
    assert!(link.file_type().is_symlink(), "the link is kept");
    let fixed = String::from_utf8_lossy(&p.read("real/Dockerfile.real")).into_owned();
    assert!(
        fixed.contains("--no-cache-dir"),
        "the target is fixed: {fixed}"
    );
    assert_eq!(names(&p), ["Dockerfile", "real", "requirements.txt"]);
}

/// `--fix` keeps the file's mode, and its owner and group (when run as root, where the new
/// file would otherwise belong to root).
#[test]
fn fix_keeps_mode_owner_and_group() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let p = project(&[("Dockerfile", FIXABLE), ("requirements.txt", b"flask\n")]);
    let path = p.join("Dockerfile");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    // as root, give the file to another user, as a checkout in someone's home would be
    let other = std::os::unix::fs::chown(&path, Some(4321), Some(4322)).is_ok();
    let before = std::fs::metadata(&path).expect("meta");
    let (code, out, err) = run(&p, &["check", "--fix"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert_ne!(p.read("Dockerfile"), FIXABLE, "fixed");
    let after = std::fs::metadata(&path).expect("meta");
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    if other {
        assert_eq!((after.uid(), after.gid()), (4321, 4322));
    }
}

/// A read-only Dockerfile is not rewritten, even by root: a clear message, the file unchanged.
#[test]
fn fix_refuses_a_read_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let p = project(&[("Dockerfile", FIXABLE), ("requirements.txt", b"flask\n")]);
    std::fs::set_permissions(p.join("Dockerfile"), std::fs::Permissions::from_mode(0o444))
        .expect("chmod");
    let (code, out, err) = run(&p, &["check", "--fix"]);
    assert_eq!(p.read("Dockerfile"), FIXABLE);
    assert!(err.contains("Dockerfile: read-only"), "{out}{err}");
    // its findings are still reported, the fixable one included
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("pip"), "{out}");
}

/// Fixes never hard-code a build argument's default: a `--build-arg` must still decide what
/// the fixed file does.
#[test]
fn fixes_keep_build_arg_references() {
    let p = project(&[(
        "Dockerfile",
        b"FROM alpine:3.20\nARG DIR=srv/app\nWORKDIR ${DIR}\nARG PKG=app.py\nADD $PKG ./\nADD main.py ./\n"
            as &[u8],
    )]);
    let (code, out, err) = run(&p, &["check", "--fix", "--unsafe-fixes"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    let fixed = String::from_utf8_lossy(&p.read("Dockerfile")).into_owned();
    assert!(fixed.contains("WORKDIR /${DIR}\n"), "{fixed}");
    assert!(!fixed.contains("srv/app\nWORKDIR /srv/app"), "{fixed}");
    // the source from a variable stays an ADD; the written-out one becomes a COPY
    assert!(fixed.contains("ADD $PKG ./\n"), "{fixed}");
    assert!(fixed.contains("COPY main.py ./\n"), "{fixed}");
}

/// A `.layerwise.toml` that is a link to `/dev/stdin` or `/dev/zero` is never read: the check
/// ends at once (it is not a regular file, so it is not taken for a configuration).
#[test]
fn a_device_config_file_is_not_read() {
    for device in ["/dev/stdin", "/dev/zero"] {
        let p = project(&[("Dockerfile", b"FROM alpine:3.20\n" as &[u8])]);
        std::os::unix::fs::symlink(device, p.join(".layerwise.toml")).expect("link");
        let (code, text) = run_limited(&p, &["check"], std::time::Duration::from_secs(20));
        assert!(code.is_some(), "{device}: the check hung: {text}");
    }
}
