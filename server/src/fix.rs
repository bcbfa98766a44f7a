//! Applying fixes: edits to text, and "fix all" to a fixed point.
//!
//! Used by the CLI (`check --fix`, `--unsafe-fixes`, `--diff`) and the LSP (`source.fixAll`).
//! Edits of one round never overlap, and the fixes of a round must still build what the text
//! built when applied together ([`compatible`]); a fix left out waits for the next round, which
//! re-analyses the new text. Files a fix creates are kept pending (an
//! overlay on the build context), so the next round sees them, and the caller writes them.

use std::path::{Path, PathBuf};

use crate::model::context::{BuildContext, NotableEntry};
use crate::model::dockerignore::DockerIgnore;
use crate::rules::fixes::equivalence::{self, Allowance};
use crate::rules::{self, Config, Edit, Fix, NewFile, Safety};
use crate::syntax::{self, Span};

/// Apply non-overlapping edits to `text`. Edits are sorted by position; an insertion at the
/// end of a replaced span goes after it.
///
/// # Errors
/// When two edits overlap or an edit is out of bounds / not on a char boundary.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        let (s, e) = (edit.span.start, edit.span.end);
        if s < at
            || e < s
            || e > text.len()
            || !text.is_char_boundary(s)
            || !text.is_char_boundary(e)
        {
            return Err(format!(
                "edit {s}..{e} overlaps another edit or is out of bounds"
            ));
        }
        out.push_str(&text[at..s]);
        out.push_str(&edit.text);
        at = e;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

fn overlaps(a: &[Edit], b: &[Edit]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| edits_clash(x.span, y.span)))
}

/// Whether edits of two different fixes must not be applied together: their spans overlap, or
/// one inserts at a boundary of the other. Replacements that merely touch are fine, but an
/// insertion where another edit replaces text belongs to the text on one side of it (appending to
/// an instruction that the other edit deletes or moves), and two insertions at one point have no
/// order: applied together they could put text in the wrong place, so one waits for the next
/// round, which re-analyses the new text.
#[must_use]
pub fn edits_clash(x: Span, y: Span) -> bool {
    let inserts_at_edge =
        |i: Span, other: Span| i.is_empty() && (i.start == other.start || i.start == other.end);
    (x.start < y.end && y.start < x.end) || inserts_at_edge(x, y) || inserts_at_edge(y, x)
}

