//! The splitter: text -> parser directives + raw instructions, following BuildKit's line rules
//! (`frontend/dockerfile/parser/parser.go`).
//!
//! - Parser directives (`# syntax=`, `# escape=`, `# check=`) are read only at the very top; the
//!   first line that is not one of them ends them: a blank line, any other comment, and also a
//!   well-formed `# name=value` line with an unknown name (which is then a plain comment).
//! - A line whose last non-blank character is the escape character continues the instruction,
//!   unless that escape character is itself escaped (`\\`). A lone escape character on a line
//!   continues too. Inside a continuation, comment lines and blank lines are skipped; the logical
//!   line is the concatenation of the physical lines without the escape character and the line
//!   break. Only the first line of an instruction is left-trimmed.
//! - `RUN`, `COPY` and `ADD` (also as an `ONBUILD` trigger) may carry heredocs (`<<EOF`, `<<-EOF`,
//!   quoted delimiters, several per instruction): their bodies follow the instruction's last line,
//!   verbatim, and end at a line that is exactly the delimiter (after leading tabs for `<<-`).
//! - Lines end at `\n`; the `\r`s before it belong to the line break (CRLF). A UTF-8 BOM is
//!   skipped. A line may hold at most 65,535 bytes besides its `\n` (BuildKit's scanner limit).
//! - "Blank" means Unicode white space, as Go's `unicode.IsSpace` (= Rust's `char::is_whitespace`).
//!
//! Never fails: an unterminated heredoc, an over-long line or a bad directive is recorded as an
//! error and the split goes on.

use super::{Span, SyntaxError};
use crate::text::AppliedEdit;

/// A parser directive at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lowercased name: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    /// The whole directive line (without the line break and leading blanks).
    pub span: Span,
    /// The name as written.
    pub name_span: Span,
    pub value_span: Span,
}

/// The directives BuildKit knows; any other `# name=value` ends directive scanning.
pub const DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// BuildKit's scanner refuses a line whose bytes, line break included, do not fit in 64 KiB.
pub const MAX_LINE_BYTES: usize = 65_535;

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
    /// From the first non-blank byte of its first line (normally the keyword; a lone escape
    /// character when the instruction starts with an empty continuation line) to the end of its
    /// last line (heredoc terminators included), without the final line break.
    pub span: Span,
    /// 0-based line where the instruction starts (BuildKit's start line).
    pub line: u32,
    /// The source pieces whose concatenation is the logical line (continuations removed).
    pub segments: Vec<Span>,
    pub heredocs: Vec<RawHeredoc>,
}

impl RawInstruction {
    /// The logical line: the segments joined.
    #[must_use]
    pub fn logical(&self, text: &str) -> String {
        self.segments.iter().map(|s| s.of(text)).collect()
    }
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
    /// In file order.
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
    /// Bytes before `pos` that belong to the first line (the BOM).
    first_line_prefix: usize,
    /// Lines longer than BuildKit allows.
    too_long: Vec<Line>,
}

impl Lines<'_> {
    /// The next line's start and content end (without its line break), without reading it.
    fn peek(&self) -> Option<(usize, usize)> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let mut end = memchr_newline(&bytes[start..]).map_or(bytes.len(), |i| start + i);
        while end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        Some((start, end))
    }
}

impl Iterator for Lines<'_> {
    type Item = Line;
    fn next(&mut self) -> Option<Line> {
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        // `raw_len`: the line's bytes with its `\n`, or plus one for a last line without one
        // (either way what BuildKit's 64 KiB scanner buffer must hold).
        let (content_end, next, raw_len) = match memchr_newline(&bytes[start..]) {
            Some(i) => (start + i, start + i + 1, i + 1),
            None => (bytes.len(), bytes.len(), bytes.len() - start + 1),
        };
        let mut end = content_end;
        while end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        self.pos = next;
        let line = Line {
            start,
            end,
            number: self.number,
        };
        let prefix = if self.number == 0 {
            self.first_line_prefix
        } else {
            0
        };
        if raw_len + prefix > MAX_LINE_BYTES + 1 {
            self.too_long.push(line);
        }
        self.number = self.number.saturating_add(1);
        Some(line)
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// `\s` of Go's regular expressions (RE2): ASCII blanks without `\v`.
fn is_re2_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r')
}

