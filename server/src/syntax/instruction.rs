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

use std::any::Any;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::OnceLock;

use super::shell::{self, Script, ShellWord};
use super::split::{heredoc_words, is_keyword_blank, RawInstruction};
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
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(word))
            .unwrap_or(Self::Unknown)
    }

    /// The flags BuildKit accepts on this instruction.
    #[must_use]
    pub fn flags(self) -> &'static [&'static str] {
        match self {
            Self::From => &["platform"],
            Self::Run => &["mount", "network", "security", "device"],
            Self::Copy => &["from", "chown", "chmod", "link", "parents", "exclude"],
            Self::Add => &[
                "chown",
                "chmod",
                "link",
                "keep-git-dir",
                "checksum",
                "exclude",
                "parents",
                "unpack",
            ],
            Self::Healthcheck => &[
                "interval",
                "timeout",
                "start-period",
                "start-interval",
                "retries",
            ],
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
    /// What follows the `=`, as written (quotes included); `None` without a `=`.
    pub value_span: Option<Span>,
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
    From {
        image: Word,
        alias: Option<Word>,
    },
    /// RUN, CMD, ENTRYPOINT, SHELL.
    Command(Form),
    /// COPY, ADD: sources then destination.
    Copy {
        sources: Vec<Word>,
        dest: Word,
        json: bool,
    },
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
    /// What later layers work out from this instruction alone, kept with the parse: the model's
    /// facts (`model::commands`), and what the language server shows of it (its document
    /// symbol, `lsp::symbols`).
    pub derived: Derived,
    pub shown: Derived,
}

/// A place for what a later layer works out from one instruction alone (the model's
/// [`crate::model::commands::installs`], the language server's document symbol): worked out at
/// most once per parse, and, since an
/// edit keeps the parse of every instruction it did not touch, not again on every keystroke.
/// Holds one value, of the type the first [`Derived::get_or_init`] gives. Not part of what an
/// instruction is: every two are equal, a clone starts empty.
#[derive(Default)]
pub struct Derived(OnceLock<Box<dyn Any + Send + Sync + UnwindSafe + RefUnwindSafe>>);

impl Derived {
    /// The value, made by `init` the first time; `None` when a value of another type is there.
    pub fn get_or_init<T>(&self, init: impl FnOnce() -> T) -> Option<&T>
    where
        T: Any + Send + Sync + UnwindSafe + RefUnwindSafe,
    {
        let value: &(dyn Any + Send + Sync) = &**self.0.get_or_init(|| Box::new(init()));
        value.downcast_ref()
    }
}

impl Clone for Derived {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Derived {}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
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
        inline.into_iter().flatten().chain(
            self.heredocs
                .iter()
                .filter_map(|h| h.script.as_ref())
                .flat_map(|s| s.commands.iter()),
        )
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
        let idx = self
            .pieces
            .partition_point(|&(l, _)| l <= logical)
            .saturating_sub(1);
        let (l, s) = self.pieces.get(idx).copied().unwrap_or((0, 0));
        s + (logical - l.min(logical))
    }

    /// The source span of a logical span whose ends are char boundaries. The last byte is mapped
    /// (not the end), so that a span ending at a segment's end does not jump to the next one.
    fn span(&self, l: Span) -> Span {
        let start = self.at(l.start);
        let end = if l.end > l.start {
            self.at(l.end - 1) + 1
        } else {
            start
        };
        Span::new(start, end.max(start))
    }

    fn word(&self, span: Span, value: String) -> Word {
        Word {
            span: self.span(span),
            value,
        }
    }
}

/// Parse one raw instruction of `source` (which is the whole file) with the file's escape char.
#[must_use]
pub fn parse(source: &str, raw: &RawInstruction, escape: char) -> Instruction {
    let logical = Logical::new(source, raw);
    let mut instr = parse_logical(&logical, 0, escape, false);
    instr.span = Span::new(0, raw.span.len());
    attach_heredocs(source, raw, &logical, &mut instr);
    instr
}

