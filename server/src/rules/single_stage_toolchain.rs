use std::borrow::Cow;

use super::{declare_rule, Analysis, Diagnostic};

use crate::model::commands::{
    args, is_apt_mark_auto, package_name, pkg_command, program, run_commands, PkgAction, PkgManager,
};
use crate::model::purpose;
use crate::model::{ImageRef, Stage};
use crate::rules::Severity;
use crate::syntax::instruction::Keyword;
use crate::syntax::shell::Command;
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds build-only toolchains in the stages that ship in the final image:
    /// - a `RUN` that installs compilers, build tools, `-dev` headers, `git` or a language
    ///   toolchain (`apt-get install`, `apt-get build-dep`, `apk add`, `dnf install`,
    ///   `dnf groupinstall "Development Tools"`, a `curl | sh` rustup install) and does not
    ///   remove them in the same `RUN`;
    /// - a shipped stage whose base image is an SDK (`golang`, `rust`, `maven`, `gradle`, `gcc`,
    ///   `mcr.microsoft.com/dotnet/sdk`, or an `eclipse-temurin` JDK when the stage builds its
    ///   jar with Maven or Gradle, wrappers included), reported on its `FROM`.
    ///
    /// Removal in the same `RUN` is `apt-get purge`/`remove` of the packages, `apk del` of the
    /// packages or of their `--virtual` name, `dnf remove`, or the official images' idiom
    /// (`apt-mark auto '.*'` then `apt-get purge --auto-remove`). Package lists in a shell
    /// variable (`buildDeps='gcc make'`, or an `ENV`/`ARG`) are expanded. Removing the packages
    /// in a later `RUN` does not help: the files stay in the earlier layer.
    ///
    /// Not findings: `nodejs`/`npm` when the image runs Node, a JDK when it runs `java`, a tool
    /// the image's process runs (`CMD ["make", "serve"]`), runtime libraries (`libpq5`,
    /// `libssl3`), the language runtime itself, and `git` unless a `RUN` of the shipped stages
    /// builds with it (`git clone`, `go get`, a dependency install that can fetch from git):
    /// a Jenkins controller or a deploy tool runs git, it does not compile with it.
    ///
    /// Only application images are checked. What the image is for is worked out from the file
    /// (hover over `FROM` shows it): development environments (a `dev`, `dev-envs` or
    /// `devcontainer` stage, a `vscode` user, the docker CLI copied in, a dev container), test
    /// stages (`test`, `ci`, or a stage that only runs `go test`, `pytest`...), base images
    /// (`ONBUILD`, or an image with nothing of a project and no process of its own), and
    /// toolchain or interactive images (built on `buildpack-deps`, a Jupyter image, a CI server
    /// or runner image such as Jenkins or `actions-runner`, or a `-devel` CUDA image; or
    /// running a shell, a bare interpreter, a notebook server or a build tool) are left alone,
    /// since the toolchain is what they are for; so is an image that neither copies files in nor
    /// sets a process of its own. An image that copies files onto an OS or SDK base but sets no
    /// process may be a build environment, and one that copies nothing onto a server image
    /// (`nginx`, `php:*-apache`) may be a base for others, so their findings are information
    /// only.
    ///
    /// The stage checked is the one the build produces: the last stage, or the one named by the
    /// `target` setting (`--target`, `target` in `.layerwise.toml` or the editor settings) or by
    /// a `# layerwise: target=NAME` comment before the first `FROM`.
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
    ///
    /// ## Fix safety
    /// The fix makes the stage a builder and adds a runtime stage that gets what the build
    /// installed or produced: pip's packages (`--prefix`, `--user`, a virtualenv), `node_modules`,
    /// a Go or Rust binary, a jar, each at the path it had, with the runtime libraries the
    /// removed `-dev` packages stood for. A Go or Rust binary runs on the slim Debian or Alpine
    /// release its SDK image names (`debian:trixie-slim`, the newest, when the tag names none),
    /// and the files a program may read beside it (configuration, templates, static files,
    /// migrations at the top of the copied folder) go along. It is not offered, and the message
    /// says why, when the build's output cannot be named (a bare `make`), the stage sets no
    /// WORKDIR and its base image's is unknown, the process itself runs the toolchain (`cargo
    /// run`), a tool pip installs runs later in the build, or the stage has ONBUILD triggers.
    pub struct SingleStageToolchain {
        id: "single-stage-toolchain",
        severity: Warning,
        summary: "Compilers, headers or an SDK in the shipped image: build in a builder stage",
        hadolint: [],
        buildkit: [],
        fix: Unsafe,
        per_stage: check_stage,
    }
}

