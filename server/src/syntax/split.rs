//! The splitter: text -> parser directives + raw instructions, following BuildKit's line rules.
//!
//! - Parser directives (`# syntax=`, `# escape=`, `# check=`) are read only at the very top;
//!   the first line that is not a directive ends them (a blank line or any other comment too).
//! - A line whose last non-blank character is the escape character continues the instruction.
//!   Inside a continuation, comment lines and blank lines are skipped; the logical line is the
//!   concatenation of the physical lines without the escape character and the line break.
//! - `RUN`, `COPY` and `ADD` may carry heredocs (`<<EOF`, `<<-EOF`, quoted delimiters, several
//!   per instruction): their bodies follow the instruction's last line, verbatim.
//! - Lines end at `\n`; a `\r` before it belongs to the line break (CRLF). A UTF-8 BOM is skipped.
//!
//! Never fails: an unterminated heredoc or a bad escape directive is recorded as an error and the
//! split goes on.

use super::{Span, SyntaxError};

/// A parser directive at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lowercased name (`syntax`, `escape`, `check`, or an unknown one).
    pub name: String,
    pub value: String,
    /// The whole directive line (without the line break).
    pub span: Span,
    pub value_span: Span,
}

/// A standalone comment line (not a directive, not inside an instruction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// From the `#` to the end of the line.
    pub span: Span,
    /// 0-based line number.
    pub line: u32,
}

/// A heredoc body found after an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawHeredoc {
    /// The lines of the body, each with its line break.
    pub body: Span,
    /// The delimiter line that closes it; empty at the end of the file when unterminated.
    pub terminator: Span,
}

/// One instruction as cut from the file, before it is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawInstruction {
    /// From the keyword's first byte to the end of its last line (heredoc terminators included),
    /// without the final line break.
    pub span: Span,
    /// 0-based line of the keyword.
    pub line: u32,
    /// The source pieces whose concatenation is the logical line (continuations removed).
    pub segments: Vec<Span>,
    pub heredocs: Vec<RawHeredoc>,
}

/// The file cut into directives, instructions and comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitFile {
    pub bom: bool,
    /// `\` by default, or `` ` `` with `# escape=``.
    pub escape: char,
    pub directives: Vec<Directive>,
    pub instructions: Vec<RawInstruction>,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
}

impl Default for SplitFile {
    fn default() -> Self {
        Self {
            bom: false,
            escape: '\\',
            directives: Vec::new(),
            instructions: Vec::new(),
            comments: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl SplitFile {
    #[must_use]
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}

/// A physical line: `start..end` is its content without the line break.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    number: u32,
}

struct Lines<'a> {
    text: &'a str,
    pos: usize,
    number: u32,
}

impl Iterator for Lines<'_> {
    type Item = Line;
    fn next(&mut self) -> Option<Line> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let (end, next) = match memchr_newline(&bytes[start..]) {
            Some(i) => {
                let nl = start + i;
                let end = if nl > start && bytes[nl - 1] == b'\r' { nl - 1 } else { nl };
                (end, nl + 1)
            }
            None => (bytes.len(), bytes.len()),
        };
        self.pos = next;
        let line = Line { start, end, number: self.number };
        self.number = self.number.saturating_add(1);
        Some(line)
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Directive syntax: `#` blanks name blanks `=` blanks value, name `[a-zA-Z][a-zA-Z0-9]*`.
fn parse_directive(text: &str, line: Line) -> Option<Directive> {
    let content = &text[line.start..line.end];
    let rest = content.trim_start();
    let after_hash = rest.strip_prefix('#')?;
    let name_part = after_hash.trim_start();
    let name_len = name_part
        .char_indices()
        .take_while(|&(i, c)| if i == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() })
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &name_part[..name_len];
    let after_name = name_part[name_len..].trim_start();
    let value_part = after_name.strip_prefix('=')?;
    let value_trimmed_start = value_part.trim_start();
    let value = value_trimmed_start.trim_end();
    if value.is_empty() {
        return None;
    }
    let value_start = line.start + content.len() - value_trimmed_start.len();
    Some(Directive {
        name: name.to_ascii_lowercase(),
        value: value.to_string(),
        span: Span::new(line.start + (content.len() - rest.len()), line.end),
        value_span: Span::new(value_start, value_start + value.len()),
    })
}

fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| b == b' ' || b == b'\t' || b == b'\r' || b == b'\x0b' || b == b'\x0c')
}

fn leading_blanks(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t', '\x0b', '\x0c', '\r']).len()
}

/// If the line `start..end` ends with the escape character (then blanks), the end of its content
/// before the escape and `true`; otherwise `end` and `false`.
fn trim_continuation(text: &str, start: usize, end: usize, escape: char) -> (usize, bool) {
    let content = &text[start..end];
    let trimmed = content.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(before) => (start + before.len(), true),
        None => (end, false),
    }
}

/// Split `text` into directives, raw instructions and comments.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn split(text: &str) -> SplitFile {
    let mut file = SplitFile::default();
    let bom = text.starts_with('\u{feff}');
    file.bom = bom;
    let mut lines = Lines { text, pos: if bom { 3 } else { 0 }, number: 0 };

    // Parser directives: only at the top, until the first line that is not one.
    let mut pending: Option<Line> = None;
    for line in lines.by_ref() {
        let Some(directive) = parse_directive(text, line) else {
            pending = Some(line);
            break;
        };
        if file.directives.iter().any(|d| d.name == directive.name) {
            file.errors.push(SyntaxError {
                span: directive.span,
                message: format!("duplicate parser directive `{}`; only the first one counts", directive.name),
            });
        } else if directive.name == "escape" {
            match directive.value.as_str() {
                "\\" => file.escape = '\\',
                "`" => file.escape = '`',
                other => file.errors.push(SyntaxError {
                    span: directive.value_span,
                    message: format!("invalid escape character `{other}`; expected `\\` or `` ` ``"),
                }),
            }
        }
        if !file.directives.iter().any(|d| d.name == directive.name) {
            file.directives.push(directive);
        }
    }

    let escape = file.escape;
    let mut next_line = pending;
    loop {
        let Some(line) = next_line.take().or_else(|| lines.next()) else { break };
        let content = &text[line.start..line.end];
        let lead = leading_blanks(content);
        let start = line.start + lead;
        if start >= line.end || is_blank(&content[lead..]) {
            continue;
        }
        if text.as_bytes()[start] == b'#' {
            file.comments.push(Comment { span: Span::new(start, line.end), line: line.number });
            continue;
        }

        let mut segments = Vec::with_capacity(1);
        let (seg_end, mut continued) = trim_continuation(text, start, line.end, escape);
        segments.push(Span::new(start, seg_end));
        let mut last_end = line.end;
        while continued {
            let Some(next) = lines.next() else { break };
            let c = &text[next.start..next.end];
            last_end = next.end;
            if c.trim_start().starts_with('#') || is_blank(c) {
                continue;
            }
            let (end, more) = trim_continuation(text, next.start, next.end, escape);
            segments.push(Span::new(next.start, end));
            continued = more;
        }

        let mut heredocs = Vec::new();
        if allows_heredoc(text, segments[0]) {
            let logical: String = segments.iter().map(|s| &text[s.start..s.end]).collect();
            for doc in heredoc_words(&logical) {
                let body_start = lines.pos;
                let mut terminator = None;
                for body_line in lines.by_ref() {
                    let mut candidate = &text[body_line.start..body_line.end];
                    if doc.strip_tabs {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.delimiter {
                        terminator = Some(body_line);
                        break;
                    }
                }
                match terminator {
                    Some(t) => {
                        heredocs.push(RawHeredoc {
                            body: Span::new(body_start, t.start),
                            terminator: Span::new(t.start, t.end),
                        });
                        last_end = t.end;
                    }
                    None => {
                        let end = text.len();
                        heredocs.push(RawHeredoc { body: Span::new(body_start, end), terminator: Span::empty(end) });
                        last_end = end;
                        file.errors.push(SyntaxError {
                            span: Span::new(start, seg_end.max(start)),
                            message: format!(
                                "unterminated heredoc: no line `{}` closes it before the end of the file",
                                doc.delimiter
                            ),
                        });
                    }
                }
            }
        }

        file.instructions.push(RawInstruction {
            span: Span::new(start, last_end.max(start)),
            line: line.number,
            segments,
            heredocs,
        });
    }
    file
}