/// Parse the logical text starting at logical offset `from`. ONBUILD parses its trigger from the
/// middle of the line (`trigger`); a trigger that is itself an ONBUILD is not parsed further.
fn parse_logical(logical: &Logical, from: usize, escape: char, trigger: bool) -> Instruction {
    let text = &logical.text[from..];
    let kw_start = from + (text.len() - text.trim_start().len());
    // BuildKit splits the keyword off at `[\t\v\f\r ]+`, not at any Unicode blank.
    let kw_len = logical.text[kw_start..]
        .find(is_keyword_blank)
        .unwrap_or(logical.text.len() - kw_start);
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
        derived: Derived::default(),
        shown: Derived::default(),
    };
    let mut p = Parser {
        logical,
        escape,
        keyword: Span::new(kw_start, kw_end),
        errors: Vec::new(),
        broken_json: None,
    };

    if keyword == Keyword::Unknown {
        p.error(
            Span::new(kw_start, kw_end),
            unknown_keyword_message(&instr.keyword_text),
        );
        instr.errors = p.errors;
        return instr;
    }

    // BuildKit extracts `--flags` from every instruction, then each instruction checks them.
    let (flags, args_start) = p.extract_flags(kw_end);
    instr.flags = flags.iter().map(|f| f.flag.clone()).collect();
    let rest = &logical.text[args_start..];
    let mut trimmed = rest.trim();
    let a_start = args_start + (rest.len() - rest.trim_start().len());
    let mut args = Span::new(a_start, a_start + trimmed.len());

    // `FROM --platform linux/amd64 alpine`: BuildKit wants `--platform=linux/amd64` and stops
    // at the flag. Say that once, and read the rest as the image it was meant to be, so the
    // missing `=` does not also read as an extra argument.
    let mut flags_to_check: &[RawFlag] = &flags;
    if keyword == Keyword::From {
        if let Some(value) = p.flag_value_without_equals(&flags, args) {
            flags_to_check = &flags[..flags.len() - 1];
            let rest = &logical.text[value.end..args.end];
            trimmed = rest.trim();
            args = Span::new(value.end + (rest.len() - rest.trim_start().len()), args.end);
        }
    }
    instr.args_span = logical.span(args);

    // `HEALTHCHECK NONE` is the one case where BuildKit never looks at the flags.
    let healthcheck_none = keyword == Keyword::Healthcheck
        && trimmed
            .split(char::is_whitespace)
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("none"));
    if !healthcheck_none {
        p.check_flags(keyword, flags_to_check);
    }

    if trimmed.is_empty() && !matches!(keyword, Keyword::Run | Keyword::Cmd | Keyword::Entrypoint) {
        let message = match keyword {
            Keyword::Copy | Keyword::Add => format!(
                "{} needs at least one source and a destination, e.g. `{} requirements.txt /app/`",
                keyword.name(),
                keyword.name()
            ),
            Keyword::From => {
                "FROM needs a base image, e.g. `FROM debian:bookworm-slim`".to_string()
            }
            Keyword::Healthcheck => "HEALTHCHECK needs `CMD <command>` or `NONE`".to_string(),
            _ => format!("{} needs an argument", keyword.name()),
        };
        p.error(Span::new(kw_start, kw_end), message);
        instr.errors = p.errors;
        return instr;
    }
    if trigger && keyword == Keyword::Onbuild {
        // `ONBUILD ONBUILD ...`: the outer ONBUILD reports it; going deeper would only recurse.
        instr.errors = p.errors;
        return instr;
    }

    instr.args = match keyword {
        Keyword::From => p.from(args),
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell => {
            let form = p.form(args, keyword);
            if keyword == Keyword::Shell && matches!(form, Form::Shell(_)) {
                p.error(
                    args,
                    "SHELL needs a JSON array, e.g. `SHELL [\"/bin/bash\", \"-c\"]`".to_string(),
                );
            }
            Args::Command(form)
        }
        Keyword::Copy | Keyword::Add => p.copy(args, keyword),
        Keyword::Env | Keyword::Label => p.key_values(args, keyword),
        Keyword::Arg => p.arg(args),
        Keyword::Expose => p.expose(args),
        Keyword::Volume => p.volume(args),
        Keyword::Workdir | Keyword::User | Keyword::Stopsignal | Keyword::Maintainer => {
            Args::Text(logical.word(args, unquote(trimmed, escape)))
        }
        Keyword::Onbuild => p.onbuild(args),
        Keyword::Healthcheck => p.healthcheck(args),
        Keyword::Unknown => Args::None,
    };
    instr.errors = p.errors;
    instr.broken_json = p.broken_json;
    instr
}

fn unknown_keyword_message(word: &str) -> String {
    if word.is_empty() {
        return "empty instruction: the escape character at the end of the line above continues into nothing"
            .to_string();
    }
    let upper = word.to_ascii_uppercase();
    let suggestion = (word.len() <= 16)
        .then(|| {
            Keyword::ALL
                .into_iter()
                .map(Keyword::name)
                .min_by_key(|k| edit_distance(k, &upper))
        })
        .flatten();
    match suggestion {
        Some(s) if edit_distance(s, &upper) <= 2 => {
            format!("unknown instruction `{word}`; did you mean `{s}`?")
        }
        _ => format!(
            "unknown instruction `{word}`; expected an instruction such as FROM, RUN, COPY or CMD"
        ),
    }
}

/// Levenshtein distance in chars. Without allocating for the short words it is used on (a
/// half-typed keyword on every keystroke).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    const SHORT: usize = 32;
    let mut chars = ['\0'; SHORT];
    let mut n = 0;
    for c in b.chars() {
        if n == SHORT {
            return edit_distance_long(a, b);
        }
        chars[n] = c;
        n += 1;
    }
    let b = &chars[..n];
    let mut prev = [0usize; SHORT + 1];
    let mut cur = [0usize; SHORT + 1];
    for (j, p) in prev.iter_mut().enumerate().take(n + 1) {
        *p = j;
    }
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[n]
}

fn edit_distance_long(a: &str, b: &str) -> usize {
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

/// How BuildKit reads a flag's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    /// `--link`, `--link=true|false`.
    Bool,
    /// `--from=x`, once.
    String,
    /// `--mount=x`, repeatable.
    Strings,
}

fn flag_kind(keyword: Keyword, name: &str) -> Option<FlagKind> {
    if !keyword.flags().contains(&name) {
        return None;
    }
    Some(match name {
        "link" | "parents" | "keep-git-dir" | "unpack" => FlagKind::Bool,
        "mount" | "exclude" | "device" => FlagKind::Strings,
        _ => FlagKind::String,
    })
}

/// A flag with its logical spans.
struct RawFlag {
    flag: Flag,
    span: Span,
    /// After the `=`, when there is one.
    value_span: Option<Span>,
}

/// The message for a JSON array with an element that is not a string.
const NON_STRING_MESSAGE: &str =
    "exec form JSON array must contain only strings: quote this element";

