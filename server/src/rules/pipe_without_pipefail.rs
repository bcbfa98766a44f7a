use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::program;
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::shell::{Joiner, Script};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a `RUN` that pipes a download (`curl`, `wget`) into another command
    /// (`curl -fsSL URL | tar xz`, `wget -O- URL | sh`) without `set -o pipefail`, in every
    /// stage. Not a finding when the script sets `pipefail` before the pipe, or when the `SHELL`
    /// in effect runs with `-o pipefail`.
    ///
    /// ## Why is this bad?
    /// A pipe's exit status is its last command's. When the download fails (a moved URL, a
    /// rate limit, a network error), `tar` or `sh` reads nothing, succeeds, and the build goes
    /// on green with the tool missing: the failure shows up later, far from its cause.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin
    /// ```
    ///
    /// Use instead (bash):
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin
    /// ```
    /// or download to a file first (`curl -fsSLo tool.tar.gz URL && tar -xzf tool.tar.gz`),
    /// which fails in any shell.
    ///
    /// ## Fix
    /// None: `set -o pipefail` is not POSIX (Debian's `/bin/sh`, dash, rejects it in older
    /// releases), and turning it on fails pipes that pass today on purpose (`yes | ...` ends
    /// with `SIGPIPE`). Choose the shell or download to a file.
    ///
    /// Equivalent: hadolint DL4006.
    pub struct PipeWithoutPipefail {
        id: "pipe-without-pipefail",
        severity: Warning,
        summary: "A download piped into another command without `set -o pipefail` hides its failure",
        hadolint: ["DL4006"],
        buildkit: [],
        per_stage: check_stage,
    }
}

const DOWNLOADERS: &[&str] = &["curl", "wget", "fetch", "aria2c"];

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    {
        for i in cx.model.stages[s].body.clone() {
            let located = cx.instr(i);
            if located.keyword != Keyword::Run {
                continue;
            }
            let mut scripts: Vec<&Script> = Vec::new();
            if let Args::Command(Form::Shell(s)) = &located.args {
                scripts.push(&s.script);
            }
            scripts.extend(located.heredocs.iter().filter_map(|h| h.script.as_ref()));
            if scripts.is_empty() || shell_has_pipefail(cx, i) {
                continue;
            }
            for script in scripts {
                if let Some(span) = hidden_download(script) {
                    let prog = script
                        .commands
                        .iter()
                        .find(|c| c.span.start == span.start)
                        .and_then(|c| program(c))
                        .unwrap_or("the download");
                    out.push(Diagnostic::new(
                        &META,
                        cx.range_on(i, located.abs(span)),
                        format!("when `{prog}` fails, this pipe still succeeds and the build goes on without what it downloads; use `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` or download to a file first"),
                    ));
                    break;
                }
            }
        }
    }
}

/// The span (in the script) of the first pipeline that starts with a download while `pipefail`
/// is off: from the download to the pipeline's last command.
fn hidden_download(script: &Script) -> Option<Span> {
    let cmds = &script.commands;
    let mut pipefail = false;
    let mut k = 0;
    while k < cmds.len() {
        let cmd = &cmds[k];
        if sets_pipefail(cmd) {
            pipefail = true;
        }
        // the pipeline starting at k
        let mut end = k;
        while end + 1 < cmds.len() && cmds[end + 1].joiner == Joiner::Pipe {
            end += 1;
        }
        if end > k && !pipefail {
            if let Some(d) =
                (k..end).find(|&j| program(&cmds[j]).is_some_and(|p| DOWNLOADERS.contains(&p)))
            {
                return Some(cmds[d].span.cover(cmds[end].span));
            }
        }
        k = end + 1;
    }
    None
}

/// `set -o pipefail`, `set -euo pipefail`, `set -eux -o pipefail`.
fn sets_pipefail(cmd: &crate::syntax::shell::Command) -> bool {
    let w: Vec<&str> = cmd.words.iter().map(|w| w.value.as_str()).collect();
    w.first() == Some(&"set")
        && w.windows(2).any(|p| {
            p[1] == "pipefail"
                && p[0].starts_with('-')
                && !p[0].starts_with("--")
                && p[0].ends_with('o')
        })
}

/// The `SHELL` in effect at instruction `i` (this stage or the stages it is built on) runs with
/// `-o pipefail`, or is not a POSIX shell (PowerShell, cmd), where this does not apply.
fn shell_has_pipefail(cx: &Analysis<'_>, i: usize) -> bool {
    let Some(stage) = cx.model.stage(i) else {
        return false;
    };
    let lineage: Vec<_> = cx.model.lineage(stage.index).collect();
    // the latest SHELL before i, walking this stage then its ancestors
    for st in &lineage {
        for j in st.body.clone().rev() {
            if j >= i {
                continue;
            }
            let instr = cx.instr(j);
            if instr.keyword != Keyword::Shell {
                continue;
            }
            let Some(Form::Exec { words, .. }) = instr.form() else {
                return false;
            };
            let Some(first) = words.first() else {
                return false;
            };
            let name = crate::syntax::shell::basename(&first.value).to_ascii_lowercase();
            if !matches!(
                name.as_str(),
                "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh"
            ) {
                return true;
            }
            return words.windows(2).any(|p| {
                p[1].value == "pipefail" && p[0].value.starts_with('-') && p[0].value.ends_with('o')
            });
        }
    }
    false
}
