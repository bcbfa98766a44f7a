//! One instruction, parsed on its own: keyword, flags, arguments, exec or shell form, heredocs.
//!
//! Every span in an [`Instruction`] is relative to the instruction's first byte, so that a parse
//! cached by the instruction's text stays valid wherever the instruction moves (see
//! [`super::Located::abs`]). The logical line (continuations joined) is mapped back to source
//! offsets piece by piece, so a word's span always points at the word in the file.
//!
//! Mirrors BuildKit's instruction parsers: flags (`--name[=value]`) are extracted at the start of
//! the arguments of the instructions that take flags; `RUN`, `CMD`, `ENTRYPOINT`, `SHELL` and
//! `HEALTHCHECK CMD` take a JSON array (exec form) or shell text; `COPY`/`ADD` a JSON array or
//! blank-separated words; `ENV`/`LABEL`/`ARG` quote-aware `key=value` words (and the legacy
//! `ENV key value`). Problems become [`SyntaxError`]s; parsing goes on.

use super::shell::{self, Script, ShellWord};
use super::split::{heredoc_words, RawInstruction};
use super::words::{plain_words, quoted_words, unquote};
use super::{Span, SyntaxError};

/// A word of an instruction: where it is and what it means once unquoted.
pub type Word = ShellWord;

/// The instruction keywords BuildKit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    Stopsignal,
    Healthcheck,
    Shell,
    /// Anything else (a typo, a half-typed word).
    Unknown,
}

impl Keyword {
    pub const ALL: [Keyword; 18] = [
        Self::From,
        Self::Run,
        Self::Cmd,
        Self::Label,
        Self::Maintainer,
        Self::Expose,
        Self::Env,
        Self::Add,
        Self::Copy,
        Self::Entrypoint,
        Self::Volume,
        Self::User,
        Self::Workdir,
        Self::Arg,
        Self::Onbuild,
        Self::Stopsignal,
        Self::Healthcheck,
        Self::Shell,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::From => "FROM",
            Self::Run => "RUN",
            Self::Cmd => "CMD",
            Self::Label => "LABEL",
            Self::Maintainer => "MAINTAINER",
            Self::Expose => "EXPOSE",
            Self::Env => "ENV",
            Self::Add => "ADD",
            Self::Copy => "COPY",
            Self::Entrypoint => "ENTRYPOINT",
            Self::Volume => "VOLUME",
            Self::User => "USER",
            Self::Workdir => "WORKDIR",
            Self::Arg => "ARG",
            Self::Onbuild => "ONBUILD",
            Self::Stopsignal => "STOPSIGNAL",
            Self::Healthcheck => "HEALTHCHECK",
            Self::Shell => "SHELL",
            Self::Unknown => "?",
        }
    }

    #[must_use]
    pub fn from_word(word: &str) -> Self {
        Self::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(word)).unwrap_or(Self::Unknown)
    }

    /// The flags BuildKit accepts on this instruction.
    #[must_use]
    pub fn flags(self) -> &'static [&'static str] {
        match self {
            Self::From => &["platform"],
            Self::Run => &["mount", "network", "security", "device"],
            Self::Copy => &["from", "chown", "chmod", "link", "parents", "exclude"],
            Self::Add => &["chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "parents", "unpack"],
            Self::Healthcheck => &["interval", "timeout", "start-period", "start-interval", "retries"],
            _ => &[],
        }
    }
}

/// `--name` or `--name=value` at the start of the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    /// The whole flag as written.
    pub span: Span,
}

/// Exec form (`["a", "b"]`) or shell form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Exec { words: Vec<Word>, span: Span },
    Shell(ShellText),
}

/// Shell-form text and its commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellText {
    /// The logical text (continuations joined).
    pub text: String,
    pub span: Span,
    pub script: Script,
}

impl Form {
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Self::Exec { span, .. } => *span,
            Self::Shell(s) => s.span,
        }
    }
}

/// A heredoc of a RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    pub strip_tabs: bool,
    pub quoted: bool,
    /// The `<<EOF` word.
    pub opener: Span,
    pub body: Span,
    pub terminator: Span,
    /// The body lexed as shell, when it is a script the RUN executes (`RUN <<EOF`, `RUN bash <<EOF`).
    pub script: Option<Script>,
}

/// `key=value` (ENV, LABEL, ARG) or the legacy `ENV key value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Option<String>,
    pub span: Span,
    pub value_span: Option<Span>,
}

