//! A mutation fuzzer on the stable toolchain, so every `cargo test` exercises what the cargo-fuzz
//! targets in `server/fuzz/` check (see `server/FUZZING.md`): deterministic (a seeded xorshift),
//! starting from the test fixtures, a few thousand mutants within a time budget. Each mutant goes
//! through the invariants of `server/fuzz/src/invariants.rs`: no panic (not even one a rule's
//! `catch_unwind` swallows), bounded time, spans on char boundaries inside the text, a cached
//! parse equal to a fresh one, fixes whose output parses with no new syntax error and keeps
//! every line their edits do not touch, with no build context and with one on disk.
//!
//! `LAYERWISE_FUZZ_ITERS=N` and `LAYERWISE_FUZZ_SECS=S` change the budget (default 4000
//! mutants or 3 s, whichever comes first: one to three thousand in a debug build, depending on
//! the machine), `LAYERWISE_FUZZ_SEED=N` the sequence. A failing
//! input is written to `target/fuzz-stable/` and shown escaped; keep it in `tests/regressions/`.
//!
//! `tests/regressions/` holds inputs that once broke an invariant (found by either fuzzer); they
//! are checked here on every run, and seed the cargo-fuzz corpora.

mod common;
#[path = "../server/fuzz/src/invariants.rs"]
mod invariants;
use common::project::Project;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

use layerwise::model::context::{BuildContext, FsContext, NoContext};

/// A per-input time limit, generous for a debug build on a busy machine; a hang is far above it.
const INPUT_BUDGET: Duration = Duration::from_secs(5);

/// Panics seen by the hook, even those a `catch_unwind` inside the library caught, by thread
/// (tests run in parallel; each checks only its own).
static PANICS: Mutex<Vec<(std::thread::ThreadId, String)>> = Mutex::new(Vec::new());

fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            PANICS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((std::thread::current().id(), format!("{message}{at}")));
            default(info);
        }));
    });
}

/// The panics of this thread since the last call.
fn take_panics() -> Vec<String> {
    let me = std::thread::current().id();
    let mut all = PANICS.lock().unwrap_or_else(PoisonError::into_inner);
    let (mine, others) = std::mem::take(&mut *all)
        .into_iter()
        .partition::<Vec<_>, _>(|(thread, _)| *thread == me);
    *all = others;
    mine.into_iter().map(|(_, message)| message).collect()
}

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Pieces that exercise the splitter, the parsers, the rules and the fixes.
const TOKENS: &[&str] = &[
    "FROM ",
    "FROM python:3.12 AS build\n",
    "FROM build\n",
    "RUN ",
    "COPY ",
    "COPY . .\n",
    "COPY --from=build /app /app\n",
    "ADD ",
    "CMD ",
    "ENTRYPOINT ",
    "ENV ",
    "ARG ",
    "WORKDIR ",
    "ONBUILD ",
    "HEALTHCHECK CMD ",
    "SHELL [\"/bin/sh\", \"-c\"]\n",
    "USER app\n",
    "\\\n",
    "\\",
    "`\n",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "<<EOF\n",
    "<<-EOF\n",
    "<<'EOF'\n",
    "EOF\n",
    "\tEOF\n",
    "# escape=`\n",
    "# syntax=docker/dockerfile:1\n",
    "# layerwise: ignore=consecutive-run\n",
    "#",
    "[\"a\", \"b\"]",
    "['a']",
    "[",
    "\"",
    "'",
    "$(",
    "${A:-x}",
    " && ",
    " || ",
    ";",
    "|",
    " ",
    "\t",
    "pip install -r requirements.txt",
    "pip install --user .",
    "npm ci",
    "npm install",
    "go build ./...",
    "go mod download",
    "cargo build --release",
    "apt-get update",
    "apt-get install -y gcc build-essential",
    "rm -rf /var/lib/apt/lists/*",
    "apk add --no-cache git",
    "uvicorn main:app --reload",
    "--mount=type=cache,target=/root/.cache ",
    "--chown=app ",
    "--link ",
    "😀",
    "日本語",
    "é",
    "\u{feff}",
    "\u{a0}",
    "\u{0}",
    "\u{2028}",
];

