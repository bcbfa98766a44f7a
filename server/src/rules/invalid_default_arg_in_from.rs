use super::syntax::PLATFORM_VARIABLES;
use super::vars::references;
use super::{declare_rule, Analysis, Diagnostic};
use crate::model::expand::expand;
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Expands each `FROM` image with the defaults of the global `ARG`s, as a build without
    /// `--build-arg` does, and reports an image reference that is then empty or malformed:
    /// `ARG TAG` (no default) with `FROM busybox:${TAG}` gives `busybox:`. Platform variables
    /// count as set (BuildKit always sets them); a variable no `ARG` declares is
    /// `undefined-arg-in-from`'s finding, not this rule's. A default that names other global
    /// `ARG`s (`ARG BASE="$DISTRO:$RELEASE"`) is expanded with their defaults.
    ///
    /// ## Why is this bad?
    /// The file only builds when someone passes the right `--build-arg`; a plain
    /// `docker build .`, an editor or a CI job that does not know the convention fails on it.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG PYTHON_VERSION
    /// FROM python:${PYTHON_VERSION}-slim
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// ARG PYTHON_VERSION=3.12
    /// FROM python:${PYTHON_VERSION}-slim
    /// ```
    ///
    /// No fix: the default is yours to choose.
    ///
    /// Equivalents: BuildKit `InvalidDefaultArgInFrom`.
    pub struct InvalidDefaultArgInFrom {
        id: "invalid-default-arg-in-from",
        severity: Warning,
        summary: "A FROM image that is invalid when the global ARGs keep their defaults",
        hadolint: [],
        buildkit: ["InvalidDefaultArgInFrom"],
    }
}

/// A value a platform variable may take, to judge the reference it is part of.
fn platform_value(name: &str) -> &'static str {
    match name {
        "BUILDPLATFORM" | "TARGETPLATFORM" => "linux/amd64",
        "BUILDOS" | "TARGETOS" => "linux",
        "BUILDARCH" | "TARGETARCH" => "amd64",
        _ => "",
    }
}

/// The value a global ARG has with the defaults: a default that names other global ARGs
/// (`ARG TARGET="$SUITE-$VARIANT"`) is expanded with theirs, as BuildKit does (a few levels
/// deep, so that a cycle ends).
fn global_value(cx: &Analysis<'_>, name: &str, depth: usize) -> String {
    match cx.model.global_args.get(name) {
        Some(Some(default)) if depth < 4 => {
            let inner = |n: &str| Some(global_value(cx, n, depth + 1));
            expand(default, cx.model.escape, &inner).unwrap_or_else(|| default.clone())
        }
        Some(Some(default)) => default.clone(),
        Some(None) => String::new(),
        None => platform_value(name).to_string(),
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in &cx.model.stages {
        let located = cx.instr(stage.from);
        if located.keyword != Keyword::From || !located.errors.is_empty() {
            continue;
        }
        let Args::From { image, .. } = &located.args else {
            continue;
        };
        let raw = located.abs(image.span).of(cx.text);
        let refs = references(raw, cx.model.escape);
        if refs.is_empty() {
            continue;
        }
        // every variable declared: otherwise `undefined-arg-in-from` says what is wrong
        let declared = |n: &str| {
            cx.model.global_args.contains_key(n)
                || PLATFORM_VARIABLES.contains(&n)
                || n.starts_with("BUILDKIT_")
        };
        if !refs.iter().all(|r| declared(&r.name)) {
            continue;
        }
        let lookup = |name: &str| Some(global_value(cx, name, 0));
        let Some(value) = expand(&image.value, cx.model.escape, &lookup) else {
            continue;
        };
        // a stage name is fine whatever it looks like
        let lower = value.to_ascii_lowercase();
        if cx.model.stages[..stage.index]
            .iter()
            .any(|s| s.alias.as_deref() == Some(lower.as_str()))
        {
            continue;
        }
        let Some(problem) = reference_problem(&value) else {
            continue;
        };
        let unset: Vec<String> = refs
            .iter()
            .filter(|r| matches!(cx.model.global_args.get(&r.name), Some(None)))
            .map(|r| format!("`{}`", r.name))
            .collect();
        let which = if unset.is_empty() {
            "with the global ARGs' defaults".to_string()
        } else {
            format!("when {} has no value", unset.join(", "))
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(stage.from, located.abs(image.span)),
            format!(
                "{which} the image is `{value}`, {problem}, so the build fails without `--build-arg`; give the ARG a default that makes a valid image"
            ),
        ));
    }
}

/// Why `r` is not a valid image reference, if it is not.
fn reference_problem(r: &str) -> Option<&'static str> {
    if r.is_empty() {
        return Some("an empty name");
    }
    let (rest, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty()
                && alg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+._-".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return Some("whose digest is malformed");
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |k| k + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(k) => (&rest[..last_slash + k], Some(&rest[last_slash + k + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return Some(if tag.is_empty() {
                "whose tag is empty"
            } else {
                "whose tag is malformed"
            });
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    // a registry host (`registry.example.com:5000`, `localhost`) may have dots, a port, capitals
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        parts.remove(0);
    }
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.starts_with(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
            && c.ends_with(|x: char| x.is_ascii_lowercase() || x.is_ascii_digit())
            && c.chars()
                .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || "._-".contains(x))
    };
    if !parts.iter().all(|c| component_ok(c)) {
        return Some(
            if name.is_empty() || name.ends_with('/') || name.contains("//") {
                "whose name has an empty part"
            } else {
                "which is not a valid image name"
            },
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::reference_problem;

    #[test]
    fn references() {
        for ok in [
            "busybox",
            "busybox:stable",
            "python:3.12-slim",
            "ghcr.io/owner/app:1.0",
            "localhost:5000/app",
            "mcr.microsoft.com/dotnet/sdk:8.0",
            "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(reference_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "busybox:",
            "python:-slim",
            "/app",
            "Python:3",
            "app:a b",
        ] {
            assert!(reference_problem(bad).is_some(), "{bad}");
        }
    }
}
