//! The command line: `layerwise check`, `layerwise format`, `layerwise rules`, `layerwise rule ID`.
//!
//! The only module that prints. Exit codes: 0 when nothing at warning or above was found, 1 when
//! something was, 2 on usage or I/O errors (with the reason on stderr).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::model::context::{BuildContext, FsContext};
use crate::rules::config::{find_config_file, Config, Level};
use crate::rules::{self, Diagnostic, Severity, RULES};
use crate::text::LineIndex;
use crate::{fix, syntax};

const USAGE: &str = "\
layerwise: a Dockerfile linter and language server that makes images small and builds fast

Usage:
  layerwise check [OPTIONS] [PATH...]   check Dockerfiles (PATH: a file or a folder; default .)
  layerwise format [--check] [--diff] [PATH...]
                                        format Dockerfiles in place (--check: only report
                                        the files that would change; --diff: show the changes)
  layerwise rules                       list every rule
  layerwise rule ID                     print a rule's documentation
  layerwise lsp [--stdio]               serve the Language Server Protocol on stdio

Options for check:
  --format text|json|sarif   output format (default text)
  --context DIR              build context (default: each Dockerfile's folder)
  --select RULE[,RULE]       run only these rules
  --ignore RULE[,RULE]       turn these rules off
  --config FILE              read rule settings from FILE instead of the nearest .layerwise.toml
  --target STAGE             the stage that ships (as `docker build --target`; default: the last)
  --fix                      apply the safe fixes in place (and create missing .dockerignore files)
  --unsafe-fixes             with --fix or --diff: apply the restructuring fixes too
  --diff                     show the fixes as a unified diff instead of writing them

Exit status: 0 nothing at warning or above (format: nothing to change, or formatted), 1 findings
(format --check or --diff: a file would change), 2 usage or I/O error.";

/// An error for the user: printed on stderr, exit code 2.
struct Fail(String);

/// Entry point for everything but `lsp`.
#[must_use]
pub fn main(args: &[String]) -> ExitCode {
    let result = match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("format") => format(&args[1..]),
        Some("rules") => Ok(list_rules()),
        Some("rule") => rule_doc(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some("-V" | "--version") => {
            println!("layerwise {}", env!("CARGO_PKG_VERSION"));
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(Fail(format!("unknown command `{other}`\n\n{USAGE}"))),
    };
    match result {
        Ok(code) => code,
        Err(Fail(message)) => {
            eprintln!("layerwise: {message}");
            ExitCode::from(2)
        }
    }
}

fn list_rules() -> ExitCode {
    let width = RULES.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
    for rule in RULES {
        let m = rule.meta();
        println!("{:width$}  {:7}  {}", m.id, m.severity.as_str(), m.summary);
    }
    ExitCode::SUCCESS
}

fn rule_doc(args: &[String]) -> Result<ExitCode, Fail> {
    let [id] = args else {
        return Err(Fail(
            "usage: layerwise rule ID (see `layerwise rules`)".into(),
        ));
    };
    let meta = rules::lookup(id)
        .ok_or_else(|| Fail(format!("unknown rule `{id}`; `layerwise rules` lists them")))?;
    print!("{}", rules::docs::rule_markdown(meta));
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Sarif,
}

struct CheckArgs {
    paths: Vec<PathBuf>,
    format: Format,
    context: Option<PathBuf>,
    select: Vec<String>,
    ignore: Vec<String>,
    config: Option<PathBuf>,
    target: Option<String>,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
}

fn parse_check_args(args: &[String]) -> Result<CheckArgs, Fail> {
    let mut out = CheckArgs {
        paths: Vec::new(),
        format: Format::Text,
        context: None,
        select: Vec::new(),
        ignore: Vec::new(),
        config: None,
        target: None,
        fix: false,
        unsafe_fixes: false,
        diff: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |flag: &str| -> Result<String, Fail> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| Fail(format!("`{flag}` needs a value")))
        };
        match name {
            "--format" => {
                out.format = match value("--format")?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    other => {
                        return Err(Fail(format!(
                            "unknown format `{other}`; expected text, json or sarif"
                        )))
                    }
                }
            }
            "--context" => out.context = Some(PathBuf::from(value("--context")?)),
            "--select" => out
                .select
                .extend(value("--select")?.split(',').map(str::to_string)),
            "--ignore" => out
                .ignore
                .extend(value("--ignore")?.split(',').map(str::to_string)),
            "--config" => out.config = Some(PathBuf::from(value("--config")?)),
            "--target" => out.target = Some(value("--target")?),
            "--fix" => out.fix = true,
            "--unsafe-fixes" => out.unsafe_fixes = true,
            "--diff" => out.diff = true,
            "-h" | "--help" => return Err(Fail(USAGE.to_string())),
            flag if flag.starts_with('-') && flag != "-" => {
                return Err(Fail(format!(
                    "unknown option `{flag}`; see `layerwise --help`"
                )))
            }
            path => out.paths.push(PathBuf::from(path)),
        }
    }
    if out.paths.is_empty() {
        out.paths.push(PathBuf::from("."));
    }
    Ok(out)
}

