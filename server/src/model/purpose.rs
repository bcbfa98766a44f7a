//! What the built image is for: an application, a base for other images, a toolchain or
//! interactive environment, a development environment, or a test stage.
//!
//! Rules about what ships (`single-stage-toolchain`, `dev-server-flag`) depend on it: a compiler
//! in an application image is dead weight, while in a Jupyter image, a CI build environment or a
//! dev container it is the product. The purpose is worked out from evidence in the file and its
//! build context, in this order:
//!
//! 1. **Development environment**: the built stage is named like one (`dev`, `dev-envs`,
//!    `development`, `devcontainer`, `debug`...), it adds the `vscode` or `codespace` user, it
//!    copies the docker CLI from a `docker` image, the file belongs to a dev container
//!    (`.devcontainer/`, a `devcontainer.json` beside it, a `devcontainers` base image), or it
//!    installs development tooling: a debugger (`xdebug`, `debugpy`), PHP's
//!    `php.ini-development`, or development and test requirements (`requirements/dev.txt`,
//!    `tox`).
//! 2. **Test**: the built stage is named like one (`test`, `ci`, `lint`, `e2e`...), or its
//!    process or its last `RUN` only runs tests (`go test`, `pytest`, `npm test`...).
//! 3. **Base image**: a shipped stage has `ONBUILD` triggers.
//! 4. **Toolchain or interactive environment**: its process is an interactive shell, a bare
//!    interpreter (`python3`, `irb`...), a notebook server (`jupyter lab`, `start-notebook.sh`)
//!    or a build tool (`make`, `git`...), or a CI server (`jenkins.sh`); it is built on a CI
//!    server or runner image (Jenkins,
//!    GitHub's `actions-runner`...), or on a `-devel` image (CUDA) with no process of its own;
//!    or it is built on a toolchain image (`buildpack-deps`, Jupyter's images) and copies no
//!    project files.
//!    An image that neither copies files in nor sets a process of its own is a base image too,
//!    unless its base image's process is a server (`nginx`, `php:*-apache`, `wordpress`).
//! 5. **Application** otherwise. It is *sure* when it sets its process, or copies files in on a
//!    base whose process is an application's (a web server, a language runtime); files copied
//!    onto an OS or SDK image with no process of its own may be a build environment, so rules
//!    that depend on the purpose say less.

use std::path::Path;

use super::commands::{args, nested_script, program, run_commands};
use super::context::BuildContext;
use super::{ImageRef, Model};
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::shell::{lex, Command, Joiner};
use crate::syntax::{Span, SyntaxTree};

/// What an image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Runs an application: the files it copies in, with a process of its own.
    Application,
    /// A base for other images (`ONBUILD`, or an environment with nothing of a project in it).
    BaseImage,
    /// Its product is the toolchain or an interactive session: a build or CI environment, an
    /// interpreter, a notebook server.
    Toolchain,
    /// A development environment (dev container, `dev` target).
    DevEnvironment,
    /// A stage that runs tests or checks.
    Test,
}

impl Kind {
    /// A short name, as hover shows it.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Application => "application image",
            Self::BaseImage => "base image for other images",
            Self::Toolchain => "toolchain or interactive environment",
            Self::DevEnvironment => "development environment",
            Self::Test => "test stage",
        }
    }

    /// Whether compilers, headers and dev servers in it are its purpose rather than an accident.
    #[must_use]
    pub fn tooling_expected(self) -> bool {
        !matches!(self, Self::Application)
    }
}

/// The purpose of the built image, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    pub kind: Kind,
    /// The evidence is direct (a stage name, a process, copied files); when not, rules that
    /// depend on the purpose report less.
    pub sure: bool,
    /// What shows it, as a phrase: "runs `uvicorn main:app`", "the stage is named `dev-envs`".
    pub why: String,
}

impl Purpose {
    fn new(kind: Kind, sure: bool, why: impl Into<String>) -> Self {
        Self {
            kind,
            sure,
            why: why.into(),
        }
    }

    /// "application image (runs `uvicorn main:app`)".
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{} ({})", self.kind.describe(), self.why)
    }
}

