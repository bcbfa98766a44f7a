//! `.dockerignore` files, read and matched exactly as `BuildKit` does (moby's `patternmatcher` and
//! its `ignorefile` reader).
//!
//! Reading: a UTF-8 BOM is dropped from the first line; a line whose *first* character is `#` is
//! a comment (an indented `#` is a pattern); other lines are trimmed and blank ones skipped; a
//! leading `!` makes an exception; each pattern is cleaned like Go's `filepath.Clean` and a leading
//! `/` is dropped, so `/build/` means `build`.
//!
//! Matching is not gitignore's: a pattern is anchored at the context root (`foo` is only
//! `./foo`), `*` and `?` never match `/`, `[a-z]`/`[^a-z]` are classes (`!` does not negate), `\`
//! escapes, and `**` matches any number of directories (zero included). A path is excluded when
//! the last pattern matching the path *or one of its parent directories* is not an exception; an
//! exception may re-include a file below an excluded directory. The context root is never
//! excluded.
//!
//! moby turns each pattern into a Go regular expression; this module reproduces that translation
//! and runs it on a small NFA (linear time), quirks included: `**foo` also matches `barfoo`, `\d`
//! is a digit, and `|`, `{`, `}` stay regexp syntax (`a|b*` is an alternation, `a{2}*` a count).
//! Malformed patterns, which make Docker refuse to build, are reported by [`DockerIgnore::errors`]
//! and never match.

use std::borrow::Cow;

/// The longest line Go's `bufio.Scanner` reads (bytes, newline excluded); a longer one makes
/// Docker fail to read the whole file.
const MAX_LINE_LEN: usize = 64 * 1024 - 1;

/// A parsed .dockerignore file. Never fails to parse: bad patterns are kept as errors.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
    errors: Vec<PatternError>,
}

/// A pattern Docker would reject, on a 0-based line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// 0-based line in the file.
    pub line: usize,
    /// What is wrong, starting with Docker's own wording where it has one.
    pub message: String,
}

/// One pattern line of a .dockerignore file.
#[derive(Debug, Clone)]
pub struct Rule {
    line: usize,
    text: String,
    cleaned: String,
    exception: bool,
    matcher: Matcher,
}

impl Rule {
    /// The 0-based line of the file the pattern is on.
    #[must_use]
    pub fn line(&self) -> usize {
        self.line
    }

    /// The pattern as written: trimmed, without the leading `!` of an exception.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The pattern moby matches with: cleaned, leading `/` and `!` removed (`/build/` -> `build`).
    #[must_use]
    pub fn cleaned(&self) -> &str {
        &self.cleaned
    }

    /// Whether this is an exception (`!pattern`), which re-includes what it matches.
    #[must_use]
    pub fn is_exception(&self) -> bool {
        self.exception
    }

    /// Whether the pattern can match anything (false for malformed or empty patterns).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        !matches!(self.matcher, Matcher::Never)
    }

    /// Whether the pattern matches `path` (already normalised) or, with `parents`, one of the
    /// parent directories of `path`.
    fn matches(&self, path: &str, parents: bool, scratch: &mut regex::Scratch) -> bool {
        self.matcher.matches(path, parents, scratch)
    }
}

impl DockerIgnore {
    /// Parses the text of a .dockerignore file.
    #[must_use]
    pub fn parse(text: &str) -> DockerIgnore {
        let mut out = DockerIgnore::default();
        for (line, raw) in text.split('\n').enumerate() {
            if raw.len() > MAX_LINE_LEN {
                out.errors.push(PatternError {
                    line,
                    message: "line longer than 64 KiB: Docker fails to read this .dockerignore"
                        .to_owned(),
                });
                continue;
            }
            if let Some((rule, error)) = parse_line(line, raw) {
                if let Some(message) = error {
                    out.errors.push(PatternError { line, message });
                }
                out.rules.push(rule);
            }
        }
        out
    }

    /// `path` is relative to the build-context root, with `/` separators, e.g.
    /// `node_modules/x/y.js` or `./src/a.py` (it is cleaned like Go's `filepath.Clean`; leading
    /// `/` are ignored). True when the path would NOT be sent to the builder: the last matching
    /// pattern decides, and a pattern also matches when it matches any parent directory of the
    /// path (moby's `MatchesOrParentMatches`). The context root itself is never excluded.
    #[must_use]
    pub fn is_excluded(&self, path: &str) -> bool {
        self.matching_rule(path).is_some_and(|rule| !rule.exception)
    }

    /// The rule that decides whether `path` is excluded: the last one matching the path or one of
    /// its parent directories. `None` when no rule matches (the path is sent).
    #[must_use]
    pub fn matching_rule(&self, path: &str) -> Option<&Rule> {
        let path = normalize_path(path)?;
        let mut scratch = regex::Scratch::default();
        self.rules
            .iter()
            .rev()
            .find(|rule| rule.matches(&path, true, &mut scratch))
    }

    /// The patterns as written (after trimming, without the `!`), in order, with their exclusion
    /// flag; malformed ones included (see [`DockerIgnore::errors`]).
    pub fn patterns(&self) -> impl Iterator<Item = (&str, bool)> {
        self.rules.iter().map(|rule| (rule.text(), rule.exception))
    }

    /// Every pattern line, in order, malformed ones included.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The patterns Docker would reject, in line order.
    #[must_use]
    pub fn errors(&self) -> &[PatternError] {
        &self.errors
    }
}

/// Reads one line as `ignorefile.ReadAll` then `patternmatcher.New` do. `None` for comments and
/// blank lines; otherwise the rule and, when Docker would reject it, why.
fn parse_line(line: usize, raw: &str) -> Option<(Rule, Option<String>)> {
    // ignorefile.ReadAll: bufio.ScanLines drops one '\r'; the BOM goes from the first line only;
    // the comment test comes before trimming.
    let mut text = raw.strip_suffix('\r').unwrap_or(raw);
    if line == 0 {
        text = text.strip_prefix('\u{feff}').unwrap_or(text);
    }
    if text.starts_with('#') {
        return None;
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    let (invert, written) = match trimmed.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, trimmed),
    };
    let mut pattern = String::new();
    if !written.is_empty() {
        pattern = clean(written);
        if pattern.len() > 1 && pattern.starts_with('/') {
            pattern.remove(0);
        }
    }
    if invert {
        pattern.insert(0, '!');
    }

    // patternmatcher.New trims and cleans again, then takes the '!' off.
    let mut rule = Rule {
        line,
        text: written.to_owned(),
        cleaned: String::new(),
        exception: false,
        matcher: Matcher::Never,
    };
    let pattern = pattern.trim();
    if pattern.is_empty() {
        // e.g. `/ /`, cleaned to " ": moby silently drops it.
        return Some((rule, None));
    }
    let pattern = clean(pattern);
    let (exception, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, pattern),
    };
    rule.exception = exception;
    rule.cleaned = pattern;
    if exception && rule.cleaned.is_empty() {
        let message = "illegal exclusion pattern \"!\": an exception needs a pattern".to_owned();
        return Some((rule, Some(message)));
    }
    if let Err(why) = validate_glob(&rule.cleaned) {
        return Some((rule, Some(format!("syntax error in pattern: {why}"))));
    }
    match Matcher::compile(&rule.cleaned) {
        Ok(matcher) => {
            rule.matcher = matcher;
            Some((rule, None))
        }
        Err(why) => Some((rule, Some(why))),
    }
}

