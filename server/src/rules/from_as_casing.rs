use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a `FROM ... AS name` whose `AS` is not written in the case of its `FROM`:
    /// `FROM alpine as build` or `from alpine AS build`. A `FROM` keyword in mixed case
    /// (`From`) is left to `consistent-instruction-casing`.
    ///
    /// ## Why is this bad?
    /// Keywords are case-insensitive, so the build is the same; the mix only makes the file
    /// harder to scan for its stages. Style only, so the rule is informational.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.22 as build
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM golang:1.22 AS build
    /// ```
    ///
    /// ## Fix
    /// Writes `AS` in the case of `FROM`. Safe: keywords are case-insensitive.
    ///
    /// Equivalents: BuildKit `FromAsCasing`.
    pub struct FromAsCasing {
        id: "from-as-casing",
        severity: Info,
        summary: "`AS` written in another case than its `FROM`",
        hadolint: [],
        buildkit: ["FromAsCasing"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::From || !located.errors.is_empty() {
            continue;
        }
        let Args::From {
            image,
            alias: Some(alias),
        } = &located.args
        else {
            continue;
        };
        let from = located.keyword_span().of(cx.text);
        let upper = from == from.to_ascii_uppercase();
        let lower = from == from.to_ascii_lowercase();
        if !upper && !lower {
            continue;
        }
        // the `AS` word lies between the image and the name
        let between = Span::new(located.abs(image.span).end, located.abs(alias.span).start);
        let gap = between.of(cx.text);
        let Some(k) = gap.to_ascii_lowercase().find("as") else {
            continue;
        };
        let as_span = Span::new(between.start + k, between.start + k + 2);
        let written = as_span.of(cx.text);
        let wanted = if upper { "AS" } else { "as" };
        if written == wanted {
            continue;
        }
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, as_span),
                format!(
                    "`{written}` is not in the case of `{from}`; write `{wanted}` so the stage names stand out the same way everywhere"
                ),
            )
            .with_fix(Some(Fix::safe(
                format!("Write `{wanted}`"),
                vec![Edit {
                    span: as_span,
                    text: wanted.to_string(),
                }],
            ))),
        );
    }
}
