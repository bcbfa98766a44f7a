//! One open document: its text and version, its syntax cache, and its last analysis.
//!
//! The tree and diagnostics kept here always describe the current text (or are empty when the
//! document is not analysed), so requests such as hover and code actions read them without
//! re-analysing.

use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use super::analysis::{self, Environment, Kept, Outcome, MAX_ANALYSED_BYTES};
use super::convert;
use super::outbox::Outgoing;
use crate::ide::names::NameIndex;
use crate::model::purpose;
use crate::model::{Model, TargetSource};
use crate::rules::{self, Config};
use crate::syntax::SyntaxTree;
use crate::text::{AppliedEdit, Change, Encoding, TextDocument};

/// The tree of a document that is not analysed.
static EMPTY_TREE: std::sync::LazyLock<SyntaxTree> = std::sync::LazyLock::new(SyntaxTree::default);

/// The state of one open document.
#[derive(Debug)]
pub struct Document {
    /// The current text.
    pub text: TextDocument,
    /// The version of the current text, as the client numbered it.
    pub version: i32,
    /// The syntax tree and the per-stage findings, updated incrementally between analyses.
    kept: Kept,
    /// Whether the kept tree describes the text as of the last analysis.
    analysed: bool,
    /// Everything the changes since the last analysis touched, as one edit of the text it
    /// analysed (`None`: no change).
    edit: Option<AppliedEdit>,
    /// The findings of the current text (empty when not analysed).
    pub diagnostics: Vec<rules::Diagnostic>,
    /// Where the document lives (path, build context, `.layerwise.toml`).
    env: Environment,
    /// Whether the "too large to analyse" notice was published since it became too large.
    too_large_reported: bool,
    /// The `target` setting of the last analysis.
    target: Option<String>,
    /// Which of the safe fixes of [`Self::diagnostics`] fix-all applies together (indices among
    /// the safe fixes, in order), worked out on the first request after an analysis.
    pub fix_all_choice: std::sync::OnceLock<Vec<usize>>,
    /// The stage and variable names of the current text (empty when not analysed).
    names: NameIndex,
    /// The last full semantic tokens sent, with their result id (for `full/delta`).
    pub semantic_tokens: Option<(String, Vec<tower_lsp_server::ls_types::SemanticToken>)>,
}