/// A file's findings, rendered with positions.
struct FileReport {
    path: PathBuf,
    findings: Vec<(Diagnostic, Pos)>,
    /// The text the positions refer to (after fixes).
    index_text: String,
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

/// Write the fixed text (atomically) and the files fixes create (never overwriting one).
/// `layerwise format`: the editor's formatter ([`crate::ide::format`]) over files, continuation
/// lines indented with four spaces.
fn format(args: &[String]) -> Result<ExitCode, Fail> {
    let (mut check, mut diff, mut paths) = (false, false, Vec::new());
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            "--diff" => diff = true,
            other if other.starts_with('-') => {
                return Err(Fail(format!(
                    "unknown option `{other}` for format\n\n{USAGE}"
                )))
            }
            path => paths.push(PathBuf::from(path)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let mut files = Vec::new();
    for path in &paths {
        collect(path, &mut files)?;
    }
    let (mut changed, mut out) = (0, String::new());
    for file in &files {
        let bytes = std::fs::read(file)
            .map_err(|e| Fail(format!("{}: cannot read: {e}", file.display())))?;
        let text = decode(file, bytes)?;
        let formatted = guarded(file, || crate::ide::format::format_text(&text, "    "))?;
        if formatted == text {
            continue;
        }
        changed += 1;
        if diff {
            let name = diff_name(file);
            let unified = similar::TextDiff::from_lines(&text, &formatted);
            let _ = write!(
                out,
                "{}",
                unified
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{name}"), &format!("b/{name}"))
            );
        } else if check {
            let _ = writeln!(out, "would reformat {}", file.display());
        } else {
            fix::write_atomically(file, &formatted).map_err(|e| {
                Fail(format!(
                    "{}: cannot write the formatted file: {e}; the file is unchanged",
                    file.display()
                ))
            })?;
        }
    }
    let unchanged = files.len() - changed;
    let plural = |n: usize| if n == 1 { "file" } else { "files" };
    let summary = if check || diff {
        format!(
            "{changed} {} would be reformatted, {unchanged} already formatted",
            plural(changed)
        )
    } else {
        format!(
            "{changed} {} reformatted, {unchanged} already formatted",
            plural(changed)
        )
    };
    print!("{out}");
    if diff {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    let _ = std::io::stdout().flush();
    Ok(if (check || diff) && changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the fixed file and the files the fixes create; `false` when the file was skipped
/// (read-only, or changed on disk since it was read: said on stderr, nothing written).
fn apply_to_disk(
    file: &Path,
    before: &str,
    fixed: &fix::Fixed,
    read: &fix::Snapshot,
) -> Result<bool, Fail> {
    if fixed.text != before {
        match fix::replace_file(file, &fixed.text, Some(read)) {
            Ok(()) => {}
            Err(skip @ (fix::WriteError::ReadOnly | fix::WriteError::Changed)) => {
                eprintln!("{}: {skip}", file.display());
                return Ok(false);
            }
            Err(e) => {
                return Err(Fail(format!(
                    "{}: cannot write the fixed file: {e}; the file is unchanged",
                    file.display()
                )))
            }
        }
    }
    for new in &fixed.creates {
        if new.path.exists() {
            continue;
        }
        fix::write_atomically(&new.path, &new.text)
            .map_err(|e| Fail(format!("{}: cannot write: {e}", new.path.display())))?;
    }
    Ok(true)
}

/// A unified diff of what the fixes would change, created files included.
fn render_diff(file: &Path, before: &str, fixed: &fix::Fixed) -> String {
    let mut out = String::new();
    if fixed.text != before {
        let name = diff_name(file);
        let diff = similar::TextDiff::from_lines(before, &fixed.text);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
        );
    }
    for new in &fixed.creates {
        if new.path.exists() {
            continue;
        }
        let name = diff_name(&new.path);
        let diff = similar::TextDiff::from_lines("", &new.text);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff()
                .header("/dev/null", &format!("b/{name}"))
        );
    }
    out
}

/// A path as `git apply` takes it in a diff header: relative to the current folder when it is
/// inside it, with no `.` parts (`./.dockerignore` -> `.dockerignore`) and `/` separators.
fn diff_name(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let inside = |p: &Path| -> Option<PathBuf> {
        let cwd = cwd.as_ref()?;
        if let Ok(r) = p.strip_prefix(cwd) {
            return Some(r.to_path_buf());
        }
        // through symlinks; a created file does not exist yet, so its folder is resolved
        let real_cwd = cwd.canonicalize().ok()?;
        let folder = p.parent()?.canonicalize().ok()?;
        Some(folder.strip_prefix(&real_cwd).ok()?.join(p.file_name()?))
    };
    let rel = if path.is_absolute() {
        inside(path).unwrap_or_else(|| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    rel.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// 1-based line and column (in characters) of a finding's start and end.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn check(args: &[String]) -> Result<ExitCode, Fail> {
    let args = parse_check_args(args)?;
    let mut cli_config = Config::default();
    if !args.select.is_empty() {
        cli_config
            .select(&args.select)
            .map_err(|e| Fail(e.message))?;
    }
    for id in &args.ignore {
        cli_config
            .set(id, Level::Off)
            .map_err(|e| Fail(e.message))?;
    }
    if let Some(target) = &args.target {
        cli_config.set_target(target);
    }
    let explicit_config = match &args.config {
        Some(path) => Some(load_config(path)?),
        None => None,
    };

    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }

    let mut reports = Vec::new();
    let mut diffs = String::new();
    let mut changed = false;
    let mut fixed_count = 0;
    for file in files {
        let bytes = std::fs::read(&file)
            .map_err(|e| Fail(format!("{}: cannot read: {e}", file.display())))?;
        let snapshot = fix::Snapshot::taken(&file, &bytes);
        let text = decode(&file, bytes)?;
        let folder = file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let folder = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        };
        let mut config = match &explicit_config {
            Some(c) => c.clone(),
            None => match find_config_file(&absolute(&folder)) {
                Some(path) => load_config(&path)?,
                None => Config::default(),
            },
        };
        config.merge(&cli_config);
        let context_root = args.context.clone().unwrap_or(folder);
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let context = FsContext::new(context_root, name);
        let mut text = text;
        if args.fix || args.diff {
            let fixed = guarded(&file, || {
                fix::fix_all(&text, &context, Some(&file), &config, args.unsafe_fixes)
            })?;
            if args.diff {
                diffs.push_str(&render_diff(&file, &text, &fixed));
                changed |= fixed.text != text || !fixed.creates.is_empty();
            } else if apply_to_disk(&file, &text, &fixed, &snapshot)? {
                fixed_count += fixed.applied.len();
                text = fixed.text;
            }
        }
        let mut skipped = context.skipped();
        // a created .dockerignore is now on disk: ask the file system afresh
        let context = FsContext::new(
            context
                .root()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            file.file_name().map(|n| n.to_string_lossy().into_owned()),
        );
        let diagnostics = guarded(&file, || {
            let tree = syntax::parse(&text);
            rules::check(&text, &tree, &context, Some(&file), &config)
        })?;
        // FIFOs, devices and oversized files of the context were not read: say so
        for note in context.skipped() {
            if !skipped.contains(&note) {
                skipped.push(note);
            }
        }
        for note in skipped {
            eprintln!("warning: {note}");
        }
        let index = LineIndex::new(&text);
        let findings = diagnostics
            .into_iter()
            .map(|d| {
                let pos = span_pos(&index, d.span);
                (d, pos)
            })
            .collect();
        reports.push(FileReport {
            path: file,
            findings,
            index_text: text,
        });
    }

    if args.diff {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(diffs.as_bytes());
        let _ = stdout.flush();
        return Ok(if changed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }

    let rendered = match args.format {
        Format::Text => render_text(&reports, fixed_count),
        Format::Json => render_json(&reports),
        Format::Sarif => render_sarif(&reports),
    };
    let mut stdout = std::io::stdout().lock();
    // a closed pipe (`| head`) is not an error worth a panic
    let _ = stdout.write_all(rendered.as_bytes());
    let _ = stdout.flush();
    let failing = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|(d, _)| d.severity <= Severity::Warning);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs the analysis or the fixes of one file. Each rule already runs under `catch_unwind`; this
/// catches a panic anywhere else (a bug) and turns it into an error naming the file (exit 2)
/// instead of a crash.
fn guarded<T>(file: &Path, f: impl FnOnce() -> T) -> Result<T, Fail> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        Fail(format!(
            "{}: internal error while checking this file (a bug; please report it with the file)",
            file.display()
        ))
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn load_config(path: &Path) -> Result<Config, Fail> {
    // a FIFO or a device named `.layerwise.toml` is refused, not read forever
    let bytes = crate::model::context::read_regular(path, 1 << 20).map_err(|why| {
        let reason = match why {
            crate::model::context::Unread::Missing(e) => e.to_string(),
            other => other.reason().unwrap_or_default(),
        };
        Fail(format!("{}: cannot read: {reason}", path.display()))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Fail(format!("{}: cannot read: {e}", path.display())))?;
    Config::from_toml(&text).map_err(|e| Fail(format!("{}: {}", path.display(), e.message)))
}

/// The file's text; invalid UTF-8 is an error that says where (line and column in characters,
/// as in the findings).
fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, Fail> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Fail(format!(
                "{}:1:1: the file is UTF-16, not UTF-8; save it as UTF-8",
                path.display()
            ));
        }
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        // the bytes before `at` are valid UTF-8
        let col = std::str::from_utf8(&bytes[line_start..at])
            .map_or(at - line_start, |s| s.chars().count())
            + 1;
        Fail(format!(
            "{}:{line}:{col}: not valid UTF-8 (byte offset {at}); save the file as UTF-8",
            path.display()
        ))
    })
}

pub use crate::model::context::is_dockerfile_name;

const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".hg",
    ".svn",
];

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Fail> {
    let meta = std::fs::metadata(path).map_err(|e| Fail(format!("{}: {e}", path.display())))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() {
        // a FIFO or a device would block the read or never end
        return Err(Fail(format!(
            "{}: not a regular file or a folder",
            path.display()
        )));
    }
    let before = out.len();
    walk(path, out);
    if out.len() == before {
        return Err(Fail(format!(
            "{}: no Dockerfile found (looked for Dockerfile, Dockerfile.*, *.dockerfile, Containerfile)",
            path.display()
        )));
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), out);
            }
        } else if is_dockerfile_name(&name) {
            let path = entry.path();
            // only regular files (through links): reading a FIFO or a device named Dockerfile
            // would block or never end. A dangling link is kept, so that reading it reports it.
            if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
                continue;
            }
            // `./Dockerfile` reads better as `Dockerfile`
            out.push(
                path.strip_prefix(".")
                    .map_or_else(|_| path.clone(), Path::to_path_buf),
            );
        }
    }
}

