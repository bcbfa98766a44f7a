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
mod duplicate_stage_name;
mod empty_cmd_entrypoint;
mod empty_copy_from;
mod expose_invalid_format;
pub mod fixes;
mod healthcheck_zero_retries;
mod invalid_exec_form;
pub mod memo;
mod missing_dockerignore;
mod pip_no_cache_dir;
mod relative_workdir;
mod shell_form_entrypoint;
mod single_stage_toolchain;
mod suppress;
mod syntax;
mod unpinned_base_image;
// BuildKit's build checks
mod consistent_instruction_casing;
mod copy_ignored_file;
mod expose_proto_casing;
mod from_as_casing;
mod from_platform_flag_const_disallowed;
mod invalid_default_arg_in_from;
mod invalid_definition_description;
mod legacy_key_value_format;
mod maintainer_deprecated;
mod multiple_instructions_disallowed;
mod no_empty_continuation;
mod redundant_target_platform;
mod reserved_stage_name;
mod secrets_used_in_arg_or_env;
mod stage_name_casing;
mod undefined_arg_in_from;
mod undefined_var;
mod unpinned_package;
mod use_cache_mount;
mod vars;
mod wget_progress;
// hadolint's rules
mod apk_no_cache;
mod cd_without_effect;
mod copy_from_unknown_stage;
mod copy_multiple_sources;
mod copy_relative_dest;
mod copy_whole_stage;
mod curl_and_wget;
mod final_user_root;
mod install_without_yes;
mod npm_cache_not_cleaned;
mod pipe_without_pipefail;
mod rpm_cache_not_cleaned;
mod sudo_in_run;
mod useradd_high_uid;

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
    /// Whether the rule runs without being asked for (a policy rule such as pinning is off
    /// until `.layerwise.toml`, the editor settings or `--select` turn it on).
    pub enabled_by_default: bool,
    /// BuildKit check names whose `# check=skip=` suppresses this rule.
    pub buildkit: &'static [&'static str],
    /// The fix its findings come with, if any (for the rules table).
    pub fix: FixKind,
}

/// What kind of fix a rule offers, for documentation: findings may still come without one
/// when it cannot be proven safe in that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixKind {
    None,
    /// Safe fixes (`check --fix`).
    Safe,
    /// Unsafe fixes (`check --fix --unsafe-fixes`, or a click in the editor).
    Unsafe,
}

impl FixKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Safe => "safe",
            Self::Unsafe => "unsafe",
        }
    }
}

/// A rule: metadata plus a check.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Analysis<'_>, out: &mut Vec<Diagnostic>);
    /// For a rule that checks one stage at a time, its check of one stage; see [`StageCheck`].
    fn stage_check(&self) -> Option<StageCheck> {
        None
    }
}

