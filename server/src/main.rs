//! The `layerwise` binary: `layerwise lsp` serves LSP on stdio; the CLI does the rest
//! (`server/src/cli.rs` parses the arguments). Logs go to stderr; stdout carries only the
//! protocol or the CLI's output.

use std::process::ExitCode;

fn main() -> ExitCode {
    layerwise::cli::main(std::env::args_os().skip(1))
}
