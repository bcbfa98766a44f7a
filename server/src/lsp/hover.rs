//! Hover: a rule's documentation over its findings, a one-line description over a keyword, and
//! over a `FROM` whether its stage ships and what the built image is for.

use tower_lsp_server::ls_types::{self as ls, Hover, HoverContents, MarkupContent, MarkupKind};

use super::convert;
use super::document::Document;
use crate::rules;
use crate::syntax::{Keyword, Span};
use crate::text::Encoding;

/// The hover at `position`, or `None` when there is nothing to say there.
pub fn hover(doc: &Document, position: ls::Position, enc: Encoding) -> Option<Hover> {
    let at = convert::offset(&doc.text, position, enc);
    let mut sections = Vec::new();
    let mut covered: Option<Span> = None;
    for d in doc
        .diagnostics
        .iter()
        .filter(|d| touches(d.editor_span(), at))
    {
        let Some(meta) = rules::rule(d.rule) else {
            continue;
        };
        sections.push(format!(
            "**{}** ({}): {}\n\n{}",
            meta.id,
            d.severity.as_str(),
            d.message,
            dedent(meta.doc)
        ));
        covered = Some(covered.map_or(d.editor_span(), |c| c.cover(d.editor_span())));
    }
    let instructions = &doc.tree().instructions;
    let keyword = instructions
        .iter()
        .position(|located| touches(located.keyword_span(), at));
    if let Some(k) = keyword {
        let located = &instructions[k];
        if let Some(line) = describe(located.keyword) {
            sections.push(format!("`{}`: {line}", located.keyword.name()));
            covered =
                Some(covered.map_or(located.keyword_span(), |c| c.cover(located.keyword_span())));
        }
    }
    // over a FROM line: what the stage is for
    let from = instructions.iter().position(|located| {
        located.keyword == Keyword::From && {
            let head = located.keyword_span().cover(located.abs(located.args_span));
            touches(head, at) || head.end == at
        }
    });
    if let Some(k) = from {
        if let Some(summary) = doc.stage_summary(k) {
            let located = &instructions[k];
            let head = located.keyword_span().cover(located.abs(located.args_span));
            sections.push(summary);
            covered = Some(covered.map_or(head, |c| c.cover(head)));
        }
    }
    let covered = covered?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(convert::range(&doc.text, covered, enc)),
    })
}

/// Whether `at` is inside `span` (or at an empty span).
fn touches(span: Span, at: usize) -> bool {
    span.contains(at) || span.start == at
}

/// A doc comment's text without the one space `///` leaves at the start of each line.
fn dedent(doc: &str) -> String {
    doc.lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// One line about what an instruction does.
fn describe(keyword: Keyword) -> Option<&'static str> {
    Some(match keyword {
        Keyword::From => "Starts a build stage from a base image (`FROM image [AS name]`).",
        Keyword::Run => "Runs a command in a new layer on top of the current image.",
        Keyword::Cmd => {
            "Sets the default command (or default arguments of the entrypoint) of the container."
        }
        Keyword::Label => "Adds key-value metadata to the image.",
        Keyword::Maintainer => {
            "Sets the image author (deprecated; use `LABEL org.opencontainers.image.authors`)."
        }
        Keyword::Expose => "Documents the ports the container listens on.",
        Keyword::Env => {
            "Sets environment variables for later instructions and the running container."
        }
        Keyword::Add => "Copies files, URLs or archives (extracted) into the image.",
        Keyword::Copy => "Copies files from the build context or another stage into the image.",
        Keyword::Entrypoint => "Sets the executable the container runs.",
        Keyword::Volume => "Declares mount points for external volumes.",
        Keyword::User => "Sets the user (and group) for later instructions and the container.",
        Keyword::Workdir => "Sets the working directory for later instructions and the container.",
        Keyword::Arg => "Declares a build argument, set with `--build-arg`.",
        Keyword::Onbuild => {
            "Registers an instruction to run when the image is used as a base image."
        }
        Keyword::Stopsignal => "Sets the signal that stops the container.",
        Keyword::Healthcheck => "Sets how to check that the container is still working.",
        Keyword::Shell => "Sets the shell used by shell-form instructions.",
        Keyword::Unknown => return None,
    })
}
