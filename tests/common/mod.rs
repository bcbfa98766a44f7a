#![allow(dead_code)]

pub mod lsp;
