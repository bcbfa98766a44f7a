use std::collections::HashMap;

use super::{declare_rule, Analysis, Diagnostic};
use crate::model::mount_from;
use crate::syntax::instruction::{edit_distance, Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Reports what makes BuildKit stop the build: unknown instructions, missing or extra
    /// arguments (`FROM` with no image, `COPY` with one path, `ENV` without a value), unknown or
    /// malformed flags (`COPY --form=build`, `FROM --platform linux/amd64` without `=`),
    /// invalid ports (`EXPOSE 80000`, `EXPOSE 9000-8000`, `EXPOSE 80/http`) and durations,
    /// unterminated heredocs, instructions other than `ARG` before the first `FROM`, bad parser
    /// directives, and what BuildKit finds when it links the stages:
    /// - a stage that copies from itself (`COPY --from=<its own name>`, also through a
    ///   `RUN --mount=...,from=`), or stages that copy from each other in a cycle;
    /// - `COPY --from=<number>` past the last stage;
    /// - an `ENV`, `LABEL` or `ARG` value whose quote is never closed (`ENV A="x`);
    /// - a `STOPSIGNAL` value that is no signal (`STOPSIGNAL SIGFOO`, `STOPSIGNAL 0`);
    /// - a bash-only substitution such as `${V:0:1}` in a word BuildKit expands itself (`ENV`,
    ///   `COPY`, `WORKDIR`, `FROM`...; shell-form `RUN` is the shell's business);
    /// - `FROM --platform=$NAME` where `NAME` is neither a global `ARG` nor one of BuildKit's
    ///   platform variables (`BUILDPLATFORM`, `TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`...): it
    ///   expands to nothing, and an empty platform fails the build.
    ///
    /// `COPY --from=<name>` where no stage has that name is not an error: BuildKit reads it as
    /// an image. What BuildKit builds with a warning has its own rule (`duplicate-stage-name`,
    /// `expose-invalid-format`).
    ///
    /// ## Why is this bad?
    /// The build fails at this line. Each problem is reported once, at its exact position, and
    /// every other instruction is still analysed; a `FROM` that does not parse is not judged
    /// by the other rules. Since no comment makes such a build pass, the editor offers no
    /// "ignore" action for these findings.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COP . /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY . /app
    /// ```
    pub struct Syntax {
        id: "syntax",
        severity: Error,
        summary: "The Dockerfile does not build: BuildKit would reject this instruction",
        hadolint: [],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for error in cx.tree.errors() {
        // on the instruction's first line, like every finding
        let owner = cx
            .tree
            .instructions
            .iter()
            .position(|l| l.span().contains(error.span.start));
        let span = owner.map_or(error.span.into(), |i| cx.range_on(i, error.span));
        out.push(Diagnostic::new(&META, span, error.message));
    }
    let instrs = &cx.tree.instructions;
    let first_from = instrs.iter().position(|i| i.keyword == Keyword::From);
    for located in instrs.iter().take(first_from.unwrap_or(instrs.len())) {
        if matches!(located.keyword, Keyword::Arg | Keyword::Unknown) {
            continue;
        }
        let message = if first_from.is_some() {
            format!(
                "{} before the first FROM: only ARG may come before FROM",
                located.keyword.name()
            )
        } else {
            format!(
                "{} outside a build stage: start the file with `FROM <image>`",
                located.keyword.name()
            )
        };
        out.push(Diagnostic::new(&META, located.keyword_span(), message));
    }
    empty_platforms(cx, out);
    stage_links(cx, out);
    stop_signals(cx, out);
    substitutions(cx, out);
    unterminated_quotes(cx, out);
}

/// An `ENV`, `LABEL` or `ARG` value with a quote that is never closed: BuildKit's lexer stops
/// the build when it expands the value.
fn unterminated_quotes(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let escape = cx.tree.split.escape;
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if !matches!(
            located.keyword,
            Keyword::Env | Keyword::Label | Keyword::Arg
        ) {
            continue;
        }
        let Args::KeyValues(kvs) = &located.args else {
            continue;
        };
        for kv in kvs {
            let Some(value) = kv.value_span.map(|v| located.abs(v)) else {
                continue;
            };
            if let Some((at, quote)) = open_quote(value.of(cx.text), escape) {
                let start = value.start + at;
                let name = if quote == '"' { "double" } else { "single" };
                out.push(Diagnostic::new(
                    &META,
                    cx.range_on(i, Span::new(start, value.end)),
                    format!(
                        "the {name} quote that opens here is never closed, so BuildKit cannot read the value of `{}` and stops; close it with `{quote}`",
                        kv.key
                    ),
                ));
                break;
            }
        }
    }
}

