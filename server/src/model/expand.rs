//! Variable substitution as BuildKit does it for FROM, WORKDIR, COPY, ENV...: `$NAME`, `${NAME}`,
//! `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}`, `${NAME+alt}`.

/// Expand variables in `s`. Returns `None` when a referenced variable is unknown and has no
/// default (the value cannot be known statically).
pub fn expand(s: &str, escape: char, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if !s.contains('$') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == escape {
            if let Some(&(_, n)) = chars.peek() {
                if n == '$' {
                    out.push('$');
                    chars.next();
                    continue;
                }
            }
            out.push(c);
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().map(|&(_, n)| n) {
            Some('{') => {
                chars.next();
                let mut inner = String::new();
                let mut depth = 1;
                for (_, n) in chars.by_ref() {
                    match n {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(n);
                }
                out.push_str(&expand_braced(&inner, escape, lookup)?);
            }
            Some(n) if n.is_ascii_alphabetic() || n == '_' => {
                let mut name = String::new();
                while let Some(&(_, n)) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(&lookup(&name)?);
            }
            _ => out.push('$'),
        }
    }
    Some(out)
}

fn expand_braced(
    inner: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let name_len = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count();
    let (name, op) = inner.split_at(name_len);
    let value = lookup(name);
    let (colon, rest) = match op.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, op),
    };
    let set = match &value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    if let Some(word) = rest.strip_prefix('-') {
        return if set {
            value
        } else {
            expand(word, escape, lookup)
        };
    }
    if let Some(word) = rest.strip_prefix('+') {
        return if set {
            expand(word, escape, lookup)
        } else {
            Some(String::new())
        };
    }
    if rest.starts_with('?') {
        return if set { value } else { None };
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        let lookup = |name: &str| match name {
            "V" => Some("3.12".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        assert_eq!(expand(input, '\\', &lookup).as_deref(), expected, "{input}");
    }

    #[test]
    fn substitution() {
        check("python:${V}-slim", Some("python:3.12-slim"));
        check("python:$V", Some("python:3.12"));
        check("${MISSING:-node}:20", Some("node:20"));
        check("${EMPTY:-x}", Some("x"));
        check("${EMPTY-x}", Some(""));
        check("${V:+set}", Some("set"));
        check("${MISSING:+set}", Some(""));
        check("$MISSING", None);
        check("\\$V", Some("$V"));
        check("a$", Some("a$"));
    }
}
