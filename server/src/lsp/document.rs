//! One open document: its text and version, its syntax cache, and its last analysis.
//!
//! The tree and diagnostics kept here always describe the current text (or are empty when the
//! document is not analysed), so requests such as hover and code actions read them without
//! re-analysing.

use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use super::analysis::{self, Environment, Outcome, MAX_ANALYSED_BYTES};
use super::convert;
use super::outbox::Outgoing;
use crate::rules::{self, Config};
use crate::syntax::{SyntaxCache, SyntaxTree};
use crate::text::{Change, Encoding, TextDocument};

/// The state of one open document.
#[derive(Debug)]
pub struct Document {
    /// The current text.
    pub text: TextDocument,
    /// The version of the current text, as the client numbered it.
    pub version: i32,
    /// Instruction parses reused between analyses.
    cache: SyntaxCache,
    /// The syntax tree of the current text (empty when not analysed).
    pub tree: SyntaxTree,
    /// The findings of the current text (empty when not analysed).
    pub diagnostics: Vec<rules::Diagnostic>,
    /// Where the document lives (path, build context, `.layerwise.toml`).
    env: Environment,
    /// Whether the "too large to analyse" notice was published since it became too large.
    too_large_reported: bool,
}

impl Document {
    /// A newly opened document (not analysed yet).
    pub fn open(uri: &Uri, text: String, version: i32) -> Self {
        Self {
            text: TextDocument::new(text),
            version,
            cache: SyntaxCache::default(),
            tree: SyntaxTree::default(),
            diagnostics: Vec::new(),
            env: Environment::of(uri),
            too_large_reported: false,
        }
    }

    /// Applies the client's changes in order (positions in `enc`, clamped by the text module)
    /// and records the new version. The analysis is stale until [`Self::analyse`].
    pub fn apply_changes(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
        enc: Encoding,
    ) {
        for change in changes {
            let range = change.range.map(|r| {
                (
                    convert::from_lsp_position(r.start),
                    convert::from_lsp_position(r.end),
                )
            });
            self.text.apply(
                &Change {
                    range,
                    text: &change.text,
                },
                enc,
            );
        }
        self.version = version;
    }

    /// Analyses the current text with `settings` laid over the project configuration and
    /// returns the diagnostics to publish (`None`: nothing new to say). Problems with the
    /// configuration file are added to `problems`.
    pub fn analyse(
        &mut self,
        uri: &Uri,
        settings: &Config,
        enc: Encoding,
        problems: &mut Vec<String>,
    ) -> Option<Outgoing> {
        if self.env.is_stale() {
            self.env = Environment::of(uri);
        }
        if let Some(error) = &self.env.file_config.error {
            problems.push(error.clone());
        }
        let config = self.env.file_config.with_settings(settings);
        let outcome = analysis::analyse(self.text.text(), &mut self.cache, &self.env, &config);
        let (tree, diagnostics, publish) = match outcome {
            Outcome::Analysed { tree, diagnostics } => {
                self.too_large_reported = false;
                let published = diagnostics
                    .iter()
                    .map(|d| convert::diagnostic(uri, &self.text, self.version, d, enc))
                    .collect();
                (tree, diagnostics, Some(published))
            }
            Outcome::TooLarge if self.too_large_reported => {
                (SyntaxTree::default(), Vec::new(), None)
            }
            Outcome::TooLarge => {
                self.too_large_reported = true;
                super::log(format_args!(
                    "{} is above {MAX_ANALYSED_BYTES} bytes; not analysing it",
                    uri.as_str()
                ));
                let notice = convert::too_large(MAX_ANALYSED_BYTES);
                (SyntaxTree::default(), Vec::new(), Some(vec![notice]))
            }
            // Clear what was published: its ranges no longer match the text.
            Outcome::Failed => (SyntaxTree::default(), Vec::new(), Some(Vec::new())),
        };
        self.tree = tree;
        self.diagnostics = diagnostics;
        publish.map(|diagnostics| Outgoing::Diagnostics {
            uri: uri.clone(),
            version: Some(self.version),
            diagnostics,
        })
    }
}
