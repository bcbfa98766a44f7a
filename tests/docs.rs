//! Generated documentation stays fresh: `server/RULES.md` is rendered from the rules' doc
//! comments. When it is stale this test rewrites it and fails, so the next run (and the commit)
//! has the fresh file.

use std::path::Path;

#[test]
fn rules_md_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("server/RULES.md");
    let fresh = layerwise::rules::docs::all_rules_markdown();
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != fresh {
        std::fs::write(&path, &fresh).expect("write server/RULES.md");
        panic!("server/RULES.md was stale and has been regenerated; review and commit it");
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in layerwise::rules::RULES {
        let m = rule.meta();
        assert!(
            m.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            m.id
        );
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(m.doc.contains(section), "{} lacks `{section}`", m.id);
        }
    }
}