/// BuildKit's directive pattern `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`, on the line with
/// its leading (Unicode) blanks removed. Any name is accepted here.
fn parse_directive(text: &str, line: Line) -> Option<Directive> {
    let content = &text[line.start..line.end];
    let rest = content.trim_start();
    let rest_start = line.start + (content.len() - rest.len());
    let after_hash = rest.strip_prefix('#')?;
    let name_part = after_hash.trim_start_matches(is_re2_space);
    let name_len = name_part
        .char_indices()
        .take_while(|&(i, c)| {
            if i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if name_len == 0 {
        return None;
    }
    let name_start = line.end - name_part.len();
    let name = &name_part[..name_len];
    let value_part = name_part[name_len..]
        .trim_start_matches(is_re2_space)
        .strip_prefix('=')?;
    let value_trimmed = value_part
        .trim_start_matches(is_re2_space)
        .trim_end_matches(is_re2_space);
    let (value_start, value) = if value_trimmed.is_empty() {
        // Only blanks after `=`: the lazy `(.+?)` still takes one of them, the last one.
        let last = value_part.chars().next_back()?;
        (
            line.end - last.len_utf8(),
            &value_part[value_part.len() - last.len_utf8()..],
        )
    } else {
        (
            line.end - value_part.trim_start_matches(is_re2_space).len(),
            value_trimmed,
        )
    };
    Some(Directive {
        name: name.to_ascii_lowercase(),
        value: value.to_string(),
        span: Span::new(rest_start, line.end),
        name_span: Span::new(name_start, name_start + name_len),
        value_span: Span::new(value_start, value_start + value.len()),
    })
}

/// If the line `start..end` continues the instruction (BuildKit's
/// `([^E])E[ \t]*$|^E[ \t]*$` for escape character `E`), the end of its content before the
/// escape character and `true`; otherwise `end` and `false`.
fn trim_continuation(text: &str, start: usize, end: usize, escape: char) -> (usize, bool) {
    let content = &text[start..end];
    let trimmed = content.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(before) if !before.ends_with(escape) => (start + before.len(), true),
        _ => (end, false),
    }
}

/// Map an offset of the logical line made of `segments` back to the source.
fn source_offset(segments: &[Span], logical: usize) -> usize {
    let mut at = 0;
    for seg in segments {
        if logical < at + seg.len() {
            return seg.start + (logical - at);
        }
        at += seg.len();
    }
    segments.last().map_or(0, |s| s.end)
}

/// Split `text` into directives, raw instructions and comments.
#[must_use]
pub fn split(text: &str) -> SplitFile {
    let mut file = SplitFile::default();
    let bom = text.starts_with('\u{feff}');
    file.bom = bom;
    let prefix = if bom { '\u{feff}'.len_utf8() } else { 0 };
    let mut lines = Lines {
        text,
        pos: prefix,
        number: 0,
        first_line_prefix: prefix,
        too_long: Vec::new(),
    };

    let pending = read_directives(text, &mut lines, &mut file);
    let escape = file.escape;
    let mut body = Body::default();
    split_body(text, escape, &mut lines, pending, &mut body, |_, _, _| {
        false
    });
    let Body {
        instructions,
        comments,
        mut errors,
    } = body;
    file.instructions = instructions;
    file.comments = comments;
    file.errors.append(&mut errors);
    file.errors.sort_by_key(|e| e.span.start);
    file
}

/// What the main loop of the splitter finds: everything but the directives.
#[derive(Debug, Default)]
struct Body {
    instructions: Vec<RawInstruction>,
    comments: Vec<Comment>,
    /// Unterminated heredocs, then over-long lines (unsorted).
    errors: Vec<SyntaxError>,
}

/// The splitter's main loop, from the current position of `lines` (which must be between
/// instructions: at the start of a line that no instruction continues into) to the end of the
/// text, or until `stop(line_start, instruction_start, line_number)` returns true for a line
/// where an instruction would start; that line is then left unread and its start returned.
fn split_body(
    text: &str,
    escape: char,
    lines: &mut Lines<'_>,
    mut pending: Option<Line>,
    out: &mut Body,
    mut stop: impl FnMut(usize, usize, u32) -> bool,
) -> Option<usize> {
    let mut stopped = None;
    loop {
        let line = match pending.take() {
            Some(line) => line,
            None => {
                let Some((line_start, line_end)) = lines.peek() else {
                    break;
                };
                let content = &text[line_start..line_end];
                let first = line_end - content.trim_start().len();
                if first < line_end
                    && text.as_bytes()[first] != b'#'
                    && stop(line_start, first, lines.number)
                {
                    stopped = Some(line_start);
                    break;
                }
                match lines.next() {
                    Some(line) => line,
                    None => break,
                }
            }
        };
        let content = &text[line.start..line.end];
        let start = line.end - content.trim_start().len();
        if start >= line.end {
            continue;
        }
        if text.as_bytes()[start] == b'#' {
            out.comments.push(Comment {
                span: Span::new(start, line.end),
                line: line.number,
            });
            continue;
        }

        let mut segments = Vec::with_capacity(1);
        let (seg_end, mut continued) = trim_continuation(text, start, line.end, escape);
        segments.push(Span::new(start, seg_end));
        let mut last_end = line.end;
        while continued {
            let Some(next) = lines.next() else { break };
            last_end = next.end;
            let c = text[next.start..next.end].trim_start();
            if c.is_empty() || c.starts_with('#') {
                continue;
            }
            let (end, more) = trim_continuation(text, next.start, next.end, escape);
            segments.push(Span::new(next.start, end));
            continued = more;
        }

        let mut heredocs = Vec::new();
        let logical: String = segments.iter().map(|s| s.of(text)).collect();
        if allows_heredoc(&logical) {
            for doc in heredoc_words(&logical) {
                let (heredoc, terminated) = read_heredoc(text, lines, &doc);
                last_end = if terminated {
                    heredoc.terminator.end
                } else {
                    text.len()
                };
                heredocs.push(heredoc);
                if !terminated {
                    let opener = Span::new(
                        source_offset(&segments, doc.span.start),
                        source_offset(&segments, doc.span.end.saturating_sub(1)) + 1,
                    );
                    out.errors.push(SyntaxError {
                        span: opener,
                        message: format!(
                            "unterminated heredoc: no line `{}` closes it before the end of the file",
                            doc.delimiter
                        ),
                    });
                }
            }
        }

        out.instructions.push(RawInstruction {
            span: Span::new(start, last_end.max(start)),
            line: line.number,
            segments,
            heredocs,
        });
    }
    let prefix = lines.first_line_prefix;
    for line in std::mem::take(&mut lines.too_long) {
        out.errors.push(SyntaxError {
            span: Span::new(if line.number == 0 { prefix } else { line.start }, line.end),
            message: format!(
                "line too long: BuildKit accepts at most {MAX_LINE_BYTES} bytes per line"
            ),
        });
    }
    stopped
}

/// How [`resplit`] changed the instructions: `removed` old instructions from index `first` on
/// were replaced by `added` new ones; the instructions after them moved by `delta` bytes and
/// `line_delta` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice {
    pub first: usize,
    pub removed: usize,
    pub added: usize,
    pub delta: isize,
    pub line_delta: i64,
}

