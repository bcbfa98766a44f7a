//! The `layerwise` binary: `layerwise lsp` serves LSP on stdio; everything else is the CLI.
//! Logs go to stderr; stdout carries only the protocol or the CLI's output.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("lsp") {
        return match args.get(1).map(String::as_str) {
            None | Some("--stdio") => layerwise::lsp::run_stdio(),
            Some(other) => {
                eprintln!("layerwise lsp: unknown option `{other}`; only stdio is supported (`layerwise lsp --stdio`)");
                ExitCode::from(2)
            }
        };
    }
    layerwise::cli::main(&args)
}
