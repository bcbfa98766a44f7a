//! What a shell script leaves behind in its shell: each `RUN` starts a fresh shell in the
//! WORKDIR, so joining two RUNs is only the same when the first one leaves nothing the second
//! would inherit (`cd`, `export`, `. venv/bin/activate`, `set -e`, `umask`, a function...).
//!
//! ```text
//! WORKDIR /app
//! RUN cd /opt && make            joined, `echo` would write /opt/status.txt
//! RUN echo ok > status.txt
//! ```
//!
//! [`leftover`] scans the text the way `sh` splits it (quotes, `$(...)`, backticks, comments,
//! redirections) and looks only at the commands of the top level: a `cd` inside `( ... )` or
//! `$( ... )` runs in a subshell and is gone when it ends.

/// Builtins that change the state of the shell that runs them (or end it).
const STATEFUL: &[&str] = &[
    "cd",
    "pushd",
    "popd",
    "export",
    "unset",
    "source",
    ".",
    "set",
    "shopt",
    "umask",
    "ulimit",
    "alias",
    "unalias",
    "trap",
    "declare",
    "typeset",
    "readonly",
    "local",
    "eval",
    "exec",
    "exit",
    "return",
    "hash",
    "enable",
    "read",
    "mapfile",
    "readarray",
    "let",
    "getopts",
    "shift",
    "function",
    "builtin",
    "setopt",
    "emulate",
];

/// Reserved words after which the next word is a command again.
const LEADING: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "{", "!", "time", "command",
];

/// Reserved words that close a compound command.
const CLOSING: &[&str] = &["fi", "done", "}", "esac"];

/// The first thing `script` leaves in its shell that a command joined after it would see, as
/// the words that do it (`cd /opt`). Variables set without `export` count only when `later`
/// (the text of what would be joined after) mentions them.
#[must_use]
pub fn leftover(script: &str, later: &str) -> Option<String> {
    let b = script.as_bytes();
    let mut i = 0;
    let mut at_command = true;
    // words of the current top-level command
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut pending_assignments: Vec<String> = Vec::new();
    let mut skip_word = false;
    let finish = |words: &mut Vec<(usize, usize)>, pending: &mut Vec<String>| -> Option<String> {
        let found = pending
            .iter()
            .find(|name| mentions(later, name))
            .map(|name| format!("{name}=..."));
        words.clear();
        pending.clear();
        found
    };
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if matches!(b.get(i + 1), Some(b'\n')) => i += 2,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' | b';' | b'&' | b'|' => {
                if let Some(found) = finish(&mut words, &mut pending_assignments) {
                    return Some(found);
                }
                i += 1;
                at_command = true;
            }
            b'(' => {
                // a subshell (or a function body's `()`, caught below)
                if let Some(found) = finish(&mut words, &mut pending_assignments) {
                    return Some(found);
                }
                i = skip_group(b, i + 1, b')');
                at_command = false;
            }
            b')' => {
                // the end of a `case` pattern
                words.clear();
                pending_assignments.clear();
                i += 1;
                at_command = true;
            }
            b'<' | b'>' => {
                while i < b.len() && matches!(b[i], b'<' | b'>' | b'&' | b'|' | b'-') {
                    i += 1;
                }
                skip_word = true;
            }
            _ => {
                let start = i;
                i = word_end(b, i);
                let end = i.max(start + 1);
                i = end;
                if skip_word {
                    skip_word = false;
                    continue;
                }
                let word = part(script, start, end);
                // `2>file`: an fd number glued to a redirection
                if word.bytes().all(|c| c.is_ascii_digit())
                    && matches!(b.get(end), Some(b'<' | b'>'))
                {
                    continue;
                }
                words.push((start, end));
                if !at_command {
                    continue;
                }
                if let Some(name) = assigned(word) {
                    pending_assignments.push(name.to_string());
                    continue;
                }
                // `NAME=x cmd`: the assignment is for `cmd` alone
                pending_assignments.clear();
                at_command = LEADING.contains(&word);
                if CLOSING.contains(&word) {
                    continue;
                }
                if word == "for" || word == "select" {
                    // the loop variable stays set after the loop
                    let (s, e) = next_word(b, i);
                    let name = part(script, s, e);
                    if mentions(later, name) {
                        return Some(format!("{word} {name}"));
                    }
                    continue;
                }
                if word == "case" {
                    // skip to `in`: the patterns follow
                    while let Some((s, e)) = Some(next_word(b, i)).filter(|(s, e)| s < e) {
                        i = e;
                        if part(script, s, e) == "in" {
                            break;
                        }
                    }
                    at_command = true;
                    continue;
                }
                let unquoted = word.trim_matches(['"', '\'']);
                let defines_function = part(script, end, script.len())
                    .trim_start_matches([' ', '\t'])
                    .starts_with("()");
                if defines_function || STATEFUL.contains(&unquoted) || unquoted == "function" {
                    let line_end = part(script, start, script.len())
                        .find(['\n', ';', '&', '|'])
                        .map_or(script.len(), |n| start + n);
                    let shown: String = part(script, start, line_end)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    return Some(shown.chars().take(40).collect());
                }
            }
        }
    }
    finish(&mut words, &mut pending_assignments)
}