/// Stage-name words that mean a development environment.
const DEV_NAMES: &[&str] = &[
    "dev",
    "devel",
    "develop",
    "development",
    "devenv",
    "devenvs",
    "devcontainer",
    "debug",
    "debugger",
    "local",
    "workspace",
];

/// Stage-name words that mean a test or CI stage.
const TEST_NAMES: &[&str] = &[
    "test",
    "tests",
    "testing",
    "tester",
    "unittest",
    "unittests",
    "ci",
    "lint",
    "linter",
    "lints",
    "linting",
    "check",
    "checks",
    "e2e",
    "integration",
    "spec",
    "specs",
    "qa",
    "coverage",
];

/// Users that dev-container images add.
const DEV_USERS: &[&str] = &["vscode", "codespace", "devcontainer", "gitpod"];

/// Interpreters that start an interactive session when run without a script.
const INTERPRETERS: &[&str] = &[
    "python",
    "python2",
    "python3",
    "ipython",
    "node",
    "nodejs",
    "irb",
    "ruby",
    "php",
    "iex",
    "erl",
    "ghci",
    "jshell",
    "R",
    "julia",
    "lua",
    "perl",
    "scala",
    "sbcl",
    "clojure",
    "racket",
    "deno",
    "bun",
    "pwsh",
    "powershell",
    "cmd",
    "cmd.exe",
];

/// Shells, which are interactive when run without a script.
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "ash", "dash", "fish", "ksh", "tcsh", "csh",
];

/// Notebook and IDE servers: an interactive environment served over HTTP.
const NOTEBOOK_SERVERS: &[&str] = &[
    "jupyter",
    "jupyter-lab",
    "jupyter-notebook",
    "jupyterhub",
    "jupyterhub-singleuser",
    "start-notebook.sh",
    "start-notebook.py",
    "start-singleuser.sh",
    "start-singleuser.py",
    "rstudio-server",
    "code-server",
    "marimo",
];

/// Build tools whose image exists to run them (`ENTRYPOINT ["make"]`).
const BUILD_TOOLS: &[&str] = &[
    "make",
    "cmake",
    "ninja",
    "gcc",
    "g++",
    "cc",
    "clang",
    "git",
    "go",
    "cargo",
    "rustc",
    "mvn",
    "gradle",
    "ant",
    "sbt",
    "bazel",
    "dotnet",
    "msbuild",
    "conan",
    "meson",
    "scons",
    "autoreconf",
];

/// CI servers and runners: images that exist to run other projects' builds.
/// Whether a process is a CI server or agent (`/usr/local/bin/jenkins.sh`, `gitlab-runner`).
fn ci_process(program: &str) -> bool {
    program.contains("jenkins")
        || program.contains("gitlab-runner")
        || program.contains("buildkite-agent")
        || program.contains("actions-runner")
}

fn ci_image(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("jenkins/")
        || path.starts_with("jenkinsci/")
        || path.starts_with("cimg/")
        || path.starts_with("circleci/")
        || path.starts_with("buildkite/")
        || path.starts_with("gitlab/gitlab-runner")
        || last.contains("actions-runner")
        || last.contains("github-runner")
        || last.contains("gitlab-runner")
        || last == "jenkins"
}

/// Images whose own process is a server (a web server, PHP's FPM or Apache, an application
/// such as WordPress): an image built on one that copies nothing in still runs that server.
fn server_base(image: &ImageRef) -> bool {
    let Some(short) = image.short_name() else {
        return false;
    };
    let tag = image.tag().unwrap_or_default();
    matches!(
        short.as_str(),
        "nginx"
            | "httpd"
            | "apache"
            | "tomcat"
            | "jetty"
            | "caddy"
            | "haproxy"
            | "traefik"
            | "openresty"
            | "unit"
            | "wordpress"
            | "drupal"
            | "joomla"
            | "ghost"
            | "nextcloud"
            | "redmine"
            | "odoo"
            | "mediawiki"
            | "matomo"
            | "kong"
    ) || (short == "php" && (tag.contains("apache") || tag.contains("fpm")))
}

/// A `-devel` variant (`nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04`,
/// `pytorch/pytorch:2.3.0-cuda12.1-cudnn8-devel`): the image ships its compilers and headers
/// so that its users can build on it.
fn devel_variant(image: &ImageRef) -> bool {
    image
        .tag()
        .is_some_and(|t| t.split(['-', '_', '.']).any(|part| part == "devel"))
}

