use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a stage named `scratch` or `context` (in any case).
    ///
    /// ## Why is this bad?
    /// Both names already mean something to BuildKit: `scratch` is the empty base image and
    /// `context` names the build context in `--from=` and `--build-context`. A stage with such a
    /// name is either ignored where you meant it (`FROM scratch` still starts from nothing) or
    /// shadows the other meaning, depending on where it is used.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20 AS scratch
    /// RUN apk add --no-cache ca-certificates
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine:3.20 AS certs
    /// RUN apk add --no-cache ca-certificates
    /// ```
    ///
    /// No fix: a new name is a choice, and every use of the stage must follow it.
    ///
    /// Equivalents: BuildKit `ReservedStageName`.
    pub struct ReservedStageName {
        id: "reserved-stage-name",
        severity: Warning,
        summary: "A stage named `scratch` or `context`, names BuildKit reserves",
        hadolint: [],
        buildkit: ["ReservedStageName"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::From {
            continue;
        }
        let Args::From {
            alias: Some(alias), ..
        } = &located.args
        else {
            continue;
        };
        let name = alias.value.to_ascii_lowercase();
        let meaning = match name.as_str() {
            "scratch" => "the empty base image",
            "context" => "the build context",
            _ => continue,
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(alias.span)),
            format!(
                "`{name}` already means {meaning} to BuildKit, so a stage of that name is confused with it; choose another name"
            ),
        ));
    }
}
