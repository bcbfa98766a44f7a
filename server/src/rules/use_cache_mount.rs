use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::model::commands::{args, is_pip_install, mount_targets, pip_args, program};
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::shell::{Command, Joiner};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds dependency installs that download everything again on each build when BuildKit
    /// could keep the package manager's cache between builds: `pip install`, `npm ci` /
    /// `npm install`, yarn 1's `yarn install`, and `go mod download` / `go build` in a `golang`
    /// image, in a `RUN` without a cache mount on that cache. Only in files whose
    /// `# syntax=docker/dockerfile:1...` directive guarantees `RUN --mount` (1.2 and later), and
    /// only where the `RUN` runs as root (the cache folders below are root's).
    ///
    /// It also finds a cache mount made useless by the same `RUN`: `pip install --no-cache-dir`
    /// under a mount on pip's cache, or `npm cache clean --force` under a mount on npm's.
    ///
    /// ## Why is this bad?
    /// A change to the dependency list re-runs the install, which then downloads every package
    /// again. A cache mount keeps the downloads on the builder, out of the image, so only what
    /// changed is fetched.
    ///
    /// ## Example
    /// ```dockerfile
    /// # syntax=docker/dockerfile:1
    /// FROM python:3.12-slim
    /// COPY requirements.txt .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// # syntax=docker/dockerfile:1
    /// FROM python:3.12-slim
    /// COPY requirements.txt .
    /// RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    /// ```
    ///
    /// The targets: pip `/root/.cache/pip` (or `$PIP_CACHE_DIR`), npm `/root/.npm`, yarn 1
    /// `/usr/local/share/.cache/yarn`, Go `/go/pkg/mod` (and `/root/.cache/go-build` to build). apt and
    /// cargo caches are not suggested (apt needs its `docker-clean` setting removed first).
    ///
    /// ## Fix
    /// Adds the mount and removes what the mount makes pointless in that `RUN`: pip's
    /// `--no-cache-dir`, `npm cache clean --force`, `yarn cache clean`, `rm -rf` of the cache
    /// folder. The same packages are installed; the cache no longer lands in the image
    /// (safe). Not offered when a cleanup cannot be removed cleanly (it sits after `||`, in
    /// a pipe or a heredoc).
    pub struct UseCacheMount {
        id: "use-cache-mount",
        severity: Info,
        summary: "Dependency install without a cache mount re-downloads everything on each change",
        hadolint: [],
        buildkit: [],
        fix: Safe,
        per_stage: check_stage,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Pip,
    Npm,
    Yarn,
    /// `go mod download`: the module cache only.
    GoMod,
    /// `go build`, `go install`: modules and the build cache.
    Go,
}

impl Tool {
    fn targets(self) -> &'static [&'static str] {
        match self {
            Self::Pip => &["/root/.cache/pip"],
            Self::Npm => &["/root/.npm"],
            Self::Yarn => &["/usr/local/share/.cache/yarn"],
            Self::GoMod => &["/go/pkg/mod"],
            Self::Go => &["/go/pkg/mod", "/root/.cache/go-build"],
        }
    }
}

/// `# syntax=docker/dockerfile:1`, `:1.4`, `:1-labs`, `:1.7.0`: a frontend with `RUN --mount`.
fn frontend_has_mounts(cx: &Analysis<'_>) -> bool {
    cx.tree.split.directives.iter().any(|d| {
        if d.name != "syntax" {
            return false;
        }
        let v = d.value.trim();
        let v = v.strip_prefix("docker.io/").unwrap_or(v);
        let Some(tag) = v
            .strip_prefix("docker/dockerfile:")
            .or_else(|| v.strip_prefix("docker/dockerfile-upstream:"))
        else {
            return false;
        };
        let tag = tag.split('@').next().unwrap_or(tag);
        let mut parts = tag.split(['.', '-']);
        match (parts.next(), parts.next()) {
            (Some("1"), None | Some("labs")) => true,
            (Some("1"), Some(minor)) => minor.parse::<u32>().is_ok_and(|m| m >= 2),
            (Some(major), _) => major.parse::<u32>().is_ok_and(|m| m > 1),
            _ => false,
        }
    })
}