/// A span moved by `delta` bytes.
#[must_use]
pub(crate) const fn moved(span: Span, delta: isize) -> Span {
    Span {
        start: span.start.wrapping_add_signed(delta),
        end: span.end.wrapping_add_signed(delta),
    }
}

/// A line number moved by `delta` lines.
#[must_use]
pub(crate) fn moved_line(line: u32, delta: i64) -> u32 {
    u32::try_from(i64::from(line) + delta).unwrap_or(line)
}

/// The start of the line holding byte `at`.
fn line_start(text: &str, at: usize) -> usize {
    text.as_bytes()[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Updates `file`, the split of the text before `edit`, to the split of `text` (the text after
/// it), re-splitting only from the start of the instruction the edit touches until the split
/// meets an instruction that starts, after the edit, where one started before (shifted by the
/// edit's length change); everything after that is moved, not re-read.
///
/// Returns `None`, leaving `file` untouched, when the edit touches the parser directives (or the
/// line that ends them) or does not fit the text; the caller then splits the whole text. The
/// result always equals [`split`]`(text)`.
pub fn resplit(file: &mut SplitFile, text: &str, edit: AppliedEdit) -> Option<Splice> {
    let AppliedEdit {
        start,
        old_end,
        new_end,
    } = edit;
    if start > old_end || start > new_end || new_end > text.len() {
        return None;
    }
    let delta = isize::try_from(new_end).ok()? - isize::try_from(old_end).ok()?;

    // The directives are read up to the first line that is not one: the edit must come after
    // that line (and after its line break). Lines before the edit are the same in both texts.
    let bom = text.starts_with('\u{feff}');
    let prefix = if bom { '\u{feff}'.len_utf8() } else { 0 };
    let mut lines = Lines {
        text,
        pos: prefix,
        number: 0,
        first_line_prefix: prefix,
        too_long: Vec::new(),
    };
    let mut probe = SplitFile::default();
    let first_body_line = read_directives(text, &mut lines, &mut probe)?;
    if start < lines.pos || lines.pos >= text.len() || bom != file.bom {
        return None;
    }
    debug_assert_eq!(probe.escape, file.escape);

    // Re-split from the start of the instruction holding the edit's first line, or from that
    // line when it is between instructions.
    let old = &file.instructions;
    let edit_line = line_start(text, start).max(first_body_line.start);
    let mut first = old.partition_point(|r| r.span.end < edit_line);
    // An instruction whose last line still continues (at the end of the file, or before
    // blank and comment lines) takes the next line in: it is touched by the edit too.
    if let Some(prev) = first.checked_sub(1).and_then(|k| old.get(k)) {
        let continues = prev.segments.last().is_some_and(|seg| {
            let rest = text.get(seg.end..prev.span.end.min(start)).unwrap_or("");
            let line = rest.split('\n').next().unwrap_or("");
            let mut chars = line.trim_end_matches([' ', '\t', '\r']).chars();
            chars.next() == Some(file.escape) && chars.next().is_none()
        });
        if continues {
            first -= 1;
        }
    }
    let (resync, resync_number) = match old.get(first) {
        Some(r) if r.span.start < edit_line => (line_start(text, r.span.start), r.line),
        _ => {
            let (from, number) = match first.checked_sub(1) {
                Some(k) => (line_start(text, old[k].span.start), old[k].line),
                None => (first_body_line.start, first_body_line.number),
            };
            let newlines = text.as_bytes()[from..edit_line]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            (
                edit_line,
                number.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX)),
            )
        }
    };
    // line 0 starts after the BOM
    let resync = resync.max(prefix);
    let mut lines = Lines {
        text,
        pos: resync,
        number: resync_number,
        first_line_prefix: prefix,
        too_long: Vec::new(),
    };

    // Stop at an instruction that starts after the edit on a line that also started a line in
    // the old text, where an old instruction started at the same (shifted) place.
    let mut resume: Option<(usize, i64)> = None;
    let mut region = Body::default();
    let stopped = split_body(
        text,
        file.escape,
        &mut lines,
        None,
        &mut region,
        |line, instr, number| {
            if line < new_end {
                return false;
            }
            // The old text has a line break before the line: it is in the unchanged text
            // before the edit, or it is the new text's own (after the edit).
            let before = line - 1;
            let old_before = before.wrapping_add_signed(-delta);
            let newline_before = if old_before < start {
                text.as_bytes()[old_before] == b'\n'
            } else {
                before >= new_end
            };
            if !newline_before {
                return false;
            }
            let old_start = instr.wrapping_add_signed(-delta);
            let rest = &old[first..];
            let k = rest.partition_point(|r| r.span.start < old_start);
            match rest.get(k) {
                Some(r) if r.span.start == old_start => {
                    resume = Some((first + k, i64::from(number) - i64::from(r.line)));
                    true
                }
                _ => false,
            }
        },
    );

    let Body {
        instructions,
        comments,
        mut errors,
    } = region;
    errors.sort_by_key(|e| e.span.start);
    let added = instructions.len();
    let (removed, line_delta, old_resume) = match (stopped, resume) {
        (Some(line), Some((j, line_delta))) => {
            (j - first, line_delta, line.wrapping_add_signed(-delta))
        }
        _ => (file.instructions.len() - first, 0, usize::MAX),
    };

    // instructions: the region replaces the old ones, those after it move
    file.instructions
        .splice(first..first + removed, instructions);
    for r in &mut file.instructions[first + added..] {
        r.span = moved(r.span, delta);
        r.line = moved_line(r.line, line_delta);
        for s in &mut r.segments {
            *s = moved(*s, delta);
        }
        for h in &mut r.heredocs {
            h.body = moved(h.body, delta);
            h.terminator = moved(h.terminator, delta);
        }
    }
    // comments and errors: kept before the region, replaced in it, moved after it
    let keep = file.comments.partition_point(|c| c.span.start < resync);
    let after = file.comments.partition_point(|c| c.span.start < old_resume);
    let region_comments = comments.len();
    file.comments.splice(keep..after, comments);
    for c in &mut file.comments[keep + region_comments..] {
        c.span = moved(c.span, delta);
        c.line = moved_line(c.line, line_delta);
    }
    let keep_e = file.errors.partition_point(|e| e.span.start < resync);
    let after_e = file.errors.partition_point(|e| e.span.start < old_resume);
    let region_errors = errors.len();
    file.errors.splice(keep_e..after_e, errors);
    for e in &mut file.errors[keep_e + region_errors..] {
        e.span = moved(e.span, delta);
    }
    Some(Splice {
        first,
        removed,
        added,
        delta,
        line_delta,
    })
}

/// Read the parser directives at the top; returns the first line that is not one.
fn read_directives(text: &str, lines: &mut Lines<'_>, file: &mut SplitFile) -> Option<Line> {
    for line in lines.by_ref() {
        let Some(directive) =
            parse_directive(text, line).filter(|d| DIRECTIVES.contains(&d.name.as_str()))
        else {
            return Some(line);
        };
        if file.directive(&directive.name).is_some() {
            file.errors.push(SyntaxError {
                span: directive.name_span,
                message: format!(
                    "duplicate parser directive `{}`: BuildKit allows each directive once",
                    directive.name
                ),
            });
            continue;
        }
        if directive.name == "escape" {
            match directive.value.as_str() {
                "\\" => file.escape = '\\',
                "`" => file.escape = '`',
                other => file.errors.push(SyntaxError {
                    span: directive.value_span,
                    message: format!(
                        "invalid escape character `{other}`; expected `\\` or `` ` ``"
                    ),
                }),
            }
        }
        file.directives.push(directive);
    }
    None
}

/// Read the body of heredoc `doc` from the next lines: the heredoc and whether a terminator
/// line closed it (otherwise the body runs to the end of the file).
fn read_heredoc(text: &str, lines: &mut Lines<'_>, doc: &HeredocWord) -> (RawHeredoc, bool) {
    let body_start = lines.pos;
    for body_line in lines.by_ref() {
        let mut candidate = &text[body_line.start..body_line.end];
        if doc.strip_tabs {
            candidate = candidate.trim_start_matches('\t');
        }
        if candidate == doc.delimiter {
            let terminator = Span::new(body_line.start, body_line.end);
            return (
                RawHeredoc {
                    body: Span::new(body_start, body_line.start),
                    terminator,
                },
                true,
            );
        }
    }
    let end = text.len();
    (
        RawHeredoc {
            body: Span::new(body_start.min(end), end),
            terminator: Span::empty(end),
        },
        false,
    )
}

/// Blanks that separate an instruction's keyword from its arguments (BuildKit's
/// `[\t\v\f\r ]+`).
#[must_use]
pub fn is_keyword_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0b' | '\x0c' | '\r')
}

