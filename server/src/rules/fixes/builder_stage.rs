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
//!                                        ENV PATH=/root/.local/bin:$PATH
//!                                        COPY --from=builder /root/.local /root/.local
//!                                        COPY --from=builder /app /app
//!                                        WORKDIR /app
//!                                        CMD ["python", "app.py"]
//! ```
//!
//! The final stage becomes the builder; a new runtime stage on the same base (or a slim one
//! when the base is an SDK image) gets only what the application needs:
//! - Go (`golang` images): the binaries of `go build` (`-o`, or the default name: the module
//!   path's last element from go.mod for the module's folder, the folder's name for
//!   `./cmd/api`) and `go install` (`$GOBIN`, `$GOPATH/bin`, `/go/bin`);
//! - Rust (`rust` images): `<target-dir>/[<triple>/]release/<bin>` of `cargo build --release`,
//!   or `/usr/local/cargo/bin/<bin>` of `cargo install --path`, the names from `--bin`, else
//!   the `[[bin]]` targets or the package name of the Cargo.toml read through the context;
//! - Java: the jars of `mvn package` (`target/`) or `gradle build` (`build/libs/`), wrappers
//!   included, onto an `eclipse-temurin:*-jre` runtime for `maven`, `gradle` and
//!   `eclipse-temurin` JDK bases, or onto the same base with the JDK package swapped for its JRE;
//! - Python: pip `--user` (`/root/.local`, or the home of the USER that installs), a virtualenv,
//!   `--prefix`/`--target` folders, or pip into the system rewritten to `--prefix=/install` on
//!   `python` images;
//! - Node: the application folders, `node_modules` (pruned or not) included;
//! - native builds installed under a folder of their own (`cmake --install --prefix`,
//!   `-DCMAKE_INSTALL_PREFIX`, `./configure --prefix`, `make install DESTDIR=`);
//! - the `dotnet publish` output, Bundler's gems.
//!
//! On the same base, the runtime stage installs the runtime OS packages (non-toolchain packages,
//! and the runtime library of each `-dev`/`-devel` package: `libpq-dev` -> `libpq5`,
//! `openssl-dev` -> `libssl3`, `openssl-devel` -> `openssl-libs`...) with the stage's package
//! manager (apt, apk, dnf, microdnf or yum), and gets the ENV, ARG and user-creating RUNs, and
//! the runtime instructions (USER, EXPOSE, HEALTHCHECK, CMD, ENTRYPOINT...), which move out of
//! the builder.
//!
//! Not offered (`Err` with the reason) when the artifacts cannot be determined rather than
//! guessed: another ecosystem, a Go binary whose name needs a go.mod the context does not show,
//! a Cargo workspace without `--bin`, a bare `make` or `cmake --build` (or an install into
//! `/usr/local`), a `-dev` package whose runtime library is unknown, another package manager
//! (zypper), ONBUILD triggers (images built from it would run them without the toolchain), a
//! toolchain inherited from another stage...

use super::{eol, instruction_lines, instruction_text};
use crate::model::commands::{
    install_step, package_name, pip_args, pkg_command, Ecosystem, PkgAction,
};
use crate::model::{join_path, ImageRef, Stage};
use crate::rules::{Analysis, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

pub const TITLE: &str = "Extract a builder stage";

/// The package manager a stage installs with, for the runtime stage's install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Installer {
    Apt,
    Apk,
    Dnf,
    Microdnf,
    Yum,
}

impl Installer {
    fn of(program: &str) -> Option<Self> {
        Some(match program {
            "apt-get" | "apt" | "aptitude" => Self::Apt,
            "apk" => Self::Apk,
            "dnf" | "dnf5" => Self::Dnf,
            "microdnf" => Self::Microdnf,
            "yum" => Self::Yum,
            _ => return None,
        })
    }

    /// The RUN that installs `packages` and leaves no package cache behind.
    fn install(self, packages: &[String]) -> String {
        let p = packages.join(" ");
        match self {
            Self::Apt => format!(
                "RUN apt-get update && apt-get install -y --no-install-recommends {p} && rm -rf /var/lib/apt/lists/*"
            ),
            Self::Apk => format!("RUN apk add --no-cache {p}"),
            Self::Dnf => format!("RUN dnf install -y {p} && dnf clean all"),
            Self::Microdnf => format!("RUN microdnf install -y {p} && microdnf clean all"),
            Self::Yum => format!("RUN yum install -y {p} && yum clean all"),
        }
    }
}

/// What a build-only package leaves for the runtime stage.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RuntimeOf {
    /// The runtime library to install instead (`libpq-dev` -> `libpq5`).
    Lib(String),
    /// Nothing: a compiler, a build tool, or headers with no library (`libc6-dev`).
    Nothing,
    /// A `-dev` package whose runtime library is not known.
    Unknown,
}

/// Debian and Ubuntu `-dev` packages whose runtime library has the same name in every release.
const DEBIAN_LIBS: &[(&str, &str)] = &[
    ("libpq-dev", "libpq5"),
    ("zlib1g-dev", "zlib1g"),
    ("libjpeg62-turbo-dev", "libjpeg62-turbo"),
    ("libjpeg-turbo8-dev", "libjpeg-turbo8"),
    ("libxml2-dev", "libxml2"),
    ("libxslt1-dev", "libxslt1.1"),
    ("libyaml-dev", "libyaml-0-2"),
    ("libsqlite3-dev", "libsqlite3-0"),
    ("libmariadb-dev", "libmariadb3"),
    ("libmariadb-dev-compat", "libmariadb3"),
    ("libfreetype6-dev", "libfreetype6"),
    ("libfreetype-dev", "libfreetype6"),
    ("libbz2-dev", "libbz2-1.0"),
    ("liblzma-dev", "liblzma5"),
    ("libzstd-dev", "libzstd1"),
    ("liblz4-dev", "liblz4-1"),
    ("libgmp-dev", "libgmp10"),
    ("libmagic-dev", "libmagic1"),
    ("libsasl2-dev", "libsasl2-2"),
    ("libpcre3-dev", "libpcre3"),
    ("libwebp-dev", "libwebp7"),
    ("libgomp1", "libgomp1"),
];

/// Alpine `-dev` packages and their runtime libraries.
const ALPINE_LIBS: &[(&str, &str)] = &[
    ("postgresql-dev", "libpq"),
    ("libpq-dev", "libpq"),
    ("libffi-dev", "libffi"),
    ("zlib-dev", "zlib"),
    ("jpeg-dev", "libjpeg-turbo"),
    ("libjpeg-turbo-dev", "libjpeg-turbo"),
    ("libxml2-dev", "libxml2"),
    ("libxslt-dev", "libxslt"),
    ("yaml-dev", "yaml"),
    ("sqlite-dev", "sqlite-libs"),
    ("mariadb-dev", "mariadb-connector-c"),
    ("mariadb-connector-c-dev", "mariadb-connector-c"),
    ("libpng-dev", "libpng"),
    ("freetype-dev", "freetype"),
    ("curl-dev", "libcurl"),
    ("bzip2-dev", "libbz2"),
    ("xz-dev", "xz-libs"),
    ("zstd-dev", "zstd-libs"),
    ("lz4-dev", "lz4-libs"),
    ("gmp-dev", "gmp"),
    ("libsodium-dev", "libsodium"),
    ("libwebp-dev", "libwebp"),
    ("geos-dev", "geos"),
    ("icu-dev", "icu-libs"),
    ("libzip-dev", "libzip"),
    ("oniguruma-dev", "oniguruma"),
    ("krb5-dev", "krb5-libs"),
    ("readline-dev", "readline"),
    ("ncurses-dev", "ncurses-libs"),
];

/// Fedora and RHEL `-devel` packages and their runtime libraries.
const FEDORA_LIBS: &[(&str, &str)] = &[
    ("openssl-devel", "openssl-libs"),
    ("libpq-devel", "libpq"),
    ("postgresql-devel", "libpq"),
    ("libffi-devel", "libffi"),
    ("zlib-devel", "zlib"),
    ("libxml2-devel", "libxml2"),
    ("libxslt-devel", "libxslt"),
    ("libjpeg-turbo-devel", "libjpeg-turbo"),
    ("sqlite-devel", "sqlite-libs"),
    ("libcurl-devel", "libcurl"),
    ("libyaml-devel", "libyaml"),
    ("libpng-devel", "libpng"),
    ("freetype-devel", "freetype"),
    ("mariadb-connector-c-devel", "mariadb-connector-c"),
    ("bzip2-devel", "bzip2-libs"),
    ("xz-devel", "xz-libs"),
    ("libzstd-devel", "libzstd"),
    ("gmp-devel", "gmp"),
    ("krb5-devel", "krb5-libs"),
    ("readline-devel", "readline"),
    ("ncurses-devel", "ncurses-libs"),
    ("pcre2-devel", "pcre2"),
];

/// Headers and build files that need no library at run time.
const HEADERS_ONLY: &[&str] = &[
    "libc6-dev",
    "libc-dev",
    "musl-dev",
    "linux-libc-dev",
    "linux-headers",
    "kernel-headers",
    "kernel-devel",
    "glibc-devel",
    "glibc-headers",
    "libstdc++-devel",
    "libgcc-dev",
    "dpkg-dev",
    "fortify-headers",
];

