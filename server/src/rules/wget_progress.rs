use super::{declare_rule, Analysis, Diagnostic, Fix};
use crate::model::commands::{args, program};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds GNU `wget` without progress control (`-q`, `--quiet`, `-nv`, `--no-verbose`,
    /// `--progress=...`, `-o`/`-a` to a log file) in a `RUN`, in stages built on an image
    /// known not to be BusyBox-based (Alpine's and BusyBox's wget redraw a single line).
    ///
    /// ## Why is this bad?
    /// Without a terminal, wget's progress display prints a line of dots every few kilobytes:
    /// a large download fills the build log with thousands of lines that hide the output that
    /// matters.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN wget https://example.com/big.tar.gz
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN wget --progress=dot:giga https://example.com/big.tar.gz
    /// ```
    ///
    /// ## Fix
    /// Adds `--progress=dot:giga` (a dot per megabyte, errors still shown): only the log
    /// changes (safe).
    ///
    /// Equivalent: hadolint DL3047.
    pub struct WgetProgress {
        id: "wget-progress",
        severity: Info,
        summary: "wget without progress control floods the build log",
        hadolint: ["DL3047"],
        buildkit: [],
        fix: Safe,
        per_stage: check_stage,
    }
}

fn controls_progress(a: &str) -> bool {
    matches!(
        a,
        "--quiet" | "--no-verbose" | "--show-progress" | "-o" | "-a"
    ) || a.starts_with("--progress")
        || a.starts_with("--output-file")
        || a.starts_with("--append-output")
        || (a.starts_with('-')
            && !a.starts_with("--")
            && a.len() > 1
            && (a[1..].contains('q') || a == "-nv" || a.starts_with("-o") || a.starts_with("-a")))
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Run {
            continue;
        }
        for cmd in located.commands() {
            if program(cmd) != Some("wget") || args(cmd).iter().any(|w| controls_progress(&w.value))
            {
                continue;
            }
            let Some(word) = cmd
                .words
                .iter()
                .find(|w| crate::syntax::shell::basename(&w.value) == "wget")
            else {
                continue;
            };
            // BusyBox's wget (Alpine, busybox) redraws one line and knows only `-q`; an unknown
            // base may be one
            let image = cx
                .model
                .stage(i)
                .and_then(|s| cx.model.lineage(s.index).last())
                .and_then(|s| s.image.as_ref());
            let busybox = image.is_none_or(|im| {
                let path = im.path().unwrap_or_default();
                let tag = im.tag().unwrap_or_default();
                path.is_empty()
                    || ["alpine", "busybox"]
                        .iter()
                        .any(|b| path.contains(b) || tag.contains(b))
            });
            if busybox {
                continue;
            }
            let span = located.abs(word.span);
            out.push(
                Diagnostic::new(
                    &META,
                    cx.range_on(i, span),
                    "without a terminal, wget prints its progress as endless lines of dots in the build log; add `--progress=dot:giga` (or `-q`)",
                )
                .with_fix(Some(Fix::safe(
                    "Add --progress=dot:giga",
                    vec![crate::rules::fixes::quick::after_word(span, "--progress=dot:giga")],
                ))),
            );
            break;
        }
    }
}
