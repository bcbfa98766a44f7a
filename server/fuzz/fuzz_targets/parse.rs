//! The whole parse (splitter, instruction parser, shell lexer): well-placed spans, and a parse
//! through a cache that saw an earlier text equals a fresh parse.
#![no_main]

use layerwise_fuzz::{earlier, invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    let before = earlier(&text, data);
    if let Err(e) = invariants::parse(&text, &before) {
        panic!("{e}\ninput: {text:?}\nearlier: {before:?}");
    }
});
