use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `COPY --from=STAGE / ...`: a copy of another stage's whole filesystem, in the
    /// stages that ship in the final image. Not a finding when the stage copied from is
    /// `scratch`-based (made to hold only artifacts).
    ///
    /// ## Why is this bad?
    /// It ships everything the other stage holds: its compilers, caches, package manager and
    /// sources, which a multi-stage build exists to leave behind.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY --from=builder / /
    /// ```
    ///
    /// Use instead: copy only the artifacts.
    /// ```dockerfile
    /// COPY --from=builder /out/app /usr/local/bin/app
    /// ```
    ///
    /// ## Fix
    /// None: only the author knows which files the image needs.
    pub struct CopyWholeStage {
        id: "copy-whole-stage",
        severity: Warning,
        summary: "COPY --from=stage / ships the other stage's whole filesystem",
        hadolint: [],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Copy || !cx.shipped(i) {
            continue;
        }
        let Some(from) = located.flag("from").and_then(|f| f.value.as_deref()) else {
            continue;
        };
        let Args::Copy { sources, .. } = &located.args else {
            continue;
        };
        let Some(root) = sources
            .iter()
            .find(|s| matches!(s.value.as_str(), "/" | "/." | "/*" | "/./"))
        else {
            continue;
        };
        let name = from.to_ascii_lowercase();
        let stage = match name.parse::<usize>() {
            Ok(n) => cx.model.stages.get(n),
            Err(_) => cx
                .model
                .stages
                .iter()
                .find(|s| s.alias.as_deref() == Some(name.as_str())),
        };
        // only stages of this file: an image's root is what the author chose to copy
        let Some(stage) = stage else { continue };
        let scratch = cx
            .model
            .lineage(stage.index)
            .last()
            .and_then(|s| s.image.as_ref())
            .is_some_and(|im| im.raw.eq_ignore_ascii_case("scratch"));
        if scratch {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, located.abs(root.span)),
            format!("this copies the whole filesystem of stage `{from}` (its toolchain, caches and sources) into the image; copy only the files the image needs"),
        ));
    }
}
