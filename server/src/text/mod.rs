//! Document text and the one place where LSP positions become byte offsets.
//!
//! Everything else in the crate works on byte offsets into a contiguous
//! `&str`.  Editors speak in `(line, character)` positions whose `character`
//! is counted in a negotiated [`Encoding`] (UTF-8 bytes, UTF-16 code units or
//! Unicode scalar values).  This module converts between the two and owns
//! the text of open documents.
//!
//! # Line breaks
//!
//! Lines end at LF, CR and CRLF, exactly as the Language Server Protocol
//! specifies.  U+2028, U+2029, U+0085, VT and FF are *not* line breaks.  A
//! CRLF pair is one line break, so a byte offset between the CR and the LF of
//! a CRLF belongs to the line that the pair terminates.
//!
//! # Clamping
//!
//! Conversions never panic.  A `character` past the end of a line clamps to
//! the end of that line's content (before its terminator), a line past the
//! end clamps to the end of the document, and a position or offset inside a
//! character (including between the two halves of a UTF-16 surrogate pair,
//! or between the CR and LF of a CRLF) rounds down.
//!
//! # Cost
//!
//! [`TextDocument`] keeps a `String` (for the analysis, which wants one
//! contiguous slice), the start of every line (a binary search finds the line
//! of an offset) and a [`ropey::Rope`] (for O(log n) UTF-16 and character
//! look-ups) in sync.  Applying an edit costs O(log n + edit size) in the
//! rope, one `memmove` of the `String` and one pass moving the line starts
//! after the edit; converting a position costs O(log n).  [`LineIndex`] is a
//! plain O(n)-to-build index for code that only has a `&str` (the CLI).

use std::ops::Range;

use ropey::Rope;

/// How the `character` of a [`Position`] is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 code units, i.e. bytes.
    Utf8,
    /// UTF-16 code units; the LSP default.
    #[default]
    Utf16,
    /// Unicode scalar values (Rust `char`s).
    Utf32,
}

impl Encoding {
    /// The LSP `PositionEncodingKind` name: `"utf-8"`, `"utf-16"` or `"utf-32"`.
    #[must_use]
    pub const fn as_lsp_name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf16 => "utf-16",
            Self::Utf32 => "utf-32",
        }
    }

    /// Parses an LSP `PositionEncodingKind` name.
    #[must_use]
    pub fn from_lsp_name(name: &str) -> Option<Self> {
        match name {
            "utf-8" => Some(Self::Utf8),
            "utf-16" => Some(Self::Utf16),
            "utf-32" => Some(Self::Utf32),
            _ => None,
        }
    }

    /// Picks the encoding to use from the client's
    /// `general.positionEncodings`: UTF-8 if offered (it needs no conversion
    /// at all), otherwise UTF-16, which every client must support.
    #[must_use]
    pub fn negotiate<'s>(offered: impl IntoIterator<Item = &'s str>) -> Self {
        if offered.into_iter().any(|name| name == "utf-8") {
            Self::Utf8
        } else {
            Self::Utf16
        }
    }
}

/// A zero-based LSP position; `character` is counted in some [`Encoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based column in the negotiated [`Encoding`].
    pub character: u32,
}

impl Position {
    /// A position from its line and character.
    #[must_use]
    pub const fn new(line: u32, character: u32) -> Self {
        Self { line, character }
    }
}

/// A text edit as the editor sends it: `range` None means "replace the whole document".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change<'a> {
    /// The replaced range; `None` replaces the whole document.
    pub range: Option<(Position, Position)>,
    /// The replacement text.
    pub text: &'a str,
}

/// What an applied change did, in byte offsets of the old and new text.
///
/// The old text's `start..old_end` was replaced by the new text's
/// `start..new_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedEdit {
    /// Where the edit starts, in both texts.
    pub start: usize,
    /// End of the replaced range, in the old text.
    pub old_end: usize,
    /// End of the inserted text, in the new text.
    pub new_end: usize,
}

/// The text of one open document: a `String`, the start of each of its lines and a [`Rope`],
/// kept in sync.
#[derive(Debug, Clone)]
pub struct TextDocument {
    /// The contiguous text handed to the analysis.
    text: String,
    /// The byte offset where each line starts: 0, then after every LF, and after every CR not
    /// followed by an LF. A binary search finds the line of an offset (the rope would count the
    /// line breaks of a whole chunk on every look-up).
    line_starts: Vec<usize>,
    /// The same text, for O(log n) UTF-16 and character look-ups.
    rope: Rope,
}

impl Default for TextDocument {
    fn default() -> Self {
        Self::new(String::new())
    }
}

impl TextDocument {
    /// A document holding `text`.
    #[must_use]
    pub fn new(text: String) -> Self {
        let rope = Rope::from_str(&text);
        let mut line_starts = vec![0];
        push_line_starts(text.as_bytes(), 0..text.len(), &mut line_starts);
        Self {
            text,
            line_starts,
            rope,
        }
    }

