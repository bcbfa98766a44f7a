use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{
    args, is_pip_install, mount_targets, pip_args, program, run_commands,
};
use crate::syntax::shell::Command;
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds `pip install` (`pip`, `pip3`, `python -m pip`) without `--no-cache-dir` in the
    /// stages that ship in the final image. Not a finding when `PIP_NO_CACHE_DIR` is set to a
    /// true value (`1`, `true`, `on`, `yes`) for that `RUN` (ENV or ARG in the stage or its
    /// ancestors, or a `PIP_NO_CACHE_DIR=1 pip ...` prefix), when the `RUN` has a cache (or
    /// tmpfs) mount on pip's cache (`/root/.cache/pip`, `/root/.cache`, another user's
    /// `~/.cache/pip`, or `$PIP_CACHE_DIR`), or when it deletes the cache itself
    /// (`rm -rf /root/.cache/pip`, `pip cache purge`). `uv`, `pipenv` and `poetry` are not pip.
    ///
    /// ## Why is this bad?
    /// pip keeps every downloaded wheel in `/root/.cache/pip`, which is then shipped in the
    /// layer: often as large as the installed packages themselves.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install -r requirements.txt
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// Equivalent: hadolint DL3042.
    pub struct PipNoCacheDir {
        id: "pip-no-cache-dir",
        severity: Warning,
        summary: "pip install without --no-cache-dir keeps pip's download cache in the image",
        hadolint: ["DL3042"],
        buildkit: [],
        fix: Safe,
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "on" | "yes"
    )
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.shipped_runs() {
        let commands = run_commands(located);
        let offending = commands.iter().find(|cmd| {
            is_pip_install(cmd)
                && !args(cmd).iter().any(|a| disables_cache(&a.value))
                && !cmd.assignments.iter().chain(&cmd.words).any(|a| {
                    a.value
                        .strip_prefix("PIP_NO_CACHE_DIR=")
                        .is_some_and(truthy)
                })
        });
        let Some(cmd) = offending else { continue };
        if cx
            .model
            .var_at(cx.tree, i, "PIP_NO_CACHE_DIR")
            .is_some_and(|v| truthy(&v))
        {
            continue;
        }
        let cache_dir = cx.model.var_at(cx.tree, i, "PIP_CACHE_DIR");
        let mounted = mount_targets(located, &["cache", "tmpfs"]).iter().any(|t| {
            t.ends_with("/.cache/pip")
                || t.ends_with("/.cache")
                || cache_dir
                    .as_deref()
                    .is_some_and(|d| d.trim_end_matches('/') == t)
        });
        if mounted || commands.iter().any(|c| cleans_cache(c)) {
            continue;
        }
        out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(head_span(cmd))),
                "pip keeps every downloaded package in /root/.cache/pip, which then ships in this layer; add `--no-cache-dir` or set `ENV PIP_NO_CACHE_DIR=1`",
            )
            .with_fix(Some(crate::rules::Fix::safe(
                "Add --no-cache-dir",
                vec![crate::rules::fixes::quick::after_word(located.abs(head_span(cmd)), "--no-cache-dir")],
            ))));
    }
}

/// `--no-cache-dir`, also as the abbreviation pip accepts (`--no-cache`).
fn disables_cache(arg: &str) -> bool {
    let name = arg.split('=').next().unwrap_or(arg);
    name.len() >= "--no-cache".len() && "--no-cache-dir".starts_with(name)
}

/// From the command's first word to its `install` word.
fn head_span(cmd: &Command) -> Span {
    let start = cmd.words.first().map_or(cmd.span.start, |w| w.span.start);
    let end = args(cmd)
        .iter()
        .find(|a| a.value == "install")
        .map_or(cmd.span.end, |w| w.span.end);
    Span::new(start, end.max(start))
}

/// `rm -rf /root/.cache/pip`, `rm -rf ~/.cache`, `pip cache purge` in the same RUN.
fn cleans_cache(cmd: &Command) -> bool {
    if pip_args(cmd).is_some_and(|a| {
        a.iter().any(|w| w.value == "cache") && a.iter().any(|w| w.value == "purge")
    }) {
        return true;
    }
    program(cmd) == Some("rm")
        && args(cmd).iter().any(|a| {
            let v = a.value.trim_end_matches(['*', '/']);
            v.ends_with("/.cache/pip")
                || v.ends_with("/.cache")
                || v == "~/.cache/pip"
                || v == "~/.cache"
        })
}