/// The result of fixing a file.
#[derive(Debug, Clone, Default)]
pub struct Fixed {
    pub text: String,
    /// (rule id, fix title) of every fix applied, in order.
    pub applied: Vec<(&'static str, String)>,
    /// Files to create.
    pub creates: Vec<NewFile>,
    /// The edits of each round, with spans in the text that round started from (for checking
    /// what a fix touched; see `server/fuzz/src/invariants.rs`).
    pub rounds: Vec<Vec<Edit>>,
}

/// Apply every fix (safe ones, and unsafe ones too when `unsafe_fixes`) until none applies.
/// Each round applies the fixes that [`compatible`] lets through together, then analyses the
/// result again, so a fix is always built on the text the earlier ones produced.
#[must_use]
pub fn fix_all(
    text: &str,
    context: &dyn BuildContext,
    path: Option<&Path>,
    config: &Config,
    unsafe_fixes: bool,
) -> Fixed {
    let mut fixed = Fixed {
        text: text.to_string(),
        ..Fixed::default()
    };
    for _round in 0..16 {
        let overlay = Overlay {
            inner: context,
            created: &fixed.creates,
            ignore: std::sync::OnceLock::new(),
        };
        let tree = syntax::parse(&fixed.text);
        let diagnostics = rules::check(&fixed.text, &tree, &overlay, path, config);
        let candidates: Vec<(&'static str, &Fix)> = diagnostics
            .iter()
            .filter_map(|d| Some((d.rule, d.fix.as_ref()?)))
            .filter(|(_, fix)| fix.safety == Safety::Safe || unsafe_fixes)
            .filter(|(_, fix)| {
                // a file another fix of this run already creates
                !fix.creates
                    .iter()
                    .any(|c| fixed.creates.iter().any(|p| p.path == c.path))
            })
            .collect();
        let fixes: Vec<&Fix> = candidates.iter().map(|(_, f)| *f).collect();
        let chosen = compatible(&fixed.text, &tree, &overlay, &fixes);
        if chosen.is_empty() {
            break;
        }
        let edits: Vec<Edit> = chosen
            .iter()
            .flat_map(|&k| candidates[k].1.edits.iter().cloned())
            .collect();
        let Ok(next) = apply_edits(&fixed.text, &edits) else {
            break;
        };
        fixed.text = next;
        for &k in &chosen {
            let (rule, fix) = candidates[k];
            fixed.creates.extend(fix.creates.iter().cloned());
            fixed.applied.push((rule, fix.title.clone()));
        }
        fixed.rounds.push(edits);
    }
    fixed
}

/// Which of `fixes` (computed on the same `text`) can be applied together, by index, in order:
/// their edits do not clash, they create no file twice, and applied together they neither add a
/// syntax error nor change what the build does beyond what each means to change (the composed
/// check of [`equivalence`]): fixes that are sound alone can break a build together, such as an
/// apt list cleanup on one RUN and the join of that RUN with the install that needs the lists.
/// All of them are tried at once first; when that fails, they are added one by one, each kept
/// only if the set still passes (among the first 64; the others wait for the next round). A fix
/// that fails the check even alone is not applied.
#[must_use]
pub fn compatible(
    text: &str,
    tree: &syntax::SyntaxTree,
    context: &dyn BuildContext,
    fixes: &[&Fix],
) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::new();
    let mut edits: Vec<Edit> = Vec::new();
    let mut creates: Vec<&std::path::Path> = Vec::new();
    for (k, fix) in fixes.iter().enumerate() {
        if overlaps(&edits, &fix.edits)
            || fix
                .creates
                .iter()
                .any(|c| creates.contains(&c.path.as_path()))
        {
            continue;
        }
        edits.extend(fix.edits.iter().cloned());
        creates.extend(fix.creates.iter().map(|c| c.path.as_path()));
        chosen.push(k);
    }
    let errors = syntax::SyntaxTree::errors;
    let base_errors = errors(tree).count();
    let sound = |edits: &[Edit]| -> bool {
        let Ok(next) = apply_edits(text, edits) else {
            return false;
        };
        errors(&syntax::parse_reusing(text, tree, &next)).count() <= base_errors
            && equivalence::check_tree(text, tree, context, &next, &Allowance::composed()).is_ok()
    };
    if chosen.is_empty() || sound(&edits) {
        return chosen;
    }
    let mut kept: Vec<usize> = Vec::new();
    let mut kept_edits: Vec<Edit> = Vec::new();
    for &k in chosen.iter().take(64) {
        let mut trial = kept_edits.clone();
        trial.extend(fixes[k].edits.iter().cloned());
        if sound(&trial) {
            kept.push(k);
            kept_edits = trial;
        }
    }
    kept
}

/// The build context as it will be once the pending files exist.
struct Overlay<'a> {
    inner: &'a dyn BuildContext,
    created: &'a [NewFile],
    /// The created ignore file, parsed when first asked for.
    ignore: std::sync::OnceLock<DockerIgnore>,
}

impl Overlay<'_> {
    /// The text of a created `.dockerignore` or `<name>.dockerignore` (a fix creates the one
    /// this Dockerfile reads).
    fn created_ignore(&self) -> Option<&str> {
        let root = self.inner.root()?;
        self.created
            .iter()
            .find(|f| {
                f.path.parent() == Some(root)
                    && f.path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().ends_with(".dockerignore"))
            })
            .map(|f| f.text.as_str())
    }

    fn created(&self, rel: &str) -> Option<&NewFile> {
        let root = self.inner.root()?;
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.created.iter().find(|f| f.path == root.join(rel))
    }
}

impl BuildContext for Overlay<'_> {
    fn has_dockerignore(&self) -> Option<bool> {
        if self.created_ignore().is_some() {
            return Some(true);
        }
        self.inner.has_dockerignore()
    }
    fn dockerignore(&self) -> Option<&DockerIgnore> {
        match self.created_ignore() {
            Some(text) => Some(self.ignore.get_or_init(|| DockerIgnore::parse(text))),
            None => self.inner.dockerignore(),
        }
    }
    fn skipped(&self) -> Vec<String> {
        self.inner.skipped()
    }
    fn exists(&self, rel: &str) -> Option<bool> {
        if self.created(rel).is_some() {
            return Some(true);
        }
        self.inner.exists(rel)
    }
    fn read(&self, rel: &str) -> Option<String> {
        match self.created(rel) {
            Some(f) => Some(f.text.clone()),
            None => self.inner.read(rel),
        }
    }
    fn notable_entries(&self) -> Vec<NotableEntry> {
        self.inner.notable_entries()
    }
    fn entries(&self, rel: &str) -> Option<Vec<(String, bool)>> {
        self.inner.entries(rel)
    }
    fn root(&self) -> Option<&Path> {
        self.inner.root()
    }
}