/// Where the quote still open at the end of `text` opened, and which quote it is.
fn open_quote(text: &str, escape: char) -> Option<(usize, char)> {
    let mut open: Option<(usize, char)> = None;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match open {
            Some((_, '\'')) => {
                if c == '\'' {
                    open = None;
                }
            }
            Some((_, _)) => {
                if c == escape {
                    chars.next();
                } else if c == '"' {
                    open = None;
                }
            }
            None => {
                if c == escape {
                    chars.next();
                } else if c == '"' || c == '\'' {
                    open = Some((at, c));
                }
            }
        }
    }
    open
}

/// The signal names BuildKit's frontend knows (Linux; `SIG` prefix optional, any case).
const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "UNUSED", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/// Whether BuildKit takes `value` as a signal: a number other than 0, a known name, or a
/// real-time one (`RTMIN+3`, `RTMAX-2`).
fn is_signal(value: &str) -> bool {
    if let Ok(n) = value.parse::<i64>() {
        return n != 0;
    }
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if SIGNALS.contains(&name) || name == "RTMIN" || name == "RTMAX" {
        return true;
    }
    let offset = |rest: &str| rest.parse::<u8>().is_ok_and(|n| (1..=15).contains(&n));
    name.strip_prefix("RTMIN+").is_some_and(offset)
        || name.strip_prefix("RTMAX-").is_some_and(offset)
}

/// `STOPSIGNAL` with a value that is no signal: BuildKit fails the build on it. Values with a
/// variable or an escape are not judged (their expansion is not known here).
fn stop_signals(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Stopsignal || !located.errors.is_empty() {
            continue;
        }
        let span = located.abs(located.args_span);
        let written = span.of(cx.text).trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|q| written.strip_prefix(*q)?.strip_suffix(*q))
            .unwrap_or(written);
        if value.is_empty()
            || value.contains(['$', '\\', '"', '\'', cx.tree.split.escape])
            || value.contains(char::is_whitespace)
            || is_signal(value)
        {
            continue;
        }
        out.push(Diagnostic::new(
            &META,
            cx.range_on(i, span),
            format!(
                "`{value}` is not a signal, and BuildKit stops here; use a name such as `SIGTERM` or `SIGINT`, or a signal number"
            ),
        ));
    }
}

/// `${NAME:...}` with something other than `-`, `+` or `?` after the colon (a bash substring
/// such as `${V:0:1}`) in a word BuildKit expands itself: its lexer rejects the modifier and
/// the build stops. Shell-form commands are left alone: the shell expands those.
fn substitutions(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        let expanded = matches!(
            located.keyword,
            Keyword::From
                | Keyword::Arg
                | Keyword::Env
                | Keyword::Label
                | Keyword::Copy
                | Keyword::Add
                | Keyword::Workdir
                | Keyword::User
                | Keyword::Expose
                | Keyword::Volume
                | Keyword::Stopsignal
        );
        if !expanded {
            continue;
        }
        let span = Span::new(located.keyword_span().end, located.span().end);
        // heredoc bodies are files, not words
        let end = located
            .heredocs
            .iter()
            .map(|h| located.abs(h.body).start)
            .min()
            .unwrap_or(span.end);
        let span = Span::new(span.start, end.max(span.start));
        if let Some(at) = unsupported_modifier(span.of(cx.text), cx.tree.split.escape) {
            let start = span.start + at;
            let close = cx.text[start..span.end]
                .find('}')
                .map_or(span.end, |c| start + c + 1);
            let written = &cx.text[start..close];
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, Span::new(start, close)),
                format!(
                    "BuildKit does not support `{written}` in {}: only `:-`, `:+` and `:?` may follow the colon, so the build stops here; compute the value in a RUN step instead",
                    located.keyword.name()
                ),
            ));
        }
    }
}

