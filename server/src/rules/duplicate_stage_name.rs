use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::Args;

declare_rule! {
    /// ## What it does
    /// Finds a stage named like an earlier one (`FROM ... AS build` twice; names are compared
    /// without case, as BuildKit does).
    ///
    /// ## Why is this bad?
    /// BuildKit builds the file, but the name now means two things: `FROM build` means the last
    /// stage of that name above it, while `COPY --from=build` means the last one in the whole
    /// file, even when the COPY comes before it. Files end up copied from a stage nobody meant.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.22 AS build
    /// RUN go build -o /out/api ./cmd/api
    ///
    /// FROM node:20 AS build
    /// RUN npm ci && npm run build
    ///
    /// FROM gcr.io/distroless/base-debian12
    /// COPY --from=build /out/api /api
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM golang:1.22 AS api
    /// RUN go build -o /out/api ./cmd/api
    ///
    /// FROM node:20 AS web
    /// RUN npm ci && npm run build
    ///
    /// FROM gcr.io/distroless/base-debian12
    /// COPY --from=api /out/api /api
    /// ```
    ///
    /// Equivalents: hadolint DL3024, BuildKit `DuplicateStageName`.
    pub struct DuplicateStageName {
        id: "duplicate-stage-name",
        severity: Warning,
        summary: "Two stages with the same name",
        hadolint: ["DL3024"],
        buildkit: ["DuplicateStageName"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (k, stage) in cx.model.stages.iter().enumerate() {
        let Some(alias) = stage.alias.as_deref() else {
            continue;
        };
        let Some(first) = cx.model.stages[..k]
            .iter()
            .find(|s| s.alias.as_deref() == Some(alias))
        else {
            continue;
        };
        let name_span = |from: usize| {
            let located = cx.instr(from);
            match &located.args {
                Args::From { alias: Some(a), .. } => located.abs(a.span),
                _ => located.keyword_span(),
            }
        };
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(stage.from, name_span(stage.from)),
                format!(
                    "a stage is already named `{alias}`, so `COPY --from={alias}` anywhere in the file now takes this one while `FROM {alias}` takes the nearest above; give each stage its own name"
                ),
            )
            .related(name_span(first.from), format!("the first stage named `{alias}`")),
        );
    }
}