/// What a file held when it was read: its size, modification time and a hash of its bytes, to
/// tell before replacing it whether another program changed it since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    len: u64,
    modified: Option<std::time::SystemTime>,
    hash: u64,
}

impl Snapshot {
    /// The snapshot of `path`, whose content was just read as `bytes`.
    #[must_use]
    pub fn taken(path: &Path, bytes: &[u8]) -> Self {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        Self {
            len: bytes.len() as u64,
            modified,
            hash: hash(bytes),
        }
    }

    /// Whether `path` still holds what was read (same size, time and content).
    fn still_matches(&self, path: &Path) -> std::io::Result<bool> {
        use std::io::Read as _;
        let meta = std::fs::metadata(path)?;
        if meta.len() != self.len || meta.modified().ok() != self.modified {
            return Ok(false);
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(self.len + 1)
            .read_to_end(&mut bytes)?;
        Ok(hash(&bytes) == self.hash)
    }
}

fn hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// Why a file was not replaced.
#[derive(Debug)]
pub enum WriteError {
    /// The file has no write permission for anyone: its owner means it to stay as it is.
    ReadOnly,
    /// The file changed on disk since it was read (another program saved it).
    Changed,
    /// Creating, writing, keeping the owner or renaming failed.
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::ReadOnly => f.write_str(
                "read-only, so not changed (make it writable to let the fixes change it)",
            ),
            WriteError::Changed => f.write_str(
                "changed on disk while it was being checked, so not changed (check it again)",
            ),
            WriteError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Write `text` to `path` atomically: see [`replace_file`], without the check for changes.
///
/// # Errors
/// The I/O error (a read-only file is `PermissionDenied`); `path` is then unchanged.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    replace_file(path, text, None).map_err(|e| match e {
        WriteError::Io(e) => e,
        other => std::io::Error::new(std::io::ErrorKind::PermissionDenied, other.to_string()),
    })
}

