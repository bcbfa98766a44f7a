//! Applying fixes: edits to text, and "fix all" to a fixed point.
//!
//! Used by the CLI (`check --fix`, `--unsafe-fixes`, `--diff`) and the LSP (`source.fixAll`).
//! Edits of one round never overlap; a fix whose edits overlap an already chosen one waits for
//! the next round, which re-analyses the new text. Files a fix creates are kept pending (an
//! overlay on the build context), so the next round sees them, and the caller writes them.

use std::path::{Path, PathBuf};

use crate::model::context::{BuildContext, NotableEntry};
use crate::model::dockerignore::DockerIgnore;
use crate::rules::{self, Config, Edit, NewFile, Safety};
use crate::syntax;

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
    a.iter().any(|x| {
        b.iter().any(|y| {
            // touching is fine unless both insert at the same point (order would be ambiguous)
            (x.span.start < y.span.end && y.span.start < x.span.end)
                || (x.span.start == y.span.start && (x.span.is_empty() || y.span.is_empty()))
        })
    })
}

/// The result of fixing a file.
#[derive(Debug, Clone, Default)]
pub struct Fixed {
    pub text: String,
    /// (rule id, fix title) of every fix applied, in order.
    pub applied: Vec<(&'static str, String)>,
    /// Files to create.
    pub creates: Vec<NewFile>,
}

/// Apply every fix (safe ones, and unsafe ones too when `unsafe_fixes`) until none applies.
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
        };
        let tree = syntax::parse(&fixed.text);
        let diagnostics = rules::check(&fixed.text, &tree, &overlay, path, config);
        let mut chosen: Vec<Edit> = Vec::new();
        let mut round: Vec<(&'static str, String)> = Vec::new();
        let mut creates: Vec<NewFile> = Vec::new();
        for d in diagnostics {
            let Some(fix) = d.fix else { continue };
            if fix.safety == Safety::Unsafe && !unsafe_fixes {
                continue;
            }
            if overlaps(&chosen, &fix.edits)
                || fix.creates.iter().any(|c| {
                    fixed
                        .creates
                        .iter()
                        .chain(&creates)
                        .any(|p| p.path == c.path)
                })
            {
                continue;
            }
            chosen.extend(fix.edits);
            creates.extend(fix.creates);
            round.push((d.rule, fix.title));
        }
        if round.is_empty() {
            break;
        }
        match apply_edits(&fixed.text, &chosen) {
            Ok(next) => fixed.text = next,
            Err(_) => break,
        }
        fixed.creates.extend(creates);
        fixed.applied.extend(round);
    }
    fixed
}

/// The build context as it will be once the pending files exist.
struct Overlay<'a> {
    inner: &'a dyn BuildContext,
    created: &'a [NewFile],
}

impl Overlay<'_> {
    fn created(&self, rel: &str) -> Option<&NewFile> {
        let root = self.inner.root()?;
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.created.iter().find(|f| f.path == root.join(rel))
    }
}

impl BuildContext for Overlay<'_> {
    fn has_dockerignore(&self) -> Option<bool> {
        if self.created(".dockerignore").is_some() {
            return Some(true);
        }
        self.inner.has_dockerignore()
    }
    fn dockerignore(&self) -> Option<&DockerIgnore> {
        self.inner.dockerignore()
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
    fn root(&self) -> Option<&Path> {
        self.inner.root()
    }
}

/// Write `text` to `path` atomically: a temporary file in the same folder, then a rename, so an
/// interrupted write never leaves a half-written file.
///
/// # Errors
/// The I/O error, when writing or renaming fails.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp: PathBuf = dir.join(format!(".{name}.layerwise-{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Span;

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
}
