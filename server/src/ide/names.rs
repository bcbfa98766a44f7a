//! Stage and variable names: where each one is declared and where it is used, resolved the way
//! BuildKit resolves them. The base of definition, references, document highlight, rename,
//! completion of names in scope, and the colouring of names in semantic tokens.
//!
//! Stages: `FROM image AS name` declares `name`; `FROM name`, `COPY --from=name` (`ADD` too) and
//! `RUN --mount=...,from=name` use it when a stage of that name (case-insensitive) was declared
//! before. A name that matches no earlier stage is an image, not a use. `ONBUILD` triggers run in
//! another build and are left alone.
//!
//! Variables: `ARG` and `ENV` declare; `$NAME` and `${NAME...}` use. One forward pass keeps the
//! scopes:
//! - `ARG`s before the first `FROM` are global; `FROM` lines (image, `--platform`) see only them.
//! - a stage sees its own `ARG`s and `ENV`s declared before the instruction, and the `ENV`s of
//!   the stage it is built on (`FROM <stage>`), not that stage's `ARG`s;
//! - `ARG NAME` without a default inside a stage brings the global `NAME` in: it is an
//!   occurrence of the global declaration, and so are the uses it makes visible;
//! - `CMD`, `ENTRYPOINT` and `HEALTHCHECK` run in the container, which keeps the `ENV`s only;
//! - a use inside the `ENV` or `ARG` that declares the same name sees the earlier value
//!   (`ENV PATH=/x:$PATH`).
//!
//! Uses are found in the words BuildKit expands and in shell text the shell expands (shell-form
//! `RUN`, `CMD`...; heredoc scripts the shell runs, and unquoted heredocs). Not in exec-form
//! arrays, single-quoted text, after the escape character, in quoted heredocs that are not shell
//! scripts, `ONBUILD`, `SHELL` or `MAINTAINER`. A `$NAME` that resolves to no declaration (a
//! shell variable, `$HOME`) is no occurrence.

use std::collections::HashMap;

use super::exact_span;
use crate::syntax::instruction::{Args, Form, Instruction, Keyword};
use crate::syntax::{Located, Span, SyntaxTree};
use crate::text::AppliedEdit;

/// A declared name: a stage (by the index of its FROM) or a variable (by its declaration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    Stage { from: usize },
    Variable(Decl),
}

/// A variable declaration: the `key`-th pair of ARG or ENV instruction `instruction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decl {
    pub instruction: usize,
    pub key: usize,
}

/// Whether an occurrence declares its name or uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Declaration,
    Use,
}

/// One place a name is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The name itself (no `$`, braces, `--from=` or quotes).
    pub span: Span,
    pub role: Role,
    pub symbol: Symbol,
}

/// Every occurrence of a stage or variable name in `tree` (parsed from `text`), in text order.
#[must_use]
pub fn occurrences(tree: &SyntaxTree, text: &str) -> Vec<Occurrence> {
    NameIndex::build(tree, text).occurrences
}

/// The names of one document, kept across its edits: every occurrence in text order, the
/// global ARGs and the scope each stage ends with. [`Self::update`] resolves again only from the
/// stage an edit touched, and stops at the first stage after the edit that starts with the same
/// scopes as before (the rest is moved, not resolved); [`Self::in_scope`] resolves only the
/// stage that holds the instruction.
#[derive(Debug, Default)]
pub struct NameIndex {
    occurrences: Vec<Occurrence>,
    globals: HashMap<String, Decl>,
    stages: Vec<StageScope>,
    /// The span of each instruction the index was made from.
    spans: Vec<Span>,
    /// The length of that text.
    len: usize,
}

impl NameIndex {
    /// Resolves every name of `tree` (parsed from `text`).
    #[must_use]
    pub fn build(tree: &SyntaxTree, text: &str) -> Self {
        let mut resolver = Resolver::new(tree, text);
        let mut occurrences = Vec::new();
        for i in 0..tree.instructions.len() {
            resolver.instruction(i, &mut occurrences);
        }
        occurrences.sort_by_key(|o| (o.span.start, o.span.end));
        Self {
            occurrences,
            globals: resolver.globals,
            stages: resolver.stages,
            spans: tree.instructions.iter().map(Located::span).collect(),
            len: text.len(),
        }
    }

