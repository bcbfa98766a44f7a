//! The command line as a user runs it: exit codes, stdout and stderr together.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::project::Project;
use common::SEED;

/// A fresh folder with the given files, removed on drop.
fn project(files: &[(&str, &[u8])]) -> Project {
    Project::new("cli", files)
}

/// Run `layerwise ARGS` in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(stdout)
        .expect("JSON output")
        .as_array()
        .expect("array")
        .clone()
}

#[test]
fn broken_dockerfile_gives_a_located_syntax_error_and_exit_1() {
    let dir = project(&[
        ("Dockerfile", b"FROM alpine:3.19\nCOP . /app\n"),
        (".dockerignore", b".git\n"),
    ]);
    // the full output (the default): severity, rule and message, then the line with the range
    // underlined
    let (code, out, err) = run(dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out,
        "error[syntax]: unknown instruction `COP`; did you mean `COPY`?
 --> Dockerfile:2:1
  |
2 | COP . /app
  | ^^^
  |

1 problem in 1 file
"
    );
    assert_eq!(err, "");
    // one line per finding, for grep
    for flag in ["--output-format", "--format"] {
        let (code, out, _) = run(dir.path(), &["check", flag, "concise"]);
        assert_eq!(code, 1);
        assert_eq!(out, "Dockerfile:2:1: error[syntax]: unknown instruction `COP`; did you mean `COPY`?\n1 problem in 1 file\n");
    }
    // `text`, the old name of the default, still works
    assert_eq!(
        run(dir.path(), &["check", "--format", "text"]).1,
        out_full(dir.path())
    );
}

fn out_full(dir: &Path) -> String {
    run(dir, &["check", "--output-format", "full"]).1
}

#[test]
fn json_output_is_the_documented_contract() {
    let dir = project(&[
        ("Dockerfile", b"FROM python:3.12-slim\nWORKDIR app\n"),
        (".dockerignore", b""),
    ]);
    let (code, out, _) = run(dir.path(), &["check", "--format", "json", "Dockerfile"]);
    assert_eq!(code, 1);
    let items = json(&out);
    assert_eq!(items.len(), 1);
    let d = &items[0];
    let keys: Vec<&str> = d
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "file",
            "rule",
            "severity",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "fix"
        ]
    );
    let fix = &d["fix"];
    assert_eq!(
        (fix["title"].as_str(), fix["safety"].as_str()),
        (Some("Use the absolute path `/app`"), Some("unsafe"))
    );
    assert_eq!(
        fix["edits"][0],
        serde_json::json!({"line": 2, "column": 9, "end_line": 2, "end_column": 12, "text": "/app"})
    );
    assert_eq!(
        (
            d["rule"].as_str(),
            d["line"].as_u64(),
            d["column"].as_u64(),
            d["end_column"].as_u64()
        ),
        (Some("relative-workdir"), Some(2), Some(9), Some(12))
    );
}

#[test]
fn clean_file_exits_0() {
    let dir = project(&[
        ("Dockerfile", b"FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"),
        (".dockerignore", b".git\n"),
    ]);
    let (code, out, err) = run(dir.path(), &["check"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "0 problems in 1 file\n", "")
    );
}

#[test]
fn folders_are_searched_and_dockerignore_files_are_not_dockerfiles() {
    let dir = project(&[
        ("svc/Dockerfile.prod", b"FROM node:latest\n"),
        ("svc/Dockerfile.prod.dockerignore", b"node_modules\n"),
        ("node_modules/x/Dockerfile", b"FROM node:latest\n"),
        ("web.dockerfile", b"FROM nginx:1.25\n"),
    ]);
    let (code, out, _) = run(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let files: Vec<String> = json(&out)
        .iter()
        .map(|d| d["file"].as_str().unwrap_or("").replace('\\', "/"))
        .collect();
    assert_eq!(files, ["svc/Dockerfile.prod"]);
}

#[test]
fn usage_and_io_errors_exit_2_with_the_reason() {
    let dir = project(&[
        ("bad.Dockerfile", b"FROM alpine\nRUN echo \xff\xfe\n"),
        ("empty/.keep", b""),
    ]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["check", "bad.Dockerfile"],
            "bad.Dockerfile:2:10: not valid UTF-8",
        ),
        (&["check", "missing"], "missing:"),
        (&["check", "empty"], "no Dockerfile found"),
        (
            &["check", "--format", "xml"],
            "invalid value 'xml' for '--output-format <FORMAT>'",
        ),
        (
            &["check", "--select", "no-such-rule"],
            "unknown rule `no-such-rule`",
        ),
        (&["check", "--bogus"], "unexpected argument '--bogus'"),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        // misspellings get a suggestion
        (&["chek"], "a similar subcommand exists: 'check'"),
        (&["check", "--fixx"], "a similar argument exists: '--fix'"),
        (
            &["check", "--stdin-filename", "Dockerfile"],
            "add `-` to the paths",
        ),
        (&["rule", "nope"], "unknown rule `nope`"),
    ];
    for (args, expected) in cases {
        let (code, out, err) = run(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(expected), "{args:?}: stderr was {err:?}");
        assert_eq!(out, "", "{args:?}");
    }
}

