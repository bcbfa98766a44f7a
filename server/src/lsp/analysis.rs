//! Running the rules on an open document: its build context, its configuration, size limits.
//!
//! A `file:` document is analysed with its folder as the build context and the nearest
//! `.layerwise.toml`; any other URI (an unsaved buffer) has no context, so context-dependent rules
//! stay silent. Both are looked up on disk at most every [`REFRESH`], not on every keystroke.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::Uri;

use super::config::FileConfig;
use crate::model::context::{BuildContext, FsContext, NoContext, NotableEntry};
use crate::model::dockerignore::DockerIgnore;
use crate::rules::memo::{self, StageMemo};
use crate::rules::{Config, Diagnostic};
use crate::syntax::SyntaxCache;
use crate::text::AppliedEdit;

/// Documents larger than this are not analysed.
pub const MAX_ANALYSED_BYTES: usize = 5 * 1024 * 1024;

/// How long the build context and `.layerwise.toml` of a document are trusted before they are
/// read again.
pub const REFRESH: Duration = Duration::from_secs(2);

/// Where a document lives: its path, build context and project configuration.
pub struct Environment {
    /// The Dockerfile's path, for `file:` URIs.
    pub path: Option<PathBuf>,
    context: Box<dyn BuildContext>,
    /// The project configuration (without client settings).
    pub file_config: FileConfig,
    loaded: Instant,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("path", &self.path)
            .field("file_config", &self.file_config)
            .finish_non_exhaustive()
    }
}

impl Environment {
    /// Looks up the environment of the document at `uri`.
    pub fn of(uri: &Uri) -> Self {
        let path = file_path(uri);
        let (context, file_config): (Box<dyn BuildContext>, FileConfig) = match path
            .as_deref()
            .and_then(|p| Some((p.parent()?, p.file_name()?)))
        {
            Some((dir, name)) => (
                Box::new(CachedContext::new(FsContext::new(
                    dir.to_path_buf(),
                    Some(name.to_string_lossy().into_owned()),
                ))),
                FileConfig::load(dir),
            ),
            None => (Box::new(NoContext), FileConfig::default()),
        };
        Self {
            path,
            context,
            file_config,
            loaded: Instant::now(),
        }
    }

    /// The build context (unknown for unsaved buffers).
    pub fn context(&self) -> &dyn BuildContext {
        self.context.as_ref()
    }

    /// Whether the disk should be consulted again.
    pub fn is_stale(&self) -> bool {
        self.path.is_some() && self.loaded.elapsed() >= REFRESH
    }
}

/// The local path of a `file:` URI.
fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(std::borrow::Cow::into_owned)
}

/// What a document keeps between analyses to redo only what an edit touched.
#[derive(Debug, Default)]
pub struct Kept {
    /// The syntax tree of the text last analysed.
    pub syntax: SyntaxCache,
    /// The findings of the per-stage rules.
    pub findings: StageMemo,
}

/// How the text to analyse relates to the text last analysed.
#[derive(Debug, Clone, Copy)]
pub enum Parse {
    /// Unrelated: start from scratch.
    Fresh,
    /// The same text.
    Unchanged,
    /// That text with this edit applied.
    Edited(AppliedEdit),
}

/// The result of analysing a document.
pub enum Outcome {
    /// The rules ran; the tree is the one in [`Kept::syntax`].
    Analysed { diagnostics: Vec<Diagnostic> },
    /// The document is above [`MAX_ANALYSED_BYTES`].
    TooLarge,
    /// The analysis panicked (already logged).
    Failed,
}

/// Brings the kept tree up to `text` as `parse` says and runs every rule with `config`, checking
/// again only the stages the edit touched. Never panics: a panic in the analysis is logged and
/// reported as [`Outcome::Failed`], and what was kept is dropped (as it is when the text is too
/// large).
pub fn analyse(
    text: &str,
    kept: &mut Kept,
    parse: Parse,
    env: &Environment,
    config: &Config,
) -> Outcome {
    if text.len() > MAX_ANALYSED_BYTES {
        *kept = Kept::default();
        return Outcome::TooLarge;
    }
    let run = catch_unwind(AssertUnwindSafe(|| {
        let (tree, edit) = match parse {
            Parse::Fresh => {
                kept.findings.clear();
                (kept.syntax.parse(text), None)
            }
            Parse::Unchanged => (kept.syntax.tree(), None),
            Parse::Edited(edit) => (kept.syntax.update(text, edit), Some(edit)),
        };
        memo::check(
            text,
            tree,
            env.context.as_ref(),
            env.path.as_deref(),
            config,
            &mut kept.findings,
            edit,
        )
    }));
    log_skipped(env.context());
    match run {
        Ok(diagnostics) => Outcome::Analysed { diagnostics },
        Err(_) => {
            super::log("the analysis of a document failed (panicked); no diagnostics for it");
            *kept = Kept::default();
            Outcome::Failed
        }
    }
}

/// Logs, once per session, each context file the analysis did not read (a FIFO, a device, a
/// file above the size cap), with why.
fn log_skipped(context: &dyn BuildContext) {
    static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let skipped = context.skipped();
    if skipped.is_empty() {
        return;
    }
    let mut logged = LOGGED.lock().unwrap_or_else(PoisonError::into_inner);
    for note in skipped {
        // bounded: past a thousand distinct files, later ones are not logged
        if logged.len() < 1000 && !logged.contains(&note) {
            super::log(&note);
            logged.push(note);
        }
    }
}

/// A build context that remembers the answers of an [`FsContext`], so that re-analysing on every
/// keystroke does not walk the file system each time.
#[derive(Debug)]
struct CachedContext {
    inner: FsContext,
    notable: OnceLock<Vec<NotableEntry>>,
    exists: Mutex<HashMap<String, Option<bool>>>,
}

impl CachedContext {
    fn new(inner: FsContext) -> Self {
        Self {
            inner,
            notable: OnceLock::new(),
            exists: Mutex::new(HashMap::new()),
        }
    }
}

impl BuildContext for CachedContext {
    fn has_dockerignore(&self) -> Option<bool> {
        self.inner.has_dockerignore()
    }
    fn dockerignore(&self) -> Option<&DockerIgnore> {
        self.inner.dockerignore()
    }
    fn exists(&self, rel: &str) -> Option<bool> {
        let mut known = self.exists.lock().unwrap_or_else(PoisonError::into_inner);
        *known
            .entry(rel.to_string())
            .or_insert_with(|| self.inner.exists(rel))
    }
    fn read(&self, rel: &str) -> Option<String> {
        // only fixes read context files (manifests, to find nested requirement files)
        self.inner.read(rel)
    }
    fn entries(&self, rel: &str) -> Option<Vec<(String, bool)>> {
        // only fixes list folders (npm workspaces named by a pattern)
        self.inner.entries(rel)
    }
    fn notable_entries(&self) -> Vec<NotableEntry> {
        self.notable
            .get_or_init(|| self.inner.notable_entries())
            .clone()
    }
    fn root(&self) -> Option<&Path> {
        self.inner.root()
    }
    fn skipped(&self) -> Vec<String> {
        self.inner.skipped()
    }
}
