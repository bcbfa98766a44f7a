//! ShellCheck findings in the editor, off the keystroke path.
//!
//! After layerwise's own diagnostics of a version are queued, [`ShellCheck::schedule`] waits a
//! short debounce; if no newer edit came, it runs [`crate::shellcheck::check`] on a blocking
//! thread over a copy of the text (asked between scripts whether a newer edit came, and then
//! stopping), and, if the document is still at that version, publishes layerwise's diagnostics
//! together with ShellCheck's. A newer edit publishes layerwise's alone at once (the old
//! ShellCheck ranges no longer fit the text), and ShellCheck's follow again after the
//! debounce. Without a `shellcheck` on `PATH` nothing is scheduled (one log line says so).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tower_lsp_server::ls_types::{self as ls, CodeDescription, NumberOrString, Uri};

use super::convert;
use super::outbox::{Outbox, Outgoing};
use super::server::Shared;

/// How long the text must rest before ShellCheck runs.
const DEBOUNCE: Duration = Duration::from_millis(400);

/// The latest version of each open document, which pending runs compare theirs with.
#[derive(Debug, Default)]
pub struct ShellCheck {
    latest: Arc<Mutex<HashMap<Uri, i32>>>,
}

fn latest_is(latest: &Mutex<HashMap<Uri, i32>>, uri: &Uri, version: i32) -> bool {
    latest
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(uri)
        == Some(&version)
}

impl ShellCheck {
    /// Check `uri` at `version` after the debounce, unless a newer version comes first.
    pub fn schedule(&self, shared: Arc<Shared>, outbox: Outbox, uri: Uri, version: i32) {
        if crate::shellcheck::binary().is_none() {
            return;
        }
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uri.clone(), version);
        let latest = Arc::clone(&self.latest);
        tokio::spawn(async move {
            tokio::time::sleep(DEBOUNCE).await;
            if !latest_is(&latest, &uri, version) {
                return;
            }
            let text = {
                let docs = shared.documents();
                match docs.get(&uri) {
                    Some(doc) if doc.version == version => doc.text.text().to_string(),
                    _ => return,
                }
            };
            let (latest2, uri2) = (Arc::clone(&latest), uri.clone());
            let found = tokio::task::spawn_blocking(move || {
                let tree = crate::syntax::parse(&text);
                let model = crate::model::Model::build(&tree);
                let cancelled = || !latest_is(&latest2, &uri2, version);
                crate::shellcheck::check(&text, &tree, &model, &cancelled)
            })
            .await
            .unwrap_or_default();
            if found.is_empty() || !latest_is(&latest, &uri, version) {
                return;
            }
            let enc = shared.encoding();
            let docs = shared.documents();
            let Some(doc) = docs.get(&uri).filter(|d| d.version == version) else {
                return;
            };
            let mut diagnostics: Vec<ls::Diagnostic> = doc
                .diagnostics
                .iter()
                .map(|d| convert::diagnostic(&uri, &doc.text, d, enc))
                .collect();
            diagnostics.extend(found.iter().map(|f| {
                ls::Diagnostic {
                    range: convert::range(&doc.text, f.span, enc),
                    severity: Some(convert::severity(f.severity)),
                    code: Some(NumberOrString::String(f.code.clone())),
                    code_description: format!("https://www.shellcheck.net/wiki/{}", f.code)
                        .parse()
                        .ok()
                        .map(|href| CodeDescription { href }),
                    source: Some("shellcheck".to_string()),
                    message: f.message.clone(),
                    related_information: None,
                    tags: None,
                    data: None,
                }
            }));
            outbox.push(Outgoing::Diagnostics {
                uri: uri.clone(),
                version: Some(version),
                diagnostics,
            });
        });
    }

    /// The document was closed: pending runs stop.
    pub fn forget(&self, uri: &Uri) {
        self.latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uri);
    }
}
