use super::{declare_rule, Analysis, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Finds `RUN`, `CMD`, `ENTRYPOINT`, `COPY` and `ADD` arguments written as a JSON array that
    /// is not valid JSON: single quotes, a missing comma, a missing `]`.
    ///
    /// ## Why is this bad?
    /// Docker does not reject it: it silently runs the text through `/bin/sh -c` (or splits it
    /// on spaces for `COPY`), so `CMD ['node', 'app.js']` fails at run time with
    /// `/bin/sh: [node,: not found`.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD ['node', 'app.js']
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// CMD ["node", "app.js"]
    /// ```
    pub struct InvalidExecForm {
        id: "invalid-exec-form",
        severity: Error,
        summary: "A JSON exec form that is not valid JSON runs as a shell string",
        hadolint: [],
        buildkit: [],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        let Some(problem) = &located.broken_json else {
            continue;
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(problem.span)),
            format!(
                "{}: Docker will run this as a plain string, not as the command you listed; write a JSON array with double quotes, e.g. [\"node\", \"app.js\"]",
                problem.message
            ),
        ).with_fix(double_quotes(cx, located)));
    }
}

/// `['node', 'app.js']` -> `["node", "app.js"]`, when the single-quoted strings hold no quote
/// or backslash of their own and the result is a valid JSON array.
fn double_quotes(cx: &Analysis<'_>, located: &crate::syntax::Located) -> Option<crate::rules::Fix> {
    let args = located.abs(located.args_span);
    let text = args.of(cx.text);
    if !text.starts_with('[') || text.contains(['"', '\\']) || !text.contains('\'') {
        return None;
    }
    let fixed = text.replace('\'', "\"");
    let parsed: Vec<String> = serde_json::from_str(&fixed).ok()?;
    (!parsed.is_empty()).then(|| {
        crate::rules::Fix::safe(
            "Use double quotes (JSON)",
            vec![crate::rules::Edit {
                span: args,
                text: fixed,
            }],
        )
    })
}
