//! Semantic tokens: what each piece of an instruction is, for editors to colour.
//!
//! Keywords (instructions, `AS`, a HEALTHCHECK's `CMD`/`NONE`), flags (`--from`), operators
//! (`=` of flags and key-value pairs, heredoc openers and terminators), strings (flag values,
//! the values of ENV/ARG/LABEL pairs, the image of a FROM, the words of an exec-form array),
//! properties (LABEL keys, directive names), comments (comment lines, also inside a
//! continuation), stage names and variables as [`super::names`] resolves them, declarations
//! marked. A variable is not coloured in a quoted heredoc (`<<'EOF'`), where BuildKit does not
//! expand it. Names cut the strings they sit in; tokens never overlap and never cross a line.

use super::names::{NameIndex, Role, Symbol};
use crate::syntax::instruction::{Args, Form, Instruction};
use crate::syntax::{Keyword, Span, SyntaxTree};

/// A token type; [`TokenType::LEGEND`] is the legend the server declares, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenType {
    Keyword,
    Parameter,
    Operator,
    String,
    Property,
    Comment,
    Namespace,
    Variable,
}

impl TokenType {
    /// Every type, in legend order.
    pub const ALL: [TokenType; 8] = [
        Self::Keyword,
        Self::Parameter,
        Self::Operator,
        Self::String,
        Self::Property,
        Self::Comment,
        Self::Namespace,
        Self::Variable,
    ];

    /// The LSP names of [`Self::ALL`].
    pub const LEGEND: [&'static str; 8] = [
        "keyword",
        "parameter",
        "operator",
        "string",
        "property",
        "comment",
        "namespace",
        "variable",
    ];

    /// The index of this type in the legend.
    #[must_use]
    pub fn index(self) -> u32 {
        Self::ALL
            .iter()
            .position(|&t| t == self)
            .map_or(0, |i| i as u32)
    }
}

/// The one modifier: the token declares the name.
pub const DECLARATION: u32 = 1;
/// The modifiers' legend.
pub const MODIFIERS: [&str; 1] = ["declaration"];

/// One token: its bytes (on one line), type and modifier bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub kind: TokenType,
    pub modifiers: u32,
}

/// The tokens of `tree` (parsed from `text`), in text order.
#[must_use]
pub fn tokens(tree: &SyntaxTree, index: &NameIndex, text: &str) -> Vec<Token> {
    let mut base: Vec<Token> = Vec::new();
    let mut add = |span: Span, kind: TokenType| {
        if !span.is_empty() {
            base.push(Token {
                span,
                kind,
                modifiers: 0,
            });
        }
    };
    for directive in &tree.split.directives {
        add(directive.name_span, TokenType::Property);
        add(directive.value_span, TokenType::String);
    }
    for comment in &tree.split.comments {
        add(comment.span, TokenType::Comment);
    }
    let mut quoted_heredocs: Vec<Span> = Vec::new();
    for (i, located) in tree.instructions.iter().enumerate() {
        let base_offset = located.offset;
        let abs = |s: Span| s.shift(base_offset);
        // comment lines inside a continuation: the gaps between the logical line's pieces
        if let Some(raw) = tree.split.instructions.get(i) {
            for pair in raw.segments.windows(2) {
                let gap = Span::new(pair[0].end, pair[1].start);
                let mut at = gap.start;
                for line in gap.of(text).split_inclusive('\n') {
                    let trimmed = line.trim_start();
                    if trimmed.starts_with('#') {
                        let start = at + (line.len() - trimmed.len());
                        let end = at + line.trim_end().len();
                        add(Span::new(start, end), TokenType::Comment);
                    }
                    at += line.len();
                }
            }
        }
        add(located.keyword_span(), TokenType::Keyword);
        let mut instr: &Instruction = located;
        if let Args::Onbuild(inner) = &located.args {
            add(abs(inner.keyword_span), TokenType::Keyword);
            instr = inner;
        }
        for flag in &instr.flags {
            let span = abs(flag.span);
            let name_end = (span.start + 2 + flag.name.len()).min(span.end);
            add(Span::new(span.start, name_end), TokenType::Parameter);
            if let Some(value) = flag.value_span.map(abs) {
                add(Span::new(value.start - 1, value.start), TokenType::Operator);
                add(value, TokenType::String);
            }
        }
        match &instr.args {
            Args::From { image, alias } => {
                add(abs(image.span), TokenType::String);
                if let Some(alias) = alias {
                    let between = Span::new(abs(image.span).end, abs(alias.span).start);
                    let written = between.of(text);
                    if let Some(at) = written.to_ascii_lowercase().find("as") {
                        add(
                            Span::new(between.start + at, between.start + at + 2),
                            TokenType::Keyword,
                        );
                    }
                }
            }
            Args::KeyValues(kvs) => {
                for kv in kvs {
                    let span = abs(kv.span);
                    let key = Span::new(span.start, (span.start + kv.key.len()).min(span.end));
                    if instr.keyword == Keyword::Label {
                        add(key, TokenType::Property);
                    }
                    if let Some(value) = kv.value_span.map(abs) {
                        if value.start > key.end {
                            add(Span::new(key.end, key.end + 1), TokenType::Operator);
                        }
                        add(value, TokenType::String);
                    }
                }
            }
            Args::Healthcheck(form) => {
                let args = abs(instr.args_span);
                let word = args.of(text).split_whitespace().next().unwrap_or("");
                add(
                    Span::new(args.start, args.start + word.len()),
                    TokenType::Keyword,
                );
                if let Some(Form::Exec { words, .. }) = form {
                    for w in words {
                        add(abs(w.span), TokenType::String);
                    }
                }
            }
            Args::Command(Form::Exec { words, .. }) => {
                for w in words {
                    add(abs(w.span), TokenType::String);
                }
            }
            _ => {}
        }
        for heredoc in &instr.heredocs {
            add(abs(heredoc.opener), TokenType::Operator);
            add(abs(heredoc.terminator), TokenType::Operator);
            if heredoc.quoted {
                quoted_heredocs.push(abs(heredoc.body));
            }
        }
    }
    // names cut what they sit in
    let overlay: Vec<Token> = index
        .occurrences()
        .iter()
        .filter(|o| {
            !quoted_heredocs
                .iter()
                .any(|h| h.start <= o.span.start && o.span.end <= h.end)
        })
        .map(|o| Token {
            span: o.span,
            kind: match o.symbol {
                Symbol::Stage { .. } => TokenType::Namespace,
                Symbol::Variable(_) => TokenType::Variable,
            },
            modifiers: if o.role == Role::Declaration {
                DECLARATION
            } else {
                0
            },
        })
        .collect();
    let mut out = Vec::with_capacity(base.len() + overlay.len());
    for token in &base {
        let first = overlay.partition_point(|o| o.span.end <= token.span.start);
        let mut start = token.span.start;
        for name in overlay[first..]
            .iter()
            .take_while(|o| o.span.start < token.span.end)
        {
            if name.span.start > start {
                out.push(Token {
                    span: Span::new(start, name.span.start),
                    ..*token
                });
            }
            start = start.max(name.span.end);
        }
        if token.span.end > start {
            out.push(Token {
                span: Span::new(start, token.span.end),
                ..*token
            });
        }
    }
    out.extend(overlay);
    out.retain(|t| !t.span.is_empty());
    out.sort_by_key(|t| (t.span.start, t.span.end));
    // no overlaps (a later token starting inside an earlier one is cut), one line each
    let mut clean: Vec<Token> = Vec::with_capacity(out.len());
    let mut covered = 0;
    for mut token in out {
        token.span.start = token.span.start.max(covered);
        if token.span.is_empty() {
            continue;
        }
        covered = token.span.end;
        split_lines(text, token, &mut clean);
    }
    clean
}

