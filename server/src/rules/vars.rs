//! Variable references in Dockerfile words, and the names they are likely typos of: shared by the rules
//! about undefined variables (`undefined-var`, `undefined-arg-in-from`,
//! `invalid-default-arg-in-from`).

/// A `$NAME` or `${NAME...}` in a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    /// Byte range of the name within the word.
    pub start: usize,
    pub end: usize,
    /// Written with a modifier (`${NAME:-default}`, `${NAME+alt}`, `${NAME:?}`...).
    pub modified: bool,
}

/// The variable references of `word` (as written), skipping `$` escaped with `escape` and
/// text in single quotes, which BuildKit leaves alone. References inside a modifier's word
/// (`${A:-$B}`) are listed too, as modified.
#[must_use]
pub fn references(word: &str, escape: char) -> Vec<VarRef> {
    let mut out = Vec::new();
    scan(word, 0, escape, false, &mut out);
    out
}

fn scan(word: &str, base: usize, escape: char, inner: bool, out: &mut Vec<VarRef>) {
    let bytes = word.as_bytes();
    let mut k = 0;
    let mut single = false;
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while k < bytes.len() {
        let c = bytes[k];
        if single {
            single = c != b'\'';
            k += 1;
            continue;
        }
        if c == b'\'' {
            single = true;
            k += 1;
            continue;
        }
        if escape.is_ascii() && c == escape as u8 {
            k += 2;
            continue;
        }
        if c != b'$' {
            k += 1;
            continue;
        }
        let rest = &bytes[k + 1..];
        if rest.first() == Some(&b'{') {
            // `${NAME...}`, to the matching brace
            let open = k + 2;
            let mut depth = 1;
            let mut close = None;
            for (n, &b) in bytes[open..].iter().enumerate() {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(open + n);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(close) = close else {
                return;
            };
            let len = bytes[open..close]
                .iter()
                .take_while(|&&b| is_name(b))
                .count();
            if len > 0 && !bytes[open].is_ascii_digit() {
                let op = &word[open + len..close];
                out.push(VarRef {
                    name: word[open..open + len].to_string(),
                    start: base + open,
                    end: base + open + len,
                    modified: inner || !op.is_empty(),
                });
                let after_op = op.trim_start_matches(':');
                // the operator's character (`-`, `+`, `?`, or anything else: not always ASCII)
                let op_char = after_op.chars().next().map_or(1, char::len_utf8);
                if after_op.len() > op_char {
                    let at = open + len + (op.len() - after_op.len()) + op_char;
                    scan(&word[at..close], base + at, escape, true, out);
                }
            }
            k = close + 1;
        } else {
            let len = rest.iter().take_while(|&&b| is_name(b)).count();
            if len > 0 && (rest[0].is_ascii_alphabetic() || rest[0] == b'_') {
                out.push(VarRef {
                    name: word[k + 1..k + 1 + len].to_string(),
                    start: base + k + 1,
                    end: base + k + 1 + len,
                    modified: inner,
                });
            }
            k += 1 + len;
        }
    }
}

/// Edit distance with adjacent transpositions counted once (`PAHT` is one step from `PATH`),
/// case aside; `None` when it is above `limit` (names whose lengths differ by more are not
/// compared). Allocation-free for names up to 64 bytes; longer ones are not compared.
#[must_use]
pub fn distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    const MAX: usize = 64;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > limit || a.len() > MAX || b.len() > MAX {
        return None;
    }
    let up = |c: u8| c.to_ascii_uppercase();
    // three rows of the table: two back (transpositions), one back, current
    let mut rows = [[0usize; MAX + 1]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (before, rest) = rows.split_at_mut(2);
        let (two, one) = before.split_at_mut(1);
        let (two, one, cur) = (&two[0], &one[0], &mut rest[0]);
        cur[0] = i;
        let mut best = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(up(a[i - 1]) != up(b[j - 1]));
            let mut v = (one[j] + 1).min(cur[j - 1] + 1).min(one[j - 1] + cost);
            if i > 1 && j > 1 && up(a[i - 1]) == up(b[j - 2]) && up(a[i - 2]) == up(b[j - 1]) {
                v = v.min(two[j - 2] + 1);
            }
            cur[j] = v;
            best = best.min(v);
        }
        if best > limit {
            return None;
        }
        rows.rotate_left(1);
    }
    // after the rotation the last row computed is the middle one
    Some(rows[1][b.len()]).filter(|&d| d <= limit)
}

/// The known name `name` is most likely a typo of: the same name in another case, else the
/// closest within one edit (two for names of more than four characters).
#[must_use]
pub fn suggest<'k>(name: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let limit = if name.len() > 4 { 2 } else { 1 };
    // the characters a name has: an edit changes at most two of them, so names whose sets
    // differ in more cannot be close (a cheap test before the table)
    let chars = |s: &str| {
        s.bytes()
            .fold(0u64, |m, c| m | 1 << (c.to_ascii_uppercase() % 64))
    };
    let mine = chars(name);
    let mut best: Option<(usize, &str)> = None;
    // only a name that `$NAME` can spell is worth suggesting (`ARG BASE\`` declares `BASE\``)
    let spellable = |k: &str| {
        k.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    for k in known {
        if k == name
            || !spellable(k)
            || k.len().abs_diff(name.len()) > limit
            || (chars(k) ^ mine).count_ones() as usize > 2 * limit
        {
            continue;
        }
        let Some(d) = distance(name, k, limit) else {
            continue;
        };
        // another case only is the likeliest typo of all
        let d = if k.eq_ignore_ascii_case(name) { 0 } else { d };
        if best.is_none_or(|(bd, bk)| (d, k) < (bd, bk)) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(word: &str) -> Vec<(String, bool)> {
        references(word, '\\')
            .into_iter()
            .map(|r| {
                assert_eq!(&word[r.start..r.end], r.name);
                (r.name, r.modified)
            })
            .collect()
    }

    #[test]
    fn finds_references() {
        assert_eq!(names("$A/${B}"), [("A".into(), false), ("B".into(), false)]);
        assert_eq!(names("${A:-$B}x"), [("A".into(), true), ("B".into(), true)]);
        assert!(names("\\$A '$B' $1 $ x").is_empty());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("PAHT", ["PATH", "HOME"]), Some("PATH"));
        assert_eq!(suggest("path", ["PATH"]), Some("PATH"));
        assert_eq!(suggest("APP_HOEM", ["APP_HOME"]), Some("APP_HOME"));
        assert_eq!(suggest("FOO", ["BAR"]), None);
        assert_eq!(distance("PAHT", "PATH", 2), Some(1));
        assert_eq!(distance("kitten", "sitting", 3), Some(3));
        assert_eq!(distance("kitten", "sitting", 2), None);
        assert_eq!(distance("abc", "abc", 0), Some(0));
    }
}