fn tool_of(cx: &Analysis<'_>, i: usize, cmd: &Command) -> Option<Tool> {
    if is_pip_install(cmd) {
        return Some(Tool::Pip);
    }
    let a = args(cmd);
    let first = a
        .iter()
        .find(|w| !w.value.starts_with('-'))
        .map(|w| w.value.as_str());
    match program(cmd)? {
        "npm" if matches!(first, Some("ci" | "install" | "i")) => Some(Tool::Npm),
        "yarn" if a.iter().any(|w| w.value == "--immutable") => None,
        "yarn" if matches!(first, None | Some("install")) => Some(Tool::Yarn),
        "go" if matches!(first, Some("build" | "install")) => {
            golang_image(cx, i).then_some(Tool::Go)
        }
        "go" if first == Some("mod") && a.iter().any(|w| w.value == "download") => {
            golang_image(cx, i).then_some(Tool::GoMod)
        }
        _ => None,
    }
}

/// The stage is built on the official `golang` image (GOPATH `/go`), without its own GOPATH.
fn golang_image(cx: &Analysis<'_>, i: usize) -> bool {
    let Some(stage) = cx.model.stage(i) else {
        return false;
    };
    let root = cx.model.lineage(stage.index).last();
    root.and_then(|s| s.image.as_ref())
        .and_then(crate::model::ImageRef::path)
        .is_some_and(|p| p == "golang" || p == "library/golang")
        && ["GOPATH", "GOMODCACHE", "GOCACHE"]
            .iter()
            .all(|v| cx.model.var_at(cx.tree, i, v).is_none())
}

/// Instruction `i` runs as root: no USER in its stage and the stages it is built on, or root.
fn runs_as_root(cx: &Analysis<'_>, i: usize) -> bool {
    let Some(stage) = cx.model.stage(i) else {
        return false;
    };
    for st in cx.model.lineage(stage.index) {
        for j in st.body.clone().rev() {
            if j >= i {
                continue;
            }
            let l = cx.instr(j);
            if l.keyword == Keyword::User {
                return match &l.args {
                    Args::Text(w) => matches!(w.value.split(':').next(), Some("root" | "0")),
                    _ => false,
                };
            }
        }
    }
    // the base image's user is unknown; official images run as root
    true
}

