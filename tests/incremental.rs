//! Property: the incremental analysis the language server runs on every edit (the syntax tree
//! updated around the edit by `SyntaxCache::update`, the per-stage findings kept by
//! `rules::memo::check`) gives exactly what a fresh analysis of the same text gives, after every
//! edit of a random sequence: keystrokes, whole lines inserted and deleted (FROM lines, broad
//! COPYs, installs, heredocs, continuations, syntax errors, suppression comments), edits in the
//! prologue, and several edits folded into one.
//!
//! The texts are the benchmarks' generated Dockerfiles (`server/benches/support/`), checked in a
//! real build context (a folder with manifests and no `.dockerignore`) so that the
//! context-dependent rules and fixes run too.

use std::path::PathBuf;

use layerwise::model::context::FsContext;
use layerwise::rules::memo::{self, StageMemo};
use layerwise::rules::{self, Config};
use layerwise::syntax::{self, SyntaxCache};
use layerwise::text::AppliedEdit;
use proptest::prelude::*;

#[path = "../server/benches/support/dockerfile_gen.rs"]
#[allow(dead_code)]
mod dockerfile_gen;

/// Lines an edit inserts.
const LINES: &[&str] = &[
    "FROM python:3.12-slim AS extra\n",
    "FROM node:20\n",
    "COPY . /app\n",
    "COPY . .\n",
    "RUN pip install -r requirements.txt\n",
    "RUN npm ci\n",
    "RUN apt-get update\n",
    "RUN apt-get install -y gcc\n",
    "RUN echo one\n",
    "RUN echo two\n",
    "WORKDIR /srv\n",
    "ENV GOFLAGS=-mod=vendor\n",
    "RUN <<EOF\n",
    "EOF\n",
    "RUN set -eux; \\\n",
    "# hadolint ignore=DL3059\n",
    "# layerwise: ignore=all\n",
    "ARG BASE_IMAGE=alpine\n",
    "FROM\n",
    "COPY [\"a\"\n",
    "\n",
    "\r\n",
];

/// Text a keystroke types.
const KEYS: &[&str] = &["x", " ", "\\", "\n", "#", "<<", "é", "\"", "AS b", "-", "."];

#[derive(Debug, Clone)]
enum Edit {
    /// Type `KEYS[key]` at a fraction of the text, replacing `delete` bytes.
    Key { at: f64, delete: usize, key: usize },
    /// Insert `LINES[line]` at the start of the line at a fraction of the text.
    Line { at: f64, line: usize },
    /// Delete `count` whole lines from the line at a fraction of the text.
    DeleteLines { at: f64, count: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0.0..=1.0f64, prop_oneof![3 => Just(0usize), 1 => 1usize..4], 0..KEYS.len())
            .prop_map(|(at, delete, key)| Edit::Key { at, delete, key }),
        2 => (0.0..=1.0f64, 0..LINES.len()).prop_map(|(at, line)| Edit::Line { at, line }),
        1 => (0.0..=1.0f64, 1usize..4).prop_map(|(at, count)| Edit::DeleteLines { at, count }),
    ]
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn offset(text: &str, at: f64) -> usize {
    floor_boundary(text, (at * text.len() as f64) as usize)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn after_lines(text: &str, from: usize, count: usize) -> usize {
    let mut end = from;
    for _ in 0..count {
        end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    }
    end
}

/// Applies `edit` to `text` and returns what it changed.
fn apply(text: &mut String, edit: &Edit) -> AppliedEdit {
    let (start, end, insert) = match *edit {
        Edit::Key { at, delete, key } => {
            let start = offset(text, at);
            (start, floor_boundary(text, start + delete), KEYS[key])
        }
        Edit::Line { at, line } => {
            let start = line_start(text, offset(text, at));
            (start, start, LINES[line])
        }
        Edit::DeleteLines { at, count } => {
            let start = line_start(text, offset(text, at));
            (start, after_lines(text, start, count), "")
        }
    };
    text.replace_range(start..end, insert);
    AppliedEdit {
        start,
        old_end: end,
        new_end: start + insert.len(),
    }
}

/// `next` folded into `pending` (edits of the text last analysed, now `len_before` long).
fn fold(
    pending: Option<AppliedEdit>,
    next: AppliedEdit,
    len_before: usize,
    len_after: usize,
) -> AppliedEdit {
    let Some(p) = pending else { return next };
    let old_len = p.old_end + (len_before - p.new_end);
    let suffix = (len_before - p.new_end).min(len_before - next.old_end);
    AppliedEdit {
        start: p.start.min(next.start),
        old_end: old_len - suffix,
        new_end: len_after - suffix,
    }
}

/// A build context with manifests and no `.dockerignore`.
fn context_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("layerwise-incremental-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (name, text) in [
        ("requirements.txt", "flask\n"),
        ("package.json", "{}\n"),
        ("package-lock.json", "{}\n"),
        ("go.mod", "module x\n"),
    ] {
        std::fs::write(dir.join(name), text).expect("manifest");
    }
    dir
}

/// 48 cases, or `PROPTEST_CASES` when set.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            48
        },
        failure_persistence: None,
        ..default
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn incremental_analysis_equals_fresh_analysis(
        lines in 20usize..220,
        seed in any::<u64>(),
        edits in proptest::collection::vec((edit(), prop_oneof![4 => Just(true), 1 => Just(false)]), 1..30),
    ) {
        let dir = context_dir();
        let context = FsContext::new(dir.clone(), Some("Dockerfile".into()));
        let path = dir.join("Dockerfile");
        let config = Config::default();
        let mut text = dockerfile_gen::generate(lines, seed);
        let mut cache = SyntaxCache::default();
        let mut memo = StageMemo::default();
        let tree = cache.parse(&text);
        let _ = memo::check(&text, tree, &context, Some(&path), &config, &mut memo, None);
        let mut pending: Option<AppliedEdit> = None;
        for (e, analyse) in &edits {
            let len_before = text.len();
            let applied = apply(&mut text, e);
            pending = Some(fold(pending, applied, len_before, text.len()));
            if !analyse {
                continue;
            }
            let Some(edit) = pending.take() else { continue };
            let tree = cache.update(&text, edit);
            let incremental = memo::check(&text, tree, &context, Some(&path), &config, &mut memo, Some(edit));
            let fresh_tree = syntax::parse(&text);
            let fresh = rules::check(&text, &fresh_tree, &context, Some(&path), &config);
            prop_assert_eq!(incremental, fresh, "after {:?} the text is\n{}", e, text);
        }
    }
}
