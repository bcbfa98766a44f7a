use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `FROM --platform=` with a fixed value (`linux/amd64`) rather than a variable.
    /// A stage whose name says which platform it is for (`AS build-arm64`, `AS linux-tools`)
    /// is fine: choosing between such stages by `$TARGETARCH` is the usual multi-platform
    /// pattern.
    ///
    /// ## Why is this bad?
    /// The stage is then always built for that platform: `docker build --platform` cannot
    /// build the image for another one, and on a machine of another architecture every `RUN`
    /// runs under emulation. Often intended (a vendor binary exists for one architecture
    /// only), so the rule is informational.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=linux/amd64 node:20-slim AS web
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM --platform=$BUILDPLATFORM node:20-slim AS web
    /// ```
    ///
    /// No fix: whether the stage should follow the build or the target platform is a choice.
    ///
    /// Equivalents: BuildKit `FromPlatformFlagConstDisallowed`.
    pub struct FromPlatformFlagConstDisallowed {
        id: "from-platform-flag-const-disallowed",
        severity: Info,
        summary: "`FROM --platform=` with a fixed platform",
        hadolint: ["DL3029"],
        buildkit: ["FromPlatformFlagConstDisallowed"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::From || !located.errors.is_empty() {
            continue;
        }
        let Some(flag) = located.flag("platform") else {
            continue;
        };
        let Some(value) = flag.value.as_deref() else {
            continue;
        };
        if value.is_empty() || value.contains('$') {
            continue;
        }
        let stage = match &located.args {
            Args::From { alias, .. } => alias
                .as_ref()
                .map(|a| a.value.to_ascii_lowercase())
                .unwrap_or_default(),
            _ => String::new(),
        };
        // `linux/arm64/v8`: a stage named after its OS or architecture is meant for it
        let mut parts = value.split('/').map(str::to_ascii_lowercase);
        let os = parts.next().unwrap_or_default();
        let arch = parts.next().unwrap_or_default();
        if (!os.is_empty() && stage.contains(&os)) || (!arch.is_empty() && stage.contains(&arch)) {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(flag.span)),
            format!(
                "`--platform={value}` always builds this stage for `{value}`, so the image cannot be built for another platform and runs under emulation elsewhere; use `$BUILDPLATFORM` or `$TARGETPLATFORM`, or name the stage after the platform"
            ),
        ));
    }
}
