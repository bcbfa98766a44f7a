use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds a `CMD`, `ENTRYPOINT` or `HEALTHCHECK` followed by another of the same kind in the
    /// same stage. The `CMD` of a `HEALTHCHECK` and the instructions of `ONBUILD` do not count.
    ///
    /// ## Why is this bad?
    /// An image has one of each: only the last one of a stage takes effect, and the earlier
    /// ones do nothing. Usually two commands were meant to run, or an old line was left behind.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// CMD ["python", "migrate.py"]
    /// CMD ["python", "serve.py"]
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// CMD ["sh", "-c", "python migrate.py && exec python serve.py"]
    /// ```
    ///
    /// No fix: which command was meant is for you to say.
    ///
    /// Equivalents: hadolint DL4003 (CMD), DL4004 (ENTRYPOINT), BuildKit
    /// `MultipleInstructionsDisallowed`.
    pub struct MultipleInstructionsDisallowed {
        id: "multiple-instructions-disallowed",
        severity: Warning,
        summary: "A CMD, ENTRYPOINT or HEALTHCHECK that a later one in its stage overrides",
        hadolint: ["DL4003", "DL4004"],
        buildkit: ["MultipleInstructionsDisallowed"],
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    let body: Vec<(usize, &crate::syntax::Located)> = cx.model.body(cx.tree, s).collect();
    for keyword in [Keyword::Cmd, Keyword::Entrypoint, Keyword::Healthcheck] {
        let all: Vec<usize> = body
            .iter()
            .filter(|(_, l)| l.keyword == keyword)
            .map(|&(i, _)| i)
            .collect();
        let Some((&last, earlier)) = all.split_last() else {
            continue;
        };
        let name = keyword.name();
        for &i in earlier {
            out.push(
                Diagnostic::new(
                    &META,
                    cx.instr(i).keyword_span(),
                    format!(
                        "a later {name} in this stage replaces this one, so it has no effect; keep only the {name} you mean"
                    ),
                )
                .related(cx.instr(last).keyword_span(), format!("the {name} that takes effect")),
            );
        }
    }
}
