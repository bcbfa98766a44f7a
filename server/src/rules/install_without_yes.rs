use super::{declare_rule, Analysis, Diagnostic, Fix};
use crate::model::commands::{args, pkg_command, program, PkgAction};
use crate::syntax::shell::Command;

declare_rule! {
    /// ## What it does
    /// Finds package installs that ask for confirmation: `apt-get install` / `apt install`
    /// without `-y` (`--yes`, `--assume-yes`, `-qq`), `yum` / `dnf` / `tdnf install` without
    /// `-y` (`--assumeyes`), `zypper install` without `-y` / `-n` (`--no-confirm`,
    /// `--non-interactive`). Not a finding when an earlier instruction turns confirmation off in
    /// the package manager's configuration (`APT::Get::Assume-Yes`, `assumeyes=1`).
    ///
    /// ## Why is this bad?
    /// A build has no terminal to answer on: the package manager reads end of input, takes it as
    /// "no" and aborts, so the build fails as soon as the install pulls in a dependency.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install --no-install-recommends curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// ## Fix
    /// Adds `-y`. Unsafe: it can turn a build that fails at the prompt into one that installs
    /// more than its author saw.
    ///
    /// Equivalent: hadolint DL3014 (apt-get), DL3030 (yum), DL3034 (zypper), DL3038 (dnf).
    pub struct InstallWithoutYes {
        id: "install-without-yes",
        severity: Warning,
        summary: "Package install without -y stops at the confirmation prompt",
        hadolint: ["DL3014", "DL3030", "DL3034", "DL3038"],
        buildkit: [],
        fix: Unsafe,
        per_stage: check_stage,
    }
}

/// Whether a short-option cluster (`-qy`, `-yq`) holds `letter`.
fn cluster_has(arg: &str, letter: char) -> bool {
    arg.starts_with('-')
        && !arg.starts_with("--")
        && arg.len() > 1
        && arg[1..].bytes().all(|b| b.is_ascii_alphabetic())
        && arg[1..].contains(letter)
}

fn answers_yes(cmd: &Command, prog: &str) -> bool {
    let a: Vec<&str> = args(cmd).iter().map(|w| w.value.as_str()).collect();
    let lower: Vec<String> = a.iter().map(|s| s.to_ascii_lowercase()).collect();
    match prog {
        "apt-get" | "apt" => {
            a.iter().any(|w| {
                cluster_has(w, 'y')
                    || matches!(
                        *w,
                        "--yes" | "--assume-yes" | "--force-yes" | "-qq" | "-q=2" | "--quiet=2"
                    )
                    || w.starts_with("--trivial-only")
            }) || lower.iter().any(|w| {
                w.contains("apt::get::assume-yes=true") || w.contains("apt::get::assume-yes=1")
            })
        }
        "yum" | "dnf" | "dnf5" | "tdnf" => {
            a.iter()
                .any(|w| cluster_has(w, 'y') || *w == "--assumeyes" || *w == "--assumeno")
                || lower
                    .iter()
                    .any(|w| w.contains("assumeyes=1") || w.contains("assumeyes=true"))
        }
        "zypper" => a.iter().any(|w| {
            cluster_has(w, 'y')
                || cluster_has(w, 'n')
                || matches!(
                    *w,
                    "--no-confirm"
                        | "--non-interactive"
                        | "--non-interactive-include-reboot-patches"
                )
        }),
        _ => true,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != crate::syntax::instruction::Keyword::Run {
            continue;
        }
        for cmd in located.commands() {
            let Some(prog) = program(cmd) else { continue };
            if !matches!(
                prog,
                "apt-get" | "apt" | "yum" | "dnf" | "dnf5" | "tdnf" | "zypper"
            ) {
                continue;
            }
            let Some(pkg) = pkg_command(cmd) else {
                continue;
            };
            if pkg.action != PkgAction::Install || answers_yes(cmd, prog) || configured(cx, i, prog)
            {
                continue;
            }
            // the answer piped in: `yes | apt-get install ...`, `echo y | ...`
            if cmd.joiner == crate::syntax::shell::Joiner::Pipe {
                continue;
            }
            let head = pkg.head_span(cmd);
            out.push(
                Diagnostic::new(
                    &META,
                    cx.range_on(i, located.abs(head)),
                    format!("without `-y`, `{prog}` asks for confirmation, reads no answer in a build and aborts; add `-y`"),
                )
                .with_fix(Some(Fix::unsafe_edit(
                    "Add -y",
                    vec![crate::rules::fixes::quick::after_word(located.abs(pkg.verb.span), "-y")],
                ))),
            );
            break;
        }
    }
}

/// An earlier instruction writes the package manager's "assume yes" setting.
fn configured(cx: &Analysis<'_>, i: usize, prog: &str) -> bool {
    let needle = if matches!(prog, "apt-get" | "apt") {
        "assume-yes"
    } else {
        "assumeyes"
    };
    // an earlier instruction of this stage or the stages it is built on that writes the
    // setting (`echo 'APT::Get::Assume-Yes "true";' > /etc/apt/apt.conf.d/90yes`)
    let says_yes = cx.model.stage(i).is_some_and(|stage| {
        cx.model.lineage(stage.index).any(|st| {
            st.body.clone().filter(|&j| j < i).any(|j| {
                let text = cx.instr(j).span().of(cx.text);
                text.len() >= needle.len()
                    && text
                        .as_bytes()
                        .windows(needle.len())
                        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            })
        })
    });
    says_yes || (prog == "zypper" && cx.model.var_at(cx.tree, i, "ZYPP_NONINTERACTIVE").is_some())
}
