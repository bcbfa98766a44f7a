//! Whether a rewritten Dockerfile builds what the original builds: a small abstract interpreter
//! run over both files and the build context, whose observations must agree.
//!
//! For every stage it follows the instructions and keeps:
//! - the WORKDIR, USER, SHELL, ENV and ARG in effect, and inside a `RUN`, what earlier commands
//!   of the same shell changed (`cd`, `export`, `. venv/bin/activate`, `set`, `umask`...);
//! - which context files lie at which image paths after each `COPY`/`ADD` (with `.dockerignore`,
//!   `--from` another stage, `--parents`), and what install commands wrote (`node_modules`);
//! - whether apt's package lists are there.
//!
//! Each simple command of each `RUN` is an observation: the state it runs in, the files it reads
//! (the manifests and local paths of a dependency install, with the context file found at each),
//! whether its failure fails the build (`&&` chains, `;` lists, `set -e`, pipes), and, for
//! `apt-get install`, whether the package lists are there. The final image is the context files
//! at each path, what the installs wrote, and its configuration (CMD, ENTRYPOINT, USER, ENV,
//! WORKDIR, EXPOSE, HEALTHCHECK, ONBUILD...).
//!
//! A rewrite is equivalent when every command of the original still runs, in the same state,
//! reading the same files, failing the build when it did; the commands it adds are the ones it
//! means to add; and the final image has the same files and configuration, except what a new
//! runtime stage means to leave out (what only the build needs). The context is represented by
//! the paths the Dockerfile names (sources, manifests, local paths) and the heavy folders found
//! in it (`node_modules`, `.venv`...), so the check costs microseconds and needs no walk of the
//! disk.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::commands::{args, install_step, program, run_commands, Ecosystem};
use crate::model::context::BuildContext;
use crate::model::dockerignore::DockerIgnore;
use crate::model::Model;
use crate::rules::Analysis;
use crate::syntax::instruction::{Args, Form, Instruction, Keyword};
use crate::syntax::shell::{Command, Joiner};
use crate::syntax::SyntaxTree;

/// What a fix means to change, which the check lets through.
#[derive(Debug, Clone, Default)]
pub struct Allowance {
    /// Commands the fix adds (their words joined by spaces), e.g. `rm -rf /var/lib/apt/lists/*`.
    pub added_commands: Vec<String>,
    /// Options the fix adds to existing commands (`--prefix=/install`), ignored when commands
    /// are matched.
    pub added_options: Vec<String>,
    /// The fix adds a runtime stage after the original final stage (which becomes a builder):
    /// the final image may leave out what the build wrote, and the new stage may run commands
    /// of its own (installing runtime libraries) and set ENV the builder had.
    pub runtime_stage: bool,
    /// With `runtime_stage`: the runtime stage gets only the built artifacts, not the project's
    /// files (a Go binary, a jar), so context files may be left out of the final image.
    pub drops_sources: bool,
    /// The rewrite is several fixes at once, each of which means its own change (an option
    /// added, a cleanup command added, a CMD in exec form): commands are matched without their
    /// options, added commands and the image's configuration are not judged, and everything
    /// else (shell state, files read and shipped, exit status, apt lists) must hold. This is
    /// what catches fixes that are sound alone and break a build together.
    pub composed: bool,
}

impl Allowance {
    /// For several fixes applied together (see [`Allowance::composed`]).
    #[must_use]
    pub fn composed() -> Self {
        Self {
            composed: true,
            ..Self::default()
        }
    }
}

/// Where the file at an image path comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    /// A file of the build context.
    Context(String),
    /// A heredoc written by `COPY <<EOF`.
    Heredoc(String),
    /// A folder an install command wrote (`npm ci` -> `node_modules`).
    Installed(String),
    /// A file from an image that is not a stage of this file, or a URL.
    External(String),
    /// What a stage's commands made at a path (`COPY --from=build /out/app`): the stage and
    /// the path.
    Built(String),
}

/// One simple command of a RUN, as it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observation {
    /// Its words, the key that matches it across the two files.
    key: String,
    /// Working directory, user, shell and environment it runs in.
    state: String,
    /// The files it reads: image path -> the origins found there.
    reads: BTreeMap<String, BTreeSet<Origin>>,
    /// Its failure fails the build.
    critical: bool,
    /// For `apt-get install`: whether the package lists are there.
    apt_lists: Option<bool>,
    /// Index of the stage it runs in.
    stage: usize,
    /// The targets of its RUN's cache mounts.
    cache_mounts: Vec<String>,
}

/// What the interpreter saw of one file.
#[derive(Debug, Default)]
struct Trace {
    commands: Vec<Observation>,
    /// The built image's files (context files, heredocs, installed folders).
    files: BTreeMap<String, Origin>,
    /// The built image's configuration, one line per instruction kind.
    config: BTreeMap<&'static str, String>,
    /// The built image's ENV.
    env: BTreeMap<String, String>,
    /// The index of the built stage, and how many stages there are.
    target: usize,
    stages: usize,
    /// Whether the built stage was observed (else the image is the same on both sides by
    /// construction, and its files and configuration were not collected).
    observed_target: bool,
}