/// Cleans a path like Go's `path.Clean` (`filepath.Clean` on Unix): no empty or `.` elements,
/// `..` folded where it can be, `.` for an empty result.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// A context-relative path as the matcher sees it, or `None` for the context root.
fn normalize_path(path: &str) -> Option<Cow<'_, str>> {
    if !path.is_empty() && path.split('/').all(|part| !matches!(part, "" | "." | "..")) {
        return Some(Cow::Borrowed(path)); // already clean: the common case
    }
    let cleaned = clean(path);
    let relative = cleaned.trim_start_matches('/');
    if relative.is_empty() || relative == "." {
        None
    } else {
        Some(Cow::Owned(relative.to_owned()))
    }
}

/// The syntax check moby does with Go's `filepath.Match(pattern, ".")` (Unix rules): `\` must
/// escape something; a class is `[`, an optional `^`, then one or more characters or ranges
/// `lo-hi` (`\` escapes; an unescaped `-` or `]` may not start one), then `]`. Reversed ranges
/// pass here (they fail later, in the regexp).
fn validate_glob(pattern: &str) -> Result<(), &'static str> {
    fn class_char(
        chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    ) -> Result<(), &'static str> {
        match chars.next() {
            None => return Err("unterminated character class (missing `]`)"),
            Some('-') => return Err("`-` must be escaped in a character class unless in a range"),
            Some(']') => return Err("empty character class or range without an end"),
            Some('\\') => {
                if chars.next().is_none() {
                    return Err("unterminated character class (missing `]`)");
                }
            }
            Some(_) => {}
        }
        if chars.peek().is_none() {
            return Err("unterminated character class (missing `]`)");
        }
        Ok(())
    }

    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next().ok_or("trailing `\\` escapes nothing")?;
            }
            '[' => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                let mut ranges = 0;
                loop {
                    if ranges > 0 && chars.peek() == Some(&']') {
                        chars.next();
                        break;
                    }
                    class_char(&mut chars)?;
                    if chars.peek() == Some(&'-') {
                        chars.next();
                        class_char(&mut chars)?;
                    }
                    ranges += 1;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// How moby matches one cleaned pattern (its `matchType`).
#[derive(Debug, Clone)]
enum Matcher {
    /// Malformed or empty: never matches.
    Never,
    /// No glob characters: the path equals the pattern.
    Exact(String),
    /// `prefix**` with no other glob: the path starts with `prefix` (bytes).
    Prefix(Vec<u8>),
    /// `**suffix` with no other glob: the path ends with `suffix`, or equals it without its
    /// leading `/` (bytes).
    Suffix(Vec<u8>),
    /// Anything else: moby's regular expression.
    Regex(regex::Program),
}

/// moby's `matchType` as its `compile` detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

impl Matcher {
    fn compile(pattern: &str) -> Result<Matcher, String> {
        let (kind, expr) = translate(pattern);
        let bytes = pattern.as_bytes();
        Ok(match kind {
            Kind::Exact => Matcher::Exact(pattern.to_owned()),
            Kind::Prefix => Matcher::Prefix(bytes[..bytes.len().saturating_sub(2)].to_vec()),
            Kind::Suffix => Matcher::Suffix(bytes.get(2..).unwrap_or_default().to_vec()),
            Kind::Regex => Matcher::Regex(regex::Program::compile(&expr).map_err(|why| {
                let mut shown: String = expr.chars().take(80).collect();
                if shown.len() < expr.len() {
                    shown.push('…');
                }
                format!(
                    "syntax error in pattern: moby turns it into the regular expression `{shown}`, \
                     which is invalid ({why})"
                )
            })?),
        })
    }

    fn matches(&self, path: &str, parents: bool, scratch: &mut regex::Scratch) -> bool {
        // The parent directories moby tries: every prefix of `path` that ends before a `/`.
        let candidates = || {
            std::iter::once(path).chain(
                path.match_indices('/')
                    .filter(move |&(i, _)| parents && i > 0)
                    .map(|(i, _)| &path[..i]),
            )
        };
        match self {
            Matcher::Never => false,
            Matcher::Exact(exact) => {
                // Equal to the path, or to a parent: a prefix followed by `/`.
                path == exact
                    || (parents
                        && path
                            .strip_prefix(exact.as_str())
                            .is_some_and(|rest| rest.starts_with('/')))
            }
            Matcher::Prefix(prefix) => path.as_bytes().starts_with(prefix),
            Matcher::Suffix(suffix) => candidates().any(|c| {
                let c = c.as_bytes();
                c.ends_with(suffix) || (suffix.first() == Some(&b'/') && suffix.get(1..) == Some(c))
            }),
            Matcher::Regex(program) => program.is_match(path, parents, scratch),
        }
    }
}

/// moby's `Pattern.compile`: the match type and the regular expression (meaningful for
/// [`Kind::Regex`] only). `*` -> `[^/]*`, `?` -> `[^/]`, `**` (eating one `/` after it) ->
/// `(.*/)?` or `.*` at the end, `\x` -> `\x`, `.+()$` escaped, everything else (`[`, `]`, `^`,
/// `|`, `{`, `}` included) copied as is. Go's `text/scanner` skips a BOM at the very start.
fn translate(pattern: &str) -> (Kind, String) {
    let mut chars = pattern.chars().peekable();
    if chars.peek() == Some(&'\u{feff}') {
        chars.next();
    }
    let mut expr = String::from("^");
    let mut kind = Kind::Exact;
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_some() {
                    expr.push_str("(.*/)?");
                    kind = Kind::Regex;
                } else if kind == Kind::Exact {
                    kind = Kind::Prefix;
                } else {
                    expr.push_str(".*");
                    kind = Kind::Regex;
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                expr.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                expr.push_str("[^/]");
                kind = Kind::Regex;
            }
            // moby means to escape `.+()|{}$`, but its bitmap drops `|`, `{` and `}` (their bit,
            // `c / 8`, does not fit in a byte): they reach the regexp raw.
            '.' | '+' | '(' | ')' | '$' => {
                expr.push('\\');
                expr.push(c);
            }
            '\\' => {
                expr.push('\\');
                if let Some(escaped) = chars.next() {
                    expr.push(escaped);
                    kind = Kind::Regex;
                }
            }
            '[' | ']' => {
                expr.push(c);
                kind = Kind::Regex;
            }
            _ => expr.push(c),
        }
        first = false;
    }
    expr.push('$');
    (kind, expr)
}

/// Just enough of Go's `regexp` (RE2 syntax, `Perl` flags) to run the expressions moby builds:
/// parsed into a Thompson NFA and simulated state-set by state-set, so matching is linear in the
/// path length whatever the pattern.
mod regex {
    /// The largest Unicode scalar value.
    const MAX_RUNE: u32 = 0x0010_FFFF;
    /// Go's limit on nesting (`maxHeight`).
    const MAX_DEPTH: usize = 1000;
    /// Go's limit on `{n,m}` counts.
    const MAX_REPEAT: u32 = 1000;
    /// Our cap on program size (Go's is about 3.3 million instructions, counted its way): only
    /// absurd `{n}` repetitions reach it.
    const MAX_INSTS: usize = 250_000;

    type Ranges = Vec<(u32, u32)>;