/// Drops a closed document; after a large one, hands the freed memory back to the system (the
/// allocator would otherwise keep it for later use: a closed 100 MB document kept 323 MB).
pub fn release(doc: Document) {
    let large = doc.text.len() > 1 << 20;
    drop(doc);
    if large {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: `malloc_trim` only returns free memory of the allocator to the system; it
        // takes no pointers and is safe to call at any time.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

impl Document {
    /// A newly opened document (not analysed yet).
    pub fn open(uri: &Uri, text: String, version: i32) -> Self {
        Self {
            text: TextDocument::new(text),
            version,
            kept: Kept::default(),
            analysed: false,
            edit: None,
            diagnostics: Vec::new(),
            env: Environment::of(uri),
            too_large_reported: false,
            target: None,
            fix_all_choice: std::sync::OnceLock::new(),
            semantic_tokens: None,
            names: NameIndex::default(),
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
            let len_before = self.text.len();
            let applied = self.text.apply(
                &Change {
                    range,
                    text: &change.text,
                },
                enc,
            );
            self.edit = Some(merge(self.edit, applied, len_before, self.text.len()));
        }
        self.version = version;
    }

    /// Takes a newer environment when one was loaded, and starts loading one when due.
    fn refresh_environment(&mut self, uri: &Uri) {
        if let Some(fresh) = self.env.refreshed(uri) {
            self.env = fresh;
            // findings may depend on the build context, which may have changed
            self.kept.findings.clear();
        }
    }

    /// A watched file of the build context changed: reload it in the background now.
    pub fn context_changed(&mut self, uri: &Uri) {
        self.env.expire();
        self.refresh_environment(uri);
    }

    /// The syntax tree of the current text (empty when not analysed).
    pub fn tree(&self) -> &SyntaxTree {
        if self.analysed {
            self.kept.syntax.tree()
        } else {
            &EMPTY_TREE
        }
    }

    /// The stage and variable names of the current text (empty when not analysed).
    pub fn names(&self) -> &NameIndex {
        &self.names
    }

    /// The build context of the document (unknown for unsaved buffers).
    pub fn context(&self) -> &dyn crate::model::context::BuildContext {
        self.env.context()
    }

    /// What the stage that starts at instruction `from` (a FROM) is for, as hover shows it:
    /// whether it ships, and the purpose of the image the build produces.
    pub fn stage_summary(&self, from: usize) -> Option<String> {
        let tree = self.tree();
        let model = Model::build_for(tree, Some(self.text.text()), self.target.as_deref());
        let stage = model.stage(from)?;
        let target = model.target()?;
        let purpose = purpose::of_stage(
            tree,
            &model,
            target,
            self.env.path.as_deref(),
            self.env.context(),
        );
        let built = &model.stages[target];
        let name = |s: &crate::model::Stage| {
            s.alias.as_ref().map_or_else(
                || format!("stage {}", s.index + 1),
                |a| format!("stage `{a}`"),
            )
        };
        let chosen = match model.target_source {
            TargetSource::Last => {
                "the last stage, which `docker build` produces without `--target`"
            }
            TargetSource::Comment => "named by the `# layerwise: target=` comment",
            TargetSource::Setting => "named by the `target` setting",
        };
        let hint = if model.target_source == TargetSource::Last
            && purpose.kind != purpose::Kind::Application
            && model.stages.len() > 1
        {
            " If a build with `--target` ships another stage, name the stage you ship with the `target` setting or a `# layerwise: target=NAME` comment, and layerwise checks that one."
        } else {
            ""
        };
        Some(if stage.index == target {
            format!("**Ships**: {} ({chosen}).{hint}", purpose.describe())
        } else if stage.shipped {
            format!(
                "**Ships** as the base of {}: {}.{hint}",
                name(built),
                purpose.describe()
            )
        } else {
            format!(
                "**Does not ship**: the build produces {} ({chosen}); only what `COPY --from` takes from this stage reaches it.",
                name(built)
            )
        })
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
        self.refresh_environment(uri);
        if let Some(error) = &self.env.file_config.error {
            problems.push(error.clone());
        }
        let config = self.env.file_config.with_settings(settings);
        self.target = config.target().map(str::to_string);
        let was_analysed = self.analysed;
        let parse = match (self.analysed, self.edit.take()) {
            (false, _) => analysis::Parse::Fresh,
            (true, None) => analysis::Parse::Unchanged,
            (true, Some(edit)) => analysis::Parse::Edited(edit),
        };
        let outcome =
            analysis::analyse(self.text.text(), &mut self.kept, parse, &self.env, &config);
        self.analysed = matches!(outcome, Outcome::Analysed { .. });
        if self.analysed {
            // resolved again only from the stage the edit touched (nothing for the same text)
            let tree = self.kept.syntax.tree();
            match parse {
                analysis::Parse::Unchanged if was_analysed => {}
                analysis::Parse::Edited(edit) if was_analysed => {
                    self.names.update(tree, self.text.text(), Some(edit));
                }
                _ => self.names = NameIndex::build(tree, self.text.text()),
            }
        } else {
            self.names = NameIndex::default();
        }
        let (diagnostics, publish) = match outcome {
            Outcome::Analysed { diagnostics } => {
                self.too_large_reported = false;
                let published = diagnostics
                    .iter()
                    .map(|d| convert::diagnostic(uri, &self.text, d, enc))
                    .collect();
                (diagnostics, Some(published))
            }
            Outcome::TooLarge if self.too_large_reported => (Vec::new(), None),
            Outcome::TooLarge => {
                self.too_large_reported = true;
                super::log(format_args!(
                    "{} is above {MAX_ANALYSED_BYTES} bytes; not analysing it",
                    uri.as_str()
                ));
                let notice = convert::too_large(MAX_ANALYSED_BYTES);
                (Vec::new(), Some(vec![notice]))
            }
            // Clear what was published: its ranges no longer match the text.
            Outcome::Failed => (Vec::new(), Some(Vec::new())),
        };
        self.diagnostics = diagnostics;
        self.fix_all_choice = std::sync::OnceLock::new();
        publish.map(|diagnostics| Outgoing::Diagnostics {
            uri: uri.clone(),
            version: Some(self.version),
            diagnostics,
        })
    }
}

/// `applied` (an edit of a text `len_before` bytes long, now `len_after`) folded into `merged`
/// (the edits before it, as one edit of the last analysed text): the bytes both left alone at the
/// start and at the end stay outside the result.
fn merge(
    merged: Option<AppliedEdit>,
    applied: AppliedEdit,
    len_before: usize,
    len_after: usize,
) -> AppliedEdit {
    let Some(merged) = merged else {
        return applied;
    };
    let old_len = merged.old_end + (len_before - merged.new_end);
    let start = merged.start.min(applied.start);
    let suffix = (len_before - merged.new_end).min(len_before - applied.old_end);
    AppliedEdit {
        start,
        old_end: old_len - suffix,
        new_end: len_after - suffix,
    }
}

#[cfg(test)]
mod tests {
    use super::merge;
    use crate::text::{AppliedEdit, TextDocument};
    use proptest::prelude::*;

    proptest! {
        /// Merged edits cover every byte that changed: outside them the texts agree.
        #[test]
        fn merged_edits_cover_the_changes(
            text in "[a-c\n]{0,40}",
            edits in proptest::collection::vec((0usize..50, 0usize..8, "[a-c\n]{0,5}"), 1..6),
        ) {
            let mut doc = TextDocument::new(text.clone());
            let mut merged: Option<AppliedEdit> = None;
            for (at, len, insert) in &edits {
                let len_before = doc.len();
                let applied = doc.replace(*at..at + len, insert);
                merged = Some(merge(merged, applied, len_before, doc.len()));
            }
            let m = merged.unwrap_or(AppliedEdit { start: 0, old_end: 0, new_end: 0 });
            let new = doc.text();
            prop_assert!(m.start <= m.old_end && m.old_end <= text.len());
            prop_assert!(m.start <= m.new_end && m.new_end <= new.len());
            prop_assert_eq!(&text[..m.start], &new[..m.start]);
            prop_assert_eq!(&text[m.old_end..], &new[m.new_end..]);
        }
    }
}
