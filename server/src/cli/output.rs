//! The report of `layerwise check` in each output format: `full` (the source line with the
//! range underlined, as rustc and ruff print), `concise` (one line per finding, for grep),
//! `json`, `json-lines`, `sarif`, `github` (workflow commands), `gitlab` (Code Quality),
//! `checkstyle` and `junit`.

use std::fmt::Write as _;
use std::path::PathBuf;

use annotate_snippets::{Level, Renderer, Snippet};
use clap::ValueEnum;

use crate::rules::{self, Diagnostic, Safety, Severity, RULES};
use crate::text::LineIndex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum OutputFormat {
    /// Each finding with its source lines, the range underlined, and its fix
    #[value(alias = "text")]
    Full,
    /// One line per finding: `path:line:col: severity[rule]: message`
    Concise,
    /// One JSON array (the documented contract)
    Json,
    /// One JSON object per line, with the keys of `json`
    JsonLines,
    /// SARIF 2.1.0, for code scanning (GitHub's upload-sarif)
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request
    Github,
    /// GitLab Code Quality report (JSON)
    Gitlab,
    /// Checkstyle XML
    Checkstyle,
    /// JUnit XML, one test case per finding (and one per clean file)
    Junit,
}

impl OutputFormat {
    /// The names, for an error message.
    pub(super) fn names() -> String {
        Self::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A file's findings, about `text` (the text after any fixes).
pub(super) struct FileReport {
    pub path: PathBuf,
    pub findings: Vec<Diagnostic>,
    pub text: String,
    /// (rule id, title) of every fix applied by `--fix`.
    pub applied: Vec<(&'static str, String)>,
}

pub(super) struct RenderOptions {
    pub format: OutputFormat,
    pub color: bool,
    /// Findings at this severity or above fail the check.
    pub fail_on: Severity,
    /// How many fixes `--fix` applied.
    pub fixed: usize,
    pub show_fixes: bool,
    pub statistics: bool,
}

/// 1-based line and column (in characters) of a finding's start and end.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn span_pos(index: &LineIndex<'_>, span: crate::syntax::Span) -> Pos {
    let (l, c) = index.line_col(span.start);
    let (el, ec) = index.line_col(span.end);
    Pos {
        line: l + 1,
        column: c + 1,
        end_line: el + 1,
        end_column: ec + 1,
    }
}

/// Every finding of every file with its position, in order.
fn located(reports: &[FileReport]) -> Vec<(&FileReport, &Diagnostic, Pos)> {
    let mut out = Vec::new();
    for r in reports {
        let index = LineIndex::new(&r.text);
        for d in &r.findings {
            out.push((r, d, span_pos(&index, d.span)));
        }
    }
    out
}

fn display(r: &FileReport) -> String {
    r.path.display().to_string()
}

/// The report in `opts.format`.
pub(super) fn render(reports: &[FileReport], opts: &RenderOptions) -> String {
    if opts.statistics {
        return statistics(reports, opts);
    }
    match opts.format {
        OutputFormat::Full | OutputFormat::Concise => text(reports, opts),
        OutputFormat::Json => {
            let items: Vec<serde_json::Value> = located(reports)
                .into_iter()
                .map(|(r, d, p)| json_item(r, d, p))
                .collect();
            pretty(&items)
        }
        OutputFormat::JsonLines => located(reports)
            .into_iter()
            .map(|(r, d, p)| format!("{}\n", json_item(r, d, p)))
            .collect(),
        OutputFormat::Sarif => sarif(reports),
        OutputFormat::Github => github(reports),
        OutputFormat::Gitlab => gitlab(reports),
        OutputFormat::Checkstyle => checkstyle(reports),
        OutputFormat::Junit => junit(reports, opts.fail_on),
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.ends_with('x')) {
        (1, _) => format!("{n} {word}"),
        (_, true) => format!("{n} {word}es"),
        (_, false) => format!("{n} {word}s"),
    }
}

fn summary(reports: &[FileReport], fixed: usize) -> String {
    let count: usize = reports.iter().map(|r| r.findings.len()).sum();
    let fixed = if fixed > 0 {
        format!(" ({} applied)", plural(fixed, "fix"))
    } else {
        String::new()
    };
    format!(
        "{} in {}{fixed}\n",
        plural(count, "problem"),
        plural(reports.len(), "file")
    )
}

fn text(reports: &[FileReport], opts: &RenderOptions) -> String {
    let mut out = String::new();
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for (r, d, p) in located(reports) {
        if opts.format == OutputFormat::Concise {
            let _ = writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}",
                display(r),
                p.line,
                p.column,
                d.severity.as_str(),
                d.rule,
                d.message
            );
        } else {
            let _ = writeln!(out, "{}\n", full(&renderer, r, d));
        }
    }
    if opts.show_fixes {
        for r in reports.iter().filter(|r| !r.applied.is_empty()) {
            let _ = writeln!(out, "Fixed in {}:", display(r));
            for (rule, title) in &r.applied {
                let _ = writeln!(out, "  {rule}: {title}");
            }
        }
    }
    out.push_str(&summary(reports, opts.fixed));
    out
}

