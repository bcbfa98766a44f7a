//! Formatting: instruction keywords in upper case, no indentation before an instruction, and one
//! indentation for the continuation lines of instructions whose words are blank-separated.
//!
//! Only what cannot change the build is touched:
//! - a keyword's case (BuildKit reads keywords case-insensitively), also an ONBUILD trigger's;
//! - the blanks before an instruction's first line (the splitter trims them);
//! - the blanks at the start of a continuation line, only when a blank already separates the
//!   words on either side of the line break and the break is outside quotes, and only for
//!   instructions whose arguments are split at blanks (shell and exec forms, COPY, ADD, FROM,
//!   EXPOSE, VOLUME, HEALTHCHECK): runs of blanks mean the same there. ENV, ARG, LABEL and the
//!   rest-of-line instructions (WORKDIR, USER...) keep their continuations as written.
//!
//! - the blanks between the tokens of an exec-form JSON array on one line (`["a","b" ]` becomes
//!   `["a", "b"]`): JSON ignores them, and the strings are left as written.
//!
//! Comment lines, blank lines, heredoc bodies and terminators, line endings, the escape
//! character and everything after it are left byte for byte. The result is a fixed point:
//! formatting it again changes nothing.

use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::{Span, SyntaxTree};

/// One replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// The edits that format `text` (whose tree is `tree`), continuation lines indented with
/// `indent`, in text order and not overlapping.
#[must_use]
pub fn format(tree: &SyntaxTree, text: &str, indent: &str) -> Vec<Edit> {
    let mut edits = Vec::new();
    for i in 0..tree.instructions.len() {
        instruction(tree, text, i, indent, &mut edits);
    }
    edits.sort_by_key(|e| e.span.start);
    edits
}

/// The edits [`format`] makes after `typed` was typed at `offset`:
/// - the file's escape character: those of the instruction it was typed in;
/// - a line break after a line that ends with the escape character: the new line's blanks
///   become `indent`, when the instruction's words are blank-separated and no quote is open.
#[must_use]
pub fn on_type(
    tree: &SyntaxTree,
    text: &str,
    offset: usize,
    typed: &str,
    indent: &str,
) -> Vec<Edit> {
    let offset = super::floor_boundary(text, offset);
    let escape = tree.split.escape;
    let mut edits = Vec::new();
    if typed.chars().eq([escape]) {
        if let Some(i) = super::instruction_at(tree, offset) {
            instruction(tree, text, i, indent, &mut edits);
            edits.sort_by_key(|e| e.span.start);
        }
        return edits;
    }
    if typed != "\n" {
        return edits;
    }
    let start = super::line_start(text, offset);
    if !text[start..offset].chars().all(|c| c == ' ' || c == '\t') || start == 0 {
        return edits;
    }
    let before = text[..start].trim_end_matches(['\n', '\r']);
    let Some(i) = super::instruction_at(tree, before.len()) else {
        return edits;
    };
    let located = &tree.instructions[i];
    let keyword = super::effective(located).keyword;
    if !before.trim_end_matches([' ', '\t']).ends_with(escape) || !blank_separated(keyword) {
        return edits;
    }
    let mut quotes = Quotes::default();
    for segment in tree
        .split
        .instructions
        .get(i)
        .map_or(&[][..], |r| &r.segments[..])
    {
        if segment.start < before.len() {
            quotes.read(
                Span::new(segment.start, segment.end.min(before.len())).of(text),
                escape,
            );
        }
    }
    if !quotes.open() && &text[start..offset] != indent {
        edits.push(Edit {
            span: Span::new(start, offset),
            text: indent.to_string(),
        });
    }
    edits
}

