//! Syntax: from text to instructions, tolerant and span-exact.
//!
//! Two steps, both infallible:
//! 1. [`split`] cuts the file into *raw instructions* following BuildKit's line rules (parser
//!    directives, the escape character, continuation lines with comment and blank lines inside,
//!    heredocs, BOM, CRLF).
//! 2. [`instruction::parse`] parses one raw instruction on its own (keyword, flags, arguments,
//!    exec/shell form, and for shell text the command structure from [`shell`]). Because an
//!    instruction's parse depends only on its own text and the escape character, its result is
//!    cached by that text in [`SyntaxCache`]; spans inside a parsed instruction are relative to the
//!    instruction's start so that a cached parse stays valid when the instruction moves.
//!
//! Problems never abort parsing: they are collected as [`SyntaxError`]s with precise spans.

pub mod instruction;
pub mod shell;
pub mod split;
pub mod words;

use std::collections::HashMap;
use std::sync::Arc;

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

/// Parses instructions, re-using the parse of any instruction whose text (and escape character)
/// was seen in the previous run. Keep one per document; [`parse`] is the uncached shortcut.
#[derive(Debug, Default)]
pub struct SyntaxCache {
    /// The escape character the cached parses were made with.
    escape: char,
    previous: HashMap<Box<str>, Arc<Instruction>>,
}

impl SyntaxCache {
    /// Parse `text`, reusing cached instruction parses. Entries not used by this run are dropped.
    pub fn parse(&mut self, text: &str) -> SyntaxTree {
        let split = split::split(text);
        if split.escape != self.escape {
            self.previous.clear();
            self.escape = split.escape;
        }
        let mut next = HashMap::with_capacity(split.instructions.len());
        let instructions = split
            .instructions
            .iter()
            .map(|raw| {
                let source = raw.span.of(text);
                let (key, parsed) = self.previous.remove_entry(source).unwrap_or_else(|| {
                    (
                        Box::from(source),
                        Arc::new(instruction::parse(text, raw, split.escape)),
                    )
                });
                next.insert(key, Arc::clone(&parsed));
                Located {
                    offset: raw.span.start,
                    line: raw.line,
                    parsed,
                }
            })
            .collect();
        self.previous = next;
        SyntaxTree {
            split,
            instructions,
        }
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
