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

/// The web page documenting `rule`, when the package names a repository (`repository` in
/// Cargo.toml): its `server/RULES.md` on the main branch. Without one there is no real address
/// to link to, and none is made up.
#[must_use]
pub fn rule_url(rule: &str) -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    (!repo.is_empty()).then(|| format!("{repo}/blob/main/server/RULES.md#{rule}"))
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
         | id | BuildKit check | hadolint | default severity | fix | summary |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for rule in RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} | {} | {} |",
            m.id,
            m.id,
            list(m.buildkit),
            list(m.hadolint),
            default_level(m),
            m.fix.as_str(),
            m.summary
        );
    }
    out.push_str(
        "\nSuppress a rule for one instruction with `# layerwise: ignore=RULE[,RULE]` on the line above it; \
         `# hadolint ignore=DLxxxx` (and `# hadolint global ignore=...`) suppress the equivalent rules named above. \
         BuildKit's directive works as in BuildKit: `# check=skip=Name[,Name]` (or `skip=all`) at the top of the file \
         turns the equivalent rules off, the same comment directly above an instruction suppresses them for that \
         instruction, `# check=error=true` makes their findings errors (so `layerwise check` exits with status 1 \
         on them, as the build would fail), and `# check=experimental=Name` (or `all`) turns on the checks BuildKit \
         runs only on request. Configure severities in `.layerwise.toml`; a level set there wins over \
         `error=true`. A fix marked unsafe is applied only with `--unsafe-fixes` or from the editor.\n",
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
