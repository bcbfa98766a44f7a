//! What shell commands do, as far as image size and build cache are concerned: dependency
//! installs from manifests (per ecosystem), system package installs and removals, index
//! updates. Pure functions of one [`Command`]; rules combine them.
//!
//! Commands are looked at the way the shell runs them: through wrappers (`sudo -u app`,
//! `xargs -r`, `timeout 60`, `gosu app`), interpreters (`python -m pip`, `sh ./gradlew`,
//! `php composer.phar`) and nested shells (`bash -c "..."`, `su app -c "..."`), see [`argv`] and
//! [`run_commands`].

use std::borrow::Cow;

use crate::syntax::instruction::{Form, Instruction, Keyword};
use crate::syntax::shell::{basename, lex, Command, Joiner, ShellWord};
use crate::syntax::Span;

/// A package ecosystem whose dependency install only needs manifest files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ecosystem {
    Pip,
    Poetry,
    Pipenv,
    /// `uv sync`: the project's `pyproject.toml` and `uv.lock`.
    Uv,
    /// `uv pip install -r FILE` / `uv pip sync FILE`: only the files it names.
    UvPip,
    Pdm,
    Conda,
    Npm,
    Yarn,
    Pnpm,
    Bun,
    Go,
    Cargo,
    Maven,
    Gradle,
    Bundler,
    Composer,
    Dotnet,
    Mix,
    Conan,
}

impl Ecosystem {
    /// Manifest files the install reads, besides any named on its command line. Alternatives
    /// (only one exists in a project) are grouped: the first of a group that exists in the
    /// build context is used, or the first of the group when the context is unknown.
    #[must_use]
    pub fn manifests(self) -> &'static [&'static [&'static str]] {
        match self {
            Self::Pip | Self::UvPip | Self::Conda | Self::Dotnet => &[],
            Self::Poetry => &[&["pyproject.toml"], &["poetry.lock"]],
            Self::Pipenv => &[&["Pipfile"], &["Pipfile.lock"]],
            Self::Uv => &[&["pyproject.toml"], &["uv.lock"]],
            Self::Pdm => &[&["pyproject.toml"], &["pdm.lock"]],
            Self::Npm => &[
                &["package.json"],
                &["package-lock.json", "npm-shrinkwrap.json"],
            ],
            Self::Yarn => &[&["package.json"], &["yarn.lock"]],
            Self::Pnpm => &[&["package.json"], &["pnpm-lock.yaml"]],
            Self::Bun => &[&["package.json"], &["bun.lock", "bun.lockb"]],
            Self::Go => &[&["go.mod"], &["go.sum"]],
            Self::Cargo => &[&["Cargo.toml"], &["Cargo.lock"]],
            Self::Maven => &[&["pom.xml"]],
            Self::Gradle => &[
                &["build.gradle.kts", "build.gradle"],
                &["settings.gradle.kts", "settings.gradle"],
                &["gradle.properties"],
            ],
            Self::Bundler => &[&["Gemfile"], &["Gemfile.lock"]],
            Self::Composer => &[&["composer.json"], &["composer.lock"]],
            Self::Mix => &[&["mix.exs"], &["mix.lock"]],
            Self::Conan => &[&["conanfile.txt", "conanfile.py"]],
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Pip => "pip",
            Self::Poetry => "poetry",
            Self::Pipenv => "pipenv",
            Self::Uv | Self::UvPip => "uv",
            Self::Pdm => "pdm",
            Self::Conda => "conda",
            Self::Npm => "npm",
            Self::Yarn => "yarn",
            Self::Pnpm => "pnpm",
            Self::Bun => "bun",
            Self::Go => "go",
            Self::Cargo => "cargo",
            Self::Maven => "maven",
            Self::Gradle => "gradle",
            Self::Bundler => "bundler",
            Self::Composer => "composer",
            Self::Dotnet => "dotnet",
            Self::Mix => "mix",
            Self::Conan => "conan",
        }
    }
}

/// A command that installs the dependencies declared in manifest files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallStep {
    pub ecosystem: Ecosystem,
    /// Manifest files named on the command line (`-r requirements.txt`, `-f environment.yml`,
    /// a `.csproj`), as written (relative to the WORKDIR unless absolute).
    pub files: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Looking through wrappers, interpreters and nested shells
// ---------------------------------------------------------------------------------------------

/// How a wrapper program runs the command after it.
struct Wrapper {
    name: &'static str,
    /// Its options that take a separate value (`sudo -u USER`).
    value_opts: &'static [&'static str],
    /// Positional arguments before the command (`timeout DURATION`, `gosu USER`).
    leading: usize,
}

const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        name: "sudo",
        value_opts: &[
            "-u",
            "-g",
            "-h",
            "-p",
            "-C",
            "-D",
            "-r",
            "-t",
            "-U",
            "-T",
            "--user",
            "--group",
            "--host",
            "--prompt",
            "--chdir",
            "--role",
            "--type",
            "--other-user",
            "--command-timeout",
            "--close-from",
        ],
        leading: 0,
    },
    Wrapper {
        name: "env",
        value_opts: &["-u", "--unset", "-C", "--chdir"],
        leading: 0,
    },
    Wrapper {
        name: "exec",
        value_opts: &["-a"],
        leading: 0,
    },
    Wrapper {
        name: "command",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "builtin",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "time",
        value_opts: &["-f", "-o", "--format", "--output"],
        leading: 0,
    },
    Wrapper {
        name: "nice",
        value_opts: &["-n", "--adjustment"],
        leading: 0,
    },
    Wrapper {
        name: "ionice",
        value_opts: &["-c", "-n", "-p", "-P", "-u"],
        leading: 0,
    },
    Wrapper {
        name: "nohup",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "eatmydata",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "fakeroot",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "unbuffer",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "stdbuf",
        value_opts: &["-i", "-o", "-e"],
        leading: 0,
    },
    Wrapper {
        name: "xargs",
        value_opts: &[
            "-a",
            "-d",
            "-E",
            "-e",
            "-I",
            "-L",
            "-l",
            "-n",
            "-P",
            "-s",
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--max-lines",
            "--replace",
            "--eof",
            "--process-slot-var",
        ],
        leading: 0,
    },
    Wrapper {
        name: "timeout",
        value_opts: &["-s", "-k", "--signal", "--kill-after"],
        leading: 1,
    },
    Wrapper {
        name: "gosu",
        value_opts: &[],
        leading: 1,
    },
    Wrapper {
        name: "su-exec",
        value_opts: &[],
        leading: 1,
    },
    Wrapper {
        name: "chpst",
        value_opts: &["-u", "-U", "-e", "-n", "-l", "-L"],
        leading: 0,
    },
    Wrapper {
        name: "runuser",
        value_opts: &["-u", "-g", "-G", "--user", "--group", "--supp-group"],
        leading: 0,
    },
    Wrapper {
        name: "tini",
        value_opts: &["-p", "-e"],
        leading: 0,
    },
    Wrapper {
        name: "dumb-init",
        value_opts: &["-r", "--rewrite"],
        leading: 0,
    },
    Wrapper {
        name: "retry",
        value_opts: &["-t", "--times", "-d", "--delay"],
        leading: 0,
    },
    // package runners: `npx pnpm install`, `corepack pnpm install`
    Wrapper {
        name: "npx",
        value_opts: &["-p", "--package", "-c", "--call"],
        leading: 0,
    },
    Wrapper {
        name: "pnpx",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "bunx",
        value_opts: &[],
        leading: 0,
    },
    Wrapper {
        name: "corepack",
        value_opts: &[],
        leading: 0,
    },
];