/// The arguments, by instruction kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// Nothing usable (missing or unparseable arguments; an error says why).
    None,
    From { image: Word, alias: Option<Word> },
    /// RUN, CMD, ENTRYPOINT, SHELL.
    Command(Form),
    /// COPY, ADD: sources then destination.
    Copy { sources: Vec<Word>, dest: Word, json: bool },
    /// ENV, LABEL, ARG.
    KeyValues(Vec<KeyValue>),
    /// EXPOSE, VOLUME.
    Words(Vec<Word>),
    /// WORKDIR, USER, STOPSIGNAL, MAINTAINER: the rest of the line.
    Text(Word),
    Onbuild(Box<Instruction>),
    /// `HEALTHCHECK NONE` is `None`.
    Healthcheck(Option<Form>),
}

/// A parsed instruction. All spans are relative to the instruction's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: Keyword,
    /// The keyword as written (for `Unknown`).
    pub keyword_text: String,
    pub keyword_span: Span,
    /// The whole instruction, heredoc bodies included.
    pub span: Span,
    pub flags: Vec<Flag>,
    /// The arguments after the flags.
    pub args_span: Span,
    pub args: Args,
    pub heredocs: Vec<Heredoc>,
    /// What BuildKit rejects.
    pub errors: Vec<SyntaxError>,
    /// What BuildKit accepts but almost certainly is a mistake: text meant as a JSON exec form
    /// that is not valid JSON (Docker runs it as a shell command).
    pub broken_json: Option<SyntaxError>,
}

impl Instruction {
    #[must_use]
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// Every shell command this instruction runs: its shell-form text and its heredoc scripts.
    pub fn commands(&self) -> impl Iterator<Item = &shell::Command> {
        let inline = match &self.args {
            Args::Command(Form::Shell(s)) => Some(s.script.commands.iter()),
            _ => None,
        };
        inline
            .into_iter()
            .flatten()
            .chain(self.heredocs.iter().filter_map(|h| h.script.as_ref()).flat_map(|s| s.commands.iter()))
    }

    /// The form of RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD.
    #[must_use]
    pub fn form(&self) -> Option<&Form> {
        match &self.args {
            Args::Command(f) | Args::Healthcheck(Some(f)) => Some(f),
            _ => None,
        }
    }
}

/// The logical line with a map from its offsets back to (relative) source offsets.
struct Logical {
    text: String,
    /// `(logical_start, source_start)` of each piece, increasing.
    pieces: Vec<(usize, usize)>,
}

impl Logical {
    fn new(source: &str, raw: &RawInstruction) -> Self {
        let base = raw.span.start;
        let mut text = String::new();
        let mut pieces = Vec::with_capacity(raw.segments.len());
        for seg in &raw.segments {
            pieces.push((text.len(), seg.start - base));
            text.push_str(seg.of(source));
        }
        Self { text, pieces }
    }

    fn at(&self, logical: usize) -> usize {
        let idx = self.pieces.partition_point(|&(l, _)| l <= logical).saturating_sub(1);
        let (l, s) = self.pieces.get(idx).copied().unwrap_or((0, 0));
        s + (logical - l.min(logical))
    }

    fn span(&self, l: Span) -> Span {
        let start = self.at(l.start);
        let end = if l.end > l.start { self.at(l.end - 1) + 1 } else { start };
        // a multi-byte char at the end: extend to its end
        let end = end.max(start);
        Span::new(start, end + self.char_tail(l.end))
    }

    /// Bytes of the char ending at logical `end` beyond its first byte (0 for ASCII).
    fn char_tail(&self, end: usize) -> usize {
        if end == 0 {
            return 0;
        }
        let mut s = end - 1;
        while s > 0 && !self.text.is_char_boundary(s) {
            s -= 1;
        }
        (end - 1) - s
    }

    fn word(&self, span: Span, value: String) -> Word {
        Word { span: self.span(span), value }
    }
}

/// Parse one raw instruction of `source` (which is the whole file) with the file's escape char.
#[must_use]
pub fn parse(source: &str, raw: &RawInstruction, escape: char) -> Instruction {
    let logical = Logical::new(source, raw);
    let mut instr = parse_logical(&logical, 0, escape);
    instr.span = Span::new(0, raw.span.len());
    attach_heredocs(source, raw, &logical, &mut instr);
    instr
}

