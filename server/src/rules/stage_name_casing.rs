use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a stage name with capital letters (`FROM node:20 AS Builder`).
    ///
    /// ## Why is this bad?
    /// BuildKit lowercases stage names, so `Builder`, `builder` and `BUILDER` are one stage.
    /// Writing it in capitals suggests a distinction that does not exist and reads unlike every
    /// other Dockerfile. It is a matter of style, so the rule is informational.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:20 AS WebBuild
    /// RUN npm ci
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM node:20 AS web-build
    /// RUN npm ci
    /// ```
    ///
    /// ## Fix
    /// Lowercases the name where the stage is declared. Safe: BuildKit compares stage names
    /// without case, so every `--from=` and `FROM` that named the stage still does.
    ///
    /// Equivalents: BuildKit `StageNameCasing`.
    pub struct StageNameCasing {
        id: "stage-name-casing",
        severity: Info,
        summary: "A stage name with capital letters",
        hadolint: [],
        buildkit: ["StageNameCasing"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::From || !located.errors.is_empty() {
            continue;
        }
        let Args::From {
            alias: Some(alias), ..
        } = &located.args
        else {
            continue;
        };
        let name = &alias.value;
        if !name.chars().any(|c| c.is_ascii_uppercase()) {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let span = located.abs(alias.span);
        // only a name written as a plain word is rewritten
        let fix = (span.of(cx.text) == name.as_str()).then(|| {
            Fix::safe(
                format!("Rename the stage `{lower}`"),
                vec![Edit {
                    span,
                    text: lower.clone(),
                }],
            )
        });
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, span),
                format!(
                    "stage names are case-insensitive and BuildKit lowercases them, so write `{lower}` rather than `{name}`"
                ),
            )
            .with_fix(fix),
        );
    }
}