/// Base images whose product is a toolchain or an interactive environment.
fn toolchain_base(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    path == "buildpack-deps"
        || path.starts_with("jupyter/")
        || path.contains("/jupyter/")
        || path.starts_with("jupyterhub/")
        || path.starts_with("rocker/")
        || path.starts_with("gitpod/")
        || path.contains("devcontainers")
        || last.contains("notebook")
        || path.contains("notebooks/")
        || last == "sdk"
        || last.ends_with("-sdk")
}

/// OS images and SDK images: their default process is a shell or nothing in particular.
const OS_IMAGES: &[&str] = &[
    "ubuntu",
    "debian",
    "alpine",
    "fedora",
    "centos",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "archlinux",
    "busybox",
    "oraclelinux",
    "photon",
    "clearlinux",
    "buildpack-deps",
    "ubi",
    "ubi-minimal",
    "ubi8",
    "ubi9",
    "ubi10",
    "ubi8-minimal",
    "ubi9-minimal",
    "leap",
    "tumbleweed",
    "mariner",
    "azurelinux",
    "wolfi-base",
    "servercore",
    "nanoserver",
    "scratch",
];

/// SDK images: compilers are what they are for (`golang`, `rust`, `maven`...).
pub const SDK_IMAGES: &[&str] = &[
    "golang",
    "rust",
    "rustlang/rust",
    "maven",
    "gradle",
    "gcc",
    "dotnet/sdk",
    "dotnet/core/sdk",
    "dotnet/nightly/sdk",
];

/// Whether an image is an OS image or an SDK image (its default process is a shell).
#[must_use]
pub fn is_os_or_sdk(image: &ImageRef) -> bool {
    let (Some(path), Some(short)) = (image.path(), image.short_name()) else {
        return false;
    };
    OS_IMAGES.contains(&short.as_str()) || SDK_IMAGES.contains(&path.as_str())
}

/// The lowercase words of a stage name: `dev-envs` -> `dev`, `envs`, and the name joined
/// (`devenvs`).
fn name_words(name: &str) -> Vec<String> {
    let lower = name.to_ascii_lowercase();
    let mut words: Vec<String> = lower
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words.push(lower.replace(['-', '_', '.'], ""));
    words
}

/// The commands of the process an image of stage `stage` runs: its effective ENTRYPOINT, then
/// its effective CMD, each looked through `sh -c "..."`.
#[must_use]
pub fn process_commands(tree: &SyntaxTree, model: &Model, stage: usize) -> Vec<Command> {
    let mut out = Vec::new();
    for keyword in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(i) = model.effective_in(tree, stage, keyword) else {
            continue;
        };
        match tree.instructions[i].form() {
            Some(Form::Exec { words, .. }) => {
                let cmd = Command {
                    assignments: Vec::new(),
                    words: words.clone(),
                    span: Span::default(),
                    joiner: Joiner::Start,
                };
                match nested_script(&cmd) {
                    Some(script) => out.extend(lex(&script.value).commands),
                    None if !cmd.words.is_empty() => out.push(cmd),
                    None => {}
                }
            }
            Some(Form::Shell(s)) => out.extend(s.script.commands.iter().cloned()),
            None => {}
        }
    }
    out
}

/// The process as a short quote: "`uvicorn main:app --host 0.0.0.0`".
fn quote_process(commands: &[Command]) -> String {
    let words: Vec<&str> = commands
        .iter()
        .flat_map(|c| c.words.iter().map(|w| w.value.as_str()))
        .collect();
    let mut text = words.join(" ");
    if text.chars().count() > 60 {
        text = text.chars().take(57).collect::<String>() + "...";
    }
    format!("`{text}`")
}