/// Parse the logical text starting at logical offset `from` (ONBUILD parses its inner
/// instruction from the middle of the line).
fn parse_logical(logical: &Logical, from: usize, escape: char) -> Instruction {
    let text = &logical.text[from..];
    let lead = text.len() - text.trim_start().len();
    let kw_start = from + lead;
    let kw_len = logical.text[kw_start..].find(char::is_whitespace).unwrap_or(logical.text.len() - kw_start);
    let kw_end = kw_start + kw_len;
    let keyword_text = logical.text[kw_start..kw_end].to_string();
    let keyword = Keyword::from_word(&keyword_text);
    let keyword_span = logical.span(Span::new(kw_start, kw_end));
    let mut instr = Instruction {
        keyword,
        keyword_text,
        keyword_span,
        span: logical.span(Span::new(kw_start, logical.text.len())),
        flags: Vec::new(),
        args_span: Span::empty(keyword_span.end),
        args: Args::None,
        heredocs: Vec::new(),
        errors: Vec::new(),
        broken_json: None,
    };
    let mut p = Parser { logical, escape, errors: Vec::new(), broken_json: None };

    if keyword == Keyword::Unknown {
        p.error(Span::new(kw_start, kw_end), unknown_keyword_message(&instr.keyword_text));
        instr.errors = p.errors;
        return instr;
    }

    let mut args_start = kw_end;
    if !keyword.flags().is_empty() {
        let (flags, after) = p.extract_flags(kw_end, keyword);
        instr.flags = flags;
        args_start = after;
    }
    let rest = &logical.text[args_start..];
    let trimmed = rest.trim();
    let a_start = args_start + (rest.len() - rest.trim_start().len());
    let a_end = a_start + trimmed.len();
    let args = Span::new(a_start, a_end);
    instr.args_span = logical.span(args);

    if trimmed.is_empty() && !matches!(keyword, Keyword::Run | Keyword::Cmd | Keyword::Entrypoint) {
        let at = Span::new(kw_start, kw_end);
        let message = match keyword {
            Keyword::Copy | Keyword::Add => format!(
                "{} needs at least one source and a destination, e.g. `{} requirements.txt /app/`",
                keyword.name(),
                keyword.name()
            ),
            Keyword::From => "FROM needs a base image, e.g. `FROM debian:bookworm-slim`".to_string(),
            Keyword::Healthcheck => "HEALTHCHECK needs `CMD <command>` or `NONE`".to_string(),
            _ => format!("{} needs an argument", keyword.name()),
        };
        p.error(at, message);
        instr.errors = p.errors;
        return instr;
    }

    instr.args = match keyword {
        Keyword::From => p.from(args),
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell => {
            let form = p.form(args, keyword);
            if keyword == Keyword::Shell && matches!(form, Form::Shell(_)) {
                p.error(args, "SHELL needs a JSON array, e.g. `SHELL [\"/bin/bash\", \"-c\"]`".to_string());
            }
            Args::Command(form)
        }
        Keyword::Copy | Keyword::Add => p.copy(args, keyword),
        Keyword::Env | Keyword::Label => p.key_values(args, keyword),
        Keyword::Arg => p.arg(args),
        Keyword::Expose => p.expose(args),
        Keyword::Volume => match p.json_array(args) {
            Some(Ok(words)) => Args::Words(words),
            _ => Args::Words(p.plain(args)),
        },
        Keyword::Workdir | Keyword::User | Keyword::Stopsignal | Keyword::Maintainer => {
            Args::Text(logical.word(args, unquote(trimmed, escape)))
        }
        Keyword::Onbuild => p.onbuild(args),
        Keyword::Healthcheck => p.healthcheck(args, &instr.flags),
        Keyword::Unknown => Args::None,
    };
    instr.errors = p.errors;
    instr.broken_json = p.broken_json;
    instr
}

