use super::suppress::CheckDirective;
use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Runs only when the file asks for BuildKit's experimental checks with
    /// `# check=experimental=InvalidDefinitionDescription` (or `experimental=all`), as
    /// BuildKit does. Then it finds a comment directly above a named `FROM ... AS name` or an
    /// `ARG` (no blank line between) whose last line, the one right above the instruction,
    /// does not start with that name (or one of the names the `ARG` declares).
    ///
    /// ## Why is this bad?
    /// `docker build --call=outline` and `--call=targets` show a comment directly above a
    /// stage or build argument as its description when the comment starts with its name
    /// (`# builder compiles the binaries`). A comment there that is not such a description
    /// is either shown wrongly or hides the lack of one.
    ///
    /// ## Example
    /// ```dockerfile
    /// # check=experimental=InvalidDefinitionDescription
    /// # compile everything
    /// FROM golang:1.22 AS builder
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// # check=experimental=InvalidDefinitionDescription
    /// # builder compiles everything
    /// FROM golang:1.22 AS builder
    /// ```
    ///
    /// or leave a blank line between a comment that is no description and the instruction.
    /// No fix: only you can write the description.
    ///
    /// Equivalents: BuildKit `InvalidDefinitionDescription`.
    pub struct InvalidDefinitionDescription {
        id: "invalid-definition-description",
        severity: Info,
        summary: "A comment above a stage or ARG that is not a description starting with its name (opt-in)",
        hadolint: [],
        buildkit: ["InvalidDefinitionDescription"],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    if !CheckDirective::of(cx).experimental("InvalidDefinitionDescription") {
        return;
    }
    let comments = &cx.tree.split.comments;
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        let names: Vec<&str> = match (&located.keyword, &located.args) {
            (Keyword::From, Args::From { alias: Some(a), .. }) => vec![a.value.as_str()],
            (Keyword::Arg, Args::KeyValues(kvs)) => kvs.iter().map(|kv| kv.key.as_str()).collect(),
            _ => continue,
        };
        let Some(name) = names.first() else {
            continue;
        };
        // the comment lines directly above, without a blank line in between
        let mut block: Vec<Span> = Vec::new();
        let mut line = located.line;
        let after = comments.partition_point(|c| c.span.start < located.offset);
        for c in comments[..after].iter().rev() {
            if c.line + 1 != line || (i > 0 && c.span.start < cx.instr(i - 1).span().end) {
                break;
            }
            block.push(c.span);
            line = c.line;
        }
        // BuildKit reads the line right above the instruction (the last of the block)
        let Some(&first) = block.first() else {
            continue;
        };
        let text = first.of(cx.text).trim_start_matches('#').trim_start();
        let word = text.split_whitespace().next().unwrap_or("");
        if names.contains(&word) {
            continue;
        }
        let kind = if located.keyword == Keyword::From {
            "stage"
        } else {
            "build argument"
        };
        out.push(
            Diagnostic::new(
                &META,
                located.keyword_span(),
                format!(
                    "the comment directly above this {kind} is read as its description only when the line right above it starts with its name; write `# {name} <what it is>` there, or leave a blank line between"
                ),
            )
            .related(first, "the comment read as the description"),
        );
    }
}
