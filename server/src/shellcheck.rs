//! ShellCheck on the shell scripts of `RUN` instructions, when a `shellcheck` binary is on
//! `PATH`: each script is handed to it as the file holds it, and its findings are mapped back
//! to exact positions in the Dockerfile.
//!
//! A `RUN`'s shell form is passed as written from its first argument to its end: Dockerfile
//! continuation lines are shell continuation lines too, so line and column map one to one. Only
//! the comment lines BuildKit drops inside a continuation differ; each is replaced by blanks and
//! a `\` of the same length. A heredoc the `RUN` executes is passed as its body. Exec forms,
//! scripts under a non-POSIX `SHELL`, files with another escape character, instructions with
//! CRLF line ends and continuations with empty lines (neither would survive as shell) are not
//! checked.
//!
//! Checks that cannot apply to a Dockerfile are excluded: variables come from `ARG`/`ENV`
//! (SC2154), sourced files are in the image (SC1090, SC1091). `# hadolint ignore=SC2086` and
//! `# layerwise: ignore=SC2086` on the lines right above the instruction suppress a code.
//!
//! This runs a process: callers keep it off the editor's keystroke path (see
//! `lsp/shellcheck.rs`); `layerwise check` runs it after the rules (`cli/check.rs`, turned off
//! by `--no-shellcheck`), reporting each finding as rule `shellcheck` via [`diagnostic`]. Each
//! run is bounded by a timeout and the output by a size limit.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::model::Model;
use crate::rules::{Diagnostic, Place, Severity};
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::{Span, SyntaxTree};

/// The codes never reported (see the module docs).
const EXCLUDED: &str = "SC2154,SC1090,SC1091";
/// How long one script may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The most output read from one run.
const MAX_OUTPUT: usize = 1 << 20;

/// A ShellCheck finding at its place in the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `SC2086`.
    pub code: String,
    pub severity: Severity,
    /// Absolute byte range in the Dockerfile.
    pub span: Span,
    pub message: String,
    /// The instruction it is in.
    pub instruction: usize,
}

/// One script as ShellCheck reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub text: String,
    /// Absolute offset of the script's first byte in the Dockerfile.
    pub start: usize,
    /// `sh` or `bash`.
    pub shell: &'static str,
    pub instruction: usize,
}

/// The `shellcheck` binary on `PATH`, looked up once; its absence is logged once.
#[must_use]
pub fn binary() -> Option<&'static Path> {
    static LOGGED: OnceLock<()> = OnceLock::new();
    let found = installed();
    if found.is_none() {
        LOGGED.get_or_init(|| {
            eprintln!(
                "layerwise: no `shellcheck` on PATH; RUN scripts are not checked with ShellCheck"
            );
        });
    }
    found
}

/// The `shellcheck` binary on `PATH`, looked up once, without a log line (the command line,
/// where ShellCheck is an extra that is simply skipped when absent).
#[must_use]
pub fn installed() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("shellcheck"))
                    .find(|p| p.is_file())
            })
        })
        .as_deref()
}

/// The scripts of the file's `RUN` instructions that ShellCheck can check.
#[must_use]
pub fn scripts(text: &str, tree: &SyntaxTree, model: &Model) -> Vec<Script> {
    let mut out = Vec::new();
    if tree.split.escape != '\\' {
        return out;
    }
    for (i, located) in tree.instructions.iter().enumerate() {
        // CRLF: a `\` before CR does not continue the line for the shell; such files are skipped
        if located.keyword != Keyword::Run || located.span().of(text).contains('\r') {
            continue;
        }
        let Some(shell) = shell_at(tree, model, i) else {
            continue;
        };
        if let Args::Command(Form::Shell(_)) = &located.args {
            let span = located.abs(located.args_span);
            // without the heredoc openers' bodies: the args end before them
            if let Some(script) = inline_script(span.of(text)) {
                if located.heredocs.is_empty() {
                    out.push(Script {
                        text: script,
                        start: span.start,
                        shell,
                        instruction: i,
                    });
                }
            }
        }
        for h in located.heredocs.iter().filter(|h| h.script.is_some()) {
            let body = located.abs(h.body);
            let body_text = body.of(text);
            let shell = if body_text.starts_with("#!") {
                if body_text.lines().next().is_some_and(|l| l.contains("bash")) {
                    "bash"
                } else {
                    "sh"
                }
            } else {
                shell
            };
            out.push(Script {
                text: body_text.to_string(),
                start: body.start,
                shell,
                instruction: i,
            });
        }
    }
    out
}

