use super::{declare_rule, Analysis, Diagnostic, Fix};
use crate::model::commands::{args, mount_targets, program};
use crate::syntax::shell::Command;

declare_rule! {
    /// ## What it does
    /// Finds `npm install` / `npm ci` and yarn 1 installs (`yarn`, `yarn install`, `yarn add`,
    /// `yarn global add`) in the stages that ship in the final image whose `RUN` leaves the
    /// package manager's download cache behind: no `npm cache clean --force` /
    /// `yarn cache clean`, no `rm -rf` of the cache folder, no cache or tmpfs mount on it, and no
    /// `--cache`/`--cache-folder` pointing elsewhere.
    ///
    /// ## Why is this bad?
    /// npm keeps every tarball it downloaded in `~/.npm/_cacache`, yarn 1 in
    /// `/usr/local/share/.cache/yarn`: about as large as `node_modules` itself, shipped in the
    /// layer for nothing.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN npm ci --omit=dev
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN npm ci --omit=dev && npm cache clean --force
    /// ```
    /// or, with BuildKit, `RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev`.
    ///
    /// ## Fix
    /// Appends `&& npm cache clean --force` (`yarn cache clean`): it deletes only the download
    /// cache, after the install used it (safe).
    ///
    /// Equivalent: hadolint DL3060 (yarn).
    pub struct NpmCacheNotCleaned {
        id: "npm-cache-not-cleaned",
        severity: Warning,
        summary: "npm/yarn install leaves the download cache in the image",
        hadolint: ["DL3060"],
        buildkit: [],
        fix: Safe,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Npm,
    Yarn,
}

fn positionals(cmd: &Command) -> Vec<&str> {
    args(cmd)
        .iter()
        .map(|w| w.value.as_str())
        .filter(|a| !a.starts_with('-'))
        .collect()
}

fn install(cmd: &Command) -> Option<Tool> {
    let a = args(cmd);
    let pos = positionals(cmd);
    let own_cache = a.iter().any(|w| {
        w.value.starts_with("--cache")
            || w.value.starts_with("--cache-folder")
            || w.value == "--offline"
    });
    if own_cache {
        return None;
    }
    match program(cmd)? {
        "npm" => matches!(
            pos.first(),
            Some(&("install" | "i" | "ci" | "add" | "isntall"))
        )
        .then_some(Tool::Npm),
        // `yarn` alone installs; yarn 2+ keeps its cache in the project (`yarn install
        // --immutable` is a yarn 2+ flag): only yarn 1's global cache is judged
        "yarn" if a.iter().any(|w| w.value == "--immutable") => None,
        "yarn" => match pos.as_slice() {
            [] | ["install", ..] | ["add", ..] | ["global", "add", ..] => Some(Tool::Yarn),
            _ => None,
        },
        _ => None,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.shipped_runs() {
        let cmds: Vec<&Command> = located.commands().collect();
        let Some((cmd, tool)) = cmds.iter().find_map(|c| install(c).map(|t| (*c, t))) else {
            continue;
        };
        let mounted = mount_targets(located, &["cache", "tmpfs"]).iter().any(|t| {
            t.ends_with("/.npm")
                || t.ends_with("/.cache/yarn")
                || t.ends_with("/.cache")
                || t.ends_with("/.yarn")
                || t.ends_with("/_cacache")
        });
        if mounted
            || cmds.iter().any(|c| cleans(c, tool))
            || [
                "npm_config_cache",
                "NPM_CONFIG_CACHE",
                "YARN_CACHE_FOLDER",
                "npm_config_offline",
            ]
            .iter()
            .any(|v| cx.model.var_at(cx.tree, i, v).is_some())
        {
            continue;
        }
        let (name, clean, folder) = match tool {
            Tool::Npm => ("npm", "npm cache clean --force", "~/.npm"),
            Tool::Yarn => ("yarn", "yarn cache clean", "/usr/local/share/.cache/yarn"),
        };
        let first = cmd.words.first().map_or(cmd.span, |w| w.span);
        let head = args(cmd)
            .iter()
            .find(|w| !w.value.starts_with('-'))
            .map_or(first, |w| first.cover(w.span));
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(head)),
                format!("{name} keeps every package it downloaded in {folder}, which then ships in this layer; end the RUN with `{clean}` or use a cache mount"),
            )
            .with_fix(
                crate::rules::fixes::quick::append_command(cx, i, clean)
                    .map(|e| Fix::safe(format!("Add `{clean}`"), vec![e])),
            ),
        );
    }
}

/// `npm cache clean`, `yarn cache clean`, `rm -rf ~/.npm`...
fn cleans(cmd: &Command, tool: Tool) -> bool {
    let pos = positionals(cmd);
    match program(cmd) {
        Some("npm") if tool == Tool::Npm => {
            pos.first() == Some(&"cache") && matches!(pos.get(1), Some(&("clean" | "rm" | "clear")))
        }
        Some("yarn") if tool == Tool::Yarn => {
            pos.first() == Some(&"cache") && pos.get(1) == Some(&"clean")
        }
        Some("rm") => args(cmd).iter().any(|a| {
            let v = a.value.trim_end_matches(['*', '/']);
            match tool {
                Tool::Npm => v.ends_with("/.npm") || v == "~/.npm" || v.ends_with("/_cacache"),
                Tool::Yarn => {
                    v.ends_with("/.cache/yarn")
                        || v.ends_with("/.cache")
                        || v.ends_with("/.yarn-cache")
                        || v == "/usr/local/share/.cache"
                }
            }
        }),
        _ => false,
    }
}