    /// Every occurrence, in text order.
    #[must_use]
    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }

    /// Brings the index up to date with `tree` (parsed from `text`), which is the text the index
    /// was made from with `edit` applied (`None`: an unrelated text, resolved from scratch).
    pub fn update(&mut self, tree: &SyntaxTree, text: &str, edit: Option<AppliedEdit>) {
        let fits = edit.filter(|e| {
            e.start <= e.old_end
                && e.start <= e.new_end
                && e.new_end <= text.len()
                && (text.len() - e.new_end).checked_add(e.old_end) == Some(self.len)
        });
        let Some(edit) = fits else {
            *self = Self::build(tree, text);
            return;
        };
        let new = &tree.instructions;
        // unchanged before the edit: the same span, ending before it
        let prefix = new
            .iter()
            .zip(&self.spans)
            .take_while(|(l, old)| l.span() == **old && old.end < edit.start)
            .count();
        // unchanged after it: the same text, moved
        let Some(delta) = difference(edit.new_end, edit.old_end) else {
            *self = Self::build(tree, text);
            return;
        };
        let suffix = new
            .iter()
            .rev()
            .zip(self.spans.iter().rev())
            .take(new.len().min(self.spans.len()) - prefix)
            .take_while(|(l, old)| old.start > edit.old_end && l.span() == moved(**old, delta))
            .count();
        if prefix == new.len() && prefix == self.spans.len() {
            self.len = text.len();
            return;
        }
        // resume at the last stage whose FROM is in the unchanged prefix
        let stage = self.stages.partition_point(|s| s.from < prefix);
        let Some(stage) = stage.checked_sub(1) else {
            *self = Self::build(tree, text);
            return;
        };
        let restart = self.stages[stage].from;
        let restart_at = new[restart].offset;
        let old_stages = self.stages.split_off(stage);
        let kept = self
            .occurrences
            .partition_point(|o| o.span.start < restart_at);
        let old_occurrences = self.occurrences.split_off(kept);
        let old_suffix = self.spans.len() - suffix;
        let new_suffix = new.len() - suffix;
        let Some(shift) = difference(new_suffix, old_suffix) else {
            *self = Self::build(tree, text);
            return;
        };
        let map = |i: usize| {
            if i >= old_suffix {
                i.wrapping_add_signed(shift)
            } else {
                i
            }
        };
        let mut resolver = Resolver {
            globals: std::mem::take(&mut self.globals),
            stages: std::mem::take(&mut self.stages),
            ..Resolver::new(tree, text)
        };
        let mut out = Vec::new();
        let mut rest: Option<(usize, usize)> = None;
        for (j, located) in new.iter().enumerate().skip(restart) {
            if j > restart && j >= new_suffix && located.keyword == Keyword::From {
                // the old index of this FROM, and the old stages before it that were resolved again
                let old_j = j.wrapping_add_signed(-shift);
                let redone = old_stages.partition_point(|s| s.from < old_j);
                if resolver.same_scopes(stage, &old_stages[..redone], map) {
                    rest = Some((old_j, redone));
                    break;
                }
            }
            resolver.instruction(j, &mut out);
        }
        out.sort_by_key(|o| (o.span.start, o.span.end));
        self.occurrences.append(&mut out);
        if let Some((old_j, redone)) = rest {
            if let Some(current) = resolver.stages.last_mut() {
                current.env = std::mem::take(&mut resolver.env);
            }
            let old_at = self.spans[old_j].start;
            let from = old_occurrences.partition_point(|o| o.span.start < old_at);
            self.occurrences
                .extend(old_occurrences[from..].iter().map(|o| Occurrence {
                    span: moved(o.span, delta),
                    role: o.role,
                    symbol: o.symbol.map(map),
                }));
            resolver
                .stages
                .extend(old_stages.into_iter().skip(redone).map(|s| StageScope {
                    from: map(s.from),
                    alias: s.alias,
                    env: s.env.into_iter().map(|(k, d)| (k, d.map(map))).collect(),
                }));
        }
        self.globals = resolver.globals;
        self.stages = resolver.stages;
        self.spans.splice(
            prefix..old_suffix,
            new[prefix..new_suffix].iter().map(Located::span),
        );
        for span in &mut self.spans[new_suffix..] {
            *span = moved(*span, delta);
        }
        self.len = text.len();
    }

    /// The names in scope at instruction `i`: the stage that holds it is resolved up to it.
    #[must_use]
    pub fn in_scope(&self, tree: &SyntaxTree, text: &str, i: usize) -> InScope {
        let i = i.min(tree.instructions.len());
        let stage = self.stages.partition_point(|s| s.from <= i);
        let (start, base) = match stage.checked_sub(1) {
            Some(s) => (self.stages[s].from, &self.stages[..s]),
            None => (0, &self.stages[..0]),
        };
        let mut resolver = Resolver {
            base,
            globals: if stage == 0 {
                HashMap::new()
            } else {
                self.globals.clone()
            },
            ..Resolver::new(tree, text)
        };
        let mut sink = Vec::new();
        for j in start..i {
            resolver.instruction(j, &mut sink);
            sink.clear();
        }
        resolver.in_scope(tree, i)
    }
}