/// One random change to `text`.
fn mutate(rng: &mut Rng, text: &mut String, seeds: &[String]) {
    let at = |rng: &mut Rng, text: &str| floor(text, rng.below(text.len() + 1));
    match rng.below(10) {
        // insert a token (most useful)
        0..=3 => {
            let i = at(rng, text);
            let token = *rng.pick(TOKENS);
            text.insert_str(i, token);
        }
        // delete a short range
        4 => {
            let i = at(rng, text);
            let j = floor(text, i + 1 + rng.below(16)).max(i);
            text.replace_range(i..j, "");
        }
        // duplicate a range elsewhere
        5 => {
            let i = at(rng, text);
            let j = floor(text, i + rng.below(64)).max(i);
            let piece = text[i..j].to_string();
            let k = at(rng, text);
            text.insert_str(k, &piece);
        }
        // splice in a line of another seed
        6 => {
            let other = rng.pick(seeds);
            let lines: Vec<&str> = other.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let line = rng.pick(&lines).to_string();
                let i = at(rng, text);
                text.insert_str(i, &line);
            }
        }
        // one random character
        7 => {
            let c = char::from_u32(u32::try_from(rng.below(0x3_0000)).unwrap_or(0))
                .unwrap_or('\u{fffd}');
            let i = at(rng, text);
            text.insert(i, c);
        }
        // switch line endings
        8 => {
            *text = if text.contains("\r\n") {
                text.replace("\r\n", "\n")
            } else {
                text.replace('\n', "\r\n")
            };
        }
        // truncate
        _ => {
            let i = at(rng, text);
            text.truncate(i);
        }
    }
}

fn floor(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every Dockerfile under `dir`, recursively, as (path, lossily decoded text).
fn dockerfiles(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if path.is_dir() {
            dockerfiles(&path, out);
        } else if name.contains("dockerfile") || name.starts_with("containerfile") {
            if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A build context on disk with the usual manifests, and without `.dockerignore`.
fn temp_context(name: &str) -> Project {
    Project::new(
        &format!("fuzz-stable-{name}"),
        &[
            ("requirements.txt", "flask==3.0\n"),
            ("package.json", "{\"name\": \"x\"}\n"),
            ("package-lock.json", "{}\n"),
            ("go.mod", "module x\n"),
            ("go.sum", ""),
            ("Cargo.toml", "[package]\nname = \"x\"\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
        ],
    )
}

/// The build context of `project`, for a Dockerfile named `Dockerfile` in it.
fn context_of(project: &Project) -> FsContext {
    FsContext::new(project.path().to_path_buf(), Some("Dockerfile".to_string()))
}

/// Checks one input against every invariant, with no build context and, when `disk` is given,
/// with that one; `Err` says which failed. An input over the time budget is timed again before
/// it counts as slow: a busy machine may pause the test for a moment, a slow input is slow twice.
fn check(text: &str, earlier: &str, disk: Option<&Project>) -> Result<(), String> {
    let took = check_once(text, earlier, disk)?;
    if took > INPUT_BUDGET {
        let again = check_once(text, earlier, disk)?;
        if again > INPUT_BUDGET {
            return Err(format!(
                "took {took:?}, then {again:?} (budget {INPUT_BUDGET:?})"
            ));
        }
    }
    Ok(())
}

/// One run of the checks; how long it took.
fn check_once(text: &str, earlier: &str, disk: Option<&Project>) -> Result<Duration, String> {
    let dockerfile = disk.map(|d| d.join("Dockerfile"));
    let context = disk.map(context_of);
    let mut contexts: Vec<(&dyn BuildContext, Option<&Path>)> = vec![(&NoContext, None)];
    if let Some(context) = &context {
        contexts.push((context, dockerfile.as_deref()));
    }
    let started = Instant::now();
    for (context, path) in contexts {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            invariants::everything(text, earlier, context, path)
        }));
        let panics = take_panics();
        if !panics.is_empty() {
            return Err(format!("panicked: {panics:?}"));
        }
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err("panicked".into()),
        }
    }
    Ok(started.elapsed())
}

