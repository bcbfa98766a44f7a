//! Small edits the hygiene rules' quick fixes are made of. Each keeps the user's formatting:
//! it touches only the words it must, and uses the file's line ending and escape character.

use super::{eol, instruction_lines, line_start};
use crate::rules::{Analysis, Edit};
use crate::syntax::instruction::Form;
use crate::syntax::shell::{self, Command, Script, ShellWord};
use crate::syntax::{split, words, Span};

/// Insert ` text` right after `word` (an absolute span).
#[must_use]
pub fn after_word(word: Span, text: &str) -> Edit {
    Edit {
        span: Span::empty(word.end),
        text: format!(" {text}"),
    }
}

/// The absolute span of a command word of instruction `i`.
#[must_use]
pub fn word_span(cx: &Analysis<'_>, i: usize, w: &ShellWord) -> Span {
    cx.instr(i).abs(w.span)
}

/// Append ` && <command>` at the end of a shell-form RUN or of its heredoc script's last line
/// (a line of its own when the script starts with `set -e`), so that the script still fails
/// when it failed before: a new last line without `set -e` would make its exit status the
/// appended command's. `None` when the end of the script is a comment, an operator, or the form
/// is exec.
#[must_use]
pub fn append_command(cx: &Analysis<'_>, i: usize, command: &str) -> Option<Edit> {
    let located = cx.instr(i);
    if let Some(h) = located.heredocs.iter().find(|h| h.script.is_some()) {
        let term = located.abs(h.terminator);
        let body_span = located.abs(h.body);
        let body = body_span.of(cx.text);
        let script = h.script.as_ref()?;
        if term.is_empty() {
            return None;
        }
        if exits_on_error(script) {
            if !stands_alone(script, &format!("{body}\n{command}\n"), command) {
                return None;
            }
            let indent = if h.strip_tabs { "\t" } else { "" };
            return Some(Edit {
                span: Span::empty(term.start),
                text: format!("{indent}{command}{}", eol(cx.text)),
            });
        }
        let kept = body.trim_end();
        let last_line = kept.rsplit('\n').next().unwrap_or(kept);
        if kept.is_empty()
            || last_line.contains('#')
            || kept.ends_with([';', '&', '|', '\\'])
            || !stands_alone(script, &format!("{kept} && {command}\n"), command)
        {
            return None;
        }
        return Some(Edit {
            span: Span::empty(body_span.start + kept.len()),
            text: format!(" && {command}"),
        });
    }
    let Some(Form::Shell(shell)) = located.form() else {
        return None;
    };
    let last = shell.script.commands.last()?;
    // anything after the last command other than blanks (a comment, a trailing `;`) stops us
    let end = located.abs(shell.span).end;
    let after_last = Span::new(located.abs(last.span).end, end).of(cx.text);
    if !after_last.trim().is_empty() {
        return None;
    }
    if !stands_alone(
        &shell.script,
        &format!("{} && {command}", shell.text),
        command,
    ) {
        return None;
    }
    Some(Edit {
        span: Span::empty(located.abs(last.span).end),
        text: format!(" && {command}"),
    })
}

/// Whether a script starts with `set -e` (or `-o errexit`): then any failing command ends it.
fn exits_on_error(script: &Script) -> bool {
    script.commands.first().is_some_and(|c| {
        let words: Vec<&str> = c.words.iter().map(|w| w.value.as_str()).collect();
        words.first() == Some(&"set")
            && words[1..].iter().enumerate().any(|(n, w)| {
                (w.starts_with('-') && !w.starts_with("--") && w.contains('e'))
                    || (*w == "-o" && words.get(n + 2) == Some(&"errexit"))
            })
    })
}

/// Whether `command`, appended to the script that lexed to `script` (giving `appended`), is a
/// command of its own. After an unterminated quote, `$(` or backtick it would be swallowed: the
/// finding would stay, and every fix round would append it again.
fn stands_alone(script: &Script, appended: &str, command: &str) -> bool {
    let probe = shell::lex(appended);
    let last = probe
        .commands
        .last()
        .map(|c| c.words.iter().map(|w| w.value.as_str()).collect::<Vec<_>>());
    words::lexes_cleanly(appended)
        && probe.commands.len() == script.commands.len() + 1
        && last == Some(command.split_whitespace().collect())
}

/// Remove a word (and the blanks before it) from a shell-form command, or an element (and its
/// comma) from an exec-form array.
#[must_use]
pub fn remove_word(cx: &Analysis<'_>, i: usize, word: Span) -> Option<Edit> {
    let located = cx.instr(i);
    let text = cx.text;
    match located.form()? {
        Form::Exec { .. } => {
            // `, "--reload"` or `"--reload", `
            let before = &text[..word.start];
            let comma_before = before.trim_end().ends_with(',');
            if comma_before {
                let start = before.trim_end().len() - 1;
                return Some(Edit {
                    span: Span::new(start, word.end),
                    text: String::new(),
                });
            }
            let after = &text[word.end..];
            let trimmed = after.trim_start();
            trimmed.strip_prefix(',').map(|rest| {
                let end = word.end + (after.len() - rest.len());
                let end = end + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
                Edit {
                    span: Span::new(word.start, end),
                    text: String::new(),
                }
            })
        }
        Form::Shell(_) => {
            let before = &text[..word.start];
            let start = before.trim_end_matches([' ', '\t']).len();
            Some(Edit {
                span: Span::new(start, word.end),
                text: String::new(),
            })
        }
    }
}