/// POSIX-ish shells: `sh -c '...'` runs a script, `sh ./gradlew build` runs a script file.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh", "ksh", "busybox-sh"];

fn is_shell(prog: &str) -> bool {
    SHELLS.contains(&prog)
}

/// A shell option word that makes the next word the script (`-c`, `-ec`, `-lc`, `-xeuc`).
fn is_dash_c(word: &str) -> bool {
    word.len() >= 2
        && word.starts_with('-')
        && !word.starts_with("--")
        && word[1..].bytes().all(|b| b.is_ascii_alphabetic())
        && word.contains('c')
}

/// A shell's first operand after its options (`bash -euxo pipefail -c SCRIPT` -> `SCRIPT`), and
/// whether `-c` was among the options (the operand is then a script, else a script file).
fn shell_operand(rest: &[ShellWord]) -> (Option<usize>, bool) {
    let mut saw_c = false;
    let mut k = 0;
    while k < rest.len() {
        let w = rest[k].value.as_str();
        if w == "--" {
            return ((k + 1 < rest.len()).then_some(k + 1), saw_c);
        }
        if (w.starts_with('-') || w.starts_with('+')) && w.len() > 1 {
            saw_c |= is_dash_c(w);
            // `-o pipefail`, `-euxo pipefail`: the option name is the next word
            let short = !w.starts_with("--");
            k += if short && w.ends_with('o') { 2 } else { 1 };
            continue;
        }
        return (Some(k), saw_c);
    }
    (None, saw_c)
}

/// The effective program and its arguments, looking through wrappers (`sudo -u app`, `env A=b`,
/// `xargs -n1`, `timeout 60`, `gosu app`, `exec`), `python -m MODULE`, `sh SCRIPT` and
/// `php composer.phar`.
#[must_use]
pub fn argv(cmd: &Command) -> &[ShellWord] {
    let mut words = &cmd.words[..];
    for _ in 0..8 {
        let Some((first, rest)) = words.split_first() else {
            break;
        };
        let name = basename(&first.value);
        if let Some(w) = WRAPPERS.iter().find(|w| w.name == name) {
            let mut k = 0;
            while k < rest.len() {
                let a = rest[k].value.as_str();
                if a == "--" {
                    k += 1;
                    break;
                }
                if a.starts_with('-') && a.len() > 1 {
                    k += if w.value_opts.contains(&a) { 2 } else { 1 };
                } else if name == "env" && a.contains('=') {
                    k += 1;
                } else {
                    break;
                }
            }
            let k = (k + w.leading).min(rest.len());
            if k >= rest.len() {
                break;
            }
            words = &rest[k..];
            continue;
        }
        // `python3 -m pip ...`, `/venv/bin/python -u -m poetry install`
        if is_versioned(name, "python") || name == "py" {
            let m = rest
                .iter()
                .position(|a| !a.value.starts_with('-') || a.value == "-m");
            if let Some(m) = m.filter(|&m| rest[m].value == "-m" && m + 1 < rest.len()) {
                words = &rest[m + 1..];
                continue;
            }
            break;
        }
        // `sh ./gradlew build`, `bash -e ./mvnw package` (not `sh -c`)
        if is_shell(name) {
            match shell_operand(rest) {
                (Some(k), false) => {
                    words = &rest[k..];
                    continue;
                }
                _ => break,
            }
        }
        // `php composer.phar install`, `php /usr/bin/composer install`
        if name == "php" {
            if let Some((script, _)) = rest.split_first() {
                if matches!(basename(&script.value), "composer" | "composer.phar") {
                    words = rest;
                    continue;
                }
            }
        }
        break;
    }
    words
}

/// The effective program's base name (`/usr/bin/pip3` -> `pip3`), see [`argv`].
#[must_use]
pub fn program(cmd: &Command) -> Option<&str> {
    argv(cmd).first().map(|w| {
        let name = basename(&w.value);
        // `pnpm@9` run through `npx`
        match name.split_once('@') {
            Some((base, _)) if !base.is_empty() => base,
            _ => name,
        }
    })
}

/// The effective program's arguments, see [`argv`].
#[must_use]
pub fn args(cmd: &Command) -> &[ShellWord] {
    argv(cmd).get(1..).unwrap_or(&[])
}

/// The script a command hands to a nested shell: `sh -c 'SCRIPT'`, `bash -lc "SCRIPT"`,
/// `su app -c "SCRIPT"`, `su -c "SCRIPT" app`.
#[must_use]
pub fn nested_script(cmd: &Command) -> Option<&ShellWord> {
    let words = argv(cmd);
    let (first, rest) = words.split_first()?;
    let name = basename(&first.value);
    if is_shell(name) {
        return match shell_operand(rest) {
            (Some(k), true) => rest.get(k),
            _ => None,
        };
    }
    if name == "su" {
        let c = rest
            .iter()
            .position(|w| w.value == "-c" || w.value == "--command")?;
        return rest.get(c + 1);
    }
    None
}

