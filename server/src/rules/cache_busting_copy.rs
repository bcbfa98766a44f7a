use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{
    args, install_step, is_vendor_goflags, run_commands, Ecosystem, InstallStep,
};
use crate::model::{is_broad_copy, join_path};
use crate::rules::fixes::manifests_first::{self, Install};
use crate::syntax::instruction::{Args, Instruction, Keyword};
use crate::syntax::shell::Command;
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a broad `COPY`/`ADD` of the build context (`COPY . /app`) that comes before a
    /// dependency install in the same stage (`pip install -r requirements.txt`, `npm ci`,
    /// `go mod download`, `bundle install`, `cargo build`, `mvn package`, `dotnet publish`...),
    /// when no install of that ecosystem ran before the copy.
    ///
    /// Not a finding when the build context shows the project has no third-party dependencies
    /// (a `go.mod` without `require`, a `Cargo.toml` that is no workspace and lists no
    /// dependencies): the install then has nothing to download and nothing to cache. Nor is a
    /// Go project without modules (Go files at the top of the context and no go.mod): there is
    /// no manifest to copy first.
    ///
    /// ## Why is this bad?
    /// Docker's layer cache is positional: once a layer changes, every later layer is rebuilt.
    /// The install only needs the manifests, but it now sits behind a layer that changes with
    /// every source edit, so every edit re-downloads and rebuilds all dependencies.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// COPY . .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// COPY requirements.txt .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// COPY . .
    /// ```
    ///
    /// Installs are recognised wherever the shell runs them: after `&&`, inside `if` blocks and
    /// heredoc scripts, behind `sudo -u app`, `timeout 600` or `env`, in `bash -c "..."`, in an
    /// exec-form `RUN`, and through `python -m pip`, `sh ./gradlew` or `php composer.phar`.
    /// `pip wheel -r` and `pip download -r` count as installs: they fetch the same packages.
    ///
    /// Not findings: an install that needs the whole tree and has no manifest-only form
    /// (`pip install .`), vendored Go modules (`-mod=vendor`, `GOFLAGS=-mod=vendor` in the
    /// environment, or a `vendor/modules.txt` in the context), and a project build after its
    /// dependencies were installed from the manifests earlier in the stage (`uv sync` after
    /// `uv sync --no-install-project`, `go build` after `go mod download`, `cargo build` after
    /// `cargo chef cook`, `dotnet publish --no-restore` after `dotnet restore`). `ONBUILD`
    /// triggers are checked in the order they run in the child build. The stage may be a
    /// builder stage: this rule is about build time, not image size.
    ///
    /// ## Fix safety
    /// The fix moves the broad COPY after the installs and copies the manifests each install
    /// reads just before it. The moved COPY keeps the folder it copied to: when a WORKDIR, ENV
    /// or ARG between its old and new place would resolve its destination elsewhere, the
    /// destination is written as the absolute path it had. A `--chown`/`--chmod` whose variable
    /// has another value at the new place is not moved, and the message says so. Manifests keep
    /// their folders (`requirements/base.txt` is copied to `requirements/`), the files a
    /// requirements file includes with `-r`/`-c` are copied too, and a requirements file that
    /// installs a local path (`-e .`) or includes a file missing from the context is not fixed.
    /// Nor is a context whose `node_modules` (`.venv`, `vendor`, `obj`...) .dockerignore does not
    /// exclude: copied after the install, it would replace what the install wrote. The
    /// installer's settings beside the manifests are copied with them (`.npmrc`, `.yarnrc.yml`
    /// and yarn's releases, `poetry.toml`, `.cargo/config.toml`, `.mvn`, `NuGet.config`...).
    ///
    /// npm and yarn workspaces are followed (a folder, or `folder/*`): every workspace's
    /// package.json is copied too, since without them `npm ci` links nothing and the build
    /// passes while the app fails to start. The project's own npm lifecycle scripts
    /// (`preinstall`, `install`, `postinstall`, `prepare`...) may read any file of the project:
    /// the install then runs with `--ignore-scripts` on the manifests and `npm run postinstall`
    /// (each script, in npm's order) runs after the source copy, when the lock file (version 2
    /// or 3) shows that no dependency has install scripts of its own or comes from git, which
    /// `--ignore-scripts` would skip. Not fixed: such scripts with another package manager or an
    /// older lock file, scripts in a workspace, a workspace that declares `bin` files (the
    /// install links them and makes them executable), and a pnpm workspace.
    /// A `go.mod` that replaces a module with a local folder is fixed by copying that folder's
    /// go.mod too (`go mod download` reads it).
    ///
    /// When the install is also the build (`go build`, `cargo build`, `mvn package`, `dotnet
    /// publish`, `poetry install`, `uv sync`, `composer install`), the fix adds a
    /// dependency-only step before the source: `go mod download`; `cargo fetch` beside a stub
    /// `src/main.rs` that the same RUN removes (only the download is cached: the build still
    /// compiles the crates, and always from the real source); `mvn dependency:go-offline` with
    /// the build's options; `dotnet restore` of the project with the build's runtime, sources
    /// and properties; the same `poetry install` with `--no-root`, `uv sync` with
    /// `--no-install-project`, `composer install` with `--no-scripts --no-autoloader`. The step
    /// repeats the build's `NAME=value` assignments and its cache, secret and ssh mounts. For
    /// .NET the manifests are the project or solution, every project it references (followed
    /// through `.sln` files and `ProjectReference`), the files a project imports, each project's
    /// `packages.lock.json`, and the `Directory.Build.props`, `Directory.Packages.props`,
    /// `NuGet.config` and `global.json` of its folders up to the context root. No step is added
    /// (and the message says why) for workspaces, path dependencies, a project without
    /// `Cargo.lock`, a `pom.xml` with modules, a build that is not the first command of its RUN,
    /// and Gradle, Bundler, Mix and Conan builds. Every rewrite offered has passed the
    /// equivalence check (see the README's section on fixes).
    pub struct CacheBustingCopy {
        id: "cache-busting-copy",
        severity: Warning,
        summary: "COPY of the whole context before a dependency install: every source edit re-runs the install",
        hadolint: [],
        buildkit: [],
        fix: Unsafe,
        per_stage: check_stage,
    }
}

