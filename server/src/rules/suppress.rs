//! In-file suppressions.
//!
//! - `# layerwise: ignore=RULE[,RULE]` (or `ignore=all`) on the comment lines directly above an
//!   instruction suppresses those rules for that instruction.
//! - `# hadolint ignore=DL3008,DL3015` likewise, for the layerwise rules equivalent to those
//!   hadolint codes; `# hadolint global ignore=...` anywhere suppresses them in the whole file.
//! - BuildKit's `# check=skip=Name[,Name]` (or `skip=all`) parser directive suppresses the
//!   equivalent rules in the whole file; the same comment in the block directly above an
//!   instruction suppresses them for that instruction only.
//! - `# check=error=true` in the directive makes the findings of the rules that have a BuildKit
//!   equivalent errors (as BuildKit fails the build on them), unless the user set their level;
//!   `# check=experimental=Name[,Name]` (or `all`) turns on the checks BuildKit runs only on
//!   request ([`CheckDirective::experimental`]).

use super::{Analysis, RuleMeta};
use crate::syntax::Span;

#[derive(Debug, Default)]
pub struct Suppressions {
    /// (instruction span, rule ids, hadolint codes or BuildKit names) from comments above
    /// instructions.
    local: Vec<(Span, Vec<String>)>,
    global: Vec<String>,
    /// The `# check=` parser directive.
    pub directive: CheckDirective,
}

/// What BuildKit's `# check=` parser directive says: `skip=A,B` (or `all`), `error=true`,
/// `experimental=A,B` (or `all`), separated by `;`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckDirective {
    pub skip: Vec<String>,
    pub error: bool,
    pub experimental: Vec<String>,
}

impl CheckDirective {
    /// Parse the value of a `check` directive (or of a `# check=...` comment).
    #[must_use]
    pub fn parse(value: &str) -> Self {
        let mut d = Self::default();
        for part in value.split(';') {
            let Some((key, val)) = part.split_once('=') else {
                continue;
            };
            let val = val.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "skip" => d.skip.extend(split_list(val)),
                "error" => d.error = val.eq_ignore_ascii_case("true"),
                "experimental" => d.experimental.extend(split_list(val)),
                _ => {}
            }
        }
        d
    }

    /// The directive of the file being checked.
    #[must_use]
    pub fn of(cx: &Analysis<'_>) -> Self {
        cx.tree
            .split
            .directive("check")
            .map(|d| Self::parse(&d.value))
            .unwrap_or_default()
    }

    /// Whether the experimental BuildKit check `name` was asked for.
    #[must_use]
    pub fn experimental(&self, name: &str) -> bool {
        self.experimental
            .iter()
            .any(|e| e.eq_ignore_ascii_case("all") || e.eq_ignore_ascii_case(name))
    }

    fn skips(&self, meta: &RuleMeta) -> bool {
        self.skip.iter().any(|n| {
            (n.eq_ignore_ascii_case("all") && !meta.buildkit.is_empty())
                || meta.buildkit.iter().any(|b| b.eq_ignore_ascii_case(n))
        })
    }
}

/// The list after `check=skip=` in a comment `# check=skip=A,B` above an instruction.
fn check_comment(comment: &str) -> Option<Vec<String>> {
    let body = comment.trim_start_matches('#').trim_start();
    let (name, value) = body.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("check") {
        return None;
    }
    let skip = CheckDirective::parse(value).skip;
    (!skip.is_empty()).then_some(skip)
}

/// Stands for `skip=all` in a `# check=` comment above an instruction: every rule with a
/// BuildKit equivalent (not a rule id, which are kebab-case).
const BUILDKIT_ALL: &str = "<buildkit:all>";

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The list after `ignore=` in a comment of the form `# <tool>[:] [global] ignore=...`.
fn ignore_list<'t>(comment: &'t str, tool: &str) -> Option<(bool, &'t str)> {
    let body = comment.trim_start_matches('#').trim_start();
    let rest = body.strip_prefix(tool)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(r) => (true, r.trim_start()),
        None => (false, rest),
    };
    let list = rest
        .strip_prefix("ignore")?
        .trim_start()
        .strip_prefix('=')?;
    Some((global, list.trim()))
}

