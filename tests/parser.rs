//! Parser conformance and robustness.
//!
//! 1. The fixtures in `tests/fixtures/parser/` (see its README): every `valid/` file parses with
//!    no syntax error into exactly the instructions BuildKit finds (count and line ranges); every
//!    `invalid/` file gets exactly one `syntax` diagnostic, where its `# expect:` comment says.
//! 2. Regression cases for the splitter's BuildKit rules and for inputs that once broke it.
//! 3. Property tests: an incremental parse through one [`SyntaxCache`] (one edit at a time, or
//!    several edits folded into one) equals a fresh parse;
//!    every span lies on char boundaries inside the text and inside its instruction; parsing
//!    never panics and stays fast on arbitrary text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use layerwise::model::context::NoContext;
use layerwise::rules::{self, Config};
use layerwise::syntax::instruction::{Args, Form, Instruction};
use layerwise::syntax::{self, Span, SyntaxCache, SyntaxError, SyntaxTree};
use layerwise::text::AppliedEdit;
use proptest::prelude::*;

/// The fuzz targets' invariants; this file uses their list of an instruction's spans.
#[path = "../server/fuzz/src/invariants.rs"]
mod invariants;
use invariants::instruction_spans;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parser")
}

/// The `.Dockerfile`s of a fixture folder, by file stem, sorted.
fn fixture_files(kind: &str) -> Vec<(String, String)> {
    let dir = fixtures().join(kind);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "Dockerfile"))
        .map(|p| {
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (
                stem,
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| panic!("{}: not UTF-8: {e}", p.display())),
            )
        })
        .collect();
    files.sort();
    files
}

/// `expected-counts.txt`: file stem -> instruction count.
fn expected_counts() -> BTreeMap<String, usize> {
    let path = fixtures().join("expected-counts.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (file, count) = l
                .split_once(' ')
                .unwrap_or_else(|| panic!("bad line `{l}`"));
            let stem = file.trim_end_matches(".Dockerfile").to_string();
            (
                stem,
                count
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("bad count in `{l}`")),
            )
        })
        .collect()
}

/// 1-based line and 1-based column in characters of a byte offset (a BOM is not a column).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let col_text = before[line_start..].trim_start_matches('\u{feff}');
    (line, col_text.chars().count() + 1)
}

/// 1-based first and last line of each instruction (heredoc bodies included).
fn line_ranges(text: &str, tree: &SyntaxTree) -> Vec<(usize, usize)> {
    tree.instructions
        .iter()
        .map(|i| {
            let span = i.span();
            (i.line as usize + 1, line_col(text, span.end).0)
        })
        .collect()
}

/// `"2-4"` -> (2, 4), `"3"` -> (3, 3).
fn parse_range(s: &str) -> (usize, usize) {
    let num = |n: &str| {
        n.parse::<usize>()
            .unwrap_or_else(|_| panic!("bad range `{s}`"))
    };
    match s.split_once('-') {
        Some((a, b)) => (num(a), num(b)),
        None => (num(s), num(s)),
    }
}

/// The diagnostics of the `syntax` rule, as the CLI and the server report them.
fn syntax_diagnostics(text: &str) -> Vec<rules::Diagnostic> {
    let tree = syntax::parse(text);
    rules::check(text, &tree, &NoContext, None, &Config::default())
        .into_iter()
        .filter(|d| d.rule == "syntax")
        .collect()
}

/// `# expect: <line>:<col> <description>` of an invalid fixture.
fn expectation(name: &str, text: &str) -> (usize, usize, String) {
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("# expect:"))
        .unwrap_or_else(|| panic!("{name}: no `# expect:` comment"));
    let (pos, description) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
    let (l, c) = pos
        .split_once(':')
        .unwrap_or_else(|| panic!("{name}: bad position `{pos}`"));
    let num = |n: &str| {
        n.parse::<usize>()
            .unwrap_or_else(|_| panic!("{name}: bad position `{pos}`"))
    };
    (num(l), num(c), description.to_string())
}

/// The logical text of each instruction: its segments joined (continuations removed).
fn logical_lines(text: &str) -> Vec<String> {
    syntax::split::split(text)
        .instructions
        .iter()
        .map(|i| i.segments.iter().map(|s| s.of(text)).collect())
        .collect()
}

/// All syntax errors of `text`, as `(line, col, message)`.
fn errors_at(text: &str) -> Vec<(usize, usize, String)> {
    syntax::parse(text)
        .errors()
        .map(|e| {
            let (l, c) = line_col(text, e.span.start);
            (l, c, e.message)
        })
        .collect()
}