/// A JSON array in the arguments.
enum Json {
    /// Valid, all strings.
    Strings(Vec<Word>),
    /// Valid JSON, but this element (logical span) is not a string: BuildKit rejects it.
    NonString(Vec<Word>, Span),
    /// Meant as an exec form but not valid JSON (logical offset): BuildKit runs it as shell.
    Broken(usize, String),
}

struct Parser<'a> {
    logical: &'a Logical,
    escape: char,
    /// The keyword's logical span.
    keyword: Span,
    errors: Vec<SyntaxError>,
    broken_json: Option<SyntaxError>,
}

impl<'a> Parser<'a> {
    fn error(&mut self, logical_span: Span, message: String) {
        self.errors.push(SyntaxError {
            span: self.logical.span(logical_span),
            message,
        });
    }

    fn text(&self, span: Span) -> &'a str {
        let logical: &'a Logical = self.logical;
        &logical.text[span.start..span.end]
    }

    /// BuildKit's `extractBuilderFlags`: `--name[=value]` words at the start, quotes and `\`
    /// honoured; a lone `--` ends them.
    fn extract_flags(&self, from: usize) -> (Vec<RawFlag>, usize) {
        let text = &self.logical.text;
        let mut flags = Vec::new();
        let mut pos = from;
        loop {
            // BuildKit reads the line byte by byte here, so only ASCII blanks are blanks.
            let rest = &text[pos..];
            let trimmed = rest.trim_start_matches(is_flag_blank);
            pos += rest.len() - trimmed.len();
            if !trimmed.starts_with("--") {
                return (flags, pos);
            }
            let start = pos;
            let mut end = text.len();
            let mut word = String::new();
            let mut eq: Option<usize> = None;
            let mut quote: Option<char> = None;
            let mut chars = trimmed.char_indices();
            while let Some((i, c)) = chars.next() {
                match quote {
                    None if is_flag_blank(c) => {
                        end = start + i;
                        break;
                    }
                    None if c == '"' || c == '\'' => quote = Some(c),
                    Some(q) if c == q => quote = None,
                    _ if c == '\\' => {
                        if let Some((_, next)) = chars.next() {
                            word.push(next);
                        }
                    }
                    _ => {
                        if c == '=' && eq.is_none() {
                            eq = Some(start + i);
                        }
                        word.push(c);
                    }
                }
            }
            pos = end;
            if word == "--" {
                return (flags, pos);
            }
            let body = word.strip_prefix("--").unwrap_or(&word);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            let span = Span::new(start, end);
            let value_span = eq.map(|e| Span::new((e + 1).min(end), end));
            flags.push(RawFlag {
                flag: Flag {
                    name,
                    value,
                    span: self.logical.span(span),
                    value_span: value_span.map(|v| self.logical.span(v)),
                },
                span,
                value_span,
            });
        }
    }

    /// BuildKit's `BFlags.Parse` for this instruction, plus HEALTHCHECK's value checks.
    fn check_flags(&mut self, keyword: Keyword, flags: &[RawFlag]) {
        let mut seen: Vec<&str> = Vec::new();
        for raw in flags {
            let name = raw.flag.name.as_str();
            let Some(kind) = flag_kind(keyword, name) else {
                let known = keyword
                    .flags()
                    .iter()
                    .map(|f| format!("`--{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = if known.is_empty() {
                    format!("unknown flag `--{name}`: {} takes no flags", keyword.name())
                } else {
                    format!(
                        "unknown flag `--{name}` for {}; it accepts {known}",
                        keyword.name()
                    )
                };
                self.error(raw.span, message);
                continue;
            };
            if seen.contains(&name) && kind != FlagKind::Strings {
                self.error(raw.span, format!("duplicate flag `--{name}`: give it once"));
                continue;
            }
            seen.push(name);
            let value_span = raw.value_span.unwrap_or(raw.span);
            match (kind, raw.flag.value.as_deref()) {
                (FlagKind::Bool, Some("")) => {
                    self.error(
                        raw.span,
                        format!(
                            "flag `--{name}=` needs a value: write `--{name}` or `--{name}=false`"
                        ),
                    );
                }
                (FlagKind::Bool, Some(v))
                    if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
                {
                    self.error(
                        value_span,
                        format!("`--{name}` takes `true` or `false`, not `{v}`"),
                    );
                }
                (FlagKind::String | FlagKind::Strings, None) => {
                    self.error(
                        raw.span,
                        format!("flag `--{name}` needs a value: `--{name}=...`"),
                    );
                }
                (_, Some(v))
                    if keyword == Keyword::Healthcheck && !v.is_empty() && !v.contains('$') =>
                {
                    if let Some(problem) = healthcheck_value_problem(name, v) {
                        self.error(value_span, problem);
                    }
                }
                _ => {}
            }
        }
    }

    /// Blank-separated words of `args` (BuildKit's `[\t\v\f\r ]+` split), logical spans.
    fn plain_spans(&self, args: Span) -> Vec<(Span, &'a str)> {
        plain_words(self.text(args))
            .into_iter()
            .map(|(s, w)| (s.shift(args.start), w))
            .collect()
    }

    fn plain(&self, args: Span) -> Vec<Word> {
        self.plain_spans(args)
            .into_iter()
            .map(|(s, w)| self.logical.word(s, unquote(w, self.escape)))
            .collect()
    }

    /// For `FROM --platform linux/amd64 image [AS name]`: the logical span of the word meant as
    /// the value of the last flag, a string flag written without `=`, after reporting it. `None`
    /// when the words after the flags read as a FROM on their own.
    fn flag_value_without_equals(&mut self, flags: &[RawFlag], args: Span) -> Option<Span> {
        let last = flags.last()?;
        if last.flag.value.is_some()
            || flag_kind(Keyword::From, &last.flag.name)? != FlagKind::String
        {
            return None;
        }
        let spans = self.plain_spans(args);
        let as_at = |i: usize| {
            spans
                .get(i)
                .is_some_and(|(_, w)| w.eq_ignore_ascii_case("as"))
        };
        // the words are `value image` or `value image AS name`
        if !(spans.len() == 2 || (spans.len() == 4 && as_at(2))) || as_at(1) {
            return None;
        }
        let (value, word) = spans[0];
        let name = &last.flag.name;
        self.error(
            last.span.cover(value),
            format!("`--{name}` takes its value after `=`, so BuildKit stops here; write `--{name}={word}`"),
        );
        Some(value)
    }

    fn from(&mut self, args: Span) -> Args {
        let spans = self.plain_spans(args);
        let words = self.plain(args);
        let is_as = |i: usize| {
            spans
                .get(i)
                .is_some_and(|(_, w)| w.eq_ignore_ascii_case("as"))
        };
        match words.len() {
            0 => return Args::None,
            1 => {}
            3 if is_as(1) => {
                let (name_span, name) = spans[2];
                let lower = name.to_ascii_lowercase();
                let valid = lower.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && lower.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
                    });
                if !valid {
                    self.error(
                        name_span,
                        format!("invalid stage name `{name}`: use letters, digits, `-`, `_` and `.`, starting with a letter (variables are not expanded here)"),
                    );
                }
                return Args::From {
                    image: words[0].clone(),
                    alias: Some(words[2].clone()),
                };
            }
            2 if is_as(1) => {
                self.error(
                    spans[1].0,
                    "FROM ... AS needs a stage name, e.g. `FROM golang:1.22 AS builder`"
                        .to_string(),
                );
            }
            _ => {
                let extra = if is_as(1) { spans.get(3) } else { spans.get(1) };
                let at = extra.map_or(args, |(s, _)| *s);
                self.error(at, "FROM takes an image and optionally `AS <name>`, e.g. `FROM node:20-slim AS build`".to_string());
            }
        }
        Args::From {
            image: words[0].clone(),
            alias: None,
        }
    }

    /// A JSON array at the start of the arguments (BuildKit's `parseJSON`); `None` for text that
    /// is not meant as one.
    fn json_array(&self, args: Span) -> Option<Json> {
        let text = self.text(args);
        if !text.starts_with('[') {
            return None;
        }
        let words = |items: Vec<(Span, String)>| -> Vec<Word> {
            items
                .into_iter()
                .map(|(s, v)| self.logical.word(s.shift(args.start), v))
                .collect()
        };
        match parse_json_strings(text) {
            JsonArray::Ok(items) => Some(Json::Strings(words(items))),
            JsonArray::NonString(items, at) => {
                Some(Json::NonString(words(items), at.shift(args.start)))
            }
            JsonArray::Broken(at, msg) => Some(Json::Broken(args.start + at, msg)),
            JsonArray::NotJson => None,
        }
    }

    fn broken(&mut self, at: usize, args: Span, message: String) {
        self.broken_json = Some(SyntaxError {
            span: self.logical.span(Span::new(at.min(args.end), args.end)),
            message,
        });
    }

    fn form(&mut self, args: Span, keyword: Keyword) -> Form {
        match self.json_array(args) {
            Some(Json::Strings(words)) => {
                if words.is_empty() && keyword != Keyword::Cmd && keyword != Keyword::Entrypoint {
                    self.error(args, format!("{} needs a command", keyword.name()));
                }
                return Form::Exec {
                    words,
                    span: self.logical.span(args),
                };
            }
            Some(Json::NonString(words, at)) => {
                self.error(at, NON_STRING_MESSAGE.to_string());
                return Form::Exec {
                    words,
                    span: self.logical.span(args),
                };
            }
            Some(Json::Broken(at, msg)) => self.broken(at, args, msg),
            None => {}
        }
        Form::Shell(self.shell(args))
    }

    fn shell(&self, args: Span) -> ShellText {
        let text = self.text(args).to_string();
        let mut script = shell::lex_with_escape(&text, self.escape);
        for cmd in &mut script.commands {
            cmd.span = self.logical.span(cmd.span.shift(args.start));
            for w in cmd.words.iter_mut().chain(cmd.assignments.iter_mut()) {
                w.span = self.logical.span(w.span.shift(args.start));
            }
        }
        ShellText {
            text,
            span: self.logical.span(args),
            script,
        }
    }

    fn copy(&mut self, args: Span, keyword: Keyword) -> Args {
        let (words, json) = match self.json_array(args) {
            Some(Json::Strings(words)) => (words, true),
            Some(Json::NonString(_, at)) => {
                self.error(at, NON_STRING_MESSAGE.to_string());
                return Args::None;
            }
            Some(Json::Broken(at, msg)) => {
                self.broken(at, args, msg);
                (self.plain(args), false)
            }
            None => (self.plain(args), false),
        };
        let Some((dest, sources)) = words
            .split_last()
            .filter(|(_, sources)| !sources.is_empty())
        else {
            self.error(
                self.keyword,
                format!(
                    "{} needs at least one source and a destination, e.g. `{} requirements.txt /app/`",
                    keyword.name(),
                    keyword.name()
                ),
            );
            return Args::None;
        };
        let last = if json {
            None
        } else {
            self.plain_spans(args).last().copied()
        };
        if let Some((span, _)) = last.filter(|(_, raw)| is_heredoc_word(raw)) {
            self.error(
                span,
                format!(
                    "{} cannot take a heredoc as its destination",
                    keyword.name()
                ),
            );
        }
        Args::Copy {
            sources: sources.to_vec(),
            dest: dest.clone(),
            json,
        }
    }

    fn volume(&mut self, args: Span) -> Args {
        match self.json_array(args) {
            Some(Json::Strings(words)) => {
                for w in &words {
                    if w.value.trim().is_empty() {
                        self.errors.push(SyntaxError {
                            span: w.span,
                            message: "VOLUME path is empty".to_string(),
                        });
                    }
                }
                Args::Words(words)
            }
            Some(Json::NonString(words, at)) => {
                self.error(at, NON_STRING_MESSAGE.to_string());
                Args::Words(words)
            }
            Some(Json::Broken(..)) | None => Args::Words(self.plain(args)),
        }
    }

    /// ENV and LABEL: `key=value ...`, or the legacy `KEY value` when the first word has no `=`.
    fn key_values(&mut self, args: Span, keyword: Keyword) -> Args {
        let text = self.text(args);
        let words = quoted_words(text, self.escape);
        let Some(&(_, first)) = words.first() else {
            return Args::None;
        };
        if !first.contains('=') {
            // BuildKit splits the legacy form once at `[\t\v\f\r ]+`.
            let key_len = text.find(is_keyword_blank).unwrap_or(text.len());
            let key = &text[..key_len];
            let after = &text[key_len..];
            let value_at =
                key_len + (after.len() - after.trim_start_matches(is_keyword_blank).len());
            if value_at >= text.len() {
                self.error(
                    args,
                    format!(
                        "{kw} `{key}` has no value: write `{kw} {key}=value`",
                        kw = keyword.name()
                    ),
                );
                return Args::None;
            }
            let value_span = Span::new(args.start + value_at, args.end);
            return Args::KeyValues(vec![KeyValue {
                key: key.to_string(),
                value: Some(unquote(self.text(value_span), self.escape)),
                span: self.logical.span(args),
                value_span: Some(self.logical.span(value_span)),
            }]);
        }
        let mut out = Vec::new();
        for (span, word) in words {
            let span = span.shift(args.start);
            let Some(eq) = word.find('=') else {
                self.error(
                    span,
                    format!(
                        "`{word}` has no `=`: write `{} {word}=value`",
                        keyword.name()
                    ),
                );
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
            out.push(KeyValue {
                key,
                value,
                span: self.logical.span(span),
                value_span,
            });
        }
        Args::KeyValues(out)
    }

    fn expose(&mut self, args: Span) -> Args {
        let words = self.plain(args);
        for (word, (span, _)) in words.iter().zip(self.plain_spans(args)) {
            // a variable may expand to anything, several words included
            if word.value.contains('$') {
                continue;
            }
            if let Some(problem) = port_spec_problem(&word.value) {
                self.error(span, problem);
            }
        }
        Args::Words(words)
    }

    fn onbuild(&mut self, args: Span) -> Args {
        let inner = parse_logical(self.logical, args.start, self.escape, true);
        if matches!(
            inner.keyword,
            Keyword::Onbuild | Keyword::From | Keyword::Maintainer
        ) {
            self.error(
                Span::new(args.start, args.start + inner.keyword_text.len()),
                format!(
                    "{} is not allowed as an ONBUILD trigger",
                    inner.keyword.name()
                ),
            );
        }
        self.errors.extend(inner.errors.iter().cloned());
        if self.broken_json.is_none() {
            self.broken_json.clone_from(&inner.broken_json);
        }
        Args::Onbuild(Box::new(inner))
    }

    /// `NONE`, or `CMD` and a command (BuildKit's `parseHealthConfig` and `parseHealthcheck`).
    fn healthcheck(&mut self, args: Span) -> Args {
        let text = self.text(args);
        let type_len = text.find(char::is_whitespace).unwrap_or(text.len());
        let kind = &text[..type_len];
        let kind_span = Span::new(args.start, args.start + type_len);
        let rest = &text[type_len..];
        let command = Span::new(
            args.start + type_len + (rest.len() - rest.trim_start().len()),
            args.end,
        );
        if kind.eq_ignore_ascii_case("none") {
            if !command.is_empty() {
                self.error(command, "HEALTHCHECK NONE takes no arguments".to_string());
            }
            return Args::Healthcheck(None);
        }
        if !kind.eq_ignore_ascii_case("cmd") {
            self.error(
                kind_span,
                format!("unknown HEALTHCHECK type `{kind}`: use `CMD <command>` or `NONE`"),
            );
            return Args::None;
        }
        if command.is_empty() {
            self.error(kind_span, "HEALTHCHECK CMD needs a command".to_string());
            return Args::None;
        }
        Args::Healthcheck(Some(self.form(command, Keyword::Healthcheck)))
    }
}

