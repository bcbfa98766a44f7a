use super::{declare_rule, Analysis, Diagnostic};
use crate::model::cache_mounts;
use crate::model::commands::pip_args;
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds `pip install` (`pip`, `pip3`, `python -m pip`) without `--no-cache-dir` in the
    /// stages that ship in the final image. Not a finding when `PIP_NO_CACHE_DIR` is set to a
    /// true value (`1`, `true`, `on`, `yes`) for that `RUN` (ENV or ARG in the stage or its
    /// ancestors, or a `PIP_NO_CACHE_DIR=1 pip ...` prefix), when the `RUN` has a cache mount on
    /// `/root/.cache/pip` or `/root/.cache`, or when it deletes pip's cache itself. `uv`,
    /// `pipenv` and `poetry` are not pip.
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
    }
}

fn truthy(v: &str) -> bool {
    matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "on" | "yes")
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in cx.model.stages.iter().filter(|s| s.shipped) {
        for i in stage.body.clone() {
            let located = cx.instr(i);
            if located.keyword != Keyword::Run {
                continue;
            }
            let offending = located.commands().find(|cmd| {
                let Some(args) = pip_args(cmd) else { return false };
                args.iter().find(|a| !a.value.starts_with('-')).is_some_and(|a| a.value == "install")
                    && !args.iter().any(|a| a.value == "--no-cache-dir" || a.value.starts_with("--no-cache-dir="))
                    && !cmd.assignments.iter().any(|a| {
                        a.value.strip_prefix("PIP_NO_CACHE_DIR=").is_some_and(truthy)
                    })
            });
            let Some(cmd) = offending else { continue };
            if cx.model.var_at(cx.tree, i, "PIP_NO_CACHE_DIR").is_some_and(|v| truthy(&v)) {
                continue;
            }
            if cache_mounts(located).iter().any(|t| matches!(t.as_str(), "/root/.cache/pip" | "/root/.cache")) {
                continue;
            }
            let cleans = located.commands().any(|c| {
                c.program() == Some("rm")
                    && c.args().iter().any(|a| {
                        let v = a.value.trim_end_matches('/');
                        v == "/root/.cache/pip" || v == "/root/.cache" || v == "~/.cache/pip" || v == "~/.cache"
                    })
            });
            if cleans {
                continue;
            }
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(cmd.span)),
                "pip keeps its download cache in /root/.cache/pip, which ships in this layer; add `--no-cache-dir` (or set `ENV PIP_NO_CACHE_DIR=1`)",
            ));
        }
    }
}
