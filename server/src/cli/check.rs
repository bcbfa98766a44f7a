//! `layerwise check`: find the Dockerfiles, analyse (and fix) each, print a report, and turn
//! the findings into an exit status.

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::files::{absolute, apply_to_disk, collect, decode, guarded, render_diff};
use super::output::{self, FileReport, OutputFormat, RenderOptions};
use super::{print_out, Fail};
use crate::fix;
use crate::model::context::{BuildContext, FsContext};
use crate::rules::config::{find_config_file, Config, Level};
use crate::rules::{self, Severity};
use crate::syntax;

#[derive(Args)]
pub(super) struct CheckArgs {
    /// Dockerfiles or folders to check; folders are searched recursively for Dockerfile,
    /// Dockerfile.*, *.dockerfile and Containerfile. `-` reads standard input
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// How to print the findings [default: full, or `format` in .layerwise.toml]
    #[arg(
        long = "output-format",
        visible_alias = "format",
        value_enum,
        value_name = "FORMAT"
    )]
    format: Option<OutputFormat>,
    /// Colour the full output (auto: when stdout is a terminal and NO_COLOR is not set)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// The build context (default: each Dockerfile's folder)
    #[arg(long, value_name = "DIR")]
    context: Option<PathBuf>,
    /// Run only these rules (comma-separated or repeated)
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    select: Vec<String>,
    /// Turn these rules off (comma-separated or repeated)
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    ignore: Vec<String>,
    /// Read the settings from FILE instead of the nearest .layerwise.toml
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The stage that ships (as `docker build --target`; default: the last one)
    #[arg(long, value_name = "STAGE")]
    target: Option<String>,
    /// With `-`: the path standard input stands for; the build context and .layerwise.toml are
    /// found from its folder
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Apply the safe fixes in place (for `-`: print the fixed text on stdout and the report on
    /// stderr)
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff: also apply the fixes that restructure the file (manifests first,
    /// builder stage) or create a missing .dockerignore
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff on stdout instead of writing them, and the report on
    /// stderr; a diff to apply also fails the check
    #[arg(long)]
    diff: bool,
    /// With --fix: list every fix applied
    #[arg(long)]
    show_fixes: bool,
    /// Print how many findings each rule has instead of the findings
    #[arg(long)]
    statistics: bool,
    /// The lowest severity that fails the check [default: warning, or `fail-on` in
    /// .layerwise.toml]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Exit with 0 even when findings are reported (usage and I/O errors still exit with 2)
    #[arg(long)]
    exit_zero: bool,
    /// Do not run ShellCheck on RUN scripts (it runs when a `shellcheck` is on PATH and no
    /// --select is given; its findings carry the rule id `shellcheck`)
    #[arg(long)]
    no_shellcheck: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

/// What one input is: a file, or standard input.
enum Input {
    File(PathBuf),
    Stdin,
}

pub(super) fn run(args: &CheckArgs) -> Result<ExitCode, Fail> {
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
    if args.stdin_filename.is_some() && !args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Fail(
            "`--stdin-filename` names what `-` reads; add `-` to the paths".into(),
        ));
    }

    // the settings of the run as a whole (format, fail-on) come from --config, or else from the
    // .layerwise.toml nearest to the current folder (for `-`, to --stdin-filename's folder)
    let (run_config, run_config_path) = match (&explicit_config, &args.config) {
        (Some(c), Some(path)) => (Some(c.clone()), Some(path.clone())),
        _ => {
            let start = args
                .stdin_filename
                .as_deref()
                .and_then(Path::parent)
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            match find_config_file(&absolute(&start)) {
                Some(path) => (Some(load_config(&path)?), Some(path)),
                None => (None, None),
            }
        }
    };
    let format = match (args.format, run_config.as_ref().and_then(Config::format)) {
        (Some(f), _) => f,
        (None, Some(name)) => OutputFormat::from_str(name, true).map_err(|_| {
            Fail(format!(
                "{}: unknown format `{name}`; expected one of {}",
                run_config_path
                    .as_deref()
                    .unwrap_or(Path::new("."))
                    .display(),
                OutputFormat::names()
            ))
        })?,
        (None, None) => OutputFormat::Full,
    };
    let fail_on = match args.fail_on {
        Some(FailOn::Error) => Severity::Error,
        Some(FailOn::Warning) => Severity::Warning,
        Some(FailOn::Info) => Severity::Info,
        None => run_config
            .as_ref()
            .and_then(Config::fail_on)
            .unwrap_or(Severity::Warning),
    };

    // a path that is missing or holds no Dockerfile is reported, and the others are checked
    let mut errors = 0;
    let mut inputs = Vec::new();
    let mut stdin_taken = false;
    for path in &args.paths {
        if path.as_os_str() == "-" {
            if !stdin_taken {
                inputs.push(Input::Stdin);
            }
            stdin_taken = true;
            continue;
        }
        let mut files = Vec::new();
        match collect(path, &mut files) {
            Ok(()) => inputs.extend(files.into_iter().map(Input::File)),
            Err(Fail(message)) => {
                eprintln!("layerwise: {message}");
                errors += 1;
            }
        }
    }

    let mut reports = Vec::new();
    let mut diffs = String::new();
    let mut fixed_stdin = None;
    let mut changed = false;
    let mut fixed_count = 0;
    for input in inputs {
        let mut snapshot = None;
        let (file, text, folder, is_stdin) = match input {
            Input::File(file) => {
                let bytes = std::fs::read(&file)
                    .map_err(|e| Fail(format!("{}: cannot read: {e}", file.display())))?;
                snapshot = Some(fix::Snapshot::taken(&file, &bytes));
                let text = decode(&file, bytes)?;
                let folder = parent_folder(&file);
                (file, text, folder, false)
            }
            Input::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .map_err(|e| Fail(format!("standard input: cannot read: {e}")))?;
                let name = args
                    .stdin_filename
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("-"));
                let text = decode(&name, bytes)?;
                let folder = args
                    .stdin_filename
                    .as_deref()
                    .map_or_else(|| PathBuf::from("."), parent_folder);
                (name, text, folder, true)
            }
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
        let name = file
            .file_name()
            .filter(|n| *n != "-")
            .map(|n| n.to_string_lossy().into_owned());
        let context = FsContext::new(context_root, name.clone());
        let path_for_rules = (!is_stdin || args.stdin_filename.is_some()).then_some(file.as_path());
        let mut text = text;
        let mut applied = Vec::new();
        if args.fix || args.diff {
            let fixed = guarded(&file, || {
                fix::fix_all(&text, &context, path_for_rules, &config, args.unsafe_fixes)
            })?;
            if args.diff {
                diffs.push_str(&render_diff(&file, &text, &fixed));
                changed |= fixed.text != text || !fixed.creates.is_empty();
            } else {
                let written = match &snapshot {
                    // the fixed text replaces the input; files a fix would create are not
                    // written, since no file was given
                    _ if is_stdin => {
                        fixed_stdin = Some(fixed.text.clone());
                        true
                    }
                    Some(read) => apply_to_disk(&file, &text, &fixed, read)?,
                    None => false,
                };
                if written {
                    fixed_count += fixed.applied.len();
                    applied = fixed.applied;
                    text = fixed.text;
                }
            }
        }
        let mut skipped = context.skipped();
        // a created .dockerignore is now on disk: ask the file system afresh
        let context = FsContext::new(
            context
                .root()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            name,
        );
        let with_shellcheck = !args.no_shellcheck && args.select.is_empty();
        let diagnostics = guarded(&file, || {
            let tree = syntax::parse(&text);
            let mut found = rules::check(&text, &tree, &context, path_for_rules, &config);
            if with_shellcheck && crate::shellcheck::installed().is_some() {
                let model = crate::model::Model::build(&tree);
                found.extend(
                    crate::shellcheck::check(&text, &tree, &model, &|| false)
                        .iter()
                        .map(|f| crate::shellcheck::diagnostic(&text, &tree, f)),
                );
                found.sort_by(|a, b| {
                    a.span
                        .start
                        .cmp(&b.span.start)
                        .then_with(|| a.rule.cmp(b.rule))
                });
            }
            found
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
        reports.push(FileReport {
            path: file,
            findings: diagnostics,
            text,
            applied,
        });
    }

    let failing = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|d| d.severity <= fail_on);
    // the diff and a fixed standard input own stdout; the report then goes to stderr
    let report_to_stderr = args.diff || fixed_stdin.is_some();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && if report_to_stderr {
                    std::io::stderr().is_terminal()
                } else {
                    std::io::stdout().is_terminal()
                }
        }
    };
    let rendered = if reports.is_empty() && errors > 0 {
        // nothing was checked: the errors on stderr are the whole story
        String::new()
    } else {
        output::render(
            &reports,
            &RenderOptions {
                format,
                color,
                fail_on,
                fixed: fixed_count,
                show_fixes: args.show_fixes,
                statistics: args.statistics,
            },
        )
    };
    if report_to_stderr {
        print_out(&diffs);
        if let Some(text) = &fixed_stdin {
            print_out(text);
        }
        eprint!("{rendered}");
    } else {
        print_out(&rendered);
    }
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else if !args.exit_zero && (failing || (args.diff && changed)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The folder a Dockerfile is in (`.` for a bare name).
fn parent_folder(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
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
