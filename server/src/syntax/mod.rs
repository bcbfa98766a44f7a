//! Syntax: from text to instructions, tolerant and span-exact.
//!
//! Two steps, both infallible:
//! 1. [`split`] cuts the file into *raw instructions* following BuildKit's line rules (parser
//!    directives, the escape character, continuation lines with comment and blank lines inside,
//!    heredocs, BOM, CRLF).
//! 2. [`instruction::parse`] parses one raw instruction on its own (keyword, flags, arguments,
//!    exec/shell form, and for shell text the command structure from [`shell`]). Because an
//!    instruction's parse depends only on its own text and the escape character, [`SyntaxCache`]
//!    keeps it for every instruction an edit did not touch; spans inside a parsed instruction are
//!    relative to the instruction's start so that a kept parse stays valid when the instruction
//!    moves.
//!
//! Editors change a few bytes at a time: [`SyntaxCache::update`] re-splits only around the edit
//! and re-parses only the instructions whose text changed, so a keystroke costs the size of the
//! instruction it touches plus moving the positions of the instructions after it.
//!
//! Problems never abort parsing: they are collected as [`SyntaxError`]s with precise spans.

pub mod instruction;
pub mod shell;
pub mod split;
pub mod words;

use std::sync::Arc;

use crate::text::AppliedEdit;

pub use instruction::{Instruction, Keyword};
pub use split::{Directive, RawInstruction, SplitFile};