/// Every simple command `instr` runs: its shell text and heredoc scripts, plus the commands of
/// nested shell scripts (`bash -c "..."`), which carry the span of the script word they come
/// from (the nested text has no exact position in the file).
#[must_use]
pub fn run_commands(instr: &Instruction) -> Vec<Cow<'_, Command>> {
    let mut out = Vec::new();
    // `RUN ["pip", "install", "-r", "requirements.txt"]`: one command, no shell
    if instr.keyword == Keyword::Run {
        if let Some(Form::Exec { words, span }) = instr.form() {
            let cmd = Command {
                assignments: Vec::new(),
                words: words.clone(),
                span: *span,
                joiner: Joiner::Start,
            };
            let script = nested_script(&cmd).cloned();
            out.push(Cow::Owned(cmd));
            if let Some(script) = script {
                nested(&script, 0, &mut out);
            }
        }
    }
    for cmd in instr.commands() {
        out.push(Cow::Borrowed(cmd));
        if let Some(script) = nested_script(cmd) {
            nested(script, 0, &mut out);
        }
    }
    out
}

fn nested(script: &ShellWord, depth: usize, out: &mut Vec<Cow<'_, Command>>) {
    if depth > 3 {
        return;
    }
    for mut cmd in lex(&script.value).commands {
        cmd.span = script.span;
        for w in cmd.words.iter_mut().chain(cmd.assignments.iter_mut()) {
            w.span = script.span;
        }
        let inner = nested_script(&cmd).cloned();
        out.push(Cow::Owned(cmd));
        if let Some(inner) = inner {
            nested(&inner, depth + 1, out);
        }
    }
}

/// The targets of the `RUN --mount=type=...` mounts of the given types (`cache`, `tmpfs`,
/// `bind`...), without a trailing `/`.
#[must_use]
pub fn mount_targets(instr: &Instruction, types: &[&str]) -> Vec<String> {
    instr
        .flags
        .iter()
        .filter(|f| f.name == "mount")
        .filter_map(|f| {
            let value = f.value.as_deref()?;
            // `type` defaults to `bind`
            let mut kind = "bind";
            let mut target = None;
            for part in value.split(',') {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                let v = v.trim().trim_matches('"');
                match k.trim() {
                    "type" => kind = v,
                    "target" | "dst" | "destination" => {
                        let t = v.trim_end_matches('/');
                        target = Some(if t.is_empty() {
                            v.to_string()
                        } else {
                            t.to_string()
                        });
                    }
                    _ => {}
                }
            }
            if types.contains(&kind) {
                target
            } else {
                None
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

fn has(args: &[ShellWord], flag: &str) -> bool {
    args.iter().any(|a| {
        a.value == flag
            || a.value
                .strip_prefix(flag)
                .is_some_and(|r| r.starts_with('='))
    })
}

/// Values of an option that takes a file (`-r FILE`, `-rFILE`, `--requirement=FILE`).
fn option_values(args: &[ShellWord], short: &str, long: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i].value;
        if a == short || a == long {
            if let Some(v) = args.get(i + 1) {
                out.push(v.value.clone());
                i += 1;
            }
        } else if let Some(v) = a.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
            out.push(v.to_string());
        } else if !short.is_empty()
            && a.starts_with(short)
            && !a.starts_with("--")
            && a.len() > short.len()
        {
            out.push(a[short.len()..].to_string());
        }
        i += 1;
    }
    out
}

/// The options among `args` with the separate values of those in `value_opts`, in order
/// (`mvn -B -P prod clean package` -> `-B -P prod`); nothing after `--`.
#[must_use]
pub fn options<'a>(args: &'a [ShellWord], value_opts: &[&str]) -> Vec<&'a ShellWord> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].value.as_str();
        if a == "--" {
            break;
        }
        if a.starts_with('-') && a.len() > 1 {
            out.push(&args[i]);
            if value_opts.contains(&a) {
                if let Some(v) = args.get(i + 1) {
                    out.push(v);
                }
                i += 1;
            }
        }
        i += 1;
    }
    out
}

/// Positional (non-option) arguments, skipping the values of the options in `value_opts`
/// (`npm --prefix /app ci` -> `ci`). Everything after `--` is positional.
fn positionals<'a>(args: &'a [ShellWord], value_opts: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].value.as_str();
        if a == "--" {
            out.extend(args[i + 1..].iter().map(|w| w.value.as_str()));
            break;
        }
        if a.starts_with('-') && a.len() > 1 {
            if value_opts.contains(&a) {
                i += 1;
            }
        } else {
            out.push(a);
        }
        i += 1;
    }
    out
}

/// `pip`, `pip3`, `pip3.11` (also `python -m pip`, see [`argv`]): the arguments after `pip`.
#[must_use]
pub fn pip_args(cmd: &Command) -> Option<&[ShellWord]> {
    is_versioned(program(cmd)?, "pip").then(|| args(cmd))
}

/// `pip install` (any options), as opposed to `pip download`, `pip wheel`...
#[must_use]
pub fn is_pip_install(cmd: &Command) -> bool {
    pip_args(cmd).is_some_and(|a| positionals(a, PIP_VALUE_OPTS).first() == Some(&"install"))
}

