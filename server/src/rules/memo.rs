//! Keeping the findings of the per-stage rules between analyses of one document.
//!
//! A rule with a [`StageCheck`] checks one stage at a time, and its findings about a stage depend
//! only on what [`StageCheck`] lists. [`StageMemo`] remembers those findings per stage and rule;
//! after an edit, a stage whose findings are kept needs:
//!
//! - the same text before the first FROM (not touched by the edit, same length) and the same
//!   FROM instructions (the same parses: an instruction the edit did not touch keeps its parse);
//! - its own text and the text of every stage it is built on not touched by the edit;
//! - findings whose spans all lie in those stages;
//! - unless the rule found nothing there: the same first line for each of those stages, the same
//!   answer to "has the file syntax errors" and the same line ending. These only shape what a
//!   finding says (a message names a line, a fix is not offered while the file has syntax
//!   errors, a fix writes the file's line ending), never whether there is one.
//!
//! Kept findings are moved span by span with the stage each span lies in: by nothing before the
//! edit, by the edit's length change after it (a stage after the edit built on one before it,
//! the common case of a final stage built on the first, keeps its findings too). A span on the
//! border of two stages the edit moved apart is ambiguous: those findings are checked again.
//! Everything else is checked again too, so [`check`] returns exactly what [`super::check`]
//! returns; the property test in `tests/incremental.rs` holds it to that on random edits.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use super::{collect, fixes, Analysis, Config, Diagnostic, Rule, StageCheck, RULES};
use crate::model::context::BuildContext;
use crate::model::Model;
use crate::syntax::instruction::Instruction;
use crate::syntax::{Span, SyntaxTree};
use crate::text::AppliedEdit;

/// The findings of the per-stage rules at the last analysis of a document. Keep one per document;
/// start afresh ([`StageMemo::default`]) whenever the build context or path may have changed.
#[derive(Debug, Default)]
pub struct StageMemo {
    last: Option<Snapshot>,
}

/// What the findings were computed from, besides each stage's own text.
#[derive(Debug)]
struct Global {
    /// The start of the line of the first FROM (the text's length when there is none).
    prologue_end: usize,
    /// The FROM instructions, compared by identity.
    froms: Vec<Arc<Instruction>>,
    /// The stage the build produces (a setting or the prologue's comment may name one).
    target: Option<usize>,
}

/// What only shapes the findings: whether the file has syntax errors, its line ending.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    has_errors: bool,
    eol: &'static str,
}

/// How the kept findings of a stage can be reused after an edit.
#[derive(Debug, Clone)]
struct Reuse {
    /// The stage and the stages it is built on: old region, and how far the edit moved it.
    lineage: Vec<(Span, isize)>,
    /// Their first lines, the syntax errors and the line ending are the same as before.
    same_shape: bool,
}

#[derive(Debug)]
struct Snapshot {
    text_len: usize,
    global: Global,
    shape: Shape,
    stages: Vec<StageFindings>,
}

#[derive(Debug)]
struct StageFindings {
    /// From the start of the line of the stage's FROM to the start of the line of the next FROM.
    region: Span,
    /// The 0-based line of the FROM.
    line: u32,
    /// Per rule of [`RULES`], its findings about the stage (`None`: not known).
    found: Vec<Option<Vec<Diagnostic>>>,
}

fn global(text: &str, tree: &SyntaxTree, model: &Model) -> Global {
    let froms: Vec<Arc<Instruction>> = model
        .stages
        .iter()
        .map(|s| Arc::clone(&tree.instructions[s.from].parsed))
        .collect();
    let prologue_end = model.stages.first().map_or(text.len(), |s| {
        line_start(text, tree.instructions[s.from].offset)
    });
    Global {
        prologue_end,
        froms,
        target: model.target(),
    }
}

impl PartialEq for Global {
    fn eq(&self, other: &Self) -> bool {
        self.prologue_end == other.prologue_end
            && self.target == other.target
            && self.froms.len() == other.froms.len()
            && self
                .froms
                .iter()
                .zip(&other.froms)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The region of every stage: see [`StageFindings::region`].
fn regions(text: &str, tree: &SyntaxTree, model: &Model) -> Vec<Span> {
    let starts: Vec<usize> = model
        .stages
        .iter()
        .map(|s| line_start(text, tree.instructions[s.from].offset))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &start)| Span::new(start, starts.get(k + 1).copied().unwrap_or(text.len())))
        .collect()
}

/// How an old region maps to a new one: `Some(shift)` when the edit left its text alone.
fn shift(old: Span, new: Span, edit: &AppliedEdit, delta: isize) -> Option<isize> {
    if new.end <= edit.start && new == old {
        Some(0)
    } else if new.start >= edit.new_end && moved(old, delta) == new {
        Some(delta)
    } else {
        None
    }
}

fn moved(span: Span, delta: isize) -> Span {
    Span::new(
        span.start.wrapping_add_signed(delta),
        span.end.wrapping_add_signed(delta),
    )
}

/// `d` with every span moved as the region holding it moved (`regions`: old region, shift);
/// `None` when a span lies in no region, or on the border of two that moved differently.
fn moved_diagnostic(d: &Diagnostic, regions: &[(Span, isize)]) -> Option<Diagnostic> {
    let move_span = |span: &mut Span| -> Option<()> {
        let mut shifts = regions
            .iter()
            .filter(|(r, _)| r.start <= span.start && span.end <= r.end)
            .map(|&(_, shift)| shift);
        let shift = shifts.next()?;
        if shifts.any(|other| other != shift) {
            return None;
        }
        *span = moved(*span, shift);
        Some(())
    };
    let mut d = d.clone();
    move_span(&mut d.span)?;
    if let Some(focus) = &mut d.focus {
        move_span(focus)?;
    }
    for r in &mut d.related {
        move_span(&mut r.span)?;
    }
    if let Some(fix) = &mut d.fix {
        for e in &mut fix.edits {
            move_span(&mut e.span)?;
        }
    }
    Some(d)
}

