use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::model::commands::{args, mount_targets, pkg_command, program, PkgAction, PkgManager};
use crate::syntax::shell::Command;

declare_rule! {
    /// ## What it does
    /// Finds `apk update`, and `apk add --update` without `--no-cache`, in the stages that ship
    /// in the final image, unless the same `RUN` removes apk's cache (`rm -rf /var/cache/apk/*`,
    /// `apk cache clean`) or mounts a cache or tmpfs on it. A bare `apk add` fetches no index:
    /// it uses the one an earlier `apk update` left, and that one is the finding (an
    /// `apk update` in a `RUN` of its own is `apt-update-alone`'s).
    ///
    /// ## Why is this bad?
    /// `apk update` and `apk add --update` store the package index (a few MB per repository)
    /// in `/var/cache/apk`, where it ships in the layer. `apk add --no-cache` fetches the index,
    /// installs, and keeps nothing.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk update && apk add curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apk add --no-cache curl
    /// ```
    ///
    /// ## Fix
    /// After an `apk update`, the fix ends the `RUN` with `rm -rf /var/cache/apk/*`; an
    /// `apk add --update` becomes `apk add --no-cache`, which also fetches the index first. Both
    /// install the same packages from the same index and only leave the index out of the layer
    /// (safe). Not offered when a later `RUN` runs apk on the index this one leaves.
    ///
    /// Equivalent: hadolint DL3019.
    pub struct ApkNoCache {
        id: "apk-no-cache",
        severity: Warning,
        summary: "apk keeps its package index in the image; use `apk add --no-cache`",
        hadolint: ["DL3019"],
        buildkit: [],
        fix: Safe,
    }
}

fn is_apk(cmd: &Command) -> bool {
    program(cmd) == Some("apk")
}

fn has_arg(cmd: &Command, names: &[&str]) -> bool {
    args(cmd).iter().any(|a| names.contains(&a.value.as_str()))
}

const UPDATE_FLAGS: &[&str] = &["--update", "-U", "--update-cache"];

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.shipped_runs() {
        let cmds: Vec<&Command> = located.commands().collect();
        let apk: Vec<&Command> = cmds.iter().copied().filter(|c| is_apk(c)).collect();
        if apk.is_empty() {
            continue;
        }
        let leaves_index = |c: &Command| match pkg_command(c) {
            Some(p) if p.manager == PkgManager::Apk => match p.action {
                PkgAction::Update => true,
                // a bare `apk add` uses an index an earlier layer left (the finding is there)
                PkgAction::Install => !has_arg(c, &["--no-cache"]) && has_arg(c, UPDATE_FLAGS),
                PkgAction::Remove => false,
            },
            _ => false,
        };
        let Some(first) = apk.iter().copied().find(|c| leaves_index(c)) else {
            continue;
        };
        let mounted = mount_targets(located, &["cache", "tmpfs"])
            .iter()
            .any(|t| t == "/var/cache/apk" || t == "/etc/apk/cache" || t == "/var/cache");
        if mounted || cmds.iter().any(|c| cleans(c)) {
            continue;
        }
        let updated = apk.iter().any(|c| {
            pkg_command(c).is_some_and(|p| p.action == PkgAction::Update)
                || has_arg(c, UPDATE_FLAGS)
        });
        let head = match pkg_command(first) {
            Some(p) => p.head_span(first),
            None => first.span,
        };
        // `RUN apk update` alone: `apt-update-alone` reports it, where the install is
        if apk
            .iter()
            .all(|c| pkg_command(c).is_some_and(|p| p.action == PkgAction::Update))
        {
            continue;
        }
        let message = "apk keeps the package index in /var/cache/apk, which then ships in this layer; use `apk add --no-cache` (it fetches the index and keeps nothing)";
        out.push(
            Diagnostic::new(&META, cx.range_on(i, located.abs(head)), message)
                .with_fix(fix(cx, i, &cmds, updated)),
        );
    }
}

/// `rm -rf /var/cache/apk/*`, `apk cache clean`, `apk cache purge`.
fn cleans(cmd: &Command) -> bool {
    if is_apk(cmd) {
        let a: Vec<&str> = args(cmd).iter().map(|w| w.value.as_str()).collect();
        return a.contains(&"cache") && (a.contains(&"clean") || a.contains(&"purge"));
    }
    program(cmd) == Some("rm")
        && args(cmd).iter().any(|a| {
            let v = a.value.trim_end_matches(['*', '/']);
            v == "/var/cache/apk" || v == "/etc/apk/cache"
        })
}

/// When the `RUN` runs `apk update`: delete the cache at its end; else (`apk add --update`) make
/// each such add `--no-cache`. `None` when a later `RUN` uses the index this one leaves.
fn fix(cx: &Analysis<'_>, i: usize, cmds: &[&Command], _updated: bool) -> Option<Fix> {
    if later_needs_index(cx, i) {
        return None;
    }
    let located = cx.instr(i);
    let runs_update = cmds
        .iter()
        .any(|c| is_apk(c) && pkg_command(c).is_some_and(|p| p.action == PkgAction::Update));
    if runs_update {
        return crate::rules::fixes::quick::append_command(cx, i, "rm -rf /var/cache/apk/*")
            .map(|e| Fix::safe("Remove apk's cache in the same RUN", vec![e]));
    }
    let mut edits = Vec::new();
    for c in cmds
        .iter()
        .filter(|c| is_apk(c) && !has_arg(c, &["--no-cache"]))
    {
        let upd: Vec<_> = args(c)
            .iter()
            .filter(|a| UPDATE_FLAGS.contains(&a.value.as_str()))
            .collect();
        if let Some((first, rest)) = upd.split_first() {
            edits.push(Edit {
                span: located.abs(first.span),
                text: "--no-cache".into(),
            });
            for w in rest {
                edits.push(crate::rules::fixes::quick::remove_word(
                    cx,
                    i,
                    located.abs(w.span),
                )?);
            }
        }
    }
    (!edits.is_empty()).then(|| Fix::safe("Use `apk add --no-cache`", edits))
}

/// A later `RUN` of the file runs apk in a way that reads a cached index (`apk add` without
/// `--no-cache`, `apk upgrade`...): removing this RUN's `apk update` could fail it.
fn later_needs_index(cx: &Analysis<'_>, i: usize) -> bool {
    cx.tree.instructions[i + 1..].iter().any(|l| {
        let fetches = l
            .commands()
            .any(|c| is_apk(c) && pkg_command(c).is_some_and(|p| p.action == PkgAction::Update));
        !fetches
            && l.commands().any(|c| {
                is_apk(c)
                    && !has_arg(c, &["--no-cache"])
                    && !has_arg(c, UPDATE_FLAGS)
                    && !pkg_command(c).is_some_and(|p| p.action == PkgAction::Remove)
            })
    })
}