/// Shell text as a JSON exec form, when it is one simple command of plain words (no
/// variables, globs, operators or redirections that need a shell).
#[must_use]
pub fn exec_form(cx: &Analysis<'_>, i: usize) -> Option<Edit> {
    let located = cx.instr(i);
    let Some(Form::Shell(shell)) = located.form() else {
        return None;
    };
    let [cmd] = shell.script.commands.as_slice() else {
        return None;
    };
    if !cmd.assignments.is_empty() {
        return None;
    }
    let raw = shell.text.as_str();
    if raw.contains([
        '$', '*', '?', '[', '>', '<', '|', '&', ';', '`', '#', '~', '(', ')',
    ]) {
        return None;
    }
    let words: Vec<String> = cmd
        .words
        .iter()
        .map(|w| serde_json::to_string(&w.value).unwrap_or_default())
        .collect();
    Some(Edit {
        span: located.abs(shell.span),
        text: format!("[{}]", words.join(", ")),
    })
}

/// Join RUN `cur` onto the previous RUN `prev`: ` \`, line break, `    && ` + its commands
/// (wrapped in `{ ...; }` when they are a list of their own, so that the first RUN's failure
/// still fails the build).
///
/// # Errors
/// Why the joined RUN could behave differently, for the finding's message.
pub fn merge_runs(cx: &Analysis<'_>, prev: usize, cur: usize) -> Result<Vec<Edit>, String> {
    let (p, c) = (cx.instr(prev), cx.instr(cur));
    let (Some(Form::Shell(ps)), Some(Form::Shell(cs))) = (p.form(), c.form()) else {
        return Err("one of the RUNs is in exec form".into());
    };
    if !p.heredocs.is_empty() || !c.heredocs.is_empty() {
        return Err("a heredoc script cannot be joined as it is".into());
    }
    if ps.text.contains('#') || cs.text.contains('#') {
        return Err("a `#` in the commands could be a comment that would swallow the join".into());
    }
    if cx.tree.instructions[..cur]
        .iter()
        .any(|l| l.keyword == crate::syntax::instruction::Keyword::Shell)
    {
        return Err(
            "a SHELL instruction sets the shell, and `&&` may not mean the same in it".into(),
        );
    }
    // a first RUN that ends in an operator (`a;`, `a &`) would not parse with `&& b` after it
    if ps.text.trim_end().ends_with([';', '&', '|'])
        || cs.text.trim_end().ends_with([';', '&', '|'])
    {
        return Err("a RUN ends with an operator".into());
    }
    if let Some(what) = super::shell_state::leftover(&ps.text, &cs.text) {
        return Err(format!(
            "`{what}` in the first RUN would also act on the second RUN's commands once they share a shell"
        ));
    }
    let escape = cx.tree.split.escape;
    let nl = eol(cx.text);
    let p_end = p.abs(ps.span).end;
    let c_script = c.abs(cs.span);
    // `a && b; c` would run `c` when `a` fails, and `a && b || c` would hide the failure: keep
    // the second RUN's commands grouped as they were
    let grouped = cs.script.commands.iter().any(|k: &Command| {
        !matches!(
            k.joiner,
            crate::syntax::shell::Joiner::And
                | crate::syntax::shell::Joiner::Start
                | crate::syntax::shell::Joiner::Pipe
        )
    });
    if grouped && escape == '`' {
        // a Windows image: cmd has no `{ ...; }`
        return Err("the second RUN is a list of commands that cmd cannot group".into());
    }
    let (open, close) = if grouped { ("{ ", "; }") } else { ("", "") };
    let body = format!("{open}{}{close}", c_script.of(cx.text));
    // joined, each RUN's commands must stay what they were: an unterminated quote or `$(` in
    // the first would swallow the second, or two would pair up and turn a quoted `<<EOF` into a
    // heredoc
    let joined_text = format!("{} && {open}{}{close}", ps.text, cs.text);
    let joined = shell::lex(&joined_text);
    if !words::lexes_cleanly(&ps.text)
        || !words::lexes_cleanly(&cs.text)
        || joined.commands.len() != ps.script.commands.len() + cs.script.commands.len()
        || !split::heredoc_words(&joined_text).is_empty()
    {
        return Err("the commands do not split cleanly into words (an open quote or `$(`)".into());
    }
    let lines = instruction_lines(cx.text, c);
    let indent_start = line_start(cx.text, p.span().start);
    let indent = &cx.text[indent_start..p.span().start];
    Ok(vec![
        Edit {
            span: Span::empty(p_end),
            text: format!(" {escape}{nl}{indent}    && {body}"),
        },
        Edit {
            span: Span::new(
                lines.start.max(line_start(cx.text, c.span().start)),
                lines.end,
            ),
            text: String::new(),
        },
    ])
}