/// A command that runs tests or checks: `go test`, `pytest`, `npm test`, `cargo test`...
#[must_use]
pub fn is_test_command(cmd: &Command) -> bool {
    let Some(prog) = program(cmd) else {
        return false;
    };
    let a = args(cmd);
    let first = a
        .iter()
        .find(|w| !w.value.starts_with('-'))
        .map(|w| w.value.as_str());
    let prog = prog.trim_start_matches("./");
    match prog {
        "pytest" | "py.test" | "tox" | "nox" | "phpunit" | "rspec" | "jest" | "mocha"
        | "vitest" | "ctest" | "unittest" | "behave" | "cucumber" | "golangci-lint" | "flake8"
        | "ruff" | "pylint" | "mypy" | "eslint" | "rubocop" | "shellcheck" | "hadolint" => true,
        "go" | "cargo" | "dotnet" | "mix" | "deno" | "bun" => {
            matches!(first, Some("test" | "vet" | "clippy"))
        }
        "npm" | "yarn" | "pnpm" => {
            matches!(first, Some("test" | "t" | "lint"))
                || (first == Some("run")
                    && a.iter()
                        .skip_while(|w| w.value != "run")
                        .nth(1)
                        .is_some_and(|w| {
                            let s = w.value.as_str();
                            s == "lint" || s.starts_with("test") || s.starts_with("lint:")
                        }))
        }
        "mvn" | "mvnw" | "gradle" | "gradlew" | "make" | "rake" | "sbt" | "ant" => {
            a.iter().filter(|w| !w.value.starts_with('-')).all(|w| {
                matches!(
                    w.value.as_str(),
                    "test" | "check" | "verify" | "spec" | "lint"
                )
            }) && first.is_some()
        }
        "bundle" => {
            first == Some("exec")
                && a.iter()
                    .any(|w| matches!(w.value.as_str(), "rspec" | "rake" | "rails"))
                && a.iter()
                    .any(|w| w.value.starts_with("spec") || w.value == "test")
        }
        _ => false,
    }
}

/// What in the stages of `lineage` shows a development or test image by its content: a
/// debugger (`xdebug`, `debugpy`), PHP's development settings, or the project's development or
/// test requirements (`requirements/dev.txt`, `tox`).
fn dev_tooling(tree: &SyntaxTree, model: &Model, lineage: &[usize]) -> Option<String> {
    // not the file watchers (`nodemon`, `cargo-watch`): an image that runs one is an
    // application started the development way, which `dev-server-flag` reports
    const DEV_TOOLS: &[&str] = &["php-xdebug", "pecl/xdebug", "debugpy", "tox", "nox"];
    for &s in lineage {
        for i in model.stages[s].body.clone() {
            let instr = &tree.instructions[i];
            for cmd in run_commands(instr).iter() {
                let words: Vec<&str> = cmd.words.iter().map(|w| w.value.as_str()).collect();
                let prog = program(cmd).unwrap_or("");
                // `pecl install xdebug-3.3.1`, `pip install debugpy tox`
                let installs = words
                    .iter()
                    .any(|w| matches!(*w, "install" | "add" | "enable"))
                    || prog.starts_with("docker-php-ext");
                if installs {
                    // `xdebug-3.3.2`, `tox==4.11`
                    if let Some(tool) = words.iter().skip(1).find(|w| {
                        let name = w.split(['@', '=', '<', '>', '~']).next().unwrap_or(w);
                        name.starts_with("xdebug") || DEV_TOOLS.contains(&name)
                    }) {
                        return Some(format!("it installs the development tool `{tool}`"));
                    }
                }
                if let Some(file) = words.iter().find(|w| w.contains("php.ini-development")) {
                    return Some(format!("it uses PHP's development settings (`{file}`)"));
                }
                if prog.starts_with("pip") || prog == "uv" {
                    if let Some(file) = words.iter().find(|w| dev_requirements(w)) {
                        return Some(format!("it installs the development requirements `{file}`"));
                    }
                }
            }
        }
    }
    None
}

/// A requirements file for development or tests: `requirements/dev.txt`, `dev-requirements.txt`,
/// `requirements-test.txt`, `tests.txt`.
fn dev_requirements(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word).to_ascii_lowercase();
    let Some(stem) = name
        .strip_suffix(".txt")
        .or_else(|| name.strip_suffix(".in"))
    else {
        return false;
    };
    stem.split(['-', '_', '.']).any(|part| {
        matches!(
            part,
            "dev" | "devel" | "develop" | "development" | "test" | "tests" | "testing" | "lint"
        )
    })
}

