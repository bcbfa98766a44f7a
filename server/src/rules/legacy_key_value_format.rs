use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds `ENV` and `LABEL` in the old form with a blank instead of `=` between name and
    /// value: `ENV NODE_ENV production`.
    ///
    /// ## Why is this bad?
    /// The old form is deprecated. It also reads unlike what it does: everything after the
    /// name, blanks included, is one value, so `ENV A 1 B 2` sets `A` to `1 B 2`, while
    /// `ENV A=1 B=2` sets two variables.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV JAVA_OPTS -Xmx512m -XX:+UseG1GC
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// ENV JAVA_OPTS="-Xmx512m -XX:+UseG1GC"
    /// ```
    ///
    /// ## Fix
    /// Writes `name=value`, quoting the value in `"` when it has blanks outside quotes. Safe,
    /// and offered only when the new form provably gives the same value: a value on one line
    /// that is one word as written (blanks only inside quotes), or that has no quotes or
    /// escape characters at all. BuildKit's `ARG` has no such form
    /// (`ARG A B` declares two arguments), so `ARG` is not checked.
    ///
    /// Equivalents: BuildKit `LegacyKeyValueFormat`.
    pub struct LegacyKeyValueFormat {
        id: "legacy-key-value-format",
        severity: Info,
        summary: "`ENV name value` or `LABEL name value` without `=`, a deprecated form",
        hadolint: [],
        buildkit: ["LegacyKeyValueFormat"],
        fix: Safe,
        per_stage: check_stage,
    }
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.model.body(cx.tree, s) {
        if !matches!(located.keyword, Keyword::Env | Keyword::Label) {
            continue;
        }
        let Args::KeyValues(kvs) = &located.args else {
            continue;
        };
        let [kv] = kvs.as_slice() else {
            continue;
        };
        let span = located.abs(kv.span);
        let written = span.of(cx.text);
        let legacy = written
            .strip_prefix(kv.key.as_str())
            .and_then(|rest| rest.chars().next())
            .is_some_and(char::is_whitespace);
        if !legacy {
            continue;
        }
        let Some(value_span) = kv.value_span.map(|v| located.abs(v)) else {
            continue;
        };
        let key_end = span.start + kv.key.len();
        let value = value_span.of(cx.text);
        let name = located.keyword.name();
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, Span::new(span.start, key_end)),
                format!(
                    "`{name} {key} ...` without `=` is a deprecated form in which everything after the name is one value; write `{name} {key}=...`",
                    key = kv.key
                ),
            )
            .with_fix(fix(cx, key_end, value_span, value)),
        );
    }
}

/// `name=value` in place of `name value`, when the value is provably the same.
fn fix(cx: &Analysis<'_>, key_end: usize, value_span: Span, value: &str) -> Option<Fix> {
    // blanks beyond ASCII (U+2028, NBSP...) split words in one form and not the other
    let odd_blank = |c: char| c.is_whitespace() && !c.is_ascii();
    if value.contains(['\n', '\r'])
        || key_end > value_span.start
        || cx.text[..key_end]
            .rsplit(|c: char| c.is_ascii_whitespace())
            .next()
            .is_none_or(|key| {
                // a plain name only: quotes, `$` or an escape make it another word in `k=v`
                key.is_empty()
                    || key.contains(odd_blank)
                    || key.contains(['"', '\'', '`', '\\', '$', '=', cx.model.escape])
            })
        || value.contains(odd_blank)
    {
        return None;
    }
    let gap = Span::new(key_end, value_span.start);
    let mut edits = vec![Edit {
        span: gap,
        text: "=".to_string(),
    }];
    // one word as `name=value` reads it (blanks only inside quotes or escaped): the same text
    // goes through the same expansion and quote removal, so the value is the same
    let one_word = crate::syntax::words::quoted_words(value, cx.model.escape).len() == 1;
    if !one_word {
        // in `"..."` the blanks stay and `$` expands as before; quotes and escapes would not
        if value.contains(['"', '\'', '`', '\\', cx.model.escape]) {
            return None;
        }
        edits[0].text.push('"');
        edits.push(Edit {
            span: Span::empty(value_span.end),
            text: "\"".to_string(),
        });
    }
    Some(Fix::safe("Write `name=value`", edits))
}