/// The shell a `RUN` runs under: `sh` unless a `SHELL` of this stage or the stages it is built
/// on names bash; `None` for a non-POSIX shell.
fn shell_at(tree: &SyntaxTree, model: &Model, i: usize) -> Option<&'static str> {
    let stage = model.stage(i)?;
    for st in model.lineage(stage.index) {
        for j in st.body.clone().rev().filter(|&j| j < i) {
            let instr = &tree.instructions[j];
            if instr.keyword != Keyword::Shell {
                continue;
            }
            let Some(Form::Exec { words, .. }) = instr.form() else {
                return None;
            };
            let name = crate::syntax::shell::basename(&words.first()?.value).to_ascii_lowercase();
            return match name.as_str() {
                "bash" => Some("bash"),
                "sh" | "ash" | "dash" => Some("sh"),
                _ => None,
            };
        }
    }
    Some("sh")
}

/// The raw text of a shell-form RUN with the comment lines inside its continuation turned into
/// blanks and a `\` of the same length; `None` when a continuation holds an empty line.
fn inline_script(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len() + 1);
    for (n, line) in raw.split_inclusive('\n').enumerate() {
        let (body, eol) = match line.strip_suffix("\r\n") {
            Some(b) => (b, "\r\n"),
            None => match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            },
        };
        if n > 0 && body.trim().is_empty() && !eol.is_empty() {
            return None;
        }
        if n > 0 && body.trim_start().starts_with('#') {
            let width = body.chars().count();
            out.extend(std::iter::repeat_n(' ', width - 1));
            out.push('\\');
        } else {
            out.push_str(body);
        }
        out.push_str(eol);
    }
    out.push('\n');
    Some(out)
}

/// The absolute offset of ShellCheck's 1-based line and character column in `script`.
#[must_use]
pub fn offset(script: &Script, line: usize, column: usize) -> Option<usize> {
    let mut at = 0;
    for (n, l) in script.text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            let col = l
                .char_indices()
                .nth(column.checked_sub(1)?)
                .map_or(l.trim_end_matches(['\n', '\r']).len(), |(b, _)| b);
            return Some(script.start + at + col);
        }
        at += l.len();
    }
    None
}

#[derive(serde::Deserialize)]
struct Output {
    comments: Vec<Comment>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Comment {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    level: String,
    code: u32,
    message: String,
}

/// Run `bin` on one script.
///
/// # Errors
/// When it cannot start, times out, or answers something that is not its JSON.
pub fn run(bin: &Path, script: &Script) -> Result<Vec<Finding>, String> {
    let mut child = Command::new(bin)
        .args([
            "--format=json1",
            "--norc",
            "--shell",
            script.shell,
            "--exclude",
            EXCLUDED,
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run shellcheck: {e}"))?;
    let input = script.text.clone();
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT as u64).read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("shellcheck timed out".into());
            }
        }
    }
    let _ = writer.join();
    let out = reader.join().map_err(|_| "reader failed")?;
    let parsed: Output =
        serde_json::from_slice(&out).map_err(|e| format!("unexpected shellcheck output: {e}"))?;
    Ok(parsed
        .comments
        .into_iter()
        .filter_map(|c| {
            let start = offset(script, c.line, c.column)?;
            let end = offset(script, c.end_line, c.end_column)?.max(start);
            Some(Finding {
                code: format!("SC{}", c.code),
                severity: match c.level.as_str() {
                    "error" => Severity::Error,
                    "warning" => Severity::Warning,
                    "info" => Severity::Info,
                    _ => Severity::Hint,
                },
                span: Span::new(start, end),
                message: c.message,
                instruction: script.instruction,
            })
        })
        .collect())
}

/// The SC codes the comment lines right above instruction `i` ignore (`# hadolint ignore=...`,
/// `# layerwise: ignore=...`).
fn ignored_above(text: &str, tree: &SyntaxTree, i: usize) -> Vec<String> {
    let start = tree.instructions[i].offset;
    let before = &text[..start.min(text.len())];
    let mut codes = Vec::new();
    for line in before.lines().rev() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(comment) = t.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        let list = comment
            .strip_prefix("hadolint ignore=")
            .or_else(|| comment.strip_prefix("layerwise: ignore="))
            .or_else(|| comment.strip_prefix("layerwise:ignore="));
        if let Some(list) = list {
            codes.extend(
                list.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|c| !c.is_empty())
                    .map(str::to_ascii_uppercase),
            );
        }
    }
    codes
}

