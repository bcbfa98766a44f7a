use super::{declare_rule, Analysis, Diagnostic};
use crate::model::is_windows_absolute;
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `WORKDIR` paths that are not absolute after variable substitution (`/app`, or a
    /// Windows drive path such as `C:\app`). `~` is not expanded by Docker.
    ///
    /// ## Why is this bad?
    /// A relative `WORKDIR` is resolved against whatever the base image's working directory
    /// is, so the same Dockerfile puts files in different places on another base image.
    ///
    /// ## Example
    /// ```dockerfile
    /// WORKDIR app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// WORKDIR /app
    /// ```
    ///
    /// Equivalents: hadolint DL3000, BuildKit `WorkdirRelativePath`.
    pub struct RelativeWorkdir {
        id: "relative-workdir",
        severity: Warning,
        summary: "WORKDIR with a relative path",
        hadolint: ["DL3000"],
        buildkit: ["WorkdirRelativePath"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Workdir {
            continue;
        }
        let Args::Text(path) = &located.args else {
            continue;
        };
        let Some(value) = cx.model.expand_at(cx.tree, i, &path.value) else {
            continue;
        };
        if value.starts_with('/') || is_windows_absolute(&value) || value.starts_with('\\') {
            continue;
        }
        let absolute = crate::model::join_path(&cx.model.workdir[i], &value);
        out.push(Diagnostic::new(
            &META,
            located.abs(path.span),
            format!(
                "`WORKDIR {value}` is relative, so it depends on the base image's working directory; write the absolute path (`WORKDIR {absolute}`)"
            ),
        ));
    }
}