#[track_caller]
fn assert_no_errors(text: &str) {
    let errors = errors_at(text);
    assert!(
        errors.is_empty(),
        "{text:?}: unexpected syntax errors {errors:?}"
    );
}

#[track_caller]
fn assert_one_error_at(text: &str, line: usize, col: usize) {
    let errors = errors_at(text);
    assert!(
        errors.len() == 1 && errors[0].0 == line && errors[0].1 == col,
        "{text:?}: expected one syntax error at {line}:{col}, got {errors:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Line ranges of the instructions of each `valid/` file, as BuildKit's parser (v0.12.5, through
/// the `dockerfile` package on `PyPI`) reports `start_line`-`end_line`.
const VALID_LINE_RANGES: &[&str] = &[
    "add-flags: 2 3 4 5 6",
    "arg-before-from: 1 2 3 4 5",
    "arg-forms: 1 2 3 4 5 6",
    "bom-utf8: 2 3-4",
    "cmd-entrypoint-forms: 1 2 3 5 6 7",
    "comment-ending-with-escape: 1 3",
    "comments-and-blank-lines: 3 9",
    "continuation-at-eof: 1 2",
    "continuation-basic: 1 2-4 5",
    "continuation-blank-line-inside: 1 2-6 7",
    "continuation-comment-inside: 1 2-6 7",
    "continuation-escaped-escape-char: 1 2 3",
    "continuation-lone-escape-line: 1 2-4",
    "continuation-then-blank-at-eof: 1 2-5",
    "continuation-trailing-whitespace: 1 2-3 4-5",
    "copy-add-json-form: 1 2 3 4",
    "copy-flags: 2 3 4 5 6 7 9 10",
    "crlf-line-endings: 1 2-3 4-6 7",
    "directive-after-blank-line: 3 4-5",
    "directive-after-comment: 3 4-5",
    "directive-after-instruction: 1 3-4",
    "directive-case-and-spacing: 3 4-5",
    "directive-syntax-check: 4 5",
    "directive-unknown-ends-scanning: 3 4-5",
    "env-forms: 1 2 3 4 5 6-7",
    "escape-backtick-windows: 3 4 5 6 7-9 10 11",
    "expose-forms: 1 2 3 4 5",
    "expose-host-mapping: 2 3",
    "from-platform-as: 1 2 3",
    "healthcheck-forms: 1 2-3 5 6 8 9",
    "heredoc-add: 1 2-4",
    "heredoc-after-continuation: 1 2-6",
    "heredoc-body-looks-like-dockerfile: 1 2-9 10",
    "heredoc-chomp-tabs: 1 2-5 6",
    "heredoc-copy: 1 2-5 6-9",
    "heredoc-custom-delimiter: 1 2-5",
    "heredoc-delimiter-exact-match: 1 2-7 8",
    "heredoc-not-detected: 1 2 3 4 5 6 7 8",
    "heredoc-onbuild: 1 2-4",
    "heredoc-quoted-double: 1 2 3-5",
    "heredoc-quoted-single: 1 2 3-5",
    "heredoc-run-basic: 2 3-7 8",
    "heredoc-run-interpreter: 1 2-5 6-9",
    "heredoc-terminator-no-final-newline: 1 2-4",
    "heredoc-two-on-one-line: 1 2-6 7",
    "indented-instructions: 1 2 3 5",
    "instruction-case-insensitive: 1 2 3 4 5 6 7",
    "json-escapes: 1 2 3 4 5 6",
    "json-single-quotes-is-shell-form: 1 2",
    "json-unterminated-is-shell-form: 1 2",
    "label-multi: 1 2-4 5",
    "maintainer: 1 2",
    "multi-stage-references: 1 2 4 5 7 8 10 11 12 13",
    "onbuild: 1 2 3 4 5",
    "run-flags: 2 3-7 8 9 10 11",
    "run-no-arguments: 1 2 3 4",
    "shell-form-starting-with-bracket: 1 2 3 4",
    "shell-json: 1 2 3",
    "stopsignal: 1 2 4 5",
    "tabs-as-separators: 1 2 3 4 5",
    "trailing-spaces: 1 2 3 4",
    "user-workdir: 1 2 3 4 5",
    "very-long-line: 1 2",
    "volume-forms: 1 2 3 4",
];

#[test]
fn every_valid_fixture_is_listed_with_a_count() {
    let counts = expected_counts();
    let files: Vec<String> = fixture_files("valid")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let listed: Vec<String> = counts.keys().cloned().collect();
    assert_eq!(files, listed, "valid/ and expected-counts.txt disagree");
    let ranged: Vec<String> = VALID_LINE_RANGES
        .iter()
        .map(|l| l.split_once(':').map_or(*l, |(n, _)| n).to_string())
        .collect();
    assert_eq!(files, ranged, "valid/ and VALID_LINE_RANGES disagree");
}

#[test]
fn valid_fixtures_parse_without_syntax_errors() {
    let mut failures = Vec::new();
    for (name, text) in fixture_files("valid") {
        let errors: Vec<SyntaxError> = syntax::parse(&text).errors().collect();
        if !errors.is_empty() {
            failures.push(format!("{name}: tree errors {errors:?}"));
        }
        let diagnostics = syntax_diagnostics(&text);
        if !diagnostics.is_empty() {
            let found: Vec<String> = diagnostics
                .iter()
                .map(|d| format!("{:?} {}", line_col(&text, d.span.start), d.message))
                .collect();
            failures.push(format!("{name}: `syntax` diagnostics {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_fixtures_have_the_expected_instruction_counts() {
    let counts = expected_counts();
    let mut failures = Vec::new();
    for (name, text) in fixture_files("valid") {
        let found = syntax::parse(&text).instructions.len();
        let expected = counts.get(&name).copied();
        if Some(found) != expected {
            failures.push(format!(
                "{name}: {found} instructions, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_fixtures_have_buildkits_line_ranges() {
    let files: BTreeMap<String, String> = fixture_files("valid").into_iter().collect();
    let mut failures = Vec::new();
    for entry in VALID_LINE_RANGES {
        let (name, ranges) = entry
            .split_once(':')
            .unwrap_or_else(|| panic!("bad entry `{entry}`"));
        let expected: Vec<(usize, usize)> = ranges.split_whitespace().map(parse_range).collect();
        let text = &files[name];
        let found = line_ranges(text, &syntax::parse(text));
        if found != expected {
            failures.push(format!("{name}: lines {found:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_fixtures_have_one_syntax_error_where_expected() {
    let mut failures = Vec::new();
    let files = fixture_files("invalid");
    assert!(!files.is_empty(), "no invalid fixtures");
    for (name, text) in files {
        let (line, col, description) = expectation(&name, &text);
        let diagnostics = syntax_diagnostics(&text);
        let found: Vec<(usize, usize, String)> = diagnostics
            .iter()
            .map(|d| {
                let (l, c) = line_col(&text, d.span.start);
                (l, c, d.message.clone())
            })
            .collect();
        if found.len() != 1 || (found[0].0, found[0].1) != (line, col) {
            failures.push(format!(
                "{name}: expected one error at {line}:{col} ({description}), got {found:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Fixture details the README spells out
// ---------------------------------------------------------------------------------------------

fn valid(name: &str) -> String {
    let path = fixtures().join("valid").join(format!("{name}.Dockerfile"));
    String::from_utf8(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("UTF-8")
}

#[test]
fn continuation_at_eof_stops_at_the_end() {
    let text = valid("continuation-at-eof");
    assert_eq!(logical_lines(&text)[1].trim_end(), "RUN echo last");
}

#[test]
fn crlf_heredoc_body_keeps_its_line_breaks() {
    let text = valid("crlf-line-endings");
    let split = syntax::split::split(&text);
    let copy = &split.instructions[2];
    assert_eq!(copy.heredocs.len(), 1);
    assert_eq!(copy.heredocs[0].body.of(&text), "hello\r\n");
    assert_eq!(copy.heredocs[0].terminator.of(&text), "EOF");
    assert_eq!(logical_lines(&text)[1], "RUN apk add --no-cache     curl");
}

#[test]
fn escape_directives_are_honoured_only_at_the_top() {
    let cases = [
        ("bom-utf8", '`'),
        ("directive-case-and-spacing", '`'),
        ("escape-backtick-windows", '`'),
        ("directive-after-blank-line", '\\'),
        ("directive-after-comment", '\\'),
        ("directive-after-instruction", '\\'),
        ("directive-unknown-ends-scanning", '\\'),
    ];
    for (name, escape) in cases {
        assert_eq!(syntax::split::split(&valid(name)).escape, escape, "{name}");
    }
    let split = syntax::split::split(&valid("directive-syntax-check"));
    let names: Vec<&str> = split.directives.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["syntax", "check"]);
    assert!(
        syntax::split::split(&valid("directive-unknown-ends-scanning"))
            .directives
            .is_empty()
    );
}

#[test]
fn lone_escape_line_keeps_the_continuation_going() {
    let text = valid("continuation-lone-escape-line");
    assert_eq!(logical_lines(&text)[1], "RUN echo a     b");
}

#[test]
fn json_fixtures_keep_their_forms() {
    // `['node', 'app.js']` is shell form for BuildKit: no syntax error, but flagged as broken JSON.
    let tree = syntax::parse(&valid("json-single-quotes-is-shell-form"));
    let cmd = &tree.instructions[1];
    assert!(matches!(cmd.args, Args::Command(Form::Shell(_))));
    assert!(cmd.broken_json.is_some());
    let tree = syntax::parse(&valid("json-escapes"));
    for located in tree.instructions.iter().skip(1) {
        assert!(
            matches!(located.args, Args::Command(Form::Exec { .. })),
            "line {}: {:?}",
            located.line + 1,
            located.args
        );
    }
}

// ---------------------------------------------------------------------------------------------
// BuildKit's line rules, one case each
// ---------------------------------------------------------------------------------------------

/// (text, logical line of each instruction)
const SPLIT_CASES: &[(&str, &[&str])] = &[
    // A comment line ending in the escape character does not continue.
    ("# note \\\nRUN a\n", &["RUN a"]),
    // Only the first line of an instruction is left-trimmed (Unicode spaces too).
    ("  RUN a \\\n    b\n", &["RUN a     b"]),
    ("\u{a0}\u{3000}RUN a\n", &["RUN a"]),
    // A continuation line of only Unicode spaces is an empty line: skipped.
    ("RUN a \\\n \u{a0} \nb\n", &["RUN a b"]),
    // An escaped escape character at the end is not a continuation; one escape is.
    ("RUN a\\\\\nRUN b\n", &["RUN a\\\\", "RUN b"]),
    ("RUN a\\\\\\\nRUN b\n", &["RUN a\\\\\\", "RUN b"]),
    ("RUN a \\\n\\\\\nRUN b\n", &["RUN a \\\\", "RUN b"]),
    // A lone escape character continues, at the top and inside a continuation.
    ("\\\nRUN b\n", &["RUN b"]),
    ("RUN a \\\n\\\nb\n", &["RUN a b"]),
    // Blanks after the escape are fine; a `\r` there is not a blank.
    ("RUN a \\ \t\nb\n", &["RUN a b"]),
    ("RUN a \\\r \nb\n", &["RUN a \\\r ", "b"]),
    // A continuation ending at the end of the file just stops.
    ("RUN a \\", &["RUN a "]),
    ("RUN a \\\n\n# c\n", &["RUN a "]),
    // `cat<<EOF` is not a heredoc, `cat <<EOF` is; a heredoc word may follow a continuation.
    ("RUN cat<<EOF\nEOF\n", &["RUN cat<<EOF", "EOF"]),
    (
        "RUN cat \\\n<<EOF\nx\nEOF\nRUN y\n",
        &["RUN cat <<EOF", "RUN y"],
    ),
    // Only exact delimiter lines close; `<<-` strips leading tabs (not spaces); trailing `\r`s go.
    (
        "RUN <<EOF\n EOF\nEOF \nEOFX\nEOF\nRUN y\n",
        &["RUN <<EOF", "RUN y"],
    ),
    (
        "RUN <<-EOF\n\t\tx\n\t\tEOF\nRUN y\n",
        &["RUN <<-EOF", "RUN y"],
    ),
    ("RUN <<-EOF\n  EOF\nEOF\nRUN y\n", &["RUN <<-EOF", "RUN y"]),
    ("RUN <<EOF\nx\nEOF\r\r\nRUN y\n", &["RUN <<EOF", "RUN y"]),
    // ONBUILD RUN/COPY/ADD carry heredocs; CMD and JSON forms do not.
    ("ONBUILD RUN <<EOF\nx\nEOF\n", &["ONBUILD RUN <<EOF"]),
    (
        "ONBUILD --x RUN <<EOF\nx\nEOF\n",
        &["ONBUILD --x RUN <<EOF"],
    ),
    ("CMD <<EOF\nEOF\n", &["CMD <<EOF", "EOF"]),
    // A line BuildKit's shell lexer cannot split (an unclosed quote or `${`) has no heredocs.
    ("RUN cat <<EOF \"x\nEOF\n", &["RUN cat <<EOF \"x", "EOF"]),
    ("RUN cat <<EOF ${x\nEOF\n", &["RUN cat <<EOF ${x", "EOF"]),
    (
        "RUN cat <<EOF ${x:-a} 'b'\nEOF\nRUN y\n",
        &["RUN cat <<EOF ${x:-a} 'b'", "RUN y"],
    ),
    // Unknown `#name=value` lines are comments and end directive scanning.
    ("# foo=bar\n# escape=`\nRUN a `\nb\n", &["RUN a `", "b"]),
];

#[test]
fn splitter_follows_buildkits_line_rules() {
    let mut failures = Vec::new();
    for (text, expected) in SPLIT_CASES {
        let found = logical_lines(text);
        if found != *expected {
            failures.push(format!("{text:?}: {found:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lone_escape_line_starts_the_instruction_on_its_line() {
    let text = "FROM a\n\\\nRUN b\n";
    let tree = syntax::parse(text);
    assert_eq!(line_ranges(text, &tree), [(1, 1), (2, 3)]);
    assert_eq!(tree.instructions[1].keyword_span().of(text), "RUN");
}

#[test]
fn directives_follow_buildkits_rules() {
    // ` # escape=x`: a directive after leading blanks; its value is checked.
    assert_one_error_at("  # escape=x\nFROM a\n", 1, 12);
    // The same directive twice: the second is reported at its name.
    assert_one_error_at("# syntax=a\n#  syntax=b\nFROM a\n", 2, 4);
    // `# escape= ` has a blank value, which BuildKit rejects.
    assert_one_error_at("# escape= \nFROM a\n", 1, 10);
    // Unknown directives end scanning, so a later duplicate is only a comment.
    assert_no_errors("# escape=\\\n# foo=bar\n# escape=`\nFROM a\n");
    // Directive names are case-insensitive.
    assert_one_error_at("# escape=\\\n# ESCAPE=`\nFROM a\n", 2, 3);
    // Blanks in the pattern are RE2's `\s`, without `\v`: no directive here, and a bad value there.
    assert_eq!(syntax::split::split("#\x0bescape=`\nFROM a\n").escape, '\\');
    assert_one_error_at("# escape=`\x0b\nFROM a\n", 1, 10);
}

#[test]
fn lines_longer_than_buildkits_limit_are_errors() {
    let ok = format!("FROM a\nRUN echo {}\n", "x".repeat(65_535 - 9));
    assert_no_errors(&ok);
    let too_long = format!("FROM a\nRUN echo {}\n", "x".repeat(65_536 - 9));
    assert_one_error_at(&too_long, 2, 1);
    // Heredoc body lines count too; so does a last line with no line break.
    let body = format!("FROM a\nRUN <<EOF\n{}\nEOF\n", "y".repeat(70_000));
    assert_one_error_at(&body, 3, 1);
    let last = format!("FROM a\nRUN echo {}", "x".repeat(65_536 - 9));
    assert_one_error_at(&last, 2, 1);
    let crlf = format!("FROM a\r\nRUN echo {}\r\n", "x".repeat(65_535 - 9));
    assert_one_error_at(&crlf, 2, 1);
}

#[test]
fn errors_point_at_the_offending_token() {
    assert_one_error_at("FROM a\nRUN <<EOF\nx\n", 2, 5);
    assert_one_error_at("FROM a\nRUN cat <<A <<B\nx\nA\n", 2, 13);
    assert_one_error_at("FROM a\nCOPY --from=a --from=b x y\n", 2, 15);
    assert_one_error_at("FROM a\nCOPY --link=yes x y\n", 2, 13);
    assert_one_error_at("FROM a\nCMD --help\n", 2, 5);
    assert_one_error_at("FROM a\nCMD [\"a\", [\"b\"]]\n", 2, 11);
    assert_one_error_at("FROM a\nVOLUME [\"/a\", null]\n", 2, 15);
    assert_one_error_at("FROM a AS b c\n", 1, 13);
    assert_one_error_at("FROM a AS $X\n", 1, 11);
    assert_one_error_at("FROM a\nHEALTHCHECK --retries=x CMD true\n", 2, 23);
    assert_one_error_at("FROM a\nHEALTHCHECK --interval=1ns CMD true\n", 2, 24);
    // The keyword ends at an ASCII blank only: `RUN\u{a0}echo` is one (unknown) word.
    assert_one_error_at("FROM a\nRUN\u{a0}echo\n", 2, 1);
}

#[test]
fn buildkit_accepts_these() {
    for text in [
        "FROM a\nLABEL maintainer John Doe\n",
        "FROM a\nHEALTHCHECK --interval=abc NONE\n",
        "FROM a\nHEALTHCHECK --interval=0 CMD true\n",
        "FROM a\nCMD -- --help\n",
        "FROM a\nCOPY --exclude=a --exclude=b x y\n",
        "FROM a\nCOPY --link=false x y\n",
        "FROM a\nRUN --mount=type=cache,target=/a --mount=type=cache,target=/b true\n",
        "FROM a\nCMD [\"a\", \"\\ud83d\\ude00\"]\n",
        "FROM a\nENV A=1 \\\n  B=2\n",
        "FROM a\nARG A B=2\n",
        "FROM a\nRUN\n",
        "FROM a\nCMD [\"a\\tb\"]\n",
        // An escape character at the very end of ENV's arguments is dropped, not a word.
        "FROM a\nENV A=1 \\\u{3000}\n",
        // Flags follow ASCII blanks only: here `--x` is the legacy ENV key.
        "FROM a\nENV \u{3000}--x value\n",
    ] {
        assert_no_errors(text);
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: inputs that once panicked or disagreed
// ---------------------------------------------------------------------------------------------

#[test]
fn spans_end_on_multibyte_characters() {
    // A span ending in a multi-byte character once ran past it (into the next character, or
    // past the end of the text).
    let text = "FROM a\nENV A=é\nWORKDIR 😀";
    let tree = syntax::parse(text);
    let Args::KeyValues(kvs) = &tree.instructions[1].args else {
        panic!("{:?}", tree.instructions[1].args)
    };
    assert_eq!(tree.instructions[1].abs(kvs[0].span).of(text), "A=é");
    let Args::Text(dir) = &tree.instructions[2].args else {
        panic!("{:?}", tree.instructions[2].args)
    };
    assert_eq!(tree.instructions[2].abs(dir.span).of(text), "😀");
    assert_eq!(misplaced_span("😀", &syntax::parse("😀")), None);
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    // (text, instructions): the unclosed `${` leaves `<<EOF` no heredoc, so `EOF` is a third.
    for (text, count) in [
        (format!("FROM a\nCMD {}\n", "[".repeat(100_000)), 2),
        (format!("FROM a\nCMD [{}\n", "[1,".repeat(30_000)), 2),
        (
            format!("FROM a\nRUN {}<<EOF\nEOF\n", "${a:-".repeat(30_000)),
            3,
        ),
        (format!("FROM a\nRUN {}\n", "$(".repeat(30_000)), 2),
    ] {
        assert_eq!(syntax::parse(&text).instructions.len(), count);
    }
}

#[test]
fn deep_onbuild_chains_do_not_overflow_the_stack() {
    let text = format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(50_000 / 8));
    let tree = syntax::parse(&text);
    assert_eq!(tree.instructions.len(), 2);
    assert!(tree.errors().count() >= 1);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Pieces that exercise the splitter and the parsers.
const SNIPPETS: &[&str] = &[
    "FROM ",
    "RUN ",
    "COPY ",
    "ADD ",
    "CMD ",
    "ENV ",
    "ARG ",
    "LABEL ",
    "ONBUILD ",
    "HEALTHCHECK ",
    "SHELL ",
    "EXPOSE ",
    "VOLUME ",
    "WORKDIR ",
    "USER ",
    "ENTRYPOINT ",
    "NONE ",
    "AS ",
    "alpine",
    " x",
    "a=b ",
    "--from=a ",
    "--mount=type=cache,target=/x ",
    "--interval=5s ",
    "--link ",
    "\\\n",
    "\\",
    "`\n",
    "`",
    "\n",
    "\r\n",
    "\r",
    "<<EOF\n",
    "<<-EOF\n",
    "<<'EOF'\n",
    "EOF\n",
    "\tEOF\n",
    "<<",
    "\"",
    "'",
    "#",
    "# escape=`\n",
    "# escape=\\\n",
    "# syntax=x\n",
    "# check=skip=all\n",
    "[\"a\", \"b\"]",
    "[",
    "]",
    ",",
    "1",
    "$(",
    ")",
    "${",
    "}",
    "&&",
    "||",
    ";",
    "|",
    " ",
    "\t",
    "😀",
    "日本語",
    "é",
    "\u{feff}",
    "\u{a0}",
    "\u{3000}",
    "=",
    "--",
    "-",
    "pip install -r r.txt ",
    "apt-get update ",
    "if ",
    "then ",
    "fi ",
    "\\u00e9",
    "null",
];

fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(SNIPPETS).prop_map(str::to_string),
        1 => "[ -~]{0,6}",
        1 => any::<char>().prop_map(String::from),
    ]
}

fn dockerish_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(snippet(), 0..40).prop_map(|v| v.concat())
}

/// An edit: at a fraction of the text, delete some bytes and insert a snippet.
#[derive(Debug, Clone)]
struct Edit {
    at: f64,
    delete: usize,
    insert: String,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        0.0..=1.0f64,
        prop_oneof![3 => Just(0usize), 1 => 0usize..12],
        proptest::collection::vec(snippet(), 0..3),
    )
        .prop_map(|(at, delete, insert)| Edit {
            at,
            delete,
            insert: insert.concat(),
        })
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, edit: &Edit) -> AppliedEdit {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let start = floor_boundary(text, (edit.at * text.len() as f64) as usize);
    let end = floor_boundary(text, start + edit.delete).max(start);
    text.replace_range(start..end, &edit.insert);
    AppliedEdit {
        start,
        old_end: end,
        new_end: start + edit.insert.len(),
    }
}

/// Lines of Dockerfiles with continuations, heredocs, comments, blank lines and CRLF, for
/// longer texts with many instructions (the incremental split re-synchronises between them).
const LINES: &[&str] = &[
    "FROM alpine AS a\n",
    "FROM a\n",
    "RUN apt-get update \\\n",
    "    && apt-get install -y x \\\n",
    "    y \\\n",
    "    z\n",
    "  # a comment in a continuation\n",
    "\n",
    "\r\n",
    "   \n",
    "# a comment\n",
    "RUN <<EOF\n",
    "COPY <<-EOT /x\n",
    "echo hi\n",
    "EOF\n",
    "\tEOT\n",
    "RUN echo one\r\n",
    "ENV A=1 \\\n",
    "    B=2\n",
    "COPY . /app\n",
    "RUN pip install -r requirements.txt\n",
    "WORKDIR app\n",
    "CMD [\"x\"]\n",
    "\\\n",
    "ONBUILD RUN <<X\n",
    "X\n",
];

fn dockerfile_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![3 => Just(""), 1 => Just("# syntax=x\n"), 1 => Just("# escape=`\n")],
        proptest::collection::vec(proptest::sample::select(LINES), 0..60),
    )
        .prop_map(|(top, lines)| format!("{top}{}", lines.concat()))
}

/// An edit of a line-based text: insert or delete whole lines, or type at a line.
fn line_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => edit(),
        1 => (0.0..=1.0f64, proptest::sample::select(LINES)).prop_map(|(at, line)| Edit {
            at,
            delete: 0,
            insert: line.to_string(),
        }),
    ]
}

/// `edit` moved to the start of the line it falls in, so that whole lines come and go.
fn at_line_start(text: &str, edit: &Edit) -> Edit {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let at = floor_boundary(text, (edit.at * text.len() as f64) as usize);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    #[allow(clippy::cast_precision_loss)]
    let fraction = if text.is_empty() {
        0.0
    } else {
        start as f64 / text.len() as f64
    };
    Edit {
        at: fraction,
        ..edit.clone()
    }
}

/// What must be equal between an incremental and a fresh parse.
fn observable(
    tree: &SyntaxTree,
) -> (
    Vec<(usize, u32, Instruction)>,
    Vec<SyntaxError>,
    syntax::SplitFile,
) {
    let instructions = tree
        .instructions
        .iter()
        .map(|l| (l.offset, l.line, (*l.parsed).clone()))
        .collect();
    (instructions, tree.errors().collect(), tree.split.clone())
}

/// Check that every span of `tree` is well placed in `text`; a message when one is not.
fn misplaced_span(text: &str, tree: &SyntaxTree) -> Option<String> {
    let fits = |s: Span| {
        s.start <= s.end
            && s.end <= text.len()
            && text.is_char_boundary(s.start)
            && text.is_char_boundary(s.end)
    };
    for d in &tree.split.directives {
        for s in [d.span, d.value_span] {
            if !fits(s) {
                return Some(format!("directive span {s:?}"));
            }
        }
    }
    for c in &tree.split.comments {
        if !fits(c.span) {
            return Some(format!("comment span {:?}", c.span));
        }
    }
    for e in tree.errors() {
        if !fits(e.span) {
            return Some(format!("error span {:?} ({})", e.span, e.message));
        }
    }
    for (raw, located) in tree.split.instructions.iter().zip(&tree.instructions) {
        let outer = located.span();
        if !fits(outer) || outer != raw.span {
            return Some(format!("instruction span {outer:?} (raw {:?})", raw.span));
        }
        let inside = |s: Span| fits(s) && outer.start <= s.start && s.end <= outer.end;
        for s in raw
            .segments
            .iter()
            .chain(raw.heredocs.iter().flat_map(|h| [&h.body, &h.terminator]))
        {
            if !inside(*s) {
                return Some(format!("raw span {s:?} outside {outer:?}"));
            }
        }
        let mut spans = Vec::new();
        instruction_spans(&located.parsed, &mut spans);
        for (what, rel) in spans {
            let abs = located.abs(rel);
            if !inside(abs) {
                return Some(format!("{what} span {abs:?} outside instruction {outer:?}"));
            }
        }
    }
    None
}

/// 512 cases per property, or `PROPTEST_CASES` when set (for a long local run).
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        512
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..default
    }
}

proptest! {
    #![proptest_config(config())]

    /// Reusing one cache across edits gives exactly what a fresh parse of the final text gives,
    /// after every edit.
    #[test]
    fn incremental_parse_equals_fresh_parse(start in dockerish_text(), edits in proptest::collection::vec(edit(), 1..12)) {
        let mut cache = SyntaxCache::default();
        let mut text = start;
        let _ = cache.parse(&text);
        for e in &edits {
            let applied = apply(&mut text, e);
            let incremental = cache.update(&text, applied);
            let fresh = syntax::parse(&text);
            prop_assert_eq!(observable(incremental), observable(&fresh), "text {:?}", text);
        }
    }

    /// The first error of a rewrite, found by parsing only the instructions the old text did not
    /// parse cleanly, is the first error of a fresh parse (what the restructuring fixes check).
    #[test]
    fn first_error_of_a_rewrite_equals_a_fresh_parses(
        start in prop_oneof![dockerfile_text(), dockerish_text()],
        edits in proptest::collection::vec(line_edit(), 1..6),
    ) {
        let old = syntax::parse(&start);
        let mut text = start.clone();
        for e in &edits {
            let _ = apply(&mut text, e);
            prop_assert_eq!(
                syntax::first_error_after(&start, &old, &text),
                syntax::parse(&text).errors().next(),
                "text {:?}", text
            );
        }
    }

    /// A rewrite parsed reusing the old tree's instructions (what the equivalence check of the
    /// fixes does) is what a fresh parse gives.
    #[test]
    fn a_parse_reusing_instructions_equals_a_fresh_parse(
        start in prop_oneof![dockerfile_text(), dockerish_text()],
        edits in proptest::collection::vec(line_edit(), 1..6),
    ) {
        let old = syntax::parse(&start);
        let mut text = start.clone();
        for e in &edits {
            let _ = apply(&mut text, e);
            let reused = syntax::parse_reusing(&start, &old, &text);
            prop_assert_eq!(observable(&reused), observable(&syntax::parse(&text)), "text {:?}", text);
        }
    }

    /// The same on longer line-based texts, with whole lines inserted and deleted, and with
    /// several edits folded into one update (as for a `didChange` with several changes).
    #[test]
    fn incremental_parse_of_line_edits_equals_fresh_parse(
        start in dockerfile_text(),
        edits in proptest::collection::vec((line_edit(), any::<bool>(), any::<bool>()), 1..16),
    ) {
        let mut cache = SyntaxCache::default();
        let mut text = start;
        let _ = cache.parse(&text);
        let mut pending: Option<AppliedEdit> = None;
        for (e, whole_line, analyse) in &edits {
            let e = if *whole_line { at_line_start(&text, e) } else { e.clone() };
            let len_before = text.len();
            let applied = apply(&mut text, &e);
            // fold into the edits not analysed yet: keep what both left alone at both ends
            pending = Some(match pending {
                None => applied,
                Some(p) => {
                    let old_len = p.old_end + (len_before - p.new_end);
                    let suffix = (len_before - p.new_end).min(len_before - applied.old_end);
                    AppliedEdit {
                        start: p.start.min(applied.start),
                        old_end: old_len - suffix,
                        new_end: text.len() - suffix,
                    }
                }
            });
            if *analyse {
                let edit = pending.take().unwrap_or(applied);
                let incremental = cache.update(&text, edit);
                let fresh = syntax::parse(&text);
                prop_assert_eq!(observable(incremental), observable(&fresh), "text {:?} after {:?}", text, edit);
            }
        }
        if let Some(edit) = pending {
            let incremental = cache.update(&text, edit);
            prop_assert_eq!(observable(incremental), observable(&syntax::parse(&text)), "text {:?}", text);
        }
    }

    /// Spans lie on char boundaries, inside the text and inside their instruction.
    #[test]
    fn spans_are_well_placed(text in dockerish_text()) {
        let tree = syntax::parse(&text);
        prop_assert_eq!(misplaced_span(&text, &tree), None, "text {:?}", text);
    }

    /// Never panics, never slow, on arbitrary strings.
    #[test]
    fn parse_never_panics_on_any_string(text in any::<String>()) {
        let started = Instant::now();
        let tree = syntax::parse(&text);
        prop_assert!(started.elapsed() < Duration::from_secs(1));
        prop_assert_eq!(misplaced_span(&text, &tree), None, "text {:?}", text);
    }

    /// The same, on long Dockerfile-like text.
    #[test]
    fn parse_never_panics_on_dockerish_text(parts in proptest::collection::vec(dockerish_text(), 1..20)) {
        let text = parts.concat();
        let started = Instant::now();
        let _ = syntax::parse(&text);
        prop_assert!(started.elapsed() < Duration::from_secs(1));
    }
}
