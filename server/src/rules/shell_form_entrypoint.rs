use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Form, Keyword};

declare_rule! {
    /// ## What it does
    /// Checks how the final image starts its process: an `ENTRYPOINT` in shell form, or a
    /// `CMD` in shell form when there is no `ENTRYPOINT`, runs it under `/bin/sh -c`. Only the
    /// effective instruction counts (the last one in the final stage, or the one inherited from
    /// the stages it is built on). A shell command that starts with `exec ` is fine.
    ///
    /// ## Why is this bad?
    /// The shell becomes PID 1 and does not forward `SIGTERM`, so `docker stop` waits 10
    /// seconds and then kills the application without a clean shutdown.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD gunicorn app:app --bind 0.0.0.0:8000
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// CMD ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]
    /// ```
    ///
    /// Equivalents: hadolint DL3025, BuildKit `JSONArgsRecommended`.
    pub struct ShellFormEntrypoint {
        id: "shell-form-entrypoint",
        severity: Warning,
        summary: "The final image's process starts through /bin/sh -c and misses signals",
        hadolint: ["DL3025"],
        buildkit: ["JSONArgsRecommended"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let entrypoint = cx.model.effective(cx.tree, Keyword::Entrypoint);
    let Some(i) = entrypoint.or_else(|| cx.model.effective(cx.tree, Keyword::Cmd)) else {
        return;
    };
    let located = cx.instr(i);
    let Some(Form::Shell(shell)) = located.form() else {
        return;
    };
    let text = shell.text.trim_start();
    if text.is_empty() || text.starts_with("exec ") {
        return;
    }
    let keyword = located.keyword.name();
    out.push(Diagnostic::new(
        &META,
        cx.head_span(i),
        format!(
            "shell-form {keyword} runs under `/bin/sh -c`, which does not pass SIGTERM on, so the container cannot stop cleanly; use the JSON form ({keyword} [\"prog\", \"arg\"]) or start the command with `exec`"
        ),
    ).with_fix(fix(cx, i)));
}

/// JSON form when the text is plain words; otherwise `exec ` in front of a single command, so
/// the shell hands PID 1 over to it and keeps expanding variables.
fn fix(cx: &Analysis<'_>, i: usize) -> Option<crate::rules::Fix> {
    // text meant as JSON: `invalid-exec-form` repairs it
    if cx.instr(i).broken_json.is_some() {
        return None;
    }
    if let Some(edit) = crate::rules::fixes::quick::exec_form(cx, i) {
        return Some(crate::rules::Fix::safe(
            "Use the exec (JSON) form",
            vec![edit],
        ));
    }
    let located = cx.instr(i);
    let Some(Form::Shell(shell)) = located.form() else {
        return None;
    };
    if shell.script.commands.len() != 1 || shell.text.contains(['|', '&', ';', '#']) {
        return None;
    }
    let at = located.abs(shell.span).start;
    Some(crate::rules::Fix::safe(
        "Start the command with `exec`",
        vec![crate::rules::Edit {
            span: crate::syntax::Span::empty(at),
            text: "exec ".to_string(),
        }],
    ))
}
