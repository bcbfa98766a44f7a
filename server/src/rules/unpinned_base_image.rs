use super::{declare_rule, Analysis, Diagnostic};

declare_rule! {
    /// ## What it does
    /// Finds `FROM` images with no tag and no digest, or with the tag `latest`, after
    /// substituting global `ARG` defaults. `scratch` and earlier stage names are not images.
    /// Floating tags such as `20-alpine` or `bookworm` count as pinned.
    ///
    /// ## Why is this bad?
    /// `latest` moves: the same Dockerfile builds a different image next week, cached layers
    /// are silently invalidated, and a new major version can break the build.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:latest
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM node:20-bookworm-slim
    /// ```
    ///
    /// Equivalents: hadolint DL3006, DL3007.
    pub struct UnpinnedBaseImage {
        id: "unpinned-base-image",
        severity: Warning,
        summary: "Base image without a tag or with `latest`",
        hadolint: ["DL3006", "DL3007"],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in &cx.model.stages {
        let Some(image) = &stage.image else { continue };
        if stage.parent.is_some() {
            continue;
        }
        let Some(resolved) = image.resolved.as_deref() else {
            continue;
        };
        if resolved.eq_ignore_ascii_case("scratch") || resolved.is_empty() {
            continue;
        }
        if image.digest().is_some() {
            continue;
        }
        let message = match image.tag().as_deref() {
            None => format!(
                "`{resolved}` has no tag, so it means `latest` and changes under you; pin a version tag such as `{resolved}:<version>`"
            ),
            Some("latest") => format!(
                "`{resolved}` follows `latest`, so the image changes under you and breaks the cache; pin a version tag"
            ),
            Some(_) => continue,
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(stage.from, image.span),
            message,
        ));
    }
}