/// The check of stage `s` (an index into [`Model::stages`]) by a rule whose findings about a
/// stage depend only on: the text of that stage and of the stages it is built on (from the
/// start of the line of each one's FROM to the start of the line of the next FROM), the text
/// before the first FROM, the FROM instructions, and the build context and path; what a finding
/// says may also depend on the line the stage starts on, whether the file has syntax errors and
/// its line ending, but whether there is a finding may not. Each finding is about the stage and
/// its spans lie in those stages. The rule's
/// [`Rule::check`] is this check for every stage in order, so its findings are the same either
/// way; the language server keeps them per stage ([`memo`]) and re-checks only the stages an
/// edit touched.
pub type StageCheck = fn(&Analysis<'_>, usize, &mut Vec<Diagnostic>);

/// Declare a rule: its doc comment becomes [`RuleMeta::doc`]; the file's free `check` function
/// is its check, or with `per_stage: check_stage`, the file's free `check_stage` function is its
/// [`StageCheck`] and its check runs it on every stage.
macro_rules! declare_rule {
    (@check $cx:ident, $out:ident) => {
        check($cx, $out)
    };
    (@check $cx:ident, $out:ident, $stage_check:ident) => {
        for s in 0..$cx.model.stages.len() {
            $stage_check($cx, s, $out);
        }
    };
    (@stage_check) => {
        None
    };
    (@fix) => {
        $crate::rules::FixKind::None
    };
    (@fix $fix:ident) => {
        $crate::rules::FixKind::$fix
    };
    (@enabled) => {
        true
    };
    (@enabled $enabled:literal) => {
        $enabled
    };
    (@stage_check $stage_check:ident) => {
        Some($stage_check)
    };
    (
        $(#[doc = $doc:literal])+
        pub struct $name:ident {
            id: $id:literal,
            severity: $severity:ident,
            summary: $summary:literal,
            hadolint: [$($hadolint:literal),* $(,)?],
            buildkit: [$($buildkit:literal),* $(,)?]
            $(, fix: $fix:ident)?
            $(, per_stage: $stage_check:ident)?
            $(, enabled_by_default: $enabled:literal)? $(,)?
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
            fix: $crate::rules::declare_rule!(@fix $($fix)?),
            enabled_by_default: $crate::rules::declare_rule!(@enabled $($enabled)?),
        };

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &META
            }
            fn check(&self, cx: &$crate::rules::Analysis<'_>, out: &mut Vec<$crate::rules::Diagnostic>) {
                $crate::rules::declare_rule!(@check cx, out $(, $stage_check)?);
            }
            fn stage_check(&self) -> Option<$crate::rules::StageCheck> {
                $crate::rules::declare_rule!(@stage_check $($stage_check)?)
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
    &duplicate_stage_name::DuplicateStageName,
    &expose_invalid_format::ExposeInvalidFormat,
    &stage_name_casing::StageNameCasing,
    &from_as_casing::FromAsCasing,
    &reserved_stage_name::ReservedStageName,
    &consistent_instruction_casing::ConsistentInstructionCasing,
    &maintainer_deprecated::MaintainerDeprecated,
    &multiple_instructions_disallowed::MultipleInstructionsDisallowed,
    &no_empty_continuation::NoEmptyContinuation,
    &redundant_target_platform::RedundantTargetPlatform,
    &from_platform_flag_const_disallowed::FromPlatformFlagConstDisallowed,
    &expose_proto_casing::ExposeProtoCasing,
    &secrets_used_in_arg_or_env::SecretsUsedInArgOrEnv,
    &legacy_key_value_format::LegacyKeyValueFormat,
    &undefined_var::UndefinedVar,
    &undefined_arg_in_from::UndefinedArgInFrom,
    &invalid_default_arg_in_from::InvalidDefaultArgInFrom,
    &copy_ignored_file::CopyIgnoredFile,
    &invalid_definition_description::InvalidDefinitionDescription,
    // hadolint's rules
    &pipe_without_pipefail::PipeWithoutPipefail,
    &apk_no_cache::ApkNoCache,
    &rpm_cache_not_cleaned::RpmCacheNotCleaned,
    &useradd_high_uid::UseraddHighUid,
    &npm_cache_not_cleaned::NpmCacheNotCleaned,
    &final_user_root::FinalUserRoot,
    &sudo_in_run::SudoInRun,
    &cd_without_effect::CdWithoutEffect,
    &install_without_yes::InstallWithoutYes,
    &copy_multiple_sources::CopyMultipleSources,
    &copy_relative_dest::CopyRelativeDest,
    &copy_from_unknown_stage::CopyFromUnknownStage,
    &curl_and_wget::CurlAndWget,
    &wget_progress::WgetProgress,
    &copy_whole_stage::CopyWholeStage,
    &unpinned_package::UnpinnedPackage,
    &use_cache_mount::UseCacheMount,
    &empty_copy_from::EmptyCopyFrom,
    &empty_cmd_entrypoint::EmptyCmdEntrypoint,
    &healthcheck_zero_retries::HealthcheckZeroRetries,
];

/// The id of the rule for what BuildKit rejects.
pub const SYNTAX: &str = "syntax";

/// The rule with this id.
#[must_use]
pub fn rule(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().map(|r| r.meta()).find(|m| m.id == id)
}

/// The rule a person means by `name`: its id, else the rule equivalent to that BuildKit check
/// (`DuplicateStageName`) or hadolint code (`DL3024`), case aside.
#[must_use]
pub fn lookup(name: &str) -> Option<&'static RuleMeta> {
    let metas = || RULES.iter().map(|r| r.meta());
    rule(name)
        .or_else(|| metas().find(|m| m.buildkit.iter().any(|b| b.eq_ignore_ascii_case(name))))
        .or_else(|| metas().find(|m| m.hadolint.iter().any(|h| h.eq_ignore_ascii_case(name))))
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

/// Where a finding is: its range, which starts on the first line of its instruction, and the
/// exact subject when that lies on a later line (a command in a heredoc body or on a
/// continuation line), where an editor underlines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub span: Span,
    pub focus: Option<Span>,
}

impl From<Span> for Place {
    fn from(span: Span) -> Self {
        Self { span, focus: None }
    }
}

/// A finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    /// Absolute byte range in the file. It starts on the first line of the instruction the
    /// finding is about, so tools and labels that refer to instructions by line agree.
    pub span: Span,
    /// The exact subject, when it starts on a later line than `span` (see [`Place`]); the
    /// editor underlines this instead of the whole instruction.
    pub focus: Option<Span>,
    pub message: String,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(
        meta: &'static RuleMeta,
        place: impl Into<Place>,
        message: impl Into<String>,
    ) -> Self {
        let Place { span, focus } = place.into();
        Self {
            rule: meta.id,
            severity: meta.severity,
            span,
            focus,
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

    /// The range an editor underlines: the exact subject when it is on a later line of the
    /// instruction, else [`Self::span`].
    #[must_use]
    pub fn editor_span(&self) -> Span {
        self.focus.unwrap_or(self.span)
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

    /// The 0-based line of a byte offset (the number of `\n` before it). Counts from the start of
    /// the instruction at or before `offset`, whose line is known, so that a rule reporting many
    /// findings does not scan the file for each one.
    #[must_use]
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        let instrs = &self.tree.instructions;
        let (from, line) = match instrs.partition_point(|l| l.offset <= end).checked_sub(1) {
            Some(k) => (instrs[k].offset, instrs[k].line as usize),
            None => (0, 0),
        };
        line + self.text.as_bytes()[from.min(end)..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    /// The place of a finding about instruction `i` whose subject is `subject`: its range starts
    /// on the instruction's first line (so every tool reports the instruction's line) and covers
    /// the subject. When the subject starts on a later line, the range starts at the keyword and
    /// the subject is the place's focus, which editors underline.
    #[must_use]
    pub fn range_on(&self, i: usize, subject: Span) -> Place {
        let instr = self.instr(i);
        let first_line_end = self.text[instr.offset..]
            .find('\n')
            .map_or(self.text.len(), |n| instr.offset + n);
        if subject.start >= instr.offset && subject.start < first_line_end {
            subject.into()
        } else {
            Place {
                span: instr.keyword_span().cover(subject),
                focus: Some(subject),
            }
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
    let model = Model::build_for(tree, Some(text), config.target());
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
    run_rules(cx, config, RULES)
}

/// Run `rules`: each under `catch_unwind`, so a rule (or the fix builder it calls) that panics
/// is logged to stderr and skipped while the others still run.
fn run_rules(cx: &Analysis<'_>, config: &Config, rules: &[&dyn Rule]) -> Vec<Diagnostic> {
    collect(cx, config, rules, |rule| {
        let mut found = Vec::new();
        catch_unwind(AssertUnwindSafe(|| rule.check(cx, &mut found))).ok()?;
        Some(found)
    })
}

/// The findings of the enabled `rules`, as `run_rule` finds them (`None`: the rule panicked, it
/// is logged and skipped), with the user's severities, without the suppressed ones, sorted.
/// Whether a fix's edits lie on char boundaries inside `text` and do not overlap (an insertion
/// may touch another edit): a fix builder with a bug must not hand the editor or `fix_all` edits
/// that cannot be applied.
fn fix_applies(text: &str, fix: &Fix) -> bool {
    let mut spans: Vec<Span> = fix.edits.iter().map(|e| e.span).collect();
    spans.sort_by_key(|s| (s.start, s.end));
    let fits = |s: &Span| {
        s.start <= s.end
            && s.end <= text.len()
            && text.is_char_boundary(s.start)
            && text.is_char_boundary(s.end)
    };
    spans.iter().all(fits) && spans.windows(2).all(|w| w[0].end <= w[1].start)
}

fn collect(
    cx: &Analysis<'_>,
    config: &Config,
    rules: &[&dyn Rule],
    mut run_rule: impl FnMut(&dyn Rule) -> Option<Vec<Diagnostic>>,
) -> Vec<Diagnostic> {
    let suppressions = suppress::Suppressions::collect(cx);
    let mut all = Vec::new();
    for rule in rules {
        let meta = rule.meta();
        let Some(severity) = config.severity(meta) else {
            continue;
        };
        if suppressions.file_wide(meta) {
            continue;
        }
        let Some(found) = run_rule(*rule) else {
            eprintln!(
                "layerwise: rule `{}` failed on this file and was skipped",
                meta.id
            );
            continue;
        };
        for mut d in found {
            if suppressions.suppressed(cx, meta, d.span) {
                continue;
            }
            if d.fix.as_ref().is_some_and(|fix| !fix_applies(cx.text, fix)) {
                eprintln!(
                    "layerwise: rule `{}` built a fix whose edits overlap or do not fit the text; it is not offered",
                    meta.id
                );
                d.fix = None;
            }
            // the user's level wins; else `# check=error=true` makes BuildKit's checks errors;
            // else a rule may have said less than its default
            if config.is_set(meta) {
                d.severity = severity;
            } else if suppressions.as_error(meta) {
                d.severity = Severity::Error;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::NoContext;

    declare_rule! {
        /// Panics on every file, as a rule with a bug would on some.
        pub struct Panicking {
            id: "panicking",
            severity: Error,
            summary: "panics",
            hadolint: [],
            buildkit: [],
        }
    }

    fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
        out.push(Diagnostic::new(&META, Span::new(0, 4), "half-done"));
        let broken: &str = cx.text;
        // a fix builder slicing inside a character
        let _ = &broken[1..2];
    }

    #[test]
    fn a_panicking_rule_is_skipped_and_the_others_still_run() {
        let text = "😀\nFROM node:latest\n";
        let tree = crate::syntax::parse(text);
        let model = Model::build(&tree);
        let cx = Analysis {
            text,
            tree: &tree,
            model: &model,
            context: &NoContext,
            path: None,
        };
        let rules: Vec<&dyn Rule> = vec![&Panicking, &unpinned_base_image::UnpinnedBaseImage];
        let found = run_rules(&cx, &Config::default(), &rules);
        let ids: Vec<&str> = found.iter().map(|d| d.rule).collect();
        // nothing of the panicking rule, not even what it found before panicking
        assert_eq!(ids, ["unpinned-base-image"]);
    }

    #[test]
    fn fixes_whose_edits_cannot_apply_are_not_offered() {
        let edit = |s: usize, e: usize| Edit {
            span: Span::new(s, e),
            text: "x".into(),
        };
        let fix = |edits| Fix::safe("t", edits);
        let text = "FROM é\n";
        assert!(fix_applies(
            text,
            &fix(vec![edit(0, 4), edit(4, 4), edit(8, 8)])
        ));
        assert!(!fix_applies(text, &fix(vec![edit(0, 4), edit(2, 2)])));
        assert!(!fix_applies(text, &fix(vec![edit(6, 6)])));
        assert!(!fix_applies(text, &fix(vec![edit(3, 20)])));
    }
}
