//! In-file suppressions.
//!
//! - `# layerwise: ignore=RULE[,RULE]` (or `ignore=all`) on the comment lines directly above an
//!   instruction suppresses those rules for that instruction.
//! - `# hadolint ignore=DL3008,DL3015` likewise, for the layerwise rules equivalent to those
//!   hadolint codes; `# hadolint global ignore=...` anywhere suppresses them in the whole file.
//! - BuildKit's `# check=skip=Name[,Name]` (or `skip=all`) parser directive suppresses the
//!   equivalent rules in the whole file.

use super::{Analysis, RuleMeta};
use crate::syntax::Span;

#[derive(Debug, Default)]
pub struct Suppressions {
    /// (instruction span, rule ids or hadolint codes) from comments above instructions.
    local: Vec<(Span, Vec<String>)>,
    global: Vec<String>,
    buildkit_skip: Vec<String>,
}

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
        if let Some(check) = cx.tree.split.directive("check") {
            for part in check.value.split(';') {
                if let Some(list) = part.trim().strip_prefix("skip=") {
                    s.buildkit_skip.extend(split_list(list));
                }
            }
        }
        s
    }

    fn matches(meta: &RuleMeta, id: &str) -> bool {
        id == "all" || id == meta.id || meta.hadolint.iter().any(|h| h.eq_ignore_ascii_case(id))
    }

    /// Suppressed in the whole file.
    pub fn file_wide(&self, meta: &RuleMeta) -> bool {
        self.global
            .iter()
            .any(|id| id != "all" && Self::matches(meta, id))
            || self.buildkit_skip.iter().any(|n| {
                (n.eq_ignore_ascii_case("all") && !meta.buildkit.is_empty())
                    || meta.buildkit.iter().any(|b| b.eq_ignore_ascii_case(n))
            })
    }

    /// Suppressed for the instruction containing `span`.
    pub fn suppressed(&self, _cx: &Analysis<'_>, meta: &RuleMeta, span: Span) -> bool {
        self.local.iter().any(|(instr, ids)| {
            (instr.contains(span.start) || instr.start == span.start)
                && ids.iter().any(|id| Self::matches(meta, id))
        })
    }
}
