use super::{declare_rule, Analysis, Diagnostic};
use std::borrow::Cow;

use crate::model::commands::{
    args, is_apt_mark_auto, package_name, pkg_command, program, run_commands, PkgAction,
    PkgManager,
};
use crate::syntax::shell::Command;
use crate::model::Stage;
use crate::syntax::instruction::{Form, Keyword};
use crate::syntax::shell::basename;
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds build-only toolchains in the stages that ship in the final image:
    /// - a `RUN` that installs compilers, build tools, `-dev` headers, `git` or a language
    ///   toolchain (`apt-get install`, `apk add`, `dnf install`, a `curl | sh` rustup install)
    ///   and does not remove them in the same `RUN`;
    /// - a shipped stage whose base image is an SDK (`golang`, `rust`, `maven`, `gradle`, `gcc`,
    ///   `mcr.microsoft.com/dotnet/sdk`), reported on its `FROM`.
    ///
    /// `nodejs`/`npm` count only when the image does not run Node. Runtime libraries (`libpq5`,
    /// `libssl3`), the language runtime itself, and images whose purpose is the toolchain (dev
    /// containers) are not findings. Removing the packages in a later `RUN` does not help: the
    /// files stay in the earlier layer.
    ///
    /// ## Why is this bad?
    /// Compilers and headers are hundreds of megabytes the application never uses at run time,
    /// shipped to every host and scanned for vulnerabilities forever.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \
    ///     && rm -rf /var/lib/apt/lists/*
    /// COPY requirements.txt .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \
    ///     && rm -rf /var/lib/apt/lists/*
    /// COPY requirements.txt .
    /// RUN pip install --no-cache-dir --prefix=/install -r requirements.txt
    ///
    /// FROM python:3.12-slim
    /// RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \
    ///     && rm -rf /var/lib/apt/lists/*
    /// COPY --from=builder /install /usr/local
    /// ```
    pub struct SingleStageToolchain {
        id: "single-stage-toolchain",
        severity: Warning,
        summary: "Compilers, headers or an SDK in the shipped image: build in a builder stage",
        hadolint: [],
        buildkit: [],
    }
}

/// SDK images (path without registry) and what a runtime stage would use instead.
const SDK_IMAGES: &[(&str, &str)] = &[
    ("golang", "a `gcr.io/distroless/static` or `debian:*-slim` runtime stage that gets only the binary"),
    ("rust", "a `debian:*-slim` runtime stage that gets only `target/release/<bin>`"),
    ("maven", "a JRE runtime stage (`eclipse-temurin:*-jre`) that gets only the jar"),
    ("gradle", "a JRE runtime stage (`eclipse-temurin:*-jre`) that gets only the jar"),
    ("gcc", "a slim runtime stage that gets only the built binary"),
    ("dotnet/sdk", "an `mcr.microsoft.com/dotnet/aspnet` or `runtime` stage that gets only the published output"),
    ("dotnet/core/sdk", "an `mcr.microsoft.com/dotnet/aspnet` or `runtime` stage that gets only the published output"),
];

const TOOLCHAIN: &[&str] = &[
    "gcc",
    "g++",
    "gcc-c++",
    "cc",
    "c++",
    "cpp",
    "clang",
    "llvm",
    "build-essential",
    "build-base",
    "make",
    "cmake",
    "ninja-build",
    "ninja",
    "autoconf",
    "automake",
    "libtool",
    "pkg-config",
    "pkgconf",
    "pkgconfig",
    "musl-dev",
    "linux-headers",
    "git",
    "golang",
    "golang-go",
    "go",
    "rustc",
    "cargo",
    "rustup",
    "maven",
    "gradle",
    "gfortran",
    "bison",
    "flex",
    "nasm",
    "yasm",
    "$PHPIZE_DEPS",
    "${PHPIZE_DEPS}",
    "binutils",
    "ant",
];

/// Programs that mean the image runs Node.
const NODE_PROGRAMS: &[&str] = &[
    "node",
    "nodejs",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "bun",
    "nodemon",
    "pm2",
    "pm2-runtime",
    "next",
    "ts-node",
    "tsx",
];

/// What the final image runs, for the packages that are toolchain only when unused at run time.
struct Runtime {
    node: bool,
    java: bool,
}