/// A blank between flags: Go's `unicode.IsSpace` on one byte of the line, for an ASCII byte.
fn is_flag_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// A word BuildKit would take for a heredoc opener (`^\d*<<-?[^<]+$`).
fn is_heredoc_word(word: &str) -> bool {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let Some(rest) = rest.strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    !rest.is_empty() && !rest.contains('<')
}

/// An EXPOSE word split the way BuildKit splits it: `[ip:]host:container`, where an IPv6
/// address may itself hold colons (everything before the last two parts is the address).
#[must_use]
pub fn split_port_spec(word: &str) -> (&str, &str, &str) {
    let parts: Vec<&str> = word.split(':').collect();
    match parts.as_slice() {
        [container] => ("", "", container),
        [host, container] => ("", host, container),
        [.., host, container] => {
            let ip_len = word.len() - host.len() - container.len() - 2;
            (&word[..ip_len], host, container)
        }
        [] => ("", "", ""),
    }
}

/// Why BuildKit rejects an EXPOSE word (after variable expansion), if it does: a missing port,
/// an unknown protocol, an address that is not an IP, a port above 65535, a range that ends
/// before it starts, or host and container ranges of different lengths.
#[must_use]
pub fn port_spec_problem(word: &str) -> Option<String> {
    let (ip, host, container) = split_port_spec(word);
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    if port.is_empty() {
        return Some(format!(
            "`{word}` names no port, so BuildKit rejects it; write the container port, e.g. `8080` or `8080/tcp`"
        ));
    }
    if !matches!(
        proto.to_ascii_lowercase().as_str(),
        "" | "tcp" | "udp" | "sctp"
    ) {
        return Some(format!(
            "unknown protocol `{proto}` in `{word}`, so BuildKit rejects it; use `tcp`, `udp` or `sctp`"
        ));
    }
    let address = ip
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(ip);
    if !ip.is_empty() && address.parse::<std::net::IpAddr>().is_err() {
        return Some(format!(
            "`{ip}` is not an IP address, so BuildKit rejects `{word}`; EXPOSE takes only the container port, e.g. `{port}`"
        ));
    }
    let (start, end) = match port_range(port) {
        Ok(range) => range,
        Err(problem) => return Some(problem),
    };
    if !host.is_empty() {
        let (host_start, host_end) = match port_range(host) {
            Ok(range) => range,
            Err(problem) => return Some(problem),
        };
        if end - start != host_end - host_start && end != start {
            return Some(format!(
                "the host ports `{host}` and the container ports `{port}` are ranges of different lengths, so BuildKit rejects them; EXPOSE takes only the container port, e.g. `{port}`"
            ));
        }
    }
    None
}

