//! BuildKit's build checks: every documented check has a layerwise rule that `layerwise rule
//! <Name>` finds, and BuildKit's `# check=` directive drives the command line's exit status as
//! it drives the build.

use std::path::Path;
use std::process::Command;

mod common;
use common::project::Project;

/// The checks BuildKit documents (docs.docker.com/reference/build-checks).
const CHECKS: &[&str] = &[
    "StageNameCasing",
    "FromAsCasing",
    "NoEmptyContinuation",
    "ConsistentInstructionCasing",
    "DuplicateStageName",
    "ReservedStageName",
    "JSONArgsRecommended",
    "MaintainerDeprecated",
    "UndefinedArgInFrom",
    "WorkdirRelativePath",
    "UndefinedVar",
    "MultipleInstructionsDisallowed",
    "LegacyKeyValueFormat",
    "RedundantTargetPlatform",
    "SecretsUsedInArgOrEnv",
    "InvalidDefaultArgInFrom",
    "FromPlatformFlagConstDisallowed",
    "CopyIgnoredFile",
    "InvalidDefinitionDescription",
    "ExposeProtoCasing",
    "ExposeInvalidFormat",
];

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_buildkit_check_has_a_rule() {
    for name in CHECKS {
        let meta = layerwise::rules::lookup(name)
            .unwrap_or_else(|| panic!("no rule for BuildKit's `{name}`"));
        assert!(
            meta.buildkit.contains(name),
            "`{name}` resolves to `{}`, which does not name it",
            meta.id
        );
    }
    let dir = std::env::temp_dir();
    let (code, out) = run(&dir, &["rule", "undefinedvar"]);
    assert_eq!(code, 0);
    assert!(out.contains("undefined-var"), "{out}");
}

#[test]
fn error_true_turns_buildkit_findings_into_errors_and_fails_the_run() {
    // only info-level findings (MAINTAINER, casing): a plain run passes
    let body = "FROM alpine:3.20\nMAINTAINER Jane <jane@example.com>\nrun echo hi > /hi\n";
    let plain = Project::new("bk-plain", &[("Dockerfile", body.as_bytes())]);
    let (code, out) = run(plain.path(), &["check", "--format", "json", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("\"severity\": \"info\"") || out.contains("\"severity\":\"info\""),
        "{out}"
    );

    let strict = format!("# check=error=true\n{body}");
    let strict = Project::new("bk-strict", &[("Dockerfile", strict.as_bytes())]);
    let (code, out) = run(strict.path(), &["check", "--format", "json", "."]);
    assert_eq!(code, 1, "{out}");
    let findings: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = findings.as_array().expect("array");
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["severity"], "error", "{f}");
    }

    // skipping the checks that fire leaves nothing, so nothing fails
    let skipped =
        format!("# check=error=true;skip=MaintainerDeprecated,ConsistentInstructionCasing\n{body}");
    let skipped = Project::new("bk-skipped", &[("Dockerfile", skipped.as_bytes())]);
    let (code, out) = run(skipped.path(), &["check", "."]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_level_set_in_the_configuration_wins_over_error_true() {
    let p = Project::new(
        "bk-config",
        &[
            (
                "Dockerfile",
                "# check=error=true\nFROM alpine:3.20\nMAINTAINER Jane <jane@example.com>\n",
            ),
            (
                ".layerwise.toml",
                "[rules]\nmaintainer-deprecated = \"info\"\n",
            ),
        ],
    );
    let (code, out) = run(p.path(), &["check", "."]);
    assert_eq!(code, 0, "{out}");
}
