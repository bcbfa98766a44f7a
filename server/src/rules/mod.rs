//! Rules: one file per rule, each with its documentation on top, its metadata, and a `check`.
//!
//! A rule reads the [`Analysis`] (text, syntax tree, model, build context) and pushes
//! [`Diagnostic`]s. [`run`] executes every enabled rule under `catch_unwind` (a rule that panics
//! is logged to stderr and skipped), applies the user's severities, and drops the findings
//! suppressed in the file (`# layerwise: ignore=...`, `# hadolint ignore=...`, `# check=skip=...`).

mod add_instead_of_copy;
mod apt_lists_not_cleaned;
mod apt_no_install_recommends;
mod apt_update_alone;
mod cache_busting_copy;
pub mod config;
mod consecutive_run;
mod dev_server_flag;
pub mod docs;
pub mod fixes;
mod invalid_exec_form;
mod missing_dockerignore;
mod pip_no_cache_dir;
mod relative_workdir;
mod shell_form_entrypoint;
mod single_stage_toolchain;
mod suppress;
mod syntax;
mod unpinned_base_image;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::model::context::BuildContext;
use crate::model::Model;
use crate::syntax::{Located, Span, SyntaxTree};

pub use config::Config;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::Hint => "hint",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Self::Error),
            "warning" | "warn" => Some(Self::Warning),
            "info" | "information" => Some(Self::Info),
            "hint" => Some(Self::Hint),
            _ => None,
        }
    }
}

/// What a rule is: its id, default severity, one-line summary and full documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id, never reused.
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The doc comment of the rule (Markdown).
    pub doc: &'static str,
    /// hadolint codes whose `# hadolint ignore=` suppresses this rule.
    pub hadolint: &'static [&'static str],
    /// BuildKit check names whose `# check=skip=` suppresses this rule.
    pub buildkit: &'static [&'static str],
}

/// A rule: metadata plus a check.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Analysis<'_>, out: &mut Vec<Diagnostic>);
}

/// Declare a rule: its doc comment becomes [`RuleMeta::doc`]; the file's free `check` function
/// is its check.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub struct $name:ident {
            id: $id:literal,
            severity: $severity:ident,
            summary: $summary:literal,
            hadolint: [$($hadolint:literal),* $(,)?],
            buildkit: [$($buildkit:literal),* $(,)?] $(,)?
        }
    ) => {
        $(#[doc = $doc])+
        pub struct $name;

        pub static META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            id: $id,
            severity: $crate::rules::Severity::$severity,
            summary: $summary,
            doc: concat!($($doc, "\n"),+),
            hadolint: &[$($hadolint),*],
            buildkit: &[$($buildkit),*],
        };

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &META
            }
            fn check(&self, cx: &$crate::rules::Analysis<'_>, out: &mut Vec<$crate::rules::Diagnostic>) {
                check(cx, out);
            }
        }
    };
}
pub(crate) use declare_rule;

/// Every rule, in the order they are documented.
pub static RULES: &[&dyn Rule] = &[
    &syntax::Syntax,
    &invalid_exec_form::InvalidExecForm,
    &cache_busting_copy::CacheBustingCopy,
    &single_stage_toolchain::SingleStageToolchain,
    &missing_dockerignore::MissingDockerignore,
    &apt_no_install_recommends::AptNoInstallRecommends,
    &apt_lists_not_cleaned::AptListsNotCleaned,
    &apt_update_alone::AptUpdateAlone,
    &pip_no_cache_dir::PipNoCacheDir,
    &consecutive_run::ConsecutiveRun,
    &dev_server_flag::DevServerFlag,
    &shell_form_entrypoint::ShellFormEntrypoint,
    &add_instead_of_copy::AddInsteadOfCopy,
    &unpinned_base_image::UnpinnedBaseImage,
    &relative_workdir::RelativeWorkdir,
];

/// The rule with this id.
#[must_use]
pub fn rule(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().map(|r| r.meta()).find(|m| m.id == id)
}

/// A secondary location that explains a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// A text edit: replace `span` with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// How safe a fix is to apply without looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Keeps the image's behaviour; may be applied in bulk.
    Safe,
    /// Restructures the file or may change behaviour; needs a person's review.
    Unsafe,
}

/// A file a fix creates (e.g. a `.dockerignore`), next to the Dockerfile or in its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: std::path::PathBuf,
    pub text: String,
}

