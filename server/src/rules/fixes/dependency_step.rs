//! Dependency-only steps, for the manifests-first fix (`manifests_first.rs`): when an
//! ecosystem's install is also its build, what to run on the manifests alone, before the source
//! is copied, so that the dependencies download in a layer a source edit does not invalidate.
//!
//! | the build                                      | the step before the source                  |
//! |------------------------------------------------|---------------------------------------------|
//! | `go build`, `go install`, `go test`, `go vet`  | `go mod download`                           |
//! | `cargo build`, `cargo install --path .`        | `cargo fetch`, beside a stub `src/main.rs` that the same RUN removes |
//! | `mvn package` (`verify`, `install`...)         | `mvn dependency:go-offline`, with the build's options |
//! | `dotnet publish`, `dotnet build`               | `dotnet restore`, with the project, runtime, sources and properties |
//! | `poetry install`                               | the same command with `--no-root`           |
//! | `uv sync`                                      | the same command with `--no-install-project`|
//! | `composer install`                             | the same command with `--no-scripts --no-autoloader` |
//!
//! The manifests and the installer's settings files are copied by `manifests_first.rs`; a step
//! adds the files only it reads (a stub, a readme, the Maven wrapper). A step downloads what the build downloads anyway, to the same places, with the same
//! environment (the build command's own `NAME=value` assignments are repeated, its cache,
//! secret and ssh mounts and its network mode too), and leaves nothing in the project's folder
//! that the source copy does not overwrite. The build then runs as before, on the whole source.
//! A step is not planned when that cannot be shown, and the reason says why: vendored or
//! offline builds (they download nothing), workspaces and local path dependencies (the step
//! would need their manifests too), a missing `Cargo.lock` (the fetch would pick the versions),
//! a `pom.xml` with modules or a parent read from disk.

use crate::model::commands::{options, Ecosystem, MAVEN_VALUE_OPTS};
use crate::rules::Analysis;
use crate::syntax::shell::{basename, Command};
use crate::syntax::Located;

use super::manifests_first::{join_rel, line};

/// The ecosystems with a dependency-only step.
pub const SUPPORTED: &[Ecosystem] = &[
    Ecosystem::Go,
    Ecosystem::Cargo,
    Ecosystem::Maven,
    Ecosystem::Poetry,
    Ecosystem::Uv,
    Ecosystem::Composer,
    Ecosystem::Dotnet,
];

/// What to run before the source copy, and what it reads besides the ecosystem's manifests.
#[derive(Debug)]
pub struct DependencyStep {
    /// The new RUN's flags, each followed by a space.
    pub flags: String,
    /// The new RUN's shell script.
    pub script: String,
    /// Files and folders the step reads besides the manifests, relative to the install's
    /// folder in the context, and whether each is a folder.
    pub extra: Vec<(String, bool)>,
    /// Manifests the step cannot do without, relative to the install's folder.
    pub required: Vec<&'static str>,
}