/// A half-open byte range `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    #[must_use]
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
    #[must_use]
    pub const fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }
    #[must_use]
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }
    /// This span moved right by `by` bytes (a relative span made absolute).
    #[must_use]
    pub const fn shift(self, by: usize) -> Self {
        Self {
            start: self.start + by,
            end: self.end + by,
        }
    }
    #[must_use]
    pub fn cover(self, other: Self) -> Self {
        Self {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    #[must_use]
    pub const fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
    /// The text under this span, or "" when it does not fit `text`.
    #[must_use]
    pub fn of(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// A syntax problem: where it is and what was expected. Spans are absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// The whole file parsed: directives, instructions (absolute position + shared parse), comments.
#[derive(Debug, Clone, Default)]
pub struct SyntaxTree {
    pub split: SplitFile,
    /// One per raw instruction, in order.
    pub instructions: Vec<Located>,
}

/// A parsed instruction at its place in the file.
#[derive(Debug, Clone)]
pub struct Located {
    /// Absolute offset of the instruction's first byte; every span inside `parsed` is relative to it.
    pub offset: usize,
    /// 0-based line where the instruction starts: its keyword's line, except when it starts with
    /// a line holding only the escape character (BuildKit's start line then).
    pub line: u32,
    pub parsed: Arc<Instruction>,
}

impl Located {
    /// Make a span of `parsed` absolute.
    #[must_use]
    pub const fn abs(&self, rel: Span) -> Span {
        rel.shift(self.offset)
    }
    /// The absolute span of the whole instruction (heredoc bodies included).
    #[must_use]
    pub fn span(&self) -> Span {
        self.abs(self.parsed.span)
    }
    /// The absolute span of the keyword.
    #[must_use]
    pub fn keyword_span(&self) -> Span {
        self.abs(self.parsed.keyword_span)
    }
}

impl std::ops::Deref for Located {
    type Target = Instruction;
    fn deref(&self) -> &Instruction {
        &self.parsed
    }
}

impl SyntaxTree {
    /// Every syntax error in the file, absolute spans: the splitter's (in file order), then each
    /// instruction's.
    pub fn errors(&self) -> impl Iterator<Item = SyntaxError> + '_ {
        let split = self.split.errors.iter().cloned();
        let instr = self.instructions.iter().flat_map(|located| {
            located.parsed.errors.iter().map(move |e| SyntaxError {
                span: located.abs(e.span),
                message: e.message.clone(),
            })
        });
        split.chain(instr)
    }
}

/// Keeps one document's tree up to date across edits. Keep one per document.
///
/// [`Self::update`] re-splits only around the edit ([`split::resplit`]), parses only the
/// instructions the re-split produced, and moves the others (their parses are shared, their
/// spans relative). When the edit touches the parser directives, the whole text is split again,
/// and every instruction that lies entirely before or after the edit, unchanged, keeps its
/// parse. Either way the tree equals [`parse`] of the new text.
#[derive(Debug, Default)]
pub struct SyntaxCache {
    tree: SyntaxTree,
    /// The length of the text `tree` was made from; `None` when there is no such text yet.
    len: Option<usize>,
}

impl SyntaxCache {
    /// Parses `text` from scratch; it becomes the base of the next [`Self::update`].
    pub fn parse(&mut self, text: &str) -> &SyntaxTree {
        self.tree = parse(text);
        self.len = Some(text.len());
        &self.tree
    }

    /// The tree of the text last parsed or updated (empty before the first parse).
    #[must_use]
    pub fn tree(&self) -> &SyntaxTree {
        &self.tree
    }

    /// Updates the tree for `text`, which is the text last parsed with `edit` applied (an edit
    /// that covers several changes is fine: it must only contain every byte that changed). A
    /// cache that was never used, or whose text length does not agree with `edit`, parses
    /// `text` from scratch.
    pub fn update(&mut self, text: &str, edit: AppliedEdit) -> &SyntaxTree {
        let fits = edit.start <= edit.old_end
            && edit.start <= edit.new_end
            && edit.new_end <= text.len()
            && self.len == (text.len() - edit.new_end).checked_add(edit.old_end);
        if !fits {
            return self.parse(text);
        }
        self.len = Some(text.len());
        let tree = &mut self.tree;
        match split::resplit(&mut tree.split, text, edit) {
            Some(splice) => {
                let escape = tree.split.escape;
                let raws = &tree.split.instructions[splice.first..splice.first + splice.added];
                let parsed = raws.iter().map(|raw| Located {
                    offset: raw.span.start,
                    line: raw.line,
                    parsed: Arc::new(instruction::parse(text, raw, escape)),
                });
                tree.instructions
                    .splice(splice.first..splice.first + splice.removed, parsed);
                for located in &mut tree.instructions[splice.first + splice.added..] {
                    located.offset = located.offset.wrapping_add_signed(splice.delta);
                    located.line = split::moved_line(located.line, splice.line_delta);
                }
            }
            None => {
                let previous = std::mem::take(tree);
                *tree = reparse_all(previous, text, edit);
            }
        }
        &self.tree
    }
}

/// A full parse of `text` that keeps the parse of each instruction of `previous` (the tree of the
/// text before `edit`) lying wholly before or wholly after the edit with the same raw shape.
fn reparse_all(previous: SyntaxTree, text: &str, edit: AppliedEdit) -> SyntaxTree {
    let split = split::split(text);
    if split.escape != previous.split.escape {
        return parse(text);
    }
    let (Ok(new_end), Ok(old_end)) = (isize::try_from(edit.new_end), isize::try_from(edit.old_end))
    else {
        return parse(text);
    };
    let delta = new_end - old_end;
    let old_raws = &previous.split.instructions;
    let mut old = 0;
    let instructions = split
        .instructions
        .iter()
        .map(|raw| {
            let reused = if raw.span.end <= edit.start {
                // before the edit: the same text at the same place
                old = old_raws.partition_point(|r| r.span.start < raw.span.start);
                old_raws.get(old).filter(|r| *r == raw)
            } else if raw.span.start >= edit.new_end {
                // after the edit: the same text, moved by the edit's length change
                let at = raw.span.start.wrapping_add_signed(-delta);
                old = old_raws.partition_point(|r| r.span.start < at);
                old_raws.get(old).filter(|r| same_shape(r, raw, delta))
            } else {
                None
            };
            let parsed = match reused {
                Some(_) => Arc::clone(&previous.instructions[old].parsed),
                None => Arc::new(instruction::parse(text, raw, split.escape)),
            };
            Located {
                offset: raw.span.start,
                line: raw.line,
                parsed,
            }
        })
        .collect();
    SyntaxTree {
        split,
        instructions,
    }
}

/// Whether `new` is `old` moved by `delta` bytes (lines may differ: parses do not depend on them).
fn same_shape(old: &RawInstruction, new: &RawInstruction, delta: isize) -> bool {
    split::moved(old.span, delta) == new.span
        && old.segments.len() == new.segments.len()
        && old
            .segments
            .iter()
            .zip(&new.segments)
            .all(|(a, b)| split::moved(*a, delta) == *b)
        && old.heredocs.len() == new.heredocs.len()
        && old.heredocs.iter().zip(&new.heredocs).all(|(a, b)| {
            split::moved(a.body, delta) == b.body
                && split::moved(a.terminator, delta) == b.terminator
        })
}

/// The first syntax error [`parse`] of `text` would report, where `text` is a rewrite of
/// `old_text` (whose tree is `old`). `text` is split again, but an instruction whose text is that
/// of an instruction `old` parsed without errors, with the same escape character, is not parsed
/// again: the parse of an instruction depends only on its text and the escape character. For a
/// fix that moves a few instructions of a large file, this is a split instead of a parse.
#[must_use]
pub fn first_error_after(old_text: &str, old: &SyntaxTree, text: &str) -> Option<SyntaxError> {
    let split = split::split(text);
    if let Some(error) = split.errors.first() {
        return Some(error.clone());
    }
    let parsed_clean: std::collections::HashSet<&str> = if split.escape == old.split.escape {
        old.split
            .instructions
            .iter()
            .zip(&old.instructions)
            .filter(|(_, located)| located.parsed.errors.is_empty())
            .filter_map(|(raw, _)| old_text.get(raw.span.start..raw.span.end))
            .collect()
    } else {
        std::collections::HashSet::new()
    };
    split.instructions.iter().find_map(|raw| {
        if text
            .get(raw.span.start..raw.span.end)
            .is_some_and(|own| parsed_clean.contains(own))
        {
            return None;
        }
        let parsed = instruction::parse(text, raw, split.escape);
        parsed.errors.first().map(|e| SyntaxError {
            span: e.span.shift(raw.span.start),
            message: e.message.clone(),
        })
    })
}

/// Parse `text`, a rewrite of `old_text` (whose tree is `old`): `text` is split again, and an
/// instruction whose text is that of an instruction of `old`, with the same escape character,
/// keeps that instruction's parse (the same `Arc`, so callers can tell it is unchanged) instead
/// of being parsed again. The result equals [`parse`]`(text)`.
#[must_use]
pub fn parse_reusing(old_text: &str, old: &SyntaxTree, text: &str) -> SyntaxTree {
    let split = split::split(text);
    let kept: std::collections::HashMap<&str, &Arc<instruction::Instruction>> =
        if split.escape == old.split.escape {
            old.split
                .instructions
                .iter()
                .zip(&old.instructions)
                .filter_map(|(raw, located)| {
                    Some((old_text.get(raw.span.start..raw.span.end)?, &located.parsed))
                })
                .collect()
        } else {
            std::collections::HashMap::new()
        };
    let instructions = split
        .instructions
        .iter()
        .map(|raw| Located {
            offset: raw.span.start,
            line: raw.line,
            parsed: match text
                .get(raw.span.start..raw.span.end)
                .and_then(|t| kept.get(t))
            {
                Some(same) => Arc::clone(same),
                None => Arc::new(instruction::parse(text, raw, split.escape)),
            },
        })
        .collect();
    SyntaxTree {
        split,
        instructions,
    }
}

/// Parse `text` from scratch.
#[must_use]
pub fn parse(text: &str) -> SyntaxTree {
    let split = split::split(text);
    let instructions = split
        .instructions
        .iter()
        .map(|raw| Located {
            offset: raw.span.start,
            line: raw.line,
            parsed: Arc::new(instruction::parse(text, raw, split.escape)),
        })
        .collect();
    SyntaxTree {
        split,
        instructions,
    }
}
