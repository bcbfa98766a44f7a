use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds `HEALTHCHECK --retries=0`.
    ///
    /// ## Why is this bad?
    /// It reads as "no retries", but the engine takes 0 as "not set" and uses its default of 3
    /// consecutive failures before the container is unhealthy. Older builders (the classic
    /// Docker builder, BuildKit before `--retries` could be 0) refuse the value and fail the
    /// build. To mark the container unhealthy on the first failure, write `--retries=1`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27
    /// HEALTHCHECK --retries=0 CMD curl -f http://localhost/ || exit 1
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM nginx:1.27
    /// HEALTHCHECK --retries=1 CMD curl -f http://localhost/ || exit 1
    /// ```
    ///
    /// Equivalents: the Node.js Dockerfile language server's `--retries` check.
    pub struct HealthcheckZeroRetries {
        id: "healthcheck-zero-retries",
        severity: Warning,
        summary: "HEALTHCHECK --retries=0 means the default of 3 retries, not none",
        hadolint: [],
        buildkit: [],
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Healthcheck {
            continue;
        }
        let Some(flag) = located.flag("retries") else {
            continue;
        };
        let zero = flag
            .value
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|n| n == 0);
        if !zero {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(flag.span)),
            "`--retries=0` is taken as not set, so the container becomes unhealthy only after 3 failed checks (and older builders reject it); write `--retries=1` to react to the first failure",
        ));
    }
}
