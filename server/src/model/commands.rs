//! What shell commands do, as far as image size and build cache are concerned: dependency
//! installs from manifests (per ecosystem), system package installs and removals, index
//! updates. Pure functions of one [`Command`]; rules combine them.

use crate::syntax::shell::{Command, ShellWord};

/// A package ecosystem whose dependency install only needs manifest files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ecosystem {
    Pip,
    Poetry,
    Pipenv,
    Uv,
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
            Self::Pip => &[],
            Self::Poetry => &[&["pyproject.toml"], &["poetry.lock"]],
            Self::Pipenv => &[&["Pipfile"], &["Pipfile.lock"]],
            Self::Uv => &[&["pyproject.toml"], &["uv.lock"]],
            Self::Pdm => &[&["pyproject.toml"], &["pdm.lock"]],
            Self::Conda => &[],
            Self::Npm => &[&["package.json"], &["package-lock.json", "npm-shrinkwrap.json"]],
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
            Self::Dotnet => &[],
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
            Self::Uv => "uv",
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

fn has(args: &[ShellWord], flag: &str) -> bool {
    args.iter().any(|a| a.value == flag || a.value.starts_with(&format!("{flag}=")))
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
        } else if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            out.push(v.to_string());
        } else if !short.is_empty() && a.starts_with(short) && !a.starts_with("--") && a.len() > short.len() {
            out.push(a[short.len()..].to_string());
        }
        i += 1;
    }
    out
}

/// Positional (non-option) arguments.
fn positionals(args: &[ShellWord]) -> impl Iterator<Item = &str> {
    args.iter().map(|a| a.value.as_str()).filter(|a| !a.starts_with('-'))
}

/// `pip`, `pip3`, `pip3.11`, or `python[3[.x]] -m pip`: the arguments after `pip`.
#[must_use]
pub fn pip_args(cmd: &Command) -> Option<&[ShellWord]> {
    let prog = cmd.program()?;
    let args = cmd.args();
    if is_versioned(prog, "pip") {
        return Some(args);
    }
    if is_versioned(prog, "python") {
        let m = args.iter().position(|a| a.value == "-m")?;
        if args.get(m + 1)?.value == "pip" {
            return Some(&args[m + 2..]);
        }
    }
    None
}