/// Appends the edits that format instruction `i`.
fn instruction(tree: &SyntaxTree, text: &str, i: usize, indent: &str, edits: &mut Vec<Edit>) {
    {
        let located = &tree.instructions[i];
        let start = located.offset;
        let line_start = super::line_start(text, start);
        if text[line_start..start].chars().all(char::is_whitespace) && line_start < start {
            edits.push(Edit {
                span: Span::new(line_start, start),
                text: String::new(),
            });
        }
        upper(text, located.keyword_span(), located.keyword, edits);
        if let Args::From {
            image,
            alias: Some(alias),
        } = &located.args
        {
            // `AS` in the keyword's case (BuildKit's FromAsCasing check)
            let between = Span::new(located.abs(image.span).end, located.abs(alias.span).start);
            let written = between.of(text);
            if let Some(at) = written.find(|c: char| !c.is_whitespace()) {
                let word = Span::new(between.start + at, between.start + at + 2);
                if word.of(text) != "AS" && word.of(text).eq_ignore_ascii_case("as") {
                    edits.push(Edit {
                        span: word,
                        text: "AS".to_string(),
                    });
                }
            }
        }
        let mut keyword = located.keyword;
        if let Args::Onbuild(inner) = &located.args {
            upper(text, located.abs(inner.keyword_span), inner.keyword, edits);
            keyword = inner.keyword;
        }
        let blank_separated = blank_separated(keyword);
        if let Some(Form::Exec { span, .. }) = located.form() {
            json_spacing(text, located.abs(*span), edits);
        }
        let Some(raw) = tree.split.instructions.get(i) else {
            return;
        };
        if !blank_separated || raw.segments.len() < 2 {
            return;
        }
        let mut quotes = Quotes::default();
        for (k, segment) in raw.segments.iter().enumerate() {
            let piece = segment.of(text);
            if k > 0 {
                let previous = raw.segments[k - 1].of(text);
                let blanks = piece.len() - piece.trim_start_matches([' ', '\t']).len();
                let separated = blanks > 0 || previous.ends_with([' ', '\t']);
                let on_its_own_line = super::line_start(text, segment.start) == segment.start;
                let rest = &piece[blanks..];
                if separated
                    && on_its_own_line
                    && !quotes.open()
                    && !rest.is_empty()
                    && &piece[..blanks] != indent
                {
                    edits.push(Edit {
                        span: Span::new(segment.start, segment.start + blanks),
                        text: indent.to_string(),
                    });
                }
            }
            quotes.read(piece, tree.split.escape);
        }
    }
}

/// Whether the arguments of `keyword` are split at blanks, so that the blanks starting a
/// continuation line can be changed (not ENV, ARG, LABEL, nor rest-of-line instructions).
#[must_use]
pub fn blank_separated(keyword: Keyword) -> bool {
    matches!(
        keyword,
        Keyword::Run
            | Keyword::Cmd
            | Keyword::Entrypoint
            | Keyword::Shell
            | Keyword::Copy
            | Keyword::Add
            | Keyword::From
            | Keyword::Expose
            | Keyword::Volume
            | Keyword::Healthcheck
    )
}

/// The edits that space the JSON array at `span` as `["a", "b"]`: nothing inside the brackets'
/// edges, none before a comma, one space after it. Nothing when the array spans several lines
/// or holds anything but strings, commas and blanks between its brackets.
fn json_spacing(text: &str, span: Span, edits: &mut Vec<Edit>) {
    let written = span.of(text);
    if written.contains(['\n', '\r']) || !written.starts_with('[') || !written.ends_with(']') {
        return;
    }
    // the tokens outside strings: (start, end, kind)
    let mut tokens: Vec<(usize, usize, u8)> = Vec::new();
    let bytes = written.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'[' | b']' | b',' => {
                tokens.push((k, k + 1, bytes[k]));
                k += 1;
            }
            b'"' => {
                let start = k;
                k += 1;
                while k < bytes.len() && bytes[k] != b'"' {
                    k += if bytes[k] == b'\\' { 2 } else { 1 };
                }
                if k >= bytes.len() {
                    return;
                }
                k += 1;
                tokens.push((start, k, b'"'));
            }
            b' ' | b'\t' => k += 1,
            _ => return,
        }
    }
    let mut found = Vec::new();
    for pair in tokens.windows(2) {
        let ((_, end, before), (start, _, after)) = (pair[0], pair[1]);
        let wanted = match (before, after) {
            (b',', b'"') => " ",
            (b'[', b'"' | b']') | (b'"', b',' | b']') => "",
            _ => return,
        };
        if &written[end..start] != wanted {
            found.push(Edit {
                span: Span::new(span.start + end, span.start + start),
                text: wanted.to_string(),
            });
        }
    }
    edits.extend(found);
}

/// The keyword at `span` in upper case, when it is a known one written otherwise.
fn upper(text: &str, span: Span, keyword: Keyword, edits: &mut Vec<Edit>) {
    if keyword == Keyword::Unknown {
        return;
    }
    let written = span.of(text);
    if written != keyword.name() && written.eq_ignore_ascii_case(keyword.name()) {
        edits.push(Edit {
            span,
            text: keyword.name().to_string(),
        });
    }
}

/// Whether the logical line is inside quotes so far.
#[derive(Debug, Default)]
struct Quotes {
    single: bool,
    double: bool,
}

impl Quotes {
    fn open(&self) -> bool {
        self.single || self.double
    }

    fn read(&mut self, piece: &str, escape: char) {
        let mut chars = piece.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' if !self.double => self.single = !self.single,
                '"' if !self.single => self.double = !self.double,
                c if (c == '\\' || c == escape) && !self.single => {
                    chars.next();
                }
                _ => {}
            }
        }
    }
}

