//! The Rust fixture: a small binary with one crates.io dependency (itoa), built by cargo in the
//! SDK image.
use std::collections::BTreeMap;

fn main() {
    let text = "the quick brown fox jumps over the lazy dog the end";
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word).or_default() += 1;
    }
    let mut buf = itoa::Buffer::new();
    let line: Vec<String> = counts
        .iter()
        .filter(|(_, &n)| n > 1)
        .map(|(w, &n)| format!("{w}={}", buf.format(n)))
        .collect();
    println!("hello from the Rust fixture: {}", line.join(" "));
}
