use super::fixes::after_line;
use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds blank lines inside an instruction continued with `\` (or the escape character):
    ///
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y \
    ///
    ///     curl
    /// ```
    ///
    /// A line holding a comment is not blank and is fine.
    ///
    /// ## Why is this bad?
    /// BuildKit skips such lines today but has deprecated them and announced that a future
    /// Dockerfile syntax will reject them, which would break the build. They also hide where
    /// the instruction ends: a reader takes the blank line for its end.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20
    /// EXPOSE \
    ///
    ///     8080
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine:3.20
    /// EXPOSE \
    ///     8080
    /// ```
    ///
    /// ## Fix
    /// Deletes the blank lines. Safe: BuildKit ignores them, so the instruction is the same.
    ///
    /// Equivalents: BuildKit `NoEmptyContinuation`.
    pub struct NoEmptyContinuation {
        id: "no-empty-continuation",
        severity: Warning,
        summary: "A blank line inside a continued instruction, which BuildKit will reject",
        hadolint: [],
        buildkit: ["NoEmptyContinuation"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for i in 0..cx.tree.instructions.len() {
        let head = cx.head_span(i);
        let text = head.of(cx.text);
        let mut blanks = Vec::new();
        let mut offset = head.start;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            if n > 0 && line.trim().is_empty() {
                blanks.push(Span::new(start, after_line(cx.text, start)));
            }
        }
        let (Some(first), Some(last)) = (blanks.first(), blanks.last()) else {
            continue;
        };
        let edits = blanks
            .iter()
            .map(|&span| Edit {
                span,
                text: String::new(),
            })
            .collect();
        let what = if blanks.len() == 1 {
            "a blank line".to_string()
        } else {
            format!("{} blank lines", blanks.len())
        };
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, Span::new(first.start, last.start)),
                format!(
                    "this instruction continues over {what}, which BuildKit has deprecated and a future syntax will reject; delete the blank lines (a comment line is fine)"
                ),
            )
            .with_fix(Some(Fix::safe("Delete the blank lines", edits))),
        );
    }
}