fn is_jdk(name: &str) -> bool {
    (name.starts_with("openjdk") && !name.contains("jre"))
        || name == "default-jdk"
        || name == "default-jdk-headless"
        || (name.contains("openjdk") && name.ends_with("-devel"))
        || name.ends_with("-jdk")
        || name.ends_with("-jdk-headless")
}

/// Whether a package (version pin removed) is a build-only toolchain.
fn is_toolchain(name: &str, runtime: &Runtime) -> bool {
    if TOOLCHAIN.contains(&name) {
        return true;
    }
    let versioned = |base: &str| {
        name.strip_prefix(base)
            .and_then(|r| r.strip_prefix('-').or(Some(r)))
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    };
    if ["gcc", "g++", "clang", "llvm", "cpp"]
        .iter()
        .any(|b| versioned(b))
    {
        return true;
    }
    if name.ends_with("-dev") || name.ends_with("-devel") || name.starts_with("linux-headers") {
        return true;
    }
    if is_jdk(name) {
        return !runtime.java;
    }
    if matches!(name, "nodejs" | "npm" | "yarn" | "nodejs-npm") {
        return !runtime.node;
    }
    false
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    if is_toolchain_image(cx) {
        return;
    }
    let runtime = runtime(cx);
    for stage in cx.model.stages.iter().filter(|s| s.shipped) {
        check_base_image(stage, out);
        for i in stage.body.clone() {
            check_run(cx, i, &runtime, out);
        }
    }
}

fn check_base_image(stage: &Stage, out: &mut Vec<Diagnostic>) {
    if stage.parent.is_some() {
        return;
    }
    let Some(image) = &stage.image else { return };
    let Some(path) = image.path() else { return };
    let Some((_, instead)) = SDK_IMAGES.iter().find(|(sdk, _)| *sdk == path) else {
        return;
    };
    let shown = image.resolved.as_deref().unwrap_or(&image.raw);
    out.push(Diagnostic::new(
        &META,
        image.span,
        format!(
            "`{shown}` is a build SDK and it is the base of the shipped image, so its compilers ship too; build in this stage (`AS builder`) and add {instead}"
        ),
    ));
}

/// A toolchain package installed by a RUN.
struct Installed {
    name: String,
    /// The package word (or the download command).
    span: Span,
    /// Start of the command that installs it.
    command_start: usize,
    /// apk `--virtual` name of the install.
    virtual_name: Option<String>,
    /// The word as written, when it is a variable (`$buildDeps`).
    word: String,
}

fn check_run(cx: &Analysis<'_>, i: usize, runtime: &Runtime, out: &mut Vec<Diagnostic>) {
    let located = cx.instr(i);
    if located.keyword != Keyword::Run {
        return;
    }
    let commands = run_commands(located);
    let shell_text = located.span().of(cx.text);
    let mut installed: Vec<Installed> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut apt_mark_auto = false;
    let mut apt_auto_remove = false;
    for cmd in &commands {
        apt_mark_auto |= is_apt_mark_auto(cmd);
        let Some(pkg) = pkg_command(cmd) else { continue };
        match pkg.action {
            PkgAction::Install => {
                for word in &pkg.packages {
                    for name in package_names(cx, i, shell_text, &word.value) {
                        let toolchain = if pkg.group {
                            is_toolchain_group(&name)
                        } else {
                            is_toolchain(&name, runtime)
                        };
                        if toolchain {
                            installed.push(Installed {
                                name,
                                span: located.abs(word.span),
                                command_start: located.abs(cmd.span).start,
                                virtual_name: pkg.virtual_name.map(str::to_string),
                                word: word.value.clone(),
                            });
                        }
                    }
                }
            }
            PkgAction::Remove => {
                apt_auto_remove |= pkg.manager == PkgManager::Apt && pkg.auto_remove;
                for word in &pkg.packages {
                    removed.push(word.value.clone());
                    removed.extend(package_names(cx, i, shell_text, &word.value));
                }
            }
            PkgAction::Update => {}
        }
    }
    if let Some((span, what, uninstall)) = curl_pipe_toolchain(&commands) {
        if !uninstall {
            let span = located.abs(span);
            installed.push(Installed {
                name: what.to_string(),
                span,
                command_start: span.start,
                virtual_name: None,
                word: String::new(),
            });
        }
    }
    // `apt-mark auto '.*'` + `apt-get purge --auto-remove`: everything installed is removed
    if apt_mark_auto && apt_auto_remove {
        return;
    }
    installed.retain(|p| {
        !removed.contains(&p.name)
            && !(p.word.contains('$') && removed.contains(&p.word))
            && !p.virtual_name.as_ref().is_some_and(|v| removed.contains(v))
    });
    let Some(first) = installed.iter().map(|p| p.command_start).min() else {
        return;
    };
    let last = installed.iter().map(|p| p.span.end).max().unwrap_or(first);
    let mut names: Vec<&str> = Vec::new();
    for p in &installed {
        if !names.contains(&p.name.as_str()) {
            names.push(&p.name);
        }
    }
    let shown: Vec<String> = names.iter().take(6).map(|n| format!("`{n}`")).collect();
    let more = if names.len() > 6 {
        format!(" and {} more", names.len() - 6)
    } else {
        String::new()
    };
    let (verb, pronoun) = if names.len() == 1 { ("stays", "it") } else { ("stay", "them") };
    let mut d = Diagnostic::new(
        &META,
        cx.range_on(i, Span::new(first, last.max(first))),
        format!(
            "{}{more} {verb} in the shipped image because this RUN never removes {pronoun}, adding build-only weight and attack surface; build in a builder stage and copy only the output with `COPY --from`",
            shown.join(", ")
        ),
    );
    for p in &installed {
        d = d.related(p.span, format!("`{}` is only needed to build", p.name));
    }
    out.push(d);
}