fn unknown_keyword_message(word: &str) -> String {
    let upper = word.to_ascii_uppercase();
    let suggestion = Keyword::ALL.into_iter().map(Keyword::name).min_by_key(|k| edit_distance(k, &upper));
    match suggestion {
        Some(s) if edit_distance(s, &upper) <= 2 => {
            format!("unknown instruction `{word}`; did you mean `{s}`?")
        }
        _ => format!("unknown instruction `{word}`; expected an instruction such as FROM, RUN, COPY or CMD"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

struct Parser<'a> {
    logical: &'a Logical,
    escape: char,
    errors: Vec<SyntaxError>,
    broken_json: Option<SyntaxError>,
}

impl<'a> Parser<'a> {
    fn error(&mut self, logical_span: Span, message: String) {
        self.errors.push(SyntaxError { span: self.logical.span(logical_span), message });
    }

    fn text(&self, span: Span) -> &'a str {
        let logical: &'a Logical = self.logical;
        &logical.text[span.start..span.end]
    }

    /// BuildKit's `extractBuilderFlags`: `--name[=value]` words at the start.
    fn extract_flags(&mut self, from: usize, keyword: Keyword) -> (Vec<Flag>, usize) {
        let text = &self.logical.text;
        let bytes = text.as_bytes();
        let mut flags = Vec::new();
        let mut pos = from;
        loop {
            while pos < bytes.len() && (bytes[pos] as char).is_ascii_whitespace() {
                pos += 1;
            }
            if !text[pos..].starts_with("--") {
                return (flags, pos);
            }
            // read the flag word, honouring quotes in its value
            let start = pos;
            let mut word = String::new();
            let mut quote: Option<u8> = None;
            while pos < bytes.len() {
                let b = bytes[pos];
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => word.push(b as char),
                    None if b.is_ascii_whitespace() => break,
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None => word.push(b as char),
                }
                pos += 1;
            }
            // rebuild the word from the source to keep non-ASCII intact
            let raw = &text[start..pos];
            let word = if word.is_ascii() { word } else { unquote(raw, '\\') };
            if word == "--" {
                return (flags, pos);
            }
            let body = &word[2..];
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            let span = Span::new(start, pos);
            if !keyword.flags().contains(&name.as_str()) {
                let known = keyword.flags().iter().map(|f| format!("--{f}")).collect::<Vec<_>>().join(", ");
                self.error(span, format!("unknown flag `--{name}` for {}; it accepts {known}", keyword.name()));
            } else if value.is_none() && !matches!(name.as_str(), "link" | "parents" | "keep-git-dir" | "unpack") {
                self.error(span, format!("flag `--{name}` needs a value: `--{name}=...`"));
            } else if value.as_deref() == Some("") && name != "network" {
                self.error(span, format!("flag `--{name}` has an empty value"));
            }
            flags.push(Flag { name, value, span: self.logical.span(span) });
        }
    }

    fn plain(&self, args: Span) -> Vec<Word> {
        plain_words(self.text(args))
            .into_iter()
            .map(|(s, w)| self.logical.word(s.shift(args.start), unquote(w, self.escape)))
            .collect()
    }

    fn from(&mut self, args: Span) -> Args {
        let words = self.plain(args);
        match words.as_slice() {
            [image] => Args::From { image: image.clone(), alias: None },
            [image, as_kw, name] if as_kw.value.eq_ignore_ascii_case("as") => {
                let valid = name.value.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && name.value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !valid && !name.value.contains('$') {
                    let at = self.logical_of(name.span, args);
                    self.error(
                        at,
                        format!("invalid stage name `{}`: use letters, digits, `-`, `_` and `.`, starting with a letter", name.value),
                    );
                }
                Args::From { image: image.clone(), alias: Some(name.clone()) }
            }
            [image, as_kw] if as_kw.value.eq_ignore_ascii_case("as") => {
                self.error(args, "FROM ... AS needs a stage name, e.g. `FROM golang:1.22 AS builder`".to_string());
                Args::From { image: image.clone(), alias: None }
            }
            [image, ..] => {
                self.error(
                    args,
                    "FROM takes an image and optionally `AS <name>`, e.g. `FROM node:20-slim AS build`".to_string(),
                );
                Args::From { image: image.clone(), alias: None }
            }
            [] => Args::None,
        }
    }

    /// The logical span of a word whose source span we know (for error reporting on it).
    fn logical_of(&self, _source: Span, fallback: Span) -> Span {
        fallback
    }

    /// `Some(Ok)` for a valid JSON array of strings, `Some(Err)` for text that is clearly meant as
    /// one but is not valid, `None` for shell text.
    fn json_array(&self, args: Span) -> Option<Result<Vec<Word>, (usize, String)>> {
        let text = self.text(args);
        if !text.starts_with('[') {
            return None;
        }
        match parse_json_strings(text) {
            JsonArray::Ok(items) => Some(Ok(items
                .into_iter()
                .map(|(s, v)| self.logical.word(s.shift(args.start), v))
                .collect())),
            JsonArray::Broken(at, msg) => Some(Err((args.start + at, msg))),
            JsonArray::NotJson => None,
        }
    }

    fn form(&mut self, args: Span, keyword: Keyword) -> Form {
        match self.json_array(args) {
            Some(Ok(words)) => {
                if words.is_empty() && keyword != Keyword::Cmd && keyword != Keyword::Entrypoint {
                    self.error(args, format!("{} needs a command", keyword.name()));
                }
                return Form::Exec { words, span: self.logical.span(args) };
            }
            Some(Err((at, msg))) => {
                self.broken_json = Some(SyntaxError { span: self.logical.span(Span::new(at.min(args.end), args.end)), message: msg });
            }
            None => {}
        }
        Form::Shell(self.shell(args))
    }

    fn shell(&self, args: Span) -> ShellText {
        let text = self.text(args).to_string();
        let mut script = shell::lex(&text);
        for cmd in &mut script.commands {
            cmd.span = self.logical.span(cmd.span.shift(args.start));
            for w in cmd.words.iter_mut().chain(cmd.assignments.iter_mut()) {
                w.span = self.logical.span(w.span.shift(args.start));
            }
        }
        ShellText { text, span: self.logical.span(args), script }
    }

    fn copy(&mut self, args: Span, keyword: Keyword) -> Args {
        let (words, json) = match self.json_array(args) {
            Some(Ok(words)) => (words, true),
            Some(Err((at, msg))) => {
                self.broken_json = Some(SyntaxError { span: self.logical.span(Span::new(at.min(args.end), args.end)), message: msg });
                (self.plain(args), false)
            }
            None => (self.plain(args), false),
        };
        match words.split_last() {
            Some((dest, sources)) if !sources.is_empty() => {
                Args::Copy { sources: sources.to_vec(), dest: dest.clone(), json }
            }
            _ => {
                self.error(
                    args,
                    format!(
                        "{} needs at least one source and a destination, e.g. `{} requirements.txt /app/`",
                        keyword.name(),
                        keyword.name()
                    ),
                );
                Args::None
            }
        }
    }

    fn key_values(&mut self, args: Span, keyword: Keyword) -> Args {
        let text = self.text(args);
        let words = quoted_words(text, self.escape);
        let first_has_eq = words.first().is_some_and(|(_, w)| w.contains('='));
        if keyword == Keyword::Env && !first_has_eq {
            // legacy `ENV key value with spaces`
            let Some(&(key_span, key)) = words.first() else { return Args::None };
            let key_span = key_span.shift(args.start);
            let value_start = words.get(1).map(|(s, _)| s.start + args.start);
            let Some(value_start) = value_start else {
                self.error(args, format!("ENV `{key}` has no value: write `ENV {key}=value`"));
                return Args::None;
            };
            let value_span = Span::new(value_start, args.end);
            let value = unquote(self.text(value_span), self.escape);
            return Args::KeyValues(vec![KeyValue {
                key: key.to_string(),
                value: Some(value),
                span: self.logical.span(Span::new(key_span.start, args.end)),
                value_span: Some(self.logical.span(value_span)),
            }]);
        }
        let mut out = Vec::new();
        for (span, word) in words {
            let span = span.shift(args.start);
            let Some(eq) = word.find('=') else {
                self.error(span, format!("`{word}` has no `=`: write `{} {word}=value`", keyword.name()));
                continue;
            };
            let key = unquote(&word[..eq], self.escape);
            if key.is_empty() {
                self.error(span, format!("{} name before `=` is empty", keyword.name()));
                continue;
            }
            let value_span = Span::new(span.start + eq + 1, span.end);
            out.push(KeyValue {
                key,
                value: Some(unquote(&word[eq + 1..], self.escape)),
                span: self.logical.span(span),
                value_span: Some(self.logical.span(value_span)),
            });
        }
        Args::KeyValues(out)
    }

    fn arg(&mut self, args: Span) -> Args {
        let text = self.text(args);
        let mut out = Vec::new();
        for (span, word) in quoted_words(text, self.escape) {
            let span = span.shift(args.start);
            let (key, value, value_span) = match word.find('=') {
                Some(eq) => (
                    unquote(&word[..eq], self.escape),
                    Some(unquote(&word[eq + 1..], self.escape)),
                    Some(self.logical.span(Span::new(span.start + eq + 1, span.end))),
                ),
                None => (unquote(word, self.escape), None, None),
            };
            if key.is_empty() {
                self.error(span, "ARG name is empty".to_string());
                continue;
            }
            out.push(KeyValue { key, value, span: self.logical.span(span), value_span });
        }
        Args::KeyValues(out)
    }

    fn expose(&mut self, args: Span) -> Args {
        let words = self.plain(args);
        for (span, w) in plain_words(self.text(args)) {
            if !valid_port(w) {
                self.error(
                    span.shift(args.start),
                    format!("invalid port `{w}`: expected a number, a range or `port/protocol`, e.g. `8080/tcp`"),
                );
            }
        }
        Args::Words(words)
    }

    fn onbuild(&mut self, args: Span) -> Args {
        // Check the inner keyword before parsing it: `ONBUILD ONBUILD ...` must not recurse
        // (a long chain would overflow the stack).
        let word = self.text(args).split_whitespace().next().unwrap_or("");
        let keyword = Keyword::from_word(word);
        if matches!(keyword, Keyword::Onbuild | Keyword::From | Keyword::Maintainer) {
            self.error(
                Span::new(args.start, args.start + word.len()),
                format!("{} is not allowed inside ONBUILD", keyword.name()),
            );
            return Args::None;
        }
        let inner = parse_logical(self.logical, args.start, self.escape);
        self.errors.extend(inner.errors.iter().cloned());
        if self.broken_json.is_none() {
            self.broken_json.clone_from(&inner.broken_json);
        }
        Args::Onbuild(Box::new(inner))
    }

    fn healthcheck(&mut self, args: Span, flags: &[Flag]) -> Args {
        for flag in flags {
            let Some(value) = &flag.value else { continue };
            let ok = if flag.name == "retries" { value.parse::<u32>().is_ok() } else { valid_duration(value) };
            if !ok {
                self.errors.push(SyntaxError {
                    span: flag.span,
                    message: format!("`--{}={value}` is not a valid {}", flag.name, if flag.name == "retries" { "number" } else { "duration (e.g. 30s, 1m30s)" }),
                });
            }
        }
        let text = self.text(args);
        let first = text.split_whitespace().next().unwrap_or("");
        if first.eq_ignore_ascii_case("none") {
            if text.trim().len() > first.len() {
                self.error(args, "HEALTHCHECK NONE takes no arguments".to_string());
            }
            return Args::Healthcheck(None);
        }
        if !first.eq_ignore_ascii_case("cmd") {
            self.error(args, "HEALTHCHECK needs `CMD <command>` or `NONE`".to_string());
            return Args::None;
        }
        let rest_start = args.start + first.len();
        let rest = &self.logical.text[rest_start..args.end];
        let lead = rest.len() - rest.trim_start().len();
        let cmd_args = Span::new(rest_start + lead, args.end);
        if cmd_args.is_empty() {
            self.error(args, "HEALTHCHECK CMD needs a command".to_string());
            return Args::None;
        }
        Args::Healthcheck(Some(self.form(cmd_args, Keyword::Healthcheck)))
    }
}