/// The step for the build `cmd` of RUN `run` (instruction `at`), which runs in the context's
/// folder `rel_dir` (`""` for the context root).
///
/// # Errors
/// Why no dependency-only step can be shown to download what the build would.
pub fn plan(
    cx: &Analysis<'_>,
    at: usize,
    cmd: &Command,
    ecosystem: Ecosystem,
    rel_dir: &str,
) -> Result<DependencyStep, String> {
    let run = cx.instr(at);
    let raw = |w: &crate::syntax::shell::ShellWord| run.abs(w.span).of(cx.text).to_string();
    // the build is written as one plain command: its words can be repeated as they are
    let Some(first) = cmd.words.first() else {
        return Err("the build command has no words".into());
    };
    if Some(basename(&first.value)) != cmd.program()
        || cmd
            .words
            .iter()
            .chain(&cmd.assignments)
            .any(|w| raw(w).contains(['\n', '\r']) || raw(w).contains("$("))
    {
        return Err(format!(
            "the build command on line {} cannot be repeated as it is written",
            line(cx, at)
        ));
    }
    let mut prefix: String = cmd
        .assignments
        .iter()
        .map(|a| format!("{} ", raw(a)))
        .collect();
    prefix.push_str(&raw(first));
    let words: Vec<String> = cmd.words[1..].iter().map(raw).collect();
    let has = |flag: &str| cmd.args().iter().any(|a| a.value == flag);
    let here = |rel: &str| sent(cx, &join_rel(rel_dir, rel));
    let mut step = DependencyStep {
        flags: String::new(),
        script: String::new(),
        extra: Vec::new(),
        required: Vec::new(),
    };
    let script = match ecosystem {
        Ecosystem::Go => {
            let args = cmd.args();
            let vendored = args.iter().enumerate().any(|(n, a)| {
                a.value == "-mod=vendor"
                    || (a.value == "-mod" && args.get(n + 1).is_some_and(|v| v.value == "vendor"))
            }) || cmd
                .assignments
                .iter()
                .any(|a| a.value.starts_with("GOFLAGS=") && a.value.contains("-mod=vendor"))
                || cx
                    .model
                    .var_at(cx.tree, at, "GOFLAGS")
                    .is_some_and(|v| v.contains("-mod=vendor"));
            if vendored || here("vendor/modules.txt") {
                return Err("the build uses the vendored modules, so it downloads nothing".into());
            }
            let mut dir = rel_dir.to_string();
            loop {
                if sent(cx, &join_rel(&dir, "go.work")) {
                    return Err(format!(
                        "`{}` makes this a Go workspace, whose modules `go mod download` would need too",
                        join_rel(&dir, "go.work")
                    ));
                }
                match dir.rsplit_once('/') {
                    Some((up, _)) => dir = up.to_string(),
                    None if !dir.is_empty() => dir.clear(),
                    None => break,
                }
            }
            let gomod = cx.context.read(&join_rel(rel_dir, "go.mod")).unwrap_or_default();
            let requires = gomod
                .lines()
                .any(|l| l.trim_start().starts_with("require"));
            if requires && !here("go.sum") {
                return Err(format!(
                    "`{}` is not in the build context: the build fails on the missing checksums, and `go mod download` could record them",
                    join_rel(rel_dir, "go.sum")
                ));
            }
            format!("{prefix} mod download")
        }
        Ecosystem::Cargo => {
            if has("--offline") || has("--frozen") {
                return Err("the build is offline (`--offline`, `--frozen`), so it downloads nothing".into());
            }
            let manifest = join_rel(rel_dir, "Cargo.toml");
            let table: toml::Table = cx
                .context
                .read(&manifest)
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| format!("`{manifest}` cannot be read to see what it needs"))?;
            if table.contains_key("workspace")
                || table
                    .get("package")
                    .and_then(|p| p.get("workspace"))
                    .is_some()
            {
                return Err(format!(
                    "`{manifest}` belongs to a workspace, whose members' manifests `cargo fetch` needs too"
                ));
            }
            if let Some(name) = path_dependency(&table) {
                return Err(format!(
                    "`{name}` is a path dependency, whose manifest `cargo fetch` needs too"
                ));
            }
            step.required.push("Cargo.lock");
            if stub_clash(cx, at) {
                return Err(format!(
                    "an earlier instruction writes into `{}/src`, where the fetch's stub `src` would go",
                    super::manifests_first::workdir(cx, at).trim_end_matches('/')
                ));
            }
            let toolchain: String = cmd
                .args()
                .first()
                .filter(|a| a.value.starts_with('+'))
                .map(|a| format!(" {}", raw(a)))
                .unwrap_or_default();
            let locked = if has("--locked") { " --locked" } else { "" };
            format!(
                "mkdir src && echo 'fn main() {{}}' > src/main.rs && {prefix}{toolchain} fetch{locked} && rm -r src"
            )
        }
        Ecosystem::Maven => {
            if has("-o") || has("--offline") {
                return Err("the build is offline (`-o`), so it downloads nothing".into());
            }
            for reactor in ["-pl", "--projects", "-rf", "--resume-from", "-am", "-amd"] {
                if has(reactor) {
                    return Err(format!(
                        "`{reactor}` builds part of a multi-module project, whose poms `mvn dependency:go-offline` needs too"
                    ));
                }
            }
            let pom_path = join_rel(rel_dir, "pom.xml");
            let pom = cx
                .context
                .read(&pom_path)
                .ok_or_else(|| format!("`{pom_path}` cannot be read to see what it needs"))?;
            if pom.contains("<modules>") {
                return Err(format!(
                    "`{pom_path}` lists modules, whose poms `mvn dependency:go-offline` needs too"
                ));
            }
            if pom.contains("<relativePath>") || (!rel_dir.is_empty() && sent(cx, &join_rel(rel_dir.rsplit_once('/').map_or("", |(up, _)| up), "pom.xml"))) {
                return Err(format!(
                    "`{pom_path}` has a parent pom on disk, which `mvn dependency:go-offline` needs too"
                ));
            }
            let opts = options(cmd.args(), MAVEN_VALUE_OPTS);
            for (n, o) in opts.iter().enumerate() {
                if matches!(
                    o.value.as_str(),
                    "-s" | "--settings" | "-gs" | "--global-settings" | "-t" | "--toolchains"
                ) {
                    let Some(v) = opts.get(n + 1) else { continue };
                    if v.value.starts_with('/') {
                        continue;
                    }
                    if v.value.contains('$') || !here(&v.value) {
                        return Err(format!(
                            "the settings file `{}` is not in the build context",
                            v.value
                        ));
                    }
                    step.extra.push((v.value.trim_start_matches("./").to_string(), false));
                }
            }
            let program = first.value.as_str();
            if basename(program).starts_with("mvnw") && !program.starts_with('/') {
                let wrapper = program.trim_start_matches("./").to_string();
                if !here(&wrapper) {
                    return Err(format!("`{wrapper}` is not in the build context"));
                }
                step.extra.push((wrapper, false));
            }
            let opts: Vec<String> = opts.iter().map(|w| raw(w)).collect();
            if opts.is_empty() {
                format!("{prefix} dependency:go-offline")
            } else {
                format!("{prefix} {} dependency:go-offline", opts.join(" "))
            }
        }
        Ecosystem::Poetry => {
            if has("--only-root") {
                return Err("`--only-root` installs the project alone".into());
            }
            // poetry reads the readme a pyproject.toml names even when it installs no root
            if let Some(readme) = readme(cx, &join_rel(rel_dir, "pyproject.toml")) {
                if here(&readme) {
                    step.extra.push((readme, false));
                }
            }
            format!("{prefix} {} --no-root", words.join(" "))
        }
        Ecosystem::Uv => {
            if has("--package") || has("--all-packages") {
                return Err("the install names workspace packages, whose manifests `uv sync` needs too".into());
            }
            let manifest = join_rel(rel_dir, "pyproject.toml");
            let table: toml::Table = cx
                .context
                .read(&manifest)
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| format!("`{manifest}` cannot be read to see what it needs"))?;
            let uv = table.get("tool").and_then(|t| t.get("uv"));
            if uv.and_then(|u| u.get("workspace")).is_some() {
                return Err(format!(
                    "`{manifest}` declares a uv workspace, whose members' manifests `uv sync` needs too"
                ));
            }
            if let Some(sources) = uv
                .and_then(|u| u.get("sources"))
                .and_then(toml::Value::as_table)
            {
                if let Some((name, _)) = sources.iter().find(|(_, s)| {
                    s.get("path").is_some() || s.get("workspace").is_some()
                }) {
                    return Err(format!(
                        "`{name}` comes from a local folder, which `uv sync` reads too"
                    ));
                }
            }
            format!("{prefix} {} --no-install-project", words.join(" "))
        }
        Ecosystem::Composer => {
            let manifest = join_rel(rel_dir, "composer.json");
            let json: serde_json::Value = cx
                .context
                .read(&manifest)
                .and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| format!("`{manifest}` cannot be read to see what it needs"))?;
            let local = json
                .get("repositories")
                .and_then(|r| {
                    r.as_array()
                        .cloned()
                        .or_else(|| r.as_object().map(|o| o.values().cloned().collect()))
                })
                .unwrap_or_default()
                .iter()
                .any(|r| r.get("type").and_then(|t| t.as_str()) == Some("path"));
            if local {
                return Err(format!(
                    "`{manifest}` installs packages from local folders, which the install reads too"
                ));
            }
            let mut added = String::new();
            for flag in ["--no-scripts", "--no-autoloader"] {
                if !has(flag) {
                    added.push(' ');
                    added.push_str(flag);
                }
            }
            format!("{prefix} {}{added}", words.join(" "))
        }
        Ecosystem::Dotnet => {
            // `dotnet publish App.csproj -c Release -r linux-x64 -o /app` restores first with
            // what decides the packages: the project, the runtime and the package sources
            let args = cmd.args();
            let mut kept: Vec<String> = Vec::new();
            let mut n = 1; // after the sub-command
            while n < args.len() {
                let a = args[n].value.as_str();
                let with_value = matches!(
                    a,
                    "-r" | "--runtime"
                        | "-a"
                        | "--arch"
                        | "--os"
                        | "-s"
                        | "--source"
                        | "--configfile"
                        | "--packages"
                );
                let skip_value = matches!(
                    a,
                    "-c" | "--configuration"
                        | "-o"
                        | "--output"
                        | "-f"
                        | "--framework"
                        | "-v"
                        | "--verbosity"
                        | "--version-suffix"
                        | "--property"
                );
                if with_value {
                    kept.push(raw(&args[n]));
                    if let Some(v) = args.get(n + 1) {
                        kept.push(raw(v));
                    }
                    n += 2;
                    continue;
                }
                if skip_value {
                    n += 2;
                    continue;
                }
                let property = ["-p:", "/p:", "--property:", "-property:", "/property:"]
                    .iter()
                    .any(|p| a.to_ascii_lowercase().starts_with(p));
                let inline = ["--runtime=", "-r=", "--arch=", "--os=", "--source="]
                    .iter()
                    .any(|p| a.starts_with(p));
                if matches!(a, "--sc" | "--self-contained" | "--no-self-contained") {
                    // its value is optional; restore takes it as the property (the runtime
                    // packs a self-contained app needs are packages too)
                    let value = args
                        .get(n + 1)
                        .map(|v| v.value.as_str())
                        .filter(|v| matches!(*v, "true" | "false"));
                    let contained = a != "--no-self-contained" && value != Some("false");
                    kept.push(format!("-p:SelfContained={contained}"));
                    n += if value.is_some() { 2 } else { 1 };
                    continue;
                }
                let project = !a.starts_with('-')
                    && ([".csproj", ".fsproj", ".vbproj", ".sln", ".slnx", ".slnf"]
                        .iter()
                        .any(|e| a.ends_with(e))
                        || cx
                            .context
                            .entries(&join_rel(rel_dir, &a.replace('\\', "/")))
                            .is_some());
                if property
                    || inline
                    || project
                    || matches!(a, "--ucr" | "--use-current-runtime")
                {
                    // properties, the runtime, and the project argument
                    kept.push(raw(&args[n]));
                } else if !a.starts_with('-') && !a.starts_with('/') {
                    return Err(format!(
                        "`{a}` on line {} is an argument layerwise does not know for `dotnet restore`",
                        line(cx, at)
                    ));
                }
                n += 1;
            }
            if kept.is_empty() {
                format!("{prefix} restore")
            } else {
                format!("{prefix} restore {}", kept.join(" "))
            }
        }
        other => {
            return Err(format!(
                "there is no dependency-only step for `{}` that can be shown to download what the build does",
                other.name()
            ))
        }
    };
    step.flags = run_flags(cx, run)?;
    step.script = script;
    Ok(step)
}