impl Suppressions {
    pub fn collect(cx: &Analysis<'_>) -> Self {
        let mut s = Suppressions::default();
        let comments = &cx.tree.split.comments;
        // comments are in file order; walk them with the instructions
        let mut ci = 0;
        let mut prev_end = 0usize;
        for located in &cx.tree.instructions {
            let start = located.offset;
            let mut ids = Vec::new();
            while ci < comments.len() && comments[ci].span.start < start {
                let c = &comments[ci];
                let text = c.span.of(cx.text);
                // only comments in the block directly above (no instruction in between)
                if c.span.start >= prev_end {
                    if let Some(names) = check_comment(text) {
                        // BuildKit names only: `all` here means every BuildKit check
                        ids.extend(names.into_iter().map(|n| {
                            if n.eq_ignore_ascii_case("all") {
                                BUILDKIT_ALL.to_string()
                            } else {
                                n
                            }
                        }));
                    }
                    for tool in ["layerwise", "hadolint"] {
                        if let Some((global, list)) = ignore_list(text, tool) {
                            if global {
                                s.global.extend(split_list(list));
                            } else {
                                ids.extend(split_list(list));
                            }
                        }
                    }
                }
                ci += 1;
            }
            // a blank line or other text between comment block and instruction is fine: the
            // block is "directly above" when no instruction separates them
            if !ids.is_empty() {
                s.local.push((located.span(), ids));
            }
            prev_end = located.span().end;
        }
        while ci < comments.len() {
            if let Some((true, list)) = ignore_list(comments[ci].span.of(cx.text), "hadolint") {
                s.global.extend(split_list(list));
            }
            ci += 1;
        }
        s.directive = CheckDirective::of(cx);
        s
    }

    fn matches(meta: &RuleMeta, id: &str) -> bool {
        id == "all"
            || id == meta.id
            || (id == BUILDKIT_ALL && !meta.buildkit.is_empty())
            || meta.hadolint.iter().any(|h| h.eq_ignore_ascii_case(id))
            || meta.buildkit.iter().any(|b| b.eq_ignore_ascii_case(id))
    }

    /// Whether `# check=error=true` makes this rule's findings errors.
    #[must_use]
    pub fn as_error(&self, meta: &RuleMeta) -> bool {
        self.directive.error && !meta.buildkit.is_empty()
    }

    /// Suppressed in the whole file.
    pub fn file_wide(&self, meta: &RuleMeta) -> bool {
        self.global
            .iter()
            .any(|id| id != "all" && Self::matches(meta, id))
            || self.directive.skips(meta)
    }

    /// Suppressed for the instruction containing `span`.
    pub fn suppressed(&self, _cx: &Analysis<'_>, meta: &RuleMeta, span: Span) -> bool {
        self.local.iter().any(|(instr, ids)| {
            (instr.contains(span.start) || instr.start == span.start)
                && ids.iter().any(|id| Self::matches(meta, id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_directive_parts() {
        let d = CheckDirective::parse("skip=JSONArgsRecommended, StageNameCasing;error=true");
        assert_eq!(d.skip, ["JSONArgsRecommended", "StageNameCasing"]);
        assert!(d.error);
        assert!(!d.experimental("CopyIgnoredFile"));
        let d = CheckDirective::parse(" experimental = all ; error=false");
        assert!(!d.error);
        assert!(d.experimental("InvalidDefinitionDescription"));
        assert_eq!(
            check_comment("# check=skip=UndefinedVar"),
            Some(vec!["UndefinedVar".to_string()])
        );
        assert_eq!(check_comment("# check=error=true"), None);
        assert_eq!(check_comment("# checks are nice = yes"), None);
    }
}