/// One finding as rustc shows an error: the severity, rule and message, the lines of its
/// range with the range underlined, and its fix.
fn full(renderer: &Renderer, r: &FileReport, d: &Diagnostic) -> String {
    let text = r.text.as_str();
    let span = d.editor_span();
    let (start, end) = (span.start.min(text.len()), span.end.min(text.len()));
    // whole lines around the range
    let first = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let last = text[end..]
        .find('\n')
        .map_or(text.len(), |i| end + i)
        .max(first);
    let line_start = text[..first].matches('\n').count() + 1;
    let origin = display(r);
    // a tab as one blank and no CR before a line break, so that the underline stays under its
    // range (both are one byte, so the offsets hold)
    let source: String = text[first..last]
        .char_indices()
        .map(|(i, c)| match c {
            '\t' => ' ',
            '\r' if text[first + i + 1..].starts_with('\n') || first + i + 1 == last => ' ',
            c => c,
        })
        .collect();
    let level = match d.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Info,
        Severity::Hint => Level::Note,
    };
    let fix_note = d.fix.as_ref().map(|f| {
        let note = match f.safety {
            Safety::Safe => format!("fix (`--fix`): {}", f.title),
            Safety::Unsafe => format!("fix (`--fix --unsafe-fixes`): {}", f.title),
        };
        // after `  = help: `, which the renderer also puts before each further line
        wrap(&note, 10, 90)
    });
    let mut snippet = Snippet::source(&source)
        .line_start(line_start)
        .origin(&origin)
        .fold(true);
    if text.is_char_boundary(start) && text.is_char_boundary(end) {
        // an empty range (the end of the file) still gets a caret
        let range = (start - first)..(end - first).max(start - first + usize::from(start < last));
        snippet = snippet.annotation(level.span(range));
    }
    // `warning[rule-id]: ` comes before the first line
    let title = wrap(
        &d.message,
        d.severity.as_str().len() + d.rule.len() + 4,
        100,
    );
    let mut message = level.title(&title).id(d.rule).snippet(snippet);
    if let Some(note) = &fix_note {
        message = message.footer(Level::Help.title(note));
    }
    let rendered = renderer.render(message).to_string();
    rendered
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word stays
/// whole), the first one after `prefix` characters, later ones indented by two spaces.
fn wrap(text: &str, prefix: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = prefix;
    for word in text.split(' ') {
        let len = word.chars().count();
        if line_len > 2 && line_len + 1 + len > width {
            out.push_str("\n  ");
            line_len = 2;
        } else if !out.is_empty() {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

/// `--statistics`: how many findings each rule has, most first.
fn statistics(reports: &[FileReport], opts: &RenderOptions) -> String {
    let mut counts: Vec<(&'static str, Severity, usize, usize)> = Vec::new();
    for d in reports.iter().flat_map(|r| &r.findings) {
        let fixable = usize::from(d.fix.is_some());
        match counts.iter_mut().find(|c| c.0 == d.rule) {
            Some(c) => {
                c.2 += 1;
                c.3 += fixable;
            }
            None => counts.push((d.rule, d.severity, 1, fixable)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    if matches!(opts.format, OutputFormat::Json | OutputFormat::JsonLines) {
        let items: Vec<serde_json::Value> = counts
            .iter()
            .map(|(rule, severity, count, fixable)| {
                serde_json::json!({"rule": rule, "severity": severity.as_str(), "count": count, "fixable": fixable})
            })
            .collect();
        return pretty(&items);
    }
    let width = counts.iter().map(|c| c.0.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (rule, severity, count, fixable) in &counts {
        let fixable = if *fixable > 0 {
            format!("  ({fixable} with a fix)")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{count:5}  {rule:width$}  {:7}{fixable}",
            severity.as_str()
        );
    }
    out.push_str(&summary(reports, opts.fixed));
    out
}

fn json_item(r: &FileReport, d: &Diagnostic, p: Pos) -> serde_json::Value {
    let mut item = serde_json::json!({
        "file": display(r),
        "rule": d.rule,
        "severity": d.severity.as_str(),
        "line": p.line,
        "column": p.column,
        "end_line": p.end_line,
        "end_column": p.end_column,
        "message": d.message,
    });
    if let Some(fix) = &d.fix {
        let index = LineIndex::new(&r.text);
        let edits: Vec<serde_json::Value> = fix
            .edits
            .iter()
            .map(|e| {
                let p = span_pos(&index, e.span);
                serde_json::json!({
                    "line": p.line, "column": p.column, "end_line": p.end_line, "end_column": p.end_column,
                    "text": e.text,
                })
            })
            .collect();
        let creates: Vec<serde_json::Value> = fix
            .creates
            .iter()
            .map(|c| serde_json::json!({"path": c.path.display().to_string(), "text": c.text}))
            .collect();
        item["fix"] = serde_json::json!({
            "title": fix.title,
            "safety": match fix.safety { Safety::Safe => "safe", Safety::Unsafe => "unsafe" },
            "edits": edits,
            "creates": creates,
        });
    }
    item
}

fn sarif(reports: &[FileReport]) -> String {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            let mut rule = serde_json::json!({
                "id": m.id,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")},
                "defaultConfiguration": {"level": sarif_level(m.severity)},
            });
            if let Some(url) = rules::docs::rule_url(m.id) {
                rule["helpUri"] = url.into();
            }
            rule
        })
        .collect();
    let results: Vec<serde_json::Value> = located(reports)
        .into_iter()
        .map(|(r, d, p)| {
            serde_json::json!({
                "ruleId": d.rule,
                "level": sarif_level(d.severity),
                "message": {"text": d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": display(r).replace('\\', "/")},
                        "region": {"startLine": p.line, "startColumn": p.column, "endLine": p.end_line, "endColumn": p.end_column}
                    }
                }]
            })
        })
        .collect();
    pretty(&serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "layerwise", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results
        }]
    }))
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// GitHub Actions workflow commands (`::warning file=...,line=...::message`), escaped as the
/// runner unescapes them.
fn github(reports: &[FileReport]) -> String {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for (r, d, p) in located(reports) {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&display(r)),
            p.line,
            p.column,
            p.end_line,
            p.end_column,
            property(&format!("layerwise {}", d.rule)),
            data(&d.message)
        );
    }
    out
}