/// Commands that only set up or report around the real work (`cd x`, `echo done`).
fn incidental(cmd: &Command) -> bool {
    matches!(
        program(cmd),
        Some("cd" | "echo" | "true" | "set" | "export" | "printf" | "ls" | ":")
    )
}

/// The purpose of stage `stage`'s image (normally the built one, [`Model::target`]).
#[must_use]
pub fn of_stage(
    tree: &SyntaxTree,
    model: &Model,
    stage: usize,
    path: Option<&Path>,
    context: &dyn BuildContext,
) -> Purpose {
    let Some(st) = model.stages.get(stage) else {
        return Purpose::new(Kind::Application, false, "no stage");
    };
    let own = |i: usize| &tree.instructions[i];
    let lineage: Vec<usize> = model.lineage(stage).map(|s| s.index).collect();
    let root_image = lineage.last().and_then(|&s| model.stages[s].image.as_ref());
    let root_path = root_image.and_then(ImageRef::path).unwrap_or_default();

    // 1. development environment
    if let Some(alias) = &st.alias {
        if name_words(alias)
            .iter()
            .any(|w| DEV_NAMES.contains(&w.as_str()))
        {
            return Purpose::new(
                Kind::DevEnvironment,
                true,
                format!("the stage is named `{alias}`"),
            );
        }
    }
    let devcontainer_base = lineage.iter().any(|&s| {
        model.stages[s]
            .image
            .as_ref()
            .and_then(ImageRef::path)
            .is_some_and(|p| p.contains("devcontainers") || p.starts_with("gitpod/"))
    });
    if devcontainer_base {
        return Purpose::new(
            Kind::DevEnvironment,
            true,
            "it is built on a dev-container image",
        );
    }
    let in_devcontainer_dir =
        path.is_some_and(|p| p.components().any(|c| c.as_os_str() == ".devcontainer"));
    if in_devcontainer_dir || context.exists("devcontainer.json") == Some(true) {
        return Purpose::new(
            Kind::DevEnvironment,
            true,
            "it belongs to a dev container (`devcontainer.json`)",
        );
    }
    for &s in &lineage {
        for i in model.stages[s].body.clone() {
            let instr = own(i);
            match instr.keyword {
                Keyword::User => {
                    if let Args::Text(word) = &instr.args {
                        let user = word.value.split(':').next().unwrap_or("");
                        if DEV_USERS.contains(&user) {
                            return Purpose::new(
                                Kind::DevEnvironment,
                                true,
                                format!("it runs as the dev-container user `{user}`"),
                            );
                        }
                    }
                }
                Keyword::Run => {
                    let adds_dev_user = run_commands(instr).iter().any(|c| {
                        matches!(program(c), Some("useradd" | "adduser"))
                            && args(c)
                                .last()
                                .is_some_and(|w| DEV_USERS.contains(&w.value.as_str()))
                    });
                    if adds_dev_user {
                        return Purpose::new(
                            Kind::DevEnvironment,
                            true,
                            "it adds a dev-container user",
                        );
                    }
                }
                Keyword::Copy => {
                    let docker_cli = instr
                        .flag("from")
                        .and_then(|f| f.value.as_deref())
                        .is_some_and(|f| {
                            let from = f.to_ascii_lowercase();
                            let repo = from.split([':', '@']).next().unwrap_or("");
                            (repo == "docker" || repo.starts_with("docker/"))
                                && !model
                                    .stages
                                    .iter()
                                    .any(|s| s.alias.as_deref() == Some(from.as_str()))
                        });
                    if docker_cli {
                        return Purpose::new(
                            Kind::DevEnvironment,
                            true,
                            "it copies the docker CLI in",
                        );
                    }
                }
                _ => {}
            }
        }
    }

    if let Some(why) = dev_tooling(tree, model, &lineage) {
        return Purpose::new(Kind::DevEnvironment, true, why);
    }

    // 2. test stage
    if let Some(alias) = &st.alias {
        if name_words(alias)
            .iter()
            .any(|w| TEST_NAMES.contains(&w.as_str()))
        {
            return Purpose::new(Kind::Test, true, format!("the stage is named `{alias}`"));
        }
    }
    let process = process_commands(tree, model, stage);
    let own_process = [Keyword::Entrypoint, Keyword::Cmd].iter().any(|&k| {
        model
            .effective_in(tree, stage, k)
            .is_some_and(|i| st.body.contains(&i))
    });
    let tests_only = |cmds: &[Command]| {
        cmds.iter().any(is_test_command) && cmds.iter().all(|c| is_test_command(c) || incidental(c))
    };
    if own_process && tests_only(&process) {
        return Purpose::new(
            Kind::Test,
            true,
            format!("it runs tests: {}", quote_process(&process)),
        );
    }
    let last_run = st
        .body
        .clone()
        .rev()
        .find(|&i| own(i).keyword == Keyword::Run);
    if let Some(i) = last_run {
        let cmds: Vec<Command> = run_commands(own(i))
            .into_iter()
            .map(std::borrow::Cow::into_owned)
            .collect();
        if !own_process && tests_only(&cmds) {
            return Purpose::new(
                Kind::Test,
                true,
                format!("its last step runs tests: {}", quote_process(&cmds)),
            );
        }
    }

    // 3. base image for other images
    if lineage.iter().any(|&s| {
        model.stages[s]
            .body
            .clone()
            .any(|i| own(i).keyword == Keyword::Onbuild)
    }) {
        return Purpose::new(Kind::BaseImage, true, "it has `ONBUILD` triggers");
    }

    // 4. toolchain or interactive environment
    let copies = copies_files(tree, model, &lineage);
    let programs: Vec<&str> = process.iter().filter_map(program).collect();
    if !programs.is_empty() {
        let bare = |c: &Command| args(c).iter().all(|w| w.value.starts_with('-'));
        let interactive = process.iter().all(|c| {
            program(c)
                .is_some_and(|p| (SHELLS.contains(&p) || INTERPRETERS.contains(&p)) && bare(c))
        });
        if interactive {
            return Purpose::new(
                Kind::Toolchain,
                own_process,
                format!("its process is an interactive {}", quote_process(&process)),
            );
        }
        let notebook = programs.iter().any(|p| {
            NOTEBOOK_SERVERS.contains(p) || (*p == "start.sh" && toolchain_base(&root_path))
        });
        if notebook {
            return Purpose::new(
                Kind::Toolchain,
                true,
                format!("it serves notebooks: {}", quote_process(&process)),
            );
        }
        let tool = programs
            .iter()
            .all(|p| BUILD_TOOLS.contains(p) || SHELLS.contains(p) || *p == "sleep");
        if tool && !copies.project {
            return Purpose::new(
                Kind::Toolchain,
                true,
                format!("it runs a build tool: {}", quote_process(&process)),
            );
        }
    }
    if let Some(p) = programs.iter().find(|p| ci_process(p)) {
        return Purpose::new(
            Kind::Toolchain,
            true,
            format!("it runs the CI server or agent `{p}`, which runs builds"),
        );
    }
    if ci_image(&root_path) {
        return Purpose::new(
            Kind::Toolchain,
            true,
            format!("it is built on the CI image `{root_path}`, which runs builds"),
        );
    }
    if root_image.is_some_and(devel_variant) && !own_process {
        return Purpose::new(
            Kind::Toolchain,
            true,
            format!("it is built on a `-devel` image of `{root_path}`, made to build on"),
        );
    }
    // a notebook image that keeps serving notebooks (its own process, if any, only starts the
    // services: `/init`, `tini`), whatever files it adds
    let notebook_base = root_path.contains("jupyter") || root_path.contains("notebook");
    let starts_services = programs.iter().all(|p| {
        matches!(*p, "init" | "tini" | "dumb-init" | "s6-svscan") || p.starts_with("start")
    });
    if notebook_base && starts_services {
        return Purpose::new(
            Kind::Toolchain,
            true,
            format!("it is built on the notebook image `{root_path}`"),
        );
    }
    if toolchain_base(&root_path) && !copies.project {
        return Purpose::new(
            Kind::Toolchain,
            true,
            format!("it is built on the toolchain image `{root_path}`"),
        );
    }
    if !own_process && !copies.project && !copies.artifacts && !root_image.is_some_and(server_base)
    {
        return Purpose::new(
            Kind::BaseImage,
            true,
            "it copies no project files and sets no process of its own",
        );
    }

    // 5. application: sure when it sets its process, or copies files in and keeps the process
    // of a base that runs something (a web server, a runtime); files on an OS or SDK image's
    // shell may be a build environment, and nothing copied onto a server may be a base image
    if own_process {
        return Purpose::new(
            Kind::Application,
            true,
            format!("runs {}", quote_process(&process)),
        );
    }
    let copied = copies.project || copies.artifacts;
    match (copied, root_image.is_some_and(is_os_or_sdk)) {
        (true, false) => Purpose::new(Kind::Application, true, "keeps its base image's process"),
        (true, true) => Purpose::new(
            Kind::Application,
            false,
            "it sets no process of its own on an OS or SDK base, so it may be a build environment",
        ),
        (false, _) => Purpose::new(
            Kind::Application,
            false,
            "it copies nothing in and sets no process of its own, so it may be a base for other images",
        ),
    }
}

