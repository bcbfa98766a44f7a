use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds instruction keywords that are not written in the case most of the file uses:
    /// `run` in a file of `RUN`s, and any keyword in mixed case (`From`, `EntryPoint`). The
    /// majority decides between upper and lower case; a tie counts as upper case.
    ///
    /// ## Why is this bad?
    /// Keywords are case-insensitive, so the build is the same, but a file whose keywords
    /// change case is harder to scan. Style only, so the rule is informational.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20
    /// Run apk add --no-cache curl
    /// copy app.sh /usr/local/bin/app.sh
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine:3.20
    /// RUN apk add --no-cache curl
    /// COPY app.sh /usr/local/bin/app.sh
    /// ```
    ///
    /// ## Fix
    /// Rewrites the keyword in the majority's case. Safe: keywords are case-insensitive.
    ///
    /// Equivalents: BuildKit `ConsistentInstructionCasing`.
    pub struct ConsistentInstructionCasing {
        id: "consistent-instruction-casing",
        severity: Info,
        summary: "An instruction keyword in another case than the rest of the file",
        hadolint: [],
        buildkit: ["ConsistentInstructionCasing"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let keywords = || {
        cx.tree
            .instructions
            .iter()
            .filter(|l| l.keyword != Keyword::Unknown)
            .map(|l| l.keyword_span())
    };
    let (mut upper, mut lower) = (0usize, 0usize);
    for span in keywords() {
        let word = span.of(cx.text);
        if word == word.to_ascii_uppercase() {
            upper += 1;
        } else if word == word.to_ascii_lowercase() {
            lower += 1;
        }
    }
    let majority_lower = lower > upper;
    for span in keywords() {
        let word = span.of(cx.text);
        let wanted = if majority_lower {
            word.to_ascii_lowercase()
        } else {
            word.to_ascii_uppercase()
        };
        if word == wanted {
            continue;
        }
        let case = if majority_lower { "lower" } else { "upper" };
        out.push(
            Diagnostic::new(
                &META,
                span,
                format!(
                    "most instructions of this file are written in {case} case; write `{wanted}` rather than `{word}` so the file reads the same throughout"
                ),
            )
            .with_fix(Some(Fix::safe(
                format!("Write `{wanted}`"),
                vec![Edit {
                    span,
                    text: wanted.clone(),
                }],
            ))),
        );
    }
}
