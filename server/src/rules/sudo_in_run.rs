use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};
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
        per_stage: check_stage,
    }
}

/// The user the last `USER` before instruction `i` (in its stage or the stages it builds on)
/// set, as written; `None` when there is none (the base image's user).
fn current_user(cx: &Analysis<'_>, i: usize) -> Option<String> {
    let stage = cx.model.stage(i)?;
    for st in cx.model.lineage(stage.index) {
        for j in st.body.clone().rev() {
            let l = cx.instr(j);
            if j < i && l.keyword == Keyword::User {
                return match &l.args {
                    Args::Text(w) => Some(w.value.clone()),
                    _ => None,
                };
            }
        }
    }
    None
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Run {
            continue;
        }
        let sudo = located
            .commands()
            .find_map(|c| c.words.first().filter(|w| basename(&w.value) == "sudo"));
        if let Some(word) = sudo {
            let message = match current_user(cx, i) {
                Some(user) if !matches!(user.split(':').next(), Some("root" | "0")) => format!(
                    "`sudo` in a build only works while the image keeps the sudo package and a password-less sudoers entry for `{user}`; run these steps under `USER root` and switch back to `{user}` afterwards"
                ),
                _ => "`sudo` in a build needs the sudo package and a password-less sudoers entry, and as root it does nothing; switch with `USER root` for these steps and back afterwards".to_string(),
            };
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(word.span)),
                message,
            ));
        }
    }
}