fn render_text(reports: &[FileReport], fixed: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for report in reports {
        for (d, p) in &report.findings {
            count += 1;
            let _ = writeln!(
                out,
                "{}:{}:{}: {} {}",
                report.path.display(),
                p.line,
                p.column,
                d.rule,
                d.message
            );
        }
    }
    let files = reports.len();
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            if w.ends_with('x') {
                format!("{n} {w}es")
            } else {
                format!("{n} {w}s")
            }
        }
    };
    let fixed = if fixed > 0 {
        format!(" ({} applied)", plural(fixed, "fix"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} in {}{fixed}",
        plural(count, "problem"),
        plural(files, "file")
    );
    out
}

fn render_json(reports: &[FileReport]) -> String {
    let mut items: Vec<serde_json::Value> = Vec::new();
    for r in reports {
        let index = LineIndex::new(&r.index_text);
        for (d, p) in &r.findings {
            let mut item = serde_json::json!({
                "file": r.path.display().to_string(),
                "rule": d.rule,
                "severity": d.severity.as_str(),
                "line": p.line,
                "column": p.column,
                "end_line": p.end_line,
                "end_column": p.end_column,
                "message": d.message,
            });
            if let Some(fix) = &d.fix {
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
                    "safety": match fix.safety { rules::Safety::Safe => "safe", rules::Safety::Unsafe => "unsafe" },
                    "edits": edits,
                    "creates": creates,
                });
            }
            items.push(item);
        }
    }
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

fn render_sarif(reports: &[FileReport]) -> String {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            serde_json::json!({
                "id": m.id,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n")},
                "helpUri": format!("https://github.com/layerwise/layerwise/blob/main/server/RULES.md#{}", m.id),
                "defaultConfiguration": {"level": sarif_level(m.severity)},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(|(d, p)| {
                serde_json::json!({
                    "ruleId": d.rule,
                    "level": sarif_level(d.severity),
                    "message": {"text": d.message},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": r.path.display().to_string().replace('\\', "/")},
                            "region": {"startLine": p.line, "startColumn": p.column, "endLine": p.end_line, "endColumn": p.end_column}
                        }
                    }]
                })
            })
        })
        .collect();
    let sarif = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "layerwise", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&sarif).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}
