//! `layerwise context [PATH] [--file DOCKERFILE] [--format text|json] [--list]
//! [--changed FILE...] [--since GIT_REF]`: what the build context costs and what each COPY
//! takes; with `--changed` or `--since`, which step each change rebuilds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::model::copies::{self, count, human, Origin, Report};
use crate::model::impact::{self, Cause};
use crate::model::walk;
use crate::model::Model;
use crate::syntax::instruction::Keyword;
use crate::syntax::{self, SyntaxTree};

pub const USAGE: &str = "\
usage: layerwise context [PATH] [--file DOCKERFILE] [--format text|json] [--list]
                         [--changed FILE...] [--since GIT_REF] [--target STAGE]

  PATH              the build context (default .)
  --file FILE       the Dockerfile (default PATH/Dockerfile)
  --format F        text (default) or json
  --list            json: list every file each COPY takes and where it lands in the image
  --changed FILE... which step editing these files rebuilds (paths in the context)
  --since GIT_REF   the same for the files changed since GIT_REF (git diff --name-only, and
                    files git does not track yet)
  --target STAGE    the stage that is built (default: the last)";

struct Args {
    context: PathBuf,
    file: Option<PathBuf>,
    json: bool,
    list: bool,
    changed: Option<Vec<String>>,
    since: Option<String>,
    target: Option<String>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        context: PathBuf::from("."),
        file: None,
        json: false,
        list: false,
        changed: None,
        since: None,
        target: None,
    };
    let mut context = None;
    let mut it = args.iter().peekable();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |flag: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match name {
            "--file" | "-f" => out.file = Some(PathBuf::from(value(name)?)),
            "--format" => {
                out.json = match value(name)?.as_str() {
                    "json" => true,
                    "text" => false,
                    other => return Err(format!("unknown format `{other}` (text or json)")),
                }
            }
            "--since" => out.since = Some(value(name)?),
            "--target" => out.target = Some(value(name)?),
            "--list" => out.list = true,
            "--changed" => {
                let list = out.changed.get_or_insert_with(Vec::new);
                if let Some(v) = inline {
                    list.push(v);
                }
                while let Some(next) = it.peek() {
                    if next.starts_with("--") {
                        break;
                    }
                    list.push((*next).clone());
                    it.next();
                }
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!("unknown option `{flag}`\n\n{USAGE}"))
            }
            _ if context.is_none() => context = Some(PathBuf::from(arg)),
            _ => return Err(format!("one context at a time\n\n{USAGE}")),
        }
    }
    if let Some(c) = context {
        out.context = c;
    }
    Ok(out)
}

/// Runs `layerwise context` with the arguments after `context`.
#[must_use]
pub fn run(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        #[allow(clippy::print_stdout)]
        {
            println!("{USAGE}");
        }
        return ExitCode::SUCCESS;
    }
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("layerwise: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    let root = std::path::absolute(&args.context).unwrap_or_else(|_| args.context.clone());
    if !root.is_dir() {
        return Err(format!("{}: not a folder", args.context.display()));
    }
    let file = args.file.clone().unwrap_or_else(|| root.join("Dockerfile"));
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let tree = syntax::parse(&text);
    let model = Model::build_for(&tree, Some(&text), args.target.as_deref());
    let ignore = walk::ignore_file(&root, Some(&file));

    let changed = match (&args.changed, &args.since) {
        (Some(list), _) => Some(list.iter().map(|p| context_path(&root, p)).collect()),
        (None, Some(since)) => Some(git_changed(&root, since)?),
        (None, None) => None,
    };
    if let Some(changed) = changed {
        let stages = impact::impact(&tree, &model, ignore.as_ref().map(|(_, i)| i), &changed);
        let out = if args.json {
            impact_json(&tree, &text, &changed, &stages)
        } else {
            impact_text(&tree, &text, &changed, &stages)
        };
        print!("{out}");
        return Ok(());
    }

    let walked = walk::walk(
        &root,
        ignore
            .as_ref()
            .map(|(_, i)| i)
            .unwrap_or(&Default::default()),
        0,
    );
    let read = |rel: &str| {
        let p = root.join(rel);
        let meta = std::fs::symlink_metadata(&p).ok()?;
        if !meta.is_file() {
            return None;
        }
        crate::model::context::read_regular(&p, 1 << 16)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    let report = copies::analyze(&tree, &model, &walked, &read, args.list);
    let ignore_name = ignore.as_ref().map(|(p, _)| display_rel(&root, p));
    let out = if args.json {
        report_json(&tree, &text, &walked, &report, ignore_name, args.list)
    } else {
        report_text(&root, &tree, &text, &walked, &report, ignore_name)
    };
    print!("{out}");
    Ok(())
}

/// A changed path as the context sees it: relative to the context root.
fn context_path(root: &Path, given: &str) -> String {
    let p = Path::new(given);
    if let Ok(abs) = std::path::absolute(p) {
        if let Ok(rel) = abs.strip_prefix(root) {
            if p.is_absolute() || abs.exists() {
                return rel.to_string_lossy().into_owned();
            }
        }
    }
    given.trim_start_matches("./").to_owned()
}

/// The files changed since `since` (tracked, relative to the context) and the untracked ones.
fn git_changed(root: &Path, since: &str) -> Result<Vec<String>, String> {
    let git = |args: &[&str]| -> Result<Vec<String>, String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    };
    let mut files = git(&["diff", "--name-only", "--relative", since, "--"])?;
    files.extend(git(&["ls-files", "--others", "--exclude-standard"])?);
    files.sort();
    files.dedup();
    Ok(files)
}