/// Replaces the file at `path` with `text` atomically: a new temporary file next to the real
/// file, written and synced, then renamed over it. An interrupted or failed write never leaves
/// the file half-written, and a failed one removes its temporary file. The temporary file is
/// created new (never through an existing file or link).
///
/// When `path` is a symlink, the file it leads to is replaced and the link kept. An existing
/// file keeps its mode, owner and group (when the owner cannot be kept, nothing is written); a
/// file without any write permission is refused, even for root, and so is one that no longer
/// matches `read` (checked just before the rename).
///
/// # Errors
/// Why the file was not replaced; it is then unchanged.
pub fn replace_file(path: &Path, text: &str, read: Option<&Snapshot>) -> Result<(), WriteError> {
    use std::io::Write as _;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // through symlinks to the real file (a dangling link or a new file: the path itself)
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = std::fs::metadata(&target).ok().filter(|m| m.is_file());
    if existing
        .as_ref()
        .is_some_and(|m| m.permissions().mode() & 0o222 == 0)
    {
        return Err(WriteError::ReadOnly);
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        let tmp: PathBuf = dir.join(format!(
            ".{name}.layerwise-{}-{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let written = (|| -> Result<(), WriteError> {
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Some(meta) = &existing {
            let new = file.metadata()?;
            if (new.uid(), new.gid()) != (meta.uid(), meta.gid()) {
                std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid())).map_err(
                    |e| {
                        std::io::Error::new(
                            e.kind(),
                            format!(
                                "cannot give the new file the owner and group of the old one \
                                 ({}:{}): {e}",
                                meta.uid(),
                                meta.gid()
                            ),
                        )
                    },
                )?;
            }
            // after the owner: changing it clears the set-user-ID and set-group-ID bits
            file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
        drop(file);
        if let Some(read) = read {
            if !read.still_matches(&target)? {
                return Err(WriteError::Changed);
            }
        }
        std::fs::rename(&tmp, &target)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(s: usize, e: usize, t: &str) -> Edit {
        Edit {
            span: Span::new(s, e),
            text: t.to_string(),
        }
    }

    #[test]
    fn applies_sorted_edits_and_rejects_overlaps() {
        assert_eq!(
            apply_edits(
                "abcdef",
                &[edit(4, 6, "X"), edit(0, 1, ""), edit(1, 1, "+")]
            )
            .as_deref(),
            Ok("+bcdX")
        );
        assert!(apply_edits("abcdef", &[edit(0, 3, ""), edit(2, 4, "")]).is_err());
        assert!(apply_edits("é", &[edit(1, 1, "x")]).is_err());
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("layerwise-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("Dockerfile");
        std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
        // a leftover temporary file of an earlier run with the same pid is not clobbered
        let stale = dir.join(format!(
            ".Dockerfile.layerwise-{}-0.tmp",
            std::process::id()
        ));
        std::fs::write(&stale, "stale").unwrap_or_else(|e| panic!("{e}"));
        write_atomically(&path, "new").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some("new"));
        assert_eq!(
            std::fs::read_to_string(&stale).ok().as_deref(),
            Some("stale")
        );
        std::fs::remove_file(&stale).unwrap_or_else(|e| panic!("{e}"));
        // renaming over a folder fails: the folder stays, no temporary file is left
        let folder = dir.join("sub");
        std::fs::create_dir_all(folder.join("x")).unwrap_or_else(|e| panic!("{e}"));
        assert!(write_atomically(&folder, "text").is_err());
        assert!(folder.join("x").is_dir());
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names.len(), 2, "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn insertions_at_an_end_of_another_edit_clash() {
        let s = Span::new;
        assert!(edits_clash(s(0, 4), s(2, 6)));
        assert!(edits_clash(s(3, 3), s(3, 3)));
        assert!(edits_clash(s(0, 4), s(4, 4)));
        assert!(edits_clash(s(0, 0), s(0, 4)));
        assert!(!edits_clash(s(0, 4), s(4, 6)));
        assert!(!edits_clash(s(0, 4), s(5, 5)));
    }

    /// Found by the stable fuzzer: at the end of a file without a final line break, joining a RUN
    /// into the previous one deletes its line, and appending to the same RUN inserts at the end
    /// of that deletion; applied in one round, the appended text became a line of its own.
    #[test]
    fn appending_to_a_joined_run_at_the_end_of_the_file() {
        let text = "FROM python:3.12-slim\nRUN pip install x\nRUN apt-get update && apt-get";
        let fixed = fix_all(
            text,
            &crate::model::context::NoContext,
            None,
            &Config::default(),
            false,
        );
        assert_eq!(
            syntax::parse(&fixed.text).errors().count(),
            0,
            "{}",
            fixed.text
        );
        assert!(
            fixed
                .text
                .ends_with("&& apt-get && rm -rf /var/lib/apt/lists/*\n"),
            "{}",
            fixed.text
        );
    }

    /// An edit saved by another program between the read and the write is never lost: a file
    /// that changed (in size, time, or only in content with its time put back) is not replaced.
    #[test]
    fn a_file_changed_since_it_was_read_is_not_replaced() {
        let dir = std::env::temp_dir().join(format!("layerwise-changed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("Dockerfile");
        for (name, edit) in [
            (
                "longer",
                &b"FROM alpine:3.20\nRUN echo saved elsewhere\n"[..],
            ),
            ("same size, same time", b"FROM alpine:3.21\n"),
        ] {
            std::fs::write(&path, "FROM alpine:3.20\n").unwrap_or_else(|e| panic!("{e}"));
            let read = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
            let snapshot = Snapshot::taken(&path, &read);
            let time = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&path, edit).unwrap_or_else(|e| panic!("{e}"));
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(time))
                .unwrap_or_else(|e| panic!("{e}"));
            let result = replace_file(&path, "FROM alpine:3.20 AS fixed\n", Some(&snapshot));
            assert!(
                matches!(result, Err(WriteError::Changed)),
                "{name}: {result:?}"
            );
            assert_eq!(
                std::fs::read(&path).unwrap_or_default(),
                edit,
                "{name}: the other program's edit is kept"
            );
            // unchanged since read: replaced
            let snapshot = Snapshot::taken(&path, edit);
            replace_file(&path, "FROM x\n", Some(&snapshot)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                std::fs::read_to_string(&path).unwrap_or_default(),
                "FROM x\n"
            );
        }
        let leftovers = std::fs::read_dir(&dir).map_or(0, Iterator::count);
        assert_eq!(leftovers, 1, "no temporary file left");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