/// Heredocs are allowed on RUN, COPY and ADD, also as the trigger of an ONBUILD (after its
/// flags, which BuildKit extracts from every instruction).
fn allows_heredoc(logical: &str) -> bool {
    let mut words = logical
        .trim_start()
        .split(is_keyword_blank)
        .filter(|w| !w.is_empty());
    let mut keyword = words.next().unwrap_or("");
    if keyword.eq_ignore_ascii_case("onbuild") {
        keyword = loop {
            match words.next() {
                Some("--") => break words.next().unwrap_or(""),
                Some(w) if w.starts_with("--") => {}
                other => break other.unwrap_or(""),
            }
        };
    }
    ["run", "copy", "add"]
        .iter()
        .any(|k| keyword.eq_ignore_ascii_case(k))
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
/// form `[n]<<[-]DELIM` with a non-empty delimiter, as BuildKit finds them. None when BuildKit's
/// shell lexer fails on the line (an unclosed quote or `${`).
#[must_use]
pub fn heredoc_words(logical: &str) -> Vec<HeredocWord> {
    let mut out = Vec::new();
    if !logical.contains("<<") || !super::words::lexes_cleanly(logical) {
        return out;
    }
    for (span, word) in super::words::raw_words(logical) {
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(rest) = word[digits..].strip_prefix("<<") else {
            continue;
        };
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
        out.push(HeredocWord {
            delimiter,
            strip_tabs,
            quoted,
            span,
        });
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
            vec![
                (0, "FROM a".into(), 0),
                (1, "RUN <<EOF".into(), 1),
                (5, "COPY <<-A <<\"B\" /x".into(), 2),
                (10, "CMD z".into(), 0)
            ]
        );
        let f = split(text);
        assert_eq!(
            f.instructions[1].heredocs[0].body.of(text),
            "apt-get update\nFROM x\n"
        );
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
        assert_eq!(
            shape(text),
            vec![
                (0, "FROM a".into(), 0),
                (1, "RUN x   y".into(), 0),
                (3, "RUN z ".into(), 0)
            ]
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "",
            "\\",
            "\u{feff}",
            "#",
            "# escape=",
            "RUN <<",
            "RUN <<-",
            "\r\r\n\n",
            "é\\\n",
            "COPY <<'' x\n",
        ] {
            let _ = split(text);
        }
    }
}
