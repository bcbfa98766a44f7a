use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a `COPY` or `ADD` source from the build context that the `.dockerignore` (or
    /// the Dockerfile's own `<name>.dockerignore`) excludes: the path itself or a folder
    /// above it matches a pattern, and no later `!` exception brings it back. Sources are
    /// judged after variable substitution; a source with an unknown variable, a wildcard, a
    /// URL, a `--from` stage or image, or a heredoc is not judged, nor is anything without a
    /// build context on disk.
    ///
    /// ## Why is this bad?
    /// Excluded files never reach the builder. A `COPY` of an excluded file fails the build
    /// (`not found`); a `COPY` of an excluded folder copies nothing and the build goes on,
    /// so the image silently lacks what the line says it gets.
    ///
    /// ## Example
    /// With a `.dockerignore` holding `config/`:
    /// ```dockerfile
    /// FROM nginx:1.27-alpine
    /// COPY config/nginx.conf /etc/nginx/nginx.conf
    /// ```
    ///
    /// Use instead: an exception in the `.dockerignore` (`!config/nginx.conf`), or the file
    /// somewhere the `.dockerignore` keeps:
    /// ```dockerfile
    /// FROM nginx:1.27-alpine
    /// COPY deploy/nginx.conf /etc/nginx/nginx.conf
    /// ```
    ///
    /// No fix: whether the file or the pattern is wrong is for you to say.
    ///
    /// Paths are matched as the context sends them, cleaned: `./tmp/a.txt` is `tmp/a.txt`, which
    /// a pattern `*/tmp/*` does not exclude. (BuildKit's check matches the path as written, so
    /// it warns there although the file is sent and the copy works; layerwise does not.) A
    /// folder with an exception inside it (`config/` and `!config/app.yaml`) is not reported:
    /// the copy gets the files the exception keeps.
    ///
    /// Equivalents: BuildKit `CopyIgnoredFile` (experimental in BuildKit; on here, because a
    /// missing file is a failed build or a wrong image).
    pub struct CopyIgnoredFile {
        id: "copy-ignored-file",
        severity: Warning,
        summary: "COPY or ADD of a path the .dockerignore excludes",
        hadolint: [],
        buildkit: ["CopyIgnoredFile"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ignore) = cx.context.dockerignore() else {
        return;
    };
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if !matches!(located.keyword, Keyword::Copy | Keyword::Add)
            || located.flag("from").is_some()
            || !located.heredocs.is_empty()
            || !located.errors.is_empty()
        {
            continue;
        }
        let Args::Copy { sources, .. } = &located.args else {
            continue;
        };
        for source in sources {
            let Some(value) = cx.model.expand_at(cx.tree, i, &source.value) else {
                continue;
            };
            let lower = value.to_ascii_lowercase();
            if value.contains(['*', '?', '[', '\\'])
                || lower.contains("://")
                || lower.starts_with("git@")
            {
                continue;
            }
            let path = value.trim_start_matches('/');
            let cleaned = crate::model::clean(&format!("/{path}"));
            let rel = cleaned.trim_start_matches('/');
            // the context root, or a path that leaves it
            if rel.is_empty() || rel == "." || rel.starts_with("..") {
                continue;
            }
            let Some(rule) = ignore.matching_rule(rel) else {
                continue;
            };
            if rule.is_exception() || brought_back_inside(ignore, rel) {
                continue;
            }
            let pattern = rule.text().to_string();
            let line = rule.line() + 1;
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(source.span)),
                format!(
                    "`{value}` is excluded by the .dockerignore pattern `{pattern}` (line {line}), so it never reaches the builder and this {} fails or copies nothing; add `!{rel}` to the .dockerignore or copy another path",
                    located.keyword.name()
                ),
            ));
        }
    }
}

/// Whether an exception may bring back something inside folder `rel` (`!config/nginx.conf`
/// under an excluded `config/`, or an exception starting with a wildcard): the copy of the
/// folder then gets those files.
fn brought_back_inside(ignore: &crate::model::dockerignore::DockerIgnore, rel: &str) -> bool {
    let prefix = format!("{rel}/");
    ignore.rules().iter().any(|r| {
        r.is_exception()
            && (r.cleaned().starts_with(&prefix) || r.cleaned().starts_with(['*', '?', '[']))
    })
}
