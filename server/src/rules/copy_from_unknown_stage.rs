use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds `COPY --from=NAME` where `NAME` is a plain name (no registry, tag or digest) that
    /// no stage of the file has but that is within two letters of one: a misspelt stage, which BuildKit then
    /// pulls as an image (`--from=biulder` pulls `docker.io/library/biulder:latest`).
    ///
    /// ## Why is this bad?
    /// A misspelt stage name becomes an image pull that fails, or worse, succeeds with someone
    /// else's image. (A `--from` naming the stage itself or a stage index that does not exist
    /// stops BuildKit, and the `syntax` rule reports it: hadolint DL3023.)
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS builder
    /// RUN go build -o /out/app .
    /// FROM gcr.io/distroless/static
    /// COPY --from=biulder /out/app /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=builder /out/app /app
    /// ```
    ///
    /// ## Fix
    /// Names the nearest stage. Unsafe: it turns an image pull into a stage copy, which is
    /// what the author meant only most of the time.
    ///
    /// Equivalent: hadolint DL3022.
    pub struct CopyFromUnknownStage {
        id: "copy-from-unknown-stage",
        severity: Error,
        summary: "COPY --from names a stage that does not exist (a misspelt stage name)",
        hadolint: ["DL3022"],
        buildkit: [],
        fix: Unsafe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let stages = &cx.model.stages;
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Copy {
            continue;
        }
        let Some(flag) = located.flag("from") else {
            continue;
        };
        let Some(value) = flag.value.as_deref() else {
            continue;
        };
        let span = located.abs(flag.span);
        let name = value.to_ascii_lowercase();
        if name.is_empty() || name.contains('$') {
            continue;
        }
        if name.parse::<usize>().is_ok()
            || stages
                .iter()
                .any(|s| s.alias.as_deref() == Some(name.as_str()))
            || name.contains(['/', ':', '@', '.'])
        {
            // indexes and self-references are the `syntax` rule's (BuildKit stops on them)
            continue;
        }
        let Some(near) = stages
            .iter()
            .filter_map(|s| s.alias.as_deref())
            .find(|a| close(a, &name))
        else {
            continue;
        };
        let fix = flag.value_span.map(|v| {
            Fix::unsafe_edit(
                format!("Use the stage `{near}`"),
                vec![Edit {
                    span: located.abs(v),
                    text: near.to_string(),
                }],
            )
        });
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, span),
                format!("no stage is named `{value}`, so BuildKit pulls an image of that name; did you mean the stage `{near}`?"),
            )
            .with_fix(fix),
        );
    }
}

/// A typo of each other: one edit apart, two for names of six letters or more.
fn close(a: &str, b: &str) -> bool {
    let limit = if a.len().min(b.len()) >= 6 { 2 } else { 1 };
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (x, ca) in a.iter().enumerate() {
        let mut cur = vec![x + 1];
        for (y, cb) in b.iter().enumerate() {
            let sub = prev[y] + usize::from(ca != cb);
            cur.push(sub.min(prev[y + 1] + 1).min(cur[y] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= limit
}
