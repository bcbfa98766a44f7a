use super::{declare_rule, Analysis, Diagnostic};
use crate::model::{is_windows_absolute, join_path};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds the first `WORKDIR` of a stage when its path is not absolute after variable
    /// substitution (`/app`, or a Windows drive path such as `C:\app`). A stage built on an
    /// earlier one (`FROM build`) continues that stage: a `WORKDIR` there counts as the first.
    /// Later relative `WORKDIR`s are fine: they resolve against the one before, so fixing the
    /// first fixes them all (BuildKit's `WorkdirRelativePath` reasons the same way).
    ///
    /// A path starting with `~` is reported wherever it is: Docker does not expand `~`, so it
    /// creates a directory literally named `~`.
    ///
    /// ## Why is this bad?
    /// A relative `WORKDIR` is resolved against whatever the base image's working directory
    /// is, so the same Dockerfile puts files in different places on another base image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// ```
    ///
    /// ## Fix safety
    /// The fix writes the path as if the base image's working directory were `/`; the base
    /// image may set another one, so the fix is unsafe. A path built from a variable keeps the
    /// variable (`WORKDIR ${DIR}` becomes `WORKDIR /${DIR}`), so a `--build-arg` still decides it.
    ///
    /// Equivalents: hadolint DL3000, BuildKit `WorkdirRelativePath`.
    pub struct RelativeWorkdir {
        id: "relative-workdir",
        severity: Warning,
        summary: "The first WORKDIR of a stage is a relative path",
        hadolint: ["DL3000"],
        buildkit: ["WorkdirRelativePath"],
        fix: Unsafe,
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
        let span = cx.range_on(i, located.abs(path.span));
        if value.starts_with('~') {
            out.push(Diagnostic::new(
                &META,
                span,
                format!(
                    "Docker does not expand `~`, so `WORKDIR {value}` creates a directory literally named `~` under the current working directory; write the absolute path, such as `/home/<user>{}`",
                    value.trim_start_matches('~')
                ),
            ));
            continue;
        }
        if workdir_set_before(cx, i) {
            continue;
        }
        // no WORKDIR before this one: `/` is our assumption, not a WORKDIR the file set, and the
        // base image may have its own, so the rewrite needs a look
        let absolute = join_path(&cx.model.workdir[i], &value);
        let raw = located.abs(path.span).of(cx.text);
        let fix = if raw.contains('$') {
            // a variable's value comes from the build: keep the reference, and make whatever
            // it holds absolute (`/${DIR}`; an absolute value gives `//path`, the same folder)
            // inside a leading quote: `"/${DIR}/x"`
            let quoted = usize::from(raw.starts_with(['"', '\'']));
            let at = located.abs(path.span).start + quoted;
            crate::rules::Fix::unsafe_edit(
                format!("Make it absolute: `{}/{}`", &raw[..quoted], &raw[quoted..]),
                vec![crate::rules::Edit {
                    span: crate::syntax::Span::new(at, at),
                    text: "/".into(),
                }],
            )
        } else {
            crate::rules::Fix::unsafe_edit(
                format!("Use the absolute path `{absolute}`"),
                vec![crate::rules::Edit {
                    span: located.abs(path.span),
                    text: crate::rules::fixes::word(&absolute),
                }],
            )
        };
        out.push(
            Diagnostic::new(
                &META,
                span,
                format!(
                    "`WORKDIR {value}` is relative, so where it points depends on the working directory of the base image; write the absolute path `{absolute}`"
                ),
            )
            .with_fix(Some(fix)),
        );
    }
}

/// Whether a WORKDIR runs before instruction `i` in its stage or in the stages it is built on.
fn workdir_set_before(cx: &Analysis<'_>, i: usize) -> bool {
    let Some(stage) = cx.model.stage_of.get(i).copied().flatten() else {
        return false;
    };
    let mut end = i;
    cx.model.lineage(stage).any(|st| {
        let upto = end.min(st.body.end);
        end = usize::MAX;
        cx.model
            .body(cx.tree, st.index)
            .take_while(|&(j, _)| j < upto)
            .any(|(_, l)| l.keyword == Keyword::Workdir)
    })
}

#[cfg(test)]
mod tests {
    use crate::model::context::NoContext;
    use crate::rules::{check, Config};

    /// `text` with the relative-workdir fix applied.
    fn fixed(text: &str) -> String {
        let tree = crate::syntax::parse(text);
        let fix = check(text, &tree, &NoContext, None, &Config::default())
            .into_iter()
            .find(|d| d.rule == "relative-workdir")
            .and_then(|d| d.fix)
            .unwrap_or_else(|| panic!("no fix: {text}"));
        crate::fix::apply_edits(text, &fix.edits).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn a_build_arg_stays_a_reference() {
        let base = "FROM python:3.12-slim\nARG DIR=srv/app\n";
        for (workdir, expected) in [
            ("WORKDIR ${DIR}", "WORKDIR /${DIR}"),
            ("WORKDIR $DIR/x", "WORKDIR /$DIR/x"),
            ("WORKDIR \"${DIR}/x\"", "WORKDIR \"/${DIR}/x\""),
            ("WORKDIR srv/app", "WORKDIR /srv/app"),
        ] {
            assert_eq!(
                fixed(&format!("{base}{workdir}\n")),
                format!("{base}{expected}\n")
            );
        }
    }
}
