//! Finding, reading and naming the files the command line works on.

use std::path::{Path, PathBuf};

use super::Fail;
use crate::fix;

pub use crate::model::context::is_dockerfile_name;

const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".hg",
    ".svn",
];

/// Add `path` (a file) or the Dockerfiles under it (a folder) to `out`.
pub(super) fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Fail> {
    let meta = std::fs::metadata(path).map_err(|e| Fail(format!("{}: {e}", path.display())))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() {
        // a FIFO or a device would block the read or never end
        return Err(Fail(format!(
            "{}: not a regular file or a folder",
            path.display()
        )));
    }
    let before = out.len();
    walk(path, out);
    if out.len() == before {
        return Err(Fail(format!(
            "{}: no Dockerfile found (looked for Dockerfile, Dockerfile.*, *.dockerfile, Containerfile)",
            path.display()
        )));
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), out);
            }
        } else if is_dockerfile_name(&name) {
            let path = entry.path();
            // only regular files (through links): reading a FIFO or a device named Dockerfile
            // would block or never end. A dangling link is kept, so that reading it reports it.
            if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
                continue;
            }
            // `./Dockerfile` reads better as `Dockerfile`
            out.push(
                path.strip_prefix(".")
                    .map_or_else(|_| path.clone(), Path::to_path_buf),
            );
        }
    }
}

/// The file's text; invalid UTF-8 is an error that says where (line and column in characters,
/// as in the findings).
pub(super) fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, Fail> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Fail(format!(
                "{}:1:1: the file is UTF-16, not UTF-8; save it as UTF-8",
                path.display()
            ));
        }
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        // the bytes before `at` are valid UTF-8
        let col = std::str::from_utf8(&bytes[line_start..at])
            .map_or(at - line_start, |s| s.chars().count())
            + 1;
        Fail(format!(
            "{}:{line}:{col}: not valid UTF-8 (byte offset {at}); save the file as UTF-8",
            path.display()
        ))
    })
}

/// Runs the analysis or the fixes of one file. Each rule already runs under `catch_unwind`; this
/// catches a panic anywhere else (a bug) and turns it into an error naming the file (exit 2)
/// instead of a crash.
pub(super) fn guarded<T>(file: &Path, f: impl FnOnce() -> T) -> Result<T, Fail> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        Fail(format!(
            "{}: internal error while checking this file (a bug; please report it with the file)",
            file.display()
        ))
    })
}

pub(super) fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Write the fixed text (atomically) and the files fixes create (never overwriting one).
/// Writes the fixed file and the files the fixes create; `false` when the file was skipped
/// (read-only, or changed on disk since it was read: said on stderr, nothing written).
pub(super) fn apply_to_disk(
    file: &Path,
    before: &str,
    fixed: &fix::Fixed,
    read: &fix::Snapshot,
) -> Result<bool, Fail> {
    if fixed.text != before {
        match fix::replace_file(file, &fixed.text, Some(read)) {
            Ok(()) => {}
            Err(skip @ (fix::WriteError::ReadOnly | fix::WriteError::Changed)) => {
                eprintln!("{}: {skip}", file.display());
                return Ok(false);
            }
            Err(e) => {
                return Err(Fail(format!(
                    "{}: cannot write the fixed file: {e}; the file is unchanged",
                    file.display()
                )))
            }
        }
    }
    for new in &fixed.creates {
        if new.path.exists() {
            continue;
        }
        fix::write_atomically(&new.path, &new.text)
            .map_err(|e| Fail(format!("{}: cannot write: {e}", new.path.display())))?;
    }
    Ok(true)
}

/// A unified diff of `before` -> `after` with `git apply`'s headers.
pub(super) fn unified_diff(file: &Path, before: &str, after: &str) -> String {
    let name = diff_name(file);
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// A unified diff of what the fixes would change, created files included.
pub(super) fn render_diff(file: &Path, before: &str, fixed: &fix::Fixed) -> String {
    let mut out = String::new();
    if fixed.text != before {
        out.push_str(&unified_diff(file, before, &fixed.text));
    }
    for new in &fixed.creates {
        if new.path.exists() {
            continue;
        }
        let name = diff_name(&new.path);
        let diff = similar::TextDiff::from_lines("", &new.text);
        out.push_str(
            &diff
                .unified_diff()
                .header("/dev/null", &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}

/// A path as `git apply` takes it in a diff header: relative to the current folder when it is
/// inside it, with no `.` parts (`./.dockerignore` -> `.dockerignore`) and `/` separators.
pub(super) fn diff_name(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let inside = |p: &Path| -> Option<PathBuf> {
        let cwd = cwd.as_ref()?;
        if let Ok(r) = p.strip_prefix(cwd) {
            return Some(r.to_path_buf());
        }
        // through symlinks; a created file does not exist yet, so its folder is resolved
        let real_cwd = cwd.canonicalize().ok()?;
        let folder = p.parent()?.canonicalize().ok()?;
        Some(folder.strip_prefix(&real_cwd).ok()?.join(p.file_name()?))
    };
    let rel = if path.is_absolute() {
        inside(path).unwrap_or_else(|| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    rel.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}