/// `name`, `name3`, `name3.11`.
fn is_versioned(prog: &str, name: &str) -> bool {
    prog.strip_prefix(name)
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

const PIP_VALUE_OPTS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--trusted-host",
    "--progress-bar",
    "--cache-dir",
    "--src",
    "--upgrade-strategy",
    "--log",
    "--timeout",
    "--retries",
    "--proxy",
    "--report",
    "-C",
    "--config-settings",
    "--cert",
    "--client-cert",
    "--exists-action",
    "--python",
    "--global-option",
    "--root-user-action",
];
const NPM_VALUE_OPTS: &[&str] = &[
    "--prefix",
    "--cache",
    "--registry",
    "--loglevel",
    "-w",
    "--workspace",
    "--userconfig",
    "--omit",
    "--include",
    "--install-strategy",
    "--fetch-timeout",
    "--fetch-retries",
];
const YARN_VALUE_OPTS: &[&str] = &[
    "--cwd",
    "--modules-folder",
    "--cache-folder",
    "--network-timeout",
    "--mutex",
    "--registry",
    "--network-concurrency",
    "--child-concurrency",
    "--global-folder",
    "--link-folder",
];
const PNPM_VALUE_OPTS: &[&str] = &[
    "-C",
    "--dir",
    "--filter",
    "-F",
    "--store-dir",
    "--reporter",
    "--virtual-store-dir",
    "--network-concurrency",
    "--child-concurrency",
    "--modules-dir",
];
const BUN_VALUE_OPTS: &[&str] = &["--cwd", "--registry", "--cache-dir", "--backend"];
const GO_VALUE_OPTS: &[&str] = &[
    "-C",
    "-o",
    "-tags",
    "-ldflags",
    "-gcflags",
    "-asmflags",
    "-mod",
    "-p",
    "-pkgdir",
    "-buildmode",
    "-compiler",
    "-installsuffix",
    "-modfile",
    "-overlay",
    "-pgo",
    "-exec",
    "-toolexec",
    "-gccgoflags",
    "-buildvcs",
    "-covermode",
    "-coverpkg",
];
const CARGO_VALUE_OPTS: &[&str] = &[
    "-p",
    "--package",
    "--bin",
    "--example",
    "--test",
    "--bench",
    "--features",
    "-F",
    "--target",
    "--target-dir",
    "--manifest-path",
    "-j",
    "--jobs",
    "--profile",
    "--message-format",
    "--color",
    "-Z",
    "--config",
    "--root",
    "--path",
    "--version",
    "--git",
    "--branch",
    "--tag",
    "--rev",
    "--registry",
    "--index",
    "--exclude",
    "--lockfile-path",
];
pub(crate) const MAVEN_VALUE_OPTS: &[&str] = &[
    "-f",
    "--file",
    "-s",
    "--settings",
    "-gs",
    "--global-settings",
    "-P",
    "--activate-profiles",
    "-pl",
    "--projects",
    "-T",
    "--threads",
    "-l",
    "--log-file",
    "-rf",
    "--resume-from",
    "-t",
    "--toolchains",
    "-b",
    "--builder",
    "-D",
    "--define",
];
const GRADLE_VALUE_OPTS: &[&str] = &[
    "-x",
    "--exclude-task",
    "-p",
    "--project-dir",
    "-b",
    "--build-file",
    "-c",
    "--settings-file",
    "-g",
    "--gradle-user-home",
    "-I",
    "--init-script",
    "--console",
    "--warning-mode",
    "--max-workers",
    "-D",
    "--system-prop",
    "-P",
    "--project-prop",
    "--priority",
    "--include-build",
    "-M",
    "--write-verification-metadata",
];
const BUNDLE_VALUE_OPTS: &[&str] = &[
    "--jobs",
    "-j",
    "--retry",
    "--path",
    "--without",
    "--with",
    "--gemfile",
    "--binstubs",
    "--shebang",
    "--trust-policy",
];
const COMPOSER_VALUE_OPTS: &[&str] = &["-d", "--working-dir"];
const DOTNET_VALUE_OPTS: &[&str] = &[
    "-c",
    "--configuration",
    "-o",
    "--output",
    "-r",
    "--runtime",
    "-f",
    "--framework",
    "-a",
    "--arch",
    "--os",
    "-s",
    "--source",
    "--packages",
    "-v",
    "--verbosity",
    "--version-suffix",
    "--configfile",
    "-p",
    "--property",
    "--lockfile-path",
    "-e",
    "--environment",
    "-bl",
    "--artifacts-path",
];
/// `dotnet` options whose boolean value is optional (`--self-contained`, `--sc true`).
const DOTNET_BOOL_OPTS: &[&str] = &[
    "--self-contained",
    "--sc",
    "--use-current-runtime",
    "--ucr",
    "--interactive",
    "--tl",
];

/// `dotnet`'s positional arguments: [`positionals`], also skipping the `true`/`false` after an
/// option whose value is optional (`--self-contained true` names no project).
fn dotnet_positionals(args: &[ShellWord]) -> Vec<&str> {
    let mut kept: Vec<ShellWord> = Vec::with_capacity(args.len());
    let mut after_bool = false;
    for a in args {
        let boolean = matches!(a.value.to_ascii_lowercase().as_str(), "true" | "false");
        if !(after_bool && boolean) {
            kept.push(a.clone());
        }
        after_bool = DOTNET_BOOL_OPTS.contains(&a.value.as_str());
    }
    let values: Vec<&str> = positionals(&kept, DOTNET_VALUE_OPTS);
    // borrow from `args`: the same words in the same order
    let mut out = Vec::with_capacity(values.len());
    let mut from = 0;
    for v in values {
        if let Some(n) = args[from..].iter().position(|a| a.value == v) {
            out.push(args[from + n].value.as_str());
            from += n + 1;
        }
    }
    out
}

const UV_VALUE_OPTS: &[&str] = &[
    "--directory",
    "--project",
    "--python",
    "-p",
    "--cache-dir",
    "--index-url",
    "-i",
    "--extra-index-url",
    "--find-links",
    "-f",
    "--config-file",
    "--group",
    "--extra",
    "--package",
    "--no-install-package",
    "--only-group",
    "--no-group",
    "--index",
    "--default-index",
    "-C",
    "--config-setting",
    "--constraint",
    "-c",
    "--override",
    "--target",
    "--prefix",
    "--python-platform",
    "--python-version",
    "--link-mode",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "--keyring-provider",
    "--color",
];
const POETRY_VALUE_OPTS: &[&str] = &[
    "-C",
    "--directory",
    "-P",
    "--project",
    "--with",
    "--without",
    "--only",
    "-E",
    "--extras",
];
const CONDA_VALUE_OPTS: &[&str] = &[
    "-n",
    "--name",
    "-p",
    "--prefix",
    "-c",
    "--channel",
    "-f",
    "--file",
    "--override-channels",
    "--platform",
    "--subdir",
    "-r",
    "--root-prefix",
];