/// The runtime counterpart of the build-only package `name`, installed with `installer` on the
/// base `image` (`path:tag`, lowercase), whose release picks the names that changed
/// (`libssl1.1`, `libssl3`, `libssl3t64`). `python_provided` says the runtime needs no Python
/// from the packages (the base image brings its own, or nothing runs Python), so `python3-dev`
/// leaves nothing.
fn runtime_of(name: &str, installer: Installer, image: &str, python_provided: bool) -> RuntimeOf {
    let lib = |s: &str| RuntimeOf::Lib(s.to_string());
    if HEADERS_ONLY.contains(&name) || name.starts_with("linux-headers") {
        return RuntimeOf::Nothing;
    }
    if matches!(
        name,
        "python3-dev" | "python-dev" | "python3-devel" | "python-devel"
    ) {
        return if python_provided {
            RuntimeOf::Nothing
        } else {
            lib("python3")
        };
    }
    let dev = name.ends_with("-dev") || name.ends_with("-devel") || name.ends_with("-headers");
    let table = match installer {
        Installer::Apt => DEBIAN_LIBS,
        Installer::Apk => ALPINE_LIBS,
        Installer::Dnf | Installer::Microdnf | Installer::Yum => FEDORA_LIBS,
    };
    let has = |words: &[&str]| words.iter().any(|w| image.contains(w));
    // CentOS 7 and Amazon Linux 2 ship libpq in `postgresql-libs`
    let el7 = has(&["centos:7", "centos7", "amazonlinux:2", "ubi7"])
        && !image.contains("amazonlinux:2023");
    if el7 && name == "postgresql-devel" {
        return lib("postgresql-libs");
    }
    if let Some((_, r)) = table.iter().find(|(d, _)| *d == name) {
        return lib(r);
    }
    match installer {
        Installer::Apt => {
            let ubuntu = image.starts_with("ubuntu") || has(&["bionic", "focal", "jammy", "noble"]);
            let old = has(&["buster", "bionic", "stretch"]);
            let older = old || has(&["bullseye", "focal"]);
            // releases whose 64-bit-time libraries are renamed `...t64`
            let t64 = has(&["trixie", "noble"]);
            match name {
                "libssl-dev" if older => lib("libssl1.1"),
                "libssl-dev" if t64 => lib("libssl3t64"),
                "libssl-dev" => lib("libssl3"),
                "libffi-dev" if old => lib("libffi6"),
                "libffi-dev" if older => lib("libffi7"),
                "libffi-dev" => lib("libffi8"),
                "libcurl4-openssl-dev" | "libcurl-dev" if t64 => lib("libcurl4t64"),
                "libcurl4-openssl-dev" | "libcurl-dev" => lib("libcurl4"),
                "libpng-dev" if t64 => lib("libpng16-16t64"),
                "libpng-dev" => lib("libpng16-16"),
                "libjpeg-dev" if ubuntu => lib("libjpeg8"),
                "libjpeg-dev" => lib("libjpeg62-turbo"),
                "default-libmysqlclient-dev" if ubuntu => lib("libmysqlclient21"),
                "default-libmysqlclient-dev" => lib("libmariadb3"),
                _ if dev => RuntimeOf::Unknown,
                _ => RuntimeOf::Nothing,
            }
        }
        Installer::Apk => {
            // Alpine 3.17 moved to OpenSSL 3
            let old_ssl = ["3.12", "3.13", "3.14", "3.15", "3.16"]
                .iter()
                .any(|v| image.contains(&format!("alpine{v}")) || image == format!("alpine:{v}"));
            match name {
                "openssl-dev" | "libressl-dev" if old_ssl => lib("libssl1.1"),
                "openssl-dev" => lib("libssl3"),
                _ if dev => RuntimeOf::Unknown,
                _ => RuntimeOf::Nothing,
            }
        }
        _ if dev => RuntimeOf::Unknown,
        _ => RuntimeOf::Nothing,
    }
}

/// The JRE package for a JDK package the application runs `java` from
/// (`openjdk-17-jdk` -> `openjdk-17-jre-headless`), when it is known.
fn jre_of(jdk: &str, installer: Installer) -> Option<String> {
    match installer {
        Installer::Apt => {
            let v = jdk
                .strip_prefix("openjdk-")?
                .strip_suffix("-jdk-headless")
                .or_else(|| jdk.strip_prefix("openjdk-")?.strip_suffix("-jdk"))?;
            v.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| format!("openjdk-{v}-jre-headless"))
        }
        Installer::Apk => {
            let v = jdk.strip_prefix("openjdk")?;
            (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("openjdk{v}-jre-headless"))
        }
        Installer::Dnf | Installer::Microdnf | Installer::Yum => {
            let v = jdk.strip_prefix("java-")?.strip_suffix("-openjdk-devel")?;
            Some(format!("java-{v}-openjdk-headless"))
        }
    }
}

/// What the runtime stage copies from the builder.
struct Plan {
    base: String,
    /// `(from, to, --chown value)` paths copied from the builder.
    copies: Vec<(String, String, Option<String>)>,
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
    /// The application runs a jar: a JDK package becomes its JRE.
    runs_jar: bool,
}