    /// The whole text as one contiguous slice.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the document is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Number of lines: line breaks plus one, so an empty document has one
    /// line and a document ending in a line break has an empty last line.
    #[must_use]
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line index containing byte `offset` (clamped to the length).
    /// An offset between the CR and LF of a CRLF is on the line the pair ends.
    #[must_use]
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = floor_char_boundary(&self.text, offset);
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// Byte range of the content of `line`, without its line terminator;
    /// `None` if the line does not exist.
    #[must_use]
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        (line < self.line_starts.len()).then(|| self.line_bounds(line))
    }

    /// Byte offset of an LSP position.
    ///
    /// Never panics: a character past the end of a line clamps to the end of
    /// that line's content (before its line terminator), a line past the end
    /// clamps to the end of the document, a position inside a multi-byte char
    /// (or between the two halves of a UTF-16 surrogate pair) rounds down to
    /// the char boundary.
    #[must_use]
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let line = to_usize(pos.line);
        if line >= self.line_starts.len() {
            return self.text.len();
        }
        let Range { start, end } = self.line_bounds(line);
        let character = to_usize(pos.character);
        match enc {
            Encoding::Utf8 => {
                floor_char_boundary(&self.text, start.saturating_add(character).min(end))
            }
            Encoding::Utf16 => {
                let start_cu = self.utf16_cu_of_byte(start);
                let end_cu = self.utf16_cu_of_byte(end);
                let cu = start_cu.saturating_add(character).min(end_cu);
                // `utf16_cu_to_char` rounds a code unit inside a surrogate
                // pair down to the char it belongs to.
                self.rope.char_to_byte(self.rope.utf16_cu_to_char(cu))
            }
            Encoding::Utf32 => {
                let start_char = self.rope.byte_to_char(start);
                let end_char = self.rope.byte_to_char(end);
                self.rope
                    .char_to_byte(start_char.saturating_add(character).min(end_char))
            }
        }
    }

    /// LSP position of a byte offset (offset clamped to len and rounded down
    /// to a char boundary; an offset between the CR and LF of a CRLF rounds
    /// down to the end of the line's content).
    #[must_use]
    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let offset = floor_char_boundary(&self.text, offset);
        let line = self.line_of(offset);
        self.position_on_line(offset, line, self.line_bounds(line), enc)
    }

    /// [`Self::position`] of each of `offsets`, walking the line starts once (for many offsets,
    /// every instruction of a large file, cheaper than a binary search each). Cheapest when
    /// `offsets` are sorted.
    #[must_use]
    pub fn positions(&self, offsets: &[usize], enc: Encoding) -> Vec<Position> {
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        if !offsets.is_sorted() {
            order.sort_by_key(|&k| offsets[k]);
        }
        let mut out = vec![Position::default(); offsets.len()];
        let mut line = 0;
        for k in order {
            let offset = floor_char_boundary(&self.text, offsets[k]);
            while self
                .line_starts
                .get(line + 1)
                .is_some_and(|&next| next <= offset)
            {
                line += 1;
            }
            out[k] = self.position_on_line(offset, line, self.line_bounds(line), enc);
            debug_assert_eq!(out[k], self.position(offset, enc));
        }
        out
    }

    /// The position of `offset` on `line`, whose content is `bounds`.
    fn position_on_line(
        &self,
        offset: usize,
        line: usize,
        bounds: Range<usize>,
        enc: Encoding,
    ) -> Position {
        let Range { start, end } = bounds;
        let offset = offset.min(end);
        // ASCII before the offset (the common case): one code unit per byte, no rope walk
        let ascii = self.text.as_bytes()[start..offset].is_ascii();
        let character = match enc {
            Encoding::Utf8 => offset - start,
            _ if ascii => offset - start,
            Encoding::Utf16 => self.utf16_cu_of_byte(offset) - self.utf16_cu_of_byte(start),
            Encoding::Utf32 => self.rope.byte_to_char(offset) - self.rope.byte_to_char(start),
        };
        Position {
            line: to_u32(line),
            character: to_u32(character),
        }
    }

    /// Apply one change; an inverted range (end before start) is normalised
    /// by swapping.  Returns the byte edit.
    pub fn apply(&mut self, change: &Change<'_>, enc: Encoding) -> AppliedEdit {
        match change.range {
            None => {
                let old_end = self.text.len();
                *self = Self::new(change.text.to_string());
                AppliedEdit {
                    start: 0,
                    old_end,
                    new_end: change.text.len(),
                }
            }
            Some((a, b)) => {
                let a = self.offset(a, enc);
                let b = self.offset(b, enc);
                self.replace(a..b, change.text)
            }
        }
    }

    /// Replace the bytes in `range` with `text`.  Both ends are clamped to
    /// the length and rounded down to char boundaries; an inverted range is
    /// normalised by swapping.  Unlike [`apply`](Self::apply) this can split
    /// a CRLF pair.
    pub fn replace(&mut self, range: Range<usize>, text: &str) -> AppliedEdit {
        let a = floor_char_boundary(&self.text, range.start);
        let b = floor_char_boundary(&self.text, range.end);
        let (start, old_end) = if b < a { (b, a) } else { (a, b) };
        let start_char = self.rope.byte_to_char(start);
        let end_char = self.rope.byte_to_char(old_end);
        self.rope.remove(start_char..end_char);
        self.rope.insert(start_char, text);
        self.text.replace_range(start..old_end, text);
        self.update_line_starts(start, old_end, start + text.len());
        AppliedEdit {
            start,
            old_end,
            new_end: start + text.len(),
        }
    }

    /// Brings the line starts up to date after `start..old_end` was replaced with what is now
    /// `start..new_end`. A start depends on the byte before it and the byte after that (a CR
    /// followed by an LF is no break of its own): the starts in `start..=old_end` are worked out
    /// again from the bytes in `start - 1..new_end`, the later ones move.
    fn update_line_starts(&mut self, start: usize, old_end: usize, new_end: usize) {
        let starts = &mut self.line_starts;
        let first = starts.partition_point(|&s| s < start.max(1));
        let last = starts.partition_point(|&s| s <= old_end);
        let delta = new_end.wrapping_sub(old_end);
        for s in &mut starts[last..] {
            *s = s.wrapping_add(delta);
        }
        let mut fresh = Vec::new();
        push_line_starts(
            self.text.as_bytes(),
            start.saturating_sub(1)..new_end,
            &mut fresh,
        );
        starts.splice(first..last, fresh);
    }

    /// Start and content end (before the terminator) of an existing `line`.
    fn line_bounds(&self, line: usize) -> Range<usize> {
        line_bounds(&self.line_starts, self.text.as_bytes(), line)
    }

    /// UTF-16 code-unit index of a byte offset that is a char boundary.
    fn utf16_cu_of_byte(&self, offset: usize) -> usize {
        self.rope.char_to_utf16_cu(self.rope.byte_to_char(offset))
    }
}