/// `text` formatted (a convenience for tests and the command line: parses `text` itself).
#[must_use]
pub fn format_text(text: &str, indent: &str) -> String {
    let tree = crate::syntax::parse(text);
    let mut out = text.to_string();
    for edit in format(&tree, text, indent).iter().rev() {
        out.replace_range(edit.span.start..edit.span.end, &edit.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_text;
    use crate::syntax::instruction::Form;
    use crate::syntax::{parse, Keyword};

    fn check(before: &str, after: &str) {
        let formatted = format_text(before, "    ");
        assert_eq!(formatted, after);
        assert_eq!(
            format_text(&formatted, "    "),
            formatted,
            "not a fixed point"
        );
        let (a, b) = (parse(before), parse(&formatted));
        let logical = |t: &crate::syntax::SyntaxTree, text: &str| -> Vec<String> {
            t.instructions
                .iter()
                .map(|l| {
                    if let Some(Form::Exec { words, .. }) = l.form() {
                        // the words the JSON array holds
                        let values: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
                        return format!("{values:?}");
                    }
                    let args = l.abs(l.args_span).of(text);
                    let words = args.split_whitespace().collect::<Vec<_>>().join(" ");
                    // `as` and `AS` mean the same, and so do trigger keywords in any case
                    if matches!(l.keyword, Keyword::From | Keyword::Onbuild) {
                        words.to_ascii_lowercase()
                    } else {
                        words
                    }
                })
                .collect()
        };
        assert_eq!(logical(&a, before), logical(&b, &formatted));
    }

    #[test]
    fn keywords_indentation_and_continuations() {
        check(
            "  from alpine as base\r\nrun apk add \\\r\n\t  curl \\\r\n# a comment\r\n      git\r\n",
            "FROM alpine AS base\r\nRUN apk add \\\r\n    curl \\\r\n# a comment\r\n    git\r\n",
        );
        check("onbuild run x\n", "ONBUILD RUN x\n");
    }

    #[test]
    fn meaning_is_kept() {
        // inside quotes, a word split over lines, ENV's legacy form, heredoc bodies
        for same in [
            "RUN echo \"a \\\n   b\"\n",
            "RUN ec\\\nho hi\n",
            "ENV A hello \\\n   world\n",
            "RUN <<EOF\n  indented\n\tbody\nEOF\n",
            "COPY <<EOF /x\n    keep\nEOF\n",
            "# escape=`\nRUN a `\n    b\n",
            "FRM x\n",
        ] {
            check(same, same);
        }
        check("# escape=`\nrun a `\n  b\n", "# escape=`\nRUN a `\n    b\n");
        check("run a '\\\n  b'\n", "RUN a '\\\n  b'\n");
    }

    /// The text after the edits of typing `typed` where `┃` is.
    fn typed(fixture: &str, typed: &str) -> String {
        let at = fixture.find('┃').unwrap_or(0);
        let text = fixture.replacen('┃', "", 1);
        let tree = parse(&text);
        let mut out = text.clone();
        for edit in super::on_type(&tree, &text, at, typed, "  ").iter().rev() {
            out.replace_range(edit.span.start..edit.span.end, &edit.text);
        }
        out
    }

    #[test]
    fn typing_the_escape_character_or_a_line_break_after_it() {
        // the escape character formats its instruction only
        // (the next line now continues it)
        assert_eq!(
            typed("run a \\┃\nrun b\nrun c\n", "\\"),
            "RUN a \\\n  run b\nrun c\n"
        );
        assert_eq!(
            typed("# escape=`\nrun a `┃\n", "`"),
            "# escape=`\nRUN a `\n"
        );
        assert_eq!(
            typed("# escape=`\nrun a \\┃\n", "\\"),
            "# escape=`\nrun a \\\n"
        );
        // a line break after it indents the new line
        assert_eq!(typed("RUN a \\\r\n┃", "\n"), "RUN a \\\r\n  ");
        assert_eq!(typed("RUN a \\\n    ┃\n", "\n"), "RUN a \\\n  \n");
        // not inside quotes, not for ENV, not without the escape character
        for same in [
            "RUN echo \"a \\\n┃",
            "ENV A=1 \\\n┃",
            "RUN a\n┃",
            "# escape=`\nRUN a \\\n┃",
        ] {
            assert_eq!(typed(same, "\n"), same.replacen('┃', "", 1), "{same}");
        }
    }

    #[test]
    fn json_arrays_are_spaced_on_one_line_only() {
        check(
            "CMD [ \"a\",\"b \\\" ,\"  ,  \"c\" ]\r\nRUN [\"x\"]\n",
            "CMD [\"a\", \"b \\\" ,\", \"c\"]\r\nRUN [\"x\"]\n",
        );
        check("ENTRYPOINT [ ]\n", "ENTRYPOINT []\n");
        // not JSON, or over lines: as written
        for same in [
            "CMD [ \"a\" \"b\" ]\n",
            "CMD [ a, \"b\" ]\n",
            "CMD [ \"a\", \\\n    \"b\" ]\n",
            "# escape=`\nCMD [\"a\",  \"b`\"\" ]`\n",
        ] {
            check(same, same);
        }
    }
}
