//! Selection ranges: from the cursor outwards, the name or word under it, the whole blank-free
//! token, the flag or argument holding it, the instruction's arguments, the instruction, its
//! stage. Each span strictly holds the one before.

use super::{floor_boundary, instruction_at};
use crate::syntax::instruction::Args;
use crate::syntax::{Keyword, Span, SyntaxTree};

/// The spans around `offset`, innermost first.
#[must_use]
pub fn expand(tree: &SyntaxTree, text: &str, offset: usize) -> Vec<Span> {
    let offset = floor_boundary(text, offset);
    let mut spans = Vec::new();
    let word_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    spans.push(around(text, offset, word_char));
    spans.push(around(text, offset, |c| !c.is_whitespace()));
    if let Some(i) = instruction_at(tree, offset) {
        let located = &tree.instructions[i];
        let holds = |s: Span| s.start <= offset && offset <= s.end;
        if let Some(flag) = located
            .flags
            .iter()
            .map(|f| located.abs(f.span))
            .find(|&s| holds(s))
        {
            spans.push(flag);
        }
        let parts: Vec<Span> = match &located.args {
            Args::KeyValues(kvs) => kvs.iter().map(|kv| kv.span).collect(),
            Args::Copy { sources, dest, .. } => {
                sources.iter().chain(Some(dest)).map(|w| w.span).collect()
            }
            Args::Words(words) => words.iter().map(|w| w.span).collect(),
            Args::From { image, alias } => {
                image_and_alias(image.span, alias.as_ref().map(|a| a.span))
            }
            _ => Vec::new(),
        };
        if let Some(part) = parts
            .into_iter()
            .map(|s| located.abs(s))
            .find(|&s| holds(s))
        {
            spans.push(part);
        }
        spans.push(located.abs(located.args_span));
        spans.push(located.span());
        if let Some(from) = tree.instructions[..=i]
            .iter()
            .rposition(|l| l.keyword == Keyword::From)
        {
            let end = tree.instructions[from + 1..]
                .iter()
                .take_while(|l| l.keyword != Keyword::From)
                .last()
                .map_or(tree.instructions[from].span().end, |l| l.span().end);
            spans.push(Span::new(tree.instructions[from].offset, end));
        }
    }
    // keep each span that holds the cursor and grows on the one before
    let mut out: Vec<Span> = Vec::new();
    for span in spans {
        if span.start > offset || span.end < offset {
            continue;
        }
        match out.last() {
            Some(last) if !(span.start <= last.start && last.end <= span.end) || span == *last => {}
            _ => out.push(span),
        }
    }
    out
}

fn image_and_alias(image: Span, alias: Option<Span>) -> Vec<Span> {
    let mut parts = vec![image];
    parts.extend(alias);
    parts
}

/// The run of characters satisfying `keep` around `offset` (on one line).
fn around(text: &str, offset: usize, keep: impl Fn(char) -> bool) -> Span {
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| keep(c))
        .last()
        .map_or(offset, |(at, _)| at);
    let end = text[offset..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(text.len(), |(at, _)| offset + at);
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::expand;
    use crate::syntax::parse;

    fn check(fixture: &str, expected: &[&str]) {
        let offset = fixture.find('┃').unwrap_or(0);
        let text = fixture.replacen('┃', "", 1);
        let found: Vec<&str> = expand(&parse(&text), &text, offset)
            .iter()
            .map(|s| s.of(&text))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn word_flag_instruction_stage() {
        check(
            "FROM a AS b\nCOPY --from=bu┃ild /x /y\nRUN z\nFROM c\n",
            &[
                "build",
                "--from=build",
                "COPY --from=build /x /y",
                "FROM a AS b\nCOPY --from=build /x /y\nRUN z",
            ],
        );
        check(
            "FROM a\nENV K=v┃al O=1\n",
            &[
                "val",
                "K=val",
                "K=val O=1",
                "ENV K=val O=1",
                "FROM a\nENV K=val O=1",
            ],
        );
        check("", &[""]);
    }
}
