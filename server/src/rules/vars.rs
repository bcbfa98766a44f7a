//! Variable references in Dockerfile words, and what is declared where: shared by the rules
//! about undefined variables (`undefined-var`, `undefined-arg-in-from`,
//! `invalid-default-arg-in-from`).

use super::Analysis;
use crate::syntax::instruction::{Args, Keyword};

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
            let len = bytes[open..close].iter().take_while(|&&b| is_name(b)).count();
            if len > 0 && !bytes[open].is_ascii_digit() {
                let op = &word[open + len..close];
                out.push(VarRef {
                    name: word[open..open + len].to_string(),
                    start: base + open,
                    end: base + open + len,
                    modified: inner || !op.is_empty(),
                });
                let after_op = op.trim_start_matches(':');
                if after_op.len() > 1 {
                    let at = open + len + (op.len() - after_op.len()) + 1;
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

/// Whether `name` is declared (by `ARG` or `ENV`, with or without a value) where instruction
/// `i` runs: earlier in its stage or in the stages it is built on.
#[must_use]
pub fn declared_at(cx: &Analysis<'_>, i: usize, name: &str) -> bool {
    let Some(stage) = cx.model.stage_of.get(i).copied().flatten() else {
        return false;
    };
    let mut end = i;
    cx.model.lineage(stage).any(|st| {
        let upto = end.min(st.body.end);
        end = usize::MAX;
        (st.body.start..upto).any(|j| declares(cx, j, name))
    })
}

/// Whether instruction `j` is an `ARG` or `ENV` that declares `name`.
#[must_use]
pub fn declares(cx: &Analysis<'_>, j: usize, name: &str) -> bool {
    let instr = cx.instr(j);
    matches!(instr.keyword, Keyword::Arg | Keyword::Env)
        && matches!(&instr.args, Args::KeyValues(kvs) if kvs.iter().any(|kv| kv.key == name))
}

/// Every name declared where instruction `i` runs.
#[must_use]
pub fn names_at(cx: &Analysis<'_>, i: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Some(stage) = cx.model.stage_of.get(i).copied().flatten() else {
        return out;
    };
    let mut end = i;
    for st in cx.model.lineage(stage) {
        let upto = end.min(st.body.end);
        end = usize::MAX;
        for j in st.body.start..upto {
            let instr = cx.instr(j);
            if let (Keyword::Arg | Keyword::Env, Args::KeyValues(kvs)) = (instr.keyword, &instr.args)
            {
                out.extend(kvs.iter().map(|kv| kv.key.clone()));
            }
        }
    }
    out
}

/// Edit distance with adjacent transpositions counted once (`PAHT` is one step from `PATH`).
#[must_use]
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 || a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The known name `name` is most likely a typo of: the same name in another case, else the
/// closest within one edit (two for names of more than four characters).
#[must_use]
pub fn suggest<'k>(name: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let limit = if name.chars().count() > 4 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        if k == name {
            continue;
        }
        let d = if k.eq_ignore_ascii_case(name) {
            0
        } else {
            distance(&name.to_ascii_uppercase(), &k.to_ascii_uppercase())
        };
        if d <= limit && best.is_none_or(|(bd, bk)| (d, k) < (bd, bk)) {
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
        assert_eq!(
            names("${A:-$B}x"),
            [("A".into(), true), ("B".into(), true)]
        );
        assert!(names("\\$A '$B' $1 $ x").is_empty());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("PAHT", ["PATH", "HOME"]), Some("PATH"));
        assert_eq!(suggest("path", ["PATH"]), Some("PATH"));
        assert_eq!(suggest("APP_HOEM", ["APP_HOME"]), Some("APP_HOME"));
        assert_eq!(suggest("FOO", ["BAR"]), None);
    }
}