/// `a - b`, when it fits.
fn difference(a: usize, b: usize) -> Option<isize> {
    let (a, b) = (isize::try_from(a).ok()?, isize::try_from(b).ok()?);
    a.checked_sub(b)
}

/// `span` moved by `delta` bytes.
fn moved(span: Span, delta: isize) -> Span {
    Span::new(
        span.start.wrapping_add_signed(delta),
        span.end.wrapping_add_signed(delta),
    )
}

impl Symbol {
    fn map(self, f: impl Fn(usize) -> usize) -> Self {
        match self {
            Self::Stage { from } => Self::Stage { from: f(from) },
            Self::Variable(d) => Self::Variable(d.map(f)),
        }
    }
}

impl Decl {
    fn map(self, f: impl Fn(usize) -> usize) -> Self {
        Self {
            instruction: f(self.instruction),
            key: self.key,
        }
    }
}

/// The occurrence under `offset` (at its end too, where a cursor stops after typing).
#[must_use]
pub fn at(occurrences: &[Occurrence], offset: usize) -> Option<&Occurrence> {
    let after = occurrences.partition_point(|o| o.span.start <= offset);
    occurrences[..after]
        .iter()
        .rev()
        .take(2)
        .find(|o| o.span.start <= offset && offset <= o.span.end)
}

/// Where the name at `offset` is declared: for a use, the declaration it sees (in its own
/// stage when the stage declares it again, as `ARG NAME` does for a global); for a declaration
/// that brings a global in, the global one; else itself.
#[must_use]
pub fn definition(tree: &SyntaxTree, occurrences: &[Occurrence], offset: usize) -> Option<Span> {
    let target = at(occurrences, offset)?;
    let canonical = occurrences.iter().find(|o| {
        o.symbol == target.symbol && o.role == Role::Declaration && is_canonical(tree, o)
    });
    if target.role == Role::Use {
        let stage_start = tree
            .instructions
            .iter()
            .rev()
            .find(|l| l.keyword == Keyword::From && l.offset <= target.span.start)
            .map_or(0, |l| l.span().end);
        let local = occurrences.iter().rev().find(|o| {
            o.symbol == target.symbol
                && o.role == Role::Declaration
                && o.span.start >= stage_start
                && o.span.end <= target.span.start
        });
        if let Some(local) = local {
            return Some(local.span);
        }
    }
    canonical.map(|o| o.span)
}

/// Whether a declaration occurrence is the one its symbol is named after.
fn is_canonical(tree: &SyntaxTree, occurrence: &Occurrence) -> bool {
    let instruction = match occurrence.symbol {
        Symbol::Stage { from } => from,
        Symbol::Variable(decl) => decl.instruction,
    };
    tree.instructions
        .get(instruction)
        .is_some_and(|l| l.span().cover(occurrence.span) == l.span())
}