fn valid_port(w: &str) -> bool {
    if w.contains('$') {
        return true;
    }
    let (ports, proto) = match w.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (w, None),
    };
    let proto_ok = proto.is_none_or(|p| matches!(p.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp"));
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ports_ok = match ports.split_once('-') {
        Some((a, b)) => num(a) && num(b),
        None => num(ports),
    };
    // `ip:host:container` mappings are rejected by BuildKit too, so numbers only.
    proto_ok && ports_ok
}

fn valid_duration(s: &str) -> bool {
    if s.contains('$') {
        return true;
    }
    // Go's time.ParseDuration: sequence of decimal numbers with units.
    let units = ["ns", "us", "µs", "ms", "s", "m", "h"];
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    if rest == "0" {
        return true;
    }
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let Some(unit) = units.iter().filter(|u| rest.starts_with(*u)).max_by_key(|u| u.len()) else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

enum JsonArray {
    Ok(Vec<(Span, String)>),
    Broken(usize, String),
    NotJson,
}

/// Parse a JSON array of strings with element spans. Text that starts like an exec form (`["`,
/// `['`, `[]`) but fails is `Broken`; anything else that fails (`[ -f x ]`) is `NotJson`.
fn parse_json_strings(text: &str) -> JsonArray {
    let bytes = text.as_bytes();
    let mut i = 1;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t' | b'\r' | b'\n') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    match bytes.get(i) {
        Some(b']') => {
            let mut j = i + 1;
            skip_ws(&mut j);
            return if j == bytes.len() { JsonArray::Ok(Vec::new()) } else { JsonArray::NotJson };
        }
        Some(b'"') => {}
        Some(b'\'') => return JsonArray::Broken(i, "exec form needs double quotes, not single quotes".to_string()),
        _ => return JsonArray::NotJson,
    }
    let mut items = Vec::new();
    loop {
        skip_ws(&mut i);
        if bytes.get(i) != Some(&b'"') {
            if bytes.get(i) == Some(&b'\'') {
                return JsonArray::Broken(i, "exec form needs double quotes, not single quotes".to_string());
            }
            return JsonArray::Broken(i, "expected a double-quoted string in the JSON array".to_string());
        }
        let start = i;
        i += 1;
        let mut value = String::new();
        loop {
            let Some(&b) = bytes.get(i) else {
                return JsonArray::Broken(start, "unterminated string in JSON array".to_string());
            };
            match b {
                b'"' => {
                    i += 1;
                    break;
                }
                b'\\' => {
                    let Some(&e) = bytes.get(i + 1) else {
                        return JsonArray::Broken(i, "unterminated string in JSON array".to_string());
                    };
                    i += 2;
                    match e {
                        b'"' => value.push('"'),
                        b'\\' => value.push('\\'),
                        b'/' => value.push('/'),
                        b'b' => value.push('\u{8}'),
                        b'f' => value.push('\u{c}'),
                        b'n' => value.push('\n'),
                        b'r' => value.push('\r'),
                        b't' => value.push('\t'),
                        b'u' => {
                            let hex = text.get(i..i + 4).and_then(|h| u32::from_str_radix(h, 16).ok());
                            let Some(code) = hex else {
                                return JsonArray::Broken(i - 2, "invalid \\u escape in JSON string".to_string());
                            };
                            value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            i += 4;
                        }
                        _ => return JsonArray::Broken(i - 2, "invalid escape in JSON string".to_string()),
                    }
                }
                _ => {
                    let len = text[i..].chars().next().map_or(1, char::len_utf8);
                    value.push_str(&text[i..i + len]);
                    i += len;
                }
            }
        }
        items.push((Span::new(start, i), value));
        skip_ws(&mut i);
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b']') => {
                i += 1;
                skip_ws(&mut i);
                if i != bytes.len() {
                    // `["a"] && b` is odd but is shell text for Docker.
                    return JsonArray::NotJson;
                }
                return JsonArray::Ok(items);
            }
            Some(b'"') => return JsonArray::Broken(i, "missing `,` between JSON array elements".to_string()),
            None => return JsonArray::Broken(text.len(), "unterminated JSON array: missing `]`".to_string()),
            Some(_) => return JsonArray::NotJson,
        }
    }
}

