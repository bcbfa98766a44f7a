//! Word-level helpers shared by the splitter and the instruction parser: blank-separated words
//! with their spans, quote-aware splitting, and unquoting with the file's escape character.

use super::Span;

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

/// Blank-separated words, quotes and escapes (`\`) honoured for the splitting but kept in the
/// word text. Spans are byte ranges of `s`.
#[must_use]
pub fn raw_words(s: &str) -> Vec<(Span, &str)> {
    quoted_words(s, '\\')
}

/// Words separated by (Unicode) blanks where quotes and the escape character protect blanks
/// (BuildKit's `parseWords`, used by ENV, LABEL and ARG). Words keep their quotes; see [`unquote`].
/// An escape character at the very end belongs to no word.
#[must_use]
pub fn quoted_words(s: &str, escape: char) -> Vec<(Span, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == escape && q == '"' {
                chars.next();
            }
            continue;
        }
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push((Span::new(st, i), &s[st..i]));
            }
            continue;
        }
        if c == escape && i + c.len_utf8() == s.len() {
            // An escape character at the very end is dropped (BuildKit's `parseWords`).
            if let Some(st) = start.take() {
                out.push((Span::new(st, i), &s[st..i]));
            }
            break;
        }
        if start.is_none() {
            start = Some(i);
        }
        if c == escape {
            chars.next();
        } else if c == '"' || c == '\'' {
            quote = Some(c);
        }
    }
    if let Some(st) = start {
        out.push((Span::new(st, s.len()), &s[st..]));
    }
    out
}

/// Blank-separated words with no quote handling (BuildKit's `parseStringsWhitespaceDelimited`,
/// used by FROM, COPY, ADD, EXPOSE, VOLUME): `"a b"` is two words.
#[must_use]
pub fn plain_words(s: &str) -> Vec<(Span, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if is_blank(c) {
            if let Some(st) = start.take() {
                out.push((Span::new(st, i), &s[st..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((Span::new(st, s.len()), &s[st..]));
    }
    out
}

/// Whether BuildKit's shell lexer (`shell.Lex`, escape `\\`) can split `line` into words:
/// quotes and `${...}` substitutions are closed. BuildKit finds heredocs in a line by splitting it
/// this way, and a line it cannot split has no heredocs. Iterative, so nesting cannot overflow.
#[must_use]
pub fn lexes_cleanly(line: &str) -> bool {
    #[derive(PartialEq)]
    enum Ctx {
        Double,
        /// The word of `${name:-word}` and the like, up to its `}`.
        Brace,
    }
    let mut stack: Vec<Ctx> = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let in_double = stack.last() == Some(&Ctx::Double);
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if !in_double => loop {
                match chars.next() {
                    None => return false,
                    Some('\'') => break,
                    Some(_) => {}
                }
            },
            '"' if in_double => {
                stack.pop();
            }
            '"' => stack.push(Ctx::Double),
            '}' if stack.last() == Some(&Ctx::Brace) => {
                stack.pop();
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let Some(&first) = chars.peek() else {
                    return false;
                };
                if matches!(first, '{' | '}' | ':') {
                    return false;
                }
                if first.is_ascii_digit() {
                    while chars.next_if(char::is_ascii_digit).is_some() {}
                } else if matches!(first, '@' | '*' | '#' | '?' | '-' | '$' | '!') {
                    chars.next();
                } else {
                    while chars
                        .next_if(|c| c.is_alphanumeric() || *c == '_')
                        .is_some()
                    {}
                }
                match chars.next() {
                    Some('}') => {}
                    Some(':') => {
                        chars.next();
                        stack.push(Ctx::Brace);
                    }
                    Some('-' | '+' | '?' | '#' | '%' | '/') => stack.push(Ctx::Brace),
                    _ => return false,
                }
            }
            _ => {}
        }
    }
    stack.is_empty()
}

/// Remove shell quotes and escapes from a word: `'..'` is literal, inside `".."` the escape
/// character escapes `"`, `$`, `` ` `` and itself, outside quotes it escapes any character.
/// Variables are left as written.
#[must_use]
pub fn unquote(word: &str, escape: char) -> String {
    let mut out = String::with_capacity(word.len());
    let mut quote: Option<char> = None;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                } else {
                    out.push(c);
                }
            }
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == escape {
                    match chars.peek() {
                        Some(&n) if n == '"' || n == '$' || n == '`' || n == escape => {
                            out.push(n);
                            chars.next();
                        }
                        _ => out.push(c),
                    }
                } else {
                    out.push(c);
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == escape {
                    match chars.next() {
                        Some(n) => out.push(n),
                        None => out.push(c),
                    }
                } else {
                    out.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_unquoting() {
        let words: Vec<&str> = quoted_words(r#"a="b c" d\ e 'f g'"#, '\\')
            .into_iter()
            .map(|w| w.1)
            .collect();
        assert_eq!(words, [r#"a="b c""#, r"d\ e", "'f g'"]);
        assert_eq!(unquote(r#"a="b c""#, '\\'), "a=b c");
        assert_eq!(unquote(r"d\ e", '\\'), "d e");
        assert_eq!(unquote(r"C:\src", '`'), r"C:\src");
        assert_eq!(unquote(r#""x\"y""#, '\\'), "x\"y");
        let plain: Vec<&str> = plain_words("  COPY \"a b\"  c ")
            .into_iter()
            .map(|w| w.1)
            .collect();
        assert_eq!(plain, ["COPY", "\"a", "b\"", "c"]);
    }

    #[test]
    fn lexing_fails_on_unclosed_quotes_and_substitutions() {
        let good = [
            "cat <<EOF",
            "a 'b' \"c $d ${e} \\\" f\"",
            "${x:-\"}\"}",
            "${x:?err} ${#} ${1}",
            "it\\'s",
            "$",
            "$(",
        ];
        for line in good {
            assert!(lexes_cleanly(line), "{line}");
        }
        let bad = [
            "cat <<EOF \"x",
            "'a",
            "${x",
            "${'}",
            "${x:-\"}",
            "${}",
            "${:x}",
            "\"${x\"",
        ];
        for line in bad {
            assert!(!lexes_cleanly(line), "{line}");
        }
    }
}
