//! Suggestions for syntax errors, offered as quick fixes the user picks (never applied by
//! fix-all: only the user knows what was meant):
//! - an unknown instruction close to a known one (`RUNN`, `COPPY`, `form`): the known one;
//! - an unknown flag close to one the instruction takes (`--form`, `--chmown`), or one of them
//!   written in another case (`--From`: BuildKit's flags are case-sensitive).
//!
//! "Close" is an edit distance of at most 2 (1 for words of three letters or fewer), the same
//! bound the syntax error's "did you mean" uses.

use super::{effective, instruction_at};
use crate::syntax::instruction::{edit_distance, Keyword};
use crate::syntax::{Span, SyntaxTree};

/// One suggested replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub title: String,
    pub span: Span,
    pub text: String,
}

/// The suggestions for the syntax error `message` reported at `at`.
#[must_use]
pub fn for_syntax_error(
    tree: &SyntaxTree,
    text: &str,
    at: usize,
    message: &str,
) -> Vec<Suggestion> {
    let Some(i) = instruction_at(tree, at) else {
        return Vec::new();
    };
    let located = &tree.instructions[i];
    let mut out = Vec::new();
    if message.starts_with("unknown instruction") && located.keyword == Keyword::Unknown {
        let span = located.keyword_span();
        let word = span.of(text);
        if let Some(known) = closest(
            word,
            Keyword::ALL
                .into_iter()
                .filter(|k| *k != Keyword::Unknown)
                .map(Keyword::name),
        ) {
            out.push(Suggestion {
                title: format!("Change `{word}` to `{known}`"),
                span,
                text: known.to_string(),
            });
        }
    }
    if let Some(name) = message
        .strip_prefix("unknown flag `--")
        .and_then(|rest| rest.split('`').next())
    {
        let instr = effective(located);
        for flag in instr.flags.iter().filter(|f| f.name == name) {
            let span = located.abs(flag.span);
            let name_span = Span::new(span.start + 2, span.start + 2 + name.len());
            if name_span.of(text) != name {
                continue;
            }
            let known = instr.keyword.flags().iter().copied();
            if let Some(better) = closest(name, known) {
                out.push(Suggestion {
                    title: format!("Change `--{name}` to `--{better}`"),
                    span: name_span,
                    text: better.to_string(),
                });
            }
        }
    }
    out
}

/// The candidate `word` most likely meant (case ignored), when one is close enough.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    if word.is_empty() || word.len() > 32 {
        return None;
    }
    let upper = word.to_ascii_uppercase();
    let bound = if word.chars().count() <= 3 { 1 } else { 2 };
    candidates
        .map(|c| (edit_distance(&c.to_ascii_uppercase(), &upper), c))
        .filter(|(d, _)| *d <= bound)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::for_syntax_error;
    use crate::syntax::parse;

    /// The text after each suggestion for the first syntax error of `text`.
    fn fixed(text: &str) -> Vec<String> {
        let tree = parse(text);
        let Some(error) = tree.errors().next() else {
            return Vec::new();
        };
        for_syntax_error(&tree, text, error.span.start, &error.message)
            .into_iter()
            .map(|s| {
                let mut out = text.to_string();
                out.replace_range(s.span.start..s.span.end, &s.text);
                out
            })
            .collect()
    }

    #[test]
    fn misspelt_instructions_and_flags() {
        assert_eq!(fixed("FROM a\nRUNN x\n"), ["FROM a\nRUN x\n"]);
        assert_eq!(fixed("FROM a\ncopyy a b\n"), ["FROM a\nCOPY a b\n"]);
        assert_eq!(
            fixed("FROM a\nCOPY --form=b /a /b\n"),
            ["FROM a\nCOPY --from=b /a /b\n"]
        );
        assert_eq!(
            fixed("FROM a\nCOPY --link --From=b /a /b\n"),
            ["FROM a\nCOPY --link --from=b /a /b\n"]
        );
        assert_eq!(
            fixed("FROM a\nONBUILD RUN --mout=type=cache,target=/c x\n"),
            ["FROM a\nONBUILD RUN --mount=type=cache,target=/c x\n"]
        );
        // nothing close: no guess
        assert!(fixed("FROM a\nBANANA x\n").is_empty());
        assert!(fixed("FROM a\nCOPY --zzzzz /a /b\n").is_empty());
        assert!(fixed("FROM a\nXY x\n").is_empty());
    }
}
