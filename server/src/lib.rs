//! layerwise: a Dockerfile language server and linter that makes images small and builds fast.
//!
//! Data flows one way: [`text`] -> [`syntax`] -> [`model`] -> [`rules`] -> [`fix`] -> `lsp` / `cli`.
//! See `server/ARCHITECTURE.md`.

pub mod syntax;
