use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a `COPY` or `ADD` with several sources whose destination does not end with `/`
    /// (`COPY package.json package-lock.json app`). `.` and `..` count as folders, and a
    /// destination made of variables is not judged.
    ///
    /// ## Why is this bad?
    /// Several files can only go into a folder. The classic builder (and other builders that
    /// follow it) stops with an error; BuildKit makes the destination a folder, so the same
    /// Dockerfile builds in one place and fails in another, and a reader cannot tell whether
    /// `app` was meant as a file.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY package.json package-lock.json app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// COPY package.json package-lock.json app/
    /// ```
    ///
    /// ## Fix
    /// Adds the `/`. Unsafe: under the classic builder it turns a failing build into a
    /// passing one.
    ///
    /// Equivalent: hadolint DL3021.
    pub struct CopyMultipleSources {
        id: "copy-multiple-sources",
        severity: Warning,
        summary: "COPY with several sources needs a destination ending with /",
        hadolint: ["DL3021"],
        buildkit: [],
        fix: Unsafe,
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if !matches!(located.keyword, Keyword::Copy | Keyword::Add) {
            continue;
        }
        let Args::Copy {
            sources,
            dest,
            json,
        } = &located.args
        else {
            continue;
        };
        let d = dest.value.as_str();
        if sources.len() < 2
            || d.is_empty()
            || d.ends_with('/')
            || d.ends_with('\\')
            || matches!(d, "." | ".." | "./.")
            || d.ends_with("/.")
            || d.contains('$')
        {
            continue;
        }
        let span = located.abs(dest.span);
        // in JSON form the word's span includes its quotes
        let at = if *json {
            span.end.saturating_sub(1)
        } else {
            span.end
        };
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, span),
                format!("several sources can only go into a folder: end the destination with a slash (`{d}/`), which the classic builder requires"),
            )
            .with_fix(Some(Fix::unsafe_edit(
                format!("Use `{d}/`"),
                vec![Edit {
                    span: Span::empty(at),
                    text: "/".into(),
                }],
            ))),
        );
    }
}
