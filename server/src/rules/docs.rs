//! Rule documentation rendered from the rules' doc comments: `layerwise rule ID`, hover, the
//! SARIF rule table and the generated `server/RULES.md` all use this text.

use std::fmt::Write as _;

use super::{RuleMeta, RULES};

/// The doc comment without rustdoc's leading space, with its headings demoted by `demote`
/// levels.
fn body(meta: &RuleMeta, demote: usize) -> String {
    let mut out = String::new();
    for line in meta.doc.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        if line.starts_with('#') && !line.starts_with("#!") && demote > 0 && !in_code(&out) {
            out.push_str(&"#".repeat(demote));
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Whether `text` ends inside a fenced code block.
fn in_code(text: &str) -> bool {
    text.lines().filter(|l| l.starts_with("```")).count() % 2 == 1
}

fn equivalents(meta: &RuleMeta) -> Option<String> {
    let mut eq: Vec<String> = meta
        .hadolint
        .iter()
        .map(|h| format!("hadolint `{h}`"))
        .collect();
    eq.extend(meta.buildkit.iter().map(|b| format!("BuildKit `{b}`")));
    (!eq.is_empty()).then(|| eq.join(", "))
}

/// One rule's documentation as a Markdown page.
#[must_use]
pub fn rule_markdown(meta: &RuleMeta) -> String {
    let mut out = format!(
        "# {}\n\n{}.\n\nDefault severity: {}.",
        meta.id,
        meta.summary,
        default_level(meta)
    );
    if let Some(eq) = equivalents(meta) {
        let _ = write!(out, " Suppressed by the ignore comments of: {eq}.");
    }
    out.push_str("\n\n");
    out.push_str(&body(meta, 0));
    out
}

/// The level a rule runs at unless configured: its severity, or `off` for an opt-in rule.
fn default_level(meta: &RuleMeta) -> String {
    if meta.enabled_by_default {
        meta.severity.as_str().to_string()
    } else {
        format!("off (opt-in; {} when on)", meta.severity.as_str())
    }
}

/// `server/RULES.md`: every rule, generated.
#[must_use]
pub fn all_rules_markdown() -> String {
    let mut out = String::from(
        "<!-- Generated from the rules' doc comments by `tests/docs.rs`; do not edit by hand. -->\n\n# layerwise rules\n\n\
         | id | default severity | summary |\n| --- | --- | --- |\n",
    );
    for rule in RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} |",
            m.id,
            m.id,
            default_level(m),
            m.summary
        );
    }
    out.push_str(
        "\nSuppress a rule for one instruction with `# layerwise: ignore=RULE[,RULE]` on the line above it; \
         `# hadolint ignore=DLxxxx` (and `# hadolint global ignore=...`) and BuildKit's `# check=skip=Name` \
         suppress the equivalent rules named below. Configure severities in `.layerwise.toml`.\n",
    );
    for rule in RULES {
        let m = rule.meta();
        let _ = write!(
            out,
            "\n## {}\n\n{}.\n\nDefault severity: {}.",
            m.id,
            m.summary,
            default_level(m)
        );
        if let Some(eq) = equivalents(m) {
            let _ = write!(out, " Suppressed by the ignore comments of: {eq}.");
        }
        out.push_str("\n\n");
        out.push_str(&body(m, 1));
    }
    out
}
