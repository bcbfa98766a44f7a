//! The build context: the folder whose files `COPY .` sends to the builder.
//!
//! Rules ask it questions (does a `.dockerignore` exist, does `package-lock.json` exist, what
//! heavy folders would be sent); the answers come from the file system for [`FsContext`], or are
//! unknown for [`NoContext`] (an unsaved buffer), in which case context-dependent rules stay
//! silent rather than guess.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::dockerignore::DockerIgnore;

/// An entry of the context that should usually not be sent to the builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotableEntry {
    pub name: &'static str,
    /// Total size in bytes, when measured.
    pub bytes: Option<u64>,
}

/// What rules may ask about the build context.
pub trait BuildContext: Send + Sync {
    /// `Some(true)` when `.dockerignore` or `<dockerfile-name>.dockerignore` exists, `None` when
    /// the context is unknown.
    fn has_dockerignore(&self) -> Option<bool>;
    /// The ignore file that applies, parsed.
    fn dockerignore(&self) -> Option<&DockerIgnore>;
    /// Whether a file exists at `rel` (relative to the context root); `None` when unknown.
    fn exists(&self, rel: &str) -> Option<bool>;
    /// The text of a (small) file of the context, when known and readable.
    fn read(&self, rel: &str) -> Option<String>;
    /// Entries that should not be sent (`.git`, `node_modules`, `.venv`...), when known.
    fn notable_entries(&self) -> Vec<NotableEntry>;
    /// The context root, when on disk.
    fn root(&self) -> Option<&Path>;
    /// The names of the files and folders (`true`) directly inside the folder `rel` (sorted,
    /// at most a few hundred), when known: npm workspaces named by a pattern (`packages/*`),
    /// the project file `dotnet restore` finds in its folder.
    fn entries(&self, _rel: &str) -> Option<Vec<(String, bool)>> {
        None
    }
}

/// No build context known: every question answers "unknown".
#[derive(Debug, Default, Clone, Copy)]
pub struct NoContext;

impl BuildContext for NoContext {
    fn has_dockerignore(&self) -> Option<bool> {
        None
    }
    fn dockerignore(&self) -> Option<&DockerIgnore> {
        None
    }
    fn exists(&self, _rel: &str) -> Option<bool> {
        None
    }
    fn read(&self, _rel: &str) -> Option<String> {
        None
    }
    fn notable_entries(&self) -> Vec<NotableEntry> {
        Vec::new()
    }
    fn root(&self) -> Option<&Path> {
        None
    }
}

/// Entries worth naming when a context has no `.dockerignore`.
const NOTABLE: &[&str] = &[
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    "target",
    "dist",
    "build",
    ".env",
    ".pytest_cache",
    ".mypy_cache",
    ".idea",
    ".vscode",
    "coverage",
    ".next",
    "vendor/bundle",
];

/// A build context on disk. File-system answers are read once and cached.
#[derive(Debug)]
pub struct FsContext {
    root: PathBuf,
    dockerfile_name: Option<String>,
    ignore: OnceLock<Option<(bool, DockerIgnore)>>,
}

impl FsContext {
    /// The context at `root` for the Dockerfile named `dockerfile_name` (for the per-Dockerfile
    /// `<name>.dockerignore`).
    #[must_use]
    pub fn new(root: PathBuf, dockerfile_name: Option<String>) -> Self {
        Self {
            root,
            dockerfile_name,
            ignore: OnceLock::new(),
        }
    }

    fn load_ignore(&self) -> Option<&(bool, DockerIgnore)> {
        self.ignore
            .get_or_init(|| {
                if !self.root.is_dir() {
                    return None;
                }
                let mut candidates = Vec::new();
                if let Some(name) = &self.dockerfile_name {
                    candidates.push(format!("{name}.dockerignore"));
                }
                candidates.push(".dockerignore".to_string());
                for name in candidates {
                    let path = self.root.join(&name);
                    if path.is_file() {
                        let text = std::fs::read(&path)
                            .map(|b| String::from_utf8_lossy(&b).into_owned())
                            .unwrap_or_default();
                        return Some((true, DockerIgnore::parse(&text)));
                    }
                }
                Some((false, DockerIgnore::parse("")))
            })
            .as_ref()
    }
}

impl BuildContext for FsContext {
    fn has_dockerignore(&self) -> Option<bool> {
        self.load_ignore().map(|(found, _)| *found)
    }
    fn dockerignore(&self) -> Option<&DockerIgnore> {
        self.load_ignore()
            .and_then(|(found, ignore)| found.then_some(ignore))
    }
    fn exists(&self, rel: &str) -> Option<bool> {
        if !self.root.is_dir() {
            return None;
        }
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        Some(self.root.join(rel).exists())
    }
    fn read(&self, rel: &str) -> Option<String> {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        let path = self.root.join(rel);
        // manifests are small; refuse anything large rather than stall the editor
        if std::fs::metadata(&path).ok()?.len() > 1 << 20 {
            return None;
        }
        std::fs::read_to_string(path).ok()
    }
    fn notable_entries(&self) -> Vec<NotableEntry> {
        NOTABLE
            .iter()
            .filter(|name| self.root.join(name).exists())
            .map(|name| NotableEntry {
                name,
                bytes: dir_size(&self.root.join(name), 20_000),
            })
            .collect()
    }
    fn root(&self) -> Option<&Path> {
        Some(&self.root)
    }
    fn entries(&self, rel: &str) -> Option<Vec<(String, bool)>> {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.root.join(rel))
            .ok()?
            .flatten()
            .take(2000)
        {
            // symlinks are not followed: a link out of the context is not the context
            let kind = entry.file_type().ok()?;
            if kind.is_dir() || kind.is_file() {
                out.push((
                    entry.file_name().to_string_lossy().into_owned(),
                    kind.is_dir(),
                ));
            }
        }
        if out.len() > 500 {
            return None;
        }
        out.sort();
        Some(out)
    }
}

/// Total size of the files under `path`, visiting at most `budget` entries (`None` past it).
fn dir_size(path: &Path, budget: usize) -> Option<u64> {
    let mut total = 0u64;
    let mut stack = vec![path.to_path_buf()];
    let mut seen = 0usize;
    while let Some(p) = stack.pop() {
        seen += 1;
        if seen > budget {
            return None;
        }
        let meta = std::fs::symlink_metadata(&p).ok()?;
        if meta.is_dir() {
            for entry in std::fs::read_dir(&p).ok()?.flatten() {
                stack.push(entry.path());
            }
        } else {
            total += meta.len();
        }
    }
    Some(total)
}

/// Whether a file name is a Dockerfile by name (`Dockerfile`, `Dockerfile.*`, `*.dockerfile`,
/// `Containerfile`...), not its ignore file.
#[must_use]
pub fn is_dockerfile_name(name: &str) -> bool {
    if name.ends_with(".dockerignore") {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}
