//! Snapshot tests of the rendered diagnostics: every `tests/fixtures/rules/<rule>/<case>.Dockerfile`
//! (its folder is the build context) is checked with every rule, and the findings, rendered
//! as a user sees them (range, severity, rule, message, the range the editor underlines when it
//! differs, related locations, fix title and safety), must equal `<case>.snap`. Cases named `*_positive` must report `<rule>`, cases named
//! `*_negative` must not.
//!
//! `UPDATE_SNAPSHOTS=1 cargo test --test snapshots` rewrites the snapshots; review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use layerwise::model::context::FsContext;
use layerwise::rules::{self, Config, Safety};
use layerwise::syntax;
use layerwise::text::LineIndex;

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut out = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures").flatten() {
        let name = rule.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(rule.path())
            .expect("rule folder")
            .flatten()
        {
            if f.file_name().to_string_lossy().ends_with(".Dockerfile") {
                out.push((name.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

fn render(file: &Path) -> (String, Vec<&'static str>) {
    let text = std::fs::read_to_string(file).expect("read");
    let context = FsContext::new(
        file.parent().expect("folder").to_path_buf(),
        file.file_name().map(|n| n.to_string_lossy().into_owned()),
    );
    let diagnostics = rules::check(
        &text,
        &syntax::parse(&text),
        &context,
        Some(file),
        &Config::default(),
    );
    let index = LineIndex::new(&text);
    let pos = |offset: usize| {
        let (l, c) = index.line_col(offset);
        format!("{}:{}", l + 1, c + 1)
    };
    let mut out = String::new();
    for d in &diagnostics {
        let _ = writeln!(
            out,
            "{}-{} {} {}: {}",
            pos(d.span.start),
            pos(d.span.end),
            d.severity.as_str(),
            d.rule,
            d.message
        );
        if let Some(focus) = d.focus {
            let _ = writeln!(
                out,
                "    underlined in the editor: {}-{}",
                pos(focus.start),
                pos(focus.end)
            );
        }
        for r in &d.related {
            let _ = writeln!(
                out,
                "    related {}-{}: {}",
                pos(r.span.start),
                pos(r.span.end),
                r.message
            );
        }
        if let Some(fix) = &d.fix {
            let safety = if fix.safety == Safety::Safe {
                "safe"
            } else {
                "unsafe"
            };
            let _ = writeln!(out, "    fix ({safety}): {}", fix.title);
        }
    }
    if out.is_empty() {
        out.push_str("(no findings)\n");
    }
    (out, diagnostics.iter().map(|d| d.rule).collect())
}

#[test]
fn rendered_diagnostics_match_the_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    let all = cases();
    assert!(
        all.len() >= 50,
        "expected the rule fixtures, found {}",
        all.len()
    );
    for (rule, file) in all {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (rendered, rules) = render(&file);
        let stem = name.trim_end_matches(".Dockerfile");
        if stem.ends_with("_positive") && !rules.contains(&rule.as_str()) {
            failures.push(format!(
                "{rule}/{name}: a positive case without a `{rule}` finding:\n{rendered}"
            ));
        }
        if stem.ends_with("_negative") && rules.contains(&rule.as_str()) {
            failures.push(format!(
                "{rule}/{name}: a negative case with a `{rule}` finding:\n{rendered}"
            ));
        }
        let snap = file.with_file_name(format!("{stem}.snap"));
        if update {
            std::fs::write(&snap, &rendered).expect("write snapshot");
            continue;
        }
        match std::fs::read_to_string(&snap) {
            Ok(expected) if expected == rendered => {}
            Ok(expected) => failures.push(format!(
                "{rule}/{name}: snapshot differs\n--- expected\n{expected}--- got\n{rendered}"
            )),
            Err(_) => failures.push(format!(
                "{rule}/{name}: no snapshot {}; run with UPDATE_SNAPSHOTS=1",
                snap.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
