//! layerwise: a Dockerfile language server and linter that makes images small and builds fast.
//!
//! Data flows one way: [`text`] -> [`syntax`] -> [`model`] -> [`rules`] -> [`fix`] -> `lsp` / [`cli`].
//! See `server/ARCHITECTURE.md` for the code map and the invariants.

#![deny(clippy::print_stdout)]

#[allow(clippy::print_stdout)]
pub mod cli;
pub mod fix;
pub mod ide;
pub mod lsp;
pub mod model;
pub mod rules;
pub mod shellcheck;
pub mod syntax;
pub mod text;