/// The names in scope at instruction `i`, as completion offers them: variables (name, the
/// declaration) and the stages declared before the stage that holds it (lowercased alias, index
/// of its FROM).
#[derive(Debug, Default)]
pub struct InScope {
    pub variables: Vec<(String, Decl)>,
    pub stages: Vec<(String, usize)>,
}

/// The value a declaration gives (an ARG's default, an ENV's value), as written after `=`.
#[must_use]
pub fn declared_value(tree: &SyntaxTree, decl: Decl) -> Option<&str> {
    match &tree.instructions.get(decl.instruction)?.args {
        Args::KeyValues(kvs) => kvs.get(decl.key)?.value.as_deref(),
        _ => None,
    }
}

/// The name a declaration declares.
#[must_use]
pub fn declared_name(tree: &SyntaxTree, decl: Decl) -> Option<&str> {
    match &tree.instructions.get(decl.instruction)?.args {
        Args::KeyValues(kvs) => kvs.get(decl.key).map(|kv| kv.key.as_str()),
        _ => None,
    }
}

/// Whether `name` is a valid stage name (BuildKit: a letter first, then letters, digits, `.`,
/// `_` and `-`; layerwise asks for lower case, as the `StageNameCasing` check does).
#[must_use]
pub fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Whether `name` is a valid variable name (a letter or `_` first, then letters, digits, `_`).
#[must_use]
pub fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone)]
struct StageScope {
    from: usize,
    alias: Option<String>,
    /// The ENVs at the end of the stage (what a stage built on it inherits).
    env: HashMap<String, Decl>,
}

/// The scopes of one forward pass over the instructions.
struct Resolver<'t> {
    tree: &'t SyntaxTree,
    /// Stages resolved earlier, before [`Self::stages`] (see [`NameIndex::in_scope`]).
    base: &'t [StageScope],
    text: &'t str,
    escape: char,
    globals: HashMap<String, Decl>,
    in_stage: bool,
    stages: Vec<StageScope>,
    /// Build-time variables of the current stage: its ARGs and ENVs, the inherited ENVs.
    vars: HashMap<String, Decl>,
    /// What the container sees: ENVs only.
    env: HashMap<String, Decl>,
}

/// Which scope a use reads.
#[derive(Clone, Copy)]
enum Scope {
    Global,
    Build,
    Runtime,
}

impl<'t> Resolver<'t> {
    fn new(tree: &'t SyntaxTree, text: &'t str) -> Self {
        Self {
            tree,
            base: &[],
            text,
            escape: tree.split.escape,
            globals: HashMap::new(),
            in_stage: false,
            stages: Vec::new(),
            vars: HashMap::new(),
            env: HashMap::new(),
        }
    }

    fn lookup(&self, scope: Scope, name: &str) -> Option<Decl> {
        match scope {
            Scope::Global => self.globals.get(name),
            Scope::Build => self.vars.get(name),
            Scope::Runtime => self.env.get(name),
        }
        .copied()
    }

    /// The earlier stage called `name` (the last one, as BuildKit picks).
    fn stage(&self, name: &str) -> Option<usize> {
        let name = name.to_ascii_lowercase();
        self.base
            .iter()
            .chain(&self.stages)
            .rev()
            .find(|s| s.alias.as_deref() == Some(name.as_str()))
            .map(|s| s.from)
    }