/// GitLab's Code Quality report: an array of issues with a description, check name,
/// fingerprint (unique and stable across runs), severity and location.
fn gitlab(reports: &[FileReport]) -> String {
    let mut seen: Vec<String> = Vec::new();
    let items: Vec<serde_json::Value> = located(reports)
        .into_iter()
        .map(|(r, d, p)| {
            // the file, the rule and the text of the finding's line, not its line number (nor
            // the message, which may name lines), so that a finding keeps its fingerprint when
            // lines are added above it; repeats are told apart by their order
            let line_text = r.text.lines().nth(p.line - 1).unwrap_or("");
            let key = format!("{}\0{}\0{}", display(r), d.rule, line_text.trim());
            let n = seen.iter().filter(|k| **k == key).count();
            seen.push(key.clone());
            let fingerprint = format!("{:016x}", fnv1a(format!("{key}\0{n}").as_bytes()));
            serde_json::json!({
                "description": d.message,
                "check_name": d.rule,
                "fingerprint": fingerprint,
                "severity": match d.severity {
                    Severity::Error => "critical",
                    Severity::Warning => "major",
                    Severity::Info => "minor",
                    Severity::Hint => "info",
                },
                "location": {
                    "path": display(r).replace('\\', "/"),
                    "positions": {
                        "begin": {"line": p.line, "column": p.column},
                        "end": {"line": p.end_line, "column": p.end_column}
                    }
                }
            })
        })
        .collect();
    pretty(&items)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Text for an XML attribute or element: the five entities, line breaks and tabs as character
/// references, and characters XML 1.0 cannot hold dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

const XML_HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn checkstyle(reports: &[FileReport]) -> String {
    let mut out = format!("{XML_HEADER}<checkstyle version=\"4.3\">\n");
    let located = located(reports);
    for r in reports {
        let _ = writeln!(out, "  <file name=\"{}\">", xml(&display(r)));
        for (_, d, p) in located.iter().filter(|(f, _, _)| std::ptr::eq(*f, r)) {
            let severity = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Hint => "info",
            };
            let _ = writeln!(
                out,
                "    <error line=\"{}\" column=\"{}\" severity=\"{severity}\" message=\"{}\" source=\"layerwise.{}\"/>",
                p.line,
                p.column,
                xml(&d.message),
                d.rule
            );
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

/// JUnit XML: a test suite per file, a test case per finding (a failure when it is at the
/// failure threshold, else a passing case that says what was found) and one passing case for a
/// file without findings.
fn junit(reports: &[FileReport], fail_on: Severity) -> String {
    let located = located(reports);
    let tests: usize = reports.iter().map(|r| r.findings.len().max(1)).sum();
    let failures = located
        .iter()
        .filter(|(_, d, _)| d.severity <= fail_on)
        .count();
    let mut out = format!(
        "{XML_HEADER}<testsuites name=\"layerwise\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n"
    );
    for r in reports {
        let name = xml(&display(r));
        let mine: Vec<_> = located
            .iter()
            .filter(|(f, _, _)| std::ptr::eq(*f, r))
            .collect();
        let failed = mine
            .iter()
            .filter(|(_, d, _)| d.severity <= fail_on)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
            mine.len().max(1)
        );
        if mine.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase name=\"no findings\" classname=\"{name}\" file=\"{name}\"/>"
            );
        }
        for (_, d, p) in mine {
            let case = format!(
                "    <testcase name=\"{}:{}:{} {}\" classname=\"{name}\" file=\"{name}\" line=\"{}\">",
                name, p.line, p.column, d.rule, p.line
            );
            let detail = format!(
                "{}:{}:{}: {}[{}]: {}",
                display(r),
                p.line,
                p.column,
                d.severity.as_str(),
                d.rule,
                d.message
            );
            if d.severity <= fail_on {
                let _ = writeln!(
                    out,
                    "{case}\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml(&d.message),
                    d.severity.as_str(),
                    xml(&detail)
                );
            } else {
                let _ = writeln!(
                    out,
                    "{case}\n      <system-out>{}</system-out>\n    </testcase>",
                    xml(&detail)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