/// The package names a package word stands for: itself without its version pin, or the
/// words of a variable it expands (`$buildDeps` from an assignment in the RUN, an ENV or ARG).
fn package_names(cx: &Analysis<'_>, i: usize, shell_text: &str, word: &str) -> Vec<String> {
    if word.contains('$') && !matches!(word, "$PHPIZE_DEPS" | "${PHPIZE_DEPS}") {
        let name = word.trim_start_matches('$').trim_start_matches('{').trim_end_matches('}');
        let value = shell_assignment(shell_text, name).or_else(|| cx.model.var_at(cx.tree, i, name));
        if let Some(value) = value {
            return value
                .split_whitespace()
                .filter(|w| !w.starts_with('-') && *w != "\\")
                .map(|w| package_name(w).to_string())
                .collect();
        }
    }
    vec![package_name(word).to_string()]
}

/// The value of `NAME=value` / `NAME="a b"` assigned in the shell text (`buildDeps='gcc make'`).
fn shell_assignment(text: &str, name: &str) -> Option<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let pattern = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = text[from..].find(&pattern) {
        let at = from + pos;
        from = at + pattern.len();
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| !(c.is_whitespace() || matches!(c, ';' | '&' | '|' | '('))) {
            continue;
        }
        let rest = &text[from..];
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].find(q).map(|end| &rest[1..=end])?,
            _ => rest.split(|c: char| c.is_whitespace() || c == ';').next().unwrap_or(""),
        };
        // a value spread over continuation lines keeps its `\` separators
        return Some(value.replace("\\\n", " ").replace("\\\r\n", " "));
    }
    None
}

/// A package group of `dnf groupinstall` that is a build toolchain ("Development Tools").
fn is_toolchain_group(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("development") || n.contains("build")
}

