use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `MAINTAINER`, an instruction Docker deprecated long ago.
    ///
    /// ## Why is this bad?
    /// It fills the image's old `Author` field, which tools no longer read. The standard place
    /// for who maintains an image is the label `org.opencontainers.image.authors`, which
    /// registries and scanners show.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// MAINTAINER Ops Team <ops@example.com>
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// LABEL org.opencontainers.image.authors="Ops Team <ops@example.com>"
    /// ```
    ///
    /// ## Fix
    /// Replaces the instruction with that label. Unsafe: the image's `Author` field is then
    /// empty and a label appears, which a tool reading either would notice.
    ///
    /// Equivalents: hadolint DL4000, BuildKit `MaintainerDeprecated`.
    pub struct MaintainerDeprecated {
        id: "maintainer-deprecated",
        severity: Info,
        summary: "MAINTAINER is deprecated: use the `org.opencontainers.image.authors` label",
        hadolint: ["DL4000"],
        buildkit: ["MaintainerDeprecated"],
        fix: Unsafe,
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Maintainer {
            continue;
        }
        let fix = match &located.args {
            // one line, so the whole instruction can be rewritten without losing anything
            Args::Text(who) if !cx.head_span(i).of(cx.text).contains(['\n', '\r']) => {
                let keyword = located.keyword_span().of(cx.text);
                let label = if keyword == keyword.to_ascii_lowercase() {
                    "label"
                } else {
                    "LABEL"
                };
                // MAINTAINER takes the rest of the line as written, quotes included
                let raw = located.abs(who.span).of(cx.text);
                let value = raw
                    .replace(cx.model.escape, &format!("{0}{0}", cx.model.escape))
                    .replace('"', &format!("{}\"", cx.model.escape))
                    .replace('$', &format!("{}$", cx.model.escape));
                Some(Fix::unsafe_edit(
                    "Replace with the `org.opencontainers.image.authors` label",
                    vec![Edit {
                        span: cx.head_span(i),
                        text: format!("{label} org.opencontainers.image.authors=\"{value}\""),
                    }],
                ))
            }
            _ => None,
        };
        out.push(
            Diagnostic::new(
                &META,
                located.keyword_span(),
                "MAINTAINER is deprecated and fills a field tools no longer read; use `LABEL org.opencontainers.image.authors=\"...\"` instead",
            )
            .with_fix(fix),
        );
    }
}
