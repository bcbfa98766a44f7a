//! Folding ranges: stages, instructions written over several lines (continuations, heredocs),
//! each further heredoc of an instruction, and blocks of two or more comment lines.
//!
//! Byte spans out: the first byte of the line that stays visible and a byte of the last line
//! folded; the LSP layer keeps only their lines. At most one fold starts on a line (the
//! largest), as clients show one marker per line.

use crate::syntax::{Keyword, Span, SyntaxTree};

/// What a fold holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
}

/// One fold: `span` from its first line to its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub span: Span,
    /// 0-based first and last line.
    pub lines: (u32, u32),
    pub kind: FoldKind,
}

/// The folds of `tree` (parsed from `text`), ordered by first line.
#[must_use]
pub fn folds(tree: &SyntaxTree, text: &str) -> Vec<Fold> {
    let lines = LineCounter::new(text);
    let mut out: Vec<Fold> = Vec::new();
    let push = |span: Span, kind: FoldKind, out: &mut Vec<Fold>| {
        let (first, last) = (lines.line(span.start), lines.line(span.end));
        if last > first {
            out.push(Fold {
                span,
                lines: (first, last),
                kind,
            });
        }
    };
    let instructions = &tree.instructions;
    for (i, located) in instructions.iter().enumerate() {
        let span = located.span();
        push(span, FoldKind::Region, &mut out);
        if located.keyword == Keyword::From {
            let end = instructions[i + 1..]
                .iter()
                .take_while(|l| l.keyword != Keyword::From)
                .last()
                .map_or(span.end, |l| l.span().end);
            push(Span::new(span.start, end), FoldKind::Region, &mut out);
        }
        // a heredoc after the first starts below the instruction's first line
        for heredoc in located.heredocs.iter().skip(1) {
            let body = located.abs(heredoc.body);
            let visible = crate::ide::line_start(text, body.start.saturating_sub(1));
            let end = located.abs(heredoc.terminator).end.max(body.end);
            push(Span::new(visible, end), FoldKind::Region, &mut out);
        }
    }
    let comments = &tree.split.comments;
    let mut k = 0;
    while k < comments.len() {
        let mut last = k;
        while last + 1 < comments.len() && comments[last + 1].line == comments[last].line + 1 {
            last += 1;
        }
        push(
            Span::new(comments[k].span.start, comments[last].span.end),
            FoldKind::Comment,
            &mut out,
        );
        k = last + 1;
    }
    // one fold per first line: the largest
    out.sort_by_key(|f| (f.lines.0, std::cmp::Reverse(f.lines.1)));
    out.dedup_by_key(|f| f.lines.0);
    out
}

/// Line numbers of byte offsets, from the line breaks of the text (LF, CRLF, lone CR).
struct LineCounter {
    /// The offset just after each line break.
    starts: Vec<usize>,
}

impl LineCounter {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let starts = memchr::memchr2_iter(b'\n', b'\r', bytes)
            .filter(|&at| !(bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n')))
            .map(|at| at + 1)
            .collect();
        Self { starts }
    }

    fn line(&self, offset: usize) -> u32 {
        u32::try_from(self.starts.partition_point(|&s| s <= offset)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::{folds, FoldKind};
    use crate::syntax::parse;

    fn check(text: &str, expected: &[(u32, u32, FoldKind)]) {
        let found: Vec<(u32, u32, FoldKind)> = folds(&parse(text), text)
            .iter()
            .map(|f| (f.lines.0, f.lines.1, f.kind))
            .collect();
        assert_eq!(found, expected, "{text:?}");
    }

    use FoldKind::{Comment as C, Region as R};

    #[test]
    fn stages_instructions_heredocs_and_comments() {
        check(
            "# a\n# b\nFROM x AS one\nRUN a \\\n  b\nCOPY <<A <<B /d/\none\nA\ntwo\nB\n\nFROM y\nCMD z\n",
            &[(0, 1, C), (2, 9, R), (3, 4, R), (5, 9, R), (7, 9, R), (11, 12, R)],
        );
        check(
            "# escape=`\r\nFROM x\r\nRUN a `\r\n b\r\n",
            &[(1, 3, R), (2, 3, R)],
        );
        check("", &[]);
        check("FROM x", &[]);
    }
}
