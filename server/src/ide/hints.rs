//! Inlay hints: the absolute path a relative `WORKDIR` or `COPY`/`ADD` destination resolves
//! to, and the value a `$NAME` use gets where the file says it (an ARG default, an ENV value,
//! expanded as the model expands them). Unknown values get no hint.

use super::names::{NameIndex, Role, Symbol};
use crate::model::{self, Model};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::{Span, SyntaxTree};

/// How many characters of a value a hint shows.
const MAX_CHARS: usize = 40;

/// One hint: the byte it is shown before and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub at: usize,
    pub label: String,
    pub kind: HintKind,
}

/// What a hint tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintKind {
    /// A resolved path.
    Path,
    /// A variable's value.
    Value,
}

/// The hints of `tree` (parsed from `text`) between bytes `range`, in text order.
#[must_use]
pub fn hints(tree: &SyntaxTree, index: &NameIndex, text: &str, range: Span) -> Vec<Hint> {
    let model = Model::build(tree);
    let mut out = Vec::new();
    let first = tree
        .instructions
        .partition_point(|l| l.span().end < range.start);
    for (i, located) in tree.instructions.iter().enumerate().skip(first) {
        if located.offset > range.end {
            break;
        }
        let Some(workdir) = model.workdir.get(i) else {
            continue;
        };
        let (word, base) = match (&located.keyword, &located.args) {
            (Keyword::Workdir, Args::Text(word)) => (word, workdir.as_ref()),
            (Keyword::Copy | Keyword::Add, Args::Copy { dest, .. }) => (dest, workdir.as_ref()),
            _ => continue,
        };
        let value = model
            .expand_at(tree, i, &word.value)
            .unwrap_or_else(|| word.value.clone());
        if value.is_empty()
            || value.starts_with('/')
            || model::is_windows_absolute(&value)
            || value.contains('$')
        {
            continue;
        }
        let mut resolved = model::join_path(base, &value);
        if value.ends_with('/') && !resolved.ends_with('/') {
            resolved.push('/');
        }
        out.push(Hint {
            at: located.abs(word.span).end,
            label: format!("→ {}", shorten(&resolved)),
            kind: HintKind::Path,
        });
    }
    for occurrence in index.occurrences() {
        if occurrence.role != Role::Use
            || occurrence.span.start < range.start
            || occurrence.span.end > range.end
        {
            continue;
        }
        let Symbol::Variable(_) = occurrence.symbol else {
            continue;
        };
        let i = tree
            .instructions
            .partition_point(|l| l.offset <= occurrence.span.start)
            .saturating_sub(1);
        let name = occurrence.span.of(text);
        let value = if tree
            .instructions
            .get(i)
            .is_some_and(|l| l.keyword == Keyword::From)
            || model.stage_of.get(i).copied().flatten().is_none()
        {
            model.global_args.get(name).cloned().flatten()
        } else {
            model.var_at(tree, i, name)
        };
        let Some(value) = value else { continue };
        // after `${NAME...}` as a whole, after `$NAME` otherwise
        let braced = text[..occurrence.span.start].ends_with('{');
        let at = if braced {
            text[occurrence.span.end..]
                .find(['}', '\n', '\r'])
                .filter(|&k| text[occurrence.span.end + k..].starts_with('}'))
                .map_or(occurrence.span.end, |k| occurrence.span.end + k + 1)
        } else {
            occurrence.span.end
        };
        out.push(Hint {
            at,
            label: format!("= {}", shorten(&value)),
            kind: HintKind::Value,
        });
    }
    out.sort_by_key(|h| h.at);
    out
}

fn shorten(value: &str) -> String {
    if value.chars().count() <= MAX_CHARS {
        return value.to_string();
    }
    let mut short: String = value.chars().take(MAX_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::hints;
    use crate::syntax::{parse, Span};

    fn check(text: &str, expected: &[(&str, &str)]) {
        let tree = parse(text);
        let found: Vec<(&str, String)> = hints(
            &tree,
            &crate::ide::names::NameIndex::build(&tree, text),
            text,
            Span::new(0, text.len()),
        )
        .into_iter()
        .map(|h| (&text[..h.at], h.label))
        .map(|(before, label)| (before.rsplit(['\n', ' ']).next().unwrap_or(""), label))
        .collect();
        let expected: Vec<(&str, String)> =
            expected.iter().map(|&(a, b)| (a, b.to_string())).collect();
        assert_eq!(found, expected, "{text}");
    }

    #[test]
    fn paths_and_values() {
        check(
            "ARG V=3.12\nFROM python:${V}-slim\nWORKDIR /srv\nWORKDIR app\nCOPY req.txt ./deps/\nARG V\nENV D=/data\nRUN echo $D ${V}\nCOPY x /abs\n",
            &[
                ("python:${V}", "= 3.12"),
                ("app", "→ /srv/app"),
                ("./deps/", "→ /srv/app/deps/"),
                ("$D", "= /data"),
                ("${V}", "= 3.12"),
            ],
        );
        check(
            "FROM golang\nWORKDIR src\nRUN echo $UNKNOWN\n",
            &[("src", "→ /go/src")],
        );
    }
}
