//! Document links: each base image to its page on its registry (Docker Hub for official and
//! user images, the registry's own site otherwise) and the `# syntax=` frontend image to its
//! page. No network: the address is made from the reference alone. Images written with a
//! variable, stage names, `scratch` and private hosts (`localhost`, an IP address, a port) get
//! no link.

use super::exact_span;
use crate::syntax::instruction::Args;
use crate::syntax::{Keyword, Span, SyntaxTree};

/// One link: the bytes it covers and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub span: Span,
    pub target: String,
}

/// The links of `tree` (parsed from `text`), in text order.
#[must_use]
pub fn links(tree: &SyntaxTree, text: &str) -> Vec<Link> {
    let mut out = Vec::new();
    if let Some(syntax) = tree.split.directive("syntax") {
        if let Some(target) = registry_page(&syntax.value) {
            out.push(Link {
                span: syntax.value_span,
                target,
            });
        }
    }
    let mut stages: Vec<String> = Vec::new();
    for located in &tree.instructions {
        if located.keyword != Keyword::From {
            continue;
        }
        let Args::From { image, alias } = &located.args else {
            continue;
        };
        let is_stage = stages.iter().any(|s| s.eq_ignore_ascii_case(&image.value));
        if !is_stage {
            if let (Some(target), Some(span)) = (
                registry_page(&image.value),
                exact_span(text, located.abs(image.span), &image.value),
            ) {
                out.push(Link { span, target });
            }
        }
        if let Some(alias) = alias {
            stages.push(alias.value.clone());
        }
    }
    out
}

/// The web page of an image reference (`python:3.12`, `user/app@sha256:...`,
/// `ghcr.io/owner/app:1`), or `None` when there is none to give.
#[must_use]
pub fn registry_page(reference: &str) -> Option<String> {
    if reference.is_empty()
        || reference.contains('$')
        || reference.eq_ignore_ascii_case("scratch")
        || reference.chars().any(char::is_whitespace)
    {
        return None;
    }
    let name = reference.split('@').next().unwrap_or(reference);
    let slash = name.rfind('/').map_or(0, |at| at + 1);
    let name = match name[slash..].rfind(':') {
        Some(colon) => &name[..slash + colon],
        None => name,
    };
    let mut parts: Vec<&str> = name.split('/').collect();
    let host = match parts.first() {
        Some(first)
            if parts.len() > 1
                && (first.contains('.') || first.contains(':') || *first == "localhost") =>
        {
            Some(parts.remove(0).to_ascii_lowercase())
        }
        _ => None,
    };
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let path = parts.join("/").to_ascii_lowercase();
    match host.as_deref() {
        None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => {
            Some(match path.strip_prefix("library/").unwrap_or(&path) {
                official if !official.contains('/') => {
                    format!("https://hub.docker.com/_/{official}")
                }
                other => format!("https://hub.docker.com/r/{other}"),
            })
        }
        Some("quay.io") => Some(format!("https://quay.io/repository/{path}")),
        Some("mcr.microsoft.com") => Some(format!("https://mcr.microsoft.com/artifact/mar/{path}")),
        Some(host)
            if host.contains(':')
                || host == "localhost"
                || host
                    .split('.')
                    .all(|p| p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            None
        }
        Some(host) => Some(format!("https://{host}/{path}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{links, registry_page};
    use crate::syntax::parse;

    #[test]
    fn pages_of_references() {
        let page = |r: &str| registry_page(r);
        assert_eq!(
            page("python:3.12-slim").as_deref(),
            Some("https://hub.docker.com/_/python")
        );
        assert_eq!(
            page("docker.io/library/node@sha256:ab").as_deref(),
            Some("https://hub.docker.com/_/node")
        );
        assert_eq!(
            page("bitnami/redis:7").as_deref(),
            Some("https://hub.docker.com/r/bitnami/redis")
        );
        assert_eq!(
            page("docker/dockerfile:1").as_deref(),
            Some("https://hub.docker.com/r/docker/dockerfile")
        );
        assert_eq!(
            page("ghcr.io/owner/app:1").as_deref(),
            Some("https://ghcr.io/owner/app")
        );
        assert_eq!(
            page("quay.io/org/tool").as_deref(),
            Some("https://quay.io/repository/org/tool")
        );
        assert_eq!(
            page("mcr.microsoft.com/dotnet/sdk:8.0").as_deref(),
            Some("https://mcr.microsoft.com/artifact/mar/dotnet/sdk")
        );
        for none in [
            "scratch",
            "python:${V}",
            "localhost:5000/app",
            "10.0.0.1/app",
            "",
            "a//b",
        ] {
            assert_eq!(page(none), None, "{none}");
        }
    }

    #[test]
    fn base_images_and_the_frontend_are_linked_stages_are_not() {
        let text = "# syntax=docker/dockerfile:1\nFROM golang:1.22 AS build\nFROM build\nFROM \"alpine\"\n";
        let found: Vec<(&str, String)> = links(&parse(text), text)
            .into_iter()
            .map(|l| (l.span.of(text), l.target))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "docker/dockerfile:1",
                    "https://hub.docker.com/r/docker/dockerfile".to_string()
                ),
                ("golang:1.22", "https://hub.docker.com/_/golang".to_string()),
                ("alpine", "https://hub.docker.com/_/alpine".to_string()),
            ]
        );
    }
}
