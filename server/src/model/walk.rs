//! Walking a build context: every file the builder would be sent, with its size.
//!
//! The walk runs on the `ignore` crate's parallel walker with all of its own filters off (no
//! `.gitignore`, no hidden-file rule): what decides is Docker's `.dockerignore`
//! ([`DockerIgnore`]), applied as `BuildKit`'s file sender (`fsutil`) applies it. A path is sent
//! when it is not excluded; an excluded folder is not entered unless an exception (`!pattern`)
//! could re-include something below it: always when some exception has a wildcard before its
//! trailing `/*` or `/**`, otherwise only when an exception names a path inside the folder.
//!
//! Symbolic links are not followed (the builder sends the link itself), so a link loop cannot
//! make the walk endless. A folder that cannot be read, or a file that disappears while it is
//! walked, is noted in [`Walk::problems`] and the walk goes on; past [`MAX_ENTRIES`] entries it
//! stops and says so, so a context that grows during the walk cannot keep it going.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::dockerignore::DockerIgnore;

/// The walk stops after this many entries (files, links and folders, sent or not).
pub const MAX_ENTRIES: usize = 5_000_000;

/// At most this many problems are kept (the rest are only counted).
const MAX_PROBLEMS: usize = 50;

/// What kind of entry a sent path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    File,
    /// A symbolic link, sent as a link (never followed).
    Symlink,
}

/// One file (or link) the builder is sent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ContextFile {
    /// Relative to the context root, `/`-separated, no leading `./`.
    pub path: String,
    /// Bytes (a link counts 0).
    pub size: u64,
    pub kind: EntryKind,
}

/// The result of walking a context.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Every file and link sent, sorted by path.
    pub files: Vec<ContextFile>,
    /// Folders sent that hold no sent file or link (the builder still creates them), sorted.
    pub empty_dirs: Vec<String>,
    /// Folders that could not be read, entries that vanished, and the like (at most 50).
    pub problems: Vec<String>,
    /// How many problems there were in all.
    pub problem_count: usize,
    /// The walk stopped at [`MAX_ENTRIES`].
    pub truncated: bool,
}

impl Walk {
    /// Total bytes sent.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// The index of `path` in [`Walk::files`], when sent.
    #[must_use]
    pub fn find(&self, path: &str) -> Option<usize> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
    }

    /// The indices of the files at `dir` or below it (`""`: all of them).
    #[must_use]
    pub fn under(&self, dir: &str) -> std::ops::Range<usize> {
        if dir.is_empty() {
            return 0..self.files.len();
        }
        // children sort between "dir/" and "dir0" ('0' follows '/')
        let lo_key = format!("{dir}/");
        let hi_key = format!("{dir}0");
        let lo = self
            .files
            .partition_point(|f| f.path.as_str() < lo_key.as_str());
        let hi = self
            .files
            .partition_point(|f| f.path.as_str() < hi_key.as_str());
        lo..hi.max(lo)
    }
}

/// How an excluded folder is treated (fsutil's pruning).
struct Pruning {
    /// Every exception is a literal path (after dropping a trailing `/*` or `/**`).
    only_prefix_exceptions: bool,
    /// Those literal paths, each with a trailing `/`.
    exception_prefixes: Vec<String>,
}

impl Pruning {
    fn new(ignore: &DockerIgnore) -> Self {
        let mut only = true;
        let mut prefixes = Vec::new();
        for rule in ignore.rules() {
            if !rule.is_exception() || rule.cleaned().is_empty() {
                continue;
            }
            let mut p = rule.cleaned();
            p = p.strip_suffix("/**").unwrap_or(p);
            p = p.strip_suffix("/*").unwrap_or(p);
            if p.contains(['*', '[', ']', '?', '^', '\\']) {
                only = false;
            }
            prefixes.push(format!("{p}/"));
        }
        Pruning {
            only_prefix_exceptions: only,
            exception_prefixes: prefixes,
        }
    }

    /// Whether the walk must enter the excluded folder `dir`.
    fn enter_excluded(&self, dir: &str) -> bool {
        if !self.only_prefix_exceptions {
            return true;
        }
        let slash = format!("{dir}/");
        self.exception_prefixes
            .iter()
            .any(|p| p.starts_with(slash.as_str()))
    }
}

/// What one walker thread found.
#[derive(Default)]
struct Found {
    files: Vec<ContextFile>,
    dirs: Vec<String>,
    problems: Vec<String>,
    problem_count: usize,
}

struct Shared {
    root_len: usize,
    ignore: DockerIgnore,
    pruning: Pruning,
    seen: AtomicUsize,
    out: Mutex<Vec<Found>>,
}

struct Visitor {
    shared: Arc<Shared>,
    found: Found,
}

impl Visitor {
    fn problem(&mut self, message: String) {
        self.found.problem_count += 1;
        if self.found.problems.len() < MAX_PROBLEMS {
            self.found.problems.push(message);
        }
    }