    fn instruction(&mut self, i: usize, out: &mut Vec<Occurrence>) {
        let located = &self.tree.instructions[i];
        let instr: &Instruction = located;
        let base = located.offset;
        let after_keyword = located.keyword_span().end;
        match instr.keyword {
            Keyword::From => self.from(i, out),
            Keyword::Arg | Keyword::Env => {
                let scope = if self.in_stage {
                    Scope::Build
                } else {
                    Scope::Global
                };
                if !self.in_stage && instr.keyword == Keyword::Env {
                    return;
                }
                let Args::KeyValues(kvs) = &instr.args else {
                    return;
                };
                for kv in kvs {
                    if let Some(value) = kv.value_span {
                        self.scan(i, value.shift(base), scope, true, out);
                    }
                }
                for (k, kv) in kvs.iter().enumerate() {
                    let own = Decl {
                        instruction: i,
                        key: k,
                    };
                    let decl = match (instr.keyword, self.in_stage) {
                        (Keyword::Arg, false) => {
                            self.globals.insert(kv.key.clone(), own);
                            own
                        }
                        (Keyword::Arg, true) => {
                            let linked = kv
                                .value
                                .is_none()
                                .then(|| self.globals.get(&kv.key).copied())
                                .flatten();
                            let decl = linked.unwrap_or(own);
                            self.vars.insert(kv.key.clone(), decl);
                            decl
                        }
                        _ => {
                            self.vars.insert(kv.key.clone(), own);
                            self.env.insert(kv.key.clone(), own);
                            own
                        }
                    };
                    let span = kv.span.shift(base);
                    let key = Span::new(span.start, span.start + kv.key.len());
                    if key.of(self.text) == kv.key {
                        out.push(Occurrence {
                            span: key,
                            role: Role::Declaration,
                            symbol: Symbol::Variable(decl),
                        });
                    }
                }
            }
            _ if !self.in_stage => {}
            Keyword::Label => {
                if let Args::KeyValues(kvs) = &instr.args {
                    for kv in kvs {
                        if let Some(value) = kv.value_span {
                            self.scan(i, value.shift(base), Scope::Build, true, out);
                        }
                    }
                }
            }
            Keyword::Run | Keyword::Copy | Keyword::Add => {
                self.stage_flags(i, instr, out);
                let skip = match instr.form() {
                    Some(Form::Exec { span, .. }) => Some(span.shift(base)),
                    _ => None,
                };
                let end = skip.map_or(located.span().end, |s| s.start);
                self.scan(i, Span::new(after_keyword, end), Scope::Build, true, out);
                self.heredocs(i, instr, Scope::Build, out);
            }
            Keyword::Cmd | Keyword::Entrypoint | Keyword::Healthcheck => {
                if let Some(Form::Shell(shell)) = instr.form() {
                    self.scan(i, shell.span.shift(base), Scope::Runtime, true, out);
                }
            }
            Keyword::Expose
            | Keyword::Stopsignal
            | Keyword::User
            | Keyword::Volume
            | Keyword::Workdir => {
                let end = located.span().end;
                self.scan(i, Span::new(after_keyword, end), Scope::Build, true, out);
            }
            Keyword::Onbuild | Keyword::Maintainer | Keyword::Shell | Keyword::Unknown => {}
        }
    }

    fn from(&mut self, i: usize, out: &mut Vec<Occurrence>) {
        let located = &self.tree.instructions[i];
        let base = located.offset;
        if let Some(current) = self.stages.last_mut().filter(|_| self.in_stage) {
            current.env = std::mem::take(&mut self.env);
        }
        for flag in &located.flags {
            if let Some(value) = flag.value_span {
                self.scan(i, value.shift(base), Scope::Global, true, out);
            }
        }
        let (mut alias, mut parent) = (None, None);
        if let Args::From { image, alias: name } = &located.args {
            let span = image.span.shift(base);
            match self.stage(&image.value) {
                Some(from) => {
                    parent = Some(from);
                    if let Some(exact) = exact_span(self.text, span, &image.value) {
                        out.push(Occurrence {
                            span: exact,
                            role: Role::Use,
                            symbol: Symbol::Stage { from },
                        });
                    }
                }
                None => self.scan(i, span, Scope::Global, true, out),
            }
            if let Some(name) = name {
                let span = name.span.shift(base);
                if let Some(exact) = exact_span(self.text, span, &name.value) {
                    out.push(Occurrence {
                        span: exact,
                        role: Role::Declaration,
                        symbol: Symbol::Stage { from: i },
                    });
                }
                alias = Some(name.value.to_ascii_lowercase());
            }
        }
        let inherited = parent
            .and_then(|from| {
                self.base
                    .iter()
                    .chain(&self.stages)
                    .find(|s| s.from == from)
            })
            .map(|s| s.env.clone())
            .unwrap_or_default();
        self.vars.clone_from(&inherited);
        self.env = inherited;
        self.stages.push(StageScope {
            from: i,
            alias,
            env: HashMap::new(),
        });
        self.in_stage = true;
    }