/// What the stages of `lineage` copy in.
struct Copies {
    /// Files of the build context (not heredocs, not URLs).
    project: bool,
    /// Files from another stage (`COPY --from=<stage>`), i.e. build artifacts.
    artifacts: bool,
}

fn copies_files(tree: &SyntaxTree, model: &Model, lineage: &[usize]) -> Copies {
    let mut copies = Copies {
        project: false,
        artifacts: false,
    };
    for &s in lineage {
        for i in model.stages[s].body.clone() {
            let instr = &tree.instructions[i];
            if !matches!(instr.keyword, Keyword::Copy | Keyword::Add) {
                continue;
            }
            if let Some(from) = instr.flag("from") {
                let from = from.value.as_deref().unwrap_or("").to_ascii_lowercase();
                let stage_ref = from.parse::<usize>().is_ok()
                    || model
                        .stages
                        .iter()
                        .any(|st| st.alias.as_deref() == Some(from.as_str()));
                copies.artifacts |= stage_ref;
                continue;
            }
            let Args::Copy { sources, dest, .. } = &instr.args else {
                continue;
            };
            // settings for the base image's programs (`php.ini` into `/usr/local/etc/php/`, a
            // service tree into `/etc`) are not the project
            let config = ["/etc/", "/usr/local/etc/"]
                .iter()
                .any(|d| dest.value.starts_with(d) || dest.value == d.trim_end_matches('/'));
            copies.project |= !config
                && sources
                    .iter()
                    .any(|w| !w.value.contains("://") && !w.value.starts_with("<<"));
        }
    }
    copies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::NoContext;
    use crate::syntax::parse;

    fn purpose(text: &str) -> Purpose {
        let tree = parse(text);
        let model = Model::build_for(&tree, Some(text), None);
        of_stage(&tree, &model, model.target().unwrap(), None, &NoContext)
    }

    #[track_caller]
    fn check(text: &str, kind: Kind, sure: bool) {
        let p = purpose(text);
        assert_eq!((p.kind, p.sure), (kind, sure), "{text}\n{p:?}");
    }

    #[test]
    fn purposes() {
        use Kind::*;
        check(
            "FROM python:3.12-slim\nCOPY . /app\nCMD [\"uvicorn\", \"main:app\"]\n",
            Application,
            true,
        );
        check(
            "FROM golang:1.22 AS builder\nRUN go build\nFROM builder AS dev-envs\nRUN apt-get install -y git\n",
            DevEnvironment,
            true,
        );
        check(
            "FROM golang:1.22 AS builder\nCOPY . .\nFROM builder AS test\nRUN go test ./...\n",
            Test,
            true,
        );
        check(
            "FROM golang:1.22 AS builder\nCOPY . .\nFROM builder\nRUN go test ./...\n",
            Test,
            true,
        );
        check(
            "FROM buildpack-deps:bookworm\nRUN apt-get install -y libbluetooth-dev tk-dev\nCMD [\"python3\"]\n",
            Toolchain,
            true,
        );
        check(
            "FROM quay.io/jupyter/scipy-notebook\nUSER root\nRUN apt-get install -y gcc gfortran\nUSER ${NB_UID}\n",
            Toolchain,
            true,
        );
        check(
            "FROM python:3.12\nONBUILD COPY . /app\nONBUILD RUN pip install -r requirements.txt\n",
            BaseImage,
            true,
        );
        check(
            "FROM ubuntu:24.04\nRUN apt-get install -y gcc make cmake\n",
            BaseImage,
            true,
        );
        check(
            "FROM jenkins/jenkins:lts-jdk17\nUSER root\nRUN apt-get install -y build-essential\nUSER jenkins\n",
            Toolchain,
            true,
        );
        check(
            "FROM ghcr.io/actions/actions-runner:2.319.1\nRUN apt-get install -y git golang\n",
            Toolchain,
            true,
        );
        check(
            "ARG BASE=nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04\nFROM $BASE\nRUN apt-get install -y python3-dev\nRUN pip install jupyter torch\n",
            Toolchain,
            true,
        );
        check(
            "FROM php:8.3-fpm\nRUN pecl install xdebug-3.3.2 && docker-php-ext-enable xdebug\nRUN apt-get install -y libzip-dev\n",
            DevEnvironment,
            true,
        );
        check(
            "FROM python:3.12\nCOPY requirements requirements\nRUN pip install -r requirements/dev.txt tox\nCOPY . .\nCMD [\"python\", \"manage.py\", \"runserver\"]\n",
            DevEnvironment,
            true,
        );
        check(
            "FROM eclipse-temurin:21-jre-alpine\nRUN apk add git git-lfs\nENTRYPOINT [\"/sbin/tini\", \"--\", \"/usr/local/bin/jenkins.sh\"]\n",
            Toolchain,
            true,
        );
        check(
            "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"gunicorn\", \"app:app\"]\n",
            Application,
            true,
        );
        check(
            "FROM kubeflownotebooks/base:v0.4.0\nCOPY requirements.txt /tmp\nCOPY s6/ /etc\nRUN apt-get install -y nodejs build-essential\nENTRYPOINT [\"/init\"]\n",
            Toolchain,
            true,
        );
        check(
            "FROM php:7.2-fpm\nCOPY php.ini /usr/local/etc/php/\nRUN apt-get install -y zlib1g-dev\n",
            Application,
            false,
        );
        check(
            "FROM alpine\nRUN apk add git\nENTRYPOINT [\"git\"]\n",
            Toolchain,
            true,
        );
        check(
            "FROM mcr.microsoft.com/devcontainers/python:3.12\nRUN apt-get install -y gcc\n",
            DevEnvironment,
            true,
        );
        check(
            "FROM debian:bookworm\nRUN useradd -m vscode\nRUN apt-get install -y git\n",
            DevEnvironment,
            true,
        );
        check(
            "FROM node:20\nCOPY --from=docker:cli /usr/local/bin/docker /usr/local/bin/\nCMD [\"bash\"]\n",
            DevEnvironment,
            true,
        );
        check(
            "FROM node:20-slim\nCOPY . .\nRUN npm ci\nCMD node server.js\n",
            Application,
            true,
        );
        check(
            "FROM eclipse-temurin:21-jre\nRUN apt-get install -y git\nCMD [\"java\", \"-jar\", \"/app.jar\"]\n",
            Application,
            true,
        );
        check(
            "FROM nginx:1.27\nRUN apt-get install -y gcc\n",
            Application,
            false,
        );
        check(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\n",
            Application,
            false,
        );
    }

    #[test]
    fn a_named_target_is_judged() {
        let text = "FROM python:3.12 AS app\nCOPY . .\nCMD [\"gunicorn\", \"app:app\"]\nFROM app AS dev\nCMD [\"flask\", \"run\", \"--debug\"]\n";
        assert_eq!(purpose(text).kind, Kind::DevEnvironment);
        let tree = parse(text);
        let model = Model::build_for(&tree, Some(text), Some("app"));
        let p = of_stage(&tree, &model, model.target().unwrap(), None, &NoContext);
        assert_eq!(p.kind, Kind::Application, "{p:?}");
        let commented = format!("# layerwise: target=app\n{text}");
        let tree = parse(&commented);
        let model = Model::build_for(&tree, Some(&commented), None);
        assert_eq!(model.target(), Some(0));
        assert!(!model.stages[1].shipped);
    }
}