    fn rel(&self, path: &Path) -> Option<String> {
        // the walker's paths are the root joined with the names below it
        let bytes = path.as_os_str().as_encoded_bytes();
        let below = bytes.get(self.shared.root_len..)?;
        let below = below.strip_prefix(b"/").unwrap_or(below);
        Some(std::str::from_utf8(below).ok()?.to_owned())
    }
}

impl ParallelVisitor for Visitor {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if self.shared.seen.fetch_add(1, Ordering::Relaxed) >= MAX_ENTRIES {
            return WalkState::Quit;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                self.problem(err.to_string());
                return WalkState::Continue;
            }
        };
        if entry.depth() == 0 {
            return WalkState::Continue;
        }
        let Some(rel) = self.rel(entry.path()) else {
            self.problem(format!(
                "{}: not a UTF-8 name, left out",
                entry.path().display()
            ));
            return WalkState::Continue;
        };
        let Some(kind) = entry.file_type() else {
            return WalkState::Continue;
        };
        let excluded = self.shared.ignore.is_excluded(&rel);
        if kind.is_dir() {
            if excluded {
                return if self.shared.pruning.enter_excluded(&rel) {
                    WalkState::Continue
                } else {
                    WalkState::Skip
                };
            }
            self.found.dirs.push(rel);
            return WalkState::Continue;
        }
        if excluded {
            return WalkState::Continue;
        }
        let (size, kind) = if kind.is_symlink() {
            (0, EntryKind::Symlink)
        } else {
            match entry.metadata() {
                Ok(meta) => (meta.len(), EntryKind::File),
                Err(err) => {
                    self.problem(format!("{rel}: {err}"));
                    return WalkState::Continue;
                }
            }
        };
        self.found.files.push(ContextFile {
            path: rel,
            size,
            kind,
        });
        WalkState::Continue
    }
}

impl Drop for Visitor {
    fn drop(&mut self) {
        let mut found = std::mem::take(&mut self.found);
        // sorted on the walker's threads: merging the sorted runs afterwards is cheap
        found.files.sort_unstable();
        if let Ok(mut out) = self.shared.out.lock() {
            out.push(found);
        }
    }
}

struct Builder(Arc<Shared>);

impl<'s> ParallelVisitorBuilder<'s> for Builder {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            shared: Arc::clone(&self.0),
            found: Found::default(),
        })
    }
}

/// Walks the context at `root` with `ignore` applied, on `threads` threads (0: as many as
/// there are cores).
#[must_use]
pub fn walk(root: &Path, ignore: &DockerIgnore, threads: usize) -> Walk {
    let shared = Arc::new(Shared {
        root_len: root.as_os_str().len(),
        ignore: ignore.clone(),
        pruning: Pruning::new(ignore),
        seen: AtomicUsize::new(0),
        out: Mutex::new(Vec::new()),
    });
    WalkBuilder::new(root)
        .standard_filters(false)
        .follow_links(false)
        .threads(threads)
        .build_parallel()
        .visit(&mut Builder(Arc::clone(&shared)));

    let truncated = shared.seen.load(Ordering::Relaxed) > MAX_ENTRIES;
    let parts = shared
        .out
        .lock()
        .map(|mut out| std::mem::take(&mut *out))
        .unwrap_or_default();
    let mut walk = Walk {
        truncated,
        ..Walk::default()
    };
    // exactly as long as needed: the list is kept (by the editor) as long as the context is
    walk.files
        .reserve_exact(parts.iter().map(|p| p.files.len()).sum());
    let mut dirs = Vec::new();
    for part in parts {
        walk.files.extend(part.files);
        dirs.extend(part.dirs);
        walk.problem_count += part.problem_count;
        for p in part.problems {
            if walk.problems.len() < MAX_PROBLEMS {
                walk.problems.push(p);
            }
        }
    }
    // a stable sort merges the threads' sorted runs rather than sorting from scratch
    walk.files.sort();
    dirs.sort_unstable();
    walk.empty_dirs = dirs
        .into_iter()
        .filter(|d| walk.under(d).is_empty())
        .collect();
    walk.problems.sort();
    walk
}