/// `name`, `name3`, `name3.11`.
fn is_versioned(prog: &str, name: &str) -> bool {
    prog.strip_prefix(name).is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

/// The subcommand: the first positional argument.
fn sub(args: &[ShellWord]) -> Option<&str> {
    positionals(args).next()
}

/// Classify a command as a dependency install step.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn install_step(cmd: &Command) -> Option<InstallStep> {
    let step = |ecosystem, files: Vec<String>| Some(InstallStep { ecosystem, files });
    if let Some(args) = pip_args(cmd) {
        if sub(args)? != "install" {
            return None;
        }
        let mut files = option_values(args, "-r", "--requirement");
        if files.is_empty() {
            return None;
        }
        files.extend(option_values(args, "-c", "--constraint"));
        return step(Ecosystem::Pip, files);
    }
    let prog = cmd.program()?;
    let args = cmd.args();
    let first = sub(args);
    match prog {
        "poetry" if first == Some("install") => {
            step(Ecosystem::Poetry, vec![])
        }
        "pipenv" if matches!(first, Some("install" | "sync")) => {
            // `pipenv install <pkg>` adds a package: still resolves the Pipfile
            step(Ecosystem::Pipenv, vec![])
        }
        "uv" => match first {
            Some("sync") => step(Ecosystem::Uv, vec![]),
            Some("pip") => {
                let rest = &args[1..];
                match sub(rest) {
                    Some("install") => {
                        let files = option_values(rest, "-r", "--requirement");
                        (!files.is_empty()).then_some(InstallStep { ecosystem: Ecosystem::Uv, files })
                    }
                    Some("sync") => {
                        let files: Vec<String> = positionals(rest).skip(1).map(str::to_string).collect();
                        (!files.is_empty()).then_some(InstallStep { ecosystem: Ecosystem::Uv, files })
                    }
                    _ => None,
                }
            }
            _ => None,
        },
        "pdm" if matches!(first, Some("install" | "sync")) => step(Ecosystem::Pdm, vec![]),
        "conda" | "mamba" | "micromamba" => {
            let files = option_values(args, "-f", "--file");
            let env_cmd = first == Some("env") && matches!(positionals(args).nth(1), Some("create" | "update"));
            if files.is_empty() {
                return None;
            }
            (first == Some("install") || first == Some("create") || first == Some("update") || env_cmd)
                .then_some(InstallStep { ecosystem: Ecosystem::Conda, files })
        }
        "npm" => match first {
            Some("ci") => step(Ecosystem::Npm, vec![]),
            Some("install" | "i" | "add" | "isntall") if !has(args, "-g") && !has(args, "--global") => {
                step(Ecosystem::Npm, vec![])
            }
            _ => None,
        },
        "yarn" => match first {
            None | Some("install") if !has(args, "global") => step(Ecosystem::Yarn, vec![]),
            _ => None,
        },
        "pnpm" => match first {
            Some("install" | "i") if !has(args, "-g") && !has(args, "--global") => {
                step(Ecosystem::Pnpm, vec![])
            }
            _ => None,
        },
        "bun" => match first {
            Some("install" | "i") if !has(args, "-g") && !has(args, "--global") => step(Ecosystem::Bun, vec![]),
            _ => None,
        },
        "go" => {
            let vendored = args.iter().any(|a| a.value == "-mod=vendor")
                || cmd.assignments.iter().any(|a| a.value.starts_with("GOFLAGS=") && a.value.contains("-mod=vendor"));
            match first {
                Some("mod") if positionals(args).nth(1) == Some("download") => step(Ecosystem::Go, vec![]),
                Some("build" | "install" | "test" | "vet") if !vendored => {
                    // `go install pkg@version` installs a tool by name
                    if first == Some("install") && positionals(args).skip(1).any(|a| a.contains('@')) {
                        return None;
                    }
                    if first == Some("test") || first == Some("vet") {
                        return None;
                    }
                    step(Ecosystem::Go, vec![])
                }
                _ => None,
            }
        }
        "cargo" => match first {
            Some("fetch") => step(Ecosystem::Cargo, vec![]),
            Some("build" | "b") => step(Ecosystem::Cargo, vec![]),
            Some("install") if has(args, "--path") => step(Ecosystem::Cargo, vec![]),
            Some("chef") if positionals(args).nth(1) == Some("cook") => step(Ecosystem::Cargo, vec![]),
            _ => None,
        },
        "mvn" | "mvnw" => {
            let goals = [
                "dependency:go-offline",
                "dependency:resolve",
                "dependency:resolve-plugins",
                "de.qaware.maven:go-offline-maven-plugin:resolve-dependencies",
            ];
            let builds = ["package", "verify", "install", "compile", "test", "deploy"];
            let p: Vec<&str> = positionals(args).collect();
            if p.iter().any(|g| goals.contains(g)) {
                step(Ecosystem::Maven, vec![])
            } else if p.iter().any(|g| builds.contains(g)) {
                step(Ecosystem::Maven, vec![])
            } else {
                None
            }
        }
        "gradle" | "gradlew" => {
            let p: Vec<&str> = positionals(args).filter(|t| !t.contains('=')).collect();
            if p.is_empty() || p.iter().all(|t| matches!(*t, "help" | "tasks" | "wrapper" | "--version")) {
                return None;
            }
            step(Ecosystem::Gradle, vec![])
        }
        "bundle" | "bundler" => match first {
            None | Some("install") => step(Ecosystem::Bundler, vec![]),
            _ => None,
        },
        "composer" | "composer.phar" => match first {
            Some("install" | "update") => step(Ecosystem::Composer, vec![]),
            _ => None,
        },
        "dotnet" => match first {
            Some("restore") => {
                let files = positionals(args).skip(1).map(str::to_string).collect();
                step(Ecosystem::Dotnet, files)
            }
            Some("build" | "publish") if !has(args, "--no-restore") => {
                let files = positionals(args).skip(1).map(str::to_string).collect();
                step(Ecosystem::Dotnet, files)
            }
            _ => None,
        },
        "mix" if first == Some("deps.get") => step(Ecosystem::Mix, vec![]),
        "conan" if first == Some("install") => step(Ecosystem::Conan, vec![]),
        _ => None,
    }
}

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
    pub packages: Vec<&'c ShellWord>,
    /// apk `--virtual NAME` / `-t NAME`.
    pub virtual_name: Option<&'c str>,
    /// `apt-get purge --auto-remove`, `apt-get autoremove`.
    pub auto_remove: bool,
    pub args: &'c [ShellWord],
}

/// apt options that take a value.
const APT_VALUE_OPTS: &[&str] = &["-o", "-c", "-t", "--target-release", "--option", "--config-file"];

