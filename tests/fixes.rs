//! The fix harness. Every `tests/fixtures/fixes/<rule>/<case>.Dockerfile` is fixed with that
//! rule's fixes only (safe and unsafe), in its folder as the build context, and:
//! - the output equals `<case>.fixed.Dockerfile` (and a created `.dockerignore`, or
//!   `<case>.Dockerfile.dockerignore` as here beside other Dockerfiles, equals
//!   `<case>.created.dockerignore`);
//! - the output parses with no syntax error;
//! - the rule's finding the fix targets is gone;
//! - fixing the output again changes nothing;
//! - no line of the input is lost, except the lines an edit of the fix rewrote.
//!
//! `UPDATE_FIXTURES=1 cargo test --test fixes` writes the expected files; review them.

use std::path::{Path, PathBuf};

use layerwise::fix::fix_all;
use layerwise::model::context::FsContext;
use layerwise::rules::{self, Config};
use layerwise::syntax;
use serde_json as _;

fn config_for(rule: &str) -> Config {
    let mut c = Config::default();
    c.select(&[rule.to_string()]).expect("known rule");
    c
}

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fixes");
    let mut out = Vec::new();
    for rule_dir in std::fs::read_dir(&root).expect("fixtures").flatten() {
        let rule = rule_dir.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(rule_dir.path())
            .expect("rule folder")
            .flatten()
        {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(".Dockerfile") && !name.ends_with(".fixed.Dockerfile") {
                out.push((rule.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

fn context(file: &Path) -> FsContext {
    FsContext::new(
        file.parent().expect("folder").to_path_buf(),
        file.file_name().map(|n| n.to_string_lossy().into_owned()),
    )
}

/// Input lines with no trace in the output. A line survives when it is in the output as is,
/// or an output line contains it with insertions (`FROM x` -> `FROM x AS builder`), or it
/// contains an output line that starts with the same word (a word was removed).
fn lines_lost(before: &str, after: &str) -> Vec<String> {
    fn subsequence(small: &str, big: &str) -> bool {
        let mut it = big.chars();
        small.chars().all(|c| it.any(|b| b == c))
    }
    let out: Vec<&str> = after
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    before
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| {
            !out.iter().any(|o| {
                o == l
                    || subsequence(l, o)
                    || (subsequence(o, l)
                        && o.split_whitespace().next() == l.split_whitespace().next())
            })
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_fix_fixture() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut failures = Vec::new();
    let all = cases();
    assert!(
        all.len() >= 10,
        "expected fix fixtures, found {}",
        all.len()
    );
    for (rule, file) in &all {
        let name = format!(
            "{rule}/{}",
            file.file_name().unwrap_or_default().to_string_lossy()
        );
        let input = std::fs::read_to_string(file).expect("read");
        let config = config_for(rule);
        let ctx = context(file);
        let fixed = fix_all(&input, &ctx, Some(file), &config, true);
        let expected_path = file.with_extension("").with_extension("fixed.Dockerfile");
        let created_path = file
            .with_extension("")
            .with_extension("created.dockerignore");
        let created = fixed
            .creates
            .iter()
            .find(|c| c.path.to_string_lossy().ends_with(".dockerignore"))
            .map(|c| c.text.clone());
        if update {
            std::fs::write(&expected_path, &fixed.text).expect("write expected");
            if let Some(c) = &created {
                std::fs::write(&created_path, c).expect("write created");
            }
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{name}: missing {}", expected_path.display()));
        if fixed.text != expected {
            failures.push(format!(
                "{name}: output differs from {}:\n--- got ---\n{}",
                expected_path.display(),
                fixed.text
            ));
            continue;
        }
        if let Ok(want) = std::fs::read_to_string(&created_path) {
            if created.as_deref() != Some(want.as_str()) {
                failures.push(format!(
                    "{name}: created .dockerignore differs: {created:?}"
                ));
            }
        }
        if fixed.applied.is_empty() {
            failures.push(format!("{name}: no fix was applied"));
        }
        let tree = syntax::parse(&fixed.text);
        let errors: Vec<_> = tree.errors().collect();
        if !errors.is_empty() {
            failures.push(format!("{name}: output has syntax errors: {errors:?}"));
        }
        // the targeted finding is gone (the created files count as existing)
        let after_ctx = Overlay {
            inner: &ctx,
            created: fixed.creates.iter().map(|c| c.path.clone()).collect(),
        };
        let left: Vec<_> = rules::check(&fixed.text, &tree, &after_ctx, Some(file), &config)
            .into_iter()
            .filter(|d| d.fix.is_some())
            .collect();
        if !left.is_empty() {
            failures.push(format!(
                "{name}: fixable `{rule}` findings remain: {:?}",
                left.iter().map(|d| &d.message).collect::<Vec<_>>()
            ));
        }
        let again = fix_all(&fixed.text, &after_ctx, Some(file), &config, true);
        if again.text != fixed.text {
            failures.push(format!(
                "{name}: a second pass changed the output:\n{}",
                again.text
            ));
        }
        let lost = lines_lost(&input, &fixed.text);
        let allowed: Vec<String> =
            std::fs::read_to_string(file.with_extension("").with_extension("rewrites"))
                .map(|s| s.lines().map(|l| l.trim().to_string()).collect())
                .unwrap_or_default();
        let unexpected: Vec<&String> = lost.iter().filter(|l| !allowed.contains(l)).collect();
        if !unexpected.is_empty() {
            failures.push(format!("{name}: input lines lost: {unexpected:?} (list lines a fix rewrites on purpose in <case>.rewrites)"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The context with the files a fix created treated as present.
struct Overlay<'a> {
    inner: &'a FsContext,
    created: Vec<PathBuf>,
}

impl layerwise::model::context::BuildContext for Overlay<'_> {
    fn has_dockerignore(&self) -> Option<bool> {
        if self
            .created
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".dockerignore"))
        {
            Some(true)
        } else {
            self.inner.has_dockerignore()
        }
    }
    fn dockerignore(&self) -> Option<&layerwise::model::dockerignore::DockerIgnore> {
        self.inner.dockerignore()
    }
    fn exists(&self, rel: &str) -> Option<bool> {
        self.inner.exists(rel)
    }
    fn read(&self, rel: &str) -> Option<String> {
        self.inner.read(rel)
    }
    fn notable_entries(&self) -> Vec<layerwise::model::context::NotableEntry> {
        self.inner.notable_entries()
    }
    fn root(&self) -> Option<&Path> {
        self.inner.root()
    }
}

/// Every case of `../shared/corpus` with all fixes applied (safe and unsafe): where a fix was
/// offered for `cache-busting-copy`, `single-stage-toolchain` or `missing-dockerignore`, no
/// such finding is left; no rule fires that did not fire on the original; the result parses.
/// Cases where a flagship finding has no fix are listed with the reason.
#[test]
fn corpus_fixes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED corpus_fixes: ../shared/corpus is not present beside the repository");
        return;
    }
    const FLAGSHIP: &[&str] = &[
        "cache-busting-copy",
        "single-stage-toolchain",
        "missing-dockerignore",
    ];
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    cases.sort();
    let config = Config::default();
    let mut failures = Vec::new();
    let mut not_offered = Vec::new();
    for case in &cases {
        let labels: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(case.join("expected.json")).expect("labels"),
        )
        .expect("json");
        let file = case.join(labels["file"].as_str().unwrap_or("Dockerfile"));
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let input = std::fs::read_to_string(&file).expect("read");
        let ctx = context(&file);
        let before = rules::check(&input, &syntax::parse(&input), &ctx, Some(&file), &config);
        let fixed = fix_all(&input, &ctx, Some(&file), &config, true);
        let after_ctx = Overlay {
            inner: &ctx,
            created: fixed.creates.iter().map(|c| c.path.clone()).collect(),
        };
        let tree = syntax::parse(&fixed.text);
        if tree.errors().next().is_some() {
            failures.push(format!(
                "{name}: the fixed file does not parse:\n{}",
                fixed.text
            ));
        }
        let after = rules::check(&fixed.text, &tree, &after_ctx, Some(&file), &config);
        for d in &before {
            if FLAGSHIP.contains(&d.rule) && d.fix.is_none() {
                not_offered.push(format!(
                    "{name}: {}: {}",
                    d.rule,
                    d.message
                        .rsplit_once("(no automatic fix: ")
                        .map_or("no fix", |(_, r)| r.trim_end_matches(')'))
                ));
            }
        }
        for rule in FLAGSHIP {
            let offered = before.iter().any(|d| d.rule == *rule && d.fix.is_some());
            if offered && after.iter().any(|d| d.rule == *rule) {
                failures.push(format!(
                    "{name}: `{rule}` is still reported after its fix:\n{}",
                    fixed.text
                ));
            }
        }
        for d in &after {
            if !before.iter().any(|b| b.rule == d.rule) {
                failures.push(format!(
                    "{name}: the fixes introduced `{}`: {}\n{}",
                    d.rule, d.message, fixed.text
                ));
            }
        }
    }
    eprintln!(
        "flagship findings without a fix ({}):\n  {}",
        not_offered.len(),
        not_offered.join("\n  ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