    /// Whether the stages from `first` on, the current one with its ENVs so far, are `old`
    /// with its instruction indices mapped by `map`.
    fn same_scopes(&self, first: usize, old: &[StageScope], map: impl Fn(usize) -> usize) -> bool {
        let redone = self.stages.get(first..).unwrap_or_default();
        let same_env = |new: &HashMap<String, Decl>, old: &HashMap<String, Decl>| {
            new.len() == old.len() && old.iter().all(|(k, d)| new.get(k) == Some(&d.map(&map)))
        };
        redone.len() == old.len()
            && redone.iter().zip(old).enumerate().all(|(k, (n, o))| {
                let env = if k + 1 == redone.len() {
                    &self.env
                } else {
                    &n.env
                };
                n.from == map(o.from) && n.alias == o.alias && same_env(env, &o.env)
            })
    }

    /// The names in scope before instruction `i`, the instructions before it resolved.
    fn in_scope(&self, tree: &SyntaxTree, i: usize) -> InScope {
        let is_from = tree
            .instructions
            .get(i)
            .is_some_and(|l| l.keyword == Keyword::From);
        let scope = if self.in_stage && !is_from {
            &self.vars
        } else {
            &self.globals
        };
        let mut variables: Vec<(String, Decl)> =
            scope.iter().map(|(name, d)| (name.clone(), *d)).collect();
        variables.sort_by(|a, b| a.0.cmp(&b.0));
        // inside a stage, the last one resolved is the stage that holds `i`: it is left out, as
        // a stage that copies or mounts from itself is a circular dependency BuildKit rejects
        let declared = self.base.len() + self.stages.len();
        let before = if self.in_stage && !is_from {
            declared.saturating_sub(1)
        } else {
            declared
        };
        let stages = self
            .base
            .iter()
            .chain(&self.stages)
            .take(before)
            .filter_map(|s| Some((s.alias.clone()?, s.from)))
            .collect();
        InScope { variables, stages }
    }

    /// `--from=NAME` and `--mount=...,from=NAME`.
    fn stage_flags(&self, i: usize, instr: &Instruction, out: &mut Vec<Occurrence>) {
        let base = self.tree.instructions[i].offset;
        for flag in &instr.flags {
            let (Some(value), Some(span)) = (flag.value.as_deref(), flag.value_span) else {
                continue;
            };
            let span = span.shift(base);
            let found = match flag.name.as_str() {
                "from" if instr.keyword != Keyword::Run => {
                    exact_span(self.text, span, value).map(|s| (s, value))
                }
                "mount" if instr.keyword == Keyword::Run => mount_from(self.text, span),
                _ => None,
            };
            if let Some((exact, name)) = found {
                if let Some(from) = self.stage(name) {
                    out.push(Occurrence {
                        span: exact,
                        role: Role::Use,
                        symbol: Symbol::Stage { from },
                    });
                }
            }
        }
    }

    fn heredocs(&self, i: usize, instr: &Instruction, scope: Scope, out: &mut Vec<Occurrence>) {
        let base = self.tree.instructions[i].offset;
        for heredoc in &instr.heredocs {
            let script = heredoc.script.is_some();
            if heredoc.quoted && !script {
                continue;
            }
            let body = heredoc.body.shift(base);
            let mut state = Quotes::default();
            self.scan_text(body, scope, script, '\\', &mut state, out);
        }
    }

