use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Reports what BuildKit would reject when it parses the Dockerfile: unknown instructions,
    /// missing or extra arguments (`FROM` with no image, `COPY` with one path, `ENV` without a
    /// value), unknown or malformed flags (`COPY --form=build`, `FROM --platform linux/amd64`
    /// without `=`), invalid ports (`EXPOSE 80000`, `EXPOSE 9000-8000`, `EXPOSE 80/http`) and
    /// durations,
    /// unterminated heredocs, instructions other than `ARG` before the first `FROM` and bad
    /// parser directives.
    ///
    /// What BuildKit builds with a warning has its own rule: two stages with one name
    /// (`duplicate-stage-name`), a port with a host part BuildKit can read, as in
    /// `EXPOSE 8080:80` (`expose-invalid-format`).
    ///
    /// ## Why is this bad?
    /// The build fails at this line. Each problem is reported once, at its exact position, and
    /// every other instruction is still analysed; a `FROM` that does not parse is not judged
    /// by the other rules.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COP . /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY . /app
    /// ```
    pub struct Syntax {
        id: "syntax",
        severity: Error,
        summary: "The Dockerfile does not parse: BuildKit would reject this instruction",
        hadolint: [],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for error in cx.tree.errors() {
        // on the instruction's first line, like every finding
        let owner = cx
            .tree
            .instructions
            .iter()
            .position(|l| l.span().contains(error.span.start));
        let span = owner.map_or(error.span, |i| cx.range_on(i, error.span));
        out.push(Diagnostic::new(&META, span, error.message));
    }
    let instrs = &cx.tree.instructions;
    let first_from = instrs.iter().position(|i| i.keyword == Keyword::From);
    for located in instrs.iter().take(first_from.unwrap_or(instrs.len())) {
        if matches!(located.keyword, Keyword::Arg | Keyword::Unknown) {
            continue;
        }
        let message = if first_from.is_some() {
            format!(
                "{} before the first FROM: only ARG may come before FROM",
                located.keyword.name()
            )
        } else {
            format!(
                "{} outside a build stage: start the file with `FROM <image>`",
                located.keyword.name()
            )
        };
        out.push(Diagnostic::new(&META, located.keyword_span(), message));
    }
}
