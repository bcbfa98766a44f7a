//! What hover says about the language under the cursor, beside the findings and the stage
//! summary `lsp/hover.rs` shows: a flag's documentation, a `--mount` key's, a parser
//! directive's, and for a name, where it is declared and its value (a variable) or its base
//! image (a stage). Predefined build arguments get their documentation.

use super::names::{self, declared_value, NameIndex, Symbol};
use super::reference;
use super::{effective, instruction_at};
use crate::syntax::instruction::Args;
use crate::syntax::{Span, SyntaxTree};

/// The markdown about the thing at `offset` and the bytes it is about.
#[must_use]
pub fn describe(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    offset: usize,
) -> Option<(Span, String)> {
    let offset = super::floor_boundary(text, offset);
    for directive in &tree.split.directives {
        if directive.name_span.start <= offset && offset <= directive.name_span.end {
            let (_, doc, _) = reference::DIRECTIVES
                .iter()
                .find(|(name, _, _)| *name == directive.name)?;
            return Some((
                directive.name_span,
                format!("`# {}=`: {doc}", directive.name),
            ));
        }
    }
    if let Some(found) = names::at(index.occurrences(), offset) {
        return Some((found.span, name(tree, found.symbol)));
    }
    let i = instruction_at(tree, offset)?;
    let located = &tree.instructions[i];
    let instr = effective(located);
    for flag in &instr.flags {
        let span = located.abs(flag.span);
        if !(span.start <= offset && offset <= span.end) {
            continue;
        }
        let name_span = Span::new(span.start, (span.start + 2 + flag.name.len()).min(span.end));
        if offset <= name_span.end {
            let doc = reference::flag_doc(instr.keyword, &flag.name)?;
            return Some((name_span, format!("`--{}`: {}", doc.name, doc.summary)));
        }
        if flag.name == "mount" {
            let value = flag.value_span.map(|v| located.abs(v))?;
            let mut at = value.start;
            for part in value.of(text).split(',') {
                let key = part.split('=').next().unwrap_or("");
                let key_span = Span::new(at, at + key.len());
                if key_span.start <= offset && offset <= key_span.end {
                    let doc = reference::mount_key_doc(key.trim());
                    return (!doc.is_empty())
                        .then(|| (key_span, format!("`{}` (mount key): {doc}", key.trim())));
                }
                at += part.len() + 1;
            }
        }
        break;
    }
    // a predefined argument that no ARG of the file declares
    // (name characters are ASCII, so the byte after a non-name ASCII character is a boundary;
    // a non-ASCII character is skipped whole)
    let start = text[..offset]
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(at, c)| at + c.len_utf8());
    let end = text[offset..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(text.len(), |at| offset + at);
    let word = &text[start..end];
    let after_dollar = text[..start].ends_with('$') || text[..start].ends_with("${");
    if after_dollar || matches!(located.args, Args::KeyValues(_)) {
        if let Some(arg) = reference::PREDEFINED_ARGS.iter().find(|a| a.name == word) {
            return Some((
                Span::new(start, end),
                format!(
                    "`{}` (predefined build argument): {}",
                    arg.name, arg.summary
                ),
            ));
        }
    }
    None
}

/// What hover says about a stage or a variable.
fn name(tree: &SyntaxTree, symbol: Symbol) -> String {
    match symbol {
        Symbol::Stage { from } => {
            let located = &tree.instructions[from];
            let image = match &located.args {
                Args::From { image, .. } => image.value.as_str(),
                _ => "",
            };
            let alias = match &located.args {
                Args::From { alias: Some(a), .. } => a.value.as_str(),
                _ => "",
            };
            format!(
                "Stage `{alias}`, declared on line {}: `FROM {image}`",
                located.line + 1
            )
        }
        Symbol::Variable(decl) => {
            let located = &tree.instructions[decl.instruction];
            let key = names::declared_name(tree, decl).unwrap_or("");
            let value = match declared_value(tree, decl) {
                Some(value) => format!("`{key}={value}`"),
                None => format!("`{key}` (no default: set with `--build-arg {key}=...`)"),
            };
            format!(
                "{value}, declared by the {} on line {}",
                located.keyword.name(),
                located.line + 1
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use crate::syntax::parse;

    fn check(fixture: &str, expected: Option<(&str, &str)>) {
        let offset = fixture.find('┃').unwrap_or(0);
        let text = fixture.replacen('┃', "", 1);
        let tree = parse(&text);
        let found = describe(
            &tree,
            &crate::ide::names::NameIndex::build(&tree, &text),
            &text,
            offset,
        );
        match expected {
            None => assert_eq!(found, None, "{fixture}"),
            Some((under, part)) => {
                let (span, doc) = found.unwrap_or_else(|| panic!("nothing for {fixture}"));
                assert_eq!(span.of(&text), under, "{fixture}");
                assert!(doc.contains(part), "{doc}");
            }
        }
    }

    #[test]
    fn flags_keys_names_and_directives() {
        check(
            "FROM a\nCOPY --li┃nk x y",
            Some(("--link", "independent layer")),
        );
        check(
            "FROM a\nRUN --mount=type=cache,sha┃ring=locked x",
            Some(("sharing", "concurrent builds")),
        );
        check(
            "ARG V=1\nFROM a\nARG V\nRUN echo $┃V",
            Some(("V", "`V=1`, declared by the ARG on line 1")),
        );
        check(
            "FROM debian AS base\nFROM ba┃se",
            Some(("base", "`FROM debian`")),
        );
        check(
            "# sy┃ntax=docker/dockerfile:1\nFROM a",
            Some(("syntax", "frontend")),
        );
        check(
            "FROM --platform=$BUILD┃PLATFORM a",
            Some(("BUILDPLATFORM", "predefined build argument")),
        );
        check("FROM a\nRUN echo hi┃", None);
    }
}