    /// The uses in `region` of instruction `i`'s logical line (continuations and the comment
    /// lines inside it skipped), resolved in `scope`.
    fn scan(&self, i: usize, region: Span, scope: Scope, quotes: bool, out: &mut Vec<Occurrence>) {
        let Some(raw) = self.tree.split.instructions.get(i) else {
            return;
        };
        let mut state = Quotes::default();
        for segment in &raw.segments {
            let part = Span::new(segment.start.max(region.start), segment.end.min(region.end));
            if part.start < part.end {
                self.scan_text(part, scope, quotes, self.escape, &mut state, out);
            }
        }
    }

    fn scan_text(
        &self,
        span: Span,
        scope: Scope,
        quotes: bool,
        escape: char,
        state: &mut Quotes,
        out: &mut Vec<Occurrence>,
    ) {
        let text = span.of(self.text);
        for (at, len) in variable_uses(text, quotes, escape, state) {
            let name = &text[at..at + len];
            if let Some(decl) = self.lookup(scope, name) {
                out.push(Occurrence {
                    span: Span::new(span.start + at, span.start + at + len),
                    role: Role::Use,
                    symbol: Symbol::Variable(decl),
                });
            }
        }
    }
}

/// Quoting state carried across the pieces of one logical line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quotes {
    single: bool,
    double: bool,
}

/// The names of `$NAME` and `${NAME...}` in `text` (offset and length of each name), skipping
/// single-quoted text when `quotes` and whatever follows `escape` or a backslash.
pub fn variable_uses(
    text: &str,
    quotes: bool,
    escape: char,
    state: &mut Quotes,
) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut k = 0;
    while k < bytes.len() {
        let c = bytes[k];
        if state.single {
            if c == b'\'' {
                state.single = false;
            }
            k += 1;
            continue;
        }
        if quotes && c == b'\'' && !state.double {
            state.single = true;
        } else if quotes && c == b'"' {
            state.double = !state.double;
        } else if c == b'\\' || char::from(c) == escape {
            k += 2;
            continue;
        } else if c == b'$' {
            let braced = bytes.get(k + 1) == Some(&b'{');
            let start = k + 1 + usize::from(braced);
            let len = bytes[start.min(bytes.len())..]
                .iter()
                .enumerate()
                .take_while(|&(n, b)| {
                    b.is_ascii_alphabetic() || *b == b'_' || (n > 0 && b.is_ascii_digit())
                })
                .count();
            if len > 0 {
                found.push((start, len));
            }
            k = start + len;
            continue;
        }
        k += 1;
    }
    found
}

