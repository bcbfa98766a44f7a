//! A small, tolerant POSIX shell lexer: shell text -> simple commands with exact spans.
//!
//! Rules need to see `apt-get install -y gcc` or `pip install -r requirements.txt` wherever it
//! stands in a `RUN`: after `&&`, inside `if ...; then ...; fi`, behind `sudo` or `FOO=bar`, in a
//! heredoc script. This lexer knows quoting (`'..'`, `".."`, `\`), command and parameter
//! substitution (`$(..)`, `${..}`, backticks, kept inside their word), comments, operators
//! (`&&`, `||`, `;`, `|`, `&`, `(`, `)`, newlines), redirections (dropped with their target) and
//! the reserved words that only introduce commands (`if`, `then`, `do`, `!`, ...). It never fails:
//! an unterminated quote runs to the end of the text.
//!
//! It is deliberately not a full shell grammar: rules only need the flat list of simple commands,
//! how each is joined to the previous one, and the words with their unquoted values.

use super::Span;

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joiner {
    /// The first command of the script.
    Start,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `|`
    Pipe,
    /// `;`, `&`, a newline, or a grouping parenthesis.
    Seq,
}

/// A word with its span (in the lexed text) and its unquoted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellWord {
    pub span: Span,
    pub value: String,
}

/// A simple command: leading `NAME=value` assignments, then the program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub assignments: Vec<ShellWord>,
    /// Program and arguments (redirections removed).
    pub words: Vec<ShellWord>,
    /// From the first word (or assignment) to the last.
    pub span: Span,
    pub joiner: Joiner,
}

/// Wrappers that run the command named after them.
const WRAPPERS: &[&str] = &[
    "sudo",
    "env",
    "exec",
    "command",
    "time",
    "nice",
    "nohup",
    "xargs",
    "eatmydata",
];

impl Command {
    /// The effective program and its arguments: wrappers such as `sudo`, `env A=b`, `exec` are
    /// looked through (with their options).
    #[must_use]
    pub fn argv(&self) -> &[ShellWord] {
        let mut words = &self.words[..];
        while let Some((first, rest)) = words.split_first() {
            let name = basename(&first.value);
            if !WRAPPERS.contains(&name) || rest.is_empty() {
                break;
            }
            let skip = rest
                .iter()
                .take_while(|w| {
                    w.value.starts_with('-') || (name == "env" && w.value.contains('='))
                })
                .count();
            words = &rest[skip..];
        }
        words
    }

    /// The program's base name (`/usr/bin/pip3` -> `pip3`), looking through wrappers.
    #[must_use]
    pub fn program(&self) -> Option<&str> {
        self.argv().first().map(|w| basename(&w.value))
    }

    /// The arguments after the program, looking through wrappers.
    #[must_use]
    pub fn args(&self) -> &[ShellWord] {
        self.argv().get(1..).unwrap_or(&[])
    }
}

/// The last path component of a program name.
#[must_use]
pub fn basename(s: &str) -> &str {
    // what `s.rsplit('/').next()` gives, without a searcher: this runs for every word that
    // might be a program, on every analysis
    match s.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

/// A lexed script: its simple commands in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

/// Words that introduce a command without being one.
const PREFIX_WORDS: &[&str] = &[
    "if", "then", "elif", "else", "do", "while", "until", "!", "{", "time",
];
/// Words that close a compound command.
const CLOSE_WORDS: &[&str] = &["fi", "done", "esac", "}"];
/// Words that start a clause whose words are not a command (`for x in ...`).
const CLAUSE_WORDS: &[&str] = &["for", "case", "select", "function"];

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(ShellWord),
    Op(Joiner),
}

/// Lex `text` into simple commands. Never fails.
#[must_use]
pub fn lex(text: &str) -> Script {
    lex_with_escape(text, '\\')
}

/// Lex the shell text of a Dockerfile whose escape character is `escape`: under
/// `` # escape=` `` (Windows images, whose shell is `cmd`) a backslash is a path separator, not
/// an escape (`dotnet restore App\App.csproj` names `App\App.csproj`).
#[must_use]
pub fn lex_with_escape(text: &str, escape: char) -> Script {
    let tokens = tokenize(text, escape == '\\');
    let mut commands = Vec::new();
    let mut current: Option<Command> = None;
    let mut joiner = Joiner::Start;
    let mut in_clause = false;
    for token in tokens {
        match token {
            Token::Op(op) => {
                if let Some(cmd) = current.take() {
                    if !cmd.words.is_empty() {
                        commands.push(cmd);
                    }
                }
                in_clause = false;
                joiner = if commands.is_empty() {
                    Joiner::Start
                } else {
                    op
                };
            }
            Token::Word(word) => {
                if in_clause {
                    // `for x in a b; do` -> `do` starts the body after the separator; words of
                    // the clause itself are not a command.
                    continue;
                }
                let cmd = current.get_or_insert_with(|| Command {
                    assignments: Vec::new(),
                    words: Vec::new(),
                    span: word.span,
                    joiner,
                });
                if cmd.words.is_empty() {
                    if cmd.assignments.is_empty() && PREFIX_WORDS.contains(&word.value.as_str()) {
                        cmd.span = Span::empty(word.span.end);
                        continue;
                    }
                    if cmd.assignments.is_empty() && CLOSE_WORDS.contains(&word.value.as_str()) {
                        cmd.span = Span::empty(word.span.end);
                        continue;
                    }
                    if cmd.assignments.is_empty() && CLAUSE_WORDS.contains(&word.value.as_str()) {
                        in_clause = true;
                        current = None;
                        continue;
                    }
                    if is_assignment(&word.value) {
                        if cmd.assignments.is_empty() {
                            cmd.span = word.span;
                        }
                        cmd.span = cmd.span.cover(word.span);
                        cmd.assignments.push(word);
                        continue;
                    }
                    if cmd.assignments.is_empty() {
                        cmd.span = word.span;
                    }
                }
                cmd.span = cmd.span.cover(word.span);
                cmd.words.push(word);
            }
        }
    }
    if let Some(cmd) = current {
        if !cmd.words.is_empty() {
            commands.push(cmd);
        }
    }
    Script { commands }
}

fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_operator_start(c: char) -> bool {
    matches!(c, ';' | '&' | '|' | '(' | ')' | '<' | '>' | '\n')
}

#[allow(clippy::too_many_lines)]
fn tokenize(text: &str, backslash: bool) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut word_start_allowed_comment = true;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' => {
                i += 1;
                word_start_allowed_comment = true;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'\\' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => i += 3,
            b'#' if word_start_allowed_comment => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' => {
                tokens.push(Token::Op(Joiner::Seq));
                i += 1;
            }
            b'&' if bytes.get(i + 1) == Some(&b'&') => {
                tokens.push(Token::Op(Joiner::And));
                i += 2;
            }
            b'|' if bytes.get(i + 1) == Some(&b'|') => {
                tokens.push(Token::Op(Joiner::Or));
                i += 2;
            }
            b'|' => {
                tokens.push(Token::Op(Joiner::Pipe));
                i += if bytes.get(i + 1) == Some(&b'&') {
                    2
                } else {
                    1
                };
            }
            b'&' if bytes.get(i + 1) == Some(&b'>') => {
                i = skip_redirect(text, i + 2, backslash);
            }
            b';' | b'&' | b'(' | b')' => {
                tokens.push(Token::Op(Joiner::Seq));
                i += 1;
                if c == b';' && bytes.get(i) == Some(&b';') {
                    i += 1;
                }
            }
            b'<' | b'>' => {
                i = skip_redirect(text, i, backslash);
            }
            _ => {
                let (end, value) = read_word(text, i, backslash);
                // `2>file`, `2>&1`: an fd number glued to a redirection.
                if value.bytes().all(|b| b.is_ascii_digit())
                    && end > i
                    && matches!(bytes.get(end), Some(b'<' | b'>'))
                {
                    i = skip_redirect(text, end, backslash);
                    continue;
                }
                if end == i {
                    i += 1; // defensive: never loop forever
                    continue;
                }
                tokens.push(Token::Word(ShellWord {
                    span: Span::new(i, end),
                    value,
                }));
                i = end;
                word_start_allowed_comment = false;
                continue;
            }
        }
    }
    tokens
}

/// Skip a redirection operator at `i` and its target word; returns the new position.
fn skip_redirect(text: &str, mut i: usize, backslash: bool) -> usize {
    let bytes = text.as_bytes();
    while i < bytes.len() && matches!(bytes[i], b'<' | b'>' | b'&' | b'|' | b'-') {
        i += 1;
    }
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    if i < bytes.len() && !is_operator_start(bytes[i] as char) {
        let (end, _) = read_word(text, i, backslash);
        i = end.max(i + 1).min(bytes.len());
    }
    i
}

