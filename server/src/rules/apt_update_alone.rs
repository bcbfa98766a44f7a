use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{pkg_command, run_commands, PkgAction, PkgManager};
use crate::syntax::instruction::Keyword;
use crate::syntax::Located;

declare_rule! {
    /// ## What it does
    /// Finds a `RUN` that only updates the package index (`apt-get update`, `apk update`) while
    /// a later `RUN` in the same stage installs packages from that index (`apk add --no-cache`
    /// and `apk add --update` fetch a fresh index, so they do not count).
    ///
    /// ## Why is this bad?
    /// The update layer is cached on its own: when the install line changes months later, it
    /// runs against the stale cached index and fails or installs outdated packages.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update
    /// RUN apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    pub struct AptUpdateAlone {
        id: "apt-update-alone",
        severity: Warning,
        summary: "Package index update in its own RUN, apart from the install",
        hadolint: [],
        buildkit: [],
    }
}

fn actions(located: &Located, manager: PkgManager, action: PkgAction) -> bool {
    run_commands(located)
        .iter()
        .any(|c| pkg_command(c).is_some_and(|p| p.manager == manager && p.action == action))
}

/// An install that reads the cached index: every `apt-get install`, an `apk add` without
/// `--no-cache` or `--update` (which fetch a fresh index).
fn reads_cached_index(located: &Located, manager: PkgManager) -> bool {
    run_commands(located).iter().any(|c| {
        pkg_command(c).is_some_and(|p| {
            p.manager == manager
                && p.action == PkgAction::Install
                && !(manager == PkgManager::Apk
                    && p.args.iter().any(|a| {
                        matches!(
                            a.value.as_str(),
                            "--no-cache" | "--update" | "-U" | "--update-cache"
                        )
                    }))
        })
    })
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in &cx.model.stages {
        for i in stage.body.clone() {
            let located = cx.instr(i);
            if located.keyword != Keyword::Run {
                continue;
            }
            let commands = run_commands(located);
            for manager in [PkgManager::Apt, PkgManager::Apk] {
                let update = commands.iter().find_map(|c| {
                    let pkg = pkg_command(c)?;
                    (pkg.manager == manager && pkg.action == PkgAction::Update)
                        .then(|| pkg.head_span(c))
                });
                let Some(update) = update else { continue };
                if actions(located, manager, PkgAction::Install) {
                    continue;
                }
                let later = (i + 1..stage.body.end).find(|&j| {
                    let l = cx.instr(j);
                    l.keyword == Keyword::Run && reads_cached_index(l, manager)
                });
                let Some(j) = later else { continue };
                out.push(
                    Diagnostic::new(
                        &META,
                        cx.range_on(i, located.abs(update)),
                        format!(
                            "this index update is cached apart from the install on line {}, which will one day run against a stale index; update and install in the same RUN",
                            cx.line_of(cx.instr(j).offset) + 1
                        ),
                    )
                    .related(cx.instr(j).keyword_span(), "the install that should share the update's RUN"),
                );
            }
        }
    }
}