/// The keys of the commands of a shell script a fix adds (for [`Allowance::added_commands`]).
#[must_use]
pub fn command_keys(script: &str) -> Vec<String> {
    crate::syntax::shell::lex(script)
        .commands
        .iter()
        .map(|c| {
            c.words
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Check that `after` (the rewritten text of the file `cx` analyses) is equivalent to it.
///
/// # Errors
/// Why it is not, as a phrase for "no automatic fix: ...".
pub fn check(cx: &Analysis<'_>, after: &str, allow: &Allowance) -> Result<(), String> {
    check_parts(cx.text, cx.tree, cx.model, cx.context, after, allow)
}

/// [`check`] for a text and its tree, without an analysis at hand (a round of fix-all).
///
/// # Errors
/// Why `after` does not build what `before` builds.
pub fn check_tree(
    before: &str,
    tree: &SyntaxTree,
    context: &dyn BuildContext,
    after: &str,
    allow: &Allowance,
) -> Result<(), String> {
    let model = Model::build(tree);
    check_parts(before, tree, &model, context, after, allow)
}

/// [`check`] for a text alone.
///
/// # Errors
/// Why `after` does not build what `before` builds.
pub fn check_texts(
    before: &str,
    context: &dyn BuildContext,
    after: &str,
    allow: &Allowance,
) -> Result<(), String> {
    check_tree(before, &crate::syntax::parse(before), context, after, allow)
}

fn check_parts(
    text: &str,
    tree: &SyntaxTree,
    model: &Model,
    context: &dyn BuildContext,
    after: &str,
    allow: &Allowance,
) -> Result<(), String> {
    // the instructions the rewrite left alone keep their parse (and its `Arc`)
    let after_tree = crate::syntax::parse_reusing(text, tree, after);
    // the after side builds the same target: the named one, or the last stage
    let target = match model.target_source {
        crate::model::TargetSource::Last => None,
        _ => model
            .target()
            .and_then(|t| model.stages[t].alias.as_deref()),
    };
    let after_model = Model::build_for(&after_tree, None, target);
    let (before_scope, after_scope) = scopes(tree, model, &after_tree, &after_model);
    let ignore = context.dockerignore();
    let mut universe = universe(tree, model, &before_scope, context, ignore);
    universe.extend(self::universe(
        &after_tree,
        &after_model,
        &after_scope,
        context,
        ignore,
    ));
    let before = trace(text, tree, model, &universe, allow, &before_scope);
    let after_trace = trace(
        after,
        &after_tree,
        &after_model,
        &universe,
        allow,
        &after_scope,
    );
    compare(&before, &after_trace, allow)
}

/// Which stages of one side the interpreter follows and which it observes.
#[derive(Debug, Clone)]
struct Scope {
    /// Stages whose instructions the rewrite changed, or that build on or copy from such a
    /// stage: their commands are compared, and the final image when the built stage is one.
    observe: Vec<bool>,
    /// Those and the stages they start from or copy from: the interpreter runs these.
    follow: Vec<bool>,
}

/// The scopes of both sides. A stage the rewrite did not touch, with nothing it depends on
/// touched, behaves the same on both sides by construction, so a check of a rewrite of one
/// stage of a large file costs that stage and what it depends on.
fn scopes(
    tree: &SyntaxTree,
    model: &Model,
    after_tree: &SyntaxTree,
    after_model: &Model,
) -> (Scope, Scope) {
    let prologue = |t: &SyntaxTree, m: &Model| -> Vec<*const Instruction> {
        let end = m.stages.first().map_or(t.instructions.len(), |s| s.from);
        t.instructions[..end]
            .iter()
            .map(|l| std::sync::Arc::as_ptr(&l.parsed))
            .collect()
    };
    let stage_instrs = |t: &SyntaxTree, st: &crate::model::Stage| -> Vec<*const Instruction> {
        std::iter::once(st.from)
            .chain(st.body.clone())
            .map(|i| std::sync::Arc::as_ptr(&t.instructions[i].parsed))
            .collect()
    };
    let all_changed = prologue(tree, model) != prologue(after_tree, after_model)
        || after_model.stages.len() < model.stages.len();
    let mut changed: Vec<bool> = after_model
        .stages
        .iter()
        .map(|st| {
            all_changed
                || model
                    .stages
                    .get(st.index)
                    .is_none_or(|old| stage_instrs(tree, old) != stage_instrs(after_tree, st))
        })
        .collect();
    // what depends on a changed stage changes with it
    let sources = |t: &SyntaxTree, m: &Model, s: usize| -> Vec<usize> {
        let st = &m.stages[s];
        let mut out: Vec<usize> = st.parent.into_iter().collect();
        for i in st.body.clone() {
            for name in crate::model::stage_references(&t.instructions[i]) {
                let name = name.to_ascii_lowercase();
                out.extend(
                    m.stages
                        .iter()
                        .position(|o| o.alias.as_deref() == Some(name.as_str()))
                        .or_else(|| name.parse::<usize>().ok().filter(|&k| k < m.stages.len())),
                );
            }
        }
        out
    };
    loop {
        let mut grew = false;
        for s in 0..changed.len() {
            if !changed[s]
                && sources(after_tree, after_model, s)
                    .iter()
                    .any(|&k| changed[k])
            {
                changed[s] = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let scope = |t: &SyntaxTree, m: &Model| -> Scope {
        let observe: Vec<bool> = (0..m.stages.len())
            .map(|s| changed.get(s).copied().unwrap_or(true))
            .collect();
        let mut follow = observe.clone();
        let mut todo: Vec<usize> = (0..m.stages.len()).filter(|&s| observe[s]).collect();
        while let Some(s) = todo.pop() {
            for k in sources(t, m, s) {
                if !follow[k] {
                    follow[k] = true;
                    todo.push(k);
                }
            }
        }
        Scope { observe, follow }
    };
    (scope(tree, model), scope(after_tree, after_model))
}

/// The context paths the interpreter knows about: every path a COPY source or an install names
/// (relative to the context root, as far as it can tell), and the heavy folders in the context,
/// without what `.dockerignore` excludes.
fn universe(
    tree: &SyntaxTree,
    model: &Model,
    scope: &Scope,
    context: &dyn BuildContext,
    ignore: Option<&DockerIgnore>,
) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    let mut ecosystems: Vec<Ecosystem> = Vec::new();
    let mut copied_dirs: Vec<String> = Vec::new();
    let mut add = |p: &str| {
        let p = normalize(p);
        if !p.is_empty() && !p.contains('*') && !p.contains('?') && !p.contains('[') {
            paths.insert(p);
        }
    };
    // the instructions of the stages the interpreter follows
    let followed = model
        .stages
        .iter()
        .filter(|st| scope.follow[st.index])
        .flat_map(|st| st.body.clone());
    for located in followed.map(|i| &tree.instructions[i]) {
        let instr: &Instruction = match &located.args {
            Args::Onbuild(inner) => inner,
            _ => located,
        };
        if let Args::Copy { sources, .. } = &instr.args {
            if instr.flag("from").is_none() {
                for s in sources {
                    if !s.value.starts_with("<<") && !s.value.contains("://") {
                        add(&s.value);
                        if s.value.ends_with(['/', '\\']) && !normalize(&s.value).is_empty() {
                            copied_dirs.push(normalize(&s.value));
                        }
                    }
                }
            }
        }
        for cmd in instr.commands() {
            if let Some(step) = install_step(cmd) {
                for f in &step.files {
                    add(f);
                }
                ecosystems.push(step.ecosystem);
            }
            for w in local_path_args(cmd) {
                add(&w);
            }
        }
    }
    // the manifests of each install, in each folder copied from the context: those that exist,
    // or the first of each group when the context is unknown
    let folders: Vec<String> = std::iter::once(String::new()).chain(copied_dirs).collect();
    for ecosystem in ecosystems {
        for group in ecosystem.manifests() {
            for dir in &folders {
                let in_dir = |m: &str| normalize(&format!("{dir}/{m}"));
                let known: Vec<String> = group
                    .iter()
                    .map(|m| in_dir(m))
                    .filter(|p| context.exists(p) == Some(true))
                    .collect();
                if !known.is_empty() {
                    paths.extend(known);
                } else if dir.is_empty() && context.exists(&in_dir(group[0])).is_none() {
                    paths.insert(in_dir(group[0]));
                }
            }
        }
    }
    for entry in context.notable_entries() {
        // a folder's contents, as one representative file
        paths.insert(format!("{}/…", entry.name));
    }
    // and one for every other file of the context (the sources), which only a copy of the
    // whole context brings: a command that reads its folder (`npm ci ./`) must find them at
    // the same place (found by the stable fuzzer: with a .dockerignore leaving out `.git`, the
    // manifests were the only files known, and copying them alone looked the same)
    paths.insert("…".to_string());
    // a named path that is a folder on disk (`COPY src ./`, `dotnet restore src`) holds files:
    // one stands for them, so that copying the folder and copying a file differ
    if let Some(root) = context.root() {
        let folders: Vec<String> = paths
            .iter()
            .filter(|p| !p.ends_with('…') && root.join(p.as_str()).is_dir())
            .map(|p| format!("{p}/…"))
            .collect();
        paths.extend(folders);
    }
    if let Some(ignore) = ignore {
        paths.retain(|p| !ignore.is_excluded(p));
    }
    paths
}

/// A path joined the way WORKDIR and COPY do, with `\` read as `/` (Windows paths: `C:\src`
/// becomes `C:/src`, on both sides of a comparison alike): `rel` when it is absolute, else
/// `base/rel`, with `.` and `..` resolved.
fn join_path(base: &str, rel: &str) -> String {
    let rel = rel.replace('\\', "/");
    let base = base.replace('\\', "/");
    let drive = |p: &str| -> Option<usize> {
        let b = p.as_bytes();
        (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':').then_some(2)
    };
    let (root, path) = if let Some(d) = drive(&rel) {
        (rel[..d].to_ascii_uppercase(), rel[d..].to_string())
    } else if rel.starts_with('/') {
        (
            drive(&base).map_or(String::new(), |d| base[..d].to_ascii_uppercase()),
            rel,
        )
    } else if let Some(d) = drive(&base) {
        (
            base[..d].to_ascii_uppercase(),
            format!("{}/{rel}", &base[d..]),
        )
    } else {
        (String::new(), format!("{base}/{rel}"))
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("{root}/{}", parts.join("/"))
}

/// A command that compiles the project in its folder (`go build`, `cargo build`, `dotnet
/// publish`, `mvn package`...), as opposed to one that only fetches dependencies.
fn builds_sources(cmd: &Command) -> bool {
    let Some(prog) = program(cmd) else {
        return false;
    };
    let first = args(cmd)
        .iter()
        .find(|w| !w.value.starts_with('-'))
        .map_or("", |w| w.value.as_str());
    match prog {
        "go" => matches!(
            first,
            "build" | "install" | "run" | "test" | "vet" | "generate"
        ),
        "cargo" => matches!(
            first,
            "build" | "install" | "run" | "test" | "check" | "b" | "r" | "t"
        ),
        "dotnet" => matches!(first, "build" | "publish" | "run" | "test" | "pack"),
        "mvn" | "mvnw" => args(cmd).iter().any(|w| {
            matches!(
                w.value.as_str(),
                "package" | "install" | "verify" | "compile" | "test"
            )
        }),
        "gradle" | "gradlew" => !first.is_empty() && first != "dependencies",
        _ => false,
    }
}

/// `./a//b/` -> `a/b`; `.` -> ``; `a\b` -> `a/b`.
fn normalize(p: &str) -> String {
    let p = p.replace('\\', "/");
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    parts.join("/")
}

/// Arguments of a dependency install that name local paths: `pip install .`, `-e ./libs/x`,
/// `npm install ./packages/a`.
fn local_path_args(cmd: &Command) -> Vec<String> {
    let Some(prog) = program(cmd) else {
        return Vec::new();
    };
    let installs = prog.starts_with("pip")
        || matches!(
            prog,
            "uv" | "npm" | "yarn" | "pnpm" | "poetry" | "pdm" | "conda"
        );
    if !installs {
        return Vec::new();
    }
    args(cmd)
        .iter()
        .map(|w| w.value.as_str())
        .filter(|v| {
            *v == "."
                || v.starts_with("./")
                || v.starts_with("../")
                || v.starts_with("file:")
                || (v.contains('/') && !v.starts_with('-') && !v.contains("://"))
        })
        .map(|v| v.trim_start_matches("file:").to_string())
        .collect()
}

/// The interpreter's state in one stage.
#[derive(Debug, Clone, Default)]
struct StageState {
    workdir: String,
    user: String,
    shell: String,
    env: BTreeMap<String, String>,
    /// A fingerprint of `env` (the XOR of a hash of each entry), kept up to date as it changes,
    /// so that each command's state costs no copy of the environment.
    env_print: u64,
    files: BTreeMap<String, Origin>,
    apt_lists: bool,
}

impl StageState {
    fn set_env(&mut self, key: &str, value: String) {
        let entry = |k: &str, v: &str| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (k, v).hash(&mut h);
            h.finish()
        };
        self.env_print ^= entry(key, &value);
        if let Some(old) = self.env.insert(key.to_string(), value) {
            self.env_print ^= entry(key, &old);
        }
    }
}

fn trace(
    text: &str,
    tree: &SyntaxTree,
    model: &Model,
    universe: &BTreeSet<String>,
    allow: &Allowance,
    scope: &Scope,
) -> Trace {
    let mut out = Trace {
        stages: model.stages.len(),
        target: model.target().unwrap_or(0),
        ..Trace::default()
    };
    let mut finals: Vec<StageState> = Vec::with_capacity(model.stages.len());
    for stage in &model.stages {
        if !scope.follow[stage.index] {
            finals.push(StageState::default());
            continue;
        }
        let observe = scope.observe[stage.index];
        let mut st = match stage.parent.and_then(|p| finals.get(p)) {
            Some(parent) => parent.clone(),
            None => StageState {
                workdir: crate::model::base_workdir(stage.image.as_ref()).into(),
                user: "root".into(),
                shell: "/bin/sh -c".into(),
                ..StageState::default()
            },
        };
        for i in stage.body.clone() {
            let located = &tree.instructions[i];
            match located.keyword {
                Keyword::Workdir => {
                    if let Args::Text(w) = &located.args {
                        let value = model
                            .expand_at(tree, i, &w.value)
                            .unwrap_or_else(|| w.value.clone());
                        st.workdir = join_path(&st.workdir, &value);
                    }
                }
                Keyword::User => {
                    if let Args::Text(w) = &located.args {
                        st.user = w.value.clone();
                    }
                }
                Keyword::Shell => {
                    if let Some(Form::Exec { words, .. }) = located.form() {
                        st.shell = words
                            .iter()
                            .map(|w| w.value.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                    }
                }
                Keyword::Env | Keyword::Arg => {
                    if let Args::KeyValues(kvs) = &located.args {
                        for kv in kvs {
                            let value = kv
                                .value
                                .clone()
                                .unwrap_or_else(|| format!("${{{}}}", kv.key));
                            st.set_env(&kv.key, value);
                        }
                    }
                }
                Keyword::Copy | Keyword::Add => copy(&mut st, located, model, universe, &finals),
                Keyword::Run => {
                    let before = out.commands.len();
                    run(&mut st, text, located, stage.index, allow, &mut out);
                    if !observe {
                        out.commands.truncate(before);
                    }
                }
                _ => {}
            }
        }
        finals.push(st);
    }
    out.observed_target = scope.observe.get(out.target).copied().unwrap_or(false);
    if !out.observed_target {
        return out;
    }
    if let Some(built) = finals.get(out.target) {
        out.files = built.files.clone();
        out.env = built.env.clone();
        out.config.insert("user", built.user.clone());
        out.config.insert("workdir", built.workdir.clone());
        out.config.insert("shell", built.shell.clone());
    }
    if let Some(target) = model.target() {
        for (name, keyword) in [
            ("cmd", Keyword::Cmd),
            ("entrypoint", Keyword::Entrypoint),
            ("healthcheck", Keyword::Healthcheck),
            ("stopsignal", Keyword::Stopsignal),
        ] {
            if let Some(i) = model.effective_in(tree, target, keyword) {
                out.config.insert(name, args_text(text, tree, i));
            }
        }
        for (name, keyword) in [
            ("expose", Keyword::Expose),
            ("label", Keyword::Label),
            ("volume", Keyword::Volume),
            ("onbuild", Keyword::Onbuild),
        ] {
            let mut all: Vec<String> = model
                .lineage(target)
                .flat_map(|s| s.body.clone())
                .filter(|&i| tree.instructions[i].keyword == keyword)
                .map(|i| args_text(text, tree, i))
                .collect();
            all.sort();
            if !all.is_empty() {
                out.config.insert(name, all.join("\n"));
            }
        }
    }
    out
}

/// An instruction's arguments as written, whitespace collapsed.
fn args_text(text: &str, tree: &SyntaxTree, i: usize) -> String {
    let located = &tree.instructions[i];
    let span = located.abs(located.args_span);
    span.of(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A COPY or ADD: place the files its sources stand for.
fn copy(
    st: &mut StageState,
    located: &crate::syntax::Located,
    model: &Model,
    universe: &BTreeSet<String>,
    finals: &[StageState],
) {
    let Args::Copy { sources, dest, .. } = &located.args else {
        return;
    };
    let dest_value =
        crate::model::expand::expand(&dest.value, model.escape, &|name| st.env.get(name).cloned())
            .unwrap_or_else(|| dest.value.clone());
    let dest_abs = join_path(&st.workdir, &dest_value);
    // a destination that already is a folder in the image takes the file inside it
    let is_folder = {
        let inside = format!("{}/", dest_abs.trim_end_matches('/'));
        st.files.keys().any(|p| p.starts_with(&inside))
    };
    let to_dir =
        dest_value.ends_with(['/', '\\']) || sources.len() > 1 || dest_value == "." || is_folder;
    let parents = located.flag("parents").is_some();
    let place = |files: &mut BTreeMap<String, Origin>,
                 rel_in_src: &str,
                 origin: Origin,
                 file_name: &str,
                 src_is_dir: bool| {
        let path = if src_is_dir {
            join_path(&dest_abs, rel_in_src)
        } else if to_dir || parents {
            join_path(&dest_abs, file_name)
        } else {
            dest_abs.clone()
        };
        // a file written inside an installed folder mixes with it
        files.insert(path, origin);
    };
    if let Some(from) = located.flag("from").and_then(|f| f.value.clone()) {
        let from_l = from.to_ascii_lowercase();
        let stage = model
            .stages
            .iter()
            .position(|s| s.alias.as_deref() == Some(from_l.as_str()))
            .or_else(|| from.parse::<usize>().ok());
        for s in sources {
            let src = join_path("/", &s.value);
            match stage.and_then(|k| finals.get(k)) {
                Some(other) => {
                    let hits: Vec<(String, Origin)> = other
                        .files
                        .iter()
                        .filter(|(p, _)| within(p, &src))
                        .map(|(p, o)| (p.clone(), o.clone()))
                        .collect();
                    if hits.is_empty() {
                        // made by the stage's commands: known by where it comes from
                        let name = src.rsplit('/').next().unwrap_or(&src).to_string();
                        place(
                            &mut st.files,
                            "",
                            Origin::Built(format!("{from_l}:{src}")),
                            &name,
                            false,
                        );
                        continue;
                    }
                    let src_is_dir = hits.iter().any(|(p, _)| p != &src);
                    for (p, o) in hits {
                        let rel = p.strip_prefix(&src).unwrap_or("").trim_start_matches('/');
                        let name = p.rsplit('/').next().unwrap_or(&p).to_string();
                        place(&mut st.files, rel, o, &name, src_is_dir);
                    }
                }
                None => {
                    let name = src.rsplit('/').next().unwrap_or(&src).to_string();
                    place(
                        &mut st.files,
                        "",
                        Origin::External(format!("{from}:{src}")),
                        &name,
                        false,
                    );
                }
            }
        }
        return;
    }
    for s in sources {
        let value = s.value.as_str();
        if value.starts_with("<<") {
            let name = value
                .trim_start_matches("<<")
                .trim_start_matches('-')
                .trim_matches(['"', '\'']);
            place(
                &mut st.files,
                "",
                Origin::Heredoc(name.to_string()),
                name,
                false,
            );
            continue;
        }
        if value.contains("://") {
            let name = value.rsplit('/').next().unwrap_or(value);
            place(
                &mut st.files,
                "",
                Origin::External(value.to_string()),
                name,
                false,
            );
            continue;
        }
        let src = normalize(value);
        let glob = src.contains(['*', '?', '[']);
        let pattern = glob.then(|| DockerIgnore::parse(&src));
        let src_is_dir = !glob
            && (src.is_empty()
                || value.ends_with(['/', '\\'])
                || universe.iter().any(|p| p != &src && within_rel(p, &src)));
        for p in universe {
            let matched = match &pattern {
                Some(pat) => pat.is_excluded(p) && !p.contains("/…"),
                None => p == &src || (src_is_dir && within_rel(p, &src)),
            };
            if !matched {
                continue;
            }
            let rel = if parents {
                p.as_str()
            } else if src_is_dir {
                p.strip_prefix(&src).unwrap_or(p).trim_start_matches('/')
            } else {
                ""
            };
            let name = if parents {
                p.as_str()
            } else {
                p.rsplit('/').next().unwrap_or(p)
            };
            place(
                &mut st.files,
                rel,
                Origin::Context(p.clone()),
                name,
                src_is_dir || parents,
            );
        }
    }
}

/// `path` is `dir` or inside it (absolute paths).
fn within(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// `path` is inside `dir` (relative paths; `` is the root).
fn within_rel(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// A RUN: observe each of its commands.
fn run(
    st: &mut StageState,
    text: &str,
    located: &crate::syntax::Located,
    stage: usize,
    allow: &Allowance,
    out: &mut Trace,
) {
    let commands = run_commands(located);
    let shell_errexit = st
        .shell
        .split_whitespace()
        .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('e'));
    let compound = located.span().of(text).split_whitespace().any(|w| {
        matches!(
            w,
            "if" | "while" | "until" | "case" | "for" | "function" | "{"
        ) || w.starts_with('(')
    });
    let critical = criticality(&commands, shell_errexit, compound);
    let mut cwd = st.workdir.clone();
    let mut local: Vec<String> = Vec::new();
    for (k, cmd) in commands.iter().enumerate() {
        let words: Vec<&str> = cmd.words.iter().map(|w| w.value.as_str()).collect();
        let key = words
            .iter()
            .filter(|w| !allow.added_options.iter().any(|o| o == *w))
            .filter(|w| !(allow.composed && w.starts_with('-')))
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let state = format!(
            "cwd={cwd} user={} shell={} env={:x} local=[{}]",
            st.user,
            st.shell,
            st.env_print,
            local.join("; ")
        );
        // the files it reads
        let mut reads: BTreeMap<String, BTreeSet<Origin>> = BTreeMap::new();
        let mut read_paths: Vec<String> = Vec::new();
        let step = install_step(cmd);
        if let Some(step) = &step {
            read_paths.extend(step.files.iter().cloned());
            for group in step.ecosystem.manifests() {
                read_paths.extend(group.iter().map(|m| (*m).to_string()));
            }
        }
        read_paths.extend(local_path_args(cmd));
        if mode_change_of_named_files(cmd) {
            // the mode or owner first, then the files
            read_paths.extend(
                args(cmd)
                    .iter()
                    .filter(|w| !w.value.starts_with('-'))
                    .skip(1)
                    .map(|w| w.value.clone()),
            );
        }
        // a build compiles the project's sources: it reads its whole folder; so may any
        // command that is not known to leave it alone (`yarn build`, `python manage.py ...`)
        // (found by a blind evaluation: joined to an install that moved before the broad COPY,
        // `yarn build` ran without the sources)
        if builds_sources(cmd)
            || (step.is_none()
                && program(cmd) != Some("cd")
                && !mode_change_of_named_files(cmd)
                && super::manifests_first::reads_tree(cmd, &cwd))
        {
            read_paths.push(".".into());
        }
        // `cd DIR` fails when DIR is missing: whether anything is known to be in it
        if program(cmd) == Some("cd") {
            if let Some(to) = args(cmd)
                .first()
                .filter(|w| !w.value.starts_with(['-', '~']))
            {
                let abs = join_path(&cwd, &to.value);
                let found: BTreeSet<Origin> = st
                    .files
                    .keys()
                    .any(|p| within(p, &abs))
                    .then(|| Origin::External("something".into()))
                    .into_iter()
                    .collect();
                reads.insert(format!("exists:{abs}"), found);
            }
        }
        for rel in read_paths {
            let abs = join_path(&cwd, &rel);
            let found: BTreeSet<Origin> = st
                .files
                .iter()
                .filter(|(p, _)| within(p, &abs))
                .map(|(_, o)| o.clone())
                .collect();
            reads.insert(abs, found);
        }
        let is_apt_install = matches!(program(cmd), Some("apt-get" | "apt"))
            && args(cmd).iter().any(|w| w.value == "install");
        out.commands.push(Observation {
            key,
            state,
            reads,
            critical: critical[k],
            apt_lists: is_apt_install.then_some(st.apt_lists),
            stage,
            cache_mounts: crate::model::commands::mount_targets(located, &["cache"]),
        });
        // what it changes for the commands after it: nothing, inside `( ... )` or `$( ... )`
        let start = located.abs(cmd.span).start.saturating_sub(located.offset);
        if subshell_depth(located.span().of(text), start) > 0 {
            continue;
        }
        match program(cmd) {
            Some("cd") if !matches!(cmd.joiner, Joiner::Pipe) => {
                let to = args(cmd).first().map_or("~", |w| w.value.as_str());
                cwd = if to == "~" || to == "-" {
                    format!("?{to}")
                } else {
                    join_path(&cwd, to)
                };
            }
            Some("pushd" | "popd") => cwd = format!("?{}", words.join(" ")),
            Some(
                "export" | "." | "source" | "set" | "umask" | "ulimit" | "alias" | "unset"
                | "shopt" | "trap" | "eval" | "declare" | "typeset" | "readonly",
            ) => local.push(words.join(" ")),
            Some("apt-get" | "apt") if args(cmd).iter().any(|w| w.value == "update") => {
                st.apt_lists = true;
            }
            Some("rm")
                if args(cmd)
                    .iter()
                    .any(|w| w.value.starts_with("/var/lib/apt/lists")) =>
            {
                st.apt_lists = false;
            }
            _ => {}
        }
        // what installs write
        if let Some(step) = &step {
            if matches!(
                step.ecosystem,
                Ecosystem::Npm | Ecosystem::Yarn | Ecosystem::Pnpm | Ecosystem::Bun
            ) {
                let dir = join_path(&cwd, "node_modules");
                st.files.retain(|p, _| !within(p, &dir));
                st.files
                    .insert(dir, Origin::Installed(step.ecosystem.name().to_string()));
            }
        }
    }
}

/// Whether `cmd` is a `chmod` or `chown` without recursion: it touches the files it names
/// (read through [`local_path_args`]) and nothing else of its folder.
fn mode_change_of_named_files(cmd: &Command) -> bool {
    matches!(program(cmd), Some("chmod" | "chown"))
        && args(cmd).iter().all(|w| {
            !(w.value == "."
                || w.value == "./"
                || w.value.contains(['*', '?', '[', '$'])
                || (w.value.starts_with('-')
                    && (w.value.contains('R') || w.value == "--recursive")))
        })
}

/// How many subshells (`( ... )`, `$( ... )`, backticks) are open at byte `at` of `text`, the
/// way `sh` reads it: quotes and escapes hide parentheses.
pub(super) fn subshell_depth(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut backtick = false;
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < at.min(bytes.len()) {
        let c = bytes[i];
        match c {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'`' if !single => backtick = !backtick,
            b'(' if !single && (!double || i > 0 && bytes[i - 1] == b'$') => depth += 1,
            b')' if !single && !double => depth = depth.saturating_sub(1),
            b'#' if !single && !double && (i == 0 || bytes[i - 1].is_ascii_whitespace()) => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    depth + usize::from(backtick)
}

/// For each command, whether its failure fails the RUN: without `set -e`, only the failures
/// that reach the script's exit status (the last `;`-separated list, not before a `||`, the
/// last command of a pipe); with it, also the last command of every list. Scripts with
/// compound commands (`if`, `while`, `{ ...; }`, `( ... )`...), whose structure the flat list
/// of commands does not keep, are taken as failing on every command, the same on both sides.
fn criticality(
    commands: &[std::borrow::Cow<'_, Command>],
    shell_errexit: bool,
    compound: bool,
) -> Vec<bool> {
    if compound {
        return vec![true; commands.len()];
    }
    let n = commands.len();
    let mut errexit = shell_errexit;
    let mut out = vec![false; n];
    // lists: runs of commands joined by && || |, separated by Seq
    let mut start = 0;
    let mut lists: Vec<(usize, usize, bool)> = Vec::new(); // (start, end, errexit at its start)
    let mut list_errexit = errexit;
    for (k, cmd) in commands.iter().enumerate() {
        if k > start && matches!(cmd.joiner, Joiner::Seq | Joiner::Start) {
            lists.push((start, k, list_errexit));
            start = k;
            list_errexit = errexit;
        }
        if program(cmd) == Some("set") {
            let a = args(cmd);
            for (j, w) in a.iter().enumerate() {
                let v = w.value.as_str();
                if v.starts_with('-') && !v.starts_with("--") && v.contains('e') {
                    errexit = true;
                }
                if v.starts_with('+') && v.contains('e') {
                    errexit = false;
                }
                if v == "-o" && a.get(j + 1).is_some_and(|x| x.value == "errexit") {
                    errexit = true;
                }
            }
        }
    }
    if n > start {
        lists.push((start, n, list_errexit));
    }
    let last_list = lists.len().saturating_sub(1);
    for (li, &(s, e, errexit)) in lists.iter().enumerate() {
        for k in s..e {
            // the last command of its pipe
            let pipe_last = k + 1 >= e || !matches!(commands[k + 1].joiner, Joiner::Pipe);
            if !pipe_last {
                continue;
            }
            // no `||` after it in the list
            let no_or = (k + 1..e).all(|j| !matches!(commands[j].joiner, Joiner::Or));
            // the list's last pipeline
            let list_last = (k + 1..e).all(|j| matches!(commands[j].joiner, Joiner::Pipe));
            out[k] = (li == last_list && no_or) || (errexit && list_last);
        }
    }
    out
}

fn compare(before: &Trace, after: &Trace, allow: &Allowance) -> Result<(), String> {
    // every command of the original still runs, the same way
    let mut used = vec![false; after.commands.len()];
    let mut last_match: Option<usize> = None;
    let mut by_key: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (k, a) in after.commands.iter().enumerate() {
        by_key.entry(a.key.as_str()).or_default().push(k);
    }
    for b in &before.commands {
        let mut candidates: Vec<usize> = by_key
            .get(b.key.as_str())
            .map(|ks| ks.iter().copied().filter(|&k| !used[k]).collect())
            .unwrap_or_default();
        if candidates.is_empty() && allow.composed {
            // a fix may add words to a command (a package `--no-install-recommends` needs)
            candidates = (0..after.commands.len())
                .filter(|&k| !used[k] && extends(&after.commands[k].key, &b.key))
                .collect();
        }
        // a cleanup of a package manager's cache that the rewrite mounts as a cache instead
        // (`npm cache clean --force` once `/root/.npm` is a cache mount): it only emptied the
        // cache, which no longer lands in the image
        if candidates.is_empty() {
            if let Some(dir) = cleaned_cache(&b.key) {
                if after
                    .commands
                    .iter()
                    .any(|a| a.stage == b.stage && a.cache_mounts.iter().any(|m| within(&dir, m)))
                {
                    continue;
                }
            }
        }
        let Some(&k) = candidates
            .iter()
            .find(|&&k| last_match.is_none_or(|l| k > l))
            .or(candidates.first())
        else {
            return Err(format!("the rewrite no longer runs `{}`", shorten(&b.key)));
        };
        used[k] = true;
        last_match = Some(k);
        let a = &after.commands[k];
        if a.state != b.state {
            return Err(format!(
                "`{}` would run in a different shell state ({})",
                shorten(&b.key),
                state_difference(&b.state, &a.state)
            ));
        }
        for (path, origins) in &b.reads {
            let now = a.reads.get(path).cloned().unwrap_or_default();
            if &now != origins {
                let what = if now.is_empty() {
                    "would not find it"
                } else {
                    "would find other files there"
                };
                return Err(format!(
                    "`{}` reads `{path}`, and after the rewrite it {what}",
                    shorten(&b.key)
                ));
            }
        }
        if b.critical && !a.critical {
            return Err(format!(
                "a failure of `{}` would no longer fail the build",
                shorten(&b.key)
            ));
        }
        if b.apt_lists == Some(true) && a.apt_lists == Some(false) {
            return Err(format!(
                "`{}` would run after the package lists are removed",
                shorten(&b.key)
            ));
        }
    }
    // what it adds is what it means to add
    for (k, a) in after.commands.iter().enumerate() {
        if used[k] {
            continue;
        }
        let added = allow.composed
            || allow.added_commands.contains(&a.key)
            || (allow.runtime_stage && a.stage >= before.stages);
        if !added {
            return Err(format!("the rewrite adds `{}`", shorten(&a.key)));
        }
    }
    if !before.observed_target && !after.observed_target {
        return Ok(());
    }
    // the built image; fixes applied together may include a new runtime stage, which was
    // checked alone and may leave the sources out
    let new_stage = allow.composed && after.stages > before.stages;
    let runtime_stage = allow.runtime_stage || new_stage;
    let drops_sources = allow.drops_sources || new_stage;
    for (path, origin) in &before.files {
        match after.files.get(path) {
            Some(o) if o == origin => {}
            _ if runtime_stage
                && (drops_sources
                    || matches!(
                        origin,
                        Origin::Installed(_) | Origin::External(_) | Origin::Built(_)
                    )) => {}
            Some(_) => {
                return Err(format!("`{path}` in the image would hold other content"));
            }
            None => return Err(format!("`{path}` would be missing from the image")),
        }
    }
    for (path, origin) in &after.files {
        if !before.files.contains_key(path) {
            let allowed = runtime_stage && !matches!(origin, Origin::Context(_));
            if !allowed {
                return Err(format!(
                    "the image would also hold `{path}`{}",
                    match origin {
                        Origin::Context(p) => format!(" (the context's `{p}`)"),
                        _ => String::new(),
                    }
                ));
            }
        }
    }
    if allow.composed {
        return Ok(());
    }
    for (name, value) in &before.config {
        if after.config.get(name) != Some(value) {
            return Err(format!(
                "the image's {} would change",
                name.to_ascii_uppercase()
            ));
        }
    }
    if after.config.len() != before.config.len() {
        return Err("the image's configuration would change".into());
    }
    for (k, v) in &before.env {
        if after.env.get(k) != Some(v) {
            return Err(format!("the image's ENV `{k}` would change"));
        }
    }
    if !allow.runtime_stage && after.env.len() != before.env.len() {
        return Err("the image's ENV would change".into());
    }
    Ok(())
}

/// Whether command `longer` is command `shorter` with words added after its first two (the
/// program and its subcommand stay).
/// The cache folder a command only empties: `npm cache clean`, `yarn cache clean`,
/// `pip cache purge`, `rm -rf DIR` (a command key, options dropped).
fn cleaned_cache(key: &str) -> Option<String> {
    let words: Vec<&str> = key.split_whitespace().collect();
    match words.as_slice() {
        ["npm", "cache", "clean" | "rm" | "clear", ..] => Some("/root/.npm".into()),
        ["yarn", "cache", "clean", ..] => Some("/usr/local/share/.cache/yarn".into()),
        [pip, "cache", "purge"] if pip.starts_with("pip") => Some("/root/.cache/pip".into()),
        ["rm", dirs @ ..] if dirs.len() == 1 => {
            let d = dirs[0].trim_end_matches(['*', '/']);
            d.starts_with('/').then(|| d.to_string())
        }
        _ => None,
    }
}

fn extends(longer: &str, shorter: &str) -> bool {
    let l: Vec<&str> = longer.split(' ').collect();
    let s: Vec<&str> = shorter.split(' ').collect();
    l.len() > s.len() && l.get(..2) == s.get(..2) && s.iter().all(|w| l.contains(w))
}

/// The first part of two states that differs, for the message.
fn state_difference(before: &str, after: &str) -> String {
    let b: Vec<&str> = before.split(' ').collect();
    let a: Vec<&str> = after.split(' ').collect();
    for (x, y) in b.iter().zip(&a) {
        if x.starts_with("env=") && x != y {
            return "its ENV and ARG values differ".into();
        }
        if x != y {
            return format!("`{x}` before, `{y}` after");
        }
    }
    "its environment differs".into()
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        s.chars().take(57).collect::<String>() + "..."
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::{NoContext, NotableEntry};
    use std::path::Path;

    /// A context with a host `node_modules` and nothing else known.
    struct HostNodeModules;
    impl BuildContext for HostNodeModules {
        fn has_dockerignore(&self) -> Option<bool> {
            Some(false)
        }
        fn dockerignore(&self) -> Option<&DockerIgnore> {
            None
        }
        fn exists(&self, _: &str) -> Option<bool> {
            None
        }
        fn read(&self, _: &str) -> Option<String> {
            None
        }
        fn notable_entries(&self) -> Vec<NotableEntry> {
            vec![NotableEntry {
                name: "node_modules",
                bytes: None,
            }]
        }
        fn root(&self) -> Option<&Path> {
            None
        }
    }

    fn check_with(
        before: &str,
        after: &str,
        allow: &Allowance,
        context: &dyn BuildContext,
    ) -> Result<(), String> {
        let tree = crate::syntax::parse(before);
        let model = Model::build(&tree);
        let cx = Analysis {
            text: before,
            tree: &tree,
            model: &model,
            context,
            path: None,
        };
        check(&cx, after, allow)
    }

    #[track_caller]
    fn same(before: &str, after: &str) {
        let result = check_with(before, after, &Allowance::default(), &NoContext);
        assert_eq!(result, Ok(()), "\n{before}\n---\n{after}");
    }

    #[track_caller]
    fn differs(before: &str, after: &str, reason: &str) {
        differs_with(before, after, &Allowance::default(), &NoContext, reason);
    }

    #[track_caller]
    fn differs_with(
        before: &str,
        after: &str,
        allow: &Allowance,
        context: &dyn BuildContext,
        reason: &str,
    ) {
        match check_with(before, after, allow, context) {
            Ok(()) => panic!("taken as equivalent:\n{before}\n---\n{after}"),
            Err(e) => assert!(e.contains(reason), "{e:?} does not say {reason:?}"),
        }
    }

    #[test]
    fn reordering_for_the_cache_is_equivalent() {
        same(
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n",
            "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n",
        );
        same(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\n",
            "FROM debian\nRUN apt-get update && apt-get install -y curl\n",
        );
    }

    #[test]
    fn a_merge_must_not_carry_shell_state() {
        differs(
            "FROM debian\nWORKDIR /app\nRUN cd /opt && echo built > marker\nRUN echo ok > status.txt\n",
            "FROM debian\nWORKDIR /app\nRUN cd /opt && echo built > marker && echo ok > status.txt\n",
            "`cwd=/app` before, `cwd=/opt` after",
        );
        differs(
            "FROM python:3.12\nRUN python -m venv /venv && . /venv/bin/activate\nRUN pip install flask\n",
            "FROM python:3.12\nRUN python -m venv /venv && . /venv/bin/activate && pip install flask\n",
            "`pip install flask` would run in a different shell state",
        );
    }

    #[test]
    fn a_failing_install_must_still_fail() {
        // a new last line of a heredoc without `set -e` takes over the exit status
        differs(
            "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y gcc\nEOF\n",
            "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y gcc\nrm -rf /var/lib/apt/lists/*\nEOF\n",
            "a failure of `apt-get install -y gcc` would no longer fail the build",
        );
        let allow = Allowance {
            added_commands: vec!["rm -rf /var/lib/apt/lists/*".into()],
            ..Allowance::default()
        };
        // chained, it still fails the build
        assert_eq!(
            check_with(
                "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y gcc\nEOF\n",
                "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y gcc && rm -rf /var/lib/apt/lists/*\nEOF\n",
                &allow,
                &NoContext
            ),
            Ok(())
        );
        // with `set -e`, every line counts
        assert_eq!(
            check_with(
                "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y gcc\nEOF\n",
                "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y gcc\nrm -rf /var/lib/apt/lists/*\nEOF\n",
                &allow,
                &NoContext
            ),
            Ok(())
        );
    }

    #[test]
    fn the_lists_must_be_there_for_the_install() {
        differs_with(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y gcc make\n",
            "FROM debian\nRUN apt-get update && rm -rf /var/lib/apt/lists/* && apt-get install -y gcc make\n",
            &Allowance {
                added_commands: vec!["rm -rf /var/lib/apt/lists/*".into()],
                ..Allowance::default()
            },
            &NoContext,
            "would run after the package lists are removed",
        );
    }

    #[test]
    fn a_moved_copy_keeps_its_destination() {
        differs(
            "FROM python:3.12\nWORKDIR /srv\nCOPY . .\nWORKDIR /srv/backend\nRUN pip install -r requirements.txt\n",
            "FROM python:3.12\nWORKDIR /srv\nWORKDIR /srv/backend\nCOPY backend/requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . .\n",
            "in the image would hold other content",
        );
        same(
            "FROM python:3.12\nWORKDIR /srv\nCOPY . .\nWORKDIR /srv/backend\nRUN pip install -r requirements.txt\n",
            "FROM python:3.12\nWORKDIR /srv\nWORKDIR /srv/backend\nCOPY backend/requirements.txt ./\nRUN pip install -r requirements.txt\nCOPY . /srv/\n",
        );
    }

    #[test]
    fn nested_manifests_keep_their_paths() {
        differs(
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements/base.txt\n",
            "FROM python:3.12\nWORKDIR /app\nCOPY requirements/base.txt ./\nRUN pip install -r requirements/base.txt\nCOPY . .\n",
            "reads `/app/requirements/base.txt`, and after the rewrite it would not find it",
        );
        same(
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements/base.txt\n",
            "FROM python:3.12\nWORKDIR /app\nCOPY requirements/base.txt requirements/\nRUN pip install -r requirements/base.txt\nCOPY . .\n",
        );
    }

    #[test]
    fn local_paths_an_install_reads_come_along() {
        differs(
            "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt -e ./libs/shared\n",
            "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt ./\nRUN pip install -r requirements.txt -e ./libs/shared\nCOPY . .\n",
            "reads `/app/libs/shared`",
        );
    }

    #[test]
    fn host_node_modules_must_not_cover_the_install() {
        differs_with(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n",
            "FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
            &Allowance::default(),
            &HostNodeModules,
            "`/app/node_modules/…`",
        );
    }

    #[test]
    fn the_configuration_must_stay() {
        differs(
            "FROM node:20\nUSER node\nCMD [\"node\", \"server.js\"]\n",
            "FROM node:20\nCMD [\"node\", \"server.js\"]\n",
            "USER",
        );
        differs(
            "FROM node:20\nCMD [\"node\", \"server.js\"]\n",
            "FROM node:20\nCMD node server.js\n",
            "CMD",
        );
    }

    #[test]
    fn only_the_stages_a_rewrite_touches_are_observed() {
        let before = "FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM python:3.12 AS docs\nCOPY . .\nRUN pip install -r requirements.txt\nFROM debian AS final\nCOPY --from=build /out/app /app\n";
        let after = before.replace("COPY . .\n", "COPY requirements.txt ./\n");
        let tree = crate::syntax::parse(before);
        let model = Model::build(&tree);
        let after_tree = crate::syntax::parse_reusing(before, &tree, &after);
        let after_model = Model::build(&after_tree);
        let (b, a) = scopes(&tree, &model, &after_tree, &after_model);
        // only `docs` changed, and nothing builds on it or copies from it
        assert_eq!(b.observe, [false, true, false]);
        assert_eq!(a.follow, [false, true, false]);
        // a change in `build` reaches `final`, which copies from it
        let after = before.replace("go build", "go build -trimpath");
        let after_tree = crate::syntax::parse_reusing(before, &tree, &after);
        let after_model = Model::build(&after_tree);
        let (_, a) = scopes(&tree, &model, &after_tree, &after_model);
        assert_eq!(a.observe, [true, false, true]);
        // and the unchanged stages still count: a rewrite that breaks what `final` copies fails
        differs(
            before,
            &before.replace(
                "COPY --from=build /out/app /app",
                "COPY --from=build /out/app /srv/app",
            ),
            "`/app` would be missing from the image",
        );
    }

    #[test]
    fn onbuild_triggers_are_configuration() {
        let runtime = Allowance {
            runtime_stage: true,
            ..Allowance::default()
        };
        differs_with(
            "FROM python:3.12\nONBUILD COPY . /app\nCMD [\"python\"]\n",
            "FROM python:3.12 AS builder\nONBUILD COPY . /app\n\nFROM python:3.12\nCMD [\"python\"]\n",
            &runtime,
            &NoContext,
            "ONBUILD",
        );
    }

    #[test]
    fn a_cd_in_a_subshell_stays_there() {
        same(
            "FROM debian\nWORKDIR /app\nRUN (cd /opt && echo built > marker)\nRUN echo ok > status.txt\n",
            "FROM debian\nWORKDIR /app\nRUN (cd /opt && echo built > marker) && echo ok > status.txt\n",
        );
        differs(
            "FROM debian\nWORKDIR /app\nRUN echo \"(\" && cd /opt\nRUN echo ok > status.txt\n",
            "FROM debian\nWORKDIR /app\nRUN echo \"(\" && cd /opt && echo ok > status.txt\n",
            "`cwd=/app` before, `cwd=/opt` after",
        );
        assert_eq!(subshell_depth("a $(b) `c", 9), 1);
        assert_eq!(subshell_depth("a '(' b", 7), 0);
    }

    #[test]
    fn failures_reach_the_exit_status_as_the_shell_says() {
        let critical = |script: &str| -> Vec<bool> {
            let commands: Vec<std::borrow::Cow<'_, Command>> = crate::syntax::shell::lex(script)
                .commands
                .into_iter()
                .map(std::borrow::Cow::Owned)
                .collect();
            criticality(&commands, false, false)
        };
        assert_eq!(critical("a && b && c"), [true, true, true]);
        assert_eq!(critical("a; b && c"), [false, true, true]);
        assert_eq!(critical("a || b"), [false, true]);
        assert_eq!(critical("a | b"), [false, true]);
        assert_eq!(critical("set -e; a; b"), [false, true, true]);
        assert_eq!(critical("a; set -eux; b; c"), [false, false, true, true]);
        assert_eq!(critical("set -e; a && b; c"), [false, false, true, true]);
    }

    #[test]
    fn a_cache_cleanup_may_go_only_where_the_cache_is_mounted() {
        let before = "FROM node:22\nRUN npm ci && npm cache clean --force\n";
        let mounted = "FROM node:22\nRUN --mount=type=cache,target=/root/.npm npm ci\n";
        let unmounted = "FROM node:22\nRUN npm ci\n";
        let other = "FROM node:22\nRUN --mount=type=cache,target=/root/.cache npm ci\n";
        let composed = Allowance::composed();
        assert_eq!(check_with(before, mounted, &composed, &NoContext), Ok(()));
        assert!(check_with(before, unmounted, &composed, &NoContext).is_err());
        assert!(check_with(before, other, &composed, &NoContext).is_err());
        // an `rm` of a folder the cache mount does not cover still runs
        let rm = "FROM python:3.12\nRUN pip install flask && rm -rf /tmp/build\n";
        let rm_mounted =
            "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n";
        assert!(check_with(rm, rm_mounted, &composed, &NoContext).is_err());
    }
}
