//! The build context: the folder whose files `COPY .` sends to the builder.
//!
//! Rules ask it questions (does a `.dockerignore` exist, does `package-lock.json` exist, what
//! heavy folders would be sent); the answers come from the file system for [`FsContext`], or are
//! unknown for [`NoContext`] (an unsaved buffer), in which case context-dependent rules stay
//! silent rather than guess.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

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
    /// The context files that were not read so far, each with why (`path: skipped: reason`):
    /// FIFOs, devices, files above the size cap. Rules treat them as unknown.
    fn skipped(&self) -> Vec<String> {
        Vec::new()
    }
    /// This context as `Any`, for a wrapper to find its own type again (`None`: not offered).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

/// The most bytes a context file (a manifest, a build script) may hold to be read.
pub const MAX_CONTEXT_FILE_BYTES: u64 = 1 << 20;

/// The most bytes a `.dockerignore` may hold to be read (real ones are a few kilobytes; Docker
/// itself reads any size, but parsing megabytes of patterns on every keystroke is not worth it).
pub const MAX_DOCKERIGNORE_BYTES: u64 = 1 << 20;

/// Why a context file was not read.
#[derive(Debug)]
pub enum Unread {
    /// It does not exist (or cannot be opened); nothing worth saying.
    Missing(io::Error),
    /// It is not a regular file once opened (a FIFO, a device, a folder): reading could block
    /// forever or never end.
    NotRegular(&'static str),
    /// It holds more than the cap.
    TooLarge(u64),
}

impl Unread {
    /// The sentence for the user, or `None` when not worth one (a missing file).
    #[must_use]
    pub fn reason(&self) -> Option<String> {
        match self {
            Unread::Missing(_) => None,
            Unread::NotRegular(kind) => Some(format!("not a regular file ({kind}), so not read")),
            Unread::TooLarge(cap) => Some(format!(
                "larger than {} KiB, so not read; its content is treated as unknown",
                cap >> 10
            )),
        }
    }
}

/// Reads the regular file at `path`, at most `cap` bytes. Symlinks are followed, but what is
/// opened must be a regular file: it is opened without blocking (a FIFO's open would otherwise
/// wait for a writer forever) and checked after opening (so a link swapped in between cannot
/// lead to a device), and never more than `cap` bytes are read, whatever size it reports.
///
/// # Errors
/// Why it was not read.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, Unread> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file: File = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(Unread::Missing)?;
    let kind = file.metadata().map_err(Unread::Missing)?.file_type();
    if !kind.is_file() {
        return Err(Unread::NotRegular(if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_dir() {
            "a folder"
        } else {
            "not a file"
        }));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(Unread::Missing)?;
    if bytes.len() as u64 > cap {
        return Err(Unread::TooLarge(cap));
    }
    Ok(bytes)
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
    /// `Some(found, parsed)`; `found` is `None` when the file exists but was not read.
    ignore: OnceLock<Option<(Option<bool>, DockerIgnore)>>,
    /// The files not read, with why (see [`BuildContext::skipped`]).
    skipped: Mutex<Vec<String>>,
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
            skipped: Mutex::new(Vec::new()),
        }
    }

    /// Reads `rel` with [`read_regular`], noting why when it was skipped.
    fn read_capped(&self, rel: &str, cap: u64) -> Option<Vec<u8>> {
        match read_regular(&self.root.join(rel), cap) {
            Ok(bytes) => Some(bytes),
            Err(why) => {
                if let Some(reason) = why.reason() {
                    let note = format!("{}: skipped: {reason}", self.root.join(rel).display());
                    let mut skipped = self.skipped.lock().unwrap_or_else(PoisonError::into_inner);
                    if !skipped.contains(&note) {
                        skipped.push(note);
                    }
                }
                None
            }
        }
    }

    fn load_ignore(&self) -> Option<&(Option<bool>, DockerIgnore)> {
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
                    // any kind of entry counts as there (Docker would try to read it)
                    if std::fs::symlink_metadata(self.root.join(&name)).is_err() {
                        continue;
                    }
                    return Some(match self.read_capped(&name, MAX_DOCKERIGNORE_BYTES) {
                        Some(bytes) => (
                            Some(true),
                            DockerIgnore::parse(&String::from_utf8_lossy(&bytes)),
                        ),
                        None => (None, DockerIgnore::parse("")),
                    });
                }
                Some((Some(false), DockerIgnore::parse("")))
            })
            .as_ref()
    }
}

impl BuildContext for FsContext {
    fn has_dockerignore(&self) -> Option<bool> {
        self.load_ignore().and_then(|(found, _)| *found)
    }
    fn dockerignore(&self) -> Option<&DockerIgnore> {
        self.load_ignore()
            .and_then(|(found, ignore)| (*found == Some(true)).then_some(ignore))
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
        // manifests are small; refuse anything large, or not a file, rather than stall
        String::from_utf8(self.read_capped(rel, MAX_CONTEXT_FILE_BYTES)?).ok()
    }
    fn skipped(&self) -> Vec<String> {
        self.skipped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
