use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{
    args, mount_targets, pkg_command, program, run_commands, PkgAction, PkgManager,
};
use crate::syntax::shell::Command;

declare_rule! {
    /// ## What it does
    /// Finds a `RUN` in a shipped stage that runs `apt-get update` (or `apt update`) but does not
    /// delete `/var/lib/apt/lists/*` in the same `RUN`. `apt-get clean` is not enough: it
    /// deletes downloaded `.deb` files, not the package lists. The deletion must come after the
    /// last update (`rm -rf /var/lib/apt/lists/*`, `rm -rf /var/lib/apt`, `apt-get distclean`).
    /// Not a finding when `/var/lib/apt` or its `lists` folder is a cache or tmpfs mount of that
    /// `RUN`.
    ///
    /// ## Why is this bad?
    /// The package index (tens of MB) stays in the layer forever. Deleting it in a later `RUN`
    /// does not shrink the image: the earlier layer still holds it.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## Fix safety
    /// The deletion is chained with `&&` to the end of the RUN (in a heredoc script, to its last
    /// line; a line of its own only after `set -e`), so a RUN that failed still fails: a new
    /// last line would make the script's exit status that of `rm`, which always succeeds.
    ///
    /// When a later `RUN` installs with apt without its own update, it reads the lists this
    /// `RUN` leaves: deleting them here would break it, so no fix is offered (`apt-update-alone`
    /// moves the update into that RUN, and the deletion then goes after the install).
    ///
    /// Equivalent: hadolint DL3009.
    pub struct AptListsNotCleaned {
        id: "apt-lists-not-cleaned",
        severity: Warning,
        summary: "apt-get update without removing /var/lib/apt/lists in the same RUN",
        hadolint: ["DL3009"],
        buildkit: [],
        fix: Safe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.shipped_runs() {
        let commands = run_commands(located);
        let is_update = |cmd: &Command| {
            pkg_command(cmd)
                .is_some_and(|p| p.manager == PkgManager::Apt && p.action == PkgAction::Update)
        };
        let Some(first) = commands.iter().position(|c| is_update(c)) else {
            continue;
        };
        let Some(update) = pkg_command(&commands[first]).map(|p| p.head_span(&commands[first]))
        else {
            continue;
        };
        let mounted = mount_targets(located, &["cache", "tmpfs"])
            .iter()
            .any(|t| t == "/var/lib/apt" || t == "/var/lib/apt/lists");
        // the lists must be deleted after the last update
        let last = commands.iter().rposition(|c| is_update(c)).unwrap_or(first);
        if mounted || commands[last..].iter().any(|c| removes_lists(c)) {
            continue;
        }
        // deleting the lists here would break a later install that relies on this update
        let (fix, why_not) = match later_install(cx, i) {
            Some(line) => (
                None,
                format!(" (no automatic fix: the install on line {line} reads these lists; update in its RUN and delete them there)"),
            ),
            None => (
                crate::rules::fixes::quick::append_command(cx, i, "rm -rf /var/lib/apt/lists/*")
                    .map(|e| crate::rules::Fix::safe("Remove the apt lists in the same RUN", vec![e])),
                String::new(),
            ),
        };
        out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(update)),
                format!("the package lists from `apt-get update` stay in this layer, tens of MB that `apt-get clean` does not remove; end the same RUN with `&& rm -rf /var/lib/apt/lists/*`{why_not}"),
            )
            .with_fix(fix));
    }
}

/// The line of the first later RUN, in this stage or a stage built on it, that installs with
/// apt without updating first in the same RUN: it reads the lists RUN `i` leaves.
fn later_install(cx: &Analysis<'_>, i: usize) -> Option<usize> {
    let stage = cx.model.stage(i)?.index;
    let built_on = |s: usize| cx.model.lineage(s).any(|l| l.index == stage);
    let is_apt = |cmd: &Command, action: PkgAction| {
        pkg_command(cmd).is_some_and(|p| p.manager == PkgManager::Apt && p.action == action)
    };
    cx.model
        .stages
        .iter()
        .filter(|s| built_on(s.index))
        .flat_map(|s| s.body.clone())
        .filter(|&j| j > i && cx.instr(j).keyword == crate::syntax::Keyword::Run)
        .find(|&j| {
            let commands = run_commands(cx.instr(j));
            let install = commands.iter().position(|c| is_apt(c, PkgAction::Install));
            let update = commands.iter().position(|c| is_apt(c, PkgAction::Update));
            install.is_some_and(|n| update.is_none_or(|u| u > n))
        })
        .map(|j| cx.line_of(cx.instr(j).offset) + 1)
}

/// `rm -rf /var/lib/apt/lists/*` (or `/var/lib/apt`), `find /var/lib/apt/lists ... -delete`,
/// `apt-get distclean`.
fn removes_lists(cmd: &Command) -> bool {
    let covers = |path: &str| {
        let p = path.trim_end_matches(['*', '/']);
        p == "/var/lib/apt" || p.starts_with("/var/lib/apt/lists")
    };
    match program(cmd) {
        Some("rm") => args(cmd).iter().any(|a| covers(&a.value)),
        Some("find") => {
            args(cmd).first().is_some_and(|a| covers(&a.value))
                && args(cmd)
                    .iter()
                    .any(|a| a.value == "-delete" || a.value == "rm")
        }
        Some("apt-get" | "apt") => args(cmd)
            .iter()
            .any(|a| matches!(a.value.as_str(), "distclean" | "dist-clean")),
        _ => false,
    }
}
