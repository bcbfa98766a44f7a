//! The command line: `layerwise check`, `format`, `rules`, `rule ID`, `lsp`, `completions`.
//!
//! The only module that prints. Arguments are parsed by clap (derive): each subcommand is a
//! variant of [`Command`] whose arguments live with its code in `cli/<name>.rs`, so adding one
//! is a variant, a module and a line in [`run`]. Exit codes: 0 when nothing at the failure
//! threshold (warning by default) was found, 1 when something was, 2 on usage or I/O errors
//! (with the reason on stderr).

mod check;
mod context;
mod files;
mod format;
mod output;

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::rules::{self, RULES};

const EXIT_STATUS: &str = "\
Exit status: 0 when nothing at the failure threshold (warning, see --fail-on) was found, 1 when
something was (format --check/--diff: a file would change), 2 on a usage or I/O error.";

/// A Dockerfile linter and language server that makes images small and builds fast.
#[derive(Parser)]
#[command(name = "layerwise", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check Dockerfiles (files, folders, or `-` for standard input) and report or fix findings
    #[command(after_help = EXIT_STATUS)]
    Check(check::CheckArgs),
    /// Format Dockerfiles in place (the editor's formatter; continuations indented by 4 spaces)
    Format(format::FormatArgs),
    /// List every rule with its id, severity and summary
    Rules,
    /// Print a rule's documentation
    Rule {
        /// A rule id, a BuildKit check name (DuplicateStageName) or a hadolint code (DL3024)
        id: String,
    },
    /// Serve the Language Server Protocol on standard input and output
    Lsp {
        /// Use stdio (the only transport; accepted because clients pass it)
        #[arg(long)]
        stdio: bool,
    },
    /// What the build context costs, what each COPY/ADD takes, and which step an edit rebuilds
    ///
    /// `layerwise context --help` prints its options.
    #[command(disable_help_flag = true)]
    Context {
        /// [PATH] [--file DOCKERFILE] [--format text|json] [--list] [--changed FILE...]
        /// [--since REF] [--target STAGE]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print a shell completion script
    ///
    /// For example, for bash:
    /// `layerwise completions bash > ~/.local/share/bash-completion/completions/layerwise`
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

/// An error for the user: printed on stderr, exit code 2.
struct Fail(String);

/// Entry point: parse the arguments (without the program name) and run the subcommand.
#[must_use]
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv = std::iter::once(OsString::from("layerwise")).chain(args.into_iter().map(Into::into));
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // help and version go to stdout with status 0, mistakes to stderr with status 2
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(Fail(message)) => {
            eprintln!("layerwise: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Option<Command>) -> Result<ExitCode, Fail> {
    match command {
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Format(args)) => format::run(&args),
        Some(Command::Context { args }) => Ok(context::run(&args)),
        Some(Command::Rules) => Ok(list_rules()),
        Some(Command::Rule { id }) => rule_doc(&id),
        Some(Command::Lsp { stdio: _ }) => Ok(crate::lsp::run_stdio()),
        Some(Command::Completions { shell }) => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "layerwise", &mut out);
            let _ = out.flush();
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let _ = Cli::command().print_help();
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list_rules() -> ExitCode {
    let width = RULES.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in RULES {
        let m = rule.meta();
        out.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            m.id,
            m.severity.as_str(),
            m.summary
        ));
    }
    print_out(&out);
    ExitCode::SUCCESS
}

fn rule_doc(id: &str) -> Result<ExitCode, Fail> {
    let meta = rules::lookup(id)
        .ok_or_else(|| Fail(format!("unknown rule `{id}`; `layerwise rules` lists them")))?;
    print_out(&rules::docs::rule_markdown(meta));
    Ok(ExitCode::SUCCESS)
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
