use super::syntax::PLATFORM_VARIABLES;
use super::vars::{references, suggest};
use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a variable in a `FROM` image that no `ARG` before the first `FROM` declares and
    /// that is not one of BuildKit's platform variables (`TARGETARCH`, `BUILDPLATFORM`...).
    /// (An undeclared variable in `FROM --platform=` empties the platform and fails the build:
    /// `syntax` reports that one.)
    ///
    /// ## Why is this bad?
    /// `FROM` sees only the global `ARG`s. An undeclared name expands to nothing, whatever
    /// `--build-arg` says, so `FROM node:${NODE_VERSION}-slim` pulls `node:-slim` (or fails),
    /// and a default written as `${NAME:-x}` is always the one used.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:${NODE_VERSION}-slim
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// ARG NODE_VERSION=20
    /// FROM node:${NODE_VERSION}-slim
    /// ```
    ///
    /// ## Fix
    /// When the name is one edit from a declared one (`NODE_VERISON`), replaces it with that
    /// name. Unsafe: the image changes to the one the name was meant to give.
    ///
    /// Equivalents: BuildKit `UndefinedArgInFrom`.
    pub struct UndefinedArgInFrom {
        id: "undefined-arg-in-from",
        severity: Warning,
        summary: "A variable in FROM that no global ARG declares",
        hadolint: [],
        buildkit: ["UndefinedArgInFrom"],
        fix: Unsafe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in &cx.model.stages {
        let located = cx.instr(stage.from);
        let Args::From { image, .. } = &located.args else {
            continue;
        };
        if located.keyword != Keyword::From {
            continue;
        }
        let span = located.abs(image.span);
        let raw = span.of(cx.text);
        for r in references(raw, cx.model.escape) {
            let name = r.name.as_str();
            if cx.model.global_args.contains_key(name)
                || PLATFORM_VARIABLES.contains(&name)
                || name.starts_with("BUILDKIT_")
            {
                continue;
            }
            let known = cx
                .model
                .global_args
                .keys()
                .map(String::as_str)
                .chain(PLATFORM_VARIABLES.iter().copied());
            let closest = suggest(name, known);
            let at = Span::new(span.start + r.start, span.start + r.end);
            let advice = match closest {
                Some(k) => format!("did you mean `${k}`?"),
                None => format!("declare it with `ARG {name}=<default>` before the first FROM"),
            };
            let fix = closest.map(|k| {
                Fix::unsafe_edit(
                    format!("Use `${k}`"),
                    vec![Edit {
                        span: at,
                        text: k.to_string(),
                    }],
                )
            });
            out.push(
                Diagnostic::new(
                    &META,
                    cx.range_on(stage.from, at),
                    if r.modified {
                        format!(
                            "`${name}` is not a global ARG, so FROM never gets a value for it and `--build-arg` cannot change the image; {advice}"
                        )
                    } else {
                        format!(
                            "`${name}` is not a global ARG, so FROM always expands it to nothing, whatever `--build-arg` says; {advice}"
                        )
                    },
                )
                .with_fix(fix),
            );
        }
    }
}
