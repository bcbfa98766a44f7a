//! `layerwise format`: the editor's formatter ([`crate::ide::format`]) over files, continuation
//! lines indented with four spaces.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::files::{collect, decode, guarded, unified_diff};
use super::{print_out, Fail};
use crate::fix;

#[derive(Args)]
pub(super) struct FormatArgs {
    /// Dockerfiles or folders to format (folders are searched recursively)
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Write nothing; list the files that would change (exit 1 when one would)
    #[arg(long)]
    check: bool,
    /// Write nothing; print the changes as a unified diff (exit 1 when a file would change)
    #[arg(long)]
    diff: bool,
}

pub(super) fn run(args: &FormatArgs) -> Result<ExitCode, Fail> {
    let (check, diff) = (args.check, args.diff);
    let mut files = Vec::new();
    for path in &args.paths {
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
            out.push_str(&unified_diff(file, &text, &formatted));
        } else if check {
            out.push_str(&format!("would reformat {}\n", file.display()));
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
    if diff {
        print_out(&out);
        eprintln!("{summary}");
    } else {
        print_out(&format!("{out}{summary}\n"));
    }
    Ok(if (check || diff) && changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
