//! The machine-readable report formats of `layerwise check`, each read back the way its
//! consumer reads it: JSON Lines line by line, GitHub workflow commands with the runner's
//! unescaping, GitLab Code Quality against its required fields, Checkstyle and JUnit with an
//! XML parser. Every format must carry the same findings as `--format json`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::project::Project;

/// File names that need escaping in every format (`,` and `:` in workflow commands, `&` in
/// XML), with findings of three severities and two identical findings in one file.
fn project() -> Project {
    Project::new(
        "cli-reports",
        &[
            ("r&d, v1:x/Dockerfile", &b"FROM node:latest\nWORKDIR app\nRUN apt-get install -y curl\nRUN apt-get install -y curl\nCOP . .\n"[..]),
            ("r&d, v1:x/.dockerignore", b""),
            ("clean/Dockerfile", b"FROM python:3.12-slim\nWORKDIR /app\n"),
            ("clean/.dockerignore", b""),
            (".layerwise.toml", b"[rules]\nrelative-workdir = \"info\"\n"),
        ],
    )
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// (file, rule, severity, line, column, message) of each finding, from `--format json`.
type Finding = (String, String, String, u64, u64, String);

fn reference(dir: &Path) -> Vec<Finding> {
    let (code, out) = run(dir, &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let items: Vec<Value> = serde_json::from_str(&out).expect("json");
    let found: Vec<Finding> = items.iter().map(finding).collect();
    let severities: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
    for s in ["error", "warning", "info"] {
        assert!(
            severities.contains(&s),
            "the project has a finding of each severity: {found:?}"
        );
    }
    found
}

fn finding(d: &Value) -> Finding {
    (
        d["file"].as_str().unwrap_or("").to_string(),
        d["rule"].as_str().unwrap_or("").to_string(),
        d["severity"].as_str().unwrap_or("").to_string(),
        d["line"].as_u64().unwrap_or(0),
        d["column"].as_u64().unwrap_or(0),
        d["message"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn json_lines_is_one_json_object_per_finding() {
    let dir = project();
    let (code, out) = run(dir.path(), &["check", "--output-format", "json-lines"]);
    assert_eq!(code, 1);
    let found: Vec<Finding> = out
        .lines()
        .map(|l| finding(&serde_json::from_str(l).expect("each line is JSON")))
        .collect();
    assert_eq!(found, reference(dir.path()));
}

/// Undo the runner's escaping of a workflow command's property or message.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_annotations_parse_as_the_runner_parses_them() {
    let dir = project();
    let (code, out) = run(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(code, 1);
    let mut found = Vec::new();
    for line in out.lines() {
        // ::command prop=value,prop=value::message
        let rest = line.strip_prefix("::").expect("a workflow command");
        let (head, message) = rest.split_once("::").expect("command and message");
        let (command, props) = head.split_once(' ').expect("properties");
        let props: Vec<(&str, String)> = props
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=').expect("key=value");
                (k, unescape(v))
            })
            .collect();
        let get = |k: &str| {
            props
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let severity = match command {
            "error" => "error",
            "warning" => "warning",
            "notice" => "info",
            other => panic!("unknown command {other}"),
        };
        let title = get("title");
        found.push((
            get("file"),
            title
                .strip_prefix("layerwise ")
                .unwrap_or(&title)
                .to_string(),
            severity.to_string(),
            get("line").parse().expect("line"),
            get("col").parse().expect("col"),
            unescape(message),
        ));
        assert!(get("endLine").parse::<u64>().is_ok() && get("endColumn").parse::<u64>().is_ok());
    }
    assert_eq!(found, reference(dir.path()));
}

#[test]
fn gitlab_code_quality_has_the_required_fields_and_stable_fingerprints() {
    let dir = project();
    let report = |dir: &Path| -> Vec<Value> {
        let (code, out) = run(dir, &["check", "--output-format", "gitlab"]);
        assert_eq!(code, 1);
        serde_json::from_str(&out).expect("a JSON array")
    };
    let items = report(dir.path());
    let reference = reference(dir.path());
    assert_eq!(items.len(), reference.len());
    for (item, (file, rule, _, line, _, message)) in items.iter().zip(&reference) {
        // the fields GitLab requires
        assert_eq!(item["description"].as_str(), Some(message.as_str()));
        assert_eq!(item["check_name"].as_str(), Some(rule.as_str()));
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&item["severity"].as_str().unwrap_or("")),
            "{item}"
        );
        assert_eq!(item["location"]["path"].as_str(), Some(file.as_str()));
        assert_eq!(
            item["location"]["positions"]["begin"]["line"].as_u64(),
            Some(*line)
        );
    }
    let prints = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["fingerprint"].as_str().expect("fingerprint").to_string())
            .collect()
    };
    let before = prints(&items);
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        before.len(),
        "the two identical RUN lines differ too"
    );
    // a line added above the findings moves them but keeps their fingerprints
    let file = dir.join("r&d, v1:x/Dockerfile");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, format!("# a comment\n{text}")).expect("write");
    let after = prints(&report(dir.path()));
    assert_eq!(after, before);
}