fn display_rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// The first line of instruction `i`, shortened.
fn instr_text(tree: &SyntaxTree, text: &str, i: usize) -> String {
    let span = tree.instructions[i].span();
    let s = text.get(span.start..span.end).unwrap_or("");
    let first = s.lines().next().unwrap_or("").trim();
    let first = first.trim_end_matches('\\').trim_end();
    if first.chars().count() > 60 {
        let cut: String = first.chars().take(57).collect();
        format!("{cut}...")
    } else {
        first.to_owned()
    }
}

fn files(n: usize) -> String {
    if n == 1 {
        "1 file".to_owned()
    } else {
        format!("{} files", count(n))
    }
}

fn pieces(top: &[(String, usize, u64)]) -> String {
    top.iter()
        .map(|(p, n, b)| format!("{p} {} ({})", human(*b), files(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report_text(
    root: &Path,
    tree: &SyntaxTree,
    text: &str,
    walked: &walk::Walk,
    r: &Report,
    ignore: Option<String>,
) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Build context {}: {}, {} sent ({})",
        root.display(),
        files(r.files),
        human(r.bytes),
        ignore.map_or_else(|| "no .dockerignore".to_owned(), |n| format!("after {n}"))
    );
    if !r.biggest.is_empty() {
        let _ = writeln!(o, "  biggest: {}", pieces(&r.biggest));
    }
    if walked.problem_count > 0 {
        let _ = writeln!(
            o,
            "  {} entries could not be read: {}",
            count(walked.problem_count),
            walked.problems.first().map_or("", String::as_str)
        );
    }
    if walked.truncated {
        let _ = writeln!(
            o,
            "  the walk stopped after {} entries: the figures are a lower bound",
            count(walk::MAX_ENTRIES)
        );
    }
    let _ = writeln!(o, "\nWhat each COPY and ADD takes:");
    for c in &r.copies {
        let line = c.copy.line + 1;
        let what = instr_text(tree, text, c.copy.instr);
        let cost = match &c.copy.origin {
            Origin::Context => format!("{}, {}", files(c.files), human(c.bytes)),
            Origin::From(from) => format!("from {from}, not the context"),
            Origin::Elsewhere => "nothing from the context".to_owned(),
        };
        let _ = writeln!(o, "  line {line:<4} {what}\n             {cost}");
        if c.top.len() > 1 {
            let _ = writeln!(o, "             biggest: {}", pieces(&c.top));
        }
        for m in &c.missing {
            let _ = writeln!(
                o,
                "             `{m}` matches nothing sent: the build fails here"
            );
        }
    }
    if r.unused_files > 0 {
        let _ = writeln!(
            o,
            "\nSent but never copied: {}, {} that no COPY, ADD or bind mount reads (buildah and the \
             legacy builder upload the whole context on every build; .dockerignore them)\n  {}",
            files(r.unused_files),
            human(r.unused_bytes),
            pieces(&r.unused_top)
        );
    }
    if !r.suspects.is_empty() {
        let _ = writeln!(o, "\nCopied into the shipped image, likely by mistake:");
        for s in &r.suspects {
            let _ = writeln!(
                o,
                "  line {:<4} {} ({}, {}): {}",
                s.line + 1,
                s.path,
                files(s.files),
                human(s.bytes),
                s.why
            );
        }
    }
    o
}

fn report_json(
    tree: &SyntaxTree,
    text: &str,
    walked: &walk::Walk,
    r: &Report,
    ignore: Option<String>,
    list: bool,
) -> String {
    let top = |t: &[(String, usize, u64)]| -> Value {
        t.iter()
            .map(|(p, n, b)| json!({"path": p, "files": n, "bytes": b}))
            .collect()
    };
    let copies: Vec<Value> = r
        .copies
        .iter()
        .map(|c| {
            let mut v = json!({
                "line": c.copy.line + 1,
                "instruction": instr_text(tree, text, c.copy.instr),
                "stage": c.copy.stage,
                "from": match &c.copy.origin {
                    Origin::Context => Value::Null,
                    Origin::From(f) => json!(f),
                    Origin::Elsewhere => json!("elsewhere"),
                },
                "files": c.files,
                "bytes": c.bytes,
                "top": top(&c.top),
                "missing": c.missing,
            });
            if list {
                v["taken"] = c
                    .taken
                    .iter()
                    .map(|t| json!({"path": walked.files[t.file].path, "image_path": t.image_path}))
                    .collect();
            }
            v
        })
        .collect();
    let out = json!({
        "files": r.files,
        "bytes": r.bytes,
        "ignore_file": ignore,
        "biggest": top(&r.biggest),
        "problems": walked.problems,
        "truncated": walked.truncated,
        "copies": copies,
        "unused": {"files": r.unused_files, "bytes": r.unused_bytes, "top": top(&r.unused_top)},
        "suspects": r.suspects.iter().map(|s| json!({
            "path": s.path, "files": s.files, "bytes": s.bytes, "line": s.line + 1, "why": s.why,
        })).collect::<Vec<_>>(),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&out).unwrap_or_default()
    )
}

fn cause_text(cause: &Cause, is_from: bool) -> String {
    match cause {
        Cause::Stage(s) if !is_from => format!("what it reads from stage {s} changed"),
        Cause::Files(f) if f.len() > 3 => {
            format!("it takes {} and {} more", f[..3].join(", "), f.len() - 3)
        }
        Cause::Files(f) => format!("it takes {}", f.join(", ")),
        Cause::Stage(s) => format!("it is built on stage {s}, which is rebuilt"),
    }
}

fn impact_text(
    tree: &SyntaxTree,
    text: &str,
    changed: &[String],
    stages: &[impact::StageImpact],
) -> String {
    let mut o = String::new();
    let shown: Vec<&str> = changed.iter().take(5).map(String::as_str).collect();
    let more = changed.len().saturating_sub(5);
    let _ = writeln!(
        o,
        "Editing {}{}:",
        if shown.is_empty() {
            "nothing".to_owned()
        } else {
            shown.join(", ")
        },
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    for s in stages {
        let cached = s
            .cached
            .iter()
            .map(|&i| {
                format!(
                    "line {} ({})",
                    tree.instructions[i].line + 1,
                    instr_text(tree, text, i)
                )
            })
            .collect::<Vec<_>>();
        match &s.first {
            Some((i, line, cause)) => {
                let _ = writeln!(
                    o,
                    "  stage {}: rebuilds from line {} ({}), as {}",
                    s.name,
                    line + 1,
                    instr_text(tree, text, *i),
                    cause_text(cause, tree.instructions[*i].keyword == Keyword::From)
                );
                if cached.is_empty() {
                    let _ = writeln!(o, "    nothing before it in the stage stays cached");
                } else {
                    let _ = writeln!(o, "    stays cached: {}", cached.join("; "));
                }
                let rerun: Vec<String> = s
                    .rerun
                    .iter()
                    .map(|&i| {
                        format!(
                            "line {} ({})",
                            tree.instructions[i].line + 1,
                            instr_text(tree, text, i)
                        )
                    })
                    .collect();
                if !rerun.is_empty() {
                    let _ = writeln!(o, "    runs again: {}", rerun.join("; "));
                }
            }
            None => {
                let _ = writeln!(o, "  stage {}: fully cached", s.name);
            }
        }
    }
    o
}

fn impact_json(
    tree: &SyntaxTree,
    text: &str,
    changed: &[String],
    stages: &[impact::StageImpact],
) -> String {
    let stages: Vec<Value> = stages
        .iter()
        .map(|s| {
            json!({
                "stage": s.name,
                "rebuilds_from": s.first.as_ref().map(|(i, line, cause)| json!({
                    "line": line + 1,
                    "instruction": instr_text(tree, text, *i),
                    "files": match cause { Cause::Files(f) => json!(f), Cause::Stage(_) => Value::Null },
                    "stage": match cause { Cause::Stage(s) => json!(s), Cause::Files(_) => Value::Null },
                })),
                "rerun": s.rerun.iter().map(|&i| json!({
                    "line": tree.instructions[i].line + 1,
                    "instruction": instr_text(tree, text, i),
                })).collect::<Vec<_>>(),
                "cached": s.cached.iter().map(|&i| json!({
                    "line": tree.instructions[i].line + 1,
                    "instruction": instr_text(tree, text, i),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = json!({"changed": changed, "stages": stages});
    format!(
        "{}\n",
        serde_json::to_string_pretty(&out).unwrap_or_default()
    )
}
