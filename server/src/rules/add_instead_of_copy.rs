use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Instruction, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `ADD` instructions whose sources are all local files or folders and none is a tar
    /// archive, after substituting known `ARG`/`ENV` values (`ADD ${JAR_FILE} app.jar`). `ADD`
    /// of a URL, a git repository or a local archive (which it extracts) is fine.
    ///
    /// ## Why is this bad?
    /// `ADD` has surprising extra behaviour (auto-extraction, remote fetches); `COPY` says what
    /// it does and nothing more.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD . /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// COPY . /app
    /// ```
    ///
    /// ## Fix safety
    /// Replacing `ADD` with `COPY` is safe when the sources are written out. When one comes
    /// from a variable, the finding judges it by its value in the file, but a `--build-arg`
    /// may turn it into a URL or an archive; no fix is offered then.
    ///
    /// Equivalent: hadolint DL3020.
    pub struct AddInsteadOfCopy {
        id: "add-instead-of-copy",
        severity: Warning,
        summary: "ADD of local files where COPY does the same",
        hadolint: ["DL3020"],
        buildkit: [],
        fix: Safe,
    }
}

const ARCHIVES: &[&str] = &[
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tbz2",
    ".tar.xz",
    ".txz",
    ".tar.zst",
    ".tzst",
    ".tar.lz",
    ".tar.lzma",
];

fn is_local_plain(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    !(lower.contains("://")
        || lower.starts_with("git@")
        || lower.ends_with(".git")
        || lower.contains(".git#")
        || source.contains('$')
        || ARCHIVES.iter().any(|ext| lower.ends_with(ext)))
}

/// An `ADD` whose sources (after substituting known variables) are all plain local files.
/// Variables are expanded as instruction `at` sees them; `None` (an ONBUILD trigger, whose
/// variables are the child build's) leaves them unknown.
fn local_add(cx: &Analysis<'_>, instr: &Instruction, at: Option<usize>) -> bool {
    if instr.keyword != Keyword::Add
        || instr.flag("checksum").is_some()
        || instr.flag("keep-git-dir").is_some()
    {
        return false;
    }
    let Args::Copy { sources, .. } = &instr.args else {
        return false;
    };
    sources.iter().all(|s| {
        if s.value.contains('$') {
            at.and_then(|i| cx.model.expand_at(cx.tree, i, &s.value))
                .is_some_and(|v| is_local_plain(&v))
        } else {
            is_local_plain(&s.value)
        }
    })
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        let (inner, at) = match &located.args {
            Args::Onbuild(inner) => (inner.as_ref(), None),
            _ => (&*located.parsed, Some(i)),
        };
        if !local_add(cx, inner, at) {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            located.abs(inner.keyword_span),
            "ADD of local files does what COPY does plus implicit archive extraction and URL fetching; use COPY so the instruction does only what it says",
        ).with_fix(to_copy(located, inner)));
    }
}

/// `ADD` -> `COPY` in the keyword's own case, when every flag is one COPY accepts and no source
/// holds a variable: the finding judges a variable by its default, but `--build-arg` may make it
/// a URL or an archive, which `ADD` fetches or extracts and `COPY` would not.
fn to_copy(located: &crate::syntax::Located, inner: &Instruction) -> Option<crate::rules::Fix> {
    if inner
        .flags
        .iter()
        .any(|f| !Keyword::Copy.flags().contains(&f.name.as_str()))
    {
        return None;
    }
    if let Args::Copy { sources, .. } = &inner.args {
        if sources.iter().any(|s| s.value.contains('$')) {
            return None;
        }
    }
    let copy = if inner.keyword_text.chars().all(|c| c.is_ascii_lowercase()) {
        "copy"
    } else {
        "COPY"
    };
    Some(crate::rules::Fix::safe(
        "Use COPY",
        vec![crate::rules::Edit {
            span: located.abs(inner.keyword_span),
            text: copy.to_string(),
        }],
    ))
}

#[cfg(test)]
mod tests {
    use crate::model::context::NoContext;
    use crate::rules::{check, Config};

    /// Whether the add-instead-of-copy finding of `text` has a fix.
    fn has_fix(text: &str) -> bool {
        let tree = crate::syntax::parse(text);
        check(text, &tree, &NoContext, None, &Config::default())
            .into_iter()
            .find(|d| d.rule == "add-instead-of-copy")
            .unwrap_or_else(|| panic!("no finding: {text}"))
            .fix
            .is_some()
    }

    #[test]
    fn a_source_from_a_build_arg_gets_no_fix() {
        assert!(has_fix("FROM alpine:3.20\nADD app.py /app/\n"));
        // `--build-arg PKG=https://...` or `PKG=app.tar.gz` would make ADD fetch or extract
        assert!(!has_fix(
            "FROM alpine:3.20\nARG PKG=app.py\nADD $PKG /app/\n"
        ));
        assert!(!has_fix(
            "FROM alpine:3.20\nARG PKG=app.py\nADD ${PKG} ./lib/ /app/\n"
        ));
    }
}