/// An MSBuild switch passed through `dotnet` (`/p:UseAppHost=false`, `/t:Publish`, `/m`).
fn is_msbuild_switch(arg: &str) -> bool {
    let Some(rest) = arg.strip_prefix('/') else {
        return false;
    };
    let name_end = rest.find(':').unwrap_or(rest.len());
    let name = &rest[..name_end];
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphabetic())
        && (name_end < rest.len()
            || matches!(
                name.to_ascii_lowercase().as_str(),
                "m" | "nologo" | "restore" | "r" | "nr" | "bl" | "noconlog"
            ))
}

/// Classify a command as a dependency install step.
#[must_use]
#[allow(clippy::too_many_lines)]
/// What the model keeps per instruction parse ([`crate::syntax::instruction::Derived`]).
#[derive(Default)]
struct Facts {
    installs: std::sync::OnceLock<Vec<Ecosystem>>,
}

/// The ecosystems whose dependencies `instr`'s own commands install ([`install_step`] of each of
/// [`Instruction::commands`]), each once, in the order of their first install. Worked out once
/// per parse of the instruction.
#[must_use]
pub fn installs(instr: &Instruction) -> Cow<'_, [Ecosystem]> {
    let compute = || {
        let mut out: Vec<Ecosystem> = Vec::new();
        for cmd in instr.commands() {
            if let Some(step) = install_step(cmd) {
                if !out.contains(&step.ecosystem) {
                    out.push(step.ecosystem);
                }
            }
        }
        out
    };
    match instr.derived.get_or_init(Facts::default) {
        Some(facts) => Cow::Borrowed(facts.installs.get_or_init(compute)),
        None => Cow::Owned(compute()),
    }
}

pub fn install_step(cmd: &Command) -> Option<InstallStep> {
    let step = |ecosystem, files: Vec<String>| Some(InstallStep { ecosystem, files });
    if let Some(args) = pip_args(cmd) {
        // `pip wheel -r` and `pip download -r` fetch the same dependencies into a folder
        if !matches!(
            positionals(args, PIP_VALUE_OPTS).first(),
            Some(&("install" | "wheel" | "download"))
        ) {
            return None;
        }
        // `pip install -r FILE`: installs from a manifest; `pip install .` and
        // `pip install NAME` do not (nothing to hoist, or a tool by name)
        let mut files = option_values(args, "-r", "--requirement");
        if files.is_empty() {
            return None;
        }
        files.extend(option_values(args, "-c", "--constraint"));
        return step(Ecosystem::Pip, files);
    }
    let prog = program(cmd)?;
    let args = args(cmd);
    match prog {
        "poetry" => {
            let p = positionals(args, POETRY_VALUE_OPTS);
            matches!(p.first(), Some(&("install" | "sync"))).then_some(InstallStep {
                ecosystem: Ecosystem::Poetry,
                files: vec![],
            })
        }
        // `pipenv install <pkg>` adds a package: it still resolves the Pipfile
        "pipenv" => matches!(positionals(args, &[]).first(), Some(&("install" | "sync")))
            .then_some(InstallStep {
                ecosystem: Ecosystem::Pipenv,
                files: vec![],
            }),
        "uv" => uv_step(args),
        "pdm" => matches!(positionals(args, &[]).first(), Some(&("install" | "sync"))).then_some(
            InstallStep {
                ecosystem: Ecosystem::Pdm,
                files: vec![],
            },
        ),
        "conda" | "mamba" | "micromamba" => conda_step(args),
        "npm" => {
            let p = positionals(args, NPM_VALUE_OPTS);
            let global = has(args, "-g") || has(args, "--global") || has(args, "--location");
            match p.first() {
                Some(&("ci" | "ic" | "clean-install" | "install-clean")) => {
                    step(Ecosystem::Npm, vec![])
                }
                Some(&("install" | "i" | "in" | "add" | "isntall")) if !global => {
                    step(Ecosystem::Npm, vec![])
                }
                _ => None,
            }
        }
        "yarn" => {
            let p = positionals(args, YARN_VALUE_OPTS);
            match p.as_slice() {
                [] | ["install", ..] | ["workspaces", "focus", ..] => step(Ecosystem::Yarn, vec![]),
                _ => None,
            }
        }
        "pnpm" => {
            let p = positionals(args, PNPM_VALUE_OPTS);
            let global = has(args, "-g") || has(args, "--global");
            match p.first() {
                Some(&("install" | "i" | "fetch")) if !global => step(Ecosystem::Pnpm, vec![]),
                _ => None,
            }
        }
        "bun" => {
            let p = positionals(args, BUN_VALUE_OPTS);
            let global = has(args, "-g") || has(args, "--global");
            match p.first() {
                Some(&("install" | "i")) if !global => step(Ecosystem::Bun, vec![]),
                _ => None,
            }
        }
        "go" => go_step(cmd, args),
        "cargo" => {
            // `cargo +nightly build`
            let args = match args.first() {
                Some(w) if w.value.starts_with('+') => &args[1..],
                _ => args,
            };
            let p = positionals(args, CARGO_VALUE_OPTS);
            match p.as_slice() {
                ["fetch" | "build" | "b", ..] | ["chef", "cook", ..] => {
                    step(Ecosystem::Cargo, vec![])
                }
                // `cargo install --path .` builds the project; `cargo install NAME` is a tool
                ["install", ..] if has(args, "--path") => step(Ecosystem::Cargo, vec![]),
                _ => None,
            }
        }
        "mvn" | "mvnw" | "mvnw.cmd" | "mvn.cmd" => {
            let builds = [
                "package",
                "verify",
                "install",
                "compile",
                "test",
                "deploy",
                "test-compile",
            ];
            let p = positionals(args, MAVEN_VALUE_OPTS);
            let resolves = p.iter().any(|g| {
                builds.contains(g)
                    || g.strip_prefix("dependency:")
                        .is_some_and(|goal| goal != "purge-local-repository")
                    || g.ends_with(":go-offline")
                    || g.ends_with(":resolve-dependencies")
            });
            resolves.then_some(InstallStep {
                ecosystem: Ecosystem::Maven,
                files: vec![],
            })
        }
        "gradle" | "gradlew" | "gradlew.bat" => {
            let p: Vec<&str> = positionals(args, GRADLE_VALUE_OPTS)
                .into_iter()
                .filter(|t| !t.contains('='))
                .collect();
            let idle = |t: &str| {
                matches!(
                    t,
                    "help" | "tasks" | "wrapper" | "clean" | "properties" | "projects"
                )
            };
            if p.iter().all(|t| idle(t)) {
                return None;
            }
            step(Ecosystem::Gradle, vec![])
        }
        "bundle" | "bundler" => match positionals(args, BUNDLE_VALUE_OPTS).first() {
            None | Some(&"install") => step(Ecosystem::Bundler, vec![]),
            _ => None,
        },
        "composer" | "composer.phar" => match positionals(args, COMPOSER_VALUE_OPTS).first() {
            Some(&("install" | "update" | "i" | "u")) => step(Ecosystem::Composer, vec![]),
            _ => None,
        },
        "dotnet" => {
            let p = dotnet_positionals(args);
            let (sub, rest) = p.split_first()?;
            let files = || -> Vec<String> {
                rest.iter()
                    .filter(|a| !is_msbuild_switch(a))
                    .map(|a| (*a).to_string())
                    .collect()
            };
            match *sub {
                "restore" => step(Ecosystem::Dotnet, files()),
                "build" | "publish" if !has(args, "--no-restore") => {
                    step(Ecosystem::Dotnet, files())
                }
                _ => None,
            }
        }
        "mix" => positionals(args, &[])
            .iter()
            .any(|t| t.trim_end_matches(',') == "deps.get")
            .then_some(InstallStep {
                ecosystem: Ecosystem::Mix,
                files: vec![],
            }),
        "conan" if positionals(args, &[]).first() == Some(&"install") => {
            step(Ecosystem::Conan, vec![])
        }
        _ => None,
    }
}

