//! The invariants every input must keep, shared by the cargo-fuzz targets
//! (`server/fuzz/fuzz_targets/`) and the stable-toolchain mutation fuzzer (`tests/fuzz_stable.rs`,
//! which includes this file with `#[path]`). Each check returns `Err(description)` when an
//! invariant is broken; panics are the caller's to catch (libFuzzer aborts on any panic, even
//! one a `catch_unwind` would swallow; the stable fuzzer installs a panic hook that records it).
//!
//! - Spans (splitter, parser, syntax errors, findings, related locations, fix edits) lie on char
//!   boundaries inside the text, and a parsed instruction's spans inside the instruction.
//! - An incremental parse (a [`SyntaxCache`] of an earlier text updated with the edit) equals a
//!   fresh one.
//! - A fix's edits apply (in bounds, not overlapping); its output has no more syntax errors than
//!   the input, and keeps every input line its edits do not touch, in order.
//! - `fix_all` ends (at most 16 rounds) with the same guarantees for every round, and its output
//!   passes the composed equivalence check against its input (`rules::fixes::equivalence`).
//!
//! Time is bounded by the caller: libFuzzer's `-timeout`, the stable fuzzer's per-input budget.

#![allow(dead_code)]

use std::path::Path;

use layerwise::fix;
use layerwise::model::context::BuildContext;
use layerwise::rules::fixes::equivalence::{self, Allowance};
use layerwise::rules::{self, Config, Diagnostic, Edit};
use layerwise::syntax::instruction::{Args, Form, Instruction};
use layerwise::syntax::{self, split, Span, SyntaxCache, SyntaxTree};
use layerwise::text::AppliedEdit;

/// `Ok(())` or what went wrong.
pub type Outcome = Result<(), String>;

/// Whether `span` is a well-formed range of `text` on char boundaries.
#[must_use]
pub fn fits(text: &str, span: Span) -> bool {
    span.start <= span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end)
}

fn check_fits(text: &str, what: &str, span: Span) -> Outcome {
    if fits(text, span) {
        Ok(())
    } else {
        Err(format!(
            "{what} span {}..{} is not a range of the {}-byte text on char boundaries",
            span.start,
            span.end,
            text.len()
        ))
    }
}

/// The splitter alone: every span of its output fits the text, instructions are in order and
/// do not overlap, segments and heredocs lie inside their instruction.
///
/// # Errors
/// The first misplaced span.
pub fn split_spans(text: &str) -> Outcome {
    let file = split::split(text);
    for d in &file.directives {
        for s in [d.span, d.name_span, d.value_span] {
            check_fits(text, "directive", s)?;
        }
    }
    for c in &file.comments {
        check_fits(text, "comment", c.span)?;
    }
    for e in &file.errors {
        check_fits(text, "split error", e.span)?;
    }
    let mut previous_end = 0;
    for raw in &file.instructions {
        check_fits(text, "raw instruction", raw.span)?;
        if raw.span.start < previous_end {
            return Err(format!(
                "raw instruction {:?} starts before the previous one ends ({previous_end})",
                raw.span
            ));
        }
        previous_end = raw.span.end;
        let inside = |s: Span| fits(text, s) && raw.span.start <= s.start && s.end <= raw.span.end;
        for s in raw
            .segments
            .iter()
            .chain(raw.heredocs.iter().flat_map(|h| [&h.body, &h.terminator]))
        {
            if !inside(*s) {
                return Err(format!(
                    "raw span {s:?} outside its instruction {:?}",
                    raw.span
                ));
            }
        }
    }
    Ok(())
}

