//! Fix for `single-stage-toolchain`: extract a builder stage.
//!
//! ```text
//! FROM python:3.12-slim                  FROM python:3.12-slim AS builder
//! RUN apt-get ... gcc ...                RUN apt-get ... gcc ...
//! WORKDIR /app                           WORKDIR /app
//! COPY . .                        ->     COPY . .
//! RUN pip install --user -r req.txt      RUN pip install --user -r req.txt
//! CMD ["python", "app.py"]
//!                                        FROM python:3.12-slim
//!                                        COPY --from=builder /root/.local /root/.local
//!                                        ENV PATH=/root/.local/bin:$PATH
//!                                        WORKDIR /app
//!                                        COPY --from=builder /app /app
//!                                        CMD ["python", "app.py"]
//! ```
//!
//! The final stage becomes the builder; a new runtime stage on the same base (or a slim one
//! when the base is an SDK image) gets only what the application needs: the installed
//! dependencies (pip `--user` -> `/root/.local`, a virtualenv, pip into the system rewritten to
//! `--prefix=/install` on `python` images, `node_modules` inside the app folder), the built
//! artifacts (the `go build -o` binary, `target/release/<bin>`, the jar, the `dotnet publish`
//! output), the runtime OS packages (non-toolchain packages, and `libpq5` for `libpq-dev`...),
//! the ENV, ARG and user-creating RUNs, and the runtime instructions (USER, EXPOSE,
//! HEALTHCHECK, CMD, ENTRYPOINT...), which move out of the builder.
//!
//! Not offered (`Err` with the reason) when the artifacts cannot be determined: another
//! ecosystem, a `go build` without `-o`, a toolchain inherited from another stage, pip under a
//! non-root USER...

