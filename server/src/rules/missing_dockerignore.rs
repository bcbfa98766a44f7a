use super::{declare_rule, Analysis, Diagnostic};
use crate::model::is_broad_copy;

declare_rule! {
    /// ## What it does
    /// Reports, once per file at the first broad `COPY`/`ADD` of the build context, that the
    /// context has neither a `.dockerignore` nor a `<dockerfile-name>.dockerignore` (the
    /// per-Dockerfile ignore file BuildKit uses). When the context is on disk, the message names
    /// what would be sent that should not be: `.git` (with its size), `node_modules`, `.venv`,
    /// `__pycache__`, `target`...
    ///
    /// `ONBUILD COPY .` copies the child build's context, not this folder's, so it does not
    /// count. Unsaved files (no folder on disk) are not checked.
    ///
    /// ## Why is this bad?
    /// Everything in the folder is sent to the builder on every build and copied into the
    /// image: version-control history, local virtualenvs and dependencies, build output, and
    /// secrets such as `.env`. It also makes the broad COPY's cache key change whenever any of
    /// them changes.
    ///
    /// ## Example
    /// A project with `.git/` and `node_modules/` and this Dockerfile, without `.dockerignore`:
    /// ```dockerfile
    /// COPY . .
    /// ```
    ///
    /// Use instead: add a `.dockerignore` next to it:
    /// ```text
    /// .git
    /// node_modules
    /// ```
    ///
    /// ## Fix safety
    /// The fix creates the file from what the context holds and what the Dockerfile installs,
    /// never excluding a path it copies by name; unsafe because a build step may need an
    /// excluded file (`git describe` reads `.git`). When other Dockerfiles share the folder it
    /// creates `<dockerfile-name>.dockerignore`, which applies to this Dockerfile only.
    pub struct MissingDockerignore {
        id: "missing-dockerignore",
        severity: Warning,
        summary: "COPY of the whole context with no .dockerignore",
        hadolint: [],
        buildkit: [],
        fix: Unsafe,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    if cx.context.has_dockerignore() != Some(false) {
        return;
    }
    let Some(i) = cx.tree.instructions.iter().position(|l| is_broad_copy(l)) else {
        return;
    };
    let notable = cx.context.notable_entries();
    let sent = if notable.is_empty() {
        "everything in the folder".to_string()
    } else {
        let list = notable
            .iter()
            .map(|e| match e.bytes {
                Some(b) if b >= 1024 * 1024 => format!("`{}` ({})", e.name, human(b)),
                _ => format!("`{}`", e.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!("the whole folder, including {list},")
    };
    let name = cx.path.and_then(|p| p.file_name()).map_or_else(
        || "Dockerfile".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    out.push(Diagnostic::new(
        &META,
        cx.head_span(i),
        format!(
            "there is no .dockerignore, so this copy sends {sent} to the builder and into the image; add a .dockerignore (or {name}.dockerignore) that excludes what the image does not need"
        ),
    ).with_fix(crate::rules::fixes::dockerignore::build(cx)));
}

#[allow(clippy::cast_precision_loss)]
fn human(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.0} MB")
    }
}
