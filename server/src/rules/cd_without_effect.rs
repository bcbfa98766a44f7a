use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::shell::Joiner;

declare_rule! {
    /// ## What it does
    /// Finds a `cd` that is the last command of a `RUN` (`RUN cd /app`,
    /// `RUN mkdir /app && cd /app`), unless an earlier `cd` of the same `RUN` makes it a way
    /// back (`cd /tmp && make && cd /`).
    ///
    /// ## Why is this bad?
    /// Each `RUN` starts a new shell in the `WORKDIR`: a `cd` at its end changes nothing for
    /// the instructions after it. It is almost always meant as `WORKDIR`, and the files then
    /// land in the wrong folder.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN mkdir /app && cd /app
    /// COPY . .
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// WORKDIR /app
    /// COPY . .
    /// ```
    ///
    /// ## Fix
    /// None: replacing it with `WORKDIR` changes where every later instruction runs.
    ///
    /// Equivalent: hadolint DL3003 (which flags every `cd`; within a `RUN`, `cd` does its job).
    pub struct CdWithoutEffect {
        id: "cd-without-effect",
        severity: Warning,
        summary: "cd at the end of a RUN has no effect on later instructions; use WORKDIR",
        hadolint: ["DL3003"],
        buildkit: [],
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Run || !located.heredocs.is_empty() {
            continue;
        }
        let Args::Command(Form::Shell(shell)) = &located.args else {
            continue;
        };
        let Some(last) = shell.script.commands.last() else {
            continue;
        };
        let is_cd =
            last.words.first().is_some_and(|w| w.value == "cd") && last.assignments.is_empty();
        // `a || cd b`, `cd x | ...` : not a plain last step; `cd /tmp && ... && cd /`: a
        // return from where the RUN worked, not a WORKDIR meant
        let earlier_cd = shell.script.commands[..shell.script.commands.len() - 1]
            .iter()
            .any(|c| c.words.first().is_some_and(|w| w.value == "cd"));
        if !is_cd || earlier_cd || matches!(last.joiner, Joiner::Or | Joiner::Pipe) {
            continue;
        }
        // followed by anything (a `)`, a background `&`, a comment)
        let end = located.abs(shell.span).end;
        let after = crate::syntax::Span::new(located.abs(last.span).end, end).of(cx.text);
        if !after.trim().is_empty() {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(last.span)),
            "this `cd` ends the RUN, so it has no effect on the instructions after it; use `WORKDIR` to change the folder they run in",
        ));
    }
}
