use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{port_spec_problem, split_port_spec, Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `EXPOSE` ports written with a host port or an address, as in `docker run -p`:
    /// `EXPOSE 8080:80`, `EXPOSE 127.0.0.1:80:80`. Words are judged after variable
    /// substitution; a word whose value is unknown is skipped.
    ///
    /// ## Why is this bad?
    /// BuildKit builds it (with its own warning) but keeps only the container port: `EXPOSE`
    /// documents which ports the container listens on and publishes nothing, so the host part
    /// suggests a mapping that does not exist. Publish ports when the container runs
    /// (`docker run -p`, compose `ports:`). A word BuildKit cannot read (`localhost:80:80`,
    /// ranges of different lengths) fails the build: `syntax` reports it, and this rule does
    /// not.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 127.0.0.1:8000:8000
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8000
    /// ```
    ///
    /// The fix keeps only the container port and protocol, which is all BuildKit records, so the
    /// image does not change.
    ///
    /// Equivalents: BuildKit `ExposeInvalidFormat`.
    pub struct ExposeInvalidFormat {
        id: "expose-invalid-format",
        severity: Warning,
        summary: "EXPOSE with a host port or an address, which it ignores",
        hadolint: [],
        buildkit: ["ExposeInvalidFormat"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Expose {
            continue;
        }
        let Args::Words(words) = &located.args else {
            continue;
        };
        for word in words {
            let Some(value) = cx.model.expand_at(cx.tree, i, &word.value) else {
                continue;
            };
            // a variable may expand to several words
            for port in value.split_ascii_whitespace() {
                let (ip, host, container) = split_port_spec(port);
                // a word BuildKit rejects is `syntax`'s one finding
                if (ip.is_empty() && host.is_empty()) || port_spec_problem(port).is_some() {
                    continue;
                }
                let span = located.abs(word.span);
                // the container port alone, when the word is written out and BuildKit reads it
                let fix = (value == word.value && !word.value.contains('$')).then(|| {
                    crate::rules::Fix::safe(
                        format!("Keep only the container port `{container}`"),
                        vec![crate::rules::Edit {
                            span,
                            text: container.to_string(),
                        }],
                    )
                });
                out.push(
                    Diagnostic::new(
                        &META,
                        cx.range_on(i, span),
                        format!(
                            "`EXPOSE {port}` publishes nothing: BuildKit keeps only the container port `{container}`, so write that and map host ports when the container runs (`docker run -p`, compose `ports:`)"
                        ),
                    )
                    .with_fix(fix),
                );
            }
        }
    }
}
