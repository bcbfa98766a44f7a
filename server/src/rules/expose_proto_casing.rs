use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds an `EXPOSE` protocol written with capitals: `EXPOSE 53/UDP`.
    ///
    /// ## Why is this bad?
    /// Protocols are `tcp`, `udp` and `sctp`, in lower case, everywhere else: in `docker run
    /// -p`, compose files and the image configuration tools read. The capitalised form is
    /// accepted but stored as written. Style, so the rule is informational.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 8080/TCP
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8080/tcp
    /// ```
    ///
    /// ## Fix
    /// Lowercases the protocol. Unsafe: the port is then recorded as `8080/tcp` in the image,
    /// which a tool that compared the old text would see as a change.
    ///
    /// Equivalents: BuildKit `ExposeProtoCasing`.
    pub struct ExposeProtoCasing {
        id: "expose-proto-casing",
        severity: Info,
        summary: "An EXPOSE protocol in capitals",
        hadolint: [],
        buildkit: ["ExposeProtoCasing"],
        fix: Unsafe,
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Expose {
            continue;
        }
        let Args::Words(words) = &located.args else {
            continue;
        };
        for word in words {
            let Some((_, proto)) = word.value.rsplit_once('/') else {
                continue;
            };
            if proto == proto.to_ascii_lowercase()
                || !matches!(proto.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp")
            {
                continue;
            }
            let span = located.abs(word.span);
            let written = span.of(cx.text);
            let lower = proto.to_ascii_lowercase();
            // the protocol as written, at the end of a plain word
            let fix = written.ends_with(proto).then(|| {
                Fix::unsafe_edit(
                    format!("Write `{lower}`"),
                    vec![Edit {
                        span: Span::new(span.end - proto.len(), span.end),
                        text: lower.clone(),
                    }],
                )
            });
            out.push(
                Diagnostic::new(
                    &META,
                    cx.range_on(i, span),
                    format!(
                        "protocols are written in lower case (`{lower}`), as in `docker run -p` and compose files; write `{}`",
                        word.value.replace(proto, &lower)
                    ),
                )
                .with_fix(fix),
            );
        }
    }
}
