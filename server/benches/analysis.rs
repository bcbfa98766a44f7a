//! Micro-benchmarks of the analysis pipeline on generated Dockerfiles of 100 / 1,000 / 10,000
//! lines: the splitter, instruction parsing, the model, the rules, a whole check, and the
//! keystroke path (an incremental re-parse after a one-character edit, then the rules), and the
//! name index of the editing requests (its update on a keystroke, a full build, names in scope).
//!
//! ```sh
//! cargo bench --bench analysis                 # everything
//! cargo bench --bench analysis -- keystroke    # one group (criterion filter)
//! ```
//!
//! `cargo test --all-targets` builds this file but does not run the benchmarks: they run only
//! when cargo passes `--bench` (that is, under `cargo bench`).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use layerwise::ide::names::NameIndex;
use layerwise::model::context::NoContext;
use layerwise::model::Model;
use layerwise::rules::memo::{self, StageMemo};
use layerwise::rules::{self, Analysis, Config};
use layerwise::syntax::{self, instruction, split, SyntaxCache};
use layerwise::text::AppliedEdit;

#[path = "support/dockerfile_gen.rs"]
#[allow(dead_code)]
mod dockerfile_gen;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

fn files() -> Vec<(usize, String)> {
    SIZES
        .iter()
        .map(|&n| (n, dockerfile_gen::generate(n, 1)))
        .collect()
}

fn bench_syntax(c: &mut Criterion, files: &[(usize, String)]) {
    let mut g = c.benchmark_group("split");
    for (n, text) in files {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), text, |b, text| {
            b.iter(|| split::split(black_box(text)));
        });
    }
    g.finish();

    let mut g = c.benchmark_group("parse_instructions");
    for (n, text) in files {
        let file = split::split(text);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), text, |b, text| {
            b.iter(|| {
                file.instructions
                    .iter()
                    .map(|raw| instruction::parse(black_box(text), raw, file.escape))
                    .collect::<Vec<_>>()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("parse_fresh");
    for (n, text) in files {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), text, |b, text| {
            b.iter(|| syntax::parse(black_box(text)));
        });
    }
    g.finish();
}

fn bench_analysis(c: &mut Criterion, files: &[(usize, String)]) {
    let config = Config::default();

    let mut g = c.benchmark_group("model");
    for (n, text) in files {
        let tree = syntax::parse(text);
        g.bench_with_input(BenchmarkId::from_parameter(n), &tree, |b, tree| {
            b.iter(|| Model::build(black_box(tree)));
        });
    }
    g.finish();

    let mut g = c.benchmark_group("rules");
    for (n, text) in files {
        let tree = syntax::parse(text);
        let model = Model::build(&tree);
        let cx = Analysis {
            text,
            tree: &tree,
            model: &model,
            context: &NoContext,
            path: None,
        };
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| rules::run(black_box(&cx), &config));
        });
    }
    g.finish();

    // each rule alone on the largest file, to find the expensive ones
    let mut g = c.benchmark_group("rule_10000");
    if let Some((_, text)) = files.iter().find(|(n, _)| *n == 10_000) {
        let tree = syntax::parse(text);
        let model = Model::build(&tree);
        let cx = Analysis {
            text,
            tree: &tree,
            model: &model,
            context: &NoContext,
            path: None,
        };
        for rule in rules::RULES {
            g.bench_function(rule.meta().id, |b| {
                b.iter(|| {
                    let mut out = Vec::new();
                    rule.check(black_box(&cx), &mut out);
                    out
                });
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("check");
    for (n, text) in files {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), text, |b, text| {
            b.iter(|| {
                let tree = syntax::parse(black_box(text));
                rules::check(text, &tree, &NoContext, None, &config)
            });
        });
    }
    g.finish();
}

/// A one-character edit in the middle of the file and its undo, alternately.
struct Keystroke {
    text: String,
    at: usize,
    typed: bool,
}

impl Keystroke {
    fn new(text: &str) -> Self {
        let line = dockerfile_gen::middle_instruction_line(text);
        let at = text
            .split_inclusive('\n')
            .take(line)
            .map(str::len)
            .sum::<usize>()
            + 3;
        Self {
            text: text.to_string(),
            at,
            typed: false,
        }
    }
    /// Applies the next edit and returns it.
    fn step(&mut self) -> AppliedEdit {
        self.typed = !self.typed;
        let at = self.at;
        if self.typed {
            self.text.insert(at, 'x');
            AppliedEdit {
                start: at,
                old_end: at,
                new_end: at + 1,
            }
        } else {
            self.text.remove(at);
            AppliedEdit {
                start: at,
                old_end: at + 1,
                new_end: at,
            }
        }
    }
}

fn bench_keystroke(c: &mut Criterion, files: &[(usize, String)]) {
    let config = Config::default();

    let mut g = c.benchmark_group("keystroke_parse");
    for (n, text) in files {
        let mut cache = SyntaxCache::default();
        let _ = cache.parse(text);
        let mut k = Keystroke::new(text);
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let edit = k.step();
                cache.update(&k.text, edit).instructions.len()
            });
        });
    }
    g.finish();

    // what the language server does on a keystroke: update the tree, re-check the touched stage
    let mut g = c.benchmark_group("keystroke_check");
    for (n, text) in files {
        let mut cache = SyntaxCache::default();
        let mut memo = StageMemo::default();
        let tree = cache.parse(text);
        let _ = memo::check(text, tree, &NoContext, None, &config, &mut memo, None);
        let mut k = Keystroke::new(text);
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let edit = k.step();
                let tree = cache.update(&k.text, edit);
                memo::check(
                    &k.text,
                    tree,
                    &NoContext,
                    None,
                    &config,
                    &mut memo,
                    Some(edit),
                )
            });
        });
    }
    g.finish();

    // the same without keeping findings: every rule on the whole file
    let mut g = c.benchmark_group("keystroke_check_all_rules");
    for (n, text) in files {
        let mut cache = SyntaxCache::default();
        let _ = cache.parse(text);
        let mut k = Keystroke::new(text);
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let edit = k.step();
                let tree = cache.update(&k.text, edit);
                rules::check(&k.text, tree, &NoContext, None, &config)
            });
        });
    }
    g.finish();
}

/// The name index the editing requests read: kept up to date on a keystroke, against built
/// again from scratch (what each request did before it was kept), and the names in scope at the
/// middle instruction (completion of `$`, `--from=`).
fn bench_names(c: &mut Criterion, files: &[(usize, String)]) {
    let mut g = c.benchmark_group("names_keystroke_update");
    for (n, text) in files {
        let mut cache = SyntaxCache::default();
        let mut index = NameIndex::build(cache.parse(text), text);
        let mut k = Keystroke::new(text);
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let edit = k.step();
                let tree = cache.update(&k.text, edit);
                index.update(tree, &k.text, Some(edit));
                index.occurrences().len()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("names_build");
    for (n, text) in files {
        let tree = syntax::parse(text);
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| NameIndex::build(black_box(&tree), text).occurrences().len());
        });
    }
    g.finish();

    let mut g = c.benchmark_group("names_in_scope");
    for (n, text) in files {
        let tree = syntax::parse(text);
        let index = NameIndex::build(&tree, text);
        let i = tree.instructions.len() / 2;
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| index.in_scope(&tree, text, black_box(i)).variables.len());
        });
    }
    g.finish();
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: benchmarks are not tests.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let files = files();
    let mut c = Criterion::default().configure_from_args();
    bench_syntax(&mut c, &files);
    bench_analysis(&mut c, &files);
    bench_keystroke(&mut c, &files);
    bench_names(&mut c, &files);
    c.final_summary();
}