/// The build RUN's flags the step must repeat (cache, secret and ssh mounts, the network
/// mode), each followed by a space.
pub fn run_flags(cx: &Analysis<'_>, run: &Located) -> Result<String, String> {
    let mut out = String::new();
    for f in &run.flags {
        let keep = match f.name.as_str() {
            "mount" => {
                let kind = f
                    .value
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("type="))
                    .unwrap_or("bind");
                if !matches!(kind, "cache" | "secret" | "ssh" | "tmpfs") {
                    return Err(format!(
                        "the build RUN mounts files (`--mount=type={kind}`), which the step before the source would not see"
                    ));
                }
                true
            }
            "network" | "security" => true,
            _ => false,
        };
        if keep {
            out.push_str(run.abs(f.span).of(cx.text));
            out.push(' ');
        }
    }
    Ok(out)
}

/// A dependency (or patch) with a `path`: its name.
fn path_dependency(table: &toml::Table) -> Option<String> {
    let in_deps = |t: &toml::Table| -> Option<String> {
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(deps) = t.get(key).and_then(toml::Value::as_table) {
                if let Some((name, _)) = deps.iter().find(|(_, d)| d.get("path").is_some()) {
                    return Some(name.clone());
                }
            }
        }
        None
    };
    in_deps(table)
        .or_else(|| {
            table
                .get("target")
                .and_then(toml::Value::as_table)?
                .values()
                .filter_map(toml::Value::as_table)
                .find_map(in_deps)
        })
        .or_else(|| {
            table
                .get("patch")
                .and_then(toml::Value::as_table)?
                .values()
                .filter_map(toml::Value::as_table)
                .find_map(|deps| {
                    deps.iter()
                        .find(|(_, d)| d.get("path").is_some())
                        .map(|(n, _)| n.clone())
                })
        })
}