use super::{eol, instruction_lines, instruction_text};
use crate::model::commands::{
    install_step, package_name, pip_args, pkg_command, Ecosystem, PkgAction, PkgManager,
};
use crate::model::{join_path, ImageRef, Stage};
use crate::rules::{Analysis, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

pub const TITLE: &str = "Extract a builder stage";

/// Runtime libraries for `-dev` packages whose names do not depend on the distribution release.
const RUNTIME_LIBS: &[(&str, &str)] = &[
    ("libpq-dev", "libpq5"),
    ("zlib1g-dev", "zlib1g"),
    ("libjpeg62-turbo-dev", "libjpeg62-turbo"),
    ("libjpeg-dev", "libjpeg62-turbo"),
    ("libxml2-dev", "libxml2"),
    ("libxslt1-dev", "libxslt1.1"),
    ("libyaml-dev", "libyaml-0-2"),
    ("libsqlite3-dev", "libsqlite3-0"),
    ("libmariadb-dev", "libmariadb3"),
    ("default-libmysqlclient-dev", "libmariadb3"),
    ("libpng-dev", "libpng16-16"),
    ("libfreetype6-dev", "libfreetype6"),
    ("libgomp1", "libgomp1"),
    // Alpine
    ("postgresql-dev", "libpq"),
    ("libpq-dev:apk", "libpq"),
    ("zlib-dev", "zlib"),
    ("jpeg-dev", "libjpeg-turbo"),
    ("libjpeg-turbo-dev", "libjpeg-turbo"),
    ("libxml2-dev:apk", "libxml2"),
    ("libxslt-dev", "libxslt"),
    ("libffi-dev", "libffi"),
    ("yaml-dev", "yaml"),
    ("sqlite-dev", "sqlite-libs"),
    ("mariadb-dev", "mariadb-connector-c"),
    ("mariadb-connector-c-dev", "mariadb-connector-c"),
    ("libpng-dev:apk", "libpng"),
    ("freetype-dev", "freetype"),
];

/// What the runtime stage copies from the builder.
struct Plan {
    base: String,
    /// `(from, to)` paths copied from the builder.
    copies: Vec<(String, String)>,
    /// Extra ENV lines.
    env: Vec<String>,
    /// Edits to the builder stage besides the FROM (e.g. pip `--prefix`).
    edits: Vec<Edit>,
    /// The runtime stage runs on the builder's base: OS packages and app folders carry over.
    same_base: bool,
    /// Copy the folders the Dockerfile copies the application into.
    app_dirs: bool,
    /// The application runs on Python (so `python3` is a runtime package).
    runs_python: bool,
}

/// Build the fix. `is_toolchain` says which package names are build-only.
///
/// # Errors
/// The reason the artifacts cannot be determined.
pub fn build(cx: &Analysis<'_>, is_toolchain: &dyn Fn(&str) -> bool) -> Result<Fix, String> {
    super::parses(cx)?;
    let stage = cx.model.stages.last().ok_or("no stage")?;
    if !stage.is_final {
        return Err("the stage that ships is not the last one; move its toolchain into a builder stage by hand".into());
    }
    if let Some(parent) = stage.parent {
        let name = cx.model.stages[parent]
            .alias
            .as_deref()
            .unwrap_or("earlier");
        return Err(format!(
            "the shipped stage is built on the `{name}` stage, which other stages may share; split the toolchain off by hand"
        ));
    }
    let image = stage.image.as_ref().ok_or("the FROM has no image")?;
    let plan = plan(cx, stage, image)?;
    let text = cx.text;
    let nl = eol(text);
    let from = cx.instr(stage.from);
    let Args::From {
        image: image_word,
        alias,
    } = &from.args
    else {
        return Err("the FROM has no image".into());
    };
    let builder = match alias {
        Some(a) => a.value.clone(),
        None => {
            let taken = |n: &str| {
                cx.model
                    .stages
                    .iter()
                    .any(|s| s.alias.as_deref() == Some(n))
            };
            ["builder", "build", "build-stage"]
                .into_iter()
                .map(str::to_string)
                .chain((2..).map(|k| format!("builder-{k}")))
                .find(|n| !taken(n))
                .unwrap_or_default()
        }
    };
    let mut edits = plan.edits;
    if alias.is_none() {
        edits.push(Edit {
            span: Span::empty(from.abs(image_word.span).end),
            text: format!(" AS {builder}"),
        });
    }

    let body: Vec<usize> = stage.body.clone().collect();
    let last_run = body
        .iter()
        .rev()
        .find(|&&i| cx.instr(i).keyword == Keyword::Run)
        .copied();
    let mut runtime_tail: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut envs: Vec<String> = Vec::new();
    let mut users: Vec<String> = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    let mut manager: Option<PkgManager> = None;
    for &i in &body {
        let l = cx.instr(i);
        let before_last_run = last_run.is_some_and(|r| i < r);
        match l.keyword {
            Keyword::Arg => args.push(instruction_text(text, l).trim_start().to_string()),
            Keyword::Env => envs.push(instruction_text(text, l).trim_start().to_string()),
            Keyword::Cmd
            | Keyword::Entrypoint
            | Keyword::Expose
            | Keyword::Healthcheck
            | Keyword::Label
            | Keyword::Stopsignal => {
                runtime_tail.push(instruction_text(text, l).trim_start().to_string());
                edits.push(Edit {
                    span: instruction_lines(text, l),
                    text: String::new(),
                });
            }
            Keyword::User | Keyword::Volume => {
                runtime_tail.push(instruction_text(text, l).trim_start().to_string());
                if !before_last_run {
                    edits.push(Edit {
                        span: instruction_lines(text, l),
                        text: String::new(),
                    });
                }
            }
            Keyword::Run => {
                let cmds: Vec<_> = l.commands().collect();
                if !cmds.is_empty()
                    && cmds.iter().all(|c| {
                        matches!(
                            c.program(),
                            Some("useradd" | "groupadd" | "adduser" | "addgroup" | "usermod")
                        )
                    })
                {
                    users.push(instruction_text(text, l).trim_start().to_string());
                }
                for c in &cmds {
                    let Some(pkg) = pkg_command(c) else { continue };
                    if pkg.action != PkgAction::Install {
                        continue;
                    }
                    manager = Some(pkg.manager);
                    // an interpreter installed with a compiler in an image that does not run it
                    // (python3 for node-gyp in a node image) is a build tool too
                    let builds = pkg
                        .packages
                        .iter()
                        .any(|w| is_toolchain(package_name(&w.value)));
                    for w in &pkg.packages {
                        let name = package_name(&w.value);
                        if name.starts_with('$') || name.starts_with('-') {
                            continue;
                        }
                        if builds
                            && !plan.runs_python
                            && matches!(name, "python3" | "python" | "python-is-python3")
                        {
                            continue;
                        }
                        let keep = if is_toolchain(name) {
                            runtime_lib(name, pkg.manager).map(str::to_string)
                        } else {
                            Some(name.to_string())
                        };
                        if let Some(p) = keep {
                            if !packages.contains(&p) {
                                packages.push(p);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // the runtime stage
    let mut out: Vec<String> = vec![format!("FROM {}", plan.base)];
    out.extend(args);
    if plan.same_base && !packages.is_empty() {
        out.push(match manager {
            Some(PkgManager::Apk) => format!("RUN apk add --no-cache {}", packages.join(" ")),
            Some(PkgManager::Apt) => format!(
                "RUN apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
                packages.join(" ")
            ),
            _ => return Err("the runtime packages come from a package manager layerwise cannot rewrite".into()),
        });
    }
    // an ENV the plan needs that the stage already sets (`PATH=/root/.local/bin:$PATH`) once
    let plan_env: Vec<String> = plan
        .env
        .into_iter()
        .filter(|e| {
            !envs
                .iter()
                .any(|x| x.split_whitespace().eq(e.split_whitespace()))
        })
        .collect();
    out.extend(envs);
    out.extend(plan_env);
    out.extend(users);
    let workdir = cx
        .model
        .workdir
        .get(*body.last().unwrap_or(&stage.from))
        .cloned()
        .unwrap_or_default();
    let sets_workdir = body
        .iter()
        .any(|&i| cx.instr(i).keyword == Keyword::Workdir);
    if sets_workdir {
        out.push(format!("WORKDIR {workdir}"));
    }
    let chown = app_chown(cx, stage);
    let mut lines: Vec<String> = plan
        .copies
        .iter()
        .map(|(from, to)| format!("COPY --from={builder} {from} {to}"))
        .collect();
    if plan.app_dirs {
        // the application keeps the ownership its COPY gave it; installed artifacts stay root's
        for dir in app_dirs(cx, stage)? {
            if !plan.copies.iter().any(|(from, _)| within(&dir, from)) {
                lines.push(format!("COPY --from={builder}{chown} {dir} {dir}"));
            }
        }
    }
    if lines.is_empty() {
        return Err("cannot tell which files the application needs at run time".into());
    }
    out.extend(lines);
    out.extend(runtime_tail);

    let end = text.len();
    let mut appended = String::new();
    if !text.ends_with('\n') {
        appended.push_str(nl);
    }
    appended.push_str(nl);
    for line in out {
        appended.push_str(&line);
        appended.push_str(nl);
    }
    edits.push(Edit {
        span: Span::empty(end),
        text: appended,
    });
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    super::verified(
        cx,
        Fix::unsafe_edit(TITLE, edits),
        &super::equivalence::Allowance {
            added_options: vec!["--prefix=/install".into()],
            runtime_stage: true,
            drops_sources: !plan.app_dirs,
            ..super::equivalence::Allowance::default()
        },
    )
}

fn runtime_lib(dev: &str, manager: PkgManager) -> Option<&'static str> {
    let apk_key = format!("{dev}:apk");
    RUNTIME_LIBS
        .iter()
        .find(|(d, _)| {
            if manager == PkgManager::Apk {
                *d == apk_key || *d == dev
            } else {
                *d == dev
            }
        })
        .map(|(_, r)| *r)
}

/// `--chown=...` of the application copies, to keep file ownership in the runtime stage.
fn app_chown(cx: &Analysis<'_>, stage: &Stage) -> String {
    stage
        .body
        .clone()
        .filter_map(|i| cx.instr(i).flag("chown").and_then(|f| f.value.clone()))
        .next_back()
        .map_or_else(String::new, |v| format!(" --chown={v}"))
}

/// The absolute folders the application is copied into from the context (outermost only).
fn app_dirs(cx: &Analysis<'_>, stage: &Stage) -> Result<Vec<String>, String> {
    let mut dirs: Vec<String> = Vec::new();
    for i in stage.body.clone() {
        let l = cx.instr(i);
        if !matches!(l.keyword, Keyword::Copy | Keyword::Add) || l.flag("from").is_some() {
            continue;
        }
        let Args::Copy { sources, dest, .. } = &l.args else {
            continue;
        };
        let d = cx
            .model
            .expand_at(cx.tree, i, &dest.value)
            .ok_or("a COPY destination uses a variable with no known value")?;
        let abs = join_path(&cx.model.workdir[i], &d);
        // a file copied to a path: its folder
        let dir = if sources.len() == 1
            && !d.ends_with('/')
            && d != "."
            && sources[0].value != "."
            && sources[0].value.contains('.')
            && !sources[0].value.ends_with('/')
        {
            abs.rsplit_once('/').map_or("/".to_string(), |(p, _)| {
                if p.is_empty() {
                    "/".to_string()
                } else {
                    p.to_string()
                }
            })
        } else {
            abs
        };
        if dir == "/" {
            return Err("the application is copied into `/`".into());
        }
        dirs.push(dir);
    }
    let mut outer: Vec<String> = Vec::new();
    for d in &dirs {
        if dirs.iter().any(|o| o != d && within(d, o)) {
            continue;
        }
        if !outer.contains(d) {
            outer.push(d.clone());
        }
    }
    Ok(outer)
}

fn within(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Decide the runtime base and the artifacts from the stage's installs and builds.
fn plan(cx: &Analysis<'_>, stage: &Stage, image: &ImageRef) -> Result<Plan, String> {
    let path = image
        .path()
        .ok_or("the base image uses a variable with no known value")?;
    let tag = image.tag().unwrap_or_default();
    let raw = image.raw.clone();
    let mut installs: Vec<(usize, Ecosystem)> = Vec::new();
    let mut user_before: Vec<usize> = Vec::new();
    for i in stage.body.clone() {
        let l = cx.instr(i);
        if l.keyword == Keyword::User {
            user_before.push(i);
        }
        for c in l.commands() {
            if let Some(step) = install_step(c) {
                installs.push((i, step.ecosystem));
            }
        }
    }
    let has = |e: &[Ecosystem]| installs.iter().any(|(_, x)| e.contains(x));
    let slim = |base: &str| Plan {
        base: base.to_string(),
        copies: Vec::new(),
        env: Vec::new(),
        edits: Vec::new(),
        same_base: false,
        app_dirs: false,
        runs_python: false,
    };

    match path.as_str() {
        "golang" => {
            let out = go_output(cx, stage)?;
            let base = if tag.contains("alpine") {
                "alpine:3.20"
            } else {
                "debian:bookworm-slim"
            };
            let mut p = slim(base);
            p.copies.push((
                "/etc/ssl/certs/ca-certificates.crt".into(),
                "/etc/ssl/certs/ca-certificates.crt".into(),
            ));
            p.copies.push((out.clone(), out));
            return Ok(p);
        }
        "rust" => {
            let bin = cargo_binary(cx, stage)?;
            let mut p = slim("debian:bookworm-slim");
            p.copies.push((
                "/etc/ssl/certs/ca-certificates.crt".into(),
                "/etc/ssl/certs/ca-certificates.crt".into(),
            ));
            p.copies.push((bin.clone(), bin));
            return Ok(p);
        }
        "maven" | "gradle" => {
            let jdk = tag.split(['-', '_']).find_map(|part| {
                part.strip_prefix("jdk")
                    .or(part.strip_prefix("temurin").filter(|_| false))
                    .and_then(|n| n.parse::<u32>().ok())
            });
            let jdk = jdk.or_else(|| {
                // `3.9.6-eclipse-temurin-17`
                let parts: Vec<&str> = tag.split('-').collect();
                parts
                    .windows(2)
                    .find(|w| w[0] == "temurin")
                    .and_then(|w| w[1].parse::<u32>().ok())
            });
            let Some(jdk) = jdk else {
                return Err(format!(
                    "cannot tell the JDK version of `{raw}` for a JRE runtime image"
                ));
            };
            let wd = &cx.model.workdir[stage.body.end.saturating_sub(1).max(stage.from)];
            let jar_dir = if path == "maven" {
                "target"
            } else {
                "build/libs"
            };
            let mut p = slim(&format!("eclipse-temurin:{jdk}-jre"));
            p.copies.push((
                format!("{}/{jar_dir}/*.jar", wd.trim_end_matches('/')),
                format!("{}/{jar_dir}/", wd.trim_end_matches('/')),
            ));
            return Ok(p);
        }
        "dotnet/sdk" | "dotnet/core/sdk" => {
            let out = dotnet_output(cx, stage)?;
            let mut p = slim(&format!("mcr.microsoft.com/dotnet/aspnet:{tag}"));
            p.copies.push((out.clone(), out));
            return Ok(p);
        }
        _ => {}
    }

    let runs_python = path == "python"
        || has(&[
            Ecosystem::Pip,
            Ecosystem::Poetry,
            Ecosystem::Pipenv,
            Ecosystem::Uv,
            Ecosystem::UvPip,
            Ecosystem::Pdm,
            Ecosystem::Conda,
        ])
        || pip_installs(cx, stage).next().is_some();
    let same = |copies: Vec<(String, String)>, env: Vec<String>, edits: Vec<Edit>| Plan {
        base: raw.clone(),
        copies,
        env,
        edits,
        same_base: true,
        app_dirs: true,
        runs_python,
    };
    if has(&[Ecosystem::Pip]) || pip_installs(cx, stage).next().is_some() {
        let pips: Vec<(usize, Vec<String>, Span)> = pip_installs(cx, stage).collect();
        if pips
            .iter()
            .any(|(i, _, _)| user_before.iter().any(|u| u < i))
        {
            return Err("pip installs as a non-root USER, whose home folder is unknown".into());
        }
        if pips
            .iter()
            .all(|(_, args, _)| args.iter().any(|a| a == "--user"))
        {
            return Ok(same(
                vec![("/root/.local".into(), "/root/.local".into())],
                vec!["ENV PATH=/root/.local/bin:$PATH".into()],
                Vec::new(),
            ));
        }
        if let Some(venv) = venv(cx, stage) {
            return Ok(same(vec![(venv.clone(), venv)], Vec::new(), Vec::new()));
        }
        if path == "python"
            && pips.iter().all(|(_, args, _)| {
                !args.iter().any(|a| {
                    a.starts_with("--prefix")
                        || a.starts_with("--target")
                        || a == "--user"
                        || a == "-t"
                })
            })
        {
            let edits = pips
                .iter()
                .map(|(_, _, install)| Edit {
                    span: Span::empty(install.end),
                    text: " --prefix=/install".into(),
                })
                .collect();
            return Ok(same(
                vec![("/install".into(), "/usr/local".into())],
                Vec::new(),
                edits,
            ));
        }
        return Err("cannot tell where pip installs the packages (use `--user`, a virtualenv or a `python` base image)".into());
    }
    if has(&[
        Ecosystem::Npm,
        Ecosystem::Yarn,
        Ecosystem::Pnpm,
        Ecosystem::Bun,
    ]) {
        return Ok(same(Vec::new(), Vec::new(), Vec::new()));
    }
    if has(&[Ecosystem::Bundler]) && path == "ruby" {
        return Ok(same(
            vec![("/usr/local/bundle".into(), "/usr/local/bundle".into())],
            Vec::new(),
            Vec::new(),
        ));
    }
    Err("cannot tell which files the build produces for this kind of project".into())
}

/// Every `pip install` of the stage: (instruction, its arguments, the span of the `install` word).
fn pip_installs<'a>(
    cx: &'a Analysis<'_>,
    stage: &Stage,
) -> impl Iterator<Item = (usize, Vec<String>, Span)> + 'a {
    stage.body.clone().flat_map(move |i| {
        let l = cx.instr(i);
        // only RUNs install (a shell-form CMD that mentions `pip install` runs at start-up)
        let run = l.keyword == crate::syntax::Keyword::Run;
        l.commands()
            .filter(move |_| run)
            .filter_map(|c| {
                let args = pip_args(c)?;
                let install = args.iter().find(|a| !a.value.starts_with('-'))?;
                (install.value == "install").then(|| {
                    (
                        i,
                        args.iter().map(|a| a.value.clone()).collect(),
                        l.abs(install.span),
                    )
                })
            })
            .collect::<Vec<_>>()
    })
}

/// The virtualenv the stage creates (`python -m venv /opt/venv`, `virtualenv /venv`).
fn venv(cx: &Analysis<'_>, stage: &Stage) -> Option<String> {
    for i in stage.body.clone() {
        for c in cx.instr(i).commands() {
            let words: Vec<&str> = c.argv().iter().map(|w| w.value.as_str()).collect();
            let dir = match words.as_slice() {
                [p, "-m", "venv", rest @ ..] if p.starts_with("python") => {
                    rest.iter().find(|a| !a.starts_with('-')).copied()
                }
                ["virtualenv", rest @ ..] => rest.iter().find(|a| !a.starts_with('-')).copied(),
                _ => None,
            };
            if let Some(d) = dir {
                return Some(join_path(&cx.model.workdir[i], d));
            }
        }
    }
    None
}

/// The `-o` of the stage's `go build`.
fn go_output(cx: &Analysis<'_>, stage: &Stage) -> Result<String, String> {
    for i in stage.body.clone() {
        for c in cx.instr(i).commands() {
            let words: Vec<&str> = c.argv().iter().map(|w| w.value.as_str()).collect();
            if words.first() != Some(&"go") || words.get(1) != Some(&"build") {
                continue;
            }
            if let Some(k) = words.iter().position(|w| *w == "-o") {
                if let Some(o) = words.get(k + 1) {
                    return Ok(join_path(&cx.model.workdir[i], o));
                }
            }
            if let Some(o) = words.iter().find_map(|w| w.strip_prefix("-o=")) {
                return Ok(join_path(&cx.model.workdir[i], o));
            }
        }
    }
    Err("cannot tell where `go build` writes the binary; add `-o /path/to/binary`".into())
}

/// `target/release/<bin>` of the stage's `cargo build --release`.
fn cargo_binary(cx: &Analysis<'_>, stage: &Stage) -> Result<String, String> {
    for i in stage.body.clone() {
        for c in cx.instr(i).commands() {
            let words: Vec<&str> = c.argv().iter().map(|w| w.value.as_str()).collect();
            if words.first() != Some(&"cargo") || !words.contains(&"build") {
                continue;
            }
            if !words.contains(&"--release") && !words.contains(&"-r") {
                return Err("`cargo build` without `--release` builds a debug binary".into());
            }
            let wd = &cx.model.workdir[i];
            let name = match words.iter().position(|w| *w == "--bin") {
                Some(k) => words.get(k + 1).map(|s| (*s).to_string()),
                None => package_name_of(cx, wd, stage),
            };
            let Some(name) = name else {
                return Err("cannot tell the binary's name; add `--bin <name>`".into());
            };
            return Ok(format!(
                "{}/target/release/{name}",
                wd.trim_end_matches('/')
            ));
        }
    }
    Err("no `cargo build --release` in the stage".into())
}

/// `[package] name` of the Cargo.toml the stage copies from the context root.
fn package_name_of(cx: &Analysis<'_>, _wd: &str, _stage: &Stage) -> Option<String> {
    let manifest = cx.context.read("Cargo.toml")?;
    let table: toml::Table = manifest.parse().ok()?;
    table
        .get("package")?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

/// The `-o` of the stage's `dotnet publish`.
fn dotnet_output(cx: &Analysis<'_>, stage: &Stage) -> Result<String, String> {
    for i in stage.body.clone() {
        for c in cx.instr(i).commands() {
            let words: Vec<&str> = c.argv().iter().map(|w| w.value.as_str()).collect();
            if words.first() != Some(&"dotnet") || words.get(1) != Some(&"publish") {
                continue;
            }
            if let Some(k) = words.iter().position(|w| *w == "-o" || *w == "--output") {
                if let Some(o) = words.get(k + 1) {
                    return Ok(join_path(&cx.model.workdir[i], o));
                }
            }
        }
    }
    Err("cannot tell where `dotnet publish` writes; add `-o /app`".into())
}
