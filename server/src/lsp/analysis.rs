//! Running the rules on an open document: its build context, its configuration, size limits.
//!
//! A `file:` document is analysed with its folder as the build context and the nearest
//! `.layerwise.toml`; any other URI (an unsaved buffer) has no context, so context-dependent rules
//! stay silent. Both are looked up on disk when the document opens, then again in the background
//! [`REFRESH`] after the last load ended; a keystroke never waits for the file system: the
//! context's answers are cached, and a new context is asked the previous one's questions before
//! it replaces it.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};
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
/// read again, counted from when the last load ended; the new load runs in the background.
pub const REFRESH: Duration = Duration::from_secs(2);

/// Where a document lives: its path, build context and project configuration.
pub struct Environment {
    /// The Dockerfile's path, for `file:` URIs.
    pub path: Option<PathBuf>,
    context: Box<dyn BuildContext>,
    /// The project configuration (without client settings).
    pub file_config: FileConfig,
    /// When the load ended.
    loaded: Instant,
    /// A newer environment being loaded in the background.
    pending: Option<Receiver<Environment>>,
    /// A watched file changed since the pending load started (or since the last load, when
    /// none is pending): load again at once.
    expired: bool,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("path", &self.path)
            .field("file_config", &self.file_config)
            .finish_non_exhaustive()
    }
}

/// The questions a [`CachedContext`] was asked: the paths whose existence and text were read.
#[derive(Debug, Clone, Default)]
struct Asked {
    exists: Vec<String>,
    read: Vec<String>,
}

impl Environment {
    /// Looks up the environment of the document at `uri` (on this thread).
    pub fn of(uri: &Uri) -> Self {
        Self::load(uri, &Asked::default())
    }

    /// Loads the environment of `uri`, asking its context `asked` and what every analysis asks,
    /// so that no later analysis waits for the file system on these.
    fn load(uri: &Uri, asked: &Asked) -> Self {
        let path = file_path(uri);
        let (context, file_config) = match path
            .as_deref()
            .and_then(|p| Some((p.parent()?, p.file_name()?)))
        {
            Some((dir, name)) => {
                let context = CachedContext::new(FsContext::new(
                    dir.to_path_buf(),
                    Some(name.to_string_lossy().into_owned()),
                ));
                context.warm(asked);
                let config = FileConfig::load(dir);
                (Box::new(context) as Box<dyn BuildContext>, config)
            }
            None => (
                Box::new(NoContext) as Box<dyn BuildContext>,
                FileConfig::default(),
            ),
        };
        Self {
            path,
            context,
            file_config,
            loaded: Instant::now(),
            pending: None,
            expired: false,
        }
    }

    /// A watched file changed: the next [`Self::refreshed`] starts a load at once, and a load
    /// already running is followed by another.
    pub fn expire(&mut self) {
        self.expired = true;
    }

    /// The build context (unknown for unsaved buffers).
    pub fn context(&self) -> &dyn BuildContext {
        self.context.as_ref()
    }

    /// A newer environment, when one finished loading in the background. Starts such a load
    /// when [`REFRESH`] has passed since the last one ended; never waits for the file system.
    pub fn refreshed(&mut self, uri: &Uri) -> Option<Self> {
        self.path.as_ref()?;
        if let Some(pending) = &self.pending {
            return match pending.try_recv() {
                Ok(mut fresh) => {
                    // a change seen while it loaded may be missing from it
                    fresh.expired = self.expired;
                    Some(fresh)
                }
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => {
                    // the load failed (logged by the thread); try again later
                    self.pending = None;
                    self.loaded = Instant::now();
                    None
                }
            };
        }
        if !self.expired && self.loaded.elapsed() < REFRESH {
            return None;
        }
        self.expired = false;
        let asked = self
            .context
            .as_any()
            .and_then(|c| c.downcast_ref::<CachedContext>())
            .map(CachedContext::asked)
            .unwrap_or_default();
        let (tx, rx) = std::sync::mpsc::channel();
        let uri = uri.clone();
        let started = std::thread::Builder::new()
            .name("layerwise-context".into())
            .spawn(move || {
                let loaded = catch_unwind(AssertUnwindSafe(|| Self::load(&uri, &asked)));
                match loaded {
                    Ok(env) => {
                        let _ = tx.send(env);
                    }
                    Err(_) => super::log("loading a build context failed (panicked)"),
                }
            });
        match started {
            Ok(_) => self.pending = Some(rx),
            Err(e) => {
                super::log(format_args!("cannot start a thread to load a context: {e}"));
                self.loaded = Instant::now();
            }
        }
        None
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

/// A folder's names, with `true` for folders.
type Listing = Vec<(String, bool)>;

/// The most distinct paths whose answers a [`CachedContext`] keeps.
const MAX_CACHED_PATHS: usize = 512;

/// A build context that remembers the answers of an [`FsContext`], so that re-analysing on every
/// keystroke does not touch the file system each time.
#[derive(Debug)]
struct CachedContext {
    inner: FsContext,
    notable: OnceLock<Vec<NotableEntry>>,
    exists: Mutex<HashMap<String, Option<bool>>>,
    read: Mutex<HashMap<String, Option<String>>>,
    entries: Mutex<HashMap<String, Option<Listing>>>,
}

/// The answer for `key` from `cache`, asking `ask` once (while the cache has room).
fn cached<T: Clone>(cache: &Mutex<HashMap<String, T>>, key: &str, ask: impl FnOnce() -> T) -> T {
    if let Some(known) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
    {
        return known.clone();
    }
    // asked without the lock: another analysis may ask the same meanwhile, which is harmless
    let answer = ask();
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() < MAX_CACHED_PATHS {
        cache.insert(key.to_string(), answer.clone());
    }
    answer
}

impl CachedContext {
    fn new(inner: FsContext) -> Self {
        Self {
            inner,
            notable: OnceLock::new(),
            exists: Mutex::new(HashMap::new()),
            read: Mutex::new(HashMap::new()),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Asks what every analysis asks (the ignore file, the notable entries) and `asked`.
    fn warm(&self, asked: &Asked) {
        let _ = self.has_dockerignore();
        let _ = self.notable_entries();
        for rel in &asked.exists {
            let _ = self.exists(rel);
        }
        for rel in &asked.read {
            let _ = self.read(rel);
        }
    }

    /// What this context was asked so far.
    fn asked(&self) -> Asked {
        fn keys<T>(cache: &Mutex<HashMap<String, T>>) -> Vec<String> {
            cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .keys()
                .cloned()
                .collect()
        }
        Asked {
            exists: keys(&self.exists),
            read: keys(&self.read),
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
        cached(&self.exists, rel, || self.inner.exists(rel))
    }
    fn read(&self, rel: &str) -> Option<String> {
        cached(&self.read, rel, || self.inner.read(rel))
    }
    fn entries(&self, rel: &str) -> Option<Vec<(String, bool)>> {
        cached(&self.entries, rel, || self.inner.entries(rel))
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
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