/// Every ShellCheck finding of the file, when `shellcheck` is on `PATH` (else none). Scripts
/// are checked one by one; `cancelled` is asked between them, so a newer edit can stop the work.
#[must_use]
pub fn check(
    text: &str,
    tree: &SyntaxTree,
    model: &Model,
    cancelled: &dyn Fn() -> bool,
) -> Vec<Finding> {
    let Some(bin) = binary() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for script in scripts(text, tree, model) {
        if cancelled() {
            return Vec::new();
        }
        match run(bin, &script) {
            Ok(found) => {
                let ignored = ignored_above(text, tree, script.instruction);
                out.extend(found.into_iter().filter(|f| !ignored.contains(&f.code)));
            }
            Err(e) => eprintln!("layerwise: {e}"),
        }
    }
    out
}

/// The rule id ShellCheck's findings carry outside the editor (`layerwise check`).
pub const RULE_ID: &str = "shellcheck";

/// A finding as a layerwise [`Diagnostic`], for the command line: rule `shellcheck`, the
/// message led by its code (`SC2086: ...`), and the range convention of every rule (it starts
/// on the instruction's first line, with the exact words as the focus when they lie below).
#[must_use]
pub fn diagnostic(text: &str, tree: &SyntaxTree, finding: &Finding) -> Diagnostic {
    let subject = finding.span;
    let mut place = Place {
        span: subject,
        focus: None,
    };
    if let Some(instr) = tree.instructions.get(finding.instruction) {
        let first_line_end = text
            .get(instr.offset..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |n| instr.offset + n);
        if subject.start < instr.offset || subject.start >= first_line_end {
            place = Place {
                span: instr.keyword_span().cover(subject),
                focus: Some(subject),
            };
        }
    }
    Diagnostic {
        rule: RULE_ID,
        severity: finding.severity,
        span: place.span,
        focus: place.focus,
        message: format!("{}: {}", finding.code, finding.message),
        related: Vec::new(),
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyse(text: &str) -> (SyntaxTree, Model) {
        let tree = crate::syntax::parse(text);
        let model = Model::build(&tree);
        (tree, model)
    }

    #[test]
    fn scripts_keep_their_positions_through_continuations_and_comments() {
        let text = "FROM debian:12\nRUN echo $a \\\n# a comment BuildKit drops\n    && ls $b\n";
        let (tree, model) = analyse(text);
        let s = scripts(text, &tree, &model);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text.len(), text.len() - s[0].start);
        // `$b` on the third line of the script
        let at = offset(&s[0], 3, 11).expect("in the script");
        assert_eq!(&text[at..at + 2], "$b");
        assert!(s[0].text.contains("                        \\\n"));
    }

    #[test]
    fn heredocs_are_checked_as_their_body() {
        let text = "FROM debian:12\nRUN <<EOF\nset -e\necho $x\nEOF\n";
        let (tree, model) = analyse(text);
        let s = scripts(text, &tree, &model);
        assert_eq!(s.len(), 1);
        let at = offset(&s[0], 2, 6).expect("in the body");
        assert_eq!(&text[at..at + 2], "$x");
    }

    #[test]
    fn non_posix_shells_and_exec_forms_are_skipped() {
        let text = "FROM mcr.microsoft.com/windows/servercore\nSHELL [\"powershell\", \"-Command\"]\nRUN echo $a\nFROM debian:12\nRUN [\"echo\", \"$a\"]\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo $a\n";
        let (tree, model) = analyse(text);
        let s = scripts(text, &tree, &model);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].shell, "bash");
        assert_eq!(s[0].instruction, 6);
    }

    #[test]
    fn crlf_instructions_are_skipped() {
        let text = "FROM debian:12\r\nRUN echo $a \\\r\n    && ls $b\r\n";
        let (tree, model) = analyse(text);
        assert_eq!(scripts(text, &tree, &model), []);
    }

    #[test]
    fn ignore_comments_name_sc_codes() {
        let text = "FROM debian:12\n# hadolint ignore=SC2086,DL3008\n# layerwise: ignore=SC2046\nRUN echo $a\n";
        let (tree, _) = analyse(text);
        assert_eq!(
            ignored_above(text, &tree, 1),
            ["SC2046", "SC2086", "DL3008"]
        );
    }

    /// Runs only where `shellcheck` is installed (CI installs it).
    #[test]
    fn findings_land_on_the_word_shellcheck_means() {
        if binary().is_none() {
            eprintln!("skipped: no shellcheck on PATH");
            return;
        }
        let text = "FROM debian:12\nRUN echo hi \\\n    && ls $dir\n# hadolint ignore=SC2086\nRUN ls $dir\n";
        let (tree, model) = analyse(text);
        let found = check(text, &tree, &model, &|| false);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code, "SC2086");
        assert_eq!(found[0].span.of(text), "$dir");
        assert_eq!(found[0].instruction, 1);
        assert_eq!(check(text, &tree, &model, &|| true), []);
    }
}