fn xml(out: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(out).unwrap_or_else(|e| panic!("invalid XML ({e}): {out}"))
}

#[test]
fn checkstyle_is_xml_with_every_finding() {
    let dir = project();
    let (code, out) = run(dir.path(), &["check", "--output-format", "checkstyle"]);
    assert_eq!(code, 1);
    let doc = xml(&out);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "checkstyle");
    let mut found = Vec::new();
    let mut files = Vec::new();
    for file in root.children().filter(|n| n.has_tag_name("file")) {
        let name = file.attribute("name").expect("name").to_string();
        files.push(name.clone());
        for e in file.children().filter(|n| n.has_tag_name("error")) {
            let attr = |k: &str| e.attribute(k).unwrap_or_else(|| panic!("{k}")).to_string();
            found.push((
                name.clone(),
                attr("source")
                    .strip_prefix("layerwise.")
                    .expect("source")
                    .to_string(),
                attr("severity"),
                attr("line").parse().expect("line"),
                attr("column").parse().expect("column"),
                attr("message"),
            ));
        }
    }
    assert_eq!(found, reference(dir.path()));
    assert_eq!(files, ["clean/Dockerfile", "r&d, v1:x/Dockerfile"]);
}

#[test]
fn junit_is_xml_with_a_failure_per_finding_at_the_threshold() {
    let dir = project();
    let reference = reference(dir.path());
    let mut counts = Vec::new();
    for threshold in ["error", "warning", "info"] {
        let failing = reference
            .iter()
            .filter(|f| match threshold {
                "error" => f.2 == "error",
                "warning" => f.2 != "info",
                _ => true,
            })
            .count();
        counts.push(failing);
        let (_, out) = run(
            dir.path(),
            &["check", "--output-format", "junit", "--fail-on", threshold],
        );
        let doc = xml(&out);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let cases: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let failures: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .collect();
        assert_eq!(failures.len(), failing, "{threshold}: {out}");
        // a case per finding and one for the clean file
        assert_eq!(cases.len(), reference.len() + 1);
        assert_eq!(
            root.attribute("tests"),
            Some(cases.len().to_string().as_str())
        );
        assert_eq!(
            root.attribute("failures"),
            Some(failing.to_string().as_str())
        );
        for f in &failures {
            let message = f.attribute("message").expect("message");
            assert!(reference.iter().any(|r| r.5 == message), "{message}");
        }
        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert_eq!(suites[1].attribute("name"), Some("r&d, v1:x/Dockerfile"));
    }
    assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");
}

#[test]
fn sarif_links_rules_only_to_a_real_address() {
    let dir = project();
    let (_, out) = run(dir.path(), &["check", "--output-format", "sarif"]);
    let sarif: Value = serde_json::from_str(&out).expect("json");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let repository = env!("CARGO_PKG_REPOSITORY");
    for rule in rules {
        match rule.get("helpUri") {
            None => assert!(repository.is_empty()),
            Some(uri) => assert!(uri
                .as_str()
                .is_some_and(|u| u.starts_with(repository) && !repository.is_empty())),
        }
    }
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(reference(dir.path()).len())
    );
}