/// Whether every span of `d` lies within one of `regions` (ends included).
fn contained(d: &Diagnostic, regions: &[Span]) -> bool {
    let inside = |s: Span| regions.iter().any(|r| r.start <= s.start && s.end <= r.end);
    inside(d.span)
        && d.related.iter().all(|r| inside(r.span))
        && d.fix
            .as_ref()
            .is_none_or(|f| f.edits.iter().all(|e| inside(e.span)))
}

impl StageMemo {
    /// Forget everything.
    pub fn clear(&mut self) {
        self.last = None;
    }
}

/// [`super::check`], reusing the findings `memo` kept from the last call for the stages that
/// `edit` (the change from the text of the last call to `text`; `None`: the same text) did not
/// touch, and keeping this call's findings for the next.
#[must_use]
pub fn check(
    text: &str,
    tree: &SyntaxTree,
    context: &dyn BuildContext,
    path: Option<&Path>,
    config: &Config,
    memo: &mut StageMemo,
    edit: Option<AppliedEdit>,
) -> Vec<Diagnostic> {
    let model = Model::build_for(tree, Some(text), config.target());
    let cx = Analysis {
        text,
        tree,
        model: &model,
        context,
        path,
    };
    let global = global(text, tree, &model);
    let shape = Shape {
        has_errors: tree.errors().next().is_some(),
        eol: fixes::eol(text),
    };
    let regions = regions(text, tree, &model);
    let lines: Vec<u32> = model
        .stages
        .iter()
        .map(|s| tree.instructions[s.from].line)
        .collect();
    let edit = edit.unwrap_or(AppliedEdit {
        start: text.len(),
        old_end: text.len(),
        new_end: text.len(),
    });

    // For each stage whose text and whose ancestors' text the edit left alone: the old region
    // and shift of each of them, and whether findings (not only "nothing found") can be kept:
    // their lines, the syntax errors and the line ending are the same.
    let last = memo.last.take();
    let reusable: Vec<Option<Reuse>> = match &last {
        Some(last)
            if last.global == global
                && global.prologue_end <= edit.start
                && edit.new_end <= text.len()
                && (text.len() - edit.new_end).checked_add(edit.old_end) == Some(last.text_len) =>
        {
            let delta = isize::try_from(edit.new_end).unwrap_or(isize::MAX)
                - isize::try_from(edit.old_end).unwrap_or(isize::MAX);
            let shifts: Vec<Option<isize>> = regions
                .iter()
                .zip(&last.stages)
                .map(|(&new, old)| shift(old.region, new, &edit, delta))
                .collect();
            (0..regions.len())
                .map(|s| {
                    let mut lineage = Vec::new();
                    let mut same_lines = true;
                    for st in model.lineage(s) {
                        let old = &last.stages[st.index];
                        lineage.push((old.region, shifts[st.index]?));
                        same_lines &= old.line == lines[st.index];
                    }
                    Some(Reuse {
                        lineage,
                        same_shape: same_lines && last.shape == shape,
                    })
                })
                .collect()
        }
        _ => vec![None; regions.len()],
    };

    let mut stages: Vec<StageFindings> = regions
        .iter()
        .zip(&lines)
        .map(|(&region, &line)| StageFindings {
            region,
            line,
            found: vec![None; RULES.len()],
        })
        .collect();
    let diagnostics = collect(&cx, config, RULES, |rule| {
        let Some(stage_check) = rule.stage_check() else {
            let mut found = Vec::new();
            catch_unwind(AssertUnwindSafe(|| rule.check(&cx, &mut found))).ok()?;
            return Some(found);
        };
        let r = rule_index(rule);
        let mut all = Vec::new();
        for s in 0..stages.len() {
            let kept = reusable[s].as_ref().and_then(|reuse| {
                let found = last.as_ref()?.stages[s].found[r].as_ref()?;
                if !(reuse.same_shape || found.is_empty()) {
                    return None;
                }
                found
                    .iter()
                    .map(|d| moved_diagnostic(d, &reuse.lineage))
                    .collect::<Option<Vec<_>>>()
            });
            let (found, keep) = match kept {
                Some(found) => (found, true),
                None => run_stage(&cx, stage_check, s, &regions)?,
            };
            all.extend(found.iter().cloned());
            stages[s].found[r] = keep.then_some(found);
        }
        Some(all)
    });
    memo.last = Some(Snapshot {
        text_len: text.len(),
        global,
        shape,
        stages,
    });
    diagnostics
}

/// The findings of `stage_check` about stage `s` (`None` when it panicked), and whether they
/// can be kept: all their spans lie in the stage and the stages it is built on.
fn run_stage(
    cx: &Analysis<'_>,
    stage_check: StageCheck,
    s: usize,
    regions: &[Span],
) -> Option<(Vec<Diagnostic>, bool)> {
    let mut found = Vec::new();
    catch_unwind(AssertUnwindSafe(|| stage_check(cx, s, &mut found))).ok()?;
    let lineage: Vec<Span> = cx.model.lineage(s).map(|st| regions[st.index]).collect();
    let keep = found.iter().all(|d| contained(d, &lineage));
    Some((found, keep))
}

fn rule_index(rule: &dyn Rule) -> usize {
    let id = rule.meta().id;
    RULES.iter().position(|r| r.meta().id == id).unwrap_or(0)
}
