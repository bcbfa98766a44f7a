//! Helpers for the fuzz targets in `fuzz_targets/`: turning bytes into text, build contexts on
//! disk, and the invariants (`invariants.rs`, shared with the stable fuzzer `tests/fuzz_stable.rs`).

pub mod invariants;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use layerwise::model::context::FsContext;

/// The input as text: invalid UTF-8 becomes U+FFFD, so every input is used.
#[must_use]
pub fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The largest char boundary of `text` at or below `i`.
#[must_use]
pub fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// An earlier version of `text` for the cached parse: a range chosen by the input's first two
/// bytes cut out, so the cache holds some of the same instructions and some different ones.
#[must_use]
pub fn earlier(text: &str, data: &[u8]) -> String {
    let (a, b) = match data {
        [a, b, ..] => (usize::from(*a), usize::from(*b)),
        _ => return String::new(),
    };
    let start = floor_boundary(text, a * text.len() / 256);
    let end = floor_boundary(text, start + b).max(start);
    format!("{}{}", &text[..start], &text[end..])
}

/// Two build contexts on disk, made once per process: `bare` has the usual manifests, a `.git`
/// and a `node_modules` but no `.dockerignore`; `ignored` has the same plus a `.dockerignore`.
/// Returns (folder, Dockerfile path) pairs.
#[must_use]
pub fn context_dirs() -> &'static [(PathBuf, PathBuf); 2] {
    static DIRS: OnceLock<[(PathBuf, PathBuf); 2]> = OnceLock::new();
    DIRS.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("layerwise-fuzz-{}", std::process::id()));
        let make = |name: &str, dockerignore: bool| {
            let dir = base.join(name);
            let files: &[(&str, &str)] = &[
                ("requirements.txt", "flask==3.0\n-r requirements/base.txt\n"),
                ("requirements/base.txt", "requests\n"),
                (
                    "package.json",
                    "{\"name\": \"x\", \"scripts\": {\"build\": \"tsc\"}}\n",
                ),
                ("package-lock.json", "{}\n"),
                ("go.mod", "module x\n"),
                ("go.sum", ""),
                ("Cargo.toml", "[package]\nname = \"x\"\n"),
                ("Gemfile", "source 'https://rubygems.org'\n"),
                ("pom.xml", "<project/>\n"),
                ("pyproject.toml", "[project]\nname = \"x\"\n"),
                (".git/HEAD", "ref: refs/heads/main\n"),
                ("node_modules/x/index.js", "\n"),
            ];
            for (file, text) in files {
                let path = dir.join(file);
                if let Some(parent) = path.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(path, text);
            }
            if dockerignore {
                let _ = std::fs::write(dir.join(".dockerignore"), ".git\nnode_modules\n");
            }
            let dockerfile = dir.join("Dockerfile");
            (dir, dockerfile)
        };
        [make("bare", false), make("ignored", true)]
    })
}

/// The context of a folder made by [`context_dirs`].
#[must_use]
pub fn fs_context(dir: &Path) -> FsContext {
    FsContext::new(dir.to_path_buf(), Some("Dockerfile".to_string()))
}