/// An install seen in the stage: ecosystem, the absolute paths of the files it named, and the
/// folder it ran in (an install that names no file reads the manifests there: `dotnet restore`
/// restores the project of its folder).
struct Installed {
    ecosystem: Ecosystem,
    files: Vec<String>,
    dir: String,
}

impl Installed {
    /// Whether this install already fetched what an install of `files` needs.
    fn covers(&self, ecosystem: Ecosystem, files: &[String]) -> bool {
        let in_dir = |f: &String| {
            f.rsplit_once('/').is_some_and(|(parent, _)| {
                parent.trim_end_matches('/') == self.dir.trim_end_matches('/')
            })
        };
        self.ecosystem == ecosystem
            && files
                .iter()
                .all(|f| self.files.contains(f) || (self.files.is_empty() && in_dir(f)))
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    let stage = &cx.model.stages[s];
    let body: Vec<(usize, &Instruction)> = stage
        .body
        .clone()
        .map(|i| (i, &*cx.instr(i).parsed))
        .collect();
    check_sequence(cx, &body, out);
    let triggers: Vec<(usize, &Instruction)> = stage
        .body
        .clone()
        .filter_map(|i| match &cx.instr(i).args {
            Args::Onbuild(inner) => Some((i, inner.as_ref())),
            _ => None,
        })
        .collect();
    check_sequence(cx, &triggers, out);
}

/// Check a sequence of instructions (a stage body, or its ONBUILD triggers) in run order.
fn check_sequence(cx: &Analysis<'_>, seq: &[(usize, &Instruction)], out: &mut Vec<Diagnostic>) {
    // Only a broad copy is reported, and only the installs before the last one matter.
    let Some(last_copy) = seq.iter().rposition(|(_, x)| is_broad_copy(x)) else {
        return;
    };
    let mut installed: Vec<Installed> = Vec::new();
    let onbuild = seq
        .first()
        .is_some_and(|&(i, instr)| !std::ptr::eq(instr, &*cx.instr(i).parsed));
    for (pos, &(i, instr)) in seq.iter().enumerate() {
        if is_broad_copy(instr) {
            let after = &seq[pos + 1..];
            // the installs this copy invalidates: up to the next broad copy
            let until = after
                .iter()
                .position(|(_, x)| is_broad_copy(x))
                .unwrap_or(after.len());
            let uncovered = uncovered_installs(cx, &after[..until], &installed);
            if let Some(first) = uncovered.first() {
                let fix = if onbuild {
                    Err("ONBUILD triggers are rewritten by hand".to_string())
                } else {
                    let installs: Vec<Install<'_>> = uncovered
                        .iter()
                        .map(|u| Install {
                            instr: u.0,
                            cmd: &u.1,
                            step: u.3.clone(),
                        })
                        .collect();
                    manifests_first::build(cx, i, &installs)
                };
                out.push(report(
                    cx,
                    i,
                    instr,
                    (first.0, first.1.span, &first.2),
                    &first.3,
                    fix,
                ));
            }
        }
        if pos >= last_copy {
            break;
        }
        for cmd in run_commands(instr) {
            if let Some(step) = step_at(cx, i, &cmd) {
                installed.push(Installed {
                    ecosystem: step.ecosystem,
                    files: absolute_files(cx, i, &step),
                    dir: cx.model.workdir.get(i).map_or("/", |w| &**w).to_string(),
                });
            }
        }
    }
}

fn absolute_files(cx: &Analysis<'_>, i: usize, step: &InstallStep) -> Vec<String> {
    let wd = cx.model.workdir.get(i).map_or("/", |w| &**w);
    step.files.iter().map(|f| join_path(wd, f)).collect()
}

/// The installs after the copy whose dependencies were not installed before it, in order:
/// (instruction, command, the command as written, the step).
fn uncovered_installs(
    cx: &Analysis<'_>,
    after: &[(usize, &Instruction)],
    installed: &[Installed],
) -> Vec<(usize, Command, String, InstallStep)> {
    let mut out = Vec::new();
    for &(j, instr) in after {
        for cmd in run_commands(instr) {
            let Some(step) = step_at(cx, j, &cmd) else {
                continue;
            };
            let files = absolute_files(cx, j, &step);
            let covered = installed
                .iter()
                .any(|done| done.covers(step.ecosystem, &files));
            if !covered {
                let text = command_text(cx, j, &cmd);
                out.push((j, cmd.into_owned(), text, step));
            }
        }
    }
    out
}

/// The command as written; for a command of an exec-form RUN or of a nested `sh -c` script
/// (whose words have no position of their own), its words joined.
fn command_text(cx: &Analysis<'_>, j: usize, cmd: &Command) -> String {
    let source = cx.instr(j).abs(cmd.span).of(cx.text);
    let nested = cmd.words.first().is_some_and(|w| w.span == cmd.span) && cmd.words.len() > 1;
    if nested || source.starts_with('[') || source.is_empty() {
        let words: Vec<&str> = cmd
            .assignments
            .iter()
            .chain(&cmd.words)
            .map(|w| w.value.as_str())
            .collect();
        words.join(" ")
    } else {
        source.to_string()
    }
}

/// The install step `cmd` is when instruction `i` runs it: `go build` downloads nothing when
/// the modules are vendored (`ENV GOFLAGS=-mod=vendor`, or a `vendor/modules.txt` in the
/// context, which Go uses by default).
fn step_at(cx: &Analysis<'_>, i: usize, cmd: &Command) -> Option<InstallStep> {
    let step = install_step(cmd)?;
    if step.ecosystem == Ecosystem::Go
        && args(cmd)
            .first()
            .is_some_and(|a| matches!(a.value.as_str(), "build" | "install"))
    {
        let env_vendor = cx
            .model
            .var_at(cx.tree, i, "GOFLAGS")
            .is_some_and(|v| is_vendor_goflags(&v));
        let vendor_dir = cx.context.exists("vendor/modules.txt") == Some(true);
        if env_vendor || vendor_dir {
            return None;
        }
    }
    // (an ONBUILD trigger runs in a child build, over the child's context)
    if cx.instr(i).keyword != Keyword::Onbuild
        && (declares_no_dependencies(cx, step.ecosystem)
            || (step.ecosystem == Ecosystem::Go && gopath_project(cx)))
    {
        return None;
    }
    Some(step)
}

/// Whether the context is a Go project without modules (GOPATH mode: `go get -d ./...` in
/// `/go/src/app`): Go files at its top and no go.mod there, so there is no manifest to copy
/// first (found by a blind evaluation: "copy `go.mod` first" on a project without one).
fn gopath_project(cx: &Analysis<'_>) -> bool {
    cx.context.exists("go.mod") == Some(false)
        && cx.context.entries("").is_some_and(|e| {
            e.iter()
                .any(|(name, folder)| !folder && name.ends_with(".go"))
        })
}

/// Whether the build context shows that the project has no third-party dependencies, so the
/// install has nothing to download and nothing to cache: a `go.mod` without a `require`; a
/// `Cargo.toml` that is not a workspace and lists no dependencies. Unknown (no
/// context, an unreadable manifest) is not "none".
fn declares_no_dependencies(cx: &Analysis<'_>, ecosystem: Ecosystem) -> bool {
    match ecosystem {
        // a go.mod without a `module` line is not one Go can read, and a missing one may lie in
        // a folder the build copies: both unknown
        Ecosystem::Go => cx.context.read("go.mod").is_some_and(|text| {
            let directive = |d: &str| text.lines().any(|l| l.trim_start().starts_with(d));
            directive("module") && !directive("require")
        }),
        Ecosystem::Cargo => {
            let Some(manifest) = cx
                .context
                .read("Cargo.toml")
                .and_then(|t| t.parse::<toml::Table>().ok())
            else {
                return false;
            };
            let has_deps = |table: &toml::Table| {
                ["dependencies", "build-dependencies"].iter().any(|k| {
                    table
                        .get(*k)
                        .and_then(toml::Value::as_table)
                        .is_some_and(|t| !t.is_empty())
                })
            };
            let targets_have_deps = manifest
                .get("target")
                .and_then(toml::Value::as_table)
                .is_some_and(|targets| {
                    targets
                        .values()
                        .filter_map(toml::Value::as_table)
                        .any(has_deps)
                });
            !manifest.contains_key("workspace") && !has_deps(&manifest) && !targets_have_deps
        }
        _ => false,
    }
}

/// The manifest files to copy first, by name, looked up in the build context when known.
#[must_use]
pub fn manifest_names(cx: &Analysis<'_>, step: &InstallStep) -> Vec<String> {
    let mut names: Vec<String> = step.files.clone();
    for (k, group) in step.ecosystem.manifests().iter().enumerate() {
        let found = group
            .iter()
            .find(|name| cx.context.exists(name) == Some(true));
        match found {
            Some(name) => names.push((*name).to_string()),
            // the main manifest is always needed; lock files only when the project has one
            // (or when the context is unknown)
            None if k == 0 || cx.context.exists(group[0]).is_none() => {
                names.push(group[0].to_string())
            }
            None => {}
        }
    }
    if names.is_empty() {
        names.push(match step.ecosystem {
            Ecosystem::Dotnet => "*.csproj".to_string(),
            other => format!("the {} manifest", other.name()),
        });
    }
    names
}

fn report(
    cx: &Analysis<'_>,
    i: usize,
    copy: &Instruction,
    (j, cmd_span, cmd_text): (usize, Span, &str),
    step: &InstallStep,
    fix: Result<crate::rules::Fix, String>,
) -> Diagnostic {
    let located = cx.instr(i);
    // for ONBUILD the subject is the inner COPY
    let span = Span::new(
        located.abs(copy.keyword_span).start,
        located.abs(copy.args_span).end,
    );
    let span = cx.range_on(i, span);
    let install = cx.instr(j).abs(cmd_span);
    let install_text = one_line(cmd_text);
    let line = cx.line_of(install.start) + 1;
    let names = manifest_names(cx, step);
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let (fix, why_not) = match fix {
        Ok(fix) => (Some(fix), String::new()),
        Err(reason) => (None, format!(" (no automatic fix: {reason})")),
    };
    Diagnostic::new(
        &META,
        span,
        format!(
            "copying the whole context before `{install_text}` (line {line}) makes every source edit re-run the dependency install; copy {list} first, install, then copy the rest{why_not}"
        ),
    )
    .related(install, format!("this install re-runs whenever any file in the context changes; it only needs {list}"))
    .with_fix(fix)
}

/// The command's text on one line, shortened for a message.
fn one_line(s: &str) -> String {
    let joined: String = s
        .split_whitespace()
        .filter(|w| *w != "\\" && *w != "`")
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() > 60 {
        let cut: String = joined.chars().take(57).collect();
        format!("{cut}...")
    } else {
        joined
    }
}
