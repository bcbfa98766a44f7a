use super::{declare_rule, Analysis, Diagnostic};
use crate::model::cache_mounts;
use crate::model::commands::{pkg_command, PkgAction, PkgManager};
use crate::syntax::instruction::Keyword;

declare_rule! {
    /// ## What it does
    /// Finds a `RUN` in a shipped stage that runs `apt-get update` (or `apt update`) but does not
    /// delete `/var/lib/apt/lists/*` in the same `RUN`. `apt-get clean` is not enough: it
    /// deletes downloaded `.deb` files, not the package lists. Not a finding when `/var/lib/apt`
    /// is a cache mount of that `RUN`.
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
    /// Equivalent: hadolint DL3009.
    pub struct AptListsNotCleaned {
        id: "apt-lists-not-cleaned",
        severity: Warning,
        summary: "apt-get update without removing /var/lib/apt/lists in the same RUN",
        hadolint: ["DL3009"],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in cx.model.stages.iter().filter(|s| s.shipped) {
        for i in stage.body.clone() {
            let located = cx.instr(i);
            if located.keyword != Keyword::Run {
                continue;
            }
            let update = located.commands().find(|cmd| {
                pkg_command(cmd).is_some_and(|p| p.manager == PkgManager::Apt && p.action == PkgAction::Update)
            });
            let Some(update) = update else { continue };
            let mounted = cache_mounts(located).iter().any(|t| t == "/var/lib/apt" || t == "/var/lib/apt/lists");
            let removed = located.commands().any(|cmd| {
                cmd.program() == Some("rm") && cmd.args().iter().any(|a| a.value.starts_with("/var/lib/apt/lists"))
            });
            if mounted || removed {
                continue;
            }
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(update.span)),
                "the apt package lists from `apt-get update` stay in this layer (`apt-get clean` does not remove them); end the same RUN with `&& rm -rf /var/lib/apt/lists/*`",
            ));
        }
    }
}