/// The offset of the first `${NAME:x` whose `x` is not `-`, `+` or `?`, outside single quotes
/// and not escaped.
fn unsupported_modifier(text: &str, escape: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut single, mut k) = (false, 0);
    while k < bytes.len() {
        let c = bytes[k];
        if single {
            single = c != b'\'';
        } else if c == b'\'' {
            single = true;
        } else if char::from(c) == escape {
            k += 1;
        } else if c == b'$' && bytes.get(k + 1) == Some(&b'{') {
            let name = bytes[k + 2..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            let after = k + 2 + name;
            if name > 0
                && bytes.get(after) == Some(&b':')
                && !matches!(bytes.get(after + 1), Some(b'-' | b'+' | b'?') | None)
            {
                return Some(k);
            }
        }
        k += 1;
    }
    None
}

/// BuildKit's platform variables, set in the global scope without an `ARG`.
pub(crate) const PLATFORM_VARIABLES: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// `FROM --platform=$NAME` where every variable of the value is unknown to BuildKit: the value
/// expands to nothing, and BuildKit fails on an empty platform.
fn empty_platforms(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for stage in &cx.model.stages {
        let from = cx.instr(stage.from);
        let Some(flag) = from.flag("platform") else {
            continue;
        };
        let Some(value) = flag.value.as_deref() else {
            continue;
        };
        let Some(names) = only_variables(value) else {
            continue;
        };
        let defined = |name: &str| {
            cx.model.global_args.contains_key(name)
                || PLATFORM_VARIABLES.contains(&name)
                || name.starts_with("BUILDKIT_")
        };
        if names.iter().any(|n| defined(n)) {
            continue;
        }
        let listed = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        // a misspelt name: the closest known one
        let known = PLATFORM_VARIABLES
            .iter()
            .copied()
            .chain(cx.model.global_args.keys().map(String::as_str));
        let closest = names.iter().find_map(|n| {
            known
                .clone()
                .map(|k| (edit_distance(n, k), k))
                .filter(|&(d, _)| d <= 2)
                .min()
                .map(|(_, k)| k)
        });
        let what_to_do = match closest {
            Some(k) => format!("did you mean `${k}`?"),
            None => "declare it with ARG before the first FROM or use a platform variable such as `$BUILDPLATFORM`".to_string(),
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(stage.from, from.abs(flag.span)),
            format!(
                "{listed} is not a global ARG, so `--platform` expands to an empty value and BuildKit stops here; {what_to_do}"
            ),
        ));
    }
}

/// The names of `value` when it is only variable references (`$A`, `${B}`), nothing else.
fn only_variables(value: &str) -> Option<Vec<&str>> {
    let mut names = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        rest = rest.strip_prefix('$')?;
        let (name, after) = match rest.strip_prefix('{') {
            Some(inner) => {
                let close = inner.find('}')?;
                (&inner[..close], &inner[close + 1..])
            }
            None => {
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                (&rest[..len], &rest[len..])
            }
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return None;
        }
        names.push(name);
        rest = after;
    }
    (!names.is_empty()).then_some(names)
}

/// A `COPY --from` or `RUN --mount=...,from=` that names a stage of the file.
struct Link {
    /// The stage the instruction is in.
    stage: usize,
    /// The instruction and the span of the words that name the source.
    instr: usize,
    span: Span,
    /// `--from` or `from` (in a `--mount`), and the value as written.
    flag: &'static str,
    value: String,
    target: usize,
}

