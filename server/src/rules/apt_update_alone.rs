use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{pkg_command, run_commands, PkgAction, PkgCommand, PkgManager};
use crate::syntax::instruction::Keyword;

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
    ///
    /// ## Fix safety
    /// The fix moves the update to the start of the install's RUN, so a failed update still
    /// fails the build: not offered when that RUN goes on with `||` or `;` (which would run on
    /// after a failed update) or has a `--network` flag or a mount on `/var/lib/apt` that the
    /// update would then run under.
    pub struct AptUpdateAlone {
        id: "apt-update-alone",
        severity: Warning,
        summary: "Package index update in its own RUN, apart from the install",
        hadolint: [],
        buildkit: [],
        fix: Safe,
        per_stage: check_stage,
    }
}

/// An install that reads the cached index: every `apt-get install`, an `apk add` without
/// `--no-cache` or `--update` (which fetch a fresh index).
fn reads_cached_index(p: &PkgCommand<'_>, manager: PkgManager) -> bool {
    p.manager == manager
        && p.action == PkgAction::Install
        && !(manager == PkgManager::Apk
            && p.args.iter().any(|a| {
                matches!(
                    a.value.as_str(),
                    "--no-cache" | "--update" | "-U" | "--update-cache"
                )
            }))
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    let stage = &cx.model.stages[s];
    // Whether each RUN of the stage installs from the cached apt / apk index, computed once.
    let mut cached_index: Vec<Option<[bool; 2]>> = vec![None; stage.body.len()];
    for i in stage.body.clone() {
        let located = cx.instr(i);
        if located.keyword != Keyword::Run {
            continue;
        }
        let commands = run_commands(located);
        let pkgs: Vec<(usize, PkgCommand<'_>)> = commands
            .iter()
            .enumerate()
            .filter_map(|(k, c)| pkg_command(c).map(|p| (k, p)))
            .collect();
        for manager in [PkgManager::Apt, PkgManager::Apk] {
            let update = pkgs.iter().find_map(|(k, pkg)| {
                (pkg.manager == manager && pkg.action == PkgAction::Update)
                    .then(|| pkg.head_span(&commands[*k]))
            });
            let Some(update) = update else { continue };
            if pkgs
                .iter()
                .any(|(_, p)| p.manager == manager && p.action == PkgAction::Install)
            {
                continue;
            }
            let later = (i + 1..stage.body.end).find(|&j| {
                let l = cx.instr(j);
                l.keyword == Keyword::Run
                    && cached_index[j - stage.body.start].get_or_insert_with(|| {
                        let mut reads = [false; 2];
                        for c in &run_commands(l) {
                            if let Some(p) = pkg_command(c) {
                                reads[0] |= reads_cached_index(&p, PkgManager::Apt);
                                reads[1] |= reads_cached_index(&p, PkgManager::Apk);
                            }
                        }
                        reads
                    })[usize::from(manager == PkgManager::Apk)]
            });
            let Some(j) = later else { continue };
            let fix = merge_update(cx, i, j, &commands, manager);
            let why_not = match &fix {
                Err(Some(reason)) => format!(" (no automatic fix: {reason})"),
                _ => String::new(),
            };
            out.push(
                Diagnostic::new(
                    &META,
                    cx.range_on(i, located.abs(update)),
                    format!(
                        "this index update is cached apart from the install on line {}, which will one day run against a stale index; update and install in the same RUN{why_not}",
                        cx.line_of(cx.instr(j).offset) + 1
                    ),
                )
                .related(cx.instr(j).keyword_span(), "the install that should share the update's RUN")
                .with_fix(fix.ok()),
            );
        }
    }
}

/// Move the update into the install's RUN: delete the update-only RUN and start the install's
/// script with the update. Only when the update RUN does nothing else and the install's RUN is
/// plain shell text.
///
/// # Errors
/// `Some(reason)` when the joined RUN could behave differently (for the message), `None` when
/// the RUNs are not plain enough to rewrite.
fn merge_update(
    cx: &Analysis<'_>,
    i: usize,
    j: usize,
    commands: &[std::borrow::Cow<'_, crate::syntax::shell::Command>],
    manager: PkgManager,
) -> Result<crate::rules::Fix, Option<String>> {
    use crate::syntax::instruction::Form;
    use crate::syntax::shell::Joiner;
    let (update_run, install_run) = (cx.instr(i), cx.instr(j));
    let only_updates = commands.iter().all(|c| {
        pkg_command(c).is_some_and(|p| p.manager == manager && p.action == PkgAction::Update)
    });
    if !only_updates
        || !update_run.heredocs.is_empty()
        || !install_run.heredocs.is_empty()
        || !update_run.flags.is_empty()
    {
        return Err(None);
    }
    let Some(Form::Shell(update)) = update_run.form() else {
        return Err(None);
    };
    let Some(Form::Shell(install)) = install_run.form() else {
        return Err(None);
    };
    // `update && a || b` would let `b` rescue a failed update, which failed the build before
    if install
        .script
        .commands
        .iter()
        .any(|c| !matches!(c.joiner, Joiner::Start | Joiner::And | Joiner::Pipe))
    {
        return Err(Some(
            "the install's RUN goes on with `||` or `;`, which would hide a failed update".into(),
        ));
    }
    // the update would run with the install's network and mounts
    if install_run.flag("network").is_some()
        || crate::model::commands::mount_targets(install_run, &["cache", "tmpfs", "bind"])
            .iter()
            .any(|t| {
                t.trim_end_matches('/').starts_with("/var/lib/apt")
                    || t.trim_end_matches('/') == "/var/lib"
            })
    {
        return Err(Some(
            "the install's RUN has a `--network` or `--mount` flag the update would then run under"
                .into(),
        ));
    }
    let update_text = update_run.abs(update.span).of(cx.text).trim().to_string();
    if update_text.contains(['\n', '#']) || update_text.contains(cx.tree.split.escape) {
        return Err(None);
    }
    let at = install_run.abs(install.span).start;
    Ok(crate::rules::Fix::safe(
        "Update the index in the install's RUN",
        vec![
            crate::rules::Edit {
                span: crate::rules::fixes::instruction_lines(cx.text, update_run),
                text: String::new(),
            },
            crate::rules::Edit {
                span: crate::syntax::Span::empty(at),
                text: format!("{update_text} && "),
            },
        ],
    ))
}
