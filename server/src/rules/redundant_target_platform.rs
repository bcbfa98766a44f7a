use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::Keyword;
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`).
    ///
    /// ## Why is this bad?
    /// The target platform is what `FROM` pulls anyway, so the flag changes nothing and makes
    /// the reader wonder what it is for. (`--platform=$BUILDPLATFORM` is different and useful:
    /// it runs a stage on the builder's own platform.)
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=$TARGETPLATFORM alpine:3.20
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine:3.20
    /// ```
    ///
    /// ## Fix
    /// Removes the flag. Safe: without it BuildKit pulls for the target platform.
    ///
    /// Equivalents: BuildKit `RedundantTargetPlatform`.
    pub struct RedundantTargetPlatform {
        id: "redundant-target-platform",
        severity: Info,
        summary: "`FROM --platform=$TARGETPLATFORM`, which is the default",
        hadolint: [],
        buildkit: ["RedundantTargetPlatform"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::From {
            continue;
        }
        let Some(flag) = located.flag("platform") else {
            continue;
        };
        if !matches!(
            flag.value.as_deref(),
            Some("$TARGETPLATFORM" | "${TARGETPLATFORM}")
        ) {
            continue;
        }
        // a global ARG of that name would give it another value
        if cx.model.global_args.contains_key("TARGETPLATFORM") {
            continue;
        }
        let span = located.abs(flag.span);
        // the flag and the blanks after it, when the image follows on the same line
        let after = &cx.text[span.end..];
        let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
        let next = after[blanks..].chars().next();
        let fix = (blanks > 0 && next.is_some_and(|c| !c.is_whitespace() && c != cx.model.escape))
            .then(|| {
                Fix::safe(
                    "Remove `--platform`",
                    vec![Edit {
                        span: Span::new(span.start, span.end + blanks),
                        text: String::new(),
                    }],
                )
            });
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, span),
                "`--platform=$TARGETPLATFORM` is what FROM uses without the flag; remove it",
            )
            .with_fix(fix),
        );
    }
}
