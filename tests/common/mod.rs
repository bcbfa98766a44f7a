#![allow(dead_code)]

pub mod lsp;
pub mod project;

/// The article's FastAPI Dockerfile (the README's example): every flagship problem at once.
pub const SEED: &str = include_str!("../fixtures/example/Dockerfile");