#[test]
fn select_ignore_and_config_file() {
    let text = b"FROM node:latest\nWORKDIR app\n";
    let dir = project(&[("Dockerfile", text), (".dockerignore", b"")]);
    let rules = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["check", "--format", "json"];
        full.extend_from_slice(args);
        json(&run(dir.path(), &full).1)
            .iter()
            .map(|d| d["rule"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(rules(&[]), ["unpinned-base-image", "relative-workdir"]);
    assert_eq!(
        rules(&["--select", "relative-workdir"]),
        ["relative-workdir"]
    );
    assert_eq!(
        rules(&["--ignore", "relative-workdir"]),
        ["unpinned-base-image"]
    );
    std::fs::write(
        dir.join(".layerwise.toml"),
        "[rules]\nunpinned-base-image = \"off\"\nrelative-workdir = \"info\"\n",
    )
    .expect("write");
    let (code, out, _) = run(dir.path(), &["check", "--format", "json"]);
    let items = json(&out);
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["rule"].as_str(), items[0]["severity"].as_str()),
        (Some("relative-workdir"), Some("info"))
    );
    assert_eq!(code, 0, "info findings do not fail the check");
    std::fs::write(
        dir.join(".layerwise.toml"),
        "[rules]\nrelative-workdir = \"loud\"\n",
    )
    .expect("write");
    let (code, _, err) = run(dir.path(), &["check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".layerwise.toml") && err.contains("level must be one of"),
        "{err}"
    );
}

#[test]
fn target_names_the_stage_that_ships() {
    // the last stage is a test stage; `--target runtime` (or the config, or a comment) ships
    // the single-stage runtime, whose compiler is then a finding
    let text = b"FROM python:3.12-slim AS runtime\nRUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n\nFROM runtime AS test\nRUN pip install --no-cache-dir pytest && pytest -q /app\n";
    let dir = project(&[("Dockerfile", text), (".dockerignore", b".git\n")]);
    let rules = |args: &[&str]| -> Vec<(String, u64)> {
        let mut full = vec!["check", "--format", "json"];
        full.extend_from_slice(args);
        json(&run(dir.path(), &full).1)
            .iter()
            .map(|d| {
                (
                    d["rule"].as_str().unwrap_or("").to_string(),
                    d["line"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let toolchain = vec![("single-stage-toolchain".to_string(), 2)];
    assert_eq!(rules(&[]), []);
    assert_eq!(rules(&["--target", "runtime"]), toolchain);
    assert_eq!(
        rules(&["--target=RUNTIME"]),
        toolchain,
        "stage names are case-insensitive"
    );
    // a name that is no stage falls back to the last stage
    assert_eq!(rules(&["--target", "prod"]), []);
    std::fs::write(dir.join(".layerwise.toml"), "target = \"runtime\"\n").expect("write");
    assert_eq!(rules(&[]), toolchain);
    assert_eq!(
        rules(&["--target", "test"]),
        [],
        "the command line wins over the file"
    );
    std::fs::remove_file(dir.join(".layerwise.toml")).expect("remove");
    let mut commented = b"# layerwise: target=runtime\n".to_vec();
    commented.extend_from_slice(text);
    std::fs::write(dir.join("Dockerfile"), &commented).expect("write");
    assert_eq!(rules(&[]), [("single-stage-toolchain".to_string(), 3)]);
}

#[test]
fn manifests_without_dependencies_have_nothing_to_cache() {
    let go = b"FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/hello .\nFROM scratch\nCOPY --from=build /out/hello /hello\nENTRYPOINT [\"/hello\"]\n";
    let rust = b"FROM rust:1.79 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nFROM debian:bookworm-slim\nCOPY --from=build /src/target/release/hello /usr/local/bin/hello\nCMD [\"hello\"]\n";
    let cases: &[(&[u8], &str, &[u8], bool)] = &[
        (go, "go.mod", b"module example.com/hello\n\ngo 1.22\n", false),
        (go, "go.mod", b"module example.com/hello\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n", true),
        (rust, "Cargo.toml", b"[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n", false),
        (rust, "Cargo.toml", b"[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = \"1\"\n", true),
        (rust, "Cargo.toml", b"[workspace]\nmembers = [\"app\"]\n", true),
    ];
    for &(dockerfile, manifest, text, reported) in cases {
        let dir = project(&[
            ("Dockerfile", dockerfile),
            (".dockerignore", b".git\n"),
            (manifest, text),
        ]);
        let (_, out, _) = run(dir.path(), &["check", "--format", "json"]);
        let found = json(&out).iter().any(|d| d["rule"] == "cache-busting-copy");
        assert_eq!(found, reported, "{}", String::from_utf8_lossy(text));
    }
}

#[test]
fn node_installs_that_read_more_than_the_manifests_are_not_reordered() {
    let dockerfile = b"FROM node:20-slim AS build\nWORKDIR /app\nCOPY . .\nRUN yarn install --frozen-lockfile\nRUN yarn build\n\nFROM nginx:1.27-alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\n";
    let cases: &[(&[u8], Option<&str>)] = &[
        (
            b"{\"name\": \"web\", \"private\": true, \"workspaces\": [\"packages/*\"]}",
            Some("declares workspaces in `packages`, which is not in the build context"),
        ),
        (
            b"{\"name\": \"web\", \"scripts\": {\"postinstall\": \"node scripts/patch.js\"}}",
            Some("`postinstall` script"),
        ),
        (
            b"{\"name\": \"web\", \"scripts\": {\"build\": \"vite build\"}}",
            None,
        ),
    ];
    for &(manifest, refusal) in cases {
        let dir = project(&[
            ("Dockerfile", dockerfile),
            (".dockerignore", b"node_modules\n"),
            ("package.json", manifest),
            ("yarn.lock", b"# yarn lockfile v1\n"),
        ]);
        let (_, out, _) = run(dir.path(), &["check", "--format", "json"]);
        let items = json(&out);
        let finding = items
            .iter()
            .find(|d| d["rule"] == "cache-busting-copy")
            .expect("the broad COPY is reported");
        let message = finding["message"].as_str().unwrap_or("");
        match refusal {
            Some(reason) => {
                assert!(finding.get("fix").is_none(), "{finding}");
                assert!(message.contains(reason), "{message}");
            }
            None => assert!(finding.get("fix").is_some(), "{finding}"),
        }
    }
}

/// Found by a blind evaluation on public Dockerfiles: fixes that are sound alone must not be
/// applied together when the result builds something else.
#[test]
fn fix_all_keeps_builds_reading_their_sources() {
    // golang's image works in /go; the download moves before the broad copy, and joining the
    // build into it would compile before the sources are there
    let go = project(&[
        ("Dockerfile", b"FROM golang:1.22\nCOPY . .\nRUN go mod download\nRUN go build -o main .\nCMD [\"./main\"]\n"),
        ("go.mod", b"module example.com/bot\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n"),
        ("go.sum", b""),
        ("main.go", b"package main\n\nfunc main() {}\n"),
    ]);
    let (_, out, err) = run(
        go.path(),
        &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
    );
    let fixed = std::fs::read_to_string(go.join("Dockerfile")).expect("read");
    let copy_all = fixed
        .find("COPY . .")
        .unwrap_or_else(|| panic!("{out}{err}{fixed}"));
    let build = fixed.find("go build").expect("the build stays");
    assert!(
        copy_all < build,
        "the build runs before the sources are copied:\n{fixed}"
    );
    if fixed.contains("AS builder") {
        assert!(
            fixed.contains("COPY --from=builder /go/main /go/main"),
            "{fixed}"
        );
        assert!(fixed.contains("WORKDIR /go"), "{fixed}");
    }

    // `dotnet restore src` reads the folder `src`: copying its contents to `./` loses a level
    let dotnet = project(&[
        ("Dockerfile", b"FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nWORKDIR /src\nCOPY . .\nRUN dotnet restore src\nRUN dotnet publish src -c Release -o /app\n\nFROM mcr.microsoft.com/dotnet/runtime:8.0\nWORKDIR /app\nCOPY --from=build /app .\n"),
        (".dockerignore", b"bin\nobj\n"),
        ("src/app.csproj", b"<Project Sdk=\"Microsoft.NET.Sdk\"></Project>\n"),
    ]);
    let _ = run(
        dotnet.path(),
        &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
    );
    let fixed = std::fs::read_to_string(dotnet.join("Dockerfile")).expect("read");
    assert!(!fixed.contains("COPY src ./"), "{fixed}");

    // found by a blind evaluation: a blank line keeps the two fixes' edits apart, and joining
    // `yarn build` into the install that moved before the broad COPY compiled without sources
    let yarn = project(&[
        ("Dockerfile", b"FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn\n\nRUN yarn build\nCMD [\"node\", \"dist/index.js\"]\n"),
        (".dockerignore", b"node_modules\n.git\n"),
        ("package.json", b"{\"name\": \"w\", \"scripts\": {\"build\": \"tsc\"}}\n"),
        ("yarn.lock", b"# yarn lockfile v1\n"),
    ]);
    let _ = run(
        yarn.path(),
        &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
    );
    let fixed = std::fs::read_to_string(yarn.join("Dockerfile")).expect("read");
    let copy_all = fixed.find("COPY . .").expect("the broad COPY stays");
    let build = fixed.find("yarn build").expect("the build stays");
    assert!(
        copy_all < build,
        "the build runs before the sources:\n{fixed}"
    );

    // found by a blind evaluation: a lock file that .dockerignore leaves out is not sent, and
    // naming it in a COPY fails the build
    let ignored_lock = project(&[
        ("Dockerfile", b"FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD [\"node\", \"index.js\"]\n"),
        (".dockerignore", b"node_modules\npackage-lock.json\n"),
        ("package.json", b"{\"name\": \"w\", \"dependencies\": {\"ms\": \"2.1.3\"}}\n"),
        ("package-lock.json", b"{\"lockfileVersion\": 3, \"packages\": {}}\n"),
        ("index.js", b"console.log(1)\n"),
    ]);
    let _ = run(
        ignored_lock.path(),
        &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
    );
    let fixed = std::fs::read_to_string(ignored_lock.join("Dockerfile")).expect("read");
    assert!(fixed.contains("COPY package.json ./"), "{fixed}");
    assert!(
        !fixed.contains("COPY package.json package-lock.json"),
        "{fixed}"
    );
}

#[test]
fn a_go_project_without_modules_has_no_manifest_to_copy_first() {
    // found by a blind evaluation: GOPATH-era Dockerfiles (`go get -d ./...` in /go/src/app)
    // were told to copy a go.mod that does not exist
    let dockerfile: &[u8] = b"FROM golang:1.12-alpine\nWORKDIR /go/src/app\nCOPY . .\nRUN go get -d -v ./...\nRUN go install -v ./...\nCMD [\"app\"]\n";
    for (with_module, reported) in [(false, false), (true, true)] {
        let mut files: Vec<(&str, &[u8])> = vec![
            ("Dockerfile", dockerfile),
            (".dockerignore", b".git\n"),
            ("main.go", b"package main\n\nfunc main() {}\n"),
        ];
        if with_module {
            files.push((
                "go.mod",
                b"module example.com/app\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n",
            ));
            files.push(("go.sum", b""));
        }
        let dir = project(&files);
        let (_, out, _) = run(dir.path(), &["check", "--format", "json"]);
        let found = json(&out).iter().any(|d| d["rule"] == "cache-busting-copy");
        assert_eq!(found, reported, "go.mod present: {with_module}\n{out}");
    }
}

#[test]
fn a_manifest_copied_again_over_the_broad_copy_is_the_manifest_copy() {
    // found by a blind evaluation: `COPY . /usr/src/app`, then `COPY requirements.txt
    // /usr/src/app/` changes nothing the broad copy put there; without the slash the
    // destination is a folder only because the broad copy made it one, so the fix adds the
    // slash (moved before the broad copy, `COPY requirements.txt /usr/src/app` would write a
    // file named `app`)
    for (dest, offered) in [("/usr/src/app/", true), ("/usr/src/app", true)] {
        let dockerfile = format!(
            "FROM python:3.12\nCOPY . /usr/src/app\nCOPY requirements.txt {dest}\nWORKDIR /usr/src/app\nRUN pip install -r requirements.txt\nCMD [\"python\", \"manage.py\", \"runserver\"]\n"
        );
        let dir = project(&[
            ("Dockerfile", dockerfile.as_bytes()),
            (".dockerignore", b".git\n"),
            ("requirements.txt", b"django==5.0\n"),
            ("manage.py", b"print(1)\n"),
        ]);
        let (_, out, _) = run(dir.path(), &["check", "--format", "json"]);
        let items = json(&out);
        let finding = items
            .iter()
            .find(|d| d["rule"] == "cache-busting-copy")
            .expect("reported");
        assert_eq!(finding.get("fix").is_some(), offered, "{dest}: {finding}");
        let edits = finding["fix"]["edits"].as_array().expect("edits");
        let slash = edits.iter().any(|e| e["text"] == "/" && e["line"] == 3);
        assert_eq!(slash, !dest.ends_with('/'), "{dest}: {finding}");
        // the manifest is not copied a second time
        let again = edits.iter().any(|e| {
            e["text"]
                .as_str()
                .is_some_and(|t| t.contains("COPY requirements.txt"))
        });
        assert!(!again, "{dest}: {finding}");
    }
}

#[test]
fn builder_stage_ships_the_files_a_binary_reads_beside_it() {
    // found by a blind evaluation: a Go server opens `config.json` from its working folder; a
    // runtime stage with the binary alone fails at start
    let dir = project(&[
        ("Dockerfile", b"FROM golang:1.22\nWORKDIR /app\nCOPY . /app\nRUN go build -o main .\nCMD [\"/app/main\"]\n"),
        (".dockerignore", b".git\n"),
        ("go.mod", b"module example.com/bot\n\ngo 1.22\n"),
        ("main.go", b"package main\n\nfunc main() {}\n"),
        ("config.json", b"{}\n"),
        ("templates/index.html", b"<p>hi</p>\n"),
        ("README.md", b"# bot\n"),
    ]);
    let _ = run(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
    );
    let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
    assert!(fixed.contains("AS builder"), "{fixed}");
    assert!(
        fixed.contains("COPY --from=builder /app/config.json /app/config.json"),
        "{fixed}"
    );
    assert!(
        fixed.contains("COPY --from=builder /app/templates /app/templates"),
        "{fixed}"
    );
    assert!(!fixed.contains("README"), "{fixed}");
}

#[test]
fn builder_stage_takes_every_program_go_install_writes() {
    // found by a blind evaluation: `go install -v ./...` names no binary; the folder it writes
    // goes along whole, on the PATH; a process that runs a file of the repository by its path
    // is not what the build writes
    for (cmd, offered) in [("[\"app\"]", true), ("[\"./prebuilt\"]", false)] {
        let dockerfile = format!(
            "FROM golang:1.22-bookworm\nWORKDIR /go/src/app\nCOPY . .\nRUN go install -v ./...\nCMD {cmd}\n"
        );
        let dir = project(&[
            ("Dockerfile", dockerfile.as_bytes()),
            (".dockerignore", b".git\n"),
            ("go.mod", b"module example.com/app\n\ngo 1.22\n"),
            ("main.go", b"package main\n\nfunc main() {}\n"),
            ("prebuilt", b"#!/bin/sh\n"),
        ]);
        let _ = run(
            dir.path(),
            &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
        );
        let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
        if offered {
            assert!(
                fixed.contains("COPY --from=builder /go/bin /go/bin"),
                "{fixed}"
            );
            assert!(fixed.contains("ENV PATH=/go/bin:$PATH"), "{fixed}");
        } else {
            assert!(!fixed.contains("AS builder"), "{fixed}");
        }
    }
}

#[test]
fn builder_stage_needs_a_known_workdir() {
    // found by a blind evaluation: `gradle` images work in /home/gradle; an image layerwise
    // does not know may set any WORKDIR, so the build's output cannot be located
    let cases = [
        (
            "FROM gradle:8.10-jdk21\nCOPY . .\nRUN gradle bootJar --no-daemon\nCMD [\"java\", \"-jar\", \"build/libs/app.jar\"]\n",
            true,
        ),
        (
            "FROM acme/base:3\nRUN apt-get update && apt-get install -y --no-install-recommends golang-go && rm -rf /var/lib/apt/lists/*\nCOPY . .\nRUN go build -o app .\nCMD [\"./app\"]\n",
            false,
        ),
    ];
    for (dockerfile, fixed_expected) in cases {
        let base = dockerfile.lines().next().unwrap_or_default();
        let dir = project(&[
            ("Dockerfile", dockerfile.as_bytes()),
            (".dockerignore", b".git\n.gradle\nbuild\n"),
            ("build.gradle", b"plugins { id 'java' }\n"),
            ("go.mod", b"module x\n\ngo 1.22\n"),
        ]);
        let (_, out, _) = run(dir.path(), &["check", "--format", "json"]);
        let items = json(&out);
        let Some(finding) = items.iter().find(|d| d["rule"] == "single-stage-toolchain") else {
            panic!("{base}: no finding in {out}");
        };
        let message = finding["message"].as_str().unwrap_or("");
        if fixed_expected {
            let _ = run(
                dir.path(),
                &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
            );
            let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
            assert!(
                fixed.contains("/home/gradle/build/libs/"),
                "{base}: {message}\n{fixed}"
            );
        } else {
            assert!(message.contains("sets no WORKDIR"), "{base}: {message}");
        }
    }
}

#[test]
fn suppression_comments() {
    let dir = project(&[
        (
            "Dockerfile",
            b"# check=skip=WorkdirRelativePath\nFROM node:latest\n# hadolint global ignore=DL3059\n# layerwise: ignore=add-instead-of-copy\nADD a.txt /a.txt\nRUN a\nRUN b\nWORKDIR app\n# hadolint ignore=DL3020\nADD b.txt /b.txt\nADD c.txt /c.txt\n",
        ),
        (".dockerignore", b""),
    ]);
    let (_, out, _) = run(dir.path(), &["check", "--format", "json"]);
    let got: Vec<(String, u64)> = json(&out)
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("unpinned-base-image".to_string(), 2),
            ("add-instead-of-copy".to_string(), 11)
        ]
    );
}

#[test]
fn sarif_is_valid_and_names_rules() {
    let dir = project(&[("Dockerfile", b"FROM node:latest\n")]);
    let (code, out, _) = run(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "unpinned-base-image");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
}

#[test]
fn rules_and_rule_docs() {
    let dir = project(&[]);
    let (code, out, _) = run(dir.path(), &["rules"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), layerwise::rules::RULES.len());
    assert!(out.lines().any(|l| l.starts_with("cache-busting-copy ")));
    let (code, out, _) = run(dir.path(), &["rule", "cache-busting-copy"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# cache-busting-copy\n") && out.contains("## Why is this bad?"),
        "{out}"
    );
    // a BuildKit check name or a hadolint code finds the equivalent rule
    for name in ["DuplicateStageName", "duplicatestagename", "DL3024"] {
        let (code, out, _) = run(dir.path(), &["rule", name]);
        assert_eq!(code, 0, "{name}");
        assert!(out.starts_with("# duplicate-stage-name\n"), "{name}: {out}");
    }
}

#[test]
fn fix_applies_only_safe_fixes_and_diff_writes_nothing() {
    let dir = project(&[
        ("Dockerfile", SEED.as_bytes()),
        ("requirements.txt", b"fastapi\n"),
    ]);
    let (code, out, err) = run(dir.path(), &["check", "--diff"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("+RUN pip install --no-cache-dir --user"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(dir.join("Dockerfile")).expect("read"),
        SEED.as_bytes(),
        "--diff must not write"
    );

    let (_, out, _) = run(dir.path(), &["check", "--fix"]);
    let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
    assert_eq!(
        fixed,
        "FROM python:3.8.0-slim
COPY . /app
RUN apt-get update \\
&& apt-get install gcc -y \\
&& apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR app
RUN pip install --no-cache-dir --user --default-timeout=100 -r requirements.txt
ENTRYPOINT [\"uvicorn\", \"main:app\", \"--reload\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\"]
"
    );
    assert!(out.ends_with("(3 fixes applied)\n"), "{out}");
    assert!(
        !dir.join(".dockerignore").exists(),
        "creating a .dockerignore is not a safe fix"
    );
}

#[test]
fn unsafe_fixes_turn_the_seed_into_a_two_stage_build() {
    let dir = project(&[
        ("Dockerfile", SEED.as_bytes()),
        ("requirements.txt", b"fastapi\n"),
        ("main.py", b"app = None\n"),
    ]);
    let (code, out, err) = run(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(out, "0 problems in 1 file (9 fixes applied)\n");
    let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
    assert_eq!(
        fixed,
        "FROM python:3.8.0-slim AS builder
RUN apt-get update \\
&& apt-get install --no-install-recommends gcc libc6-dev -y \\
&& apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir --user --default-timeout=100 -r requirements.txt
COPY . /app

FROM python:3.8.0-slim
ENV PATH=/root/.local/bin:$PATH
COPY --from=builder /root/.local /root/.local
COPY --from=builder /app /app
WORKDIR /app
ENTRYPOINT [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\"]
"
    );
    let ignore = std::fs::read_to_string(dir.join(".dockerignore")).expect("created");
    assert!(
        ignore.lines().any(|l| l == ".git") && ignore.lines().any(|l| l == "__pycache__"),
        "{ignore}"
    );
    // a second run finds nothing to do
    let (code, out, _) = run(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!((code, out.as_str()), (0, "0 problems in 1 file\n"));
}

/// `git apply` takes the diff of every fix, created files included, however the Dockerfile
/// was named (`.`, `./Dockerfile`, an absolute path): checked with a real `git apply --check`
/// in a temporary repository.
#[test]
fn diff_applies_with_git_apply() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("SKIPPED diff_applies_with_git_apply: no git");
        return;
    }
    let dir = project(&[
        ("Dockerfile", SEED.as_bytes()),
        ("requirements.txt", b"fastapi\n"),
        ("main.py", b"print('hi')\n"),
    ]);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("git runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(git(&["init", "-q"]).0);
    let absolute = dir.join("Dockerfile").display().to_string();
    for target in [".", "./Dockerfile", "Dockerfile", absolute.as_str()] {
        let (code, out, err) = run(dir.path(), &["check", "--diff", "--unsafe-fixes", target]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains("+++ b/.dockerignore\n"), "{target}: {out}");
        std::fs::write(dir.join("fixes.patch"), &out).expect("write the patch");
        let (ok, err) = git(&["apply", "--check", "fixes.patch"]);
        assert!(ok, "{target}: git apply rejects the diff: {err}\n{out}");
    }
}

/// Whether every apt install of `dockerfile` (one stage) finds package lists: an update ran
/// before it, in its RUN or an earlier one, and no deletion of the lists came in between.
fn apt_installs_find_lists(dockerfile: &str) -> Result<(), String> {
    use layerwise::model::commands::{pkg_command, run_commands, PkgAction, PkgManager};
    let tree = layerwise::syntax::parse(dockerfile);
    let mut lists = false;
    for located in &tree.instructions {
        for cmd in run_commands(located) {
            let words: Vec<&str> = cmd.words.iter().map(|w| w.value.as_str()).collect();
            if words.first() == Some(&"rm")
                && words.iter().any(|w| w.starts_with("/var/lib/apt/lists"))
            {
                lists = false;
            }
            match pkg_command(&cmd) {
                Some(p) if p.manager == PkgManager::Apt && p.action == PkgAction::Update => {
                    lists = true
                }
                Some(p)
                    if p.manager == PkgManager::Apt && p.action == PkgAction::Install && !lists =>
                {
                    return Err(format!("`{}` runs without package lists", words.join(" ")));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Fix-all composes the fixes of several rules over rounds: on an update and an install in
/// separate RUNs the result must still find its packages (the list deletion never lands between
/// the update and an install), and end with the lists deleted.
#[test]
fn fix_all_keeps_apt_installs_working() {
    // (Dockerfile, whether fixing can delete the lists: not across stages)
    let cases = [
        ("FROM debian:bookworm-slim\nRUN apt-get update\nRUN apt-get install -y gcc make\nCMD [\"make\"]\n", true),
        ("FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y gcc\nCMD [\"gcc\"]\n", true),
        ("FROM debian:bookworm-slim\nRUN apt-get update\nRUN cd /tmp && apt-get install -y gcc\nCMD [\"gcc\"]\n", true),
        ("FROM debian:bookworm-slim AS base\nRUN apt-get update\n\nFROM base\nRUN apt-get install -y --no-install-recommends curl\nCMD [\"curl\"]\n", false),
    ];
    for (case, cleaned) in cases {
        apt_installs_find_lists(case).expect("the case itself works");
        let dir = project(&[("Dockerfile", case.as_bytes())]);
        let (code, out, err) = run(
            dir.path(),
            &["check", "--fix", "--unsafe-fixes", "Dockerfile"],
        );
        assert!(code == 0 || code == 1, "{out}{err}");
        let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
        if let Err(e) = apt_installs_find_lists(&fixed) {
            panic!("{e} after fixing:\n{case}\n->\n{fixed}");
        }
        assert!(
            fixed.contains("rm -rf /var/lib/apt/lists/*") == cleaned,
            "the lists are left in the image:\n{fixed}"
        );
    }
}

/// Beside another Dockerfile, the created ignore file is the Dockerfile's own
/// (`Dockerfile.prod.dockerignore`, which BuildKit reads for it), so two Dockerfiles that need
/// different entries do not fight over one `.dockerignore`.
#[test]
fn each_dockerfile_of_a_folder_gets_its_own_dockerignore() {
    let node =
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n";
    let python = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n";
    let dir = project(&[
        ("Dockerfile", node.as_bytes()),
        ("Dockerfile.prod", python.as_bytes()),
        ("package.json", b"{}\n"),
        ("package-lock.json", b"{}\n"),
    ]);
    let (code, out, err) = run(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(!dir.join(".dockerignore").exists(), "{out}");
    let own =
        std::fs::read_to_string(dir.join("Dockerfile.dockerignore")).expect("Dockerfile's own");
    let prod = std::fs::read_to_string(dir.join("Dockerfile.prod.dockerignore"))
        .expect("Dockerfile.prod's own");
    assert!(own.lines().any(|l| l == "node_modules"), "{own}");
    assert!(!prod.lines().any(|l| l == "node_modules"), "{prod}");
    let (_, out, _) = run(
        dir.path(),
        &["check", "--select", "missing-dockerignore", "."],
    );
    assert!(!out.contains("missing-dockerignore"), "{out}");
}

/// A local `node_modules` that .dockerignore does not exclude would, once the broad COPY moves
/// after `npm ci`, land on the installed one: the manifests-first fix is refused and says why;
/// excluded (or excluded by the .dockerignore another fix creates), the fix applies.
#[test]
fn manifests_first_never_copies_local_node_modules_over_the_installed_ones() {
    let dockerfile =
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n";
    let files = |ignore: Option<&'static str>| {
        let mut f: Vec<(&str, &[u8])> = vec![
            ("Dockerfile", dockerfile.as_bytes()),
            ("package.json", b"{}\n"),
            ("package-lock.json", b"{}\n"),
            ("node_modules/left-pad/index.js", b"module.exports = 1;\n"),
        ];
        if let Some(text) = ignore {
            f.push((".dockerignore", text.as_bytes()));
        }
        project(&f)
    };
    let moved = |dir: &Project| {
        let fixed = std::fs::read_to_string(dir.join("Dockerfile")).expect("read");
        // (other fixes may end the install's RUN with a cache cleanup)
        fixed.contains("COPY package.json package-lock.json ./\nRUN npm ci")
            && fixed.contains("\nCOPY . .\n")
    };

    let dir = files(Some("*.log\n"));
    let (_, out, _) = run(
        dir.path(),
        &["check", "--select", "cache-busting-copy", "."],
    );
    assert!(
        out.contains("(no automatic fix: the context's `node_modules` is not in .dockerignore"),
        "{out}"
    );
    run(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    assert!(!moved(&dir), "moved although node_modules is sent");

    let dir = files(Some("*.log\nnode_modules\n"));
    run(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    assert!(moved(&dir), "not moved although node_modules is ignored");

    let dir = files(None);
    run(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    let ignore = std::fs::read_to_string(dir.join(".dockerignore")).expect("created");
    assert!(ignore.lines().any(|l| l == "node_modules"), "{ignore}");
    assert!(moved(&dir), "not moved after the .dockerignore was created");
}
