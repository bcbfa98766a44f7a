use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Form, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a `CMD` or `ENTRYPOINT` with nothing after the keyword.
    ///
    /// ## Why is this bad?
    /// The builder accepts it without a word, but what it leaves in the image is not a command
    /// anyone meant: an empty shell-form line, which replaces what the base image or an earlier
    /// instruction set. The container then starts with no process, or with an odd one, and the
    /// mistake shows only at `docker run`. It is usually a line whose command was deleted or
    /// never written. Write the command, or write `CMD []` (`ENTRYPOINT []`) when clearing the
    /// inherited one is the point.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY app.py /srv/
    /// CMD
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY app.py /srv/
    /// CMD ["python", "/srv/app.py"]
    /// ```
    ///
    /// No fix: only you know the command. Equivalents: the Node.js Dockerfile language
    /// server's check for instructions missing their arguments.
    pub struct EmptyCmdEntrypoint {
        id: "empty-cmd-entrypoint",
        severity: Warning,
        summary: "CMD or ENTRYPOINT with no command after it",
        hadolint: [],
        buildkit: [],
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if !matches!(located.keyword, Keyword::Cmd | Keyword::Entrypoint) {
            continue;
        }
        let empty = match located.form() {
            Some(Form::Shell(shell)) => shell.text.trim().is_empty(),
            Some(Form::Exec { .. }) => false,
            None => true,
        };
        if !empty || !located.heredocs.is_empty() {
            continue;
        }
        let name = located.keyword.name();
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(located.keyword_span)),
            format!(
                "`{name}` with nothing after it leaves an empty command in the image instead of the one it replaces; write the command, or `{name} []` to clear the inherited one on purpose"
            ),
        ));
    }
}
