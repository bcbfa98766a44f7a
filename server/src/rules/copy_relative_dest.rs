use super::{declare_rule, Analysis, Diagnostic};
use crate::model::is_windows_absolute;
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a `COPY` or `ADD` to a relative destination (`COPY . app/`, `COPY . .`) in a
    /// stage where no `WORKDIR` has been set (in the stage or the stages it is built on) and
    /// whose base image is not one whose `WORKDIR` layerwise knows.
    ///
    /// ## Why is this bad?
    /// A relative destination is relative to the `WORKDIR`, which then comes from the base
    /// image: the files land wherever its author chose (often `/`), and move when the base image
    /// changes its `WORKDIR`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM my-registry/base:2
    /// COPY . app/
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM my-registry/base:2
    /// WORKDIR /app
    /// COPY . .
    /// ```
    ///
    /// ## Fix
    /// None: which folder the files belong in is the author's choice.
    ///
    /// Equivalent: hadolint DL3045.
    pub struct CopyRelativeDest {
        id: "copy-relative-dest",
        severity: Info,
        summary: "COPY to a relative destination without a WORKDIR lands where the base image says",
        hadolint: ["DL3045"],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in &cx.model.stages {
        let lineage: Vec<_> = cx.model.lineage(stage.index).collect();
        let Some(root) = lineage.last() else { continue };
        // the base image of the lineage's first stage; its WORKDIR known: the destination is too
        if crate::model::known_base_workdir(root.image.as_ref()).is_some() {
            continue;
        }
        let ancestors_set = lineage[1..].iter().any(|s| {
            s.body
                .clone()
                .any(|j| cx.instr(j).keyword == Keyword::Workdir)
        });
        if ancestors_set {
            continue;
        }
        for i in stage.body.clone() {
            let located = cx.instr(i);
            if located.keyword == Keyword::Workdir {
                break;
            }
            if !matches!(located.keyword, Keyword::Copy | Keyword::Add) {
                continue;
            }
            let Args::Copy { dest, .. } = &located.args else {
                continue;
            };
            let d = dest.value.as_str();
            if d.is_empty()
                || d.starts_with('/')
                || d.starts_with('$')
                || is_windows_absolute(d)
                || d.starts_with('\\')
            {
                continue;
            }
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(dest.span)),
                format!("`{d}` is relative to the base image's WORKDIR, which this file does not set; set `WORKDIR` first or use an absolute destination"),
            ));
        }
    }
}