fn uv_step(args: &[ShellWord]) -> Option<InstallStep> {
    let p = positionals(args, UV_VALUE_OPTS);
    match p.as_slice() {
        ["sync", ..] => Some(InstallStep {
            ecosystem: Ecosystem::Uv,
            files: vec![],
        }),
        ["pip", "install", ..] => {
            let files = option_values(args, "-r", "--requirement");
            (!files.is_empty()).then_some(InstallStep {
                ecosystem: Ecosystem::UvPip,
                files,
            })
        }
        ["pip", "sync", files @ ..] if !files.is_empty() => Some(InstallStep {
            ecosystem: Ecosystem::UvPip,
            files: files.iter().map(|f| (*f).to_string()).collect(),
        }),
        _ => None,
    }
}

fn conda_step(args: &[ShellWord]) -> Option<InstallStep> {
    let p = positionals(args, CONDA_VALUE_OPTS);
    let mut files = option_values(args, "-f", "--file");
    let env_cmd = p.first() == Some(&"env") && matches!(p.get(1), Some(&("create" | "update")));
    if env_cmd && files.is_empty() {
        // `conda env create` reads environment.yml from the working directory by default
        files.push("environment.yml".to_string());
    }
    if files.is_empty() {
        return None;
    }
    (env_cmd || matches!(p.first(), Some(&("install" | "create" | "update")))).then_some(
        InstallStep {
            ecosystem: Ecosystem::Conda,
            files,
        },
    )
}

fn go_step(cmd: &Command, args: &[ShellWord]) -> Option<InstallStep> {
    let p = positionals(args, GO_VALUE_OPTS);
    let step = Some(InstallStep {
        ecosystem: Ecosystem::Go,
        files: vec![],
    });
    match p.as_slice() {
        ["mod", "download", ..] => step,
        ["build" | "install", targets @ ..] => {
            if go_vendored(cmd, args) {
                return None;
            }
            // `go install pkg@version` installs a tool by name
            if targets.iter().any(|t| t.contains('@')) {
                return None;
            }
            step
        }
        _ => None,
    }
}

/// `-mod=vendor`, `-mod vendor`, or `GOFLAGS=-mod=vendor` on the command.
fn go_vendored(cmd: &Command, args: &[ShellWord]) -> bool {
    let flag = args
        .windows(2)
        .any(|w| w[0].value == "-mod" && w[1].value == "vendor")
        || args.iter().any(|a| a.value == "-mod=vendor");
    let env = cmd.assignments.iter().chain(&cmd.words).any(|a| {
        a.value
            .strip_prefix("GOFLAGS=")
            .is_some_and(is_vendor_goflags)
    });
    flag || env
}

/// A `GOFLAGS` value that selects vendored modules.
#[must_use]
pub fn is_vendor_goflags(value: &str) -> bool {
    value.split_whitespace().any(|f| f == "-mod=vendor")
}

// ---------------------------------------------------------------------------------------------
// System packages
// ---------------------------------------------------------------------------------------------

/// A system package manager command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkgAction {
    Install,
    Remove,
    Update,
}

/// The package manager family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkgManager {
    Apt,
    Apk,
    Dnf,
}

/// A system package command: what it does and the package words (options removed).
#[derive(Debug, Clone)]
pub struct PkgCommand<'c> {
    pub manager: PkgManager,
    pub action: PkgAction,
    /// The subcommand word (`install`, `add`, `purge`...).
    pub verb: &'c ShellWord,
    pub packages: Vec<&'c ShellWord>,
    /// apk `--virtual NAME` / `-t NAME`.
    pub virtual_name: Option<&'c str>,
    /// `apt-get purge --auto-remove`, `apt-get autoremove`.
    pub auto_remove: bool,
    /// `dnf groupinstall "Development Tools"`, `dnf group install ...`: the packages are groups.
    pub group: bool,
    /// `apt-get build-dep`, `dnf builddep`: installs the packages' build dependencies.
    pub build_dep: bool,
    pub args: &'c [ShellWord],
}

