//! The splitter: any bytes (lossily decoded) split without a panic, with well-placed spans.
#![no_main]

use layerwise_fuzz::{invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    if let Err(e) = invariants::split_spans(&text) {
        panic!("{e}\ninput: {text:?}");
    }
});