/// The span and value of the `from=` key of a `--mount` value written at `span`, when written
/// plainly.
fn mount_from(text: &str, span: Span) -> Option<(Span, &str)> {
    let written = span.of(text);
    let mut at = span.start;
    for part in written.split(',') {
        if let Some((key, value)) = part.split_once('=') {
            if key.trim().eq_ignore_ascii_case("from") && !value.is_empty() {
                let start = at + key.len() + 1;
                let value_span = Span::new(start, start + value.len());
                return exact_span(text, value_span, value.trim_matches(['"', '\'']))
                    .map(|s| (s, s.of(text)));
            }
        }
        at += part.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{occurrences, valid_stage_name, NameIndex, Role, Symbol};
    use crate::syntax::{parse, SyntaxCache};
    use crate::text::TextDocument;
    use proptest::prelude::*;

    /// `(text of the name, role, text of its declaration)` of each occurrence.
    fn check(text: &str, expected: &[(&str, Role, usize)]) {
        let tree = parse(text);
        let found: Vec<(&str, Role, usize)> = occurrences(&tree, text)
            .iter()
            .map(|o| {
                let line = match o.symbol {
                    Symbol::Stage { from } => tree.instructions[from].line,
                    Symbol::Variable(d) => tree.instructions[d.instruction].line,
                };
                (o.span.of(text), o.role, line as usize)
            })
            .collect();
        assert_eq!(found, expected, "{text}");
    }

    use Role::{Declaration as D, Use as U};

    #[test]
    fn stages_in_every_flag_order() {
        check(
            "FROM a AS build\nCOPY --chown=1 --from=build /x /y\nCOPY --from=BUILD --link /x /y\nRUN --mount=type=cache,from=build,target=/c true\nFROM build\nFROM later AS z\n",
            &[
                ("build", D, 0),
                ("build", U, 0),
                ("BUILD", U, 0),
                ("build", U, 0),
                ("build", U, 0),
                ("z", D, 5),
            ],
        );
    }

    #[test]
    fn variables_follow_scopes() {
        check(
            "ARG V=1\nFROM a:$V AS b\nARG V\nENV E=$V\nRUN echo $E '$E' \\$E ${E:-x}\nCMD echo $V $E\nFROM b\nRUN echo $E $V\n",
            &[
                ("V", D, 0),
                ("V", U, 0),
                ("b", D, 1),
                ("V", D, 0),
                ("E", D, 3),
                ("V", U, 0),
                ("E", U, 3),
                ("E", U, 3),
                ("E", U, 3),
                ("b", U, 1),
                ("E", U, 3),
            ],
        );
    }

    #[test]
    fn an_env_value_sees_the_earlier_value() {
        check(
            "FROM a\nENV P=/x\nENV P=/y:$P\n",
            &[("P", D, 1), ("P", D, 2), ("P", U, 1)],
        );
    }

    #[test]
    fn heredocs_and_continuations() {
        check(
            "FROM a\nARG X\nRUN <<EOF\necho $X\nEOF\nCOPY <<'EOF' /f\n$X\nEOF\nRUN a \\\n  $X\n",
            &[("X", D, 1), ("X", U, 1), ("X", U, 1)],
        );
    }

    /// Pieces of Dockerfiles that declare and use names, for random edits.
    const PIECES: &[&str] = &[
        "FROM a AS s\n",
        "FROM s AS t\n",
        "FROM s\n",
        "ARG A=1\n",
        "ARG A\n",
        "ENV E=$A\n",
        "ENV E=x$E\n",
        "RUN echo $A ${E} \\\n  $E\n",
        "COPY --from=s /a /b\n",
        "COPY --link --from=t /a /b\n",
        "RUN --mount=from=s,target=/x true\n",
        "RUN <<EOF\necho $E\nEOF\n",
        "CMD echo $E\n",
        "# comment\n",
        "\n",
        "s",
        "$",
        "\\",
        "=",
        " ",
    ];

    fn pieces() -> impl Strategy<Value = String> {
        proptest::collection::vec(0..PIECES.len(), 0..14)
            .prop_map(|ks| ks.into_iter().map(|k| PIECES[k]).collect())
    }

    proptest! {
        /// After any edits, the kept index says what one built from scratch says.
        #[test]
        fn updates_agree_with_a_fresh_index(
            text in pieces(),
            edits in proptest::collection::vec((0usize..400, 0usize..30, pieces()), 1..5),
        ) {
            let mut doc = TextDocument::new(text);
            let mut cache = SyntaxCache::default();
            let mut index = NameIndex::build(cache.parse(doc.text()), doc.text());
            for (at, len, insert) in &edits {
                let at = (*at).min(doc.len());
                let end = (at + len).min(doc.len());
                if !doc.text().is_char_boundary(at) || !doc.text().is_char_boundary(end) {
                    continue;
                }
                let edit = doc.replace(at..end, insert);
                let tree = cache.update(doc.text(), edit);
                index.update(tree, doc.text(), Some(edit));
                let fresh = NameIndex::build(&parse(doc.text()), doc.text());
                prop_assert_eq!(index.occurrences(), fresh.occurrences(), "{:?}", doc.text());
                for i in 0..=tree.instructions.len() {
                    let kept = index.in_scope(tree, doc.text(), i);
                    let scratch = fresh.in_scope(tree, doc.text(), i);
                    prop_assert_eq!(kept.variables, scratch.variables);
                    prop_assert_eq!(kept.stages, scratch.stages);
                }
            }
        }
    }

    #[test]
    fn stage_names() {
        assert!(valid_stage_name("build-1.x_y"));
        assert!(!valid_stage_name("Build"));
        assert!(!valid_stage_name("1build"));
        assert!(!valid_stage_name(""));
    }
}