/// Every span of an instruction, relative to the instruction.
pub fn instruction_spans(instr: &Instruction, out: &mut Vec<(&'static str, Span)>) {
    out.push(("span", instr.span));
    out.push(("keyword", instr.keyword_span));
    out.push(("args", instr.args_span));
    out.extend(instr.flags.iter().map(|f| ("flag", f.span)));
    out.extend(
        instr
            .flags
            .iter()
            .filter_map(|f| f.value_span.map(|s| ("flag-value", s))),
    );
    out.extend(instr.errors.iter().map(|e| ("error", e.span)));
    out.extend(instr.broken_json.iter().map(|e| ("broken-json", e.span)));
    for h in &instr.heredocs {
        out.extend([
            ("heredoc-opener", h.opener),
            ("heredoc-body", h.body),
            ("heredoc-terminator", h.terminator),
        ]);
    }
    for cmd in instr.commands() {
        out.push(("command", cmd.span));
        out.extend(
            cmd.words
                .iter()
                .chain(&cmd.assignments)
                .map(|w| ("shell-word", w.span)),
        );
    }
    match &instr.args {
        Args::None | Args::Healthcheck(None) => {}
        Args::From { image, alias } => out.extend(
            std::iter::once(image)
                .chain(alias)
                .map(|w| ("word", w.span)),
        ),
        Args::Command(form) | Args::Healthcheck(Some(form)) => {
            out.push(("form", form.span()));
            if let Form::Exec { words, .. } = form {
                out.extend(words.iter().map(|w| ("word", w.span)));
            }
        }
        Args::Copy { sources, dest, .. } => {
            out.extend(sources.iter().chain([dest]).map(|w| ("word", w.span)));
        }
        Args::KeyValues(kvs) => {
            for kv in kvs {
                out.push(("key-value", kv.span));
                out.extend(kv.value_span.map(|s| ("value", s)));
            }
        }
        Args::Words(words) => out.extend(words.iter().map(|w| ("word", w.span))),
        Args::Text(word) => out.push(("word", word.span)),
        Args::Onbuild(inner) => instruction_spans(inner, out),
    }
}

/// Every span of a parsed tree fits the text; an instruction's spans lie inside it.
///
/// # Errors
/// The first misplaced span.
pub fn tree_spans(text: &str, tree: &SyntaxTree) -> Outcome {
    for e in tree.errors() {
        check_fits(text, &format!("syntax error ({})", e.message), e.span)?;
    }
    if tree.split.instructions.len() != tree.instructions.len() {
        return Err("one parsed instruction per raw instruction".into());
    }
    for (raw, located) in tree.split.instructions.iter().zip(&tree.instructions) {
        let outer = located.span();
        if !fits(text, outer) || outer != raw.span {
            return Err(format!("instruction span {outer:?} (raw {:?})", raw.span));
        }
        let mut spans = Vec::new();
        instruction_spans(&located.parsed, &mut spans);
        for (what, rel) in spans {
            let abs = Span::new(rel.start + located.offset, rel.end + located.offset);
            if !(fits(text, abs) && outer.start <= abs.start && abs.end <= outer.end) {
                return Err(format!("{what} span {abs:?} outside instruction {outer:?}"));
            }
        }
    }
    Ok(())
}

/// The edit that turns `before` into `after`: the bytes between their common prefix and their
/// common suffix (on char boundaries).
#[must_use]
pub fn edit_between(before: &str, after: &str) -> AppliedEdit {
    let mut start = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(start) || !after.is_char_boundary(start) {
        start -= 1;
    }
    let mut suffix = before[start..]
        .bytes()
        .rev()
        .zip(after[start..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !before.is_char_boundary(before.len() - suffix)
        || !after.is_char_boundary(after.len() - suffix)
    {
        suffix -= 1;
    }
    AppliedEdit {
        start,
        old_end: before.len() - suffix,
        new_end: after.len() - suffix,
    }
}

/// Parse `text` fresh, and incrementally: a [`SyntaxCache`] that parsed `earlier` updated with
/// the edit between the two. Both trees are equal and every span is well placed.
///
/// # Errors
/// A misplaced span, or a difference between the incremental and the fresh parse.
pub fn parse(text: &str, earlier: &str) -> Result<SyntaxTree, String> {
    split_spans(text)?;
    let tree = syntax::parse(text);
    tree_spans(text, &tree)?;
    // `LAYERWISE_FUZZ_NO_INCREMENTAL` skips this check, to hunt other bugs while one is open
    if std::env::var_os("LAYERWISE_FUZZ_NO_INCREMENTAL").is_none() {
        incremental(text, earlier, &tree)?;
    }
    Ok(tree)
}

/// A [`SyntaxCache`] that parsed `earlier`, updated with the edit to `text`, equals `fresh`, the
/// fresh parse of `text`.
///
/// # Errors
/// When they differ.
pub fn incremental(text: &str, earlier: &str, fresh: &SyntaxTree) -> Outcome {
    let mut cache = SyntaxCache::default();
    let _ = cache.parse(earlier);
    let cached = cache.update(text, edit_between(earlier, text));
    let expected: Vec<_> = fresh
        .instructions
        .iter()
        .map(|l| (l.offset, l.line, &*l.parsed))
        .collect();
    let got: Vec<_> = cached
        .instructions
        .iter()
        .map(|l| (l.offset, l.line, &*l.parsed))
        .collect();
    if expected != got || fresh.split != cached.split {
        return Err(format!(
            "an incremental parse differs from a fresh parse (edited from {earlier:?})"
        ));
    }
    Ok(())
}

/// Run every rule and check what they found: spans, related spans and fix edits fit the text,
/// and each fix's edits apply.
///
/// # Errors
/// The first misplaced span or unappliable fix.
pub fn analysis(
    text: &str,
    tree: &SyntaxTree,
    context: &dyn BuildContext,
    path: Option<&Path>,
    config: &Config,
) -> Result<Vec<Diagnostic>, String> {
    let diagnostics = rules::check(text, tree, context, path, config);
    for d in &diagnostics {
        check_fits(text, &format!("`{}` finding", d.rule), d.span)?;
        for r in &d.related {
            check_fits(text, &format!("`{}` related", d.rule), r.span)?;
        }
        if let Some(f) = &d.fix {
            for e in &f.edits {
                check_fits(text, &format!("`{}` fix edit", d.rule), e.span)?;
            }
        }
    }
    Ok(diagnostics)
}

/// The syntax errors of `after` when it has more than `before` (a fix may carry an error of
/// the input along, e.g. `ADD` -> `COPY` keeps a broken argument, so messages are not compared).
fn new_errors(before: &SyntaxTree, after: &SyntaxTree) -> Vec<String> {
    let old = before.errors().count();
    let new: Vec<String> = after.errors().map(|e| e.message).collect();
    if new.len() > old {
        new
    } else {
        Vec::new()
    }
}

/// The lines of `text` (split after each `\n`) with their byte ranges, line break included.
fn lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = text[start..]
            .find('\n')
            .map_or(text.len(), |i| start + i + 1);
        out.push((start, end));
        start = end;
    }
    out
}

/// Every line of `before` that no edit touches is a whole line of `after`, in order. An edit
/// touches the lines its span overlaps, the line it inserts into, and the line right after its
/// end (which it may join).
///
/// # Errors
/// The first untouched line that is missing.
pub fn keeps_untouched_lines(before: &str, edits: &[Edit], after: &str) -> Outcome {
    let touched = |(start, end): (usize, usize)| {
        edits.iter().any(|e| {
            let (s, t) = (e.span.start, e.span.end);
            // the closed range s..=t meets the line, or an insertion at the very end of a last
            // line without a line break
            (s < end && start <= t) || (s == end && end == before.len())
        })
    };
    let after_lines: Vec<&str> = lines(after).iter().map(|&(s, e)| &after[s..e]).collect();
    let mut at = 0;
    for range in lines(before) {
        if touched(range) {
            continue;
        }
        let line = &before[range.0..range.1];
        match after_lines[at..].iter().position(|l| *l == line) {
            Some(i) => at += i + 1,
            None => {
                return Err(format!(
                    "the untouched line {line:?} is lost or out of order"
                ))
            }
        }
    }
    Ok(())
}

/// Apply one fix's edits and check the output.
///
/// # Errors
/// When the edits do not apply, the output has more syntax errors, or an untouched line is lost.
pub fn fix_output(text: &str, tree: &SyntaxTree, rule: &str, edits: &[Edit]) -> Outcome {
    let out = fix::apply_edits(text, edits).map_err(|e| format!("`{rule}` fix: {e}"))?;
    let after = syntax::parse(&out);
    let new = new_errors(tree, &after);
    if !new.is_empty() {
        return Err(format!(
            "`{rule}` fix introduced syntax errors {new:?}; output:\n{out}"
        ));
    }
    keeps_untouched_lines(text, edits, &out).map_err(|e| format!("`{rule}` fix: {e}"))
}

/// Every finding's fix, applied alone.
///
/// # Errors
/// The first fix that breaks an invariant.
pub fn each_fix(text: &str, tree: &SyntaxTree, diagnostics: &[Diagnostic]) -> Outcome {
    for d in diagnostics {
        if let Some(f) = &d.fix {
            fix_output(text, tree, d.rule, &f.edits)?;
        }
    }
    Ok(())
}

/// `fix_all` with the unsafe fixes: every round's edits keep the untouched lines, the output has
/// no more syntax errors than the input, and its spans are well placed.
///
/// # Errors
/// The first broken invariant.
pub fn all_fixes(
    text: &str,
    tree: &SyntaxTree,
    context: &dyn BuildContext,
    path: Option<&Path>,
    config: &Config,
) -> Result<fix::Fixed, String> {
    let fixed = fix::fix_all(text, context, path, config, true);
    let mut current = text.to_string();
    for (round, edits) in fixed.rounds.iter().enumerate() {
        let next =
            fix::apply_edits(&current, edits).map_err(|e| format!("fix_all round {round}: {e}"))?;
        keeps_untouched_lines(&current, edits, &next)
            .map_err(|e| format!("fix_all round {round}: {e}"))?;
        current = next;
    }
    if current != fixed.text {
        return Err("fix_all's rounds do not replay to its output".into());
    }
    // the whole run still builds what the input builds, as far as the equivalence model sees
    // (each round was checked against the one before; this holds them to the input)
    if tree.errors().next().is_none() {
        equivalence::check_texts(text, context, &fixed.text, &Allowance::composed()).map_err(
            |e| {
                format!(
                    "fix_all's output does not build what its input builds: {e} (fixes {:?}); output:\n{}",
                    fixed.applied, fixed.text
                )
            },
        )?;
    }
    let after = syntax::parse(&fixed.text);
    tree_spans(&fixed.text, &after)?;
    let new = new_errors(tree, &after);
    if !new.is_empty() {
        return Err(format!(
            "fix_all introduced syntax errors {new:?} (fixes {:?}); output:\n{}",
            fixed.applied, fixed.text
        ));
    }
    // a second pass changes nothing: fixing converged (no build context, whose created files a
    // second pass would not see)
    if context.root().is_none() {
        let again = fix::fix_all(&fixed.text, context, path, config, true);
        if again.text != fixed.text {
            return Err(format!(
                "a second fix_all changed the output ({:?}):\n{}\n---\n{}",
                again.applied, fixed.text, again.text
            ));
        }
    }
    Ok(fixed)
}

/// All of the above on one input: parse, analyse, each fix alone, all fixes.
///
/// # Errors
/// The first broken invariant.
pub fn everything(
    text: &str,
    earlier: &str,
    context: &dyn BuildContext,
    path: Option<&Path>,
) -> Outcome {
    let tree = parse(text, earlier)?;
    let config = Config::default();
    let diagnostics = analysis(text, &tree, context, path, &config)?;
    each_fix(text, &tree, &diagnostics)?;
    all_fixes(text, &tree, context, path, &config)?;
    Ok(())
}