/// A command that only empties `tool`'s cache.
fn cleans(cmd: &Command, tool: Tool) -> bool {
    let a: Vec<&str> = args(cmd).iter().map(|w| w.value.as_str()).collect();
    match (program(cmd), tool) {
        (Some("npm"), Tool::Npm) => a.first() == Some(&"cache") && a.get(1) == Some(&"clean"),
        (Some("yarn"), Tool::Yarn) => a.first() == Some(&"cache") && a.get(1) == Some(&"clean"),
        (_, Tool::Pip) if pip_args(cmd).is_some() => a == ["cache", "purge"],
        (Some("rm"), _) => {
            let dirs: Vec<&str> = a.iter().copied().filter(|w| !w.starts_with('-')).collect();
            !dirs.is_empty()
                && dirs.iter().all(|d| {
                    let d = d.trim_end_matches(['*', '/']);
                    tool.targets()
                        .iter()
                        .any(|t| d == *t || d == "~/.npm" && tool == Tool::Npm)
                })
        }
        _ => false,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    if !frontend_has_mounts(cx) {
        return;
    }
    for (i, located) in cx.model.body(cx.tree, s) {
        if located.keyword != Keyword::Run || cx.model.stage(i).is_none() {
            continue;
        }
        let Some(Form::Shell(shell)) = located.form() else {
            continue;
        };
        let cmds: Vec<&Command> = located.commands().collect();
        let Some((cmd, tool)) = cmds.iter().find_map(|c| tool_of(cx, i, c).map(|t| (*c, t))) else {
            continue;
        };
        if !runs_as_root(cx, i)
            || (tool == Tool::Pip
                && ["PIP_CACHE_DIR", "PIP_NO_CACHE_DIR"]
                    .iter()
                    .any(|v| cx.model.var_at(cx.tree, i, v).is_some()))
            || (tool == Tool::Npm
                && ["npm_config_cache", "NPM_CONFIG_CACHE"]
                    .iter()
                    .any(|v| cx.model.var_at(cx.tree, i, v).is_some()))
            || (tool == Tool::Yarn && cx.model.var_at(cx.tree, i, "YARN_CACHE_FOLDER").is_some())
            || cmd
                .assignments
                .iter()
                .any(|a| a.value.starts_with("PIP_NO_CACHE_DIR="))
        {
            continue;
        }
        let mounts = mount_targets(located, &["cache"]);
        let mounted = |t: &str| {
            mounts
                .iter()
                .any(|m| m == t || t.starts_with(&format!("{m}/")))
        };
        let missing: Vec<&str> = tool
            .targets()
            .iter()
            .copied()
            .filter(|t| !mounted(t))
            .collect();
        // the pointless parts: `--no-cache-dir` and cache cleanups
        let mut removals: Vec<Span> = Vec::new();
        let mut cleanups: Vec<Span> = Vec::new();
        let mut clean_ok = true;
        for c in &cmds {
            if tool == Tool::Pip && is_pip_install(c) {
                removals.extend(
                    args(c)
                        .iter()
                        .filter(|w| {
                            let n = w.value.split('=').next().unwrap_or("");
                            n.len() >= "--no-cache".len() && "--no-cache-dir".starts_with(n)
                        })
                        .map(|w| w.span),
                );
            }
            if cleans(c, tool) {
                match removal_span(cx, i, shell, c) {
                    Some(span) => cleanups.push(span),
                    None => clean_ok = false,
                }
            }
        }
        if missing.is_empty() && removals.is_empty() && cleanups.is_empty() {
            continue;
        }
        let head = cmd.words.first().map_or(cmd.span, |w| w.span);
        let head = args(cmd)
            .iter()
            .find(|w| !w.value.starts_with('-'))
            .map_or(head, |w| head.cover(w.span));
        let mount_flags: String = missing
            .iter()
            .map(|t| format!("--mount=type=cache,target={t} "))
            .collect();
        let message = if missing.is_empty() {
            "this RUN mounts the package cache and then keeps it from being used (`--no-cache-dir`, a cache cleanup); drop those so the next build reuses the downloads".to_string()
        } else if missing.contains(&"/root/.cache/go-build") {
            // `go build`: what a cache mount saves there is mostly compilation
            let modules = if missing.contains(&"/go/pkg/mod") {
                "downloads the missing modules and "
            } else {
                ""
            };
            format!(
                "each change to the sources {modules}compiles every package again; mount the build cache with `RUN {}` so later builds reuse what was compiled",
                mount_flags.trim_end()
            )
        } else {
            format!(
                "each change to the dependencies downloads every package again; mount the cache with `RUN {}` so later builds reuse the downloads",
                mount_flags.trim_end()
            )
        };
        let fix = clean_ok.then(|| -> Option<Fix> {
            let mut edits: Vec<Edit> = Vec::new();
            if !missing.is_empty() {
                edits.push(Edit {
                    span: Span::empty(located.abs(located.keyword_span).end + 1),
                    text: mount_flags.clone(),
                });
            }
            for span in &removals {
                edits.push(crate::rules::fixes::quick::remove_word(
                    cx,
                    i,
                    located.abs(*span),
                )?);
            }
            for span in &cleanups {
                edits.push(Edit {
                    span: located.abs(*span),
                    text: String::new(),
                });
            }
            Some(Fix::safe(
                if missing.is_empty() {
                    "Let the cache mount be used"
                } else {
                    "Use a cache mount"
                },
                edits,
            ))
        });
        // the fix's insertion after `RUN ` needs a blank there
        let blank = cx.text[located.abs(located.keyword_span).end..].starts_with(' ');
        out.push(
            Diagnostic::new(&META, cx.range_on(i, located.abs(head)), message)
                .with_fix(fix.flatten().filter(|_| blank)),
        );
    }
}

/// The span (relative to the instruction) that removes cleanup command `c` with the `&&` that
/// joins it: ` && npm cache clean --force`, or `npm cache clean --force && ` when it comes
/// first. `None` when it is not a plain `&&` link of the RUN's own shell text.
fn removal_span(
    cx: &Analysis<'_>,
    i: usize,
    shell: &crate::syntax::instruction::ShellText,
    c: &Command,
) -> Option<Span> {
    let located = cx.instr(i);
    let cmds = &shell.script.commands;
    let k = cmds.iter().position(|x| std::ptr::eq(x, c))?;
    let next = cmds.get(k + 1);
    if c.joiner == Joiner::And && next.is_none_or(|n| n.joiner != Joiner::Pipe) && k > 0 {
        // from the end of the previous command to the end of this one
        let prev = &cmds[k - 1];
        let between = Span::new(prev.span.end, c.span.start);
        let text = located.abs(between).of(cx.text);
        if text.trim().trim_start_matches('\\').trim() != "&&" && !text.contains("&&") {
            return None;
        }
        if text.contains('#') {
            return None;
        }
        return Some(Span::new(prev.span.end, c.span.end));
    }
    if k == 0 && next.is_some_and(|n| n.joiner == Joiner::And) {
        let n = next?;
        let text = located.abs(Span::new(c.span.end, n.span.start)).of(cx.text);
        if text.contains('#') {
            return None;
        }
        return Some(Span::new(c.span.start, n.span.start));
    }
    None
}