/// `token` cut at line breaks into `out` (line breaks themselves are no part of a token).
fn split_lines(text: &str, token: Token, out: &mut Vec<Token>) {
    let mut start = token.span.start;
    let piece = token.span.of(text);
    for (at, _) in piece.match_indices(['\n', '\r']) {
        let end = token.span.start + at;
        if end > start {
            out.push(Token {
                span: Span::new(start, end),
                ..token
            });
        }
        start = end + 1;
    }
    if token.span.end > start {
        out.push(Token {
            span: Span::new(start, token.span.end),
            ..token
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{tokens, TokenType, DECLARATION};
    use crate::syntax::parse;

    /// `(text, type, declaration)` of each token.
    fn check(text: &str, expected: &[(&str, TokenType, bool)]) {
        let tree = parse(text);
        let found: Vec<(&str, TokenType, bool)> = tokens(
            &tree,
            &crate::ide::names::NameIndex::build(&tree, text),
            text,
        )
        .iter()
        .map(|t| (t.span.of(text), t.kind, t.modifiers & DECLARATION != 0))
        .collect();
        assert_eq!(found, expected, "{text:?}");
    }

    use TokenType::{
        Comment as C, Keyword as K, Namespace as N, Operator as O, Parameter as P, Property as R,
        String as S, Variable as V,
    };

    #[test]
    fn every_kind_of_token() {
        check(
            "# syntax=docker/dockerfile:1\n# hi\nARG V=1\nFROM a:$V AS b\nLABEL k=\"x\"\nCOPY --from=b /x /y\nCMD [\"run\"]\n",
            &[
                ("syntax", R, false),
                ("docker/dockerfile:1", S, false),
                ("# hi", C, false),
                ("ARG", K, false),
                ("V", V, true),
                ("=", O, false),
                ("1", S, false),
                ("FROM", K, false),
                ("a:$", S, false),
                ("V", V, false),
                ("AS", K, false),
                ("b", N, true),
                ("LABEL", K, false),
                ("k", R, false),
                ("=", O, false),
                ("\"x\"", S, false),
                ("COPY", K, false),
                ("--from", P, false),
                ("=", O, false),
                ("b", N, false),
                ("CMD", K, false),
                ("\"run\"", S, false),
            ],
        );
    }

    #[test]
    fn quoted_heredocs_and_continuation_comments() {
        check(
            "FROM a\nARG X\nCOPY <<'EOF' /f\n$X\nEOF\nRUN a \\\n# note\n  $X\n",
            &[
                ("FROM", K, false),
                ("a", S, false),
                ("ARG", K, false),
                ("X", V, true),
                ("COPY", K, false),
                ("<<'EOF'", O, false),
                ("EOF", O, false),
                ("RUN", K, false),
                ("# note", C, false),
                ("X", V, false),
            ],
        );
    }

    #[test]
    fn tokens_stay_on_one_line_and_do_not_overlap() {
        for text in [
            "FROM a\nLABEL k=\"a \\\n b\"\n",
            "RUN <<EOF\nx\nEOF",
            "FROM",
            "ONBUILD RUN --mount=type=cache,target=/x y",
            "\u{feff}FROM \u{e9}\r\n",
        ] {
            let tree = parse(text);
            let all = tokens(
                &tree,
                &crate::ide::names::NameIndex::build(&tree, text),
                text,
            );
            for pair in all.windows(2) {
                assert!(pair[0].span.end <= pair[1].span.start, "{text:?}: {all:?}");
            }
            for t in &all {
                assert!(!t.span.of(text).contains(['\n', '\r']), "{text:?}: {t:?}");
                assert!(!t.span.is_empty());
            }
        }
    }
}