/// Attach heredocs: spans, and for RUN the scripts the shell will run.
fn attach_heredocs(source: &str, raw: &RawInstruction, logical: &Logical, instr: &mut Instruction) {
    if raw.heredocs.is_empty() {
        return;
    }
    let base = raw.span.start;
    let words = heredoc_words(&logical.text);
    let runs_script = instr.keyword == Keyword::Run && {
        match &instr.args {
            Args::Command(Form::Shell(s)) => {
                s.script.commands.is_empty()
                    || s.script.commands.first().and_then(shell::Command::program).is_some_and(|p| {
                        matches!(p, "sh" | "bash" | "ash" | "dash" | "zsh")
                    })
            }
            _ => false,
        }
    };
    for (i, (word, body)) in words.iter().zip(&raw.heredocs).enumerate() {
        let body_rel = Span::new(body.body.start - base, body.body.end - base);
        let script = (runs_script && i == 0).then(|| {
            let mut script = shell::lex(body.body.of(source));
            for cmd in &mut script.commands {
                cmd.span = cmd.span.shift(body_rel.start);
                for w in cmd.words.iter_mut().chain(cmd.assignments.iter_mut()) {
                    w.span = w.span.shift(body_rel.start);
                }
            }
            script
        });
        instr.heredocs.push(Heredoc {
            delimiter: word.delimiter.clone(),
            strip_tabs: word.strip_tabs,
            quoted: word.quoted,
            opener: logical.span(word.span),
            body: body_rel,
            terminator: Span::new(body.terminator.start.saturating_sub(base), body.terminator.end.saturating_sub(base)),
            script,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse as parse_file;
    use super::*;

    fn one(text: &str) -> (Instruction, usize) {
        let tree = parse_file(text);
        let l = tree.instructions.last().expect("an instruction").clone();
        ((*l.parsed).clone(), l.offset)
    }

    #[test]
    fn from_with_platform_and_alias() {
        let (i, _) = one("FROM --platform=$BUILDPLATFORM golang:1.22 AS build");
        assert_eq!(i.flags[0].name, "platform");
        let Args::From { image, alias } = &i.args else { panic!("{:?}", i.args) };
        assert_eq!(image.value, "golang:1.22");
        assert_eq!(alias.as_ref().map(|a| a.value.as_str()), Some("build"));
        assert!(i.errors.is_empty());
    }

    #[test]
    fn spans_survive_continuations() {
        let text = "FROM a\nRUN apt-get update \\\n  && pip install -r req.txt";
        let tree = parse_file(text);
        let run = &tree.instructions[1];
        let cmd = run.commands().nth(1).expect("pip");
        assert_eq!(run.abs(cmd.span).of(text), "pip install -r req.txt");
        assert_eq!(run.abs(cmd.words[3].span).of(text), "req.txt");
    }

    #[test]
    fn exec_forms() {
        let (i, _) = one("CMD [\"node\", \"app.js\"]");
        assert!(matches!(i.args, Args::Command(Form::Exec { ref words, .. }) if words.len() == 2));
        let (i, _) = one("CMD ['node', 'app.js']");
        assert!(i.errors.is_empty() && i.broken_json.is_some(), "{i:?}");
        let (i, _) = one("CMD [\"a\", \"b\"");
        assert!(i.errors.is_empty() && i.broken_json.is_some(), "{i:?}");
        let (i, _) = one("RUN [ -f x ] && echo yes");
        assert!(i.errors.is_empty());
        assert!(matches!(i.args, Args::Command(Form::Shell(_))));
    }

    #[test]
    fn copy_flags_and_errors() {
        let (i, _) = one("COPY --from=build --chown=a:b /x /y/");
        let Args::Copy { sources, dest, .. } = &i.args else { panic!() };
        assert_eq!((sources[0].value.as_str(), dest.value.as_str()), ("/x", "/y/"));
        assert_eq!(i.flag("from").and_then(|f| f.value.as_deref()), Some("build"));
        assert_eq!(one("COPY --form=build a b").0.errors.len(), 1);
        assert_eq!(one("COPY a").0.errors.len(), 1);
        assert!(one("COPY --link --parents a b").0.errors.is_empty());
    }

    #[test]
    fn env_forms() {
        let (i, _) = one("ENV A=1 B=\"two words\" C=x\\ y");
        let Args::KeyValues(kv) = &i.args else { panic!() };
        let pairs: Vec<(&str, &str)> = kv.iter().map(|k| (k.key.as_str(), k.value.as_deref().unwrap_or(""))).collect();
        assert_eq!(pairs, [("A", "1"), ("B", "two words"), ("C", "x y")]);
        let (i, _) = one("ENV PATH /usr/local/bin:$PATH");
        let Args::KeyValues(kv) = &i.args else { panic!() };
        assert_eq!(kv[0].value.as_deref(), Some("/usr/local/bin:$PATH"));
        assert_eq!(one("ENV ONLYKEY").0.errors.len(), 1);
    }

    #[test]
    fn unknown_instruction_suggests() {
        let (i, _) = one("COP . /app");
        assert_eq!(i.keyword, Keyword::Unknown);
        assert!(i.errors[0].message.contains("did you mean `COPY`"), "{}", i.errors[0].message);
    }

    #[test]
    fn heredoc_scripts() {
        let text = "FROM a\nRUN <<EOF\napt-get update\npip install -r r.txt\nEOF\nRUN python3 <<EOF\nimport os\nEOF\n";
        let tree = parse_file(text);
        let run = &tree.instructions[1];
        let progs: Vec<&str> = run.commands().filter_map(shell::Command::program).collect();
        assert_eq!(progs, ["apt-get", "pip"]);
        assert_eq!(run.abs(run.commands().nth(1).unwrap().span).of(text), "pip install -r r.txt");
        assert_eq!(tree.instructions[2].commands().filter_map(shell::Command::program).collect::<Vec<_>>(), ["python3"]);
    }

    #[test]
    fn onbuild_and_healthcheck() {
        let (i, _) = one("ONBUILD RUN pip install -r requirements.txt");
        let Args::Onbuild(inner) = &i.args else { panic!() };
        assert_eq!(inner.keyword, Keyword::Run);
        assert_eq!(inner.commands().count(), 1);
        assert!(one("ONBUILD FROM x").0.errors.len() == 1);
        assert!(one("HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/ || exit 1").0.errors.is_empty());
        assert_eq!(one("HEALTHCHECK --interval=abc CMD true").0.errors.len(), 1);
        assert!(one("HEALTHCHECK NONE").0.errors.is_empty());
    }

    #[test]
    fn expose_ports() {
        assert!(one("EXPOSE 80 443/tcp 5000-5010/udp ${PORT}").0.errors.is_empty());
        assert_eq!(one("EXPOSE abc").0.errors.len(), 1);
    }
}