/// apt options that take a value.
const APT_VALUE_OPTS: &[&str] = &[
    "-o",
    "-c",
    "-t",
    "--target-release",
    "--default-release",
    "--option",
    "--config-file",
];
const APK_VALUE_OPTS: &[&str] = &[
    "--virtual",
    "-t",
    "--repository",
    "-X",
    "--root",
    "-p",
    "--repositories-file",
    "--cache-dir",
    "--arch",
    "--keys-dir",
];
const DNF_VALUE_OPTS: &[&str] = &[
    "--setopt",
    "--enablerepo",
    "--disablerepo",
    "--releasever",
    "--installroot",
    "-x",
    "--exclude",
    "--repo",
    "--repoid",
    "--nodocs-x",
    "-c",
    "--config",
    "--forcearch",
    "--downloaddir",
    "--destdir",
    "-d",
    "--debuglevel",
    "-e",
    "--errorlevel",
];

impl PkgCommand<'_> {
    /// From the command's first word to the subcommand (`apt-get -y install`,
    /// `sudo apt-get install`), relative to the instruction like every command span.
    #[must_use]
    pub fn head_span(&self, cmd: &Command) -> Span {
        let start = cmd.words.first().map_or(cmd.span.start, |w| w.span.start);
        Span::new(start, self.verb.span.end.max(start))
    }
}

/// Classify a system package manager command.
#[must_use]
pub fn pkg_command(cmd: &Command) -> Option<PkgCommand<'_>> {
    let prog = program(cmd)?;
    let args = args(cmd);
    let manager = match prog {
        "apt-get" | "apt" | "aptitude" => PkgManager::Apt,
        "apk" => PkgManager::Apk,
        "dnf" | "dnf5" | "yum" | "microdnf" | "tdnf" | "zypper" => PkgManager::Dnf,
        _ => return None,
    };
    let value_opts = match manager {
        PkgManager::Apt => APT_VALUE_OPTS,
        PkgManager::Apk => APK_VALUE_OPTS,
        PkgManager::Dnf => DNF_VALUE_OPTS,
    };
    let mut words = Vec::new();
    let mut virtual_name = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].value.as_str();
        if a.starts_with('-') && a.len() > 1 {
            if manager == PkgManager::Apk {
                if let Some(v) = a.strip_prefix("--virtual=") {
                    virtual_name = Some(v);
                }
            }
            if value_opts.contains(&a) {
                if manager == PkgManager::Apk && matches!(a, "--virtual" | "-t") {
                    virtual_name = args.get(i + 1).map(|w| w.value.as_str());
                }
                i += 1;
            }
        } else {
            words.push(&args[i]);
        }
        i += 1;
    }
    let (sub, mut packages) = words.split_first()?;
    let mut group = false;
    let build_dep = matches!(
        (manager, sub.value.as_str()),
        (PkgManager::Apt, "build-dep") | (PkgManager::Dnf, "builddep" | "build-dep")
    );
    let action = match (manager, sub.value.as_str()) {
        _ if build_dep => PkgAction::Install,
        (PkgManager::Apt, "install" | "reinstall")
        | (PkgManager::Apk, "add")
        | (PkgManager::Dnf, "install" | "in" | "reinstall") => PkgAction::Install,
        (PkgManager::Dnf, "groupinstall") => {
            group = true;
            PkgAction::Install
        }
        (PkgManager::Dnf, "group" | "groups")
            if packages.first().is_some_and(|w| w.value == "install") =>
        {
            group = true;
            packages = &packages[1..];
            PkgAction::Install
        }
        (PkgManager::Dnf, "group" | "groups")
            if packages
                .first()
                .is_some_and(|w| matches!(w.value.as_str(), "remove" | "erase")) =>
        {
            group = true;
            packages = &packages[1..];
            PkgAction::Remove
        }
        (PkgManager::Dnf, "groupremove" | "grouperase") => {
            group = true;
            PkgAction::Remove
        }
        (PkgManager::Apt, "remove" | "purge" | "autoremove")
        | (PkgManager::Apk, "del")
        | (PkgManager::Dnf, "remove" | "erase" | "autoremove" | "rm" | "uninstall") => {
            PkgAction::Remove
        }
        (PkgManager::Apt | PkgManager::Apk, "update")
        | (PkgManager::Dnf, "makecache" | "refresh" | "ref") => PkgAction::Update,
        _ => return None,
    };
    let auto_remove =
        sub.value == "autoremove" || has(args, "--auto-remove") || has(args, "--autoremove");
    Some(PkgCommand {
        manager,
        action,
        verb: sub,
        packages: packages.to_vec(),
        virtual_name,
        auto_remove,
        group,
        build_dep,
        args,
    })
}

/// A package name without a version pin or architecture (`gcc=4:12`, `gcc~1`, `build-base>1`,
/// `libpq-dev:amd64`).
#[must_use]
pub fn package_name(word: &str) -> &str {
    let end = word.find(['=', '>', '<', '~']).unwrap_or(word.len());
    let name = &word[..end];
    match name.rsplit_once(':') {
        Some((base, arch))
            if !base.is_empty() && arch.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            base
        }
        _ => name,
    }
}