/// The ignore file that applies to the Dockerfile at `dockerfile` for the context `root`:
/// `<Dockerfile>.dockerignore` beside the Dockerfile, else `.dockerignore` at the root. Its
/// path and parsed patterns; `None` when there is none.
#[must_use]
pub fn ignore_file(root: &Path, dockerfile: Option<&Path>) -> Option<(PathBuf, DockerIgnore)> {
    let mut candidates = Vec::new();
    if let Some(file) = dockerfile {
        let mut name = file.as_os_str().to_owned();
        name.push(".dockerignore");
        candidates.push(PathBuf::from(name));
    }
    candidates.push(root.join(".dockerignore"));
    candidates.into_iter().find(|p| p.is_file()).map(|p| {
        // as every context file: a FIFO or device is never read, and at most 1 MiB
        let text = super::context::read_regular(&p, 1 << 20)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (p, DockerIgnore::parse(&text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempdir::Dir {
        let dir = tempdir::Dir::new();
        for (path, text) in files {
            let p = dir.0.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "layerwise-walk-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn paths(w: &Walk) -> Vec<&str> {
        w.files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn applies_dockerignore_with_exceptions_and_double_star() {
        let d = tree(&[
            ("a.txt", "aa"),
            ("node_modules/x/index.js", "x"),
            ("src/main.py", "print()"),
            ("src/keep.log", "k"),
            ("src/deep/drop.log", "d"),
            ("docs/readme.md", "r"),
            ("docs/notes.txt", "n"),
            (".git/HEAD", "h"),
            (".hidden", "h"),
        ]);
        let ig =
            DockerIgnore::parse("node_modules\n**/*.log\n!src/keep.log\ndocs\n!docs/*.md\n.git\n");
        let w = walk(&d.0, &ig, 2);
        assert_eq!(
            paths(&w),
            [
                ".hidden",
                "a.txt",
                "docs/readme.md",
                "src/keep.log",
                "src/main.py"
            ]
        );
        assert_eq!(w.bytes(), 1 + 2 + 1 + 1 + 7);
        assert!(w.problems.is_empty());
    }

    #[test]
    fn links_are_sent_not_followed_and_loops_end() {
        let d = tree(&[("a/f.txt", "12345")]);
        std::os::unix::fs::symlink("..", d.0.join("a/up")).unwrap();
        std::os::unix::fs::symlink("/etc", d.0.join("etc")).unwrap();
        let w = walk(&d.0, &DockerIgnore::default(), 2);
        assert_eq!(paths(&w), ["a/f.txt", "a/up", "etc"]);
        assert_eq!(w.files[1].kind, EntryKind::Symlink);
        assert_eq!(w.bytes(), 5);
    }

    #[test]
    fn empty_dirs_are_kept_and_under_finds_children() {
        let d = tree(&[("a/b.txt", "1"), ("ab.txt", "2"), ("a0", "3")]);
        std::fs::create_dir_all(d.0.join("empty/inner")).unwrap();
        let w = walk(&d.0, &DockerIgnore::default(), 1);
        assert_eq!(w.empty_dirs, ["empty", "empty/inner"]);
        assert_eq!(w.under("a"), 0..1);
        assert_eq!(w.under(""), 0..3);
        assert!(w.under("zz").is_empty());
    }

    #[test]
    fn unreadable_folder_is_a_problem_not_a_failure() {
        let d = tree(&[("ok.txt", "1"), ("locked/secret", "2")]);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.0.join("locked"), std::fs::Permissions::from_mode(0o000))
            .unwrap();
        let w = walk(&d.0, &DockerIgnore::default(), 2);
        std::fs::set_permissions(d.0.join("locked"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        assert!(w.files.iter().any(|f| f.path == "ok.txt"));
        // root can read anything: only then is the folder read
        if w.files.iter().all(|f| f.path != "locked/secret") {
            assert_eq!(w.problem_count, 1, "{:?}", w.problems);
        }
    }

    #[test]
    fn excluded_folder_is_pruned_unless_an_exception_reaches_in() {
        let d = tree(&[("big/a", "1"), ("big/keep/b", "2"), ("other/c", "3")]);
        let w = walk(&d.0, &DockerIgnore::parse("big\n!big/keep\n"), 2);
        assert_eq!(paths(&w), ["big/keep/b", "other/c"]);
        let w = walk(&d.0, &DockerIgnore::parse("*\n!**/b\n"), 2);
        assert_eq!(paths(&w), ["big/keep/b"]);
    }

    #[test]
    fn a_context_changing_during_the_walk_ends_the_walk_without_a_panic() {
        let d = tree(&[("keep/a", "1")]);
        for k in 0..50 {
            std::fs::create_dir_all(d.0.join(format!("churn/d{k}"))).unwrap();
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let churn = {
            let (root, stop) = (d.0.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let dir = root.join(format!("churn/d{}", n % 50));
                    let _ = std::fs::remove_dir_all(&dir);
                    let _ = std::fs::create_dir_all(dir.join("x"));
                    let _ = std::fs::write(dir.join("x/f"), "data");
                    n += 1;
                }
            })
        };
        for _ in 0..20 {
            let w = walk(&d.0, &DockerIgnore::default(), 2);
            assert!(w.files.iter().any(|f| f.path == "keep/a"));
            assert!(w.files.windows(2).all(|p| p[0].path < p[1].path));
        }
        stop.store(true, Ordering::Relaxed);
        churn.join().unwrap();
    }

    #[test]
    fn ignore_file_prefers_the_dockerfile_s_own() {
        let d = tree(&[
            (".dockerignore", "a"),
            ("Dockerfile.prod.dockerignore", "b"),
        ]);
        let (p, _) = ignore_file(&d.0, Some(&d.0.join("Dockerfile.prod"))).unwrap();
        assert!(p.ends_with("Dockerfile.prod.dockerignore"));
        let (p, _) = ignore_file(&d.0, Some(&d.0.join("Dockerfile"))).unwrap();
        assert!(p.ends_with(".dockerignore"));
    }
}
