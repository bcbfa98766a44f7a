//! The language server: LSP over stdio on top of `tower-lsp-server`.
//!
//! This module is the only part of the crate that knows LSP types. It keeps the open documents
//! (`document.rs`), runs the same analysis as the CLI on every change (`analysis.rs`), converts
//! findings to LSP diagnostics (`convert.rs`) and answers code actions (`code_action.rs`), hovers
//! (`hover.rs`), document symbols (`symbols.rs`) and the editing requests, one file each over
//! [`crate::ide`]: completion (`completion.rs`), definition, references and highlight
//! (`navigation.rs`), rename (`rename.rs`), workspace symbols over the open documents
//! (`workspace_symbols.rs`), folding and selection ranges (`folding.rs`,
//! `selection.rs`), document links (`links.rs`), semantic tokens (`tokens.rs`), signature help
//! (`signature.rs`), inlay hints (`hints.rs`) and formatting (`formatting.rs`,
//! `on_type_formatting.rs`). Settings come from `.layerwise.toml` and the
//! client (`config.rs`). Everything the server sends on its own (diagnostics, messages) goes
//! through one bounded queue (`outbox.rs`). Changes to watched context files reload the build
//! context (`watched.rs`). Document symbols are answered beside
//! `tower-lsp-server`'s router and written straight to the output (`direct.rs`); both they and
//! the diagnostics are written as JSON by hand (`json.rs`).
//!
//! Invariants:
//! * `didOpen`/`didChange` apply the edit and analyse *synchronously*, before any `.await`, and
//!   no lock is ever held across an `.await`: tower-lsp runs handlers concurrently, and this is
//!   what keeps edits, analyses and publications in the order the client sent them.
//! * Positions are converted only by [`crate::text`], in the encoding negotiated at
//!   `initialize`; out-of-range positions are clamped, never a panic.
//! * Nothing but LSP messages is written to stdout; logs go to stderr.
//! * Bad input never ends the session: `transport.rs` answers anything that is not a JSON-RPC
//!   message with an error response and hands the server only well-formed messages.

mod analysis;
mod code_action;
mod completion;
mod config;
mod context_hints;
mod convert;
mod direct;
mod document;
mod folding;
mod formatting;
mod hints;
mod hover;
mod json;
mod links;
mod navigation;
mod on_type_formatting;
mod outbox;
mod rename;
mod selection;
mod server;
mod shellcheck;
mod signature;
mod stdio;
mod symbols;
mod tokens;
mod transport;
mod watched;
mod workspace_symbols;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tower_lsp_server::LspService;

/// Writes one log line to stderr (never stdout: stdout carries the protocol).
pub(crate) fn log(message: impl std::fmt::Display) {
    eprintln!("layerwise lsp: {message}");
}

/// Serves LSP over stdin/stdout until `exit` (or the end of input).
///
/// Returns success when the client sent `shutdown` before `exit`, failure otherwise (as the LSP
/// specification asks), or when the runtime cannot start.
#[must_use]
pub fn run_stdio() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            log(format_args!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let shut_down = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&shut_down);
    runtime.block_on(async move {
        // what is written to stdout beside the server loop's frames: the input pump's error
        // responses, and the backend's notifications (serialized once, without the loop), in
        // one bounded queue
        let queue = outbox::Queue::default();
        let backend_queue = queue.clone();
        let (service, socket) = LspService::new(move |client| {
            server::Backend::new(client, Arc::clone(&flag), Some(backend_queue.clone()))
        });
        transport::serve(service, socket, queue).await;
    });
    // The stdin reader may sit in a blocking read forever (clients need not close our stdin
    // after `exit`): do not wait for it.
    runtime.shutdown_background();
    if shut_down.load(Ordering::SeqCst) {
        ExitCode::SUCCESS
    } else {
        log("exit without shutdown");
        ExitCode::FAILURE
    }
}