/// A port or a `start-end` range, as BuildKit reads it: numbers from 0 to 65535, the end not
/// below the start.
fn port_range(ports: &str) -> Result<(u32, u32), String> {
    let out_of_range = |s: &str| {
        format!("port `{s}` is above 65535, so BuildKit rejects it; use a port from 0 to 65535")
    };
    let number = |s: &str| -> Result<u32, String> {
        let digits = s.strip_prefix('+').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid port `{ports}`: expected a number, a range or `port/protocol`, e.g. `8080/tcp`"
            ));
        }
        match digits.trim_start_matches('0').len() {
            0 => Ok(0),
            len if len > 5 => Err(out_of_range(s)),
            _ => digits
                .parse::<u32>()
                .ok()
                .filter(|&n| n <= 65535)
                .ok_or_else(|| out_of_range(s)),
        }
    };
    let Some((a, b)) = ports.split_once('-') else {
        let n = number(ports)?;
        return Ok((n, n));
    };
    let start = number(a)?;
    if a == b {
        return Ok((start, start));
    }
    let end = number(b)?;
    if end < start {
        return Err(format!(
            "the port range `{ports}` ends before it starts, so BuildKit rejects it; write `{b}-{a}`"
        ));
    }
    Ok((start, end))
}

/// What BuildKit's HEALTHCHECK says about a flag value, if it rejects it.
fn healthcheck_value_problem(name: &str, value: &str) -> Option<String> {
    if name == "retries" {
        return match value.parse::<i32>() {
            Ok(n) if n < 0 => Some(format!("`--retries={value}` cannot be negative")),
            Ok(_) => None,
            Err(_) => Some(format!("`--retries={value}` is not a number")),
        };
    }
    match go_duration_nanos(value) {
        None => Some(format!(
            "`--{name}={value}` is not a valid duration (e.g. 30s, 1m30s)"
        )),
        Some(d) if d != 0.0 && d < 1e6 => Some(format!(
            "`--{name}={value}` is shorter than the minimum, 1ms"
        )),
        Some(_) => None,
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`.
fn go_duration_nanos(s: &str) -> Option<f64> {
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                (Some(&f[..n]), &f[n..])
            }
            None => (None, after),
        };
        if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
            return None;
        }
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let scale = match &after[..unit_len] {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        let number: f64 = format!(
            "{}.{}0",
            if int_part.is_empty() { "0" } else { int_part },
            frac_part.unwrap_or("")
        )
        .parse()
        .ok()?;
        total += number * scale;
        rest = &after[unit_len..];
    }
    Some(if negative { -total } else { total })
}

enum JsonArray {
    /// Valid JSON, all strings: elements with their spans and values.
    Ok(Vec<(Span, String)>),
    /// Valid JSON with an element that is not a string (its span); the string elements.
    NonString(Vec<(Span, String)>, Span),
    /// Starts like an exec form but is not valid JSON: where and why.
    Broken(usize, String),
    /// Not meant as JSON (`[ -f x ]`).
    NotJson,
}

/// Go's `encoding/json` limit on nesting.
const MAX_JSON_DEPTH: usize = 10_000;

fn skip_json_ws(bytes: &[u8], i: &mut usize) {
    while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t' | b'\r' | b'\n') {
        *i += 1;
    }
}

/// Parse a JSON array (the text starts with `[`) the way Go's `json.Unmarshal` into
/// `[]interface{}` does, keeping the string elements with their spans. Text that starts like an
/// exec form (`["`, `['`, a JSON value) but fails is `Broken`; anything else that fails
/// (`[ -f x ]`) is `NotJson`.
fn parse_json_strings(text: &str) -> JsonArray {
    let bytes = text.as_bytes();
    let mut i = 1;
    skip_json_ws(bytes, &mut i);
    if bytes.get(i) == Some(&b']') {
        i += 1;
        skip_json_ws(bytes, &mut i);
        return if i == bytes.len() {
            JsonArray::Ok(Vec::new())
        } else {
            JsonArray::NotJson
        };
    }
    let mut items = Vec::new();
    let mut non_string: Option<Span> = None;
    let mut first = true;
    loop {
        skip_json_ws(bytes, &mut i);
        match bytes.get(i) {
            Some(b'"') => match json_string(text, i) {
                Ok((end, value)) => {
                    items.push((Span::new(i, end), value));
                    i = end;
                }
                Err((at, message)) => return JsonArray::Broken(at, message.to_string()),
            },
            Some(b'\'') => {
                return JsonArray::Broken(
                    i,
                    "exec form needs double quotes, not single quotes".to_string(),
                );
            }
            _ => match skip_json_value(text, i) {
                Some(end) => {
                    non_string.get_or_insert(Span::new(i, end));
                    i = end;
                }
                None if first => return JsonArray::NotJson,
                None => {
                    return JsonArray::Broken(
                        i,
                        "expected a double-quoted string in the JSON array".to_string(),
                    );
                }
            },
        }
        first = false;
        skip_json_ws(bytes, &mut i);
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b']') => {
                i += 1;
                skip_json_ws(bytes, &mut i);
                if i != bytes.len() {
                    // `["a"] && b` is odd but is shell text for Docker.
                    return JsonArray::NotJson;
                }
                return match non_string {
                    Some(at) => JsonArray::NonString(items, at),
                    None => JsonArray::Ok(items),
                };
            }
            Some(b'"') => {
                return JsonArray::Broken(i, "missing `,` between JSON array elements".to_string())
            }
            None => {
                return JsonArray::Broken(
                    text.len(),
                    "unterminated JSON array: missing `]`".to_string(),
                )
            }
            Some(_) => return JsonArray::NotJson,
        }
    }
}

/// Read four hex digits at `i`.
fn hex4(text: &str, i: usize) -> Option<u32> {
    let hex = text.get(i..i + 4)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// A JSON string starting at the `"` at `start`: the offset after its closing quote and its
/// value, or where and why it is invalid.
fn json_string(text: &str, start: usize) -> Result<(usize, String), (usize, &'static str)> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    let mut value = String::new();
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err((start, "unterminated string in JSON array"));
        };
        match b {
            b'"' => return Ok((i + 1, value)),
            b'\\' => {
                let Some(&e) = bytes.get(i + 1) else {
                    return Err((start, "unterminated string in JSON array"));
                };
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
                        let Some(code) = hex4(text, i + 2) else {
                            return Err((i, "invalid \\u escape in JSON string"));
                        };
                        i += 6;
                        let c = if (0xD800..0xDC00).contains(&code) {
                            // a surrogate pair, when the next escape is its low half
                            let low = text
                                .get(i..i + 2)
                                .filter(|p| *p == "\\u")
                                .and_then(|_| hex4(text, i + 2));
                            match low.filter(|l| (0xDC00..0xE000).contains(l)) {
                                Some(l) => {
                                    i += 6;
                                    char::from_u32(0x10000 + ((code - 0xD800) << 10) + (l - 0xDC00))
                                }
                                None => None,
                            }
                        } else {
                            char::from_u32(code)
                        };
                        value.push(c.unwrap_or('\u{fffd}'));
                        continue;
                    }
                    _ => return Err((i, "invalid escape in JSON string")),
                }
                i += 2;
            }
            0..=0x1f => {
                return Err((
                    i,
                    "control character in JSON string: escape it (`\\t`, `\\n`)",
                ))
            }
            _ => {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                value.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
}

/// A JSON number at `i` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`): its end.
fn json_number(bytes: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return None,
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    Some(i)
}

/// Skip any JSON value at `start` (iteratively, so deep nesting cannot overflow the stack):
/// its end, or `None` when it is not valid JSON.
fn skip_json_value(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut i = start;
    loop {
        // A value at `i`.
        skip_json_ws(bytes, &mut i);
        match *bytes.get(i)? {
            open @ (b'[' | b'{') => {
                stack.push(open);
                if stack.len() > MAX_JSON_DEPTH {
                    return None;
                }
                i += 1;
                skip_json_ws(bytes, &mut i);
                let close = if open == b'[' { b']' } else { b'}' };
                if bytes.get(i) == Some(&close) {
                    i += 1;
                    stack.pop();
                } else if open == b'[' {
                    continue;
                } else {
                    i = json_key(text, i)?;
                    continue;
                }
            }
            b'"' => i = json_string(text, i).ok()?.0,
            b't' | b'f' | b'n' => {
                let word: &[u8] = match bytes[i] {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !bytes[i..].starts_with(word) {
                    return None;
                }
                i += word.len();
            }
            _ => i = json_number(bytes, i)?,
        }
        // After a value: close containers, or go on to the next element.
        loop {
            let Some(&top) = stack.last() else {
                return Some(i);
            };
            skip_json_ws(bytes, &mut i);
            match (top, *bytes.get(i)?) {
                (b'[', b',') => {
                    i += 1;
                    break;
                }
                (b'{', b',') => {
                    i = json_key(text, i + 1)?;
                    break;
                }
                (b'[', b']') | (b'{', b'}') => {
                    i += 1;
                    stack.pop();
                }
                _ => return None,
            }
        }
    }
}

/// An object key and its colon at `i` (blanks allowed around): the offset after the colon.
fn json_key(text: &str, mut i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    skip_json_ws(bytes, &mut i);
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    i = json_string(text, i).ok()?.0;
    skip_json_ws(bytes, &mut i);
    (bytes.get(i) == Some(&b':')).then_some(i + 1)
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
                    || s.script
                        .commands
                        .first()
                        .and_then(shell::Command::program)
                        .is_some_and(|p| matches!(p, "sh" | "bash" | "ash" | "dash" | "zsh"))
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
            terminator: Span::new(
                body.terminator.start.saturating_sub(base),
                body.terminator.end.saturating_sub(base),
            ),
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
    fn edit_distance_without_allocating_agrees() {
        let words = [
            "",
            "a",
            "RUN",
            "RUNX",
            "FORM",
            "ENTRYPOINT",
            "é日本",
            "HEALTHCHECKS",
        ];
        let long = "X".repeat(40);
        for a in words.iter().chain([&long.as_str()]) {
            for b in words.iter().chain([&long.as_str()]) {
                assert_eq!(edit_distance(a, b), edit_distance_long(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn from_with_platform_and_alias() {
        let (i, _) = one("FROM --platform=$BUILDPLATFORM golang:1.22 AS build");
        assert_eq!(i.flags[0].name, "platform");
        let Args::From { image, alias } = &i.args else {
            panic!("{:?}", i.args)
        };
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
        let Args::Copy { sources, dest, .. } = &i.args else {
            panic!()
        };
        assert_eq!(
            (sources[0].value.as_str(), dest.value.as_str()),
            ("/x", "/y/")
        );
        assert_eq!(
            i.flag("from").and_then(|f| f.value.as_deref()),
            Some("build")
        );
        assert_eq!(one("COPY --form=build a b").0.errors.len(), 1);
        assert_eq!(one("COPY a").0.errors.len(), 1);
        assert!(one("COPY --link --parents a b").0.errors.is_empty());
    }

    #[test]
    fn env_forms() {
        let (i, _) = one("ENV A=1 B=\"two words\" C=x\\ y");
        let Args::KeyValues(kv) = &i.args else {
            panic!()
        };
        let pairs: Vec<(&str, &str)> = kv
            .iter()
            .map(|k| (k.key.as_str(), k.value.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(pairs, [("A", "1"), ("B", "two words"), ("C", "x y")]);
        let (i, _) = one("ENV PATH /usr/local/bin:$PATH");
        let Args::KeyValues(kv) = &i.args else {
            panic!()
        };
        assert_eq!(kv[0].value.as_deref(), Some("/usr/local/bin:$PATH"));
        assert_eq!(one("ENV ONLYKEY").0.errors.len(), 1);
    }

    #[test]
    fn unknown_instruction_suggests() {
        let (i, _) = one("COP . /app");
        assert_eq!(i.keyword, Keyword::Unknown);
        assert!(
            i.errors[0].message.contains("did you mean `COPY`"),
            "{}",
            i.errors[0].message
        );
    }

    #[test]
    fn heredoc_scripts() {
        let text = "FROM a\nRUN <<EOF\napt-get update\npip install -r r.txt\nEOF\nRUN python3 <<EOF\nimport os\nEOF\n";
        let tree = parse_file(text);
        let run = &tree.instructions[1];
        let progs: Vec<&str> = run.commands().filter_map(shell::Command::program).collect();
        assert_eq!(progs, ["apt-get", "pip"]);
        assert_eq!(
            run.abs(run.commands().nth(1).unwrap().span).of(text),
            "pip install -r r.txt"
        );
        assert_eq!(
            tree.instructions[2]
                .commands()
                .filter_map(shell::Command::program)
                .collect::<Vec<_>>(),
            ["python3"]
        );
    }

    #[test]
    fn onbuild_and_healthcheck() {
        let (i, _) = one("ONBUILD RUN pip install -r requirements.txt");
        let Args::Onbuild(inner) = &i.args else {
            panic!()
        };
        assert_eq!(inner.keyword, Keyword::Run);
        assert_eq!(inner.commands().count(), 1);
        assert!(one("ONBUILD FROM x").0.errors.len() == 1);
        assert!(one(
            "HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/ || exit 1"
        )
        .0
        .errors
        .is_empty());
        assert_eq!(one("HEALTHCHECK --interval=abc CMD true").0.errors.len(), 1);
        assert!(one("HEALTHCHECK NONE").0.errors.is_empty());
    }

    #[test]
    fn expose_ports() {
        assert!(one("EXPOSE 80 443/tcp 5000-5010/udp ${PORT}")
            .0
            .errors
            .is_empty());
        assert_eq!(one("EXPOSE abc").0.errors.len(), 1);
        // what BuildKit builds, with a warning (`expose-invalid-format`), not an error
        assert!(one("EXPOSE 80:80 127.0.0.1:80:80 [::1]:80:80 ::1:80:80 8000-8001:80-81 0.0.0.0:8000-9000:80")
            .0
            .errors
            .is_empty());
        for bad in [
            "80000",
            "9000-8000",
            "80/http",
            "localhost:80:80",
            "/tcp",
            "80-",
            "1-2-3",
            "8000-8001:80-82",
            "65536/udp",
            "99999999999999999999",
        ] {
            assert_eq!(one(&format!("EXPOSE {bad}")).0.errors.len(), 1, "{bad}");
        }
        assert_eq!(split_port_spec("::1:80:80"), ("::1", "80", "80"));
        assert_eq!(
            split_port_spec("[::1]:8080:80/tcp"),
            ("[::1]", "8080", "80/tcp")
        );
    }
}