/// SDK images (path without registry) and what a runtime stage would use instead.
const SDK_IMAGES: &[(&str, &str)] = &[
    ("golang", "a `gcr.io/distroless/static` or `debian:*-slim` runtime stage that gets only the binary"),
    ("rust", "a `debian:*-slim` runtime stage that gets only `target/release/<bin>`"),
    ("rustlang/rust", "a `debian:*-slim` runtime stage that gets only `target/release/<bin>`"),
    ("maven", "a JRE runtime stage (`eclipse-temurin:*-jre`) that gets only the jar"),
    ("gradle", "a JRE runtime stage (`eclipse-temurin:*-jre`) that gets only the jar"),
    ("gcc", "a slim runtime stage that gets only the built binary"),
    ("dotnet/sdk", "an `mcr.microsoft.com/dotnet/aspnet` or `runtime` stage that gets only the published output"),
    ("dotnet/core/sdk", "an `mcr.microsoft.com/dotnet/aspnet` or `runtime` stage that gets only the published output"),
    ("dotnet/nightly/sdk", "an `mcr.microsoft.com/dotnet/aspnet` or `runtime` stage that gets only the published output"),
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
    "lld",
    "build-essential",
    "build-base",
    "alpine-sdk",
    "base-devel",
    "make",
    "cmake",
    "ninja-build",
    "ninja",
    "meson",
    "scons",
    "bazel",
    "ccache",
    "autoconf",
    "automake",
    "libtool",
    "pkg-config",
    "pkgconf",
    "pkgconfig",
    "musl-dev",
    "linux-headers",
    "kernel-headers",
    "git",
    "git-core",
    "golang",
    "golang-go",
    "go",
    "rust",
    "rustc",
    "cargo",
    "rustup",
    "maven",
    "gradle",
    "ant",
    "sbt",
    "gfortran",
    "bison",
    "flex",
    "nasm",
    "yasm",
    "swig",
    "binutils",
    "$PHPIZE_DEPS",
    "${PHPIZE_DEPS}",
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

/// What the built image runs, for the packages that are toolchain only when unused at run time.
struct Runtime {
    node: bool,
    java: bool,
    /// A RUN of a shipped stage uses git to build.
    git: bool,
    /// The programs its process runs: a package named like one is a runtime tool.
    programs: Vec<String>,
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
    if runtime.programs.iter().any(|p| p == name) {
        return false;
    }
    if matches!(name, "git" | "git-core") {
        return runtime.git;
    }
    if TOOLCHAIN.contains(&name) {
        return true;
    }
    let versioned = |base: &str| {
        name.strip_prefix(base)
            .and_then(|r| r.strip_prefix('-').or(Some(r)))
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    };
    if [
        "gcc", "g++", "clang", "llvm", "cpp", "golang", "go", "rustc", "cmake",
    ]
    .iter()
    .any(|b| versioned(b))
    {
        return true;
    }
    // `gcc-c++`, `gcc-12-multilib`, `golang-1.22-go`, `clang-format-16`; not `gcc-12-base` or
    // `llvm-libs` (runtime libraries)
    let runtime_lib = name.ends_with("-base") || name.ends_with("-libs") || name.contains("-libs-");
    if ["gcc-", "g++-", "clang-", "llvm-", "golang-"]
        .iter()
        .any(|p| name.starts_with(p))
        && !runtime_lib
    {
        return true;
    }
    if name.ends_with("-dev")
        || name.ends_with("-devel")
        || name.ends_with("-headers")
        || name.starts_with("linux-headers")
    {
        return true;
    }
    if is_jdk(name) {
        return !runtime.java;
    }
    if matches!(
        name,
        "nodejs" | "npm" | "yarn" | "nodejs-npm" | "nodejs-current"
    ) {
        return !runtime.node;
    }
    false
}

/// The findings are all about the final stage: what ships is it and the stages it is built on,
/// and whether its toolchains are build-only depends on what it runs (its effective `CMD` and
/// `ENTRYPOINT`), on its base images and on the build context. So the final stage is checked,
/// with its ancestors, and the others have nothing; the language server keeps the findings while
/// an edit leaves the shipped stages alone.
fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    if cx.model.target() == Some(s) {
        check_shipped(cx, s, out);
    }
}