/// What BuildKit checks when it links the stages: `--from=<index>` within the stages it knows
/// at that point, and no stage depending on itself through `--from` (FROM is not a link:
/// a FROM can only name an earlier stage).
fn stage_links(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let stages = &cx.model.stages;
    // a name means the last stage that has it, wherever the reference is
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for stage in stages {
        if let Some(alias) = stage.alias.as_deref() {
            by_name.insert(alias, stage.index);
        }
    }
    let mut links = Vec::new();
    // BuildKit adds a state for every source that is not a stage (an image, or the empty source
    // of a mount without `from`) as it goes, and an index may name one of those
    let mut known = stages.len();
    let mut count_certain = true;
    for stage in stages {
        for (i, located) in cx.model.body(cx.tree, stage.index) {
            let sources: Vec<(String, Span, bool)> = match located.keyword {
                Keyword::Copy => located
                    .flag("from")
                    .and_then(|f| Some((f.value.clone()?, located.abs(f.span), true)))
                    .into_iter()
                    .collect(),
                Keyword::Run => located
                    .flags
                    .iter()
                    .filter(|f| f.name == "mount")
                    .map(|f| {
                        let from = f.value.as_deref().and_then(mount_from).unwrap_or("scratch");
                        (from.to_string(), located.abs(f.span), false)
                    })
                    .collect(),
                _ => continue,
            };
            for (value, span, is_copy) in sources {
                if value.contains('$') {
                    count_certain = false;
                    continue;
                }
                let index = if is_copy { go_atoi(&value) } else { None };
                let target = match index {
                    Some(n) => {
                        match usize::try_from(n).ok().filter(|&n| n < known) {
                            Some(n) if n < stages.len() => Some(n),
                            // an image source BuildKit added earlier
                            Some(_) => None,
                            None => {
                                if count_certain {
                                    out.push(Diagnostic::new(
                                        &META,
                                        cx.range_on(i, span),
                                        format!(
                                            "`--from={value}` is not a stage: BuildKit counts stages from 0 and knows {known} here, so it stops; name the stage instead, e.g. `--from=build`"
                                        ),
                                    ));
                                }
                                None
                            }
                        }
                    }
                    None => {
                        let found = by_name.get(value.to_ascii_lowercase().as_str()).copied();
                        if found.is_none() {
                            known += 1;
                        }
                        found
                    }
                };
                if let Some(target) = target {
                    links.push(Link {
                        stage: stage.index,
                        instr: i,
                        span,
                        flag: if is_copy { "--from" } else { "from" },
                        value,
                        target,
                    });
                }
            }
        }
    }
    for link in &links {
        let name = |s: usize| {
            stages[s]
                .alias
                .clone()
                .map_or_else(|| format!("stage {s}"), |a| format!("`{a}`"))
        };
        let message = if link.target == link.stage {
            format!(
                "`{}={}` names the stage this instruction is in, and a stage cannot use its own files before it is built, so BuildKit reports a circular dependency; use another stage",
                link.flag, link.value
            )
        } else if reaches(&links, link.target, link.stage) {
            format!(
                "`{}={}` closes a cycle: {} uses files of this stage, directly or through other stages, so BuildKit can build neither; take the shared files from a stage outside the cycle",
                link.flag,
                link.value,
                name(link.target)
            )
        } else {
            continue;
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(link.instr, link.span),
            message,
        ));
    }
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether stage `from` depends on stage `to` through links.
fn reaches(links: &[Link], from: usize, to: usize) -> bool {
    let mut seen = vec![from];
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        for link in links.iter().filter(|l| l.stage == s) {
            if link.target == to {
                return true;
            }
            if !seen.contains(&link.target) {
                seen.push(link.target);
                stack.push(link.target);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{go_atoi, only_variables};
    use crate::model::mount_from;

    #[test]
    fn platform_values_made_only_of_variables() {
        assert_eq!(
            only_variables("$TARGETPLATFORM"),
            Some(vec!["TARGETPLATFORM"])
        );
        assert_eq!(only_variables("${OS}${ARCH}"), Some(vec!["OS", "ARCH"]));
        assert_eq!(only_variables("linux/$ARCH"), None);
        assert_eq!(only_variables("${P:-linux/amd64}"), None);
        assert_eq!(only_variables("$"), None);
    }

    #[test]
    fn mount_sources_and_indexes() {
        assert_eq!(mount_from("type=cache,target=/x,from=deps"), Some("deps"));
        assert_eq!(mount_from("type=cache,target=/x"), None);
        assert_eq!(go_atoi("0"), Some(0));
        assert_eq!(go_atoi("-1"), Some(-1));
        assert_eq!(go_atoi("build"), None);
    }
}
