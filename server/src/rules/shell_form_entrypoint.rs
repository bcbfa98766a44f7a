use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Form, Keyword};

declare_rule! {
    /// ## What it does
    /// Checks how each stage's image starts its process (any stage can be built and run with
    /// `--target`): an `ENTRYPOINT` in shell form, or a `CMD` in shell form when there is no
    /// `ENTRYPOINT`, runs it under `/bin/sh -c`. Only the effective instruction of a stage
    /// counts (its last one, or the one inherited from the stages it is built on; earlier ones
    /// are `multiple-instructions-disallowed`'s finding). A shell command that starts with
    /// `exec ` is fine.
    ///
    /// A `SHELL` instruction in effect where the instruction stands (earlier in its stage, or in
    /// a stage it is built on) silences the rule, as it silences BuildKit's
    /// `JSONArgsRecommended`: whoever chose the shell chose how the command starts. On a
    /// Windows base image the default shell is `cmd /S /C`, and the message says so.
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
        summary: "A stage's process starts through the default shell and misses signals",
        hadolint: ["DL3025"],
        buildkit: ["JSONArgsRecommended"],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    // the process of every stage's image (any stage can be built with `--target`), each
    // instruction once: a stage built on another may inherit its process
    let mut seen = Vec::new();
    for stage in 0..cx.model.stages.len() {
        let entrypoint = cx.model.effective_in(cx.tree, stage, Keyword::Entrypoint);
        let Some(i) = entrypoint.or_else(|| cx.model.effective_in(cx.tree, stage, Keyword::Cmd))
        else {
            continue;
        };
        if seen.contains(&i) {
            continue;
        }
        seen.push(i);
        check_process(cx, i, out);
    }
}

fn check_process(cx: &Analysis<'_>, i: usize, out: &mut Vec<Diagnostic>) {
    let located = cx.instr(i);
    let Some(Form::Shell(shell)) = located.form() else {
        return;
    };
    let text = shell.text.trim_start();
    if text.is_empty() || text.starts_with("exec ") {
        return;
    }
    if shell_set_before(cx, i) {
        return;
    }
    let keyword = located.keyword.name();
    let windows = on_windows(cx, i);
    let message = if windows {
        format!(
            "shell-form {keyword} runs under `cmd /S /C`, which does not pass the stop signal on, so the container cannot stop cleanly; use the JSON form ({keyword} [\"prog.exe\", \"arg\"])"
        )
    } else {
        format!(
            "shell-form {keyword} runs under `/bin/sh -c`, which does not pass SIGTERM on, so the container cannot stop cleanly; use the JSON form ({keyword} [\"prog\", \"arg\"]) or start the command with `exec`"
        )
    };
    out.push(Diagnostic::new(&META, cx.head_span(i), message).with_fix(fix(cx, i, windows)));
}

/// Whether a SHELL instruction runs before instruction `i` in its stage or in the stages it is
/// built on: the shell form then runs under that shell.
fn shell_set_before(cx: &Analysis<'_>, i: usize) -> bool {
    let Some(stage) = cx.model.stage_of.get(i).copied().flatten() else {
        return false;
    };
    let mut end = i;
    cx.model.lineage(stage).any(|st| {
        let upto = end.min(st.body.end);
        end = usize::MAX;
        cx.model
            .body(cx.tree, st.index)
            .take_while(|&(j, _)| j < upto)
            .any(|(_, l)| l.keyword == Keyword::Shell)
    })
}

/// Whether the stage of instruction `i` starts from a Windows image: a `--platform=windows/...`
/// or an image whose name says so (`mcr.microsoft.com/windows/...`, `...-nanoserver-...`,
/// `...-windowsservercore-...`).
fn on_windows(cx: &Analysis<'_>, i: usize) -> bool {
    let Some(stage) = cx.model.stage_of.get(i).copied().flatten() else {
        return false;
    };
    let Some(root) = cx.model.lineage(stage).last() else {
        return false;
    };
    let from = cx.instr(root.from);
    let platform = from
        .flag("platform")
        .and_then(|f| f.value.as_deref())
        .is_some_and(|p| p.to_ascii_lowercase().starts_with("windows"));
    let image = root
        .image
        .as_ref()
        .map(|img| {
            img.resolved
                .as_deref()
                .unwrap_or(&img.raw)
                .to_ascii_lowercase()
        })
        .is_some_and(|name| {
            name.contains("/windows/")
                || name.starts_with("windows/")
                || name.contains("nanoserver")
                || name.contains("windowsservercore")
        });
    platform || image
}

/// JSON form when the text is plain words; otherwise (not on Windows) `exec ` in front of a
/// single command, so the shell hands PID 1 over to it and keeps expanding variables.
fn fix(cx: &Analysis<'_>, i: usize, windows: bool) -> Option<crate::rules::Fix> {
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
    // `cmd` has no `exec`
    if windows {
        return None;
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