/// Build the fix. `is_toolchain` says which package names are build-only.
///
/// # Errors
/// The reason the artifacts cannot be determined.
pub fn build(cx: &Analysis<'_>, is_toolchain: &dyn Fn(&str) -> bool) -> Result<Fix, String> {
    super::parses(cx)?;
    let stage = cx.model.stages.last().ok_or("no stage")?;
    if stage
        .body
        .clone()
        .any(|i| cx.instr(i).keyword == Keyword::Onbuild)
    {
        return Err("its ONBUILD triggers run later in the images built from it, where they may need the toolchain a split would take away, so it cannot be split safely".into());
    }
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
    // the copies name the build's output by absolute paths, worked out from the WORKDIR: the
    // base image's own when the stage sets none (found by a blind evaluation: `gradle` images
    // work in /home/gradle, and the jar was looked for under /)
    let sets_workdir = stage
        .body
        .clone()
        .any(|i| cx.instr(i).keyword == Keyword::Workdir);
    if !sets_workdir && crate::model::known_base_workdir(Some(image)).is_none() {
        return Err(format!(
            "the stage sets no WORKDIR, and the one `{}` sets is unknown, so the build's output cannot be located; add a WORKDIR",
            image.raw
        ));
    }
    let mut plan = plan(cx, stage, image)?;
    plan.copies = follow_moves(cx, stage, std::mem::take(&mut plan.copies))?;
    if plan
        .copies
        .iter()
        .any(|(from, to, _)| from.contains('$') || to.contains('$'))
    {
        return Err("a path of the build output uses a variable with no known value".into());
    }
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
    let mut installer: Option<Installer> = None;
    let mut other_manager: Option<String> = None;
    let mut unknown_dev: Vec<String> = Vec::new();
    let image_hint = format!(
        "{}:{}",
        image.path().unwrap_or_default(),
        image.tag().unwrap_or_default()
    )
    .to_ascii_lowercase();
    // python3-dev needs no Python at run time when the base brings one or nothing runs Python
    let python_provided = image.path().as_deref() == Some("python") || !plan.runs_python;
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
                    let prog = c.program().unwrap_or_default();
                    match Installer::of(prog) {
                        Some(m) if installer.is_none_or(|x| x == m) => installer = Some(m),
                        Some(_) => {
                            other_manager = Some(
                                "the packages come from two package managers, and the runtime stage can install with one only"
                                    .into(),
                            );
                        }
                        None => {
                            other_manager = Some(format!(
                                "the packages are installed with `{prog}`, whose runtime install layerwise does not write"
                            ));
                        }
                    }
                    let m = Installer::of(prog).unwrap_or(Installer::Apt);
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
                            match runtime_of(name, m, &image_hint, python_provided) {
                                RuntimeOf::Lib(l) => Some(l),
                                RuntimeOf::Nothing => None,
                                RuntimeOf::Unknown => {
                                    unknown_dev.push(name.to_string());
                                    None
                                }
                            }
                        } else if plan.runs_jar {
                            Some(jre_of(name, m).unwrap_or_else(|| name.to_string()))
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
    if plan.same_base {
        if let Some(dev) = unknown_dev.first() {
            return Err(format!(
                "`{dev}` is only needed to build, and layerwise does not know which runtime library the application needs from it"
            ));
        }
        if !packages.is_empty() {
            if let Some(reason) = other_manager {
                return Err(reason);
            }
            if let Some(how) = adds_package_sources(cx, stage) {
                return Err(format!(
                    "the stage adds package sources ({how}), which the runtime stage's install would not have"
                ));
            }
            out.push(installer.unwrap_or(Installer::Apt).install(&packages));
        }
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
    // also the base image's own (`golang`: `/go`), which the runtime base does not set
    let runtime_image = ImageRef {
        raw: plan.base.clone(),
        resolved: Some(plan.base.clone()),
        span: Span::default(),
    };
    // after the copies (their paths are absolute): a folder a `--chown` COPY creates belongs to
    // that user, as the original's did, while one WORKDIR creates first stays root's
    let workdir_line = (sets_workdir
        || &*workdir != crate::model::base_workdir(Some(&runtime_image)))
    .then(|| format!("WORKDIR {workdir}"));
    let chown = app_chown(cx, stage);
    // a shell-form COPY splits its paths at whitespace (found by the stable fuzzer: `WORKDIR
    // / && app`)
    let spaced = |p: &str| p.contains(char::is_whitespace) || p.contains(['"', '\'']);
    if plan
        .copies
        .iter()
        .any(|(from, to, _)| spaced(from) || spaced(to))
        || spaced(&workdir)
    {
        return Err(
            "a path to copy holds a space or a quote, which a COPY line would split".into(),
        );
    }
    let mut lines: Vec<String> = plan
        .copies
        .iter()
        .map(|(from, to, chown)| match chown {
            Some(c) => format!("COPY --from={builder} --chown={c} {from} {to}"),
            None => format!("COPY --from={builder} {from} {to}"),
        })
        .collect();
    if plan.app_dirs {
        // the application keeps the ownership its COPY gave it; installed artifacts stay root's
        for dir in app_dirs(cx, stage)? {
            if spaced(&dir) {
                return Err(
                    "a path to copy holds a space or a quote, which a COPY line would split".into(),
                );
            }
            if !plan.copies.iter().any(|(from, _, _)| within(&dir, from)) {
                lines.push(format!("COPY --from={builder}{chown} {dir} {dir}"));
            }
        }
    } else {
        // only the built artifacts ship; the files a program reads at run time beside its
        // code (found by a blind evaluation: a Go server that opens `config.json` from its
        // working folder) go along
        let data = runtime_data(cx, stage)?;
        for path in &data {
            if spaced(path) {
                return Err(
                    "a path to copy holds a space or a quote, which a COPY line would split".into(),
                );
            }
            if !plan.copies.iter().any(|(from, _, _)| within(path, from)) {
                lines.push(format!("COPY --from={builder}{chown} {path} {path}"));
            }
        }
        // the program the process runs by its path must be there (found by a blind
        // evaluation: `CMD ["./gnemes"]` ran a binary committed to the repository, not the
        // one `go build` wrote)
        for cmd in crate::model::purpose::process_commands(cx.tree, cx.model, stage.index) {
            let Some(prog) = cmd.words.first().map(|w| w.value.as_str()) else {
                continue;
            };
            if !prog.contains('/') || prog.contains('$') {
                continue;
            }
            let abs = join_path(&workdir, prog);
            let shipped = plan.copies.iter().any(|(_, to, _)| within(&abs, to))
                || data.iter().any(|d| within(&abs, d));
            if !shipped {
                return Err(format!(
                    "the process runs `{prog}`, which is not what the build writes, and the runtime stage would not have it"
                ));
            }
        }
    }
    if lines.is_empty() {
        return Err("cannot tell which files the application needs at run time".into());
    }
    out.extend(lines);
    out.extend(workdir_line);
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

/// How a RUN of the stage adds package sources (a repository list, a signing key, a repository
/// package), which packages installed later may come from.
fn adds_package_sources(cx: &Analysis<'_>, stage: &Stage) -> Option<&'static str> {
    const SIGNS: &[(&str, &str)] = &[
        ("sources.list", "an apt sources list"),
        ("add-apt-repository", "`add-apt-repository`"),
        ("apt-key", "an apt key"),
        ("/etc/apt/keyrings", "an apt keyring"),
        ("dpkg -i", "a package installed with `dpkg -i`"),
        ("/etc/yum.repos.d", "a yum repository"),
        ("config-manager", "a dnf repository"),
        ("rpm -i", "a package installed with `rpm`"),
        ("rpm -U", "a package installed with `rpm`"),
        ("/etc/apk/repositories", "an apk repository"),
    ];
    stage.body.clone().find_map(|i| {
        let l = cx.instr(i);
        if l.keyword != Keyword::Run {
            return None;
        }
        let text = l.span().of(cx.text);
        SIGNS
            .iter()
            .find(|(sign, _)| text.contains(sign))
            .map(|(_, how)| *how)
    })
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
/// The files and folders of the build context that a program may read at run time from
/// where the stage copies them (configuration, templates, static files, migrations): those at
/// the top of each folder copied from the context, by name, as image paths.
///
/// # Errors
/// When a COPY destination uses a variable with no known value.
fn runtime_data(cx: &Analysis<'_>, stage: &Stage) -> Result<Vec<String>, String> {
    const DATA_EXTENSIONS: &[&str] = &[
        "json",
        "yaml",
        "yml",
        "toml",
        "ini",
        "conf",
        "cfg",
        "env",
        "properties",
        "xml",
        "html",
        "tmpl",
        "tpl",
        "gohtml",
        "sql",
        "csv",
        "pem",
        "crt",
        "db",
        "sqlite",
    ];
    const DATA_FOLDERS: &[&str] = &[
        "templates",
        "template",
        "static",
        "public",
        "assets",
        "config",
        "configs",
        "conf",
        "web",
        "views",
        "locales",
        "i18n",
        "migrations",
        "data",
        "resources",
        "www",
        "certs",
    ];
    // build inputs, not run-time data
    const BUILD_FILES: &[&str] = &[
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "Cargo.toml",
        "pom.xml",
        "composer.json",
        "composer.lock",
        ".golangci.yml",
        ".golangci.yaml",
        ".goreleaser.yml",
        ".goreleaser.yaml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yml",
        "compose.yaml",
        "renovate.json",
        ".pre-commit-config.yaml",
        "codecov.yml",
        "mkdocs.yml",
    ];
    let mut out = Vec::new();
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
        let dest_dir = join_path(&cx.model.workdir[i], &d);
        for src in sources {
            let rel = src.value.trim_start_matches("./").trim_end_matches('/');
            let rel = if rel == "." { "" } else { rel };
            if rel.contains(['*', '?', '[', '$']) || rel.starts_with("<<") {
                continue;
            }
            // a folder copied as its contents (`COPY . /app`, `COPY src/ /app/`)
            let Some(entries) = cx.context.entries(rel) else {
                continue;
            };
            for (name, folder) in entries {
                let data = if folder {
                    DATA_FOLDERS.contains(&name.as_str())
                } else {
                    !BUILD_FILES.contains(&name.as_str())
                        && (name == ".env"
                            || name.rsplit_once('.').is_some_and(|(stem, ext)| {
                                !stem.is_empty() && DATA_EXTENSIONS.contains(&ext)
                            }))
                };
                let context_path = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                if !data || !super::dependency_step::sent(cx, &context_path) {
                    continue;
                }
                let image = join_path(&dest_dir, &name);
                if !out.contains(&image) {
                    out.push(image);
                }
            }
        }
    }
    Ok(out)
}

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
    // `CMD cargo run`: the process itself compiles, so a runtime stage without the toolchain
    // would not start
    for cmd in crate::model::purpose::process_commands(cx.tree, cx.model, stage.index) {
        let prog = cmd.program().unwrap_or("");
        let first = cmd.args().first().map_or("", |w| w.value.as_str());
        let compiles = matches!(
            prog,
            "cargo"
                | "rustc"
                | "gcc"
                | "g++"
                | "make"
                | "mvn"
                | "mvnw"
                | "gradle"
                | "gradlew"
                | "javac"
        ) || (prog == "go" && matches!(first, "run" | "build" | "test"))
            || (prog == "dotnet" && matches!(first, "run" | "watch" | "build" | "test"));
        if compiles {
            return Err(format!(
                "the image's process runs `{prog}`, which needs the toolchain in the image that ships"
            ));
        }
    }
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
        runs_jar: false,
    };
    let same_file = |p: &str| (p.to_string(), p.to_string(), None);
    let certs = same_file("/etc/ssl/certs/ca-certificates.crt");

    match path.as_str() {
        "golang" => {
            let mut p = slim(&slim_runtime(&tag));
            p.copies.push(certs);
            for out in go_binaries(cx, stage, true)? {
                on_image_path(&mut p, &out, "/go/bin");
                p.copies.push(same_file(&out));
            }
            return Ok(p);
        }
        "rust" | "rustlang/rust" => {
            let mut p = slim(&slim_runtime(&tag));
            p.copies.push(certs);
            for bin in cargo_binaries(cx, stage, true)? {
                on_image_path(&mut p, &bin, "/usr/local/cargo/bin");
                p.copies.push(same_file(&bin));
            }
            return Ok(p);
        }
        "maven" | "gradle" => {
            let jdk = tag
                .split(['-', '_'])
                .find_map(|part| part.strip_prefix("jdk").and_then(|n| n.parse::<u32>().ok()));
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
            let mut p = slim(&format!("eclipse-temurin:{jdk}-jre"));
            p.copies = jar_copies(cx, stage)?;
            return Ok(p);
        }
        "eclipse-temurin" if java_builds(cx, stage).next().is_some() => {
            let Some(jre) = temurin_jre(&tag) else {
                return Err(format!(
                    "`{raw}` has no JRE image beside it for the runtime stage"
                ));
            };
            let mut p = slim(&format!("eclipse-temurin:{jre}"));
            p.copies = jar_copies(cx, stage)?;
            return Ok(p);
        }
        "dotnet/sdk" | "dotnet/core/sdk" => {
            let out = dotnet_output(cx, stage)?;
            let mut p = slim(&format!("mcr.microsoft.com/dotnet/aspnet:{tag}"));
            p.copies.push(same_file(&out));
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
    let same =
        |copies: Vec<(String, String, Option<String>)>, env: Vec<String>, edits: Vec<Edit>| Plan {
            base: raw.clone(),
            copies,
            env,
            edits,
            same_base: true,
            app_dirs: true,
            runs_python,
            runs_jar: false,
        };
    if has(&[Ecosystem::Pip]) || pip_installs(cx, stage).next().is_some() {
        return pip_plan(cx, stage, &path, &user_before, same);
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
            vec![same_file("/usr/local/bundle")],
            Vec::new(),
            Vec::new(),
        ));
    }
    // a jar built with a JDK from the OS packages: the same base, with the JRE
    if java_builds(cx, stage).next().is_some() {
        let mut p = same(jar_copies(cx, stage)?, Vec::new(), Vec::new());
        p.app_dirs = false;
        p.runs_jar = true;
        return Ok(p);
    }
    if let Some(copy) = native_install(cx, stage)? {
        let mut p = same(vec![copy], Vec::new(), Vec::new());
        p.app_dirs = false;
        return Ok(p);
    }
    Err("cannot tell which files the build produces for this kind of project".into())
}

/// The slim runtime image for a binary built on an SDK image with tag `tag`: the same Alpine
/// or Debian release when the tag names one (a binary linked against a newer C library does not
/// run on an older one), else the newest Debian release the official images are built on,
/// `debian:trixie-slim` (a tag without a release, `latest` or `1.25`, follows the newest; a
/// binary an older release built runs on it too).
fn slim_runtime(tag: &str) -> String {
    if let Some(at) = tag.find("alpine") {
        let version: String = tag[at + "alpine".len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        return if version.contains('.') {
            format!("alpine:{version}")
        } else {
            "alpine:3.20".into()
        };
    }
    for release in ["bullseye", "bookworm", "trixie"] {
        if tag.contains(release) {
            return format!("debian:{release}-slim");
        }
    }
    "debian:trixie-slim".into()
}

/// A binary in a folder on the SDK image's PATH (`/go/bin`, `/usr/local/cargo/bin`) stays on the
/// runtime stage's PATH, so a CMD that names it alone still finds it.
fn on_image_path(p: &mut Plan, binary: &str, dir: &str) {
    let env = format!("ENV PATH={dir}:$PATH");
    if within(binary, dir) && !p.env.contains(&env) {
        p.env.push(env);
    }
}

/// Where the stage's pip installs put the packages, as a plan on the same base.
fn pip_plan(
    cx: &Analysis<'_>,
    stage: &Stage,
    path: &str,
    user_before: &[usize],
    same: impl Fn(Vec<(String, String, Option<String>)>, Vec<String>, Vec<Edit>) -> Plan,
) -> Result<Plan, String> {
    let pips: Vec<(usize, Vec<String>, Span)> = pip_installs(cx, stage).collect();
    let user_of = |i: usize| {
        user_before
            .iter()
            .rfind(|&&u| u < i)
            .and_then(|&u| match &cx.instr(u).args {
                Args::Text(w) => Some(w.value.clone()),
                _ => None,
            })
    };
    if let Some((at, venv)) = venv(cx, stage) {
        if pips.iter().all(|(_, args, _)| pip_dest(args).is_none()) {
            // a virtualenv created by a non-root USER stays theirs
            let owner = user_of(at).filter(|u| u.split(':').next() != Some("root") && u != "0");
            return Ok(same(
                vec![(venv.clone(), venv, owner)],
                Vec::new(),
                Vec::new(),
            ));
        }
    }
    if !pips.is_empty()
        && pips
            .iter()
            .all(|(_, args, _)| args.iter().any(|a| a == "--user"))
    {
        let users: Vec<Option<String>> = pips.iter().map(|(i, _, _)| user_of(*i)).collect();
        if users.iter().any(|u| u != &users[0]) {
            return Err("pip installs with `--user` as different users".into());
        }
        let (home, chown) = match &users[0] {
            None => ("/root".to_string(), None),
            Some(u) if u.split(':').next() == Some("root") || u == "0" => {
                ("/root".to_string(), None)
            }
            Some(u) => {
                let name = u.split(':').next().unwrap_or(u);
                let home = home_of(cx, stage, name).ok_or_else(|| {
                    format!("pip installs with `--user` as `{name}`, whose home folder the Dockerfile does not show")
                })?;
                (home, Some(u.clone()))
            }
        };
        let local = format!("{}/.local", home.trim_end_matches('/'));
        return Ok(same(
            vec![(local.clone(), local.clone(), chown)],
            vec![format!("ENV PATH={local}/bin:$PATH")],
            Vec::new(),
        ));
    }
    if pips.iter().any(|(i, _, _)| user_of(*i).is_some()) {
        return Err(
            "pip installs as a non-root USER without `--user`, into a folder layerwise cannot tell"
                .into(),
        );
    }
    // `--prefix=/install`, `--target /deps`: the same folder every time
    let dests: Vec<Option<String>> = pips
        .iter()
        .map(|(i, args, _)| pip_dest(args).map(|d| join_path(&cx.model.workdir[*i], &d)))
        .collect();
    if let Some(Some(dest)) = dests.first() {
        if dests.iter().all(|d| d.as_ref() == Some(dest)) {
            return Ok(same(
                vec![(dest.clone(), dest.clone(), None)],
                Vec::new(),
                Vec::new(),
            ));
        }
        return Err(
            "pip installs some packages into a `--prefix` or `--target` folder and others elsewhere"
                .into(),
        );
    }
    if path == "python" && dests.iter().all(Option::is_none) {
        if let Some(why) = prefix_would_break(cx, stage, &pips) {
            return Err(why);
        }
        let edits = pips
            .iter()
            .map(|(_, _, install)| Edit {
                span: Span::empty(install.end),
                text: " --prefix=/install".into(),
            })
            .collect();
        return Ok(same(
            vec![("/install".into(), "/usr/local".into(), None)],
            Vec::new(),
            edits,
        ));
    }
    Err("cannot tell where pip installs the packages (use `--user`, a virtualenv or a `python` base image)".into())
}

/// Why installing the stage's pip packages into `--prefix=/install` would change the build: a
/// program one of them provides (`pip install uv`) runs later in the stage and would no longer
/// be on PATH, or another installer (`uv pip install --system`, `poetry install`) puts packages
/// into the system, which the runtime stage would not get.
fn prefix_would_break(
    cx: &Analysis<'_>,
    stage: &Stage,
    pips: &[(usize, Vec<String>, Span)],
) -> Option<String> {
    let installed: Vec<String> = pips
        .iter()
        .flat_map(|(_, args, _)| args.iter())
        .filter(|a| !a.starts_with('-') && !a.contains('/') && !a.contains('.'))
        .map(|a| package_name(a).to_ascii_lowercase())
        .collect();
    let first = pips.iter().map(|(i, _, _)| *i).min()?;
    // from the first pip install's own RUN on (found by a blind evaluation: `pip install flit
    // && flit install` in one RUN)
    for i in stage.body.clone().filter(|&i| i >= first) {
        for c in cx.instr(i).commands() {
            if crate::model::commands::pip_args(c).is_some() {
                continue;
            }
            let Some(prog) = c.program() else { continue };
            if installed.iter().any(|p| p == prog) {
                return Some(format!(
                    "`{prog}`, which pip installs, runs later in the build, and installed into a separate prefix it would not be on PATH"
                ));
            }
            let words: Vec<&str> = c.args().iter().map(|w| w.value.as_str()).collect();
            let system_install = (prog == "uv" && words.contains(&"--system"))
                || (matches!(prog, "poetry" | "pdm" | "pipenv" | "flit")
                    && words.first() == Some(&"install"));
            if system_install {
                return Some(format!(
                    "`{prog}` also installs packages into the system, which the runtime stage would not get"
                ));
            }
        }
    }
    None
}

/// The folder of pip's `--prefix`, `--target`, `-t` or `--root`.
fn pip_dest(args: &[String]) -> Option<String> {
    for (k, a) in args.iter().enumerate() {
        for opt in ["--prefix", "--target", "-t", "--root"] {
            if a == opt {
                return args.get(k + 1).cloned();
            }
            if let Some(v) = a.strip_prefix(opt).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// The home folder of the user `name` a RUN of the stage creates (`useradd -m app`,
/// `adduser -D -h /srv app`).
fn home_of(cx: &Analysis<'_>, stage: &Stage, name: &str) -> Option<String> {
    for i in stage.body.clone() {
        for c in cx.instr(i).commands() {
            let words: Vec<&str> = c.argv().iter().map(|w| w.value.as_str()).collect();
            let (value_opts, home_opts): (&[&str], &[&str]) = match c.program() {
                Some("useradd") => (
                    &[
                        "-d",
                        "--home-dir",
                        "--home",
                        "-g",
                        "--gid",
                        "-G",
                        "--groups",
                        "-s",
                        "--shell",
                        "-u",
                        "--uid",
                        "-c",
                        "--comment",
                        "-k",
                        "--skel",
                        "-e",
                        "--expiredate",
                        "-f",
                        "--inactive",
                        "-K",
                        "--key",
                        "-p",
                        "--password",
                        "-b",
                        "--base-dir",
                        "-R",
                        "--root",
                        "-Z",
                    ],
                    &["-d", "--home-dir", "--home"],
                ),
                Some("adduser") => (
                    &[
                        "-h",
                        "--home",
                        "-s",
                        "--shell",
                        "-g",
                        "--gecos",
                        "-G",
                        "--ingroup",
                        "-u",
                        "--uid",
                        "-k",
                        "--gid",
                        "--firstuid",
                        "--lastuid",
                        "--conf",
                    ],
                    &["-h", "--home"],
                ),
                _ => continue,
            };
            let mut home = None;
            let mut base = None;
            let mut positional = Vec::new();
            let mut k = 1;
            while k < words.len() {
                let w = words[k];
                if let Some((opt, v)) = w.split_once('=').filter(|(o, _)| o.starts_with("--")) {
                    if home_opts.contains(&opt) {
                        home = Some(v.to_string());
                    }
                } else if value_opts.contains(&w) {
                    let v = words.get(k + 1).map(|s| (*s).to_string());
                    if home_opts.contains(&w) {
                        home = v;
                    } else if matches!(w, "-b" | "--base-dir") {
                        base = v;
                    }
                    k += 1;
                } else if !w.starts_with('-') {
                    positional.push(w);
                }
                k += 1;
            }
            let user = if c.program() == Some("useradd") {
                positional.last()
            } else {
                positional.first()
            };
            if user == Some(&name) {
                return Some(home.unwrap_or_else(|| {
                    format!(
                        "{}/{name}",
                        base.as_deref().unwrap_or("/home").trim_end_matches('/')
                    )
                }));
            }
        }
    }
    None
}

/// The file the image path `path` holds from the build context when instruction `upto` runs:
/// the COPY or ADD of the stage that put it there, read through the context.
fn context_file(cx: &Analysis<'_>, stage: &Stage, upto: usize, path: &str) -> Option<String> {
    let (parent, file) = path.rsplit_once('/')?;
    let parent = if parent.is_empty() { "/" } else { parent };
    for i in stage.body.clone().filter(|&i| i < upto).rev() {
        let l = cx.instr(i);
        if !matches!(l.keyword, Keyword::Copy | Keyword::Add) || l.flag("from").is_some() {
            continue;
        }
        let Args::Copy { sources, dest, .. } = &l.args else {
            continue;
        };
        let Some(d) = cx.model.expand_at(cx.tree, i, &dest.value) else {
            continue;
        };
        let dest_abs = join_path(&cx.model.workdir[i], &d);
        let to_dir = d.ends_with('/') || sources.len() > 1 || d == ".";
        for s in sources.iter().rev() {
            let src = s.value.trim_start_matches("./").trim_end_matches('/');
            let src = if src == "." { "" } else { src };
            let (src_dir, src_name) = src.rsplit_once('/').unwrap_or(("", src));
            let candidate = if src.contains(['*', '?']) {
                // `COPY go.* ./`
                (to_dir
                    && dest_abs == parent
                    && !src_dir.contains(['*', '?'])
                    && glob(src_name, file))
                .then(|| ctx_join(src_dir, file))
            } else if within(path, &dest_abs) && path != dest_abs {
                // a folder copied over the path's folder
                Some(ctx_join(
                    src,
                    path[dest_abs.len()..].trim_start_matches('/'),
                ))
            } else if (to_dir && dest_abs == parent && src_name == file)
                || (!to_dir && dest_abs == path)
            {
                Some(src.to_string())
            } else {
                None
            };
            if let Some(text) = candidate.and_then(|c| cx.context.read(&c)) {
                return Some(text);
            }
        }
    }
    None
}

fn ctx_join(dir: &str, rel: &str) -> String {
    match (dir.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{rel}"),
    }
}

/// A `*`/`?` pattern of one path element matches `name`.
fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|k| go(rest, &n[k..])),
            Some((b'?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// The value of variable `name` for a command of instruction `i`: its own assignment
/// (`GOBIN=/out go install`), else the ENV or ARG in effect.
fn var_for(
    cx: &Analysis<'_>,
    i: usize,
    c: &crate::syntax::shell::Command,
    name: &str,
) -> Option<String> {
    c.assignments
        .iter()
        .rev()
        .find_map(|a| {
            a.value
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_string)
        })
        .or_else(|| cx.model.var_at(cx.tree, i, name))
}

/// The commands of RUN `i` with the folder each runs in: the WORKDIR, moved by the `cd`s before
/// it in the same RUN (`None` once a `cd` goes somewhere unknown).
fn run_steps<'c>(
    cx: &'c Analysis<'_>,
    i: usize,
) -> Vec<(&'c crate::syntax::shell::Command, Option<String>)> {
    let l = cx.instr(i);
    if l.keyword != Keyword::Run {
        return Vec::new();
    }
    let mut cwd = Some(cx.model.workdir[i].to_string());
    let mut out = Vec::new();
    for c in l.commands() {
        out.push((c, cwd.clone()));
        if matches!(c.program(), Some("cd" | "pushd" | "popd")) {
            let to = c.argv().get(1).map(|w| w.value.as_str());
            cwd = match (c.program(), to, &cwd) {
                (Some("cd" | "pushd"), Some(to), Some(now))
                    if !to.contains(['$', '~']) && to != "-" =>
                {
                    Some(join_path(now, to))
                }
                _ => None,
            };
        }
    }
    out
}

/// The program and arguments of a command of instruction `i`, with the variables the ENV and
/// ARG in effect give a value to expanded (`go build -o $BIN`); the others stay as written.
fn argv_expanded(cx: &Analysis<'_>, i: usize, c: &crate::syntax::shell::Command) -> Vec<String> {
    c.argv()
        .iter()
        .map(|w| {
            if w.value.contains('$') {
                cx.model
                    .expand_at(cx.tree, i, &w.value)
                    .unwrap_or_else(|| w.value.clone())
            } else {
                w.value.clone()
            }
        })
        .collect()
}

/// The reason a build step cannot be followed after a `cd` to an unknown folder.
fn unknown_cwd(what: &str) -> String {
    format!("`{what}` runs after a `cd` to a folder layerwise cannot tell")
}

/// Folders a `cp` or `mv` into which keeps the file's name, besides the stage's WORKDIRs and
/// the folders it makes.
const KNOWN_DIRS: &[&str] = &[
    "/usr/local/bin",
    "/usr/local/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/bin",
    "/sbin",
    "/opt",
    "/app",
    "/srv",
    "/usr/src",
    "/usr/local/lib",
];

/// Follow the built artifacts through the `cp`, `mv` and `install` commands of the stage that
/// take them elsewhere (`cp target/release/app /usr/local/bin/`): a copy is taken from its new
/// place too, a move only from there.
///
/// # Errors
/// When an artifact's folder is copied or moved, or it is linked with `ln`.
fn follow_moves(
    cx: &Analysis<'_>,
    stage: &Stage,
    copies: Vec<(String, String, Option<String>)>,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    let mut out = copies;
    let mut dirs: Vec<String> = stage
        .body
        .clone()
        .filter(|&i| cx.instr(i).keyword == Keyword::Workdir)
        .map(|i| cx.model.workdir[i].to_string())
        .collect();
    for i in stage.body.clone() {
        for (c, cwd) in run_steps(cx, i) {
            let Some(prog) = c.program() else { continue };
            if !matches!(prog, "cp" | "mv" | "install" | "ln" | "mkdir") {
                continue;
            }
            let mut words: Vec<&str> = Vec::new();
            let argv = argv_expanded(cx, i, c);
            let mut k = 1;
            while k < argv.len() {
                let w = argv[k].as_str();
                if prog == "install"
                    && matches!(
                        w,
                        "-m" | "-o" | "-g" | "-S" | "--mode" | "--owner" | "--group"
                    )
                {
                    k += 1;
                } else if !w.starts_with('-') {
                    words.push(w);
                }
                k += 1;
            }
            let Some(cwd) = cwd else { continue };
            if prog == "mkdir" {
                dirs.extend(words.iter().map(|w| join_path(&cwd, w)));
                continue;
            }
            let Some((dest, sources)) = words.split_last() else {
                continue;
            };
            if sources.is_empty() {
                continue;
            }
            let dest_abs = join_path(&cwd, dest);
            let into_dir = dest.ends_with('/')
                || sources.len() > 1
                || KNOWN_DIRS.contains(&dest_abs.as_str())
                || dirs.contains(&dest_abs);
            for src in sources {
                let src_abs = join_path(&cwd, src);
                let mut moved: Vec<usize> = Vec::new();
                let mut added: Vec<(String, String, Option<String>)> = Vec::new();
                for (k, (from, _, chown)) in out.iter().enumerate() {
                    let (from_dir, from_name) = from.rsplit_once('/').unwrap_or(("", from));
                    let (src_dir, src_name) = src_abs.rsplit_once('/').unwrap_or(("", &src_abs));
                    let same = src_abs == *from
                        || (from_dir == src_dir
                            && (glob(from_name, src_name) || glob(src_name, from_name)));
                    if !same {
                        if within(from, &src_abs) {
                            return Err(format!(
                                "`{prog} {src}` takes the folder of the build output `{from}` elsewhere, which layerwise does not follow"
                            ));
                        }
                        continue;
                    }
                    if prog == "ln" {
                        return Err(format!(
                            "`ln` links the build output `{from}` elsewhere, which layerwise does not follow"
                        ));
                    }
                    let name = if src_name.contains(['*', '?']) {
                        from_name
                    } else {
                        src_name
                    };
                    let to = if into_dir {
                        format!("{}/{name}", dest_abs.trim_end_matches('/'))
                    } else {
                        dest_abs.clone()
                    };
                    let copy = if to.contains(['*', '?']) {
                        (
                            to.clone(),
                            format!("{}/", dest_abs.trim_end_matches('/')),
                            chown.clone(),
                        )
                    } else {
                        (to.clone(), to, chown.clone())
                    };
                    added.push(copy);
                    if prog == "mv" {
                        moved.push(k);
                    }
                }
                for k in moved.into_iter().rev() {
                    out.remove(k);
                }
                for a in added {
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Flags of `go build` and `go install` that take a value.
const GO_VALUE_FLAGS: &[&str] = &[
    "o",
    "p",
    "C",
    "tags",
    "ldflags",
    "gcflags",
    "asmflags",
    "mod",
    "modfile",
    "pkgdir",
    "buildmode",
    "compiler",
    "gccgoflags",
    "installsuffix",
    "overlay",
    "pgo",
    "toolexec",
    "coverpkg",
    "covermode",
];

/// The binaries the stage's `go build` and `go install` write. A `go build` without `-o` names
/// the binary after the last element of the package's import path: the module path in go.mod
/// for the module's root folder, the folder's name otherwise; `go install` writes it into
/// `$GOBIN`, else `$GOPATH/bin` (`/go/bin` on golang images). Installs of remote packages
/// (`go install golang.org/x/tools/...@latest`) are tools, counted only when nothing else is
/// built.
fn go_binaries(
    cx: &Analysis<'_>,
    stage: &Stage,
    golang_image: bool,
) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut remote: Vec<String> = Vec::new();
    for i in stage.body.clone() {
        for (c, cwd) in run_steps(cx, i) {
            let expanded = argv_expanded(cx, i, c);
            let words: Vec<&str> = expanded.iter().map(String::as_str).collect();
            if words.first() != Some(&"go") || !matches!(words.get(1), Some(&("build" | "install")))
            {
                continue;
            }
            let cwd = cwd.ok_or_else(|| unknown_cwd("go build"))?;
            let install = match words.get(1) {
                Some(&"build") => false,
                Some(&"install") => true,
                _ => continue,
            };
            let mut flags: Vec<(&str, &str)> = Vec::new();
            let mut packages: Vec<&str> = Vec::new();
            let mut k = 2;
            while k < words.len() {
                let w = words[k];
                if let Some(f) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) {
                    match f.split_once('=') {
                        Some((name, v)) => flags.push((name, v)),
                        None if GO_VALUE_FLAGS.contains(&f) => {
                            flags.push((f, words.get(k + 1).copied().unwrap_or_default()));
                            k += 1;
                        }
                        None => flags.push((f, "")),
                    }
                } else {
                    packages.push(w);
                }
                k += 1;
            }
            let flag = |n: &str| flags.iter().rev().find(|(f, _)| *f == n).map(|(_, v)| *v);
            if let Some(mode) = flag("buildmode") {
                if !matches!(mode, "exe" | "pie" | "default") {
                    return Err(format!("`go build -buildmode={mode}` writes no program"));
                }
            }
            let cwd = join_path(&cwd, flag("C").unwrap_or("."));
            if packages.is_empty() {
                packages.push(".");
            }
            // source files on the command line make one package
            if packages.iter().all(|p| p.ends_with(".go")) {
                packages.truncate(1);
            }
            let several = packages.len() > 1 || packages.iter().any(|p| p.contains("..."));
            let output = flag("o").filter(|o| !o.is_empty());
            if install {
                if ["GOOS", "GOARCH"]
                    .iter()
                    .any(|v| var_for(cx, i, c, v).is_some())
                {
                    return Err("a cross-compiling `go install` writes into a `bin/<os>_<arch>` folder; use `go build -o`".into());
                }
                let bin = go_bin(cx, i, c, golang_image)?;
                for p in &packages {
                    if p.contains("...") {
                        // every program under the pattern: the whole folder goes along, named
                        // or not (found by a blind evaluation: `go install -v ./...`)
                        if !(p.starts_with("./") || *p == "...") {
                            return Err(format!("`go install {p}` writes binaries layerwise cannot name; install each package"));
                        }
                        out.push(bin.clone());
                        continue;
                    }
                    let (name, local) = go_exec_name(cx, stage, i, &cwd, p)?;
                    let path = join_path(&bin, &name);
                    if local {
                        out.push(path)
                    } else {
                        remote.push(path)
                    }
                }
            } else if let Some(o) = output.filter(|o| o.ends_with('/')) {
                let dir = join_path(&cwd, o);
                for p in &packages {
                    if p.contains("...") {
                        return Err(format!("`go build -o {o} {p}` writes binaries layerwise cannot name; build each package"));
                    }
                    let (name, _) = go_exec_name(cx, stage, i, &cwd, p)?;
                    out.push(join_path(&dir, &name));
                }
            } else if several {
                // `go build ./...` only checks that the packages compile: it writes nothing
                if let Some(o) = output {
                    return Err(format!(
                        "`go build -o {o}` of several packages needs a folder (`-o {o}/`)"
                    ));
                }
            } else if let Some(o) = output {
                out.push(join_path(&cwd, o));
            } else {
                let (name, _) = go_exec_name(cx, stage, i, &cwd, packages[0])?;
                out.push(join_path(&cwd, &name));
            }
        }
    }
    if out.is_empty() {
        out = remote;
    }
    if out.is_empty() {
        return Err(
            "no `go build` or `go install` of the stage writes a binary layerwise can name".into(),
        );
    }
    out.dedup();
    Ok(out)
}

/// Where `go install` writes: `$GOBIN`, `$GOPATH/bin`, or `/go/bin` on golang images.
fn go_bin(
    cx: &Analysis<'_>,
    i: usize,
    c: &crate::syntax::shell::Command,
    golang_image: bool,
) -> Result<String, String> {
    let known = |v: String| {
        cx.model
            .expand_at(cx.tree, i, &v)
            .filter(|v| v.starts_with('/'))
    };
    if let Some(gobin) = var_for(cx, i, c, "GOBIN") {
        return known(gobin).ok_or_else(|| "cannot tell the folder `$GOBIN` names".to_string());
    }
    if let Some(gopath) = var_for(cx, i, c, "GOPATH") {
        let first = gopath.split(':').next().unwrap_or_default().to_string();
        return known(first)
            .map(|p| format!("{}/bin", p.trim_end_matches('/')))
            .ok_or_else(|| "cannot tell the folder `$GOPATH` names".to_string());
    }
    if golang_image {
        return Ok("/go/bin".into());
    }
    Err("cannot tell where `go install` writes the binary without `GOBIN` or `GOPATH`".into())
}

/// The name `go build` gives the binary of package `p` (and whether it is a local package):
/// the last element of its import path, before a `/vN` major version suffix.
fn go_exec_name(
    cx: &Analysis<'_>,
    stage: &Stage,
    i: usize,
    cwd: &str,
    p: &str,
) -> Result<(String, bool), String> {
    // `go build main.go`: named after the first file
    if let Some(stem) = p.strip_suffix(".go") {
        let name = stem.rsplit('/').next().unwrap_or(stem);
        if !name.is_empty() {
            return Ok((name.to_string(), true));
        }
    }
    let local =
        p == "." || p == ".." || p.starts_with("./") || p.starts_with("../") || p.starts_with('/');
    if !local {
        let import = p.split('@').next().unwrap_or(p);
        return exec_name(import)
            .map(|n| (n, false))
            .ok_or_else(|| format!("cannot name the binary of `{p}`"));
    }
    let dir = join_path(cwd, p);
    // the module the folder belongs to: the nearest go.mod above it
    let mut at = dir.clone();
    let mut inside_module = false;
    loop {
        if let Some(gomod) = context_file(cx, stage, i, &join_path(&at, "go.mod")) {
            if at != dir {
                inside_module = true;
                break;
            }
            let module = module_path(&gomod).ok_or("the go.mod has no `module` line")?;
            return exec_name(&module)
                .map(|n| (n, true))
                .ok_or_else(|| format!("cannot name the binary of module `{module}`"));
        }
        match at.rsplit_once('/') {
            Some((up, _)) if at != "/" => at = if up.is_empty() { "/".into() } else { up.into() },
            _ => break,
        }
    }
    let name = dir.rsplit('/').next().unwrap_or_default();
    // without a go.mod above it, `.` may be a module root whose go.mod is not in view
    if name.is_empty() || (!inside_module && (p == "." || p == "..")) {
        return Err(format!(
            "cannot tell the name `go build` gives the binary of `{dir}` without its go.mod in the build context; add `-o`"
        ));
    }
    Ok((name.to_string(), true))
}

/// The last element of an import path, skipping a major version suffix (`/v2`).
fn exec_name(import: &str) -> Option<String> {
    let mut parts: Vec<&str> = import.trim_end_matches('/').split('/').collect();
    let last = parts.pop().filter(|s| !s.is_empty())?;
    let major = last.len() >= 2
        && last.starts_with('v')
        && last[1..].bytes().all(|b| b.is_ascii_digit())
        && !matches!(last, "v0" | "v1");
    match parts.last() {
        Some(prev) if major && !prev.is_empty() => Some((*prev).to_string()),
        _ => Some(last.to_string()),
    }
}

/// The `module` path of a go.mod.
fn module_path(gomod: &str) -> Option<String> {
    gomod.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or_default().trim();
        let rest = line.strip_prefix("module")?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let m = rest.trim().trim_matches(['"', '`']);
        (!m.is_empty()).then(|| m.to_string())
    })
}

/// Cargo options that take a value.
const CARGO_VALUE_FLAGS: &[&str] = &[
    "--bin",
    "--target",
    "--target-dir",
    "--profile",
    "--manifest-path",
    "-p",
    "--package",
    "--features",
    "-F",
    "-j",
    "--jobs",
    "--example",
    "--message-format",
    "--color",
    "--config",
    "-Z",
    "--root",
    "--path",
    "--git",
    "--branch",
    "--tag",
    "--rev",
    "--version",
    "--index",
    "--registry",
    "--exclude",
    "--lockfile-path",
];

/// The binaries the stage's `cargo build` and `cargo install --path` write:
/// `<target-dir>/[<triple>/]<profile>/<name>`, or `<root>/bin/<name>` (`/usr/local/cargo/bin`
/// on rust images). The names come from `--bin`, else the `[[bin]]` targets or the package
/// name in Cargo.toml.
fn cargo_binaries(
    cx: &Analysis<'_>,
    stage: &Stage,
    rust_image: bool,
) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut saw_build = false;
    for i in stage.body.clone() {
        for (c, cwd) in run_steps(cx, i) {
            let expanded = argv_expanded(cx, i, c);
            let words: Vec<&str> = expanded.iter().map(String::as_str).collect();
            if words.first() != Some(&"cargo") {
                continue;
            }
            let Some(cwd) = cwd else {
                if words
                    .iter()
                    .any(|w| matches!(*w, "build" | "b" | "install"))
                {
                    return Err(unknown_cwd("cargo build"));
                }
                continue;
            };
            let mut opts: Vec<(&str, &str)> = Vec::new();
            let mut positional: Vec<&str> = Vec::new();
            let mut k = 1;
            while k < words.len() {
                let w = words[k];
                if w.starts_with('+') {
                    // `cargo +nightly build`
                } else if let Some((o, v)) = w.split_once('=').filter(|(o, _)| o.starts_with("--"))
                {
                    opts.push((o, v));
                } else if CARGO_VALUE_FLAGS.contains(&w) {
                    opts.push((w, words.get(k + 1).copied().unwrap_or_default()));
                    k += 1;
                } else if w.starts_with('-') {
                    opts.push((w, ""));
                } else {
                    positional.push(w);
                }
                k += 1;
            }
            let opt = |n: &[&str]| {
                opts.iter()
                    .rev()
                    .find(|(o, _)| n.contains(o))
                    .map(|(_, v)| *v)
            };
            let bins: Vec<String> = opts
                .iter()
                .filter(|(o, _)| *o == "--bin")
                .map(|(_, v)| (*v).to_string())
                .collect();
            if bins.iter().any(|b| b.is_empty() || b.contains('$')) {
                return Err("cannot tell the binary `--bin` names".into());
            }
            let manifest_dir = |m: Option<&str>| match m {
                Some(m) => {
                    let p = join_path(&cwd, m);
                    p.rsplit_once('/').map_or("/".to_string(), |(d, _)| {
                        if d.is_empty() {
                            "/".to_string()
                        } else {
                            d.to_string()
                        }
                    })
                }
                None => cwd.clone(),
            };
            let names = |dir: &str| -> Result<Vec<String>, String> {
                if !bins.is_empty() {
                    return Ok(bins.clone());
                }
                if opt(&["-p", "--package"]).is_some() || opt(&["--workspace", "--all"]).is_some() {
                    return Err("`cargo build -p` builds a workspace member whose binaries layerwise does not look up; add `--bin <name>`".into());
                }
                cargo_bin_names(cx, stage, i, dir)
            };
            match positional.first() {
                Some(&("build" | "b")) => {
                    saw_build = true;
                    let profile = match opt(&["--profile"]) {
                        Some("dev" | "test") => "debug",
                        Some("bench") => "release",
                        Some(p) => p,
                        None if opt(&["--release", "-r"]).is_some() => "release",
                        None => {
                            return Err(
                                "`cargo build` without `--release` builds a debug binary".into()
                            )
                        }
                    };
                    let dir = manifest_dir(opt(&["--manifest-path"]));
                    let target = match opt(&["--target-dir"])
                        .map(str::to_string)
                        .or_else(|| var_for(cx, i, c, "CARGO_TARGET_DIR"))
                        .or_else(|| var_for(cx, i, c, "CARGO_BUILD_TARGET_DIR"))
                    {
                        Some(t) => join_path(
                            &dir,
                            &cx.model
                                .expand_at(cx.tree, i, &t)
                                .ok_or("cannot tell the folder of Cargo's target directory")?,
                        ),
                        None => join_path(&dir, "target"),
                    };
                    let triple = opt(&["--target"])
                        .map(str::to_string)
                        .or_else(|| var_for(cx, i, c, "CARGO_BUILD_TARGET"));
                    let folder = match triple {
                        Some(t) if t.contains('$') => {
                            return Err("cannot tell the target triple Cargo builds for".into())
                        }
                        Some(t) => format!("{}/{t}/{profile}", target.trim_end_matches('/')),
                        None => format!("{}/{profile}", target.trim_end_matches('/')),
                    };
                    for n in names(&dir)? {
                        out.push(format!("{folder}/{n}"));
                    }
                }
                Some(&"install") => {
                    let Some(path) = opt(&["--path"]) else {
                        // a tool from a registry or a git repository
                        continue;
                    };
                    saw_build = true;
                    let dir = join_path(&cwd, path);
                    let root = match opt(&["--root"])
                        .map(str::to_string)
                        .or_else(|| var_for(cx, i, c, "CARGO_INSTALL_ROOT"))
                        .or_else(|| var_for(cx, i, c, "CARGO_HOME"))
                    {
                        Some(r) => join_path(
                            &cwd,
                            &cx.model
                                .expand_at(cx.tree, i, &r)
                                .ok_or("cannot tell the folder `cargo install` writes into")?,
                        ),
                        None if rust_image => "/usr/local/cargo".into(),
                        None => {
                            return Err("cannot tell where `cargo install` writes without `--root` or `CARGO_HOME`".into())
                        }
                    };
                    for n in names(&dir)? {
                        out.push(format!("{}/bin/{n}", root.trim_end_matches('/')));
                    }
                }
                _ => {}
            }
        }
    }
    if !saw_build {
        return Err("no `cargo build --release` or `cargo install --path` in the stage".into());
    }
    let mut seen = Vec::new();
    out.retain(|p| {
        let new = !seen.contains(p);
        seen.push(p.clone());
        new
    });
    Ok(out)
}

/// The binaries of the package whose Cargo.toml is in the image folder `dir` when instruction
/// `i` runs: its `[[bin]]` targets (and `src/main.rs`, named after the package, unless a
/// target claims it), or the package name.
fn cargo_bin_names(
    cx: &Analysis<'_>,
    stage: &Stage,
    i: usize,
    dir: &str,
) -> Result<Vec<String>, String> {
    let manifest = context_file(cx, stage, i, &join_path(dir, "Cargo.toml")).ok_or(
        "cannot read the Cargo.toml from the build context to name the binary; add `--bin <name>`",
    )?;
    let table: toml::Table = manifest
        .parse()
        .map_err(|_| "the Cargo.toml does not parse, so the binary's name is unknown")?;
    let package = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str);
    let targets = table
        .get("bin")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names = Vec::new();
    for t in &targets {
        if t.get("required-features").is_some() {
            return Err(
                "a `[[bin]]` of the Cargo.toml needs features to be built; add `--bin <name>`"
                    .into(),
            );
        }
        let Some(n) = t.get("name").and_then(toml::Value::as_str) else {
            return Err("a `[[bin]]` of the Cargo.toml has no name".into());
        };
        names.push(n.to_string());
    }
    let Some(package) = package else {
        if names.is_empty() {
            return Err(
                "the Cargo.toml is a workspace; add `--bin <name>` to name the binary".into(),
            );
        }
        return Ok(names);
    };
    let main_claimed = targets.iter().any(|t| {
        t.get("path").and_then(toml::Value::as_str) == Some("src/main.rs")
            || t.get("name").and_then(toml::Value::as_str) == Some(package)
    });
    let autobins = table
        .get("package")
        .and_then(|p| p.get("autobins"))
        .and_then(toml::Value::as_bool)
        != Some(false);
    let has_main = context_file(cx, stage, i, &join_path(dir, "src/main.rs")).is_some();
    if names.is_empty() || (has_main && autobins && !main_claimed) {
        names.push(package.to_string());
    }
    Ok(names)
}

/// Whether a RUN of the stage builds a jar with Maven or Gradle (`mvn package`, `./gradlew bootJar`).
#[must_use]
pub fn builds_jar(cx: &Analysis<'_>, stage: &Stage) -> bool {
    java_builds(cx, stage).next().is_some()
}

/// The folders the jars of the stage's Maven and Gradle builds land in.
fn java_builds<'a>(
    cx: &'a Analysis<'_>,
    stage: &Stage,
) -> impl Iterator<Item = Result<String, String>> + 'a {
    stage.body.clone().flat_map(move |i| {
        run_steps(cx, i)
            .into_iter()
            .filter_map(move |(c, cwd)| jar_folder(cx, stage_of(cx, i), i, c, cwd))
            .collect::<Vec<_>>()
    })
}

fn stage_of<'a>(cx: &'a Analysis<'_>, i: usize) -> &'a Stage {
    let s = cx.model.stage_of[i].unwrap_or_default();
    &cx.model.stages[s]
}

/// The folder the jar of a `mvn package` (`target`) or `gradle build` (`build/libs`) lands in.
fn jar_folder(
    cx: &Analysis<'_>,
    stage: &Stage,
    i: usize,
    c: &crate::syntax::shell::Command,
    cwd: Option<String>,
) -> Option<Result<String, String>> {
    let expanded = argv_expanded(cx, i, c);
    let words: Vec<&str> = expanded.iter().map(String::as_str).collect();
    let maven = match c.program()? {
        "mvn" | "mvnw" => true,
        "gradle" | "gradlew" => false,
        _ => return None,
    };
    let value_opts: &[&str] = if maven {
        &[
            "-f",
            "--file",
            "-pl",
            "--projects",
            "-P",
            "--activate-profiles",
            "-s",
            "--settings",
            "-gs",
            "--global-settings",
            "-t",
            "--toolchains",
            "-T",
            "--threads",
            "-rf",
            "--resume-from",
            "-l",
            "--log-file",
            "-b",
            "--builder",
        ]
    } else {
        &[
            "-p",
            "--project-dir",
            "-x",
            "--exclude-task",
            "-b",
            "--build-file",
            "-c",
            "--settings-file",
            "-I",
            "--init-script",
            "-g",
            "--gradle-user-home",
            "--project-cache-dir",
        ]
    };
    let mut opts: Vec<(&str, &str)> = Vec::new();
    let mut goals: Vec<&str> = Vec::new();
    let mut k = 1;
    while k < words.len() {
        let w = words[k];
        if value_opts.contains(&w) {
            opts.push((w, words.get(k + 1).copied().unwrap_or_default()));
            k += 1;
        } else if let Some((o, v)) = w.split_once('=').filter(|(o, _)| o.starts_with("--")) {
            opts.push((o, v));
        } else if !w.starts_with('-') {
            goals.push(w);
        }
        k += 1;
    }
    let opt = |n: &[&str]| {
        opts.iter()
            .rev()
            .find(|(o, _)| n.contains(o))
            .map(|(_, v)| *v)
    };
    let jar_task = |t: &str| matches!(t, "build" | "assemble" | "jar" | "bootJar" | "shadowJar");
    let builds = if maven {
        goals
            .iter()
            .any(|g| matches!(*g, "package" | "install" | "verify" | "deploy"))
    } else {
        goals
            .iter()
            .any(|g| jar_task(g.rsplit(':').next().unwrap_or(g)))
    };
    if !builds {
        return None;
    }
    let Some(cwd) = cwd else {
        return Some(Err(unknown_cwd(if maven { "mvn" } else { "gradle" })));
    };
    if maven {
        if !goals
            .iter()
            .any(|g| matches!(*g, "package" | "install" | "verify" | "deploy"))
        {
            return None;
        }
        if opt(&["-pl", "--projects"]).is_some() {
            return Some(Err(
                "`mvn -pl` builds modules whose jars layerwise does not locate".into(),
            ));
        }
        let dir = match opt(&["-f", "--file"]) {
            Some(f) if f.ends_with(".xml") => {
                let p = join_path(&cwd, f);
                p.rsplit_once('/')
                    .map_or("/".into(), |(d, _)| d.to_string())
            }
            Some(f) => join_path(&cwd, f),
            None => cwd,
        };
        if context_file(cx, stage, i, &join_path(&dir, "pom.xml"))
            .is_some_and(|pom| pom.contains("<modules>"))
        {
            return Some(Err(
                "the pom.xml has modules, whose jars layerwise does not locate".into(),
            ));
        }
        return Some(Ok(join_path(&dir, "target")));
    }
    let task = goals
        .iter()
        .find(|g| jar_task(g.rsplit(':').next().unwrap_or(g)))?;
    let dir = join_path(&cwd, opt(&["-p", "--project-dir"]).unwrap_or("."));
    // `:app:bootJar` builds the jar of the `app` project
    let project = task
        .rsplit_once(':')
        .map(|(p, _)| p.trim_start_matches(':').replace(':', "/"));
    let root = match project.as_deref() {
        Some(p) if !p.is_empty() => join_path(&dir, p),
        _ => {
            let settings = ["settings.gradle", "settings.gradle.kts"]
                .iter()
                .find_map(|s| context_file(cx, stage, i, &join_path(&dir, s)));
            if settings.is_some_and(|s| s.contains("include")) {
                return Some(Err("the Gradle build includes several projects, whose jars layerwise does not locate; name the task's project (`:app:bootJar`)".into()));
            }
            dir
        }
    };
    Some(Ok(join_path(&root, "build/libs")))
}

/// The jars the stage builds, each folder copied to the same place.
fn jar_copies(
    cx: &Analysis<'_>,
    stage: &Stage,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    let runs_jar = [Keyword::Entrypoint, Keyword::Cmd].iter().any(|&k| {
        cx.model
            .effective_in(cx.tree, stage.index, k)
            .is_some_and(|i| instruction_text(cx.text, cx.instr(i)).contains(".jar"))
    });
    if !runs_jar {
        return Err("the image's process runs no jar, so the runtime stage cannot tell what it needs from the build".into());
    }
    let mut out: Vec<(String, String, Option<String>)> = Vec::new();
    for folder in java_builds(cx, stage) {
        let folder = folder?;
        let copy = (
            format!("{}/*.jar", folder.trim_end_matches('/')),
            format!("{}/", folder.trim_end_matches('/')),
            None,
        );
        if !out.contains(&copy) {
            out.push(copy);
        }
    }
    if out.is_empty() {
        return Err("no `mvn package` or `gradle build` of the stage writes a jar".into());
    }
    Ok(out)
}

/// The JRE tag beside an eclipse-temurin JDK tag: `17-jdk-jammy` -> `17-jre-jammy`,
/// `21-alpine` -> `21-jre-alpine`, `17` -> `17-jre`.
fn temurin_jre(tag: &str) -> Option<String> {
    if tag.contains("jre") {
        return None;
    }
    if tag.contains("jdk") {
        return Some(tag.replacen("jdk", "jre", 1));
    }
    let (version, rest) = tag.split_once('-').unwrap_or((tag, ""));
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(if rest.is_empty() {
        format!("{version}-jre")
    } else {
        format!("{version}-jre-{rest}")
    })
}

/// What a native build installs: `cmake --install` or `make install` under a prefix of its own
/// (`-DCMAKE_INSTALL_PREFIX=/opt/app`, `--prefix /opt/app`, `./configure --prefix=/opt/app`),
/// or into a `DESTDIR`, as a `(from, to)` copy. `None` when the stage builds nothing natively.
///
/// # Errors
/// When the build leaves its output where it cannot be named.
fn native_install(
    cx: &Analysis<'_>,
    stage: &Stage,
) -> Result<Option<(String, String, Option<String>)>, String> {
    let mut builder: Option<&'static str> = None;
    let mut installs = false;
    let mut prefix: Option<String> = None;
    let mut destdir: Option<String> = None;
    for i in stage.body.clone() {
        for (c, cwd) in run_steps(cx, i) {
            let expanded = argv_expanded(cx, i, c);
            let words: Vec<&str> = expanded.iter().map(String::as_str).collect();
            if !matches!(
                c.program(),
                Some("cmake" | "configure" | "make" | "gmake" | "ninja" | "meson")
            ) {
                continue;
            }
            let cwd = cwd.ok_or_else(|| unknown_cwd(c.program().unwrap_or_default()))?;
            let value_after = |opt: &str| {
                words.iter().enumerate().find_map(|(k, w)| {
                    if *w == opt {
                        words.get(k + 1).map(|s| (*s).to_string())
                    } else {
                        w.strip_prefix(opt)?.strip_prefix('=').map(str::to_string)
                    }
                })
            };
            match c.program() {
                Some("cmake") => {
                    builder = builder.or(Some("cmake"));
                    if let Some(p) = words.iter().find_map(|w| {
                        w.strip_prefix("-DCMAKE_INSTALL_PREFIX=")
                            .or_else(|| w.strip_prefix("-DCMAKE_INSTALL_PREFIX:PATH="))
                    }) {
                        prefix = Some(join_path(&cwd, p));
                    }
                    if words.contains(&"--install")
                        || (words.contains(&"--build")
                            && value_after("--target").as_deref() == Some("install"))
                    {
                        installs = true;
                        if let Some(p) = value_after("--prefix") {
                            prefix = Some(join_path(&cwd, &p));
                        }
                    }
                }
                Some("configure") => {
                    builder = builder.or(Some("make"));
                    if let Some(p) = value_after("--prefix") {
                        prefix = Some(join_path(&cwd, &p));
                    }
                }
                Some(p @ ("make" | "gmake" | "ninja" | "meson")) => {
                    builder = builder.or(Some(match p {
                        "ninja" => "ninja",
                        "meson" => "meson",
                        _ => "make",
                    }));
                    if words.contains(&"install") {
                        installs = true;
                        if let Some(d) = words
                            .iter()
                            .find_map(|w| w.strip_prefix("DESTDIR="))
                            .map(str::to_string)
                            .or_else(|| var_for(cx, i, c, "DESTDIR"))
                            .filter(|d| !d.trim_matches(['"', '\'']).is_empty())
                        {
                            destdir = Some(join_path(&cwd, &d));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let Some(builder) = builder else {
        return Ok(None);
    };
    let how = if builder == "cmake" {
        "`cmake --install build --prefix /opt/app`"
    } else {
        "`make install DESTDIR=/out`"
    };
    if !installs {
        return Err(format!(
            "`{builder}` leaves its output in the build tree where layerwise cannot name it; install it under a folder of its own ({how}) that the runtime stage can copy"
        ));
    }
    if let Some(d) = destdir.filter(|d| d != "/" && !d.contains('$')) {
        return Ok(Some((d, "/".into(), None)));
    }
    match prefix {
        Some(p) if !p.contains('$') && !matches!(p.as_str(), "/" | "/usr" | "/usr/local") => {
            Ok(Some((p.clone(), p, None)))
        }
        _ => Err(format!(
            "the install writes into a shared prefix like `/usr/local`, so layerwise cannot tell its files from others; install under a folder of its own ({how})"
        )),
    }
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
fn venv(cx: &Analysis<'_>, stage: &Stage) -> Option<(usize, String)> {
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
                return Some((i, join_path(&cx.model.workdir[i], d)));
            }
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::{BuildContext, NotableEntry};
    use crate::model::dockerignore::DockerIgnore;
    use crate::model::Model;
    use std::path::Path;

    /// A context of a few files.
    struct Files(&'static [(&'static str, &'static str)]);
    impl BuildContext for Files {
        fn has_dockerignore(&self) -> Option<bool> {
            Some(false)
        }
        fn dockerignore(&self) -> Option<&DockerIgnore> {
            None
        }
        fn exists(&self, rel: &str) -> Option<bool> {
            Some(self.0.iter().any(|(p, _)| *p == rel))
        }
        fn read(&self, rel: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, t)| (*t).to_string())
        }
        fn notable_entries(&self) -> Vec<NotableEntry> {
            Vec::new()
        }
        fn root(&self) -> Option<&Path> {
            None
        }
    }

    fn toolchain(name: &str) -> bool {
        name.ends_with("-dev")
            || name.ends_with("-devel")
            || matches!(name, "gcc" | "g++" | "make" | "cmake" | "build-essential")
    }

    fn fix(text: &str, files: &'static [(&'static str, &'static str)]) -> Result<String, String> {
        let tree = crate::syntax::parse(text);
        let model = Model::build(&tree);
        let context = Files(files);
        let cx = Analysis {
            text,
            tree: &tree,
            model: &model,
            context: &context,
            path: None,
        };
        let fix = build(&cx, &toolchain)?;
        crate::fix::apply_edits(text, &fix.edits)
    }

    #[track_caller]
    fn refused(text: &str, files: &'static [(&'static str, &'static str)], reason: &str) {
        match fix(text, files) {
            Ok(out) => panic!("offered:\n{out}"),
            Err(e) => assert!(e.contains(reason), "{e:?} does not say {reason:?}"),
        }
    }

    const GO_MOD: &[(&str, &str)] = &[("go.mod", "module github.com/acme/billing/v2\n\ngo 1.22\n")];

    #[test]
    fn go_names_the_binary_after_the_module_or_the_folder() {
        let out = fix(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build\nCMD [\"./billing\"]\n",
            GO_MOD,
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /src/billing /src/billing"),
            "{out}"
        );
        let out = fix(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/ ./cmd/api ./cmd/cron\nCMD [\"/out/api\"]\n",
            GO_MOD,
        )
        .unwrap_or_default();
        assert!(
            out.contains("/out/api /out/api") && out.contains("/out/cron /out/cron"),
            "{out}"
        );
        // a remote install is a tool unless nothing else is built
        let out = fix(
            "FROM golang:1.22\nRUN go install github.com/acme/tool/v3@latest\nCMD [\"tool\"]\n",
            &[],
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /go/bin/tool /go/bin/tool"),
            "{out}"
        );
    }

    #[test]
    fn a_cd_in_the_run_moves_the_build() {
        let out = fix(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN cd cmd/api && go build\nCMD [\"/src/cmd/api/api\"]\n",
            GO_MOD,
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /src/cmd/api/api /src/cmd/api/api"),
            "{out}"
        );
        refused(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN cd $APP && go build\nCMD [\"app\"]\n",
            GO_MOD,
            "runs after a `cd`",
        );
        refused(
            "FROM eclipse-temurin:21-jdk\nWORKDIR /app\nCOPY . .\nRUN ./mvnw -B package\nCMD [\"./run.sh\"]\n",
            &[],
            "runs no jar",
        );
    }

    #[test]
    fn outputs_are_followed_where_the_build_moves_them() {
        let out = fix(
            "FROM rust:1.78\nWORKDIR /app\nCOPY . .\nRUN cargo build --release && cp target/release/hello /usr/local/bin/\nCMD [\"hello\"]\n",
            &[("Cargo.toml", "[package]\nname = \"hello\"\n")],
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /app/target/release/hello /app/target/release/hello"),
            "{out}"
        );
        assert!(
            out.contains("COPY --from=builder /usr/local/bin/hello /usr/local/bin/hello"),
            "{out}"
        );
        let out = fix(
            "FROM maven:3.9-eclipse-temurin-21\nWORKDIR /w\nCOPY . .\nRUN mvn -B package && mv target/*.jar /w/app.jar\nCMD [\"java\", \"-jar\", \"app.jar\"]\n",
            &[],
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /w/app.jar /w/app.jar"),
            "{out}"
        );
        assert!(!out.contains("COPY --from=builder /w/target"), "{out}");
        let out = fix(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o out/ main.go && mkdir -p /srv/bin && mv out/main /srv/bin\nCMD [\"/srv/bin/main\"]\n",
            &[],
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /srv/bin/main /srv/bin/main"),
            "{out}"
        );
        assert!(!out.contains("COPY --from=builder /src/out"), "{out}");
        refused(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o bin/app main.go && cp -r bin /opt/\nCMD [\"/opt/bin/app\"]\n",
            &[],
            "takes the folder of the build output",
        );
    }

    #[test]
    fn variables_in_output_paths_are_expanded() {
        let out = fix(
            "FROM golang:1.22\nENV BIN=/usr/local/bin/app\nWORKDIR /src\nCOPY . .\nRUN go build -o $BIN .\nCMD [\"app\"]\n",
            GO_MOD,
        )
        .unwrap_or_default();
        assert!(
            out.contains("COPY --from=builder /usr/local/bin/app /usr/local/bin/app"),
            "{out}"
        );
        refused(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o $OUT .\nCMD [\"app\"]\n",
            GO_MOD,
            "a variable with no known value",
        );
    }

    #[test]
    fn go_without_a_known_name_is_refused() {
        refused(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build\nCMD [\"./app\"]\n",
            &[],
            "without its go.mod in the build context",
        );
        refused(
            "FROM golang:1.22\nCOPY . .\nRUN go build -buildmode=plugin -o x.so\nCMD [\"x\"]\n",
            GO_MOD,
            "writes no program",
        );
        refused(
            "FROM golang:1.22\nENV GOBIN=$UNSET\nCOPY . /src\nRUN cd /src && GOOS=linux go install ./cmd/api\nCMD [\"api\"]\n",
            GO_MOD,
            "cross-compiling",
        );
    }

    #[test]
    fn cargo_reads_the_binaries_from_cargo_toml() {
        const WORKSPACE: &[(&str, &str)] = &[("Cargo.toml", "[workspace]\nmembers = [\"api\"]\n")];
        refused(
            "FROM rust:1.78\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/api\"]\n",
            WORKSPACE,
            "workspace",
        );
        let out = fix(
            "FROM rust:1.78\nWORKDIR /app\nCOPY . .\nRUN cargo build --release -p api --bin api --target x86_64-unknown-linux-musl\nCMD [\"./target/x86_64-unknown-linux-musl/release/api\"]\n",
            WORKSPACE,
        )
        .unwrap_or_default();
        assert!(
            out.contains("/app/target/x86_64-unknown-linux-musl/release/api"),
            "{out}"
        );
        refused(
            "FROM rust:1.78\nWORKDIR /app\nCOPY . .\nRUN cargo build --release\nCMD [\"./target/release/api\"]\n",
            &[],
            "cannot read the Cargo.toml",
        );
    }

    #[test]
    fn builds_whose_output_is_unknown_are_refused() {
        let apt = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y build-essential cmake && rm -rf /var/lib/apt/lists/*\nCOPY . /src\nWORKDIR /src\n";
        refused(
            &format!("{apt}RUN make\nCMD [\"/src/app\"]\n"),
            &[],
            "`make` leaves its output in the build tree",
        );
        refused(
            &format!("{apt}RUN cmake -B build && cmake --build build\nCMD [\"/src/build/app\"]\n"),
            &[],
            "`cmake` leaves its output in the build tree",
        );
        refused(
            &format!("{apt}RUN cmake -B build && cmake --build build && cmake --install build\nCMD [\"app\"]\n"),
            &[],
            "shared prefix",
        );
    }

    #[test]
    fn a_tool_pip_installs_and_the_same_run_uses_stays_on_path() {
        // found by a blind evaluation: with `--prefix=/install`, `flit` is not on PATH
        refused(
            "FROM python:3.9-slim\nWORKDIR /api\nCOPY . /api\nRUN apt-get update && apt-get install -y build-essential && rm -rf /var/lib/apt/lists/* && pip install flit && FLIT_ROOT_INSTALL=1 flit install --deps production\nCMD uvicorn app.main:api\n",
            &[],
            "`flit`, which pip installs, runs later",
        );
    }

    #[test]
    fn runtime_libraries_must_be_known() {
        refused(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libgeos-dev && rm -rf /var/lib/apt/lists/*\nCOPY . /app\nRUN pip install /app\nCMD [\"python\", \"-m\", \"app\"]\n",
            &[],
            "`libgeos-dev` is only needed to build",
        );
        refused(
            "FROM opensuse/leap:15\nRUN zypper install -y gcc python3 python3-devel\nRUN python3 -m venv /venv\nCOPY . /app\nRUN /venv/bin/pip install -r /app/requirements.txt\nCMD [\"/venv/bin/python\", \"/app/main.py\"]\n",
            &[],
            "`zypper`",
        );
    }

    #[test]
    fn onbuild_images_are_not_split() {
        refused(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\nONBUILD COPY . /app\nONBUILD RUN pip install --user -r /app/requirements.txt\nCMD [\"python\"]\n",
            &[],
            "ONBUILD triggers",
        );
    }

    #[test]
    fn names_that_change_between_releases() {
        let lib = |name, installer, image| match runtime_of(name, installer, image, true) {
            RuntimeOf::Lib(l) => l,
            other => format!("{other:?}"),
        };
        assert_eq!(
            lib("libssl-dev", Installer::Apt, "python:3.11-bullseye"),
            "libssl1.1"
        );
        assert_eq!(
            lib("libssl-dev", Installer::Apt, "python:3.12-slim-bookworm"),
            "libssl3"
        );
        assert_eq!(
            lib("libssl-dev", Installer::Apt, "ubuntu:noble"),
            "libssl3t64"
        );
        assert_eq!(
            lib("libffi-dev", Installer::Apt, "debian:bullseye"),
            "libffi7"
        );
        assert_eq!(lib("libffi-dev", Installer::Apk, "alpine:3.20"), "libffi");
        assert_eq!(
            lib("libjpeg-dev", Installer::Apt, "ubuntu:22.04"),
            "libjpeg8"
        );
        assert_eq!(
            lib("openssl-dev", Installer::Apk, "python:3.9-alpine3.16"),
            "libssl1.1"
        );
        assert_eq!(
            lib("postgresql-devel", Installer::Yum, "rockylinux:9"),
            "libpq"
        );
        assert_eq!(
            lib("postgresql-devel", Installer::Yum, "centos:7"),
            "postgresql-libs"
        );
        assert_eq!(lib("libc6-dev", Installer::Apt, "debian"), "Nothing");
        assert_eq!(
            jre_of("openjdk-21-jdk", Installer::Apt).as_deref(),
            Some("openjdk-21-jre-headless")
        );
        assert_eq!(temurin_jre("21-alpine").as_deref(), Some("21-jre-alpine"));
        assert_eq!(slim_runtime("1.22-alpine3.19"), "alpine:3.19");
        assert_eq!(slim_runtime("1.23-trixie"), "debian:trixie-slim");
        assert_eq!(slim_runtime("1.78"), "debian:trixie-slim");
        assert_eq!(slim_runtime("latest"), "debian:trixie-slim");
        assert_eq!(
            temurin_jre("17.0.10_7-jdk-jammy").as_deref(),
            Some("17.0.10_7-jre-jammy")
        );
        assert_eq!(exec_name("example.com/x/cmd/api").as_deref(), Some("api"));
        assert_eq!(
            exec_name("example.com/billing/v2").as_deref(),
            Some("billing")
        );
        assert_eq!(
            module_path("// c\nmodule \"example.com/a\" // x\n").as_deref(),
            Some("example.com/a")
        );
    }
}