/// Heredocs are allowed on RUN, COPY and ADD.
fn allows_heredoc(text: &str, first: Span) -> bool {
    let first_word = text[first.start..first.end].split(|c: char| c.is_whitespace()).next().unwrap_or("");
    ["run", "copy", "add"].iter().any(|k| first_word.eq_ignore_ascii_case(k))
}

/// A heredoc opener found in a logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeredocWord {
    pub delimiter: String,
    /// `<<-`: leading tabs are stripped from body lines and the delimiter line.
    pub strip_tabs: bool,
    /// The delimiter was quoted: no variable expansion in the body.
    pub quoted: bool,
    /// Byte range of the word (`<<EOF`) in the logical line.
    pub span: Span,
}

/// The heredoc openers of a logical line, in order: words (split on blanks, quotes kept) of the
/// form `[n]<<[-]DELIM` with a non-empty delimiter, as BuildKit finds them.
#[must_use]
pub fn heredoc_words(logical: &str) -> Vec<HeredocWord> {
    let mut out = Vec::new();
    for (span, word) in super::words::raw_words(logical) {
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(rest) = word[digits..].strip_prefix("<<") else { continue };
        let (strip_tabs, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let quoted = rest.contains(['"', '\'']);
        let delimiter = super::words::unquote(rest, '\\');
        if delimiter.is_empty() {
            continue;
        }
        out.push(HeredocWord { delimiter, strip_tabs, quoted, span });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Vec<(u32, String, usize)> {
        let f = split(text);
        f.instructions
            .iter()
            .map(|i| {
                let logical: String = i.segments.iter().map(|s| s.of(text)).collect();
                (i.line, logical, i.heredocs.len())
            })
            .collect()
    }

    #[test]
    fn continuation_comments_and_blank_lines() {
        let text = "FROM a\nRUN echo a \\\n  # note\n\n  && echo b\nCMD x\n";
        assert_eq!(
            shape(text),
            vec![
                (0, "FROM a".into(), 0),
                (1, "RUN echo a   && echo b".into(), 0),
                (5, "CMD x".into(), 0)
            ]
        );
    }

    #[test]
    fn directives_and_backtick_escape() {
        let text = "# escape=`\n\nFROM a\nRUN dir C:\\ `\n  /b\nCOPY a\\ b\\\nCMD y\n";
        let f = split(text);
        assert_eq!(f.escape, '`');
        assert_eq!(
            shape(text),
            vec![
                (2, "FROM a".into(), 0),
                (3, "RUN dir C:\\   /b".into(), 0),
                (5, "COPY a\\ b\\".into(), 0),
                (6, "CMD y".into(), 0)
            ]
        );
    }

    #[test]
    fn directive_after_comment_is_a_comment() {
        let f = split("# hello\n# escape=`\nFROM a\n");
        assert!(f.directives.is_empty());
        assert_eq!(f.escape, '\\');
        assert_eq!(f.comments.len(), 2);
    }

    #[test]
    fn heredocs() {
        let text = "FROM a\nRUN <<EOF\napt-get update\nFROM x\nEOF\nCOPY <<-A <<\"B\" /x\n\tone\n\tA\ntwo\nB\nCMD z";
        assert_eq!(
            shape(text),
            vec![(0, "FROM a".into(), 0), (1, "RUN <<EOF".into(), 1), (5, "COPY <<-A <<\"B\" /x".into(), 2), (10, "CMD z".into(), 0)]
        );
        let f = split(text);
        assert_eq!(f.instructions[1].heredocs[0].body.of(text), "apt-get update\nFROM x\n");
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let f = split("FROM a\nRUN <<EOF\necho\n");
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].message.contains("unterminated heredoc"));
    }

    #[test]
    fn crlf_bom_and_eof_continuation() {
        let text = "\u{feff}FROM a\r\nRUN x \\\r\n  y\r\nRUN z \\";
        assert_eq!(shape(text), vec![(0, "FROM a".into(), 0), (1, "RUN x   y".into(), 0), (3, "RUN z ".into(), 0)]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in ["", "\\", "\u{feff}", "#", "# escape=", "RUN <<", "RUN <<-", "\r\r\n\n", "é\\\n", "COPY <<'' x\n"] {
            let _ = split(text);
        }
    }
}