/// Line/column look-up for a plain `&str`, with the same line-break rules as
/// [`TextDocument`]; columns count Unicode scalar values.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    /// The indexed text.
    text: &'a str,
    /// Byte offset at which each line starts; never empty, first is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text` in O(n).
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        push_line_starts(text.as_bytes(), 0..text.len(), &mut starts);
        Self { text, starts }
    }

    /// Number of lines (line breaks plus one).
    #[must_use]
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line and 0-based column in chars of a byte offset (clamped to
    /// the length, rounded down to a char boundary, and an offset between CR
    /// and LF rounded down to the end of the line's content).
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset);
        let line = self
            .starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let Range { start, end } = self.line_bounds(line);
        let column = self
            .text
            .get(start..offset.min(end))
            .map_or(0, |prefix| prefix.chars().count());
        (line, column)
    }

    /// Byte offset of 0-based `line0` and 0-based char column `col0`; a column
    /// past the line's content clamps to its end, a line past the end clamps
    /// to the end of the text.
    #[must_use]
    pub fn offset(&self, line0: usize, col0: usize) -> usize {
        if line0 >= self.starts.len() {
            return self.text.len();
        }
        let Range { start, end } = self.line_bounds(line0);
        self.text
            .get(start..end)
            .and_then(|content| content.char_indices().nth(col0))
            .map_or(end, |(i, _)| start + i)
    }

    /// Start and content end of an existing `line`.
    fn line_bounds(&self, line: usize) -> Range<usize> {
        line_bounds(&self.starts, self.text.as_bytes(), line)
    }
}

/// Appends to `out` the line starts that the bytes at `range` make: `i + 1` for an LF at `i`,
/// or a CR at `i` not followed by an LF.
fn push_line_starts(bytes: &[u8], range: Range<usize>, out: &mut Vec<usize>) {
    let mut at = range.start;
    while let Some(k) = memchr::memchr2(b'\n', b'\r', &bytes[at..range.end]) {
        let i = at + k;
        if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
            out.push(i + 1);
        }
        at = i + 1;
    }
}

/// Start and content end (before the terminator) of `line` of `text`, whose lines start at
/// `starts`; a line past the end is the empty end of the text.
fn line_bounds(starts: &[usize], text: &[u8], line: usize) -> Range<usize> {
    let start = starts.get(line).copied().unwrap_or(text.len());
    let next = starts.get(line + 1).copied().unwrap_or(text.len());
    start..content_end(text, start, next)
}

/// End of the content of the line spanning `start..next` (the start of the
/// next line), i.e. `next` minus the length of the line's terminator.
fn content_end(text: &[u8], start: usize, next: usize) -> usize {
    match text.get(start..next).unwrap_or_default() {
        [.., b'\r', b'\n'] => next - 2,
        [.., b'\n' | b'\r'] => next - 1,
        _ => next,
    }
}