fn check_shipped(cx: &Analysis<'_>, target: usize, out: &mut Vec<Diagnostic>) {
    let purpose = purpose::of_stage(cx.tree, cx.model, target, cx.path, cx.context);
    if purpose.kind.tooling_expected() {
        return;
    }
    let runtime = runtime(cx, target);
    let mut found = Vec::new();
    for stage in cx.model.stages.iter().filter(|s| s.shipped) {
        check_base_image(cx, stage, &mut found);
        for i in stage.body.clone() {
            check_run(cx, i, &runtime, &mut found);
        }
    }
    if found.is_empty() {
        return;
    }
    // One builder-stage extraction fixes them all. Each finding offers it, up to a bound: the
    // fix is as large as the stage, so a copy per finding would grow with the square of the file.
    const OFFERED_ON: usize = 32;
    let fix = crate::rules::fixes::builder_stage::build(cx, &|name| is_toolchain(name, &runtime));
    for (k, mut d) in found.into_iter().enumerate() {
        if !purpose.sure {
            // an image that may not be an application: say it, but softly
            d.severity = Severity::Info;
            d.message
                .push_str(&format!(" (information only: {})", purpose.why));
        }
        out.push(match &fix {
            Ok(fix) if k < OFFERED_ON => d.with_fix(Some(fix.clone())),
            Ok(_) => d,
            Err(reason) => {
                let mut d = d;
                d.message
                    .push_str(&format!(" (no automatic fix: {reason})"));
                d
            }
        });
    }
}

fn check_base_image(cx: &Analysis<'_>, stage: &Stage, out: &mut Vec<Diagnostic>) {
    if stage.parent.is_some() {
        return;
    }
    let Some(image) = &stage.image else { return };
    let Some(path) = image.path() else { return };
    let jdk_building = path == "eclipse-temurin"
        && !image.tag().unwrap_or_default().contains("jre")
        && crate::rules::fixes::builder_stage::builds_jar(cx, stage);
    let instead = if jdk_building {
        "a JRE runtime stage (`eclipse-temurin:*-jre`) that gets only the jar"
    } else {
        let Some((_, instead)) = SDK_IMAGES.iter().find(|(sdk, _)| *sdk == path) else {
            return;
        };
        instead
    };
    let shown = image.resolved.as_deref().unwrap_or(&image.raw);
    out.push(Diagnostic::new(
        &META,
        cx.range_on(stage.from, image.span),
        format!(
            "`{shown}` is a build SDK and it is the base of the shipped image, so its compilers ship too; build in this stage (`AS builder`) and add {instead}"
        ),
    ));
}

