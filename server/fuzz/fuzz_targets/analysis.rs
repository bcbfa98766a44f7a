//! The whole analysis: parse, model and every rule, with no build context and with a build
//! context on disk (with and without a `.dockerignore`). Spans of findings, related locations
//! and fix edits are well placed. libFuzzer aborts on a panic even when `rules::run`'s
//! `catch_unwind` would skip the rule, so a failing rule or fix builder is found too.
#![no_main]

use layerwise::model::context::NoContext;
use layerwise::rules::Config;
use layerwise_fuzz::{context_dirs, fs_context, invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let tree = match invariants::parse(&text, "") {
        Ok(tree) => tree,
        Err(e) => panic!("{e}\ninput: {text:?}"),
    };
    let config = Config::default();
    if let Err(e) = invariants::analysis(&text, &tree, &NoContext, None, &config) {
        panic!("no context: {e}\ninput: {text:?}");
    }
    for (dir, dockerfile) in context_dirs() {
        let context = fs_context(dir);
        if let Err(e) = invariants::analysis(&text, &tree, &context, Some(dockerfile), &config) {
            panic!("context {}: {e}\ninput: {text:?}", dir.display());
        }
    }
});
