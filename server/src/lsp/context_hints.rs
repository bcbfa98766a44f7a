//! Inlay hints of what each COPY/ADD takes from the build context: "1,234 files, 3.1 MB".
//!
//! The context is walked off the request path: the first request for a context starts the walk
//! on a thread of its own and gets no context hints; later requests use the kept result, which
//! is walked again in the background once it is older than [`FRESH`] (the older one is used
//! meanwhile). At most [`KEPT`] contexts are kept; the oldest goes first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::{self as ls, InlayHint, InlayHintLabel, Uri};

use super::convert;
use super::document::Document;
use crate::model::copies::{count, human, Copy};
use crate::model::walk::{self, Walk};
use crate::model::Model;
use crate::syntax::Span;
use crate::text::Encoding;

/// How long a walk is used before it is walked again.
const FRESH: Duration = Duration::from_secs(10);
/// How many contexts are kept.
const KEPT: usize = 2;

#[derive(Default)]
struct Slot {
    walk: Option<Arc<Walk>>,
    walked: Option<Instant>,
    walking: bool,
}

type Cache = Mutex<HashMap<(PathBuf, PathBuf), Slot>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// The kept walk of the context `root` for the Dockerfile `file`, when there is one; starts a
/// walk in the background when there is none or it is old.
fn walk_of(root: &Path, file: &Path) -> Option<Arc<Walk>> {
    let key = (root.to_path_buf(), file.to_path_buf());
    let mut map = cache().lock().ok()?;
    if !map.contains_key(&key) && map.len() >= KEPT {
        let oldest = map
            .iter()
            .filter(|(_, s)| !s.walking)
            .min_by_key(|(_, s)| s.walked)
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            map.remove(&oldest);
        } else {
            return None;
        }
    }
    let slot = map.entry(key.clone()).or_default();
    let stale = slot.walked.is_none_or(|t| t.elapsed() > FRESH);
    if stale && !slot.walking {
        slot.walking = true;
        let spawned = std::thread::Builder::new()
            .name("layerwise-context-walk".into())
            .spawn(move || {
                let ignore = walk::ignore_file(&key.0, Some(&key.1)).map(|(_, i)| i);
                let walked = walk::walk(&key.0, &ignore.unwrap_or_default(), 2);
                if let Ok(mut map) = cache().lock() {
                    if let Some(slot) = map.get_mut(&key) {
                        slot.walk = Some(Arc::new(walked));
                        slot.walked = Some(Instant::now());
                        slot.walking = false;
                    }
                }
            });
        if spawned.is_err() {
            slot.walking = false;
        }
    }
    slot.walk.clone()
}

/// The context hints inside `range` of the document at `uri`: none for an unsaved buffer, or
/// until its context has been walked once.
pub fn context_hints(doc: &Document, uri: &Uri, range: ls::Range, enc: Encoding) -> Vec<InlayHint> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return Vec::new();
    }
    let Some(file) = uri.to_file_path().map(std::borrow::Cow::into_owned) else {
        return Vec::new();
    };
    let Some(root) = doc.context().root().map(Path::to_path_buf) else {
        return Vec::new();
    };
    let Some(walked) = walk_of(&root, &file) else {
        return Vec::new();
    };
    let start = convert::offset(&doc.text, range.start, enc);
    let end = convert::offset(&doc.text, range.end, enc).max(start);
    let tree = doc.tree();
    let model = Model::build(tree);
    let mut out = Vec::new();
    for (i, located) in tree.instructions.iter().enumerate() {
        let span = located.span();
        if span.end < start || span.start > end {
            continue;
        }
        let Some(copy) = Copy::of(tree, &model, i) else {
            continue;
        };
        if !copy.is_copy() || !copy.reads_context() {
            continue;
        }
        let (taken, _) = copy.resolve(&walked, false);
        let bytes: u64 = taken.iter().map(|t| walked.files[t.file].size).sum();
        let files = if taken.len() == 1 {
            "1 file".to_owned()
        } else {
            format!("{} files", count(taken.len()))
        };
        // at the end of the instruction's first line
        let text = doc.text.text();
        let line_end = text[span.start..span.end]
            .find(['\n', '\r'])
            .map_or(span.end, |k| span.start + k);
        out.push(InlayHint {
            position: convert::range(&doc.text, Span::empty(line_end), enc).start,
            label: InlayHintLabel::String(format!("{files}, {}", human(bytes))),
            kind: None,
            text_edits: None,
            tooltip: None,
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }
    out
}
