//! Fix for `missing-dockerignore`: create a `.dockerignore` in the build context.
//!
//! The entries come from what the context holds (`.git`, `node_modules`, `.venv`...) and from
//! the ecosystems the Dockerfile builds (an `npm ci` in the image means the local
//! `node_modules` is not needed; `cargo build` means `target/` is not). An entry that would
//! exclude a file the Dockerfile copies by name is dropped. When other Dockerfiles share the
//! folder (`Dockerfile`, `Dockerfile.prod`), the file is `<name>.dockerignore`, which BuildKit
//! reads for that Dockerfile only. `.git` is not excluded when a RUN runs git, and `.env` is
//! only suggested in a comment, since an application may read it at run time. Unsafe: a build
//! step may still rely on a file that is now excluded.

use super::eol;
use crate::model::commands::{installs, Ecosystem};
use crate::model::context::is_dockerfile_name;
use crate::model::dockerignore::DockerIgnore;
use crate::rules::{Analysis, Fix, NewFile};
use crate::syntax::instruction::{Args, Keyword};

pub const TITLE: &str = "Create .dockerignore";

/// Entries for everything, and per ecosystem.
const ALWAYS: &[&str] = &[".git", ".idea", ".vscode", "*.log"];

fn ecosystem_entries(e: Ecosystem) -> &'static [&'static str] {
    match e {
        Ecosystem::Pip
        | Ecosystem::Poetry
        | Ecosystem::Pipenv
        | Ecosystem::Uv
        | Ecosystem::UvPip
        | Ecosystem::Pdm
        | Ecosystem::Conda => &[
            "__pycache__",
            "*.pyc",
            ".venv",
            "venv",
            ".pytest_cache",
            ".mypy_cache",
        ],
        Ecosystem::Npm | Ecosystem::Yarn | Ecosystem::Pnpm | Ecosystem::Bun => {
            &["node_modules", "npm-debug.log*", "coverage"]
        }
        Ecosystem::Cargo | Ecosystem::Maven => &["target"],
        Ecosystem::Gradle => &["build", ".gradle"],
        Ecosystem::Dotnet => &["bin", "obj"],
        Ecosystem::Mix => &["_build", "deps"],
        Ecosystem::Bundler => &[".bundle", "vendor/bundle", "log", "tmp"],
        Ecosystem::Composer => &["vendor"],
        Ecosystem::Go | Ecosystem::Conan => &[],
    }
}

/// Build the fix, or `None` when the context is unknown.
#[must_use]
pub fn build(cx: &Analysis<'_>) -> Option<Fix> {
    let root = cx.context.root()?;
    let mut entries: Vec<&str> = ALWAYS.to_vec();
    // a build that runs git (`git rev-parse HEAD`, `git describe`) reads `.git`
    let runs_git = cx
        .tree
        .instructions
        .iter()
        .any(|l| l.commands().any(|c| c.program() == Some("git")));
    if runs_git {
        entries.retain(|e| *e != ".git");
    }
    // each ecosystem once, in the order of its first install: the entries come out the same
    let mut installs_in_image: Vec<Ecosystem> = Vec::new();
    for located in &cx.tree.instructions {
        for e in installs(located).iter() {
            if !installs_in_image.contains(e) {
                installs_in_image.push(*e);
            }
        }
    }
    for e in &installs_in_image {
        entries.extend(ecosystem_entries(*e));
    }
    // heavy folders the context holds
    for n in cx.context.notable_entries() {
        let installed_here = match n.name {
            "node_modules" => installs_in_image.iter().any(|e| {
                matches!(
                    e,
                    Ecosystem::Npm | Ecosystem::Yarn | Ecosystem::Pnpm | Ecosystem::Bun
                )
            }),
            "target" => installs_in_image
                .iter()
                .any(|e| matches!(e, Ecosystem::Cargo | Ecosystem::Maven)),
            "dist" | "build" | "vendor/bundle" | ".env" => false,
            _ => true,
        };
        if installed_here {
            entries.push(n.name);
        }
    }
    let mut seen = Vec::new();
    entries.retain(|e| {
        let new = !seen.contains(e);
        seen.push(*e);
        new
    });
    // never exclude what the Dockerfile copies by name
    let mut copied = copied_paths(cx);
    copied.sort_unstable();
    copied.dedup();
    entries.retain(|entry| {
        let single = DockerIgnore::parse(entry);
        let folder = format!("{}/", entry.trim_end_matches('/'));
        !copied
            .iter()
            .any(|p| single.is_excluded(p) || p.starts_with(&folder))
    });
    let nl = eol(cx.text);
    let mut text = format!("# Not sent to the builder (created by layerwise){nl}");
    for e in entries {
        text.push_str(e);
        text.push_str(nl);
    }
    if runs_git {
        text.push_str(&format!(
            "# .git is sent: a RUN of the Dockerfile runs git{nl}"
        ));
    }
    // `.env` often holds secrets, but an application may read it at run time (Symfony,
    // godotenv): excluding it would change what the image does, so it is only suggested
    if cx.context.exists(".env") == Some(true) && !copied.iter().any(|p| p == ".env") {
        text.push_str(&format!(
            "# .env   (secrets and local settings: exclude it once the application reads its settings from the environment){nl}"
        ));
    }
    // beside other Dockerfiles, a `.dockerignore` would serve them all: each gets its own
    let (title, name) = match own_name(cx) {
        Some(file) => {
            let name = format!("{file}.dockerignore");
            (format!("Create {name}"), name)
        }
        None => (TITLE.to_string(), ".dockerignore".to_string()),
    };
    let mut fix = Fix::unsafe_edit(title, Vec::new());
    fix.creates.push(NewFile {
        path: root.join(name),
        text,
    });
    Some(fix)
}

/// The Dockerfile's file name when other Dockerfiles share its folder: BuildKit reads
/// `<name>.dockerignore` before `.dockerignore`, so the entries this one needs do not apply to
/// the others.
fn own_name(cx: &Analysis<'_>) -> Option<String> {
    let path = cx.path?;
    let file = path.file_name()?.to_str()?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let others = std::fs::read_dir(folder).ok()?.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name != file && is_dockerfile_name(&name) && e.path().is_file()
    });
    others.then(|| file.to_string())
}

/// Context paths that COPY/ADD name explicitly (not the root).
fn copied_paths(cx: &Analysis<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for located in &cx.tree.instructions {
        if !matches!(located.keyword, Keyword::Copy | Keyword::Add)
            || located.flag("from").is_some()
        {
            continue;
        }
        let Args::Copy { sources, .. } = &located.args else {
            continue;
        };
        for s in sources {
            let v = s.value.trim_start_matches("./").trim_end_matches('/');
            if !v.is_empty() && v != "." && !v.contains("://") && !v.starts_with("<<") {
                out.push(v.to_string());
            }
        }
    }
    out
}