/// `offset` clamped to `text.len()` and rounded down to a char boundary.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Widens an LSP `u32`, saturating on (hypothetical) 16-bit targets.
fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Narrows to an LSP `u32`, saturating for documents over 4 GiB.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::Encoding::{Utf16, Utf32, Utf8};
    use super::{AppliedEdit, Change, Encoding, LineIndex, Position, TextDocument};
    use proptest::prelude::*;

    const ENCODINGS: [Encoding; 3] = [Utf8, Utf16, Utf32];

    fn pos((line, character): (u32, u32)) -> Position {
        Position { line, character }
    }

    fn doc(text: &str) -> TextDocument {
        TextDocument::new(text.to_owned())
    }

    /// The rope and the `String` hold the same text, and the line count
    /// matches an independent scan.
    fn assert_in_sync(doc: &TextDocument) {
        assert_eq!(doc.rope.to_string(), doc.text, "rope and String diverged");
        let starts: Vec<usize> = naive_lines(&doc.text)
            .iter()
            .map(|&(start, _)| start)
            .collect();
        assert_eq!(doc.line_starts, starts, "line starts of {:?}", doc.text);
        assert_eq!(
            doc.line_count(),
            naive_lines(&doc.text).len(),
            "line count of {:?}",
            doc.text
        );
    }

    // ---- An oracle that knows nothing of ropey. --------------------------

    /// `(start, content end)` of every line: breaks at LF, CR and CRLF.
    fn naive_lines(text: &str) -> Vec<(usize, usize)> {
        let mut lines = Vec::new();
        let mut start = 0;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\r' if chars.peek().is_some_and(|&(_, next)| next == '\n') => {
                    chars.next();
                    lines.push((start, i));
                    start = i + 2;
                }
                '\n' | '\r' => {
                    lines.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        lines.push((start, text.len()));
        lines
    }

    fn width(s: &str, enc: Encoding) -> usize {
        match enc {
            Utf8 => s.len(),
            Utf16 => s.encode_utf16().count(),
            Utf32 => s.chars().count(),
        }
    }

    /// Byte offset of `p` by a linear scan, with the documented clamping.
    fn naive_offset(text: &str, p: Position, enc: Encoding) -> usize {
        let lines = naive_lines(text);
        let Some(&(start, end)) = lines.get(p.line as usize) else {
            return text.len();
        };
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            units += width(c.encode_utf8(&mut [0; 4]), enc);
            if units > p.character as usize {
                return start + i;
            }
        }
        end
    }

    /// Position of a char-boundary `offset` that is not inside a CRLF.
    fn naive_position(text: &str, offset: usize, enc: Encoding) -> Position {
        let lines = naive_lines(text);
        let line = lines
            .iter()
            .rposition(|&(start, _)| start <= offset)
            .unwrap_or(0);
        let start = lines[line].0;
        Position {
            line: u32::try_from(line).unwrap(),
            character: u32::try_from(width(&text[start..offset], enc)).unwrap(),
        }
    }

    // ---- Tables. ----------------------------------------------------------

    type LineChar = (u32, u32);

    /// `(text, byte offset, its position in UTF-8, UTF-16 and UTF-32)`.
    type RoundTrip = (&'static str, usize, [LineChar; 3]);

    /// `(before, byte range, text, after, line count after)`.
    type ByteEdit = (
        &'static str,
        (usize, usize),
        &'static str,
        &'static str,
        usize,
    );

    /// `(before, range, text, encoding, after, (start, old_end, new_end), line count after)`.
    type Edit = (
        &'static str,
        Option<(LineChar, LineChar)>,
        &'static str,
        Encoding,
        &'static str,
        (usize, usize, usize),
        usize,
    );

    /// Every row must convert both ways, and agree with `LineIndex` in UTF-32.
    const ROUND_TRIPS: &[RoundTrip] = &[
        // ASCII
        ("FROM a\nRUN b\n", 0, [(0, 0); 3]),
        ("FROM a\nRUN b\n", 6, [(0, 6); 3]),
        ("FROM a\nRUN b\n", 7, [(1, 0); 3]),
        ("FROM a\nRUN b\n", 12, [(1, 5); 3]),
        ("FROM a\nRUN b\n", 13, [(2, 0); 3]),
        // CRLF
        ("a\r\nb", 1, [(0, 1); 3]),
        ("a\r\nb", 3, [(1, 0); 3]),
        ("a\r\nb", 4, [(1, 1); 3]),
        // lone CR
        ("a\rb", 1, [(0, 1); 3]),
        ("a\rb", 2, [(1, 0); 3]),
        ("a\r", 2, [(1, 0); 3]),
        // mixed endings: LF, CRLF, CR
        ("a\nb\r\nc\rd", 2, [(1, 0); 3]),
        ("a\nb\r\nc\rd", 3, [(1, 1); 3]),
        ("a\nb\r\nc\rd", 5, [(2, 0); 3]),
        ("a\nb\r\nc\rd", 7, [(3, 0); 3]),
        ("a\nb\r\nc\rd", 8, [(3, 1); 3]),
        ("\r\r\n\n", 1, [(1, 0); 3]),
        ("\r\r\n\n", 3, [(2, 0); 3]),
        ("\r\r\n\n", 4, [(3, 0); 3]),
        // emoji: 4 bytes, 2 UTF-16 code units, 1 char
        ("a😀b", 1, [(0, 1); 3]),
        ("a😀b", 5, [(0, 5), (0, 3), (0, 2)]),
        ("a😀b", 6, [(0, 6), (0, 4), (0, 3)]),
        ("😀\n😀", 5, [(1, 0); 3]),
        ("😀\n😀", 9, [(1, 4), (1, 2), (1, 1)]),
        // CJK: 3 bytes, 1 UTF-16 code unit, 1 char
        ("日本\n語", 3, [(0, 3), (0, 1), (0, 1)]),
        ("日本\n語", 6, [(0, 6), (0, 2), (0, 2)]),
        ("日本\n語", 7, [(1, 0); 3]),
        ("日本\n語", 10, [(1, 3), (1, 1), (1, 1)]),
        // 2-byte char
        ("é\r\né", 6, [(1, 2), (1, 1), (1, 1)]),
        // empty document
        ("", 0, [(0, 0); 3]),
    ];

    /// `(text, position, encoding, byte offset)` for positions that clamp.
    const CLAMPED_OFFSETS: &[(&str, (u32, u32), Encoding, usize)] = &[
        // past the end of a line: end of its content, never inside the terminator
        ("ab\ncd", (0, 3), Utf16, 2),
        ("ab\r\ncd", (0, 3), Utf16, 2),
        ("ab\r\ncd", (0, 4), Utf8, 2),
        ("ab\r\ncd", (0, u32::MAX), Utf32, 2),
        ("ab\rcd", (0, 9), Utf32, 2),
        ("ab\ncd", (1, 9), Utf16, 5),
        ("a😀\nb", (0, 9), Utf16, 5),
        // past the end of the document
        ("ab\ncd", (2, 0), Utf16, 5),
        ("ab\ncd\n", (2, 5), Utf16, 6),
        ("ab\ncd\n", (3, 0), Utf8, 6),
        ("ab", (u32::MAX, u32::MAX), Utf8, 2),
        ("", (0, 5), Utf16, 0),
        ("", (7, 7), Utf32, 0),
        // inside a surrogate pair or a multi-byte char: round down
        ("a😀b", (0, 2), Utf16, 1),
        ("a😀b", (0, 2), Utf8, 1),
        ("a😀b", (0, 3), Utf8, 1),
        ("a😀b", (0, 4), Utf8, 1),
        ("日本", (0, 4), Utf8, 3),
        ("é", (0, 1), Utf8, 0),
    ];

    /// `(text, byte offset, encoding, position)` for offsets that clamp.
    const CLAMPED_POSITIONS: &[(&str, usize, Encoding, (u32, u32))] = &[
        // inside a multi-byte char: round down
        ("a😀b", 3, Utf16, (0, 1)),
        ("a😀b", 2, Utf8, (0, 1)),
        ("日本", 4, Utf32, (0, 1)),
        // past the end of the document
        ("a😀b", 99, Utf16, (0, 4)),
        ("a\n", usize::MAX, Utf8, (1, 0)),
        ("", 1, Utf16, (0, 0)),
        // between the CR and LF of a CRLF: end of the line's content
        ("a\r\nb", 2, Utf16, (0, 1)),
        ("日\r\n", 4, Utf16, (0, 1)),
    ];

    /// `(text, line count, line of each byte offset 0..=len)`.
    const LINES: &[(&str, usize, &[usize])] = &[
        ("", 1, &[0]),
        ("a", 1, &[0, 0]),
        ("a\n", 2, &[0, 0, 1]),
        ("a\r", 2, &[0, 0, 1]),
        ("a\r\n", 2, &[0, 0, 0, 1]),
        // the offset between CR and LF is on the line the CRLF ends
        ("a\r\nb", 2, &[0, 0, 0, 1, 1]),
        ("a\rb", 2, &[0, 0, 1, 1]),
        ("\n\r", 3, &[0, 1, 2]),
        ("\r\r\n\n", 4, &[0, 1, 1, 2, 3]),
        ("\n\r\n\r", 4, &[0, 1, 1, 2, 3]),
        // U+2028, U+2029, U+0085, VT and FF are not line breaks (this fails if
        // a dependency turns on ropey's default `unicode_lines` feature)
        ("\u{2028}\u{2029}", 1, &[0; 7]),
        ("\u{85}\x0B\x0C", 1, &[0; 5]),
    ];

    /// Edits as an editor sends them.
    #[rustfmt::skip] // one row per line reads better than rustfmt's one field per line
    const EDITS: &[Edit] = &[
        // insert, replace
        ("RUN a", Some(((0, 0), (0, 0))), "# x\n", Utf16, "# x\nRUN a", (0, 0, 4), 2),
        ("FROM alpine", Some(((0, 5), (0, 11))), "debian", Utf16, "FROM debian", (5, 11, 11), 1),
        // an inverted range is swapped
        ("FROM alpine", Some(((0, 11), (0, 5))), "debian", Utf16, "FROM debian", (5, 11, 11), 1),
        ("a\nb\nc", Some(((2, 0), (0, 1))), "", Utf8, "ac", (1, 4, 1), 1),
        // edit at the very end, exactly and past it
        ("a\n", Some(((1, 0), (1, 0))), "b", Utf16, "a\nb", (2, 2, 3), 2),
        ("a\n", Some(((9, 9), (9, 9))), "b", Utf32, "a\nb", (2, 2, 3), 2),
        ("a", Some(((0, 1), (0, 1))), "\n", Utf8, "a\n", (1, 1, 2), 2),
        // whole document
        ("old\ntext", None, "new", Utf16, "new", (0, 8, 3), 1),
        ("old", None, "", Utf16, "", (0, 3, 0), 1),
        // empty document
        ("", Some(((0, 0), (0, 0))), "FROM x", Utf16, "FROM x", (0, 0, 6), 1),
        ("", Some(((3, 3), (4, 4))), "x", Utf16, "x", (0, 0, 1), 1),
        ("", None, "", Utf16, "", (0, 0, 0), 1),
        // delete everything
        ("a\r\nb", Some(((0, 0), (1, 1))), "", Utf16, "", (0, 4, 0), 1),
        // emoji and CJK in each encoding
        ("a😀b", Some(((0, 1), (0, 3))), "", Utf16, "ab", (1, 5, 1), 1),
        ("a😀b", Some(((0, 1), (0, 5))), "", Utf8, "ab", (1, 5, 1), 1),
        ("a😀b", Some(((0, 1), (0, 2))), "", Utf32, "ab", (1, 5, 1), 1),
        ("日本語", Some(((0, 1), (0, 2))), "", Utf16, "日語", (3, 6, 3), 1),
        // a range ending inside the surrogate pair: the end rounds down
        ("a😀b", Some(((0, 1), (0, 2))), "x", Utf16, "ax😀b", (1, 1, 2), 1),
        // a range starting inside the surrogate pair: the start rounds down
        ("a😀b", Some(((0, 2), (0, 4))), "", Utf16, "a", (1, 6, 1), 1),
        // delete a whole CRLF
        ("a\r\nb", Some(((0, 1), (1, 0))), "", Utf16, "ab", (1, 3, 1), 1),
        // a range ending "inside" a CRLF clamps before it: the CRLF survives
        ("ab\r\nc", Some(((0, 1), (0, 3))), "", Utf16, "a\r\nc", (1, 2, 1), 2),
        // replace a CRLF by a lone CR (the LSP way of deleting only the LF)
        ("a\r\nb", Some(((0, 1), (1, 0))), "\r", Utf16, "a\rb", (1, 3, 2), 2),
        // a LF inserted after a lone CR merges into a CRLF: no new line
        ("a\rb", Some(((1, 0), (1, 0))), "\n", Utf16, "a\r\nb", (2, 2, 3), 2),
        ("a\rb", Some(((1, 0), (1, 0))), "\nx\n", Utf16, "a\r\nx\nb", (2, 2, 5), 3),
        // a CR inserted before a LF merges into a CRLF: no new line
        ("a\nb", Some(((0, 1), (0, 1))), "\r", Utf16, "a\r\nb", (1, 1, 2), 2),
        ("a\nb", Some(((0, 1), (0, 1))), "x\r", Utf16, "ax\r\nb", (1, 1, 3), 2),
        // deleting what separates a CR from a LF merges two breaks into one
        ("a\rX\nb", Some(((1, 0), (1, 1))), "", Utf16, "a\r\nb", (2, 3, 2), 2),
    ];

    /// Byte edits through [`TextDocument::replace`], which can split a CRLF.
    const BYTE_EDITS: &[ByteEdit] = &[
        // delete only the LF of a CRLF: the CR stays a line break on its own
        ("a\r\nb", (2, 3), "", "a\rb", 2),
        // delete only the CR of a CRLF
        ("a\r\nb", (1, 2), "", "a\nb", 2),
        // insert between the CR and LF: one break becomes two
        ("a\r\nb", (2, 2), "X", "a\rX\nb", 3),
        ("a\r\nb", (2, 2), "\n", "a\r\n\nb", 3),
        ("a\r\nb", (2, 2), "\r", "a\r\r\nb", 3),
        // a range inside a multi-byte char rounds down
        ("a😀b", (2, 3), "x", "ax😀b", 1),
        ("a😀b", (2, 5), "", "ab", 1),
        // past the end clamps; inverted ranges are swapped
        ("ab", (7, 9), "\r", "ab\r", 2),
        ("abc", (2, 1), "", "ac", 1),
    ];

    // ---- Table-driven tests. ----------------------------------------------

    #[test]
    fn round_trips() {
        for &(text, offset, positions) in ROUND_TRIPS {
            let d = doc(text);
            for (enc, p) in ENCODINGS.into_iter().zip(positions.map(pos)) {
                assert_eq!(
                    d.position(offset, enc),
                    p,
                    "position({offset}) in {text:?} {enc:?}"
                );
                assert_eq!(
                    d.offset(p, enc),
                    offset,
                    "offset({p:?}) in {text:?} {enc:?}"
                );
            }
            let index = LineIndex::new(text);
            let (line, col) = positions[2];
            let expected = (line as usize, col as usize);
            assert_eq!(
                index.line_col(offset),
                expected,
                "line_col({offset}) in {text:?}"
            );
            assert_eq!(
                index.offset(expected.0, expected.1),
                offset,
                "LineIndex offset in {text:?}"
            );
        }
    }

    #[test]
    fn clamped_offsets() {
        for &(text, p, enc, offset) in CLAMPED_OFFSETS {
            let p = pos(p);
            assert_eq!(
                doc(text).offset(p, enc),
                offset,
                "offset({p:?}) in {text:?} {enc:?}"
            );
            if enc == Utf32 {
                let index = LineIndex::new(text);
                assert_eq!(index.offset(p.line as usize, p.character as usize), offset);
            }
        }
    }

    #[test]
    fn clamped_positions() {
        for &(text, offset, enc, p) in CLAMPED_POSITIONS {
            let d = doc(text);
            assert_eq!(
                d.position(offset, enc),
                pos(p),
                "position({offset}) in {text:?} {enc:?}"
            );
            if enc == Utf32 {
                let index = LineIndex::new(text);
                assert_eq!(index.line_col(offset), (p.0 as usize, p.1 as usize));
            }
        }
    }

    #[test]
    fn lines() {
        for &(text, count, lines) in LINES {
            let d = doc(text);
            assert_eq!(d.line_count(), count, "line_count of {text:?}");
            assert_eq!(
                LineIndex::new(text).line_count(),
                count,
                "LineIndex of {text:?}"
            );
            let got: Vec<usize> = (0..=text.len()).map(|offset| d.line_of(offset)).collect();
            assert_eq!(got, lines, "line_of in {text:?}");
            assert_eq!(d.line_of(usize::MAX), count - 1);
        }
    }

    #[test]
    fn line_ranges() {
        let d = doc("ab\r\nc\rd\n");
        let ranges: Vec<_> = (0..5).map(|line| d.line_range(line)).collect();
        assert_eq!(
            ranges,
            [Some(0..2), Some(4..5), Some(6..7), Some(8..8), None]
        );
    }

    #[test]
    fn edits() {
        for &(before, range, text, enc, after, (start, old_end, new_end), lines) in EDITS {
            let mut d = doc(before);
            let change = Change {
                range: range.map(|(a, b)| (pos(a), pos(b))),
                text,
            };
            let edit = d.apply(&change, enc);
            assert_eq!(d.text(), after, "{before:?} {change:?}");
            assert_eq!(
                edit,
                AppliedEdit {
                    start,
                    old_end,
                    new_end
                },
                "{before:?} {change:?}"
            );
            assert_eq!(d.line_count(), lines, "line count of {after:?}");
            assert_in_sync(&d);
        }
    }

    #[test]
    fn byte_edits() {
        for &(before, (a, b), text, after, lines) in BYTE_EDITS {
            let mut d = doc(before);
            d.replace(a..b, text);
            assert_eq!(d.text(), after, "{before:?} {a}..{b} {text:?}");
            assert_eq!(d.line_count(), lines, "line count of {after:?}");
            assert_in_sync(&d);
        }
    }

    #[test]
    fn crlf_split_and_rejoined_by_edits() {
        // Delete the LF of a CRLF, then put it back: 2 lines throughout, and
        // the offset after the restored LF is the start of line 1 again.
        let mut d = doc("a\r\nb");
        d.replace(2..3, "");
        assert_eq!((d.text(), d.line_count(), d.line_of(2)), ("a\rb", 2, 1));
        d.replace(2..2, "\n");
        assert_eq!((d.text(), d.line_count(), d.line_of(2)), ("a\r\nb", 2, 0));
        assert_eq!(d.offset(Position::new(1, 0), Utf16), 3);
        assert_in_sync(&d);
    }

    #[test]
    fn len_and_is_empty() {
        let mut d = TextDocument::default();
        assert!(d.is_empty());
        assert_eq!((d.len(), d.line_count()), (0, 1));
        d.apply(
            &Change {
                range: None,
                text: "日\n",
            },
            Utf16,
        );
        assert!(!d.is_empty());
        assert_eq!((d.len(), d.line_count()), (4, 2));
    }

    #[test]
    fn encoding_names() {
        for enc in ENCODINGS {
            assert_eq!(Encoding::from_lsp_name(enc.as_lsp_name()), Some(enc));
        }
        assert_eq!(Encoding::from_lsp_name("utf-7"), None);
        assert_eq!(Encoding::default(), Utf16);
        assert_eq!(Encoding::negotiate(["utf-16", "utf-8"]), Utf8);
        assert_eq!(Encoding::negotiate(["utf-32", "utf-16"]), Utf16);
        assert_eq!(Encoding::negotiate([]), Utf16);
    }

    // ---- Properties. ------------------------------------------------------

    /// Characters of every UTF-8 and UTF-16 width, every line break, and
    /// characters that are *not* line breaks here (a BOM, NUL, a tab).
    const ALPHABET: &[char] = &[
        'a', 'Z', ' ', '\n', '\r', '\r', 'é', '日', '😀', '\u{2028}', '\u{85}', '\u{feff}', '\0',
        '\t',
    ];

    fn text_of(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(ALPHABET), len).prop_map(String::from_iter)
    }

    fn encoding() -> impl Strategy<Value = Encoding> {
        prop::sample::select(&ENCODINGS[..])
    }

    fn position() -> impl Strategy<Value = Position> {
        let line = prop_oneof![9 => 0..8u32, 1 => Just(u32::MAX)];
        let character = prop_oneof![9 => 0..14u32, 1 => Just(u32::MAX)];
        (line, character).prop_map(|(line, character)| Position { line, character })
    }

    #[derive(Debug, Clone)]
    enum Op {
        Lsp(Position, Position, String, Encoding),
        Whole(String),
        Bytes(usize, usize, String),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (position(), position(), text_of(0..6), encoding())
                .prop_map(|(a, b, text, enc)| Op::Lsp(a, b, text, enc)),
            1 => text_of(0..20).prop_map(Op::Whole),
            3 => (0..60usize, 0..60usize, text_of(0..6)).prop_map(|(a, b, text)| Op::Bytes(a, b, text)),
        ]
    }

    /// Applies `op` to `doc` and, independently, to the `model` string; checks
    /// that both agree.
    fn apply_both(d: &mut TextDocument, model: &mut String, op: &Op) {
        let floor = |s: &str, i: usize| {
            (0..=i.min(s.len()))
                .rev()
                .find(|&i| s.is_char_boundary(i))
                .unwrap_or(0)
        };
        let (range, text, edit) = match op {
            Op::Lsp(a, b, text, enc) => {
                let change = Change {
                    range: Some((*a, *b)),
                    text,
                };
                let (a, b) = (naive_offset(model, *a, *enc), naive_offset(model, *b, *enc));
                ((a.min(b), a.max(b)), text, d.apply(&change, *enc))
            }
            Op::Whole(text) => (
                (0, model.len()),
                text,
                d.apply(&Change { range: None, text }, Utf16),
            ),
            Op::Bytes(a, b, text) => {
                let (a, b) = (floor(model, *a), floor(model, *b));
                ((a.min(b), a.max(b)), text, d.replace(a..b, text))
            }
        };
        model.replace_range(range.0..range.1, text);
        let expected = AppliedEdit {
            start: range.0,
            old_end: range.1,
            new_end: range.0 + text.len(),
        };
        assert_eq!(edit, expected, "{op:?}");
        assert_eq!(d.text(), model.as_str(), "{op:?}");
        assert_in_sync(d);
    }

    proptest! {
        /// (1) position(offset(p)) == p, and offset(position(o)) == o, for
        /// every valid position in all three encodings.
        #[test]
        fn valid_positions_round_trip(text in text_of(0..40)) {
            let d = doc(&text);
            let index = LineIndex::new(&text);
            for (line, &(start, end)) in naive_lines(&text).iter().enumerate() {
                for offset in (start..=end).filter(|&i| text.is_char_boundary(i)) {
                    for enc in ENCODINGS {
                        let p = Position {
                            line: u32::try_from(line).unwrap(),
                            character: u32::try_from(width(&text[start..offset], enc)).unwrap(),
                        };
                        prop_assert_eq!(d.offset(p, enc), offset);
                        prop_assert_eq!(d.position(offset, enc), p);
                        prop_assert_eq!(d.position(d.offset(p, enc), enc), p);
                    }
                    let col = width(&text[start..offset], Utf32);
                    prop_assert_eq!(index.line_col(offset), (line, col));
                    prop_assert_eq!(index.offset(line, col), offset);
                }
            }
        }

        /// The bulk conversion gives what one conversion at a time gives, for any offsets (in
        /// any order or sorted, repeated, inside characters, between a CR and its LF, past the
        /// end), on short lines and on lines
        /// longer than the look-around window of a single conversion.
        #[test]
        fn bulk_positions_equal_single_positions(
            text in text_of(0..40),
            long in 0usize..3,
            offsets in proptest::collection::vec(0usize..3200, 0..24),
            enc in encoding(),
        ) {
            let text = match long {
                0 => text,
                1 => format!("{}\r\n{text}", "a".repeat(2100)),
                _ => format!("{text}{}é\n{}", "b".repeat(3000), "c".repeat(9)),
            };
            let d = doc(&text);
            let single: Vec<Position> = offsets.iter().map(|&o| d.position(o, enc)).collect();
            prop_assert_eq!(d.positions(&offsets, enc), single);
            // sorted offsets take the path without the sort
            let mut sorted = offsets.clone();
            sorted.sort_unstable();
            let single: Vec<Position> = sorted.iter().map(|&o| d.position(o, enc)).collect();
            prop_assert_eq!(d.positions(&sorted, enc), single);
        }

        /// Any position, valid or not, maps to the oracle's offset, never
        /// panics, and only ever rounds down.
        #[test]
        fn any_position_clamps_down(text in text_of(0..40), p in position(), enc in encoding()) {
            let d = doc(&text);
            let offset = d.offset(p, enc);
            prop_assert_eq!(offset, naive_offset(&text, p, enc));
            let q = d.position(offset, enc);
            prop_assert!(q <= p, "{:?} > {:?}", q, p);
            prop_assert_eq!(d.offset(q, enc), offset);
            if enc == Utf32 {
                let index = LineIndex::new(&text);
                prop_assert_eq!(index.offset(p.line as usize, p.character as usize), offset);
            }
        }

        /// Every byte offset (inside chars, inside CRLFs, past the end) maps
        /// to the oracle's position, rounding down.
        #[test]
        fn any_offset_rounds_down(text in text_of(0..40)) {
            let d = doc(&text);
            let index = LineIndex::new(&text);
            for offset in 0..text.len() + 3 {
                let mut floor = offset.min(text.len());
                while !text.is_char_boundary(floor) {
                    floor -= 1;
                }
                if text[..floor].ends_with('\r') && text[floor..].starts_with('\n') {
                    floor -= 1;
                }
                for enc in ENCODINGS {
                    let p = d.position(offset, enc);
                    prop_assert_eq!(p, naive_position(&text, floor, enc));
                    prop_assert_eq!(d.offset(p, enc), floor);
                }
                let p = d.position(offset, Utf32);
                prop_assert_eq!(index.line_col(offset), (p.line as usize, p.character as usize));
            }
        }

        /// (2) Random changes give the same text as the same byte edits on a
        /// plain `String`, and the rope never diverges from the `String`.
        #[test]
        fn edits_match_a_string(text in text_of(0..40), ops in prop::collection::vec(op(), 1..20)) {
            let mut d = doc(&text);
            let mut model = text;
            for op in &ops {
                apply_both(&mut d, &mut model, op);
            }
            for offset in 0..=model.len() {
                if model.is_char_boundary(offset) {
                    // (between CR and LF this is the line the CRLF ends)
                    let line = naive_position(&model, offset, Utf8).line as usize;
                    prop_assert_eq!(d.line_of(offset), line);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The same on texts spanning many rope chunks (about 1 KiB each), so
        /// that edits split and join CRLF pairs at chunk seams.
        #[test]
        fn edits_match_a_string_across_chunks(
            text in text_of(1000..5000),
            edits in prop::collection::vec(
                (any::<prop::sample::Index>(), 0..64usize, text_of(0..1500)),
                1..12,
            ),
        ) {
            let mut d = doc(&text);
            let mut model = text;
            assert_in_sync(&d);
            for (at, len, insert) in edits {
                let start = at.index(model.len() + 1);
                apply_both(&mut d, &mut model, &Op::Bytes(start, start + len, insert));
            }
        }
    }
}