/// `text[from..to]`, or `""` when a byte offset falls inside a character (the scan steps over
/// an escaped character by bytes).
fn part(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to.min(text.len())).unwrap_or("")
}

/// `NAME` of a `NAME=value` word.
fn assigned(word: &str) -> Option<&str> {
    let (name, _) = word.split_once('=')?;
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    (chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some(name)
}

/// Whether `text` expands variable `name` (`$name`, `${name...}`).
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices('$').any(|(at, _)| {
        let rest = &text[at + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.strip_prefix(name).is_some_and(|after| {
            !after
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

/// The next word after `i` (skipping blanks): its start and end.
fn next_word(b: &[u8], mut i: usize) -> (usize, usize) {
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    if i >= b.len() || matches!(b[i], b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>') {
        return (i, i);
    }
    (i, word_end(b, i))
}

/// The end of the word starting at `i`, through quotes and substitutions.
fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => break,
            b'\\' => i += 2,
            b'\'' => i = skip_single(b, i + 1),
            b'"' => i = skip_double(b, i + 1),
            b'`' => i = skip_backtick(b, i + 1),
            b'$' if b.get(i + 1) == Some(&b'(') => i = skip_group(b, i + 2, b')'),
            b'$' if b.get(i + 1) == Some(&b'{') => i = skip_group(b, i + 2, b'}'),
            _ => i += 1,
        }
    }
    i.min(b.len())
}

fn skip_single(b: &[u8], i: usize) -> usize {
    b[i.min(b.len())..]
        .iter()
        .position(|&c| c == b'\'')
        .map_or(b.len(), |p| i + p + 1)
}

fn skip_double(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'`' => i = skip_backtick(b, i + 1),
            b'$' if b.get(i + 1) == Some(&b'(') => i = skip_group(b, i + 2, b')'),
            _ => i += 1,
        }
    }
    b.len()
}

fn skip_backtick(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Skip to after the `close` that ends a group opened just before `i`, through nested groups
/// and quotes.
fn skip_group(b: &[u8], mut i: usize, close: u8) -> usize {
    let open = if close == b')' { b'(' } else { b'{' };
    let mut depth = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => i = skip_single(b, i + 1),
            b'"' => i = skip_double(b, i + 1),
            b'`' => i = skip_backtick(b, i + 1),
            c if c == open => {
                depth += 1;
                i += 1;
            }
            c if c == close => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::leftover;

    fn check(script: &str, later: &str, expected: Option<&str>) {
        assert_eq!(leftover(script, later).as_deref(), expected, "{script}");
    }

    #[test]
    fn state_that_carries_over() {
        check("cd /opt && echo built > marker", "echo ok", Some("cd /opt"));
        check(
            "python -m venv /venv && . /venv/bin/activate",
            "pip install flask",
            Some(". /venv/bin/activate"),
        );
        check("source /etc/profile", "x", Some("source /etc/profile"));
        check("export PATH=/x:$PATH", "x", Some("export PATH=/x:$PATH"));
        check("set -eux; apt-get update", "x", Some("set -eux"));
        check("umask 077", "x", Some("umask 077"));
        check("ulimit -n 1024 && make", "x", Some("ulimit -n 1024"));
        check("pushd /tmp", "x", Some("pushd /tmp"));
        check("alias ll='ls -l'", "x", Some("alias ll='ls -l'"));
        check("f() { echo hi; }", "f", Some("f() { echo hi"));
        check(
            "trap 'rm -f /tmp/x' EXIT",
            "x",
            Some("trap 'rm -f /tmp/x' EXIT"),
        );
        check("shopt -s globstar", "x", Some("shopt -s globstar"));
        check("test -f x || exit 0", "x", Some("exit 0"));
        check("exec foo", "x", Some("exec foo"));
        check("if true; then cd /x; fi", "y", Some("cd /x"));
        check("{ cd /x; }", "y", Some("cd /x"));
        check("A=1", "echo $A", Some("A=..."));
        check(
            "for f in a b; do touch $f; done",
            "echo ${f}",
            Some("for f"),
        );
    }

    #[test]
    fn never_panics_inside_characters() {
        check("echo \\é; cd /x", "y", Some("cd /x"));
        for text in [
            "\\", "'é", "\"\\é", "`\\é", "$(\\é", "${\\é", "é()", "for", "case é", "2>\\é",
        ] {
            let _ = leftover(text, "$é");
        }
    }

    #[test]
    fn state_that_does_not() {
        check("( cd x && make )", "echo ok", None);
        check("echo $(cd /x && pwd) > out", "echo ok", None);
        check("echo \"cd /x; export A\" 'set -e'", "echo ok", None);
        check("apt-get update && apt-get install -y curl", "echo ok", None);
        check("A=1 make", "echo $A", None);
        check("A=1", "echo ok", None);
        check("for f in a b; do touch $f; done", "echo ok", None);
        check("echo cd > x # cd /x", "y", None);
        check("make 2>/dev/null > cd", "y", None);
        check("case $x in a) echo a;; esac", "y", None);
    }
}