/// The readme file a pyproject.toml names (`[project]` or `[tool.poetry]`), relative to its
/// folder.
fn readme(cx: &Analysis<'_>, manifest: &str) -> Option<String> {
    let table: toml::Table = cx.context.read(manifest)?.parse().ok()?;
    let named = |t: Option<&toml::Value>| -> Option<String> {
        let r = t?.get("readme")?;
        r.as_str().map(str::to_string).or_else(|| {
            r.get("file")
                .and_then(toml::Value::as_str)
                .map(str::to_string)
        })
    };
    named(table.get("project"))
        .or_else(|| named(table.get("tool").and_then(|t| t.get("poetry"))))
        .filter(|r| !r.starts_with('/') && !r.contains(".."))
}

/// Whether an instruction of the build RUN's stage before it writes into its WORKDIR (where
/// the stub `src` of `cargo fetch` goes).
fn stub_clash(cx: &Analysis<'_>, at: usize) -> bool {
    let wd = super::manifests_first::workdir(cx, at);
    let Some(stage) = cx.model.stage_of.get(at).copied().flatten() else {
        return true;
    };
    let start = cx.model.stages[stage].body.start;
    (start..at).any(|k| {
        let l = cx.instr(k);
        if !matches!(
            l.keyword,
            crate::syntax::instruction::Keyword::Copy | crate::syntax::instruction::Keyword::Add
        ) {
            return false;
        }
        let crate::syntax::instruction::Args::Copy { dest, .. } = &l.args else {
            return true;
        };
        let Some(d) = cx.model.expand_at(cx.tree, k, &dest.value) else {
            return true;
        };
        let d = crate::model::join_path(&super::manifests_first::workdir(cx, k), &d);
        // the broad copy itself moves after the step
        let src = format!("{}/src", wd.trim_end_matches('/'));
        d == src || d.starts_with(&format!("{src}/"))
    })
}

/// Whether the context sends `rel` to the builder (it exists and .dockerignore keeps it).
pub fn sent(cx: &Analysis<'_>, rel: &str) -> bool {
    cx.context.exists(rel) == Some(true)
        && !cx
            .context
            .dockerignore()
            .is_some_and(|d| d.is_excluded(rel))
}