/// Writes a failing input where it can be picked up, and describes it.
fn report(n: usize, text: &str, error: &str) -> String {
    let dir = repo().join("target/fuzz-stable");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("failure-{n}.Dockerfile"));
    let _ = std::fs::write(&file, text);
    format!(
        "{error}\ninput ({}): {text:?}\n(keep it in tests/regressions/ once fixed)",
        file.display()
    )
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

#[test]
fn mutants_of_the_fixtures_keep_every_invariant() {
    record_panics();
    let mut seeds = Vec::new();
    dockerfiles(&repo().join("tests/fixtures"), &mut seeds);
    dockerfiles(&repo().join("tests/regressions"), &mut seeds);
    let seeds: Vec<String> = seeds.into_iter().map(|(_, text)| text).collect();
    assert!(seeds.len() >= 50, "found only {} seeds", seeds.len());
    let iterations = env_number("LAYERWISE_FUZZ_ITERS").unwrap_or(4000);
    let budget = Duration::from_secs(env_number("LAYERWISE_FUZZ_SECS").unwrap_or(3));
    let mut rng = Rng(env_number("LAYERWISE_FUZZ_SEED").unwrap_or(0x005e_ed1a_7e0f_d0c5) | 1);
    let disk = temp_context("mutants");
    let started = Instant::now();
    let mut done = 0;
    let mut current = String::new();
    while done < iterations && started.elapsed() < budget {
        // mostly a fresh seed, sometimes keep mutating the last mutant
        if done == 0 || rng.below(4) != 0 {
            current.clone_from(rng.pick(&seeds));
        }
        let earlier = current.clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut current, &seeds);
        }
        // a build context on disk for one mutant in four (it costs a second analysis)
        let disk = (done % 4 == 0).then_some(&disk);
        if let Err(e) = check(&current, &earlier, disk) {
            panic!(
                "mutant {done}: {}",
                report(usize::try_from(done).unwrap_or(0), &current, &e)
            );
        }
        done += 1;
    }
    eprintln!(
        "fuzz_stable: {done} mutants in {:.1?} (seed list of {})",
        started.elapsed(),
        seeds.len()
    );
    assert!(done >= 200, "only {done} mutants within the budget");
}

#[test]
fn regression_inputs_keep_every_invariant() {
    record_panics();
    let mut inputs = Vec::new();
    dockerfiles(&repo().join("tests/regressions"), &mut inputs);
    let disk = temp_context("regressions");
    let mut failures = Vec::new();
    for (path, text) in &inputs {
        if let Err(e) = check(text, "", Some(&disk)) {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Edits whose incremental parse (`SyntaxCache::update`) once differed from a fresh parse:
/// (text before, text after). Found by this fuzzer.
const INCREMENTAL: &[(&str, &str)] = &[
    // typing after a continuation that runs to the end of the file: the new text continues
    // the instruction (a fresh parse), not a new one
    ("RUN a \\\n", "RUN a \\\nb"),
    ("RUN a \\\n\n", "RUN a \\\n\nb"),
    ("RUN a \\\n# c\n", "RUN a \\\n# c\nb"),
    (
        "FROM alpine\nRUN echo last \\\n\n# trailing comment\n\n",
        "FROM alpine\nRUN echo last \\\n\n# trailing comment\n\n${A:-x}",
    ),
    // the same with blanks after the escape character
    (
        "FROM alpin# escape=`\ne\n\u{1a1b0}\r\nRUN echFROM build\no a \n\\ \t \n",
        "FROM alpin# escape=`\ne\n\u{1a1b0}\r\nRUN echFROM build\no a \n\\ \t \n💬",
    ),
];

#[test]
fn incremental_parses_of_regression_edits_equal_fresh_ones() {
    let failures: Vec<String> = INCREMENTAL
        .iter()
        .filter_map(|(before, after)| {
            invariants::incremental(after, before, &layerwise::syntax::parse(after))
                .err()
                .map(|e| format!("{before:?} -> {after:?}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
