use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::Keyword;
use crate::syntax::shell::basename;

declare_rule! {
    /// ## What it does
    /// Finds `sudo` in a `RUN`.
    ///
    /// ## Why is this bad?
    /// A `RUN` already runs as the `USER` in effect, root unless set otherwise: `sudo` is then
    /// useless, needs the `sudo` package in the image, and behaves differently without a
    /// terminal (password prompts, `requiretty`). To run steps as root, switch with `USER root`
    /// and back afterwards.
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// RUN sudo apt-get update && sudo apt-get install -y curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// USER root
    /// RUN apt-get update && apt-get install -y curl
    /// USER app
    /// ```
    ///
    /// ## Fix
    /// None: removing `sudo` changes which user runs the command, and where `sudo` is missing it
    /// would turn a failing build into a passing one.
    ///
    /// Equivalent: hadolint DL3004.
    pub struct SudoInRun {
        id: "sudo-in-run",
        severity: Warning,
        summary: "sudo in RUN; use USER to change users",
        hadolint: ["DL3004"],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Run {
            continue;
        }
        let sudo = located
            .commands()
            .find_map(|c| c.words.first().filter(|w| basename(&w.value) == "sudo"));
        if let Some(word) = sudo {
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(word.span)),
                "`sudo` in a build needs the sudo package and a password-less sudoers entry, and as root it does nothing; switch with `USER root` for these steps and back afterwards",
            ));
        }
    }
}
