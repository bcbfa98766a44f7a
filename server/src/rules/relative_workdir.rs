use super::{declare_rule, Analysis, Diagnostic};
use crate::model::{is_windows_absolute, join_path};
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
        let base = &cx.model.workdir[i];
        let mut fix = None;
        let message = if value.starts_with('~') {
            format!(
                "Docker does not expand `~`, so `WORKDIR {value}` creates a directory literally named `~` under the current working directory; write the absolute path, such as `/home/<user>{}`",
                value.trim_start_matches('~')
            )
        } else if base.contains(['$', '~']) {
            format!(
                "`WORKDIR {value}` is relative, so where it points depends on the working directory the base image or an earlier WORKDIR left; write the absolute path"
            )
        } else {
            let absolute = join_path(base, &value);
            // `/` as the base is our assumption, not a WORKDIR the file set: the base image may
            // have its own, so the rewrite needs a look
            let title = format!("Use the absolute path `{absolute}`");
            let edits = vec![crate::rules::Edit {
                span: located.abs(path.span),
                text: crate::rules::fixes::word(&absolute),
            }];
            fix = Some(if &**base == "/" {
                crate::rules::Fix::unsafe_edit(title, edits)
            } else {
                crate::rules::Fix::safe(title, edits)
            });
            format!(
                "`WORKDIR {value}` is relative, so where it points depends on the working directory the base image or an earlier WORKDIR left; write the absolute path `{absolute}`"
            )
        };
        out.push(
            Diagnostic::new(&META, cx.range_on(i, located.abs(path.span)), message).with_fix(fix),
        );
    }
}