/// Classify a system package manager command.
#[must_use]
pub fn pkg_command(cmd: &Command) -> Option<PkgCommand<'_>> {
    let prog = cmd.program()?;
    let args = cmd.args();
    let manager = match prog {
        "apt-get" | "apt" | "aptitude" => PkgManager::Apt,
        "apk" => PkgManager::Apk,
        "dnf" | "yum" | "microdnf" | "tdnf" | "zypper" => PkgManager::Dnf,
        _ => return None,
    };
    let mut words = Vec::new();
    let mut virtual_name = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].value.as_str();
        if a.starts_with('-') {
            let takes_value = match manager {
                PkgManager::Apt => APT_VALUE_OPTS.contains(&a),
                PkgManager::Apk => matches!(a, "--virtual" | "-t" | "--repository" | "-X" | "--root" | "-p"),
                PkgManager::Dnf => matches!(a, "--setopt" | "--enablerepo" | "--disablerepo" | "--releasever" | "--installroot"),
            };
            if takes_value {
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
    let (sub, packages) = words.split_first()?;
    let action = match (manager, sub.value.as_str()) {
        (PkgManager::Apt, "install") | (PkgManager::Apk, "add") | (PkgManager::Dnf, "install" | "in") => {
            PkgAction::Install
        }
        (PkgManager::Apt, "remove" | "purge" | "autoremove")
        | (PkgManager::Apk, "del")
        | (PkgManager::Dnf, "remove" | "erase" | "autoremove" | "rm") => PkgAction::Remove,
        (PkgManager::Apt | PkgManager::Apk, "update") | (PkgManager::Dnf, "makecache") => PkgAction::Update,
        _ => return None,
    };
    let auto_remove = sub.value == "autoremove" || has(args, "--auto-remove") || has(args, "--autoremove");
    Some(PkgCommand { manager, action, packages: packages.to_vec(), virtual_name, auto_remove, args })
}

/// A package name without a version pin (`gcc=4:12`, `gcc~1`, `build-base>1`).
#[must_use]
pub fn package_name(word: &str) -> &str {
    let end = word.find(['=', '>', '<', '~']).unwrap_or(word.len());
    &word[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::shell::lex;

    fn step(text: &str) -> Option<(Ecosystem, Vec<String>)> {
        let script = lex(text);
        install_step(&script.commands[0]).map(|s| (s.ecosystem, s.files))
    }

    #[test]
    fn install_steps() {
        use Ecosystem::*;
        let cases: &[(&str, Option<(Ecosystem, &[&str])>)] = &[
            ("pip install -r requirements.txt", Some((Pip, &["requirements.txt"]))),
            ("python3 -m pip install --no-cache-dir -rreq.txt", Some((Pip, &["req.txt"]))),
            ("pip install .", None),
            ("pip install poetry==1.7", None),
            ("poetry install --no-root", Some((Poetry, &[]))),
            ("uv sync --frozen --no-install-project", Some((Uv, &[]))),
            ("uv sync --frozen", Some((Uv, &[]))),
            ("npm ci", Some((Npm, &[]))),
            ("npm install -g nodemon", None),
            ("yarn", Some((Yarn, &[]))),
            ("yarn build", None),
            ("go build -o /app .", Some((Go, &[]))),
            ("go build -mod=vendor .", None),
            ("go install github.com/x/y@latest", None),
            ("cargo install cargo-chef", None),
            ("cargo chef cook --release", Some((Cargo, &[]))),
            ("cargo chef prepare", None),
            ("mvn -B dependency:go-offline", Some((Maven, &[]))),
            ("./mvnw -B package", Some((Maven, &[]))),
            ("gradle dependencies --no-daemon", Some((Gradle, &[]))),
            ("dotnet publish -c Release --no-restore", None),
            ("dotnet restore App.sln", Some((Dotnet, &["App.sln"]))),
            ("mix deps.get --only prod", Some((Mix, &[]))),
            ("composer dump-autoload", None),
            ("conda env create -f environment.yml", Some((Conda, &["environment.yml"]))),
        ];
        for (text, expected) in cases {
            let expected = expected.map(|(e, f)| (e, f.iter().map(|s| (*s).to_string()).collect::<Vec<_>>()));
            assert_eq!(step(text), expected, "{text}");
        }
    }

    #[test]
    fn package_commands() {
        let script = lex("apk add --no-cache --virtual .build-deps gcc musl-dev");
        let p = pkg_command(&script.commands[0]).unwrap();
        assert_eq!(p.action, PkgAction::Install);
        assert_eq!(p.virtual_name, Some(".build-deps"));
        assert_eq!(p.packages.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(), ["gcc", "musl-dev"]);
        let script = lex("apt-get -y -o Dpkg::Options::=--force-confold install gcc=4:12");
        let p = pkg_command(&script.commands[0]).unwrap();
        assert_eq!(package_name(&p.packages[0].value), "gcc");
    }
}