/// A toolchain package installed by a RUN.
struct Installed {
    name: String,
    /// `apt-get build-dep NAME`: the build dependencies of the package.
    build_dep: bool,
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
        let Some(pkg) = pkg_command(cmd) else {
            continue;
        };
        match pkg.action {
            PkgAction::Install => {
                for word in &pkg.packages {
                    for name in package_names(cx, i, shell_text, &word.value) {
                        let toolchain = if pkg.build_dep {
                            true
                        } else if pkg.group {
                            is_toolchain_group(&name)
                        } else {
                            is_toolchain(&name, runtime)
                        };
                        if toolchain {
                            installed.push(Installed {
                                name,
                                build_dep: pkg.build_dep,
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
                build_dep: false,
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
            && (!p.word.contains('$') || !removed.contains(&p.word))
            && !p.virtual_name.as_ref().is_some_and(|v| removed.contains(v))
    });
    let Some(first) = installed.iter().map(|p| p.command_start).min() else {
        return;
    };
    let last = installed.iter().map(|p| p.span.end).max().unwrap_or(first);
    let mut names: Vec<String> = Vec::new();
    for p in &installed {
        let label = if p.build_dep {
            format!("the build dependencies of `{}`", p.name)
        } else {
            format!("`{}`", p.name)
        };
        if !names.contains(&label) {
            names.push(label);
        }
    }
    let shown: Vec<&str> = names.iter().take(6).map(String::as_str).collect();
    let more = if names.len() > 6 {
        format!(" and {} more", names.len() - 6)
    } else {
        String::new()
    };
    let (verb, pronoun) = if names.len() == 1 && !installed.iter().any(|p| p.build_dep) {
        ("stays", "it")
    } else {
        ("stay", "them")
    };
    let mut d = Diagnostic::new(
        &META,
        cx.range_on(i, Span::new(first, last.max(first))),
        format!(
            "{}{more} {verb} in the shipped image because this RUN never removes {pronoun}, adding build-only weight and attack surface; build in a builder stage and copy only the output with `COPY --from`",
            shown.join(", ")
        ),
    );
    for p in &installed {
        let what = if p.build_dep {
            format!("the build dependencies of `{}` are", p.name)
        } else {
            format!("`{}` is", p.name)
        };
        d = d.related(p.span, format!("{what} only needed to build"));
    }
    out.push(d);
}

/// The package names a package word stands for: itself without its version pin, or the
/// words of a variable it expands (`$buildDeps` from an assignment in the RUN, an ENV or ARG).
fn package_names(cx: &Analysis<'_>, i: usize, shell_text: &str, word: &str) -> Vec<String> {
    if word.contains('$') && !matches!(word, "$PHPIZE_DEPS" | "${PHPIZE_DEPS}") {
        let name = word
            .trim_start_matches('$')
            .trim_start_matches('{')
            .trim_end_matches('}');
        let value =
            shell_assignment(shell_text, name).or_else(|| cx.model.var_at(cx.tree, i, name));
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
            _ => rest
                .split(|c: char| c.is_whitespace() || c == ';')
                .next()
                .unwrap_or(""),
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
            ("rustup", Some("rm")) => args(c)
                .iter()
                .any(|a| a.value.trim_end_matches('/').ends_with(".rustup")),
            ("go", Some("rm")) => args(c)
                .iter()
                .any(|a| a.value.trim_end_matches('/') == "/usr/local/go"),
            _ => false,
        })
    };
    for cmd in commands {
        if !matches!(program(cmd), Some("curl" | "wget")) {
            continue;
        }
        let Some(url) = args(cmd).iter().find(|a| a.value.contains("://")) else {
            continue;
        };
        let url = url.value.as_str();
        if url.contains("rustup") {
            return Some((cmd.span, "rustup", uninstalled("rustup")));
        }
        if url.contains("go.dev/dl/go")
            || url.contains("golang.org/dl/go")
            || url.contains("dl.google.com/go/go")
        {
            return Some((cmd.span, "go", uninstalled("go")));
        }
    }
    None
}

/// The programs the built image's process runs (its effective ENTRYPOINT and CMD), looking
/// through wrappers (`tini --`, `gosu app`) and `sh -c` scripts.
fn process_programs(cx: &Analysis<'_>, target: usize) -> Vec<String> {
    purpose::process_commands(cx.tree, cx.model, target)
        .iter()
        .filter_map(|c| program(c).map(str::to_string))
        .collect()
}

/// What the built image runs: Node? Java? Unknown (no CMD/ENTRYPOINT, or a script) counts as
/// both, so nothing that might be the runtime is reported.
fn runtime(cx: &Analysis<'_>, target: usize) -> Runtime {
    let programs = process_programs(cx, target);
    let node_base = cx.model.lineage(target).any(|s| {
        s.image
            .as_ref()
            .and_then(ImageRef::path)
            .is_some_and(|p| p == "node" || p.ends_with("/node"))
    });
    // no process, or one started through a script: what it runs is unknown
    let unknown = programs.is_empty()
        || programs.iter().any(|p| {
            p.ends_with(".sh")
                || p.contains("entrypoint")
                || matches!(p.as_str(), "sh" | "bash" | "exec")
        });
    let git = git_used_to_build(cx);
    if unknown {
        return Runtime {
            node: true,
            java: true,
            git,
            programs,
        };
    }
    Runtime {
        node: node_base || programs.iter().any(|p| NODE_PROGRAMS.contains(&p.as_str())),
        java: programs
            .iter()
            .any(|p| p == "java" || p == "mvn" || p == "gradle" || p == "jshell"),
        git,
        programs,
    }
}

/// Whether a RUN of a shipped stage uses git to build: `git clone`, `go get`/`go mod`, a pip
/// install from `git+` URLs, or a dependency install that may fetch git dependencies (npm,
/// yarn, pnpm, Bundler, Composer, Cargo, Go modules). git installed for any other reason is a
/// tool the application runs (a CI controller, a deploy tool), not build weight.
fn git_used_to_build(cx: &Analysis<'_>) -> bool {
    cx.shipped_runs().any(|(_, located)| {
        run_commands(located).iter().any(|cmd| {
            let a = args(cmd);
            let first = a
                .iter()
                .find(|w| !w.value.starts_with('-'))
                .map(|w| w.value.as_str());
            match program(cmd) {
                Some("git" | "bower" | "glide" | "dep") => true,
                Some("go") => matches!(first, Some("get" | "mod" | "build" | "install")),
                Some("npm" | "yarn" | "pnpm" | "bun") => {
                    first.is_none() || matches!(first, Some("install" | "i" | "ci" | "add"))
                }
                Some("bundle" | "composer") => matches!(first, Some("install" | "update")),
                Some("cargo") => matches!(first, Some("build" | "fetch" | "install")),
                Some(p) if p.starts_with("pip") || p == "uv" || p == "poetry" => a
                    .iter()
                    .any(|w| w.value.contains("git+") || w.value.starts_with("-r")),
                _ => false,
            }
        })
    })
}