/// Read one word starting at `start`: returns its end and its unquoted value. `backslash`: a
/// backslash escapes the next character (not under a backtick escape directive).
fn read_word(text: &str, start: usize, backslash: bool) -> (usize, String) {
    let bytes = text.as_bytes();
    let mut value = String::new();
    let mut i = start;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => break,
            b'\'' => {
                let close = text[i + 1..].find('\'').map_or(bytes.len(), |p| i + 1 + p);
                value.push_str(&text[i + 1..close]);
                i = (close + 1).min(bytes.len());
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if backslash && bytes[i] == b'\\' && i + 1 < bytes.len() {
                        let n = bytes[i + 1];
                        if matches!(n, b'"' | b'\\' | b'$' | b'`') {
                            value.push(n as char);
                            i += 2;
                            continue;
                        }
                        if n == b'\n' {
                            i += 2;
                            continue;
                        }
                    }
                    if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'(') {
                        let end = skip_balanced(text, i + 1);
                        value.push_str(&text[i..end]);
                        i = end;
                        continue;
                    }
                    let ch_len = utf8_len(bytes[i]);
                    let end = (i + ch_len).min(bytes.len());
                    value.push_str(text.get(i..end).unwrap_or(""));
                    i = end;
                }
                i = (i + 1).min(bytes.len());
            }
            b'\\' if backslash => {
                if i + 1 < bytes.len() {
                    if bytes[i + 1] == b'\n' {
                        i += 2;
                        continue;
                    }
                    let ch_len = utf8_len(bytes[i + 1]);
                    let end = (i + 1 + ch_len).min(bytes.len());
                    value.push_str(text.get(i + 1..end).unwrap_or(""));
                    i = end;
                } else {
                    i += 1;
                }
            }
            b'$' if matches!(bytes.get(i + 1), Some(b'(' | b'{')) => {
                let end = skip_balanced(text, i + 1);
                value.push_str(&text[i..end]);
                i = end;
            }
            b'`' => {
                let close = text[i + 1..].find('`').map_or(bytes.len(), |p| i + 1 + p);
                let end = (close + 1).min(bytes.len());
                value.push_str(&text[i..end]);
                i = end;
            }
            _ => {
                // a run of ordinary characters at once (the stop bytes are ASCII, so the run
                // ends on a char boundary)
                let run = bytes[i + 1..]
                    .iter()
                    .position(|b| {
                        matches!(
                            b,
                            b' ' | b'\t'
                                | b'\r'
                                | b'\n'
                                | b';'
                                | b'&'
                                | b'|'
                                | b'('
                                | b')'
                                | b'<'
                                | b'>'
                                | b'\''
                                | b'"'
                                | b'\\'
                                | b'$'
                                | b'`'
                        )
                    })
                    .map_or(bytes.len(), |p| i + 1 + p);
                let end = run.max((i + utf8_len(c)).min(bytes.len()));
                value.push_str(text.get(i..end).unwrap_or(""));
                i = end;
            }
        }
    }
    (i, value)
}

/// From an opening `(` or `{` at `open`, the position after its matching close (or the end).
fn skip_balanced(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let (o, c) = if bytes[open] == b'(' {
        (b'(', b')')
    } else {
        (b'{', b'}')
    };
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'\'' if o == b'(' => {
                i = text[i + 1..].find('\'').map_or(bytes.len(), |p| i + 1 + p);
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b if b == o => depth += 1,
            b if b == c => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(text: &str) -> Vec<(Joiner, Vec<String>)> {
        lex(text)
            .commands
            .into_iter()
            .map(|c| (c.joiner, c.words.into_iter().map(|w| w.value).collect()))
            .collect()
    }

    fn check(text: &str, expected: &[(Joiner, &[&str])]) {
        let expected: Vec<(Joiner, Vec<String>)> = expected
            .iter()
            .map(|(j, w)| (*j, w.iter().map(|s| (*s).to_string()).collect()))
            .collect();
        assert_eq!(commands(text), expected, "{text}");
    }

    use Joiner::{And, Or, Pipe, Seq, Start};

    #[test]
    fn operators_and_quotes() {
        check(
            "apt-get update && apt-get install -y 'a b' \"c\\\"d\" || true; echo $(date +%s) | tee x",
            &[
                (Start, &["apt-get", "update"]),
                (And, &["apt-get", "install", "-y", "a b", "c\"d"]),
                (Or, &["true"]),
                (Seq, &["echo", "$(date +%s)"]),
                (Pipe, &["tee", "x"]),
            ],
        );
    }

    #[test]
    fn compound_commands_and_redirections() {
        check(
            "if [ -f x ]; then pip install -r r.txt 2>&1 > /dev/null; fi\nfor f in a b; do rm $f; done",
            &[
                (Start, &["[", "-f", "x", "]"]),
                (Seq, &["pip", "install", "-r", "r.txt"]),
                (Seq, &["rm", "$f"]),
            ],
        );
    }

    #[test]
    fn assignments_wrappers_and_comments() {
        let script = lex("FOO=1 sudo -E /usr/bin/pip3 install x # pip install y\n");
        assert_eq!(script.commands.len(), 1);
        let cmd = &script.commands[0];
        assert_eq!(cmd.assignments[0].value, "FOO=1");
        assert_eq!(cmd.program(), Some("pip3"));
        assert_eq!(cmd.args()[0].value, "install");
    }

    #[test]
    fn backslash_is_a_path_separator_under_a_backtick_escape() {
        let words = |script: Script| -> Vec<String> {
            script.commands[0]
                .words
                .iter()
                .map(|w| w.value.clone())
                .collect()
        };
        let text = r#"dotnet restore App\App.csproj "C:\a b\x""#;
        assert_eq!(
            words(super::lex_with_escape(text, '`')),
            ["dotnet", "restore", r"App\App.csproj", r"C:\a b\x"]
        );
        assert_eq!(words(lex(text))[2], "AppApp.csproj");
    }

    #[test]
    fn spans_point_at_the_source() {
        let text = "a && pip  install -r req.txt";
        let cmd = &lex(text).commands[1];
        assert_eq!(cmd.span.of(text), "pip  install -r req.txt");
        assert_eq!(cmd.words[3].span.of(text), "req.txt");
    }

    #[test]
    fn never_panics() {
        for text in [
            "'", "\"", "$(", "${", "`", "\\", "a 2>", "é\"ü", ";;;", "((", "&>",
        ] {
            let _ = lex(text);
        }
    }
}