/// `apt-mark auto ...`: marks packages as automatically installed, so that a later
/// `apt-get purge --auto-remove` removes them (the official images' build-dependency idiom).
#[must_use]
pub fn is_apt_mark_auto(cmd: &Command) -> bool {
    program(cmd) == Some("apt-mark") && args(cmd).first().is_some_and(|w| w.value == "auto")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(text: &str) -> Option<(Ecosystem, Vec<String>)> {
        let script = lex(text);
        install_step(&script.commands[0]).map(|s| (s.ecosystem, s.files))
    }

    type Case<'a> = (&'a str, Option<(Ecosystem, &'a [&'a str])>);

    #[test]
    fn install_steps() {
        use Ecosystem::*;
        let cases: &[Case] = &[
            (
                "pip install -r requirements.txt",
                Some((Pip, &["requirements.txt"])),
            ),
            (
                "python3 -m pip install --no-cache-dir -rreq.txt",
                Some((Pip, &["req.txt"])),
            ),
            (
                "/venv/bin/python -m pip install -r r.txt",
                Some((Pip, &["r.txt"])),
            ),
            (
                "pip --cache-dir /c install -r r.txt",
                Some((Pip, &["r.txt"])),
            ),
            ("pip install .", None),
            ("pip install poetry==1.7", None),
            ("pip download -r r.txt", Some((Pip, &["r.txt"]))),
            ("pip download flask", None),
            ("poetry install --no-root", Some((Poetry, &[]))),
            ("poetry -C app install", Some((Poetry, &[]))),
            ("uv sync --frozen --no-install-project", Some((Uv, &[]))),
            ("uv sync --frozen", Some((Uv, &[]))),
            (
                "uv pip install --system -r requirements.txt",
                Some((UvPip, &["requirements.txt"])),
            ),
            ("uv pip install --system .", None),
            ("npm ci", Some((Npm, &[]))),
            ("npm --prefix /app ci", Some((Npm, &[]))),
            ("npm install -g nodemon", None),
            ("npm run build", None),
            ("yarn", Some((Yarn, &[]))),
            (
                "yarn --frozen-lockfile --network-timeout 100000",
                Some((Yarn, &[])),
            ),
            ("yarn --cwd web install", Some((Yarn, &[]))),
            ("yarn build", None),
            ("yarn global add serve", None),
            ("pnpm fetch --prod", Some((Pnpm, &[]))),
            ("go build -o /app .", Some((Go, &[]))),
            ("go build -mod=vendor .", None),
            ("go build -mod vendor .", None),
            ("GOFLAGS=-mod=vendor go build .", None),
            ("go install github.com/x/y@latest", None),
            ("go test ./...", None),
            ("cargo install cargo-chef", None),
            ("cargo +nightly build --release", Some((Cargo, &[]))),
            ("cargo chef cook --release", Some((Cargo, &[]))),
            ("cargo chef prepare", None),
            ("mvn -B dependency:go-offline", Some((Maven, &[]))),
            ("./mvnw -B package", Some((Maven, &[]))),
            ("sh ./mvnw -B package", Some((Maven, &[]))),
            ("mvn -f /src/pom.xml clean install", Some((Maven, &[]))),
            ("mvn clean", None),
            ("gradle dependencies --no-daemon", Some((Gradle, &[]))),
            ("./gradlew clean", None),
            ("bundle install --jobs 4", Some((Bundler, &[]))),
            ("bundle config set without development", None),
            ("php composer.phar install --no-dev", Some((Composer, &[]))),
            ("composer dump-autoload", None),
            ("dotnet publish -c Release --no-restore", None),
            ("dotnet restore App.sln", Some((Dotnet, &["App.sln"]))),
            (
                "pip wheel --wheel-dir /wheels -r requirements.txt",
                Some((Pip, &["requirements.txt"])),
            ),
            (
                "pip download -d /pkgs -r requirements.txt",
                Some((Pip, &["requirements.txt"])),
            ),
            ("pip wheel --no-deps -w /wheels .", None),
            (
                "dotnet publish app.csproj -c Release --self-contained true -r linux-x64 -o out",
                Some((Dotnet, &["app.csproj"])),
            ),
            (
                "dotnet publish --sc false --runtime linux-x64 --framework net8.0 -p:Version=1 -o out app.csproj",
                Some((Dotnet, &["app.csproj"])),
            ),
            ("dotnet publish --self-contained -c Release", Some((Dotnet, &[]))),
            ("dotnet publish -c Release -o /out", Some((Dotnet, &[]))),
            (
                "dotnet publish \"./Api.csproj\" -c Release -o /app /p:UseAppHost=false",
                Some((Dotnet, &["./Api.csproj"])),
            ),
            ("mix deps.get --only prod", Some((Mix, &[]))),
            (
                "conda env create -f environment.yml",
                Some((Conda, &["environment.yml"])),
            ),
            (
                "conda env create -n app",
                Some((Conda, &["environment.yml"])),
            ),
            ("conda install -c conda-forge numpy", None),
            ("sudo -u app npm ci", Some((Npm, &[]))),
            ("timeout 600 npm ci", Some((Npm, &[]))),
            ("gosu app bundle install", Some((Bundler, &[]))),
            (
                "npx --yes pnpm@9 install --frozen-lockfile",
                Some((Pnpm, &[])),
            ),
            ("corepack pnpm install", Some((Pnpm, &[]))),
            ("npx prisma generate", None),
        ];
        for (text, expected) in cases {
            let expected =
                expected.map(|(e, f)| (e, f.iter().map(|s| (*s).to_string()).collect::<Vec<_>>()));
            assert_eq!(step(text), expected, "{text}");
        }
    }

    #[test]
    fn nested_shells() {
        let script = lex("bash -lc 'cd /app && npm ci' && su app -c \"pip install -r r.txt\"");
        let mut found = Vec::new();
        for cmd in &script.commands {
            if let Some(s) = nested_script(cmd) {
                for c in lex(&s.value).commands {
                    found.extend(install_step(&c).map(|s| s.ecosystem));
                }
            }
        }
        assert_eq!(found, [Ecosystem::Npm, Ecosystem::Pip]);
        assert!(nested_script(&lex("sh ./gradlew build").commands[0]).is_none());
    }

    #[test]
    fn package_commands() {
        let script = lex("apk add --no-cache --virtual .build-deps gcc musl-dev");
        let p = pkg_command(&script.commands[0]).unwrap();
        assert_eq!(p.action, PkgAction::Install);
        assert_eq!(p.virtual_name, Some(".build-deps"));
        assert_eq!(
            p.packages
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>(),
            ["gcc", "musl-dev"]
        );
        let script = lex("apk add --virtual=.deps gcc");
        let p = pkg_command(&script.commands[0]).unwrap();
        assert_eq!(p.virtual_name, Some(".deps"));
        let script = lex("apt-get -y -o Dpkg::Options::=--force-confold install gcc=4:12");
        let p = pkg_command(&script.commands[0]).unwrap();
        assert_eq!(package_name(&p.packages[0].value), "gcc");
        assert_eq!(package_name("libpq-dev:amd64"), "libpq-dev");
        let script = lex("yum -y groupinstall 'Development Tools'");
        let p = pkg_command(&script.commands[0]).unwrap();
        assert!(p.group && p.action == PkgAction::Install);
        let script = lex("sudo -u root apt-get install -y make");
        assert_eq!(
            pkg_command(&script.commands[0]).map(|p| p.action),
            Some(PkgAction::Install)
        );
    }
}
