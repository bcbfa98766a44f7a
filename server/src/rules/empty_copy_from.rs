use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds `COPY --from=` with nothing after the `=` (or only `""`). A value with a variable
    /// is left alone, even when its default is empty: a build argument may set it.
    ///
    /// ## Why is this bad?
    /// BuildKit takes an empty `--from` as no `--from` at all: the files come from the build
    /// context, not from a stage or image, and the build goes on without a word. The flag was
    /// meant to name a source; name the stage or image, or remove the flag to copy from the
    /// context on purpose.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.22 AS build
    /// RUN go build -o /out/app .
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from= /out/app /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM golang:1.22 AS build
    /// RUN go build -o /out/app .
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from=build /out/app /app
    /// ```
    ///
    /// Equivalents: the Node.js Dockerfile language server's empty `--from` check.
    pub struct EmptyCopyFrom {
        id: "empty-copy-from",
        severity: Warning,
        summary: "COPY --from= has an empty value, so it copies from the build context",
        hadolint: [],
        buildkit: [],
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Copy {
            continue;
        }
        let Some(flag) = located.flag("from") else {
            continue;
        };
        let Some(value) = flag.value.as_deref() else {
            continue;
        };
        if !matches!(value, "" | "\"\"" | "''") {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(flag.span)),
            format!(
                "`--from={value}` is empty, so BuildKit copies these files from the build context instead of a stage or image; name the source, or remove the flag"
            ),
        ));
    }
}