/// A download of a language toolchain: `curl https://sh.rustup.rs | sh`, a Go release
/// tarball. The flag says the same RUN uninstalls it again (`rustup self uninstall`,
/// `rm -rf /usr/local/go`).
fn curl_pipe_toolchain(commands: &[Cow<'_, Command>]) -> Option<(Span, &'static str, bool)> {
    let uninstalled = |what: &str| {
        commands.iter().any(|c| match (what, program(c)) {
            ("rustup", Some("rustup")) => args(c).iter().any(|a| a.value == "uninstall"),
            ("rustup", Some("rm")) => args(c).iter().any(|a| a.value.trim_end_matches('/').ends_with(".rustup")),
            ("go", Some("rm")) => args(c).iter().any(|a| a.value.trim_end_matches('/') == "/usr/local/go"),
            _ => false,
        })
    };
    for cmd in commands {
        if !matches!(program(cmd), Some("curl" | "wget")) {
            continue;
        }
        let Some(url) = args(cmd).iter().find(|a| a.value.contains("://")) else { continue };
        let url = url.value.as_str();
        if url.contains("rustup") {
            return Some((cmd.span, "rustup", uninstalled("rustup")));
        }
        if url.contains("go.dev/dl/go") || url.contains("golang.org/dl/go") || url.contains("dl.google.com/go/go") {
            return Some((cmd.span, "go", uninstalled("go")));
        }
    }
    None
}

/// What the final image runs, for the packages that are toolchain only when unused at run time.
struct Runtime {
    node: bool,
    java: bool,
}

fn is_jdk(name: &str) -> bool {
    (name.starts_with("openjdk") && !name.contains("jre"))
        || name == "default-jdk"
        || name == "default-jdk-headless"
        || (name.contains("openjdk") && name.ends_with("-devel"))
        || name.ends_with("-jdk")
        || name.ends_with("-jdk-headless")
}

/// Whether a package (version pin removed) is a build-only toolchain.
fn is_toolchain(name: &str, runtime: &Runtime) -> bool {
    if TOOLCHAIN.contains(&name) {
        return true;
    }
    let versioned = |base: &str| {
        name.strip_prefix(base)
            .and_then(|r| r.strip_prefix('-').or(Some(r)))
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    };
    if ["gcc", "g++", "clang", "llvm", "cpp"]
        .iter()
        .any(|b| versioned(b))
    {
        return true;
    }
    if name.ends_with("-dev") || name.ends_with("-devel") || name.starts_with("linux-headers") {
        return true;
    }
    if is_jdk(name) {
        return !runtime.java;
    }
    if matches!(name, "nodejs" | "npm" | "yarn" | "nodejs-npm") {
        return !runtime.node;
    }
    false
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    if is_toolchain_image(cx) {
        return;
    }
    let runtime = runtime(cx);
    for stage in cx.model.stages.iter().filter(|s| s.shipped) {
        check_base_image(stage, out);
        for i in stage.body.clone() {
            check_run(cx, i, &runtime, out);
        }
    }
}

fn check_base_image(stage: &Stage, out: &mut Vec<Diagnostic>) {
    if stage.parent.is_some() {
        return;
    }
    let Some(image) = &stage.image else { return };
    let Some(path) = image.path() else { return };
    let Some((_, instead)) = SDK_IMAGES.iter().find(|(sdk, _)| *sdk == path) else {
        return;
    };
    let shown = image.resolved.as_deref().unwrap_or(&image.raw);
    out.push(Diagnostic::new(
        &META,
        image.span,
        format!(
            "`{shown}` is a build SDK and it is the base of the shipped image, so its compilers ship too; build in this stage (`AS builder`) and add {instead}"
        ),
    ));
}

fn check_run(cx: &Analysis<'_>, i: usize, runtime: &Runtime, out: &mut Vec<Diagnostic>) {
    let located = cx.instr(i);
    if located.keyword != Keyword::Run {
        return;
    }
    let mut installed: Vec<(String, Span, Option<String>)> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut first_install: Option<Span> = None;
    for cmd in located.commands() {
        if let Some(pkg) = pkg_command(cmd) {
            match pkg.action {
                PkgAction::Install => {
                    for word in &pkg.packages {
                        let name = package_name(&word.value);
                        if is_toolchain(name, runtime) {
                            first_install.get_or_insert(located.abs(cmd.span));
                            installed.push((
                                name.to_string(),
                                located.abs(word.span),
                                pkg.virtual_name.map(str::to_string),
                            ));
                        }
                    }
                }
                PkgAction::Remove => removed.extend(
                    pkg.packages
                        .iter()
                        .map(|w| package_name(&w.value).to_string()),
                ),
                PkgAction::Update => {}
            }
        }
    }
    if let Some((span, what)) = curl_pipe_toolchain(cx, i) {
        first_install.get_or_insert(span);
        installed.push((what.to_string(), span, None));
    }
    installed.retain(|(name, _, virt)| {
        !removed.contains(name) && !virt.as_ref().is_some_and(|v| removed.contains(v))
    });
    let (Some(first), Some(last)) = (first_install, installed.last()) else {
        return;
    };
    let mut names: Vec<&str> = Vec::new();
    for (name, _, _) in &installed {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let shown: Vec<String> = names.iter().take(6).map(|n| format!("`{n}`")).collect();
    let more = if names.len() > 6 {
        format!(" and {} more", names.len() - 6)
    } else {
        String::new()
    };
    let subject = Span::new(first.start, last.1.end.max(first.start));
    let mut d = Diagnostic::new(
        &META,
        cx.range_on(i, subject),
        if names.len() == 1 {
            format!(
                "{} stays in the shipped image because this RUN never removes it; install and use it in a builder stage and copy only the build output with `COPY --from=builder`",
                shown.join(", ")
            )
        } else {
            format!(
                "{}{more} stay in the shipped image because this RUN never removes them; install and use them in a builder stage and copy only the build output with `COPY --from=builder`",
                shown.join(", ")
            )
        },
    );
    for (name, span, _) in &installed {
        d = d.related(*span, format!("`{name}` is only needed to build"));
    }
    out.push(d);
}

/// `curl ... rustup ... | sh`, or a Go toolchain tarball download.
fn curl_pipe_toolchain(cx: &Analysis<'_>, i: usize) -> Option<(Span, &'static str)> {
    let located = cx.instr(i);
    let cmds: Vec<_> = located.commands().collect();
    for (k, cmd) in cmds.iter().enumerate() {
        let Some(prog) = cmd.program() else { continue };
        if !matches!(prog, "curl" | "wget") {
            continue;
        }
        let url = cmd.args().iter().find(|a| a.value.contains("://"))?;
        let piped_to_shell = cmds.get(k + 1).is_some_and(|next| {
            next.joiner == crate::syntax::shell::Joiner::Pipe
                && next.program().is_some_and(|p| matches!(p, "sh" | "bash"))
        });
        if url.value.contains("rustup") && piped_to_shell {
            return Some((located.abs(cmd.span), "rustup"));
        }
        if url.value.contains("go.dev/dl/go") || url.value.contains("golang.org/dl/go") {
            return Some((located.abs(cmd.span), "go"));
        }
    }
    None
}

/// What the final image runs: Node? Java? Unknown (no CMD/ENTRYPOINT) counts as both, so
/// nothing that might be the runtime is reported.
fn runtime(cx: &Analysis<'_>) -> Runtime {
    let mut programs: Vec<String> = Vec::new();
    for keyword in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(i) = cx.model.effective(cx.tree, keyword) else {
            continue;
        };
        match cx.instr(i).form() {
            Some(Form::Exec { words, .. }) => {
                programs.extend(words.first().map(|w| basename(&w.value).to_string()));
            }
            Some(Form::Shell(s)) => programs.extend(
                s.script
                    .commands
                    .iter()
                    .filter_map(|c| c.program().map(str::to_string)),
            ),
            None => {}
        }
    }
    let node_base = cx.model.stages.last().is_some_and(|last| {
        cx.model.lineage(last.index).any(|s| {
            s.image
                .as_ref()
                .and_then(crate::model::ImageRef::path)
                .is_some_and(|p| p == "node")
        })
    });
    // no process, or one started through a script: what it runs is unknown
    let unknown = programs.is_empty()
        || programs
            .iter()
            .any(|p| p.ends_with(".sh") || matches!(p.as_str(), "sh" | "bash" | "exec"));
    if unknown {
        return Runtime {
            node: true,
            java: true,
        };
    }
    Runtime {
        node: node_base || programs.iter().any(|p| NODE_PROGRAMS.contains(&p.as_str())),
        java: programs.iter().any(|p| p == "java"),
    }
}

/// Images whose purpose is the toolchain: dev containers.
fn is_toolchain_image(cx: &Analysis<'_>) -> bool {
    let devcontainer_base = cx.model.stages.iter().any(|s| {
        s.shipped
            && s.image
                .as_ref()
                .and_then(crate::model::ImageRef::path)
                .is_some_and(|p| p.contains("devcontainers"))
    });
    let in_devcontainer_dir = cx
        .path
        .is_some_and(|p| p.components().any(|c| c.as_os_str() == ".devcontainer"));
    let has_devcontainer_json = cx.context.exists("devcontainer.json") == Some(true)
        || cx.context.exists(".devcontainer/devcontainer.json") == Some(true)
            && in_devcontainer_dir;
    devcontainer_base || in_devcontainer_dir || has_devcontainer_json
}