/// A fix for a finding: edits to this file, and files to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub safety: Safety,
    pub edits: Vec<Edit>,
    pub creates: Vec<NewFile>,
}

impl Fix {
    #[must_use]
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self {
            title: title.into(),
            safety: Safety::Safe,
            edits,
            creates: Vec::new(),
        }
    }
    #[must_use]
    pub fn unsafe_edit(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self {
            title: title.into(),
            safety: Safety::Unsafe,
            edits,
            creates: Vec::new(),
        }
    }
}

/// A finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    /// Absolute byte range in the file.
    pub span: Span,
    pub message: String,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(meta: &'static RuleMeta, span: Span, message: impl Into<String>) -> Self {
        Self {
            rule: meta.id,
            severity: meta.severity,
            span,
            message: message.into(),
            related: Vec::new(),
            fix: None,
        }
    }
    #[must_use]
    pub fn related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }
    #[must_use]
    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}

/// Everything a rule may look at.
pub struct Analysis<'a> {
    pub text: &'a str,
    pub tree: &'a SyntaxTree,
    pub model: &'a Model,
    pub context: &'a dyn BuildContext,
    /// The Dockerfile's path, when it has one.
    pub path: Option<&'a Path>,
}

impl<'a> Analysis<'a> {
    #[must_use]
    pub fn instr(&self, i: usize) -> &'a Located {
        &self.tree.instructions[i]
    }

    /// The RUN instructions of the stages whose layers ship in the final image.
    pub fn shipped_runs(&self) -> impl Iterator<Item = (usize, &'a Located)> + '_ {
        self.model
            .stages
            .iter()
            .filter(|s| s.shipped)
            .flat_map(|s| s.body.clone())
            .map(|i| (i, self.instr(i)))
            .filter(|(_, l)| l.keyword == crate::syntax::Keyword::Run)
    }

    /// Whether instruction `i` is in a stage whose layers ship in the final image.
    #[must_use]
    pub fn shipped(&self, i: usize) -> bool {
        self.model.stage(i).is_some_and(|s| s.shipped)
    }

    /// The 0-based line of a byte offset.
    #[must_use]
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    /// A range for a finding about instruction `i` whose subject is `subject`: it starts on the
    /// instruction's first line (so every tool reports the instruction's line) and covers the
    /// subject. When the subject starts on a later line, the range starts at the keyword.
    #[must_use]
    pub fn range_on(&self, i: usize, subject: Span) -> Span {
        let instr = self.instr(i);
        let first_line_end = self.text[instr.offset..]
            .find('\n')
            .map_or(self.text.len(), |n| instr.offset + n);
        if subject.start >= instr.offset && subject.start < first_line_end {
            subject
        } else {
            instr.keyword_span().cover(subject)
        }
    }

    /// The span of an instruction without heredoc bodies: keyword to the end of its arguments.
    #[must_use]
    pub fn head_span(&self, i: usize) -> Span {
        let instr = self.instr(i);
        instr.keyword_span().cover(instr.abs(instr.args_span))
    }
}

/// Run every enabled rule over `text`, with the user's configuration applied.
#[must_use]
pub fn check(
    text: &str,
    tree: &SyntaxTree,
    context: &dyn BuildContext,
    path: Option<&Path>,
    config: &Config,
) -> Vec<Diagnostic> {
    let model = Model::build(tree);
    let cx = Analysis {
        text,
        tree,
        model: &model,
        context,
        path,
    };
    run(&cx, config)
}

/// Run every enabled rule over an analysis.
#[must_use]
pub fn run(cx: &Analysis<'_>, config: &Config) -> Vec<Diagnostic> {
    let suppressions = suppress::Suppressions::collect(cx);
    let mut all = Vec::new();
    for rule in RULES {
        let meta = rule.meta();
        let Some(severity) = config.severity(meta) else {
            continue;
        };
        if suppressions.file_wide(meta) {
            continue;
        }
        let mut found = Vec::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| rule.check(cx, &mut found)));
        if outcome.is_err() {
            eprintln!(
                "layerwise: rule `{}` failed on this file and was skipped",
                meta.id
            );
            continue;
        }
        for mut d in found {
            if suppressions.suppressed(cx, meta, d.span) {
                continue;
            }
            d.severity = severity;
            all.push(d);
        }
    }
    all.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then_with(|| a.rule.cmp(b.rule))
    });
    all
}