    /// Zero-width assertions (with `OneLine`, `^`/`$` are text boundaries).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Look {
        Start,
        End,
        WordBoundary,
        NotWordBoundary,
    }

    #[derive(Debug)]
    enum Node {
        Set(Ranges),
        Look(Look),
        Concat(Vec<Node>),
        Alt(Vec<Node>),
        /// `sub{min,max}`, `max` `None` for no bound: also `*`, `+` and `?`.
        Repeat(Box<Node>, u32, Option<u32>),
    }

    #[derive(Debug, Clone)]
    enum Inst {
        /// Consume one character in the (sorted, disjoint) ranges, then go on.
        Set(Box<[(u32, u32)]>, usize),
        Split(usize, usize),
        Look(Look, usize),
        Match,
    }

    /// A compiled expression.
    #[derive(Debug, Clone)]
    pub(super) struct Program {
        insts: Vec<Inst>,
        start: usize,
        /// Text every match contains: a path without it is rejected at once.
        literal: String,
        /// Starts with `^`: no match can start after the first character.
        anchored: bool,
    }

    /// Buffers reused across matches.
    #[derive(Debug, Default)]
    pub(super) struct Scratch {
        marker: Marker,
        seeds: Vec<usize>,
        states: Vec<usize>,
        probe: Vec<usize>,
    }

    #[derive(Debug, Default)]
    struct Marker {
        marks: Vec<u32>,
        generation: u32,
        stack: Vec<usize>,
    }

    /// Where an assertion is evaluated.
    struct Ctx {
        at_start: bool,
        prev: Option<char>,
        next: Option<char>,
    }

    impl Ctx {
        fn holds(&self, look: Look) -> bool {
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            match look {
                Look::Start => self.at_start,
                Look::End => self.next.is_none(),
                Look::WordBoundary => word(self.prev) != word(self.next),
                Look::NotWordBoundary => word(self.prev) == word(self.next),
            }
        }
    }

    impl Marker {
        /// Puts in `out` the consuming states reachable from `seeds` without consuming; returns
        /// whether the match state is reachable.
        fn closure(
            &mut self,
            insts: &[Inst],
            seeds: &[usize],
            ctx: &Ctx,
            out: &mut Vec<usize>,
        ) -> bool {
            out.clear();
            if self.marks.len() < insts.len() {
                self.marks.resize(insts.len(), 0);
            }
            self.generation = self.generation.wrapping_add(1);
            if self.generation == 0 {
                self.marks.fill(0);
                self.generation = 1;
            }
            let mut matched = false;
            self.stack.clear();
            self.stack.extend(seeds.iter().rev());
            while let Some(state) = self.stack.pop() {
                match self.marks.get_mut(state) {
                    Some(mark) if *mark != self.generation => *mark = self.generation,
                    _ => continue,
                }
                match insts.get(state) {
                    Some(Inst::Set(..)) => out.push(state),
                    Some(Inst::Split(a, b)) => {
                        self.stack.push(*b);
                        self.stack.push(*a);
                    }
                    Some(Inst::Look(look, next)) if ctx.holds(*look) => self.stack.push(*next),
                    Some(Inst::Match) => matched = true,
                    Some(Inst::Look(..)) | None => {}
                }
            }
            matched
        }
    }

    fn contains(ranges: &[(u32, u32)], c: char) -> bool {
        let c = u32::from(c);
        let i = ranges.partition_point(|&(_, hi)| hi < c);
        ranges.get(i).is_some_and(|&(lo, _)| lo <= c)
    }

    impl Program {
        pub(super) fn compile(expr: &str) -> Result<Program, String> {
            let chars: Vec<char> = expr.chars().collect();
            let mut parser = Parser {
                s: &chars,
                i: 0,
                depth: 0,
                colon_bracket: None,
            };
            let node = parser.alternation()?;
            if parser.i < chars.len() {
                return Err("unexpected `)`".to_owned());
            }
            let mut insts = vec![Inst::Match];
            let start = emit(&node, 0, &mut insts);
            if insts.len() > MAX_INSTS {
                return Err("expression too large".to_owned());
            }
            let anchored = matches!(insts.get(start), Some(Inst::Look(Look::Start, _)));
            let literal = required_literal(&node);
            Ok(Program {
                insts,
                start,
                literal,
                anchored,
            })
        }

        /// Go's `MatchString` on `text` or, with `parents`, on any prefix of `text` that ends
        /// before a `/` (one pass serves them all).
        pub(super) fn is_match(&self, text: &str, parents: bool, scratch: &mut Scratch) -> bool {
            if !text.contains(self.literal.as_str()) {
                return false; // nor can any parent directory, a substring of `text`
            }
            let Scratch {
                marker,
                seeds,
                states,
                probe,
            } = scratch;
            seeds.clear();
            seeds.push(self.start);
            let mut prev = None;
            for (i, c) in text.char_indices() {
                if i > 0 && !self.anchored {
                    seeds.push(self.start);
                }
                if parents && i > 0 && c == '/' {
                    let ctx = Ctx {
                        at_start: false,
                        prev,
                        next: None,
                    };
                    if marker.closure(&self.insts, seeds, &ctx, probe) {
                        return true;
                    }
                }
                let ctx = Ctx {
                    at_start: i == 0,
                    prev,
                    next: Some(c),
                };
                if marker.closure(&self.insts, seeds, &ctx, states) {
                    // A match ending here: unanchored at the end, so the text matches.
                    return true;
                }
                seeds.clear();
                for &state in states.iter() {
                    if let Some(Inst::Set(ranges, next)) = self.insts.get(state) {
                        if contains(ranges, c) {
                            seeds.push(*next);
                        }
                    }
                }
                if seeds.is_empty() && self.anchored {
                    return false;
                }
                prev = Some(c);
            }
            if !text.is_empty() && !self.anchored {
                seeds.push(self.start);
            }
            let ctx = Ctx {
                at_start: text.is_empty(),
                prev,
                next: None,
            };
            marker.closure(&self.insts, seeds, &ctx, states)
        }
    }

    /// The longest run of literal characters in a top-level concatenation: every match contains
    /// it.
    fn required_literal(node: &Node) -> String {
        let Node::Concat(items) = node else {
            return String::new();
        };
        let (mut best, mut run) = (String::new(), String::new());
        for item in items {
            let literal = match item {
                Node::Set(ranges) => match ranges.as_slice() {
                    [(lo, hi)] if lo == hi => char::from_u32(*lo),
                    _ => None,
                },
                _ => None,
            };
            if let Some(c) = literal {
                run.push(c);
            } else {
                if run.len() > best.len() {
                    best = std::mem::take(&mut run);
                }
                run.clear();
            }
        }
        if run.len() > best.len() {
            best = run;
        }
        best
    }

    /// Compiles `node` so that it continues at `next`; returns its entry state.
    fn emit(node: &Node, next: usize, insts: &mut Vec<Inst>) -> usize {
        fn push(insts: &mut Vec<Inst>, inst: Inst) -> usize {
            insts.push(inst);
            insts.len() - 1
        }
        match node {
            Node::Set(ranges) => push(insts, Inst::Set(ranges.clone().into_boxed_slice(), next)),
            Node::Look(look) => push(insts, Inst::Look(*look, next)),
            Node::Concat(items) => items
                .iter()
                .rev()
                .fold(next, |next, item| emit(item, next, insts)),
            Node::Alt(alts) => {
                let entries: Vec<usize> = alts.iter().map(|alt| emit(alt, next, insts)).collect();
                entries
                    .into_iter()
                    .rev()
                    .reduce(|rest, entry| push(insts, Inst::Split(entry, rest)))
                    .unwrap_or(next)
            }
            Node::Repeat(sub, min, max) => {
                // x{2,4} = x x (x (x)?)?, x{2,} = x x x*, x* = x{0,}, x+ = x{1,}, x? = x{0,1}.
                // Gives up (the caller reports it) once the program is too large.
                let mut entry = next;
                match max {
                    None => {
                        let split = push(insts, Inst::Split(next, next));
                        let body = emit(sub, split, insts);
                        if let Some(slot) = insts.get_mut(split) {
                            *slot = Inst::Split(body, next);
                        }
                        entry = split;
                    }
                    Some(max) => {
                        for _ in *min..*max {
                            if insts.len() > MAX_INSTS {
                                return next;
                            }
                            let body = emit(sub, entry, insts);
                            entry = push(insts, Inst::Split(body, next));
                        }
                    }
                }
                for _ in 0..*min {
                    if insts.len() > MAX_INSTS {
                        return next;
                    }
                    entry = emit(sub, entry, insts);
                }
                entry
            }
        }
    }

    fn literal(c: u32) -> Node {
        Node::Set(vec![(c, c)])
    }

    /// Sorts and merges ranges; complements them when `negate`.
    fn normalize(mut ranges: Ranges, negate: bool) -> Ranges {
        ranges.sort_unstable();
        let mut merged: Ranges = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        if !negate {
            return merged;
        }
        let mut complement = Vec::with_capacity(merged.len() + 1);
        let mut from = 0u32;
        for (lo, hi) in merged {
            if lo > from {
                complement.push((from, lo - 1));
            }
            from = hi.saturating_add(1);
        }
        if from <= MAX_RUNE {
            complement.push((from, MAX_RUNE));
        }
        complement
    }

    /// `\d \D \s \S \w \W` (ASCII, as in Go).
    fn perl_class(c: char) -> Option<Ranges> {
        let (ranges, negate) = match c {
            'd' | 'D' => (vec![(0x30, 0x39)], c == 'D'),
            's' | 'S' => (vec![(0x09, 0x0a), (0x0c, 0x0d), (0x20, 0x20)], c == 'S'),
            'w' | 'W' => (
                vec![(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
                c == 'W',
            ),
            _ => return None,
        };
        Some(normalize(ranges, negate))
    }

    /// `[:alpha:]`, `[:^alpha:]` and the other POSIX classes (ASCII, as in Go).
    fn posix_class(name: &str) -> Option<Ranges> {
        let inner = name.strip_prefix("[:")?.strip_suffix(":]")?;
        let (negate, inner) = match inner.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, inner),
        };
        let ranges = match inner {
            "alnum" => vec![(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a)],
            "alpha" => vec![(0x41, 0x5a), (0x61, 0x7a)],
            "ascii" => vec![(0x00, 0x7f)],
            "blank" => vec![(0x09, 0x09), (0x20, 0x20)],
            "cntrl" => vec![(0x00, 0x1f), (0x7f, 0x7f)],
            "digit" => vec![(0x30, 0x39)],
            "graph" => vec![(0x21, 0x7e)],
            "lower" => vec![(0x61, 0x7a)],
            "print" => vec![(0x20, 0x7e)],
            "punct" => vec![(0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e)],
            "space" => vec![(0x09, 0x0d), (0x20, 0x20)],
            "upper" => vec![(0x41, 0x5a)],
            "word" => vec![(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
            "xdigit" => vec![(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
            _ => return None,
        };
        Some(normalize(ranges, negate))
    }

    struct Parser<'a> {
        s: &'a [char],
        i: usize,
        depth: usize,
        /// The last `find_colon_bracket`: where it searched from, what it found.
        colon_bracket: Option<(usize, Option<usize>)>,
    }

    impl Parser<'_> {
        fn peek(&self) -> Option<char> {
            self.s.get(self.i).copied()
        }

        fn peek_at(&self, offset: usize) -> Option<char> {
            self.s.get(self.i + offset).copied()
        }

        fn bump(&mut self) -> Option<char> {
            let c = self.peek()?;
            self.i += 1;
            Some(c)
        }

        /// Go's `parseRepeat` at a `{`: `{n}`, `{n,}` or `{n,m}` (decimal, no leading zero) as
        /// `(min, max, end)`; `None` when this `{` is a literal.
        fn repeat_counts(&self) -> Option<(u32, Option<u32>, usize)> {
            let mut i = self.i + 1;
            let min = self.int_at(&mut i)?;
            let mut max = Some(min);
            if self.s.get(i)? == &',' {
                i += 1;
                max = if self.s.get(i)? == &'}' {
                    None
                } else {
                    Some(self.int_at(&mut i)?)
                };
            }
            (self.s.get(i)? == &'}').then_some((min, max, i + 1))
        }

        /// Go's `parseInt`: decimal digits at `*i`, no leading zero. Values past
        /// [`MAX_REPEAT`] (all invalid) saturate.
        fn int_at(&self, i: &mut usize) -> Option<u32> {
            let digits = self
                .s
                .get(*i..)?
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 || (digits > 1 && self.s.get(*i) == Some(&'0')) {
                return None;
            }
            let mut value = 0u32;
            for c in self.s.get(*i..*i + digits)? {
                value = (value * 10 + c.to_digit(10)?).min(MAX_REPEAT + 1);
            }
            *i += digits;
            Some(value)
        }

        fn alternation(&mut self) -> Result<Node, String> {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err("expression nests too deeply".to_owned());
            }
            let mut alts = vec![self.concat()?];
            while self.peek() == Some('|') {
                self.i += 1;
                alts.push(self.concat()?);
            }
            self.depth -= 1;
            Ok(if alts.len() == 1 {
                alts.pop().unwrap_or(Node::Concat(Vec::new()))
            } else {
                Node::Alt(alts)
            })
        }

        fn concat(&mut self) -> Result<Node, String> {
            let mut items = Vec::new();
            let mut after_repeat = false;
            while let Some(c) = self.peek() {
                let repeat = match c {
                    '*' => Some((0, None, self.i + 1)),
                    '+' => Some((1, None, self.i + 1)),
                    '?' => Some((0, Some(1), self.i + 1)),
                    '{' => self.repeat_counts(),
                    _ => None,
                };
                if let Some((min, max, end)) = repeat {
                    let text: String = self.s.get(self.i..end).unwrap_or_default().iter().collect();
                    if min > MAX_REPEAT || max.is_some_and(|max| max > MAX_REPEAT || max < min) {
                        return Err(format!("invalid repeat count `{text}`"));
                    }
                    if after_repeat {
                        return Err(format!("invalid nested repetition operator `{text}`"));
                    }
                    let Some(atom) = items.pop() else {
                        return Err(format!("missing argument to repetition operator `{text}`"));
                    };
                    self.i = end;
                    if self.peek() == Some('?') {
                        self.i += 1; // non-greedy: same language
                    }
                    items.push(Node::Repeat(Box::new(atom), min, max));
                    after_repeat = true;
                    continue;
                }
                after_repeat = false;
                match c {
                    '|' | ')' => break,
                    '(' => {
                        if self.peek_at(1) == Some('?') {
                            return Err("unsupported group flags `(?`".to_owned());
                        }
                        self.i += 1;
                        let inner = self.alternation()?;
                        if self.bump() != Some(')') {
                            return Err("missing closing `)`".to_owned());
                        }
                        items.push(inner);
                    }
                    '[' => items.push(self.class()?),
                    '.' => {
                        self.i += 1;
                        items.push(Node::Set(vec![(0, 0x09), (0x0b, MAX_RUNE)]));
                    }
                    '^' | '$' => {
                        self.i += 1;
                        items.push(Node::Look(if c == '^' { Look::Start } else { Look::End }));
                    }
                    '\\' => self.escape(&mut items)?,
                    _ => {
                        self.i += 1;
                        items.push(literal(u32::from(c)));
                    }
                }
            }
            Ok(Node::Concat(items))
        }

        /// A `\` outside a class; pushes what it stands for.
        fn escape(&mut self, items: &mut Vec<Node>) -> Result<(), String> {
            let look = match self.peek_at(1) {
                Some('A') => Some(Look::Start),
                Some('z') => Some(Look::End),
                Some('b') => Some(Look::WordBoundary),
                Some('B') => Some(Look::NotWordBoundary),
                Some('C') => return Err("invalid escape sequence `\\C`".to_owned()),
                Some('p' | 'P') => {
                    return Err("Unicode classes (`\\p`, `\\P`) are not supported".to_owned())
                }
                Some('Q') => {
                    // `\Q...\E`: literal text up to `\E` or the end.
                    self.i += 2;
                    while let Some(c) = self.bump() {
                        if c == '\\' && self.peek() == Some('E') {
                            self.i += 1;
                            break;
                        }
                        items.push(literal(u32::from(c)));
                    }
                    return Ok(());
                }
                Some(c) => {
                    if let Some(ranges) = perl_class(c) {
                        self.i += 2;
                        items.push(Node::Set(ranges));
                        return Ok(());
                    }
                    None
                }
                None => None,
            };
            if let Some(look) = look {
                self.i += 2;
                items.push(Node::Look(look));
            } else {
                let c = self.escaped_char()?;
                items.push(literal(c));
            }
            Ok(())
        }

        /// Go's `parseEscape`, at a `\`: the character it denotes.
        fn escaped_char(&mut self) -> Result<u32, String> {
            let start = self.i;
            self.i += 1;
            let Some(c) = self.bump() else {
                return Err("trailing `\\` at end of expression".to_owned());
            };
            let value = match c {
                // A lone `\1`..`\7` would be a backreference.
                '1'..='7' if !matches!(self.peek(), Some('0'..='7')) => None,
                '0'..='7' => {
                    let mut value = c.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek().and_then(|d| d.to_digit(8)) {
                            Some(digit) => {
                                value = value * 8 + digit;
                                self.i += 1;
                            }
                            None => break,
                        }
                    }
                    Some(value)
                }
                'x' => self.hex_escape(),
                'a' => Some(0x07),
                'f' => Some(0x0c),
                'n' => Some(0x0a),
                'r' => Some(0x0d),
                't' => Some(0x09),
                'v' => Some(0x0b),
                _ if c.is_ascii() && !c.is_ascii_alphanumeric() => Some(u32::from(c)),
                _ => None,
            };
            value.ok_or_else(|| {
                let text: String = self
                    .s
                    .get(start..self.i)
                    .unwrap_or_default()
                    .iter()
                    .collect();
                format!("invalid escape sequence `{text}`")
            })
        }

        /// After `\x`: two hex digits or `{hex...}`.
        fn hex_escape(&mut self) -> Option<u32> {
            let first = self.bump()?;
            if first == '{' {
                let mut value = 0u32;
                let mut digits = 0;
                loop {
                    let c = self.bump()?;
                    if c == '}' {
                        break;
                    }
                    value = value * 16 + c.to_digit(16)?;
                    if value > MAX_RUNE {
                        return None;
                    }
                    digits += 1;
                }
                return (digits > 0).then_some(value);
            }
            let high = first.to_digit(16);
            let low = self.bump().and_then(|c| c.to_digit(16));
            Some(high? * 16 + low?)
        }

        /// A class, at its `[`.
        fn class(&mut self) -> Result<Node, String> {
            const MISSING: &str = "missing closing `]`";
            self.i += 1;
            let negate = self.peek() == Some('^');
            if negate {
                self.i += 1;
            }
            let mut ranges = Vec::new();
            let mut first = true;
            loop {
                match self.peek() {
                    None => return Err(MISSING.to_owned()),
                    Some(']') if !first => {
                        self.i += 1;
                        break;
                    }
                    _ => {}
                }
                first = false;
                if self.peek() == Some('[')
                    && self.peek_at(1) == Some(':')
                    && self.peek_at(2).is_some()
                {
                    if let Some(end) = self.find_colon_bracket(self.i + 2) {
                        let name: String = self
                            .s
                            .get(self.i..end + 2)
                            .unwrap_or_default()
                            .iter()
                            .collect();
                        let Some(class) = posix_class(&name) else {
                            return Err(format!("invalid character class range `{name}`"));
                        };
                        ranges.extend(class);
                        self.i = end + 2;
                        continue;
                    }
                }
                if self.peek() == Some('\\') {
                    match self.peek_at(1) {
                        Some('p' | 'P') => {
                            return Err(
                                "Unicode classes (`\\p`, `\\P`) are not supported".to_owned()
                            )
                        }
                        Some(c) => {
                            if let Some(class) = perl_class(c) {
                                ranges.extend(class);
                                self.i += 2;
                                continue;
                            }
                        }
                        None => {}
                    }
                }
                let start = self.i;
                let lo = self.class_char()?;
                let mut hi = lo;
                if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                    self.i += 1;
                    hi = self.class_char()?;
                    if hi < lo {
                        let text: String = self
                            .s
                            .get(start..self.i)
                            .unwrap_or_default()
                            .iter()
                            .collect();
                        return Err(format!("invalid character class range `{text}`"));
                    }
                }
                ranges.push((lo, hi));
            }
            Ok(Node::Set(normalize(ranges, negate)))
        }

        fn class_char(&mut self) -> Result<u32, String> {
            match self.peek() {
                None => Err("missing closing `]`".to_owned()),
                Some('\\') => self.escaped_char(),
                Some(c) => {
                    self.i += 1;
                    Ok(u32::from(c))
                }
            }
        }

        /// The index of the first `:]` at or after `from` (Go's `strings.Index`). Queries only
        /// move forward, so the last answer is reused: linear overall, not quadratic.
        fn find_colon_bracket(&mut self, from: usize) -> Option<usize> {
            if let Some((searched, found)) = self.colon_bracket {
                if searched <= from && found.is_none_or(|found| from <= found) {
                    return found;
                }
            }
            let found = self
                .s
                .get(from..)?
                .windows(2)
                .position(|w| w == [':', ']'])
                .map(|p| from + p);
            self.colon_bracket = Some((from, found));
            found
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `path` is excluded by the .dockerignore made of `lines`.
    fn excluded(lines: &[&str], path: &str) -> bool {
        DockerIgnore::parse(&lines.join("\n")).is_excluded(path)
    }

    /// (.dockerignore lines, path, excluded?)
    const CASES: &[(&[&str], &str, bool)] = &[
        // A name is anchored at the context root; a directory takes its whole subtree.
        (&["node_modules"], "node_modules", true),
        (&["node_modules"], "node_modules/x/y.js", true),
        (&["node_modules"], "web/node_modules/x.js", false),
        (&["node_modules"], "node_modules2/x.js", false),
        (&[".git"], ".git", true),
        (&[".git"], ".git/objects/ab/cdef", true),
        (&[".git"], ".github/workflows/ci.yml", false),
        (&[".git"], "vendor/lib/.git/HEAD", false),
        (&["target/"], "target", true),
        (&["target/"], "target/debug/app", true),
        (&["target/"], "crates/a/target/debug/app", false),
        (&["/build"], "build", true),
        (&["/build"], "build/out.o", true),
        (&["/build"], "src/build", false),
        (&["./build/../dist//"], "dist/app.js", true),
        // `**` crosses directories, zero included.
        (&["**/*.pyc"], "a.pyc", true),
        (&["**/*.pyc"], "pkg/sub/m.pyc", true),
        (&["**/*.pyc"], "pkg/m.pyo", false),
        (&["**/*.pyc"], "cache.pyc/inner.txt", true),
        (&["docs/**/*.txt"], "docs/a.txt", true),
        (&["docs/**/*.txt"], "docs/x/y/a.txt", true),
        (&["docs/**/*.txt"], "docs/a.md", false),
        (&["docs/**/*.txt"], "a.txt", false),
        (&["docs/**/*.txt"], "site/docs/a.txt", false),
        (&["**"], "anything/at/all", true),
        (&["a/**"], "a", false),
        (&["a/**"], "a/b", true),
        (&["a**b"], "ab", true),
        (&["a**b"], "a/b", true),
        (&["a**b"], "ax/b", true),
        (&["a**b"], "axb", false),
        (&["**foo"], "barfoo", true),
        (&["**/foo"], "barfoo", false),
        (&["**/foo"], "x/foo/y", true),
        // `*` and `?` stop at `/`; the parent rule then matches whole subtrees.
        (&["*.md"], "CHANGELOG.md", true),
        (&["*.md"], "docs/guide.md", false),
        (&["*"], "a", true),
        (&["*"], "a/b/c", true),
        (&["src/*"], "src", false),
        (&["src/*"], "src/a/b.rs", true),
        (&["*/*.log"], "a/b.log", true),
        (&["*/*.log"], "b.log", false),
        (&["*/*.log"], "a/b/c.log", false),
        // Exceptions: the last matching pattern wins.
        (&["*.md", "!README.md"], "README.md", false),
        (&["*.md", "!README.md"], "CONTRIBUTING.md", true),
        (&["*.md", "!README.md"], "docs/README.md", false),
        (&["!keep.txt", "*.txt"], "keep.txt", true),
        (&["*.txt", "!keep.txt"], "keep.txt", false),
        (&["*.txt", "!keep.txt", "keep.txt"], "keep.txt", true),
        (&["docs", "!docs/README.md"], "docs/README.md", false),
        (&["docs", "!docs/README.md"], "docs/other.md", true),
        (&["docs/", "!docs/README.md"], "docs/README.md", false),
        (&["docs/*", "!docs/README.md"], "docs/README.md", false),
        (&["**", "!src"], "src/main.rs", false),
        (&["**", "!src"], "Cargo.lock", true),
        (&["**", "!src", "src/gen"], "src/gen/a.rs", true),
        (
            &["  !  keep.txt  ", "*.txt", "! keep.txt"],
            "keep.txt",
            false,
        ),
        // Classes, `?`, escapes.
        (&["[a-c]?.txt"], "a1.txt", true),
        (&["[a-c]?.txt"], "c_.txt", true),
        (&["[a-c]?.txt"], "d1.txt", false),
        (&["[a-c]?.txt"], "a.txt", false),
        (&["[a-c]?.txt"], "a/.txt", false),
        (&["[^a]x"], "bx", true),
        (&["[^a]x"], "ax", false),
        (&["[!a]x"], "!x", true),
        (&["[!a]x"], "bx", false),
        (&["a?b"], "a☺b", true),
        (&["a?b"], "a/b", false),
        (&[r"\*.txt"], "*.txt", true),
        (&[r"\*.txt"], "a.txt", false),
        (&[r"[\]]x"], "]x", true),
        (&["file.?"], "file.c", true),
        (&["file.?"], "fileXc", false),
        (&["a+b(c).{d}|$"], "a+b(c).{d}|$", true),
        // Comments start in the first column only.
        (&["# comment", "*.log"], "# comment", false),
        (&["  # not a comment"], "# not a comment", true),
        (
            &["\u{feff}# BOM then comment"],
            "\u{feff}# BOM then comment",
            false,
        ),
        // Paths are cleaned first; the context root is never excluded.
        (&["src"], "./src/a.py", true),
        (&["src"], "/src//a.py", true),
        (&["src"], "src/../lib/a.py", false),
        (&["**"], ".", false),
        (&["**"], "", false),
        (&["*"], "/", false),
        // moby quirks.
        (&["/!foo"], "foo", false),
        (&["*", "/!foo"], "foo", false),
        (&[r"file\d"], "file7", true),
        (&[r"file\d"], "filed", false),
        (&[r"file\n*"], "filen", false),
        (&["."], "a", false),
        (&[".."], "a", false),
        (&["/"], "a", false),
        // `|`, `{`, `}` reach the regexp unescaped once a glob makes the pattern a regexp.
        (&["x|y*"], "xa/b", true),
        (&["x|y*"], "a/yb", true),
        (&["x|y*"], "a/b", false),
        (&["x|y"], "x|y", true),
        (&["x|y"], "x", false),
        (&["a{2}*"], "aab", true),
        (&["a{2}*"], "a{2}b", false),
        (&["a{2}"], "a{2}", true),
        (&["a{2}"], "aa", false),
        (&["a{,2}*"], "a{,2}b", true),
        // Malformed patterns never match.
        (&["[z-a]"], "z", false),
        (&["[", "*"], "a", true),
        (&["["], "[", false),
        (&["!"], "a", false),
    ];

    #[test]
    fn exclusion_table() {
        for (lines, path, expected) in CASES {
            assert_eq!(
                excluded(lines, path),
                *expected,
                "patterns {lines:?}, path {path:?}"
            );
        }
    }

    /// How one pattern relates to a path (moby's `testMatchType`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum M {
        /// The path itself matches.
        Exact,
        /// Only a parent directory matches.
        Parent,
        Fail,
    }

    /// moby's `TestMatches` table: (pattern, path as given to the matcher, result).
    const MOBY_MATCHES: &[(&str, &str, M)] = &[
        ("**", "file", M::Exact),
        ("**", "file/", M::Exact),
        ("**/", "file", M::Exact),
        ("**/", "file/", M::Exact),
        ("**", "/", M::Exact),
        ("**/", "/", M::Exact),
        ("**", "dir/file", M::Exact),
        ("**/", "dir/file", M::Exact),
        ("**", "dir/file/", M::Exact),
        ("**/", "dir/file/", M::Exact),
        ("**/**", "dir/file", M::Exact),
        ("**/**", "dir/file/", M::Exact),
        ("dir/**", "dir/file", M::Exact),
        ("dir/**", "dir/file/", M::Exact),
        ("dir/**", "dir/dir2/file", M::Exact),
        ("dir/**", "dir/dir2/file/", M::Exact),
        ("**/dir", "dir", M::Exact),
        ("**/dir", "dir/file", M::Parent),
        ("**/dir2/*", "dir/dir2/file", M::Exact),
        ("**/dir2/*", "dir/dir2/file/", M::Parent),
        ("**/dir2/**", "dir/dir2/dir3/file", M::Exact),
        ("**/dir2/**", "dir/dir2/dir3/file/", M::Exact),
        ("**file", "file", M::Exact),
        ("**file", "dir/file", M::Exact),
        ("**/file", "dir/file", M::Exact),
        ("**file", "dir/dir/file", M::Exact),
        ("**/file", "dir/dir/file", M::Exact),
        ("**/file*", "dir/dir/file", M::Exact),
        ("**/file*", "dir/dir/file.txt", M::Exact),
        ("**/file*txt", "dir/dir/file.txt", M::Exact),
        ("**/file*.txt", "dir/dir/file.txt", M::Exact),
        ("**/file*.txt*", "dir/dir/file.txt", M::Exact),
        ("**/**/*.txt", "dir/dir/file.txt", M::Exact),
        ("**/**/*.txt2", "dir/dir/file.txt", M::Fail),
        ("**/*.txt", "file.txt", M::Exact),
        ("**/**/*.txt", "file.txt", M::Exact),
        ("a**/*.txt", "a/file.txt", M::Exact),
        ("a**/*.txt", "a/dir/file.txt", M::Exact),
        ("a**/*.txt", "a/dir/dir/file.txt", M::Exact),
        ("a/*.txt", "a/dir/file.txt", M::Fail),
        ("a/*.txt", "a/file.txt", M::Exact),
        ("a/*.txt**", "a/file.txt", M::Exact),
        ("a[b-d]e", "ae", M::Fail),
        ("a[b-d]e", "ace", M::Exact),
        ("a[b-d]e", "aae", M::Fail),
        ("a[^b-d]e", "aze", M::Exact),
        (".*", ".foo", M::Exact),
        (".*", "foo", M::Fail),
        ("abc.def", "abcdef", M::Fail),
        ("abc.def", "abc.def", M::Exact),
        ("abc.def", "abcZdef", M::Fail),
        ("abc?def", "abcZdef", M::Exact),
        ("abc?def", "abcdef", M::Fail),
        ("**/foo/bar", "foo/bar", M::Exact),
        ("**/foo/bar", "dir/foo/bar", M::Exact),
        ("**/foo/bar", "dir/dir2/foo/bar", M::Exact),
        ("abc/**", "abc", M::Fail),
        ("abc/**", "abc/def", M::Exact),
        ("abc/**", "abc/def/ghi", M::Exact),
        ("**/.foo", ".foo", M::Exact),
        ("**/.foo", "bar.foo", M::Fail),
        ("a(b)c/def", "a(b)c/def", M::Exact),
        ("a(b)c/def", "a(b)c/xyz", M::Fail),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", M::Exact),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            M::Exact,
        ),
        (
            "dist/*.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            M::Exact,
        ),
        (r"a\\", r"a\", M::Exact),
        (r"a\*b", "a*b", M::Exact),
    ];

    fn rule_for(pattern: &str) -> Rule {
        let ignore = DockerIgnore::parse(pattern);
        assert!(
            ignore.errors().is_empty(),
            "{pattern}: {:?}",
            ignore.errors()
        );
        ignore
            .rules()
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("{pattern}: no rule"))
    }

    #[test]
    fn moby_match_table() {
        let mut scratch = regex::Scratch::default();
        for &(pattern, path, expected) in MOBY_MATCHES {
            let rule = rule_for(pattern);
            let got = if rule.matches(path, false, &mut scratch) {
                M::Exact
            } else if rule.matches(path, true, &mut scratch) {
                M::Parent
            } else {
                M::Fail
            };
            assert_eq!(got, expected, "pattern {pattern:?}, path {path:?}");
        }
    }

    /// moby's multi-pattern table, through `MatchesOrParentMatches`.
    const MOBY_MULTI: &[(&[&str], &str, bool)] = &[
        (&["**", "!util/docker/web"], "util/docker/web/foo", false),
        (
            &["**", "!util/docker/web", "util/docker/web/foo"],
            "util/docker/web/foo",
            true,
        ),
        (
            &[
                "**",
                "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            ],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
        (
            &["**", "!dist/*.whl"],
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            false,
        ),
        (&["docs", "!docs/README.md"], "docs/README.md", false),
        (&["!fileutils.go", "*.go"], "fileutils.go", true),
        (&["*.go", "!fileutils.go"], "fileutils.go", false),
    ];

    #[test]
    fn moby_multi_pattern_table() {
        for (lines, path, expected) in MOBY_MULTI {
            assert_eq!(
                excluded(lines, path),
                *expected,
                "patterns {lines:?}, path {path:?}"
            );
        }
    }

    /// Go's `filepath.Match` tests as moby runs them: (pattern, path, Some(excluded) or None for
    /// a pattern Docker rejects).
    const GO_MATCH: &[(&str, &str, Option<bool>)] = &[
        ("abc", "abc", Some(true)),
        ("*", "abc", Some(true)),
        ("*c", "abc", Some(true)),
        ("a*", "a", Some(true)),
        ("a*", "abc", Some(true)),
        ("a*", "ab/c", Some(true)),
        ("a*/b", "abc/b", Some(true)),
        ("a*/b", "a/c/b", Some(false)),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", Some(true)),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Some(true)),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Some(false)),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Some(false)),
        ("a*b?c*x", "abxbbxdbxebxczzx", Some(true)),
        ("a*b?c*x", "abxbbxdbxebxczzy", Some(false)),
        ("ab[c]", "abc", Some(true)),
        ("ab[b-d]", "abc", Some(true)),
        ("ab[e-g]", "abc", Some(false)),
        ("ab[^c]", "abc", Some(false)),
        ("ab[^b-d]", "abc", Some(false)),
        ("ab[^e-g]", "abc", Some(true)),
        (r"a\*b", "a*b", Some(true)),
        (r"a\*b", "ab", Some(false)),
        ("a?b", "a☺b", Some(true)),
        ("a[^a]b", "a☺b", Some(true)),
        ("a???b", "a☺b", Some(false)),
        ("a[^a][^a][^a]b", "a☺b", Some(false)),
        ("[a-ζ]*", "α", Some(true)),
        ("*[a-ζ]", "A", Some(false)),
        ("a?b", "a/b", Some(false)),
        ("a*b", "a/b", Some(false)),
        (r"[\]a]", "]", Some(true)),
        (r"[\-]", "-", Some(true)),
        (r"[x\-]", "x", Some(true)),
        (r"[x\-]", "-", Some(true)),
        (r"[x\-]", "z", Some(false)),
        (r"[\-x]", "x", Some(true)),
        (r"[\-x]", "-", Some(true)),
        (r"[\-x]", "a", Some(false)),
        ("[]a]", "]", None),
        ("[-]", "-", None),
        ("[x-]", "x", None),
        ("[x-]", "-", None),
        ("[x-]", "z", None),
        ("[-x]", "x", None),
        ("[-x]", "-", None),
        ("[-x]", "a", None),
        ("\\", "a", None),
        ("[a-b-c]", "a", None),
        ("[", "a", None),
        ("[^", "a", None),
        ("[^bc", "a", None),
        ("a[", "a", None),
        ("a[", "ab", None),
        ("*x", "xxx", Some(true)),
        // Accepted by filepath.Match, rejected by the regexp moby builds.
        ("[Local-Only]/", "x", None),
        ("[[:nope:]]", "x", None),
        (r"a\k*", "ak", None),
        (r"a\x{263a}", "a☺", Some(true)),
        // Accepted by both, with a regexp meaning.
        ("[[:digit:]]x", "7x", Some(true)),
    ];

    #[test]
    fn go_filepath_match_table() {
        for &(pattern, path, expected) in GO_MATCH {
            let ignore = DockerIgnore::parse(pattern);
            let got = if ignore.errors().is_empty() {
                Some(ignore.is_excluded(path))
            } else {
                assert!(
                    !ignore.is_excluded(path),
                    "{pattern:?} is malformed yet matches"
                );
                None
            };
            assert_eq!(got, expected, "pattern {pattern:?}, path {path:?}");
        }
    }

    /// moby's `TestCompile`: (pattern, its match type, the regexp when it is one).
    const TRANSLATIONS: &[(&str, Kind, &str)] = &[
        ("*", Kind::Regex, "^[^/]*$"),
        ("file*", Kind::Regex, "^file[^/]*$"),
        ("*file", Kind::Regex, "^[^/]*file$"),
        ("a*/b", Kind::Regex, "^a[^/]*/b$"),
        ("**", Kind::Suffix, ""),
        ("**/**", Kind::Regex, "^(.*/)?.*$"),
        ("dir/**", Kind::Prefix, ""),
        ("**/dir", Kind::Suffix, ""),
        ("**/dir2/*", Kind::Regex, "^(.*/)?dir2/[^/]*$"),
        ("**/dir2/**", Kind::Regex, "^(.*/)?dir2/.*$"),
        ("**file", Kind::Suffix, ""),
        ("**/file*txt", Kind::Regex, "^(.*/)?file[^/]*txt$"),
        ("**/**/*.txt", Kind::Regex, r"^(.*/)?(.*/)?[^/]*\.txt$"),
        ("a[b-d]e", Kind::Regex, "^a[b-d]e$"),
        (".*", Kind::Regex, r"^\.[^/]*$"),
        ("abc.def", Kind::Exact, ""),
        ("abc?def", Kind::Regex, "^abc[^/]def$"),
        ("**/foo/bar", Kind::Suffix, ""),
        ("a(b)c/def", Kind::Exact, ""),
        ("a.|)$(}+{bc", Kind::Exact, ""),
        (
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            Kind::Exact,
            "",
        ),
        (r"\*", Kind::Regex, r"^\*$"),
        ("[*]", Kind::Regex, "^[[^/]*]$"),
        ("a|b{2}*", Kind::Regex, "^a|b{2}[^/]*$"),
        ("a|b{2}", Kind::Exact, ""),
    ];

    #[test]
    fn translation_table() {
        for &(pattern, kind, expr) in TRANSLATIONS {
            let (got_kind, got_expr) = translate(pattern);
            assert_eq!(got_kind, kind, "pattern {pattern:?}");
            if kind == Kind::Regex {
                assert_eq!(got_expr, expr, "pattern {pattern:?}");
            }
        }
    }

    #[test]
    fn reads_like_ignorefile() {
        // moby's TestReadAll, plus CRLF, BOM and indentation.
        let text = "\u{feff}test1\r\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! \n  #x  \n\tdir/  \r\n";
        let ignore = DockerIgnore::parse(text);
        let patterns: Vec<(&str, bool)> = ignore.patterns().collect();
        assert_eq!(
            patterns,
            [
                ("test1", false),
                ("/test2", false),
                ("/a/file/here", false),
                ("lastfile", false),
                ("/inverted/abs/path", true),
                ("", true),
                ("", true),
                ("#x", false),
                ("dir/", false),
            ]
        );
        let cleaned: Vec<&str> = ignore.rules().iter().map(Rule::cleaned).collect();
        assert_eq!(
            cleaned,
            [
                "test1",
                "test2",
                "a/file/here",
                "lastfile",
                "inverted/abs/path",
                "",
                "",
                "#x",
                "dir"
            ]
        );
        let lines: Vec<usize> = ignore.errors().iter().map(|e| e.line).collect();
        assert_eq!(lines, [7, 8]);
        assert!(ignore.errors()[0]
            .message
            .contains("illegal exclusion pattern"));
        assert_eq!(ignore.rules()[4].line(), 6);
    }

    #[test]
    fn reports_malformed_patterns_with_lines() {
        let ignore = DockerIgnore::parse("ok\n[abc\nfoo\\\n[z-a]\n\\p{L}x*\n*.txt");
        let lines: Vec<usize> = ignore.errors().iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
        assert!(ignore.errors()[0]
            .message
            .starts_with("syntax error in pattern"));
        assert!(ignore.errors()[2]
            .message
            .contains("invalid character class range"));
        let valid: Vec<bool> = ignore.rules().iter().map(Rule::is_valid).collect();
        assert_eq!(valid, [true, false, false, false, false, true]);
        assert!(ignore.is_excluded("a.txt"));
        assert_eq!(ignore.matching_rule("ok/x").map(Rule::line), Some(0));
    }

    #[test]
    fn too_long_line_is_an_error() {
        let text = format!("a\n{}\nb", "x".repeat(MAX_LINE_LEN + 1));
        let ignore = DockerIgnore::parse(&text);
        assert_eq!(ignore.errors().len(), 1);
        assert_eq!(ignore.errors()[0].line, 1);
        assert!(ignore.is_excluded("b"));
    }

    #[test]
    fn go_clean() {
        let cases = [
            ("", "."),
            (".", "."),
            ("a//b", "a/b"),
            ("a/./b/", "a/b"),
            ("a/../b", "b"),
            ("../a/..", ".."),
            ("a/../..", ".."),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//a//", "/a"),
            ("a/b/../../..", ".."),
        ];
        for (input, expected) in cases {
            assert_eq!(clean(input), expected, "clean({input:?})");
        }
    }

    #[test]
    fn regex_features_reachable_through_escapes() {
        // Escapes of letters become Go regexp escapes (moby quirk).
        let cases: &[(&str, &str, bool)] = &[
            (r"a\x41", "aA", true),
            (r"a\101", "aA", true),
            (r"a\t", "a\t", true),
            (r"a\w", "a_", true),
            (r"a\W", "a-", true),
            (r"a\s", "a ", true),
            (r"\Qa*\E", "a[^/]*", true),
            (r"\Qa*", "a[^/]*$", true),
            (r"\Qa*", "a[^/]*$tail", true),
            (r"a\b", "a", true),
            (r"a\B", "a", false),
            (r"*\Aa", "a", true),
            (r"*\Aa", "xa", false),
            ("[[:alpha:]]x", "bx", true),
            ("[[:alpha:]]x", "1x", false),
            ("[[:^alpha:]]x", "1x", true),
            ("[*]", "[]", true),
            ("[*]", "*", false),
            ("[?]", "^]", true),
        ];
        for &(pattern, path, expected) in cases {
            let ignore = DockerIgnore::parse(pattern);
            assert!(
                ignore.errors().is_empty(),
                "{pattern}: {:?}",
                ignore.errors()
            );
            assert_eq!(
                ignore.is_excluded(path),
                expected,
                "pattern {pattern:?}, path {path:?}"
            );
        }
    }

    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DockerIgnore>();
    }

    #[test]
    fn no_blowup_on_many_stars() {
        let ignore = DockerIgnore::parse("**/**/**/*a*a*a*b\n**/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b*");
        let long = format!("{}/{}", "a/".repeat(200), "a".repeat(5000));
        let started = std::time::Instant::now();
        for _ in 0..20 {
            assert!(!ignore.is_excluded(&long));
        }
        assert!(
            started.elapsed().as_secs() < 5,
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn no_blowup_on_long_lines() {
        // Go's `strings.Index` per `[:` would make this quadratic; a long `{1000}` chain is capped.
        let classes = format!("[{}]*", "[[:a".repeat(15_000));
        let repeats = format!("?{}", "a{1000}".repeat(2_000));
        let started = std::time::Instant::now();
        let ignore = DockerIgnore::parse(&format!("{classes}\n{repeats}"));
        assert!(ignore.is_excluded("[x"));
        assert_eq!(ignore.errors().len(), 1);
        assert!(ignore.errors()[0].message.contains("too large"));
        assert!(
            started.elapsed().as_secs() < 5,
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn never_panics() {
        // A small deterministic generator over characters that matter to the parsers.
        const ALPHABET: &[char] = &[
            '*', '?', '[', ']', '^', '!', '-', '\\', '/', '.', 'a', 'b', 'z', '{', '}', '(', ')',
            '|', '$', '+', ':', 'x', 'p', 'Q', 'E', '0', '7', ' ', '#', '\u{feff}', 'é', '☺', '\0',
            '\r', '\n',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % (n as u64)).unwrap_or(0)
        };
        for _ in 0..3000 {
            let len = next(12);
            let text: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
            let ignore = DockerIgnore::parse(&text);
            for _ in 0..4 {
                let len = next(10);
                let path: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
                let _ = ignore.is_excluded(&path);
            }
            let _ = ignore.patterns().count();
        }
    }
}
