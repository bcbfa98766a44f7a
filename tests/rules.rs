//! Every rule, case by case, through the real binary (`layerwise check --format json`).
//!
//! Each case is a Dockerfile, the (empty) files of its build context, and the exact list of
//! findings `(rule, line)` the whole linter must report: every rule, so a case also proves the
//! absence of false positives from the others. [`check`] also enforces the message style on
//! every finding it sees: one sentence, one line, no final period.

use std::process::Command;

mod common;
use common::project::Project;

use serde_json::Value;

#[derive(Debug)]
struct Finding {
    rule: String,
    line: u64,
    column: u64,
    end_line: u64,
    end_column: u64,
    message: String,
}

/// The text of a case: the raw string literal without its first line break, so that line 1 of
/// the Dockerfile is the first line after `r#"`.
fn text(dockerfile: &str) -> &str {
    dockerfile.strip_prefix('\n').unwrap_or(dockerfile)
}

/// Lint `dockerfile`, saved as `name` (a path relative to the context root) beside the empty
/// `context` files, and return every finding.
fn run_named(name: &str, dockerfile: &str, context: &[&str]) -> Vec<Finding> {
    let dir = Project::new("rules", &[(name, text(dockerfile))]);
    for file in context {
        dir.write(file, "");
    }
    // layerwise's own rules only: ShellCheck's findings (when it is installed) keep
    // ShellCheck's wording and are tested in tests/cli_shellcheck.rs
    let out = Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(["check", "--format", "json", "--no-shellcheck"])
        .arg(dir.join(name))
        .output()
        .expect("layerwise runs");
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 1),
        "exit {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let findings: Vec<Finding> = json
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|d| Finding {
            rule: d["rule"].as_str().unwrap_or_default().to_string(),
            line: d["line"].as_u64().unwrap_or_default(),
            column: d["column"].as_u64().unwrap_or_default(),
            end_line: d["end_line"].as_u64().unwrap_or_default(),
            end_column: d["end_column"].as_u64().unwrap_or_default(),
            message: d["message"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    for f in &findings {
        assert_one_sentence(f);
    }
    findings
}

fn run(dockerfile: &str, context: &[&str]) -> Vec<Finding> {
    run_named("Dockerfile", dockerfile, context)
}

/// Messages are one sentence on one line, without a final period.
fn assert_one_sentence(f: &Finding) {
    let m = &f.message;
    assert!(!m.is_empty(), "{}: empty message", f.rule);
    assert!(!m.contains('\n'), "{}: message spans lines: {m:?}", f.rule);
    assert!(
        !m.ends_with('.'),
        "{}: message ends with a period: {m:?}",
        f.rule
    );
    // a period followed by a space outside backticks starts a second sentence
    let mut in_code = false;
    let chars: Vec<char> = m.chars().collect();
    for (k, c) in chars.iter().enumerate() {
        match c {
            '`' => in_code = !in_code,
            '.' if !in_code && chars.get(k + 1) == Some(&' ') => {
                // `e.g. x` and `i.e. x` do not end a sentence
                let before: String = chars[k.saturating_sub(3)..k].iter().collect();
                assert!(
                    before == "e.g" || before == "i.e",
                    "{}: message has more than one sentence: {m:?}",
                    f.rule
                );
            }
            _ => {}
        }
    }
}

/// The findings must be exactly `expected` (rule, line), every rule included.
fn check_named(name: &str, dockerfile: &str, context: &[&str], expected: &[(&str, u64)]) {
    let findings = run_named(name, dockerfile, context);
    let mut got: Vec<(String, u64)> = findings.iter().map(|f| (f.rule.clone(), f.line)).collect();
    got.sort();
    let mut want: Vec<(String, u64)> = expected
        .iter()
        .map(|(r, l)| ((*r).to_string(), *l))
        .collect();
    want.sort();
    assert!(
        got == want,
        "findings differ\n  expected: {want:?}\n  got:      {got:?}\n  details:\n{}\n--- Dockerfile ---\n{}",
        findings
            .iter()
            .map(|f| format!("    {}:{}-{}:{} {}: {}", f.line, f.column, f.end_line, f.end_column, f.rule, f.message))
            .collect::<Vec<_>>()
            .join("\n"),
        text(dockerfile)
    );
}

fn check(dockerfile: &str, context: &[&str], expected: &[(&str, u64)]) {
    check_named("Dockerfile", dockerfile, context, expected);
}

/// The one finding of `rule`, for range assertions.
fn only(findings: &[Finding], rule: &str) -> (u64, u64, u64, u64) {
    let hits: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(hits.len(), 1, "expected one `{rule}` finding: {findings:?}");
    let f = hits[0];
    (f.line, f.column, f.end_line, f.end_column)
}

const IGNORE: &[&str] = &[".dockerignore"];

const R1: &str = "cache-busting-copy";
const R2: &str = "single-stage-toolchain";
const R3: &str = "missing-dockerignore";
const RECOMMENDS: &str = "apt-no-install-recommends";
const LISTS: &str = "apt-lists-not-cleaned";
const UPDATE_ALONE: &str = "apt-update-alone";
const PIP_CACHE: &str = "pip-no-cache-dir";
const CONSECUTIVE: &str = "consecutive-run";
const DEV: &str = "dev-server-flag";
const SHELL_FORM: &str = "shell-form-entrypoint";
const ADD: &str = "add-instead-of-copy";
const UNPINNED: &str = "unpinned-base-image";
const WORKDIR: &str = "relative-workdir";
const SYNTAX: &str = "syntax";
const INVALID_EXEC: &str = "invalid-exec-form";
const DUPLICATE_STAGE: &str = "duplicate-stage-name";
const EXPOSE_FORMAT: &str = "expose-invalid-format";
const STAGE_CASING: &str = "stage-name-casing";
const INVALID_DEFAULT: &str = "invalid-default-arg-in-from";
const EMPTY_CONTINUATION: &str = "no-empty-continuation";

// =============================================================================================
// cache-busting-copy (R1)
// =============================================================================================

#[test]
fn r1_requirements_installed_after_copy_all() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

#[test]
fn r1_manifest_copied_first_is_clean() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_pip_install_dot_needs_the_tree() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && pip install --no-cache-dir -e ".[server]"
CMD ["app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_pip_install_dot_with_requirements_fires() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /srv
COPY . /srv
RUN pip install --no-cache-dir -r /srv/requirements.txt && pip install --no-cache-dir --no-deps .
CMD ["app"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

#[test]
fn r1_chown_copy_then_npm_ci() {
    check(
        r#"
FROM node:20-alpine
WORKDIR /app
COPY --chown=node:node . .
RUN npm ci --omit=dev
USER node
CMD ["node", "server.js"]
"#,
        IGNORE,
        &[(R1, 3), ("npm-cache-not-cleaned", 4)],
    );
}

#[test]
fn r1_json_form_copy_then_yarn_production() {
    check(
        r#"
FROM node:20-alpine
WORKDIR /app
COPY ["./", "/app/"]
RUN yarn install --production --frozen-lockfile
CMD ["node", "server.js"]
"#,
        IGNORE,
        &[(R1, 3), ("npm-cache-not-cleaned", 4)],
    );
}

#[test]
fn r1_add_dot_is_a_broad_copy() {
    check(
        r#"
FROM node:20-alpine
WORKDIR /app
ADD . /app
RUN npm install
CMD ["node", "server.js"]
"#,
        &[],
        &[(ADD, 3), (R1, 3), (R3, 3), ("npm-cache-not-cleaned", 4)],
    );
}

#[test]
fn r1_fires_in_a_builder_stage() {
    check(
        r#"
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
"#,
        &[".dockerignore", "go.mod"],
        &[(R1, 3)],
    );
}

#[test]
fn r1_go_vendored_modules_download_nothing() {
    check(
        r#"
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -mod vendor -o /out/a ./cmd/a && go build -mod=vendor -o /out/b ./cmd/b

FROM golang:1.22 AS env-vendored
ENV GOFLAGS=-mod=vendor
WORKDIR /src
COPY . .
RUN go build -o /out/app .

FROM scratch
COPY --from=build /out/a /a
ENTRYPOINT ["/a"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_go_vendor_folder_in_context_is_vendored() {
    check(
        r#"
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/app .

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
"#,
        &[".dockerignore", "go.mod", "vendor/modules.txt"],
        &[],
    );
}

#[test]
fn r1_go_mod_download_first_then_build() {
    check(
        r#"
FROM golang:1.22 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -o /out/app . && go install github.com/go-delve/delve/cmd/dlv@latest

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_bind_mounted_source_is_not_a_copy() {
    check(
        r#"
FROM golang:1.22 AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,target=. \
    go build -o /out/app ./cmd/app

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
"#,
        &[],
        &[],
    );
}

#[test]
fn r1_cargo_dummy_build_then_real_build() {
    check(
        r#"
FROM rust:1.77 AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo "fn main() {}" > src/main.rs && cargo build --release --locked
COPY . .
RUN touch src/main.rs && cargo +stable build --release --locked

FROM debian:bookworm-slim
COPY --from=build /src/target/release/app /usr/local/bin/app
CMD ["app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_cargo_build_after_copy_all() {
    check(
        r#"
FROM rust:1.77 AS build
WORKDIR /src
COPY . .
RUN cargo build --release

FROM debian:bookworm-slim
COPY --from=build /src/target/release/app /usr/local/bin/app
CMD ["app"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

#[test]
fn r1_uv_project_installed_after_dependencies() {
    check(
        r#"
FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-install-project --no-dev
COPY . .
RUN uv sync --frozen --no-dev

FROM python:3.12-slim
COPY --from=build /app /app
CMD ["/app/.venv/bin/app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_visual_studio_dotnet_template() {
    check(
        r#"
FROM mcr.microsoft.com/dotnet/aspnet:8.0 AS base
USER app
WORKDIR /app
EXPOSE 8080

FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
ARG BUILD_CONFIGURATION=Release
WORKDIR /src
COPY ["WebApp/WebApp.csproj", "WebApp/"]
RUN dotnet restore "./WebApp/WebApp.csproj"
COPY . .
WORKDIR "/src/WebApp"
RUN dotnet build "./WebApp.csproj" -c $BUILD_CONFIGURATION -o /app/build

FROM build AS publish
ARG BUILD_CONFIGURATION=Release
RUN dotnet publish "./WebApp.csproj" -c $BUILD_CONFIGURATION -o /app/publish /p:UseAppHost=false

FROM base AS final
WORKDIR /app
COPY --from=publish /app/publish .
ENTRYPOINT ["dotnet", "WebApp.dll"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r1_dotnet_publish_restores_implicitly() {
    check(
        r#"
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:8.0
WORKDIR /app
COPY --from=build /out .
ENTRYPOINT ["dotnet", "Api.dll"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

#[test]
fn r1_installs_behind_options_wrappers_and_nested_shells() {
    check(
        r#"
FROM node:20 AS a
COPY . .
RUN npm --prefix /app ci

FROM node:20 AS b
COPY . .
RUN yarn --frozen-lockfile --network-timeout 100000

FROM eclipse-temurin:21-jdk AS c
COPY . .
RUN sh ./gradlew bootJar --no-daemon

FROM node:20 AS d
COPY . .
RUN bash -c "cd /app && npm ci"

FROM php:8.3-cli AS e
COPY . .
RUN php composer.phar install --no-dev

FROM node:20
COPY --from=a /app /app
CMD ["node", "/app/server.js"]
"#,
        IGNORE,
        &[(R1, 2), (R1, 6), (R1, 10), (R1, 14), (R1, 18)],
    );
}

#[test]
fn r1_tool_installs_are_not_dependency_installs() {
    check(
        r#"
FROM node:20
WORKDIR /app
COPY . .
RUN npm install -g pm2 && corepack enable && npm run build && npx prisma generate
CMD ["pm2-runtime", "dist/server.js"]
"#,
        IGNORE,
        &[("npm-cache-not-cleaned", 4)],
    );
}

#[test]
fn r1_another_ecosystem_installed_after_the_copy() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN npm ci && npm run build
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R1, 5), ("npm-cache-not-cleaned", 6)],
    );
}

#[test]
fn r1_poetry_installed_as_a_tool_then_used() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir poetry==1.8.3 && poetry install --no-root --only main
CMD ["poetry", "run", "gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

#[test]
fn r1_onbuild_triggers_in_the_wrong_order() {
    check(
        r#"
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1
WORKDIR /app
ONBUILD COPY . /app/
ONBUILD RUN pip install -r requirements.txt
CMD ["python", "main.py"]
"#,
        &[],
        &[(R1, 4)],
    );
}

#[test]
fn r1_onbuild_triggers_in_the_right_order() {
    check(
        r#"
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1
WORKDIR /app
ONBUILD COPY requirements.txt /app/
ONBUILD RUN pip install -r requirements.txt
ONBUILD COPY . /app/
CMD ["python", "main.py"]
"#,
        &[],
        &[],
    );
}

#[test]
fn r1_lowercase_instructions() {
    check(
        r#"
from python:3.12-slim
workdir /app
copy . .
run pip install -r requirements.txt
cmd ["python", "app.py"]
"#,
        IGNORE,
        &[(R1, 3), (PIP_CACHE, 4)],
    );
}

#[test]
fn r1_crlf_line_endings() {
    let text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install \\\n    -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"
        .replace('\n', "\r\n");
    check(&text, IGNORE, &[(R1, 3), (PIP_CACHE, 4)]);
}

#[test]
fn r1_heredoc_script_installs() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN <<EOF
set -e
pip install --no-cache-dir -r requirements.txt
python -m compileall .
EOF
CMD ["python", "app.py"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

#[test]
fn r1_comments_and_blank_lines_inside_a_continuation() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN apt-get update \
# the compiler for the C extensions
    && apt-get install -y --no-install-recommends libpq5 \

    && pip install -r requirements.txt \
    && rm -rf /var/lib/apt/lists/*
CMD ["python", "app.py"]
"#,
        IGNORE,
        // the blank line inside the RUN is BuildKit's deprecated empty continuation
        &[(R1, 3), (EMPTY_CONTINUATION, 4), (PIP_CACHE, 4)],
    );
}

#[test]
fn r1_backtick_escape_windows_publish() {
    check(
        r#"
# escape=`
FROM mcr.microsoft.com/dotnet/sdk:8.0-windowsservercore-ltsc2022 AS build
WORKDIR C:\src
COPY . .
RUN dotnet publish Api\Api.csproj `
    -c Release `
    -o C:\out

FROM mcr.microsoft.com/dotnet/aspnet:8.0-windowsservercore-ltsc2022
WORKDIR C:\app
COPY --from=build C:\out .
ENTRYPOINT ["dotnet", "Api.dll"]
"#,
        IGNORE,
        &[(R1, 4)],
    );
}

#[test]
fn r1_exec_form_run_installs() {
    check(
        r#"
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN ["pip", "install", "--no-cache-dir", "-r", "requirements.txt"]
CMD ["python", "app.py"]
"#,
        IGNORE,
        &[(R1, 3)],
    );
}

// =============================================================================================
// single-stage-toolchain (R2)
// =============================================================================================

#[test]
fn r2_compiler_and_headers_in_the_final_image() {
    check(
        r#"
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R2, 2)],
    );
}

#[test]
fn r2_runtime_libraries_are_fine() {
    check(
        r#"
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libssl3 libzip4 curl ca-certificates && rm -rf /var/lib/apt/lists/*
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_purged_in_the_same_run_is_fine() {
    check(
        r#"
FROM python:3.12-slim
COPY requirements.txt .
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libpq-dev \
    && pip install --no-cache-dir -r requirements.txt \
    && apt-get purge -y --auto-remove gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_purged_in_a_later_run_still_ships() {
    check(
        r#"
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
RUN apt-get purge -y --auto-remove gcc
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R2, 2), (CONSECUTIVE, 5)],
    );
}

#[test]
fn r2_apk_virtual_package_deleted_in_the_same_run() {
    check(
        r#"
FROM python:3.12-alpine
COPY requirements.txt .
RUN apk add --no-cache --virtual .build-deps gcc musl-dev postgresql-dev \
    && pip install --no-cache-dir -r requirements.txt \
    && apk del .build-deps
RUN apk add --no-cache --virtual=.rust-deps cargo rust && pip install --no-cache-dir cryptography && apk del --no-network .rust-deps
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_apk_virtual_package_never_deleted() {
    check(
        r#"
FROM python:3.12-alpine
RUN apk add --no-cache --virtual .build-deps gcc musl-dev
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R2, 2)],
    );
}

#[test]
fn r2_official_image_apt_mark_idiom() {
    check(
        r#"
FROM debian:bookworm-slim
RUN set -eux; \
	savedAptMark="$(apt-mark showmanual)"; \
	apt-get update; \
	apt-get install -y --no-install-recommends gcc libc6-dev make wget ca-certificates; \
	wget -O /tmp/src.tgz "https://example.com/src.tgz"; \
	make -C /tmp/src install; \
	apt-mark auto '.*' > /dev/null; \
	[ -z "$savedAptMark" ] || apt-mark manual $savedAptMark; \
	apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; \
	rm -rf /var/lib/apt/lists/* /tmp/src*
CMD ["/usr/local/bin/tool"]
"#,
        IGNORE,
        &[("wget-progress", 2)],
    );
}

#[test]
fn r2_packages_in_a_shell_variable() {
    check(
        r#"
FROM python:3.12-slim
RUN buildDeps='gcc libpq-dev' \
    && apt-get update && apt-get install -y --no-install-recommends $buildDeps \
    && pip install --no-cache-dir psycopg2 \
    && apt-get purge -y --auto-remove $buildDeps \
    && rm -rf /var/lib/apt/lists/*
RUN buildDeps="make g++" \
    && apt-get update && apt-get install -y --no-install-recommends $buildDeps \
    && rm -rf /var/lib/apt/lists/*
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(R2, 7)],
    );
}

#[test]
fn r2_packages_in_an_env_variable() {
    check(
        r#"
FROM ruby:3.3-slim
ENV BUILD_PACKAGES="build-essential libpq-dev git"
RUN apt-get update -qq && apt-get install -y --no-install-recommends ${BUILD_PACKAGES} && rm -rf /var/lib/apt/lists/*
COPY Gemfile Gemfile.lock ./
RUN bundle install
CMD ["bundle", "exec", "puma"]
"#,
        IGNORE,
        &[(R2, 3)],
    );
}

#[test]
fn r2_builder_stage_toolchain_is_not_shipped() {
    check(
        r#"
FROM python:3.12-slim AS build
RUN apt-get update && apt-get install -y gcc libpq-dev git
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_inherited_through_from_stage() {
    check(
        r#"
FROM python:3.12-slim AS base
RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*

FROM base AS test
RUN pip install --no-cache-dir pytest

FROM base
COPY app.py .
CMD ["python", "app.py"]
"#,
        IGNORE,
        &[(R2, 2)],
    );
}

#[test]
fn r2_sdk_base_image_in_the_final_stage() {
    check(
        r#"
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION}-alpine
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -o /bin/app .
CMD ["/bin/app"]
"#,
        IGNORE,
        &[(R2, 2)],
    );
}

#[test]
fn r2_sdk_images_by_registry_path() {
    check(
        r#"
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS base
WORKDIR /app

FROM base
COPY app.csproj .
RUN dotnet restore
ENTRYPOINT ["dotnet", "run"]
"#,
        IGNORE,
        &[(R2, 1)],
    );
}

#[test]
fn r2_unresolved_base_image_is_not_guessed() {
    check(
        r#"
ARG REGISTRY
FROM ${REGISTRY}/golang:1.22
COPY main.go .
CMD ["go", "run", "main.go"]
"#,
        IGNORE,
        // no toolchain finding; only that the image needs `--build-arg REGISTRY=...`, and a
        // relative COPY destination under a base image whose WORKDIR is unknown
        &[(INVALID_DEFAULT, 2), ("copy-relative-dest", 3)],
    );
}

#[test]
fn r2_git_in_the_shipped_stage_only() {
    check(
        r#"
FROM node:20-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci

FROM node:20-slim
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY src/ ./src/
CMD ["node", "src/index.js"]
"#,
        IGNORE,
        &[(R2, 8), ("npm-cache-not-cleaned", 11)],
    );
}

#[test]
fn r2_node_only_builds_assets_for_a_python_app() {
    check(
        r#"
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY assets/ ./assets/
RUN npm run build
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
"#,
        IGNORE,
        &[(R2, 2), ("npm-cache-not-cleaned", 5)],
    );
}

#[test]
fn r2_node_is_the_runtime() {
    check(
        r#"
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY src/ ./src/
ENTRYPOINT ["tini", "--"]
CMD ["node", "src/index.js"]
"#,
        IGNORE,
        &[("npm-cache-not-cleaned", 5)],
    );
}

#[test]
fn r2_jdk_as_the_runtime_but_maven_ships() {
    check(
        r#"
FROM ubuntu:22.04
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jdk && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y --no-install-recommends maven && rm -rf /var/lib/apt/lists/*
COPY target/app.jar /app.jar
CMD ["java", "-jar", "/app.jar"]
"#,
        IGNORE,
        &[(R2, 3)],
    );
}

#[test]
fn r2_rustup_and_dnf_group_install() {
    check(
        r#"
FROM fedora:40
RUN dnf -y groupinstall "Development Tools" && dnf clean all
RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y
RUN yum install -y gcc && yum remove -y gcc
COPY bin/server /usr/local/bin/server
CMD ["server"]
"#,
        IGNORE,
        &[
            (R2, 2),
            (R2, 3),
            (CONSECUTIVE, 3),
            (CONSECUTIVE, 4),
            ("pipe-without-pipefail", 3),
            ("rpm-cache-not-cleaned", 4),
        ],
    );
}

#[test]
fn r2_heredoc_install_with_and_without_purge() {
    check(
        r#"
FROM python:3.12-slim
COPY requirements.txt .
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends build-essential
pip install --no-cache-dir -r requirements.txt
apt-get purge -y --auto-remove build-essential
rm -rf /var/lib/apt/lists/*
EOF
RUN <<EOF bash
apt-get update
apt-get install -y --no-install-recommends cmake
rm -rf /var/lib/apt/lists/*
EOF
CMD ["python", "-m", "app"]
"#,
        IGNORE,
        &[(R2, 11)],
    );
}

#[test]
fn r2_sudo_and_nested_shell_installs() {
    check(
        r#"
FROM ubuntu:24.04
RUN sudo apt-get update && sudo apt-get install -y --no-install-recommends make && sudo rm -rf /var/lib/apt/lists/*
RUN bash -euxo pipefail -c "apt-get update && apt-get install -y --no-install-recommends clang && rm -rf /var/lib/apt/lists/*"
COPY server /usr/local/bin/server
CMD ["server"]
"#,
        IGNORE,
        &[(R2, 2), (R2, 3), ("sudo-in-run", 2)],
    );
}

#[test]
fn r2_devcontainer_is_a_toolchain_image() {
    check_named(
        ".devcontainer/Dockerfile",
        r#"
FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake git gdb && rm -rf /var/lib/apt/lists/*
COPY requirements-dev.txt /tmp/
CMD ["sleep", "infinity"]
"#,
        &[
            ".devcontainer/devcontainer.json",
            ".devcontainer/.dockerignore",
        ],
        &[],
    );
}

#[test]
fn r2_ci_toolchain_image_without_a_process() {
    check(
        r#"
FROM ubuntu:24.04
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake ninja-build git && rm -rf /var/lib/apt/lists/*
WORKDIR /workspace
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_onbuild_triggers_run_in_the_child() {
    check(
        r#"
FROM python:3.12-slim
ONBUILD RUN apt-get update && apt-get install -y gcc
COPY app.py .
CMD ["python", "app.py"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_build_dependencies_of_a_package() {
    check(
        r#"
FROM python:3.12-slim
RUN apt-get update && apt-get build-dep -y python3-psycopg2 && rm -rf /var/lib/apt/lists/*
COPY app.py .
CMD ["python", "app.py"]
"#,
        IGNORE,
        &[(R2, 2)],
    );
}

#[test]
fn r2_image_that_runs_the_tool_itself() {
    check(
        r#"
FROM alpine:3.20
RUN apk add --no-cache git openssh-client
ENTRYPOINT ["git"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn r2_server_image_with_inherited_process_is_checked() {
    check(
        r#"
FROM nginx:1.27
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
COPY nginx.conf /etc/nginx/conf.d/default.conf
"#,
        IGNORE,
        &[(R2, 2)],
    );
}

#[test]
fn r2_sdk_image_that_runs_the_source() {
    check(
        r#"
FROM golang:1.22
WORKDIR /src
COPY . .
CMD ["go", "run", "."]
"#,
        IGNORE,
        &[(R2, 1)],
    );
}

// =============================================================================================
// missing-dockerignore (R3)
// =============================================================================================

#[test]
fn r3_once_at_the_first_broad_copy() {
    check(
        r#"
FROM node:20 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM nginx:1.27-alpine
COPY ./ /usr/share/nginx/html/
"#,
        &[],
        &[(R3, 5)],
    );
}

#[test]
fn r3_per_dockerfile_ignore_file() {
    check_named(
        "Dockerfile.prod",
        r#"
FROM nginx:1.27-alpine
COPY . /usr/share/nginx/html/
"#,
        &["Dockerfile.prod.dockerignore"],
        &[],
    );
}

#[test]
fn r3_other_dockerfiles_ignore_file_does_not_count() {
    check_named(
        "Dockerfile.prod",
        r#"
FROM nginx:1.27-alpine
COPY . /usr/share/nginx/html/
"#,
        &["Dockerfile.dev.dockerignore"],
        &[(R3, 2)],
    );
}

#[test]
fn r3_globs_subfolders_and_stage_copies_are_not_broad() {
    check(
        r#"
FROM node:20 AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY src/ ./src/
COPY *.config.js ./
RUN npm run build

FROM nginx:1.27-alpine
COPY --from=build /app/dist .
"#,
        &[],
        &[],
    );
}

#[test]
fn r3_onbuild_copies_the_child_context() {
    check(
        r#"
FROM node:20
WORKDIR /app
ONBUILD COPY package.json package-lock.json ./
ONBUILD RUN npm ci
ONBUILD COPY . .
CMD ["node", "index.js"]
"#,
        &[],
        &[],
    );
}

// =============================================================================================
// apt-no-install-recommends
// =============================================================================================

#[test]
fn recommends_every_spelling_of_install() {
    check(
        r#"
FROM debian:bookworm-slim
RUN apt-get update && apt-get -y install curl && rm -rf /var/lib/apt/lists/*
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -qq -y wget && rm -rf /var/lib/apt/lists/*
RUN apt update && apt install -y jq && rm -rf /var/lib/apt/lists/*
RUN apt-get update && xargs apt-get install -y < /tmp/packages.txt && rm -rf /var/lib/apt/lists/*
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
        &[
            (RECOMMENDS, 2),
            (RECOMMENDS, 3),
            (RECOMMENDS, 4),
            (RECOMMENDS, 5),
            ("curl-and-wget", 3),
        ],
    );
}

#[test]
fn recommends_turned_off_by_option_or_config() {
    check(
        r#"
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y -o APT::Install-Recommends=false curl && rm -rf /var/lib/apt/lists/*
RUN echo 'APT::Install-Recommends "0";' > /etc/apt/apt.conf.d/01norecommends
RUN apt-get update && apt-get install -y wget && rm -rf /var/lib/apt/lists/*
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
        &[("curl-and-wget", 4)],
    );
}

#[test]
fn recommends_only_in_shipped_stages() {
    check(
        r#"
FROM debian:bookworm-slim AS fetch
RUN apt-get update && apt-get install -y curl
RUN curl -fsSLo /tmp/tool https://example.com/tool

FROM debian:bookworm-slim
COPY --from=fetch /tmp/tool /usr/local/bin/tool
CMD ["tool"]
"#,
        IGNORE,
        &[(CONSECUTIVE, 3)],
    );
}

// =============================================================================================
// apt-lists-not-cleaned
// =============================================================================================

#[test]
fn lists_clean_is_not_enough() {
    check(
        r#"
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
        &[(LISTS, 2)],
    );
}

#[test]
fn lists_removed_or_mounted() {
    check(
        r#"
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends jq
RUN --mount=type=tmpfs,target=/var/lib/apt/lists \
    apt-get update && apt-get install -y --no-install-recommends wget
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
        &[("curl-and-wget", 6)],
    );
}

#[test]
fn lists_removed_before_the_update_do_not_count() {
    check(
        r#"
FROM debian:bookworm-slim
RUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y --no-install-recommends curl
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
        &[(LISTS, 2)],
    );
}

#[test]
fn lists_cache_mount_on_archives_only() {
    check(
        r#"
FROM debian:bookworm-slim
RUN --mount=type=cache,target=/var/cache/apt \
    apt-get update && apt-get install -y --no-install-recommends curl
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
        &[(LISTS, 2)],
    );
}

// =============================================================================================
// apt-update-alone
// =============================================================================================

#[test]
fn update_alone_before_a_later_install() {
    check(
        r#"
FROM debian:bookworm-slim AS build
RUN apt-get update
COPY build.sh .
RUN apt-get install -y --no-install-recommends make

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
CMD ["curl", "--version"]
"#,
        IGNORE,
        &[(UPDATE_ALONE, 2)],
    );
}

#[test]
fn update_alone_apk_fresh_index_is_fine() {
    check(
        r#"
FROM alpine:3.20
RUN apk update
RUN apk add --no-cache curl
RUN apk add jq
CMD ["curl", "--version"]
"#,
        IGNORE,
        &[(UPDATE_ALONE, 2), (CONSECUTIVE, 3), (CONSECUTIVE, 4)],
    );
    check(
        r#"
FROM alpine:3.20
RUN apk update
RUN apk add --no-cache curl
CMD ["curl", "--version"]
"#,
        IGNORE,
        &[(CONSECUTIVE, 3)],
    );
}

#[test]
fn update_alone_without_a_later_install_is_fine() {
    check(
        r#"
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get upgrade -y
COPY app /app

FROM build
CMD ["/app"]
"#,
        IGNORE,
        &[(LISTS, 2)],
    );
}

// =============================================================================================
// pip-no-cache-dir
// =============================================================================================

#[test]
fn pip_cache_every_spelling_of_pip() {
    check(
        r#"
FROM python:3.12-slim
RUN pip install --upgrade pip
COPY . .
RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt
RUN python3 -m pip install --user -r requirements.txt && pip3 install gunicorn
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[
            (PIP_CACHE, 2),
            (R1, 3),
            (PIP_CACHE, 4),
            (CONSECUTIVE, 5),
            (PIP_CACHE, 5),
        ],
    );
}

#[test]
fn pip_cache_disabled_by_env_mount_or_cleanup() {
    check(
        r#"
FROM python:3.12-slim AS base
ENV PIP_NO_CACHE_DIR=true

FROM base
RUN pip install gunicorn
RUN --mount=type=cache,target=/root/.cache/pip pip install flask
RUN PIP_NO_CACHE_DIR=1 pip install requests && echo done
RUN pip install uvicorn && rm -rf /root/.cache/pip
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(CONSECUTIVE, 8)],
    );
}

#[test]
fn pip_cache_not_disabled_by_a_false_env() {
    check(
        r#"
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=0
RUN pip install gunicorn
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(PIP_CACHE, 3)],
    );
}

#[test]
fn pip_cache_ignores_uv_poetry_and_builder_stages() {
    check(
        r#"
FROM python:3.12-slim AS build
RUN pip install -r requirements.txt

FROM python:3.12-slim
COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv
RUN uv pip install --system gunicorn
COPY --from=build /usr/local /usr/local
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[],
    );
}

// =============================================================================================
// consecutive-run
// =============================================================================================

#[test]
fn consecutive_runs_with_comments_between() {
    check(
        r#"
FROM node:20-alpine
RUN npm install -g pnpm

# the process manager
RUN npm install -g pm2
COPY dist/ /app/
CMD ["pm2-runtime", "/app/index.js"]
"#,
        IGNORE,
        &[
            (CONSECUTIVE, 5),
            ("npm-cache-not-cleaned", 2),
            ("npm-cache-not-cleaned", 5),
        ],
    );
}

#[test]
fn consecutive_runs_with_different_mounts_or_long_chains() {
    check(
        r#"
FROM node:20-alpine
RUN --mount=type=cache,target=/root/.npm npm install -g pnpm
RUN npm install -g pm2
RUN apk add --no-cache tini && addgroup app && adduser -G app -D app
RUN echo ok
RUN <<EOF
echo one
echo two
echo three
EOF
RUN echo four
COPY dist/ /app/
CMD ["pm2-runtime", "/app/index.js"]
"#,
        IGNORE,
        &[("npm-cache-not-cleaned", 3)],
    );
}

#[test]
fn consecutive_runs_suppressed_file_wide() {
    check(
        r#"
# hadolint global ignore=DL3059
FROM node:20-alpine
RUN npm install -g pnpm
RUN npm install -g pm2
COPY dist/ /app/
CMD ["pm2-runtime", "/app/index.js"]
"#,
        IGNORE,
        &[("npm-cache-not-cleaned", 3), ("npm-cache-not-cleaned", 4)],
    );
}

// =============================================================================================
// dev-server-flag
// =============================================================================================

#[test]
fn dev_reload_in_the_final_command() {
    check(
        r#"
FROM python:3.12-slim
COPY app/ /app/
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--reload"]
"#,
        IGNORE,
        &[(DEV, 3)],
    );
}

#[test]
fn dev_reload_in_a_non_final_stage() {
    check(
        r#"
FROM python:3.12-slim AS dev
COPY app/ /app/
CMD ["uvicorn", "app.main:app", "--reload"]

FROM python:3.12-slim
COPY app/ /app/
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn dev_inherited_from_the_parent_stage() {
    check(
        r#"
FROM node:20 AS dev
WORKDIR /app
CMD ["npm", "run", "dev"]

FROM dev
COPY src/ ./src/
"#,
        IGNORE,
        &[(DEV, 3)],
    );
}

#[test]
fn dev_servers_behind_shells_runners_and_entrypoints() {
    check(
        r#"
FROM python:3.12-slim
CMD ["sh", "-c", "python manage.py migrate && python manage.py runserver 0.0.0.0:8000"]
"#,
        IGNORE,
        &[(DEV, 2)],
    );
    check(
        r#"
FROM node:20
ENTRYPOINT ["tini", "--"]
CMD ["npx", "nodemon", "server.js"]
"#,
        IGNORE,
        &[(DEV, 3)],
    );
    check(
        r#"
FROM python:3.12-slim
ENTRYPOINT ["python", "-m", "flask"]
CMD ["run", "--host=0.0.0.0"]
"#,
        IGNORE,
        &[(DEV, 3)],
    );
}

#[test]
fn dev_servers_of_many_ecosystems() {
    for (cmd, line) in [
        (r#"CMD ["yarn", "dev"]"#, 2),
        (r#"CMD ["next", "dev", "-p", "3000"]"#, 2),
        (r#"CMD ["php", "-S", "0.0.0.0:8000", "-t", "public"]"#, 2),
        (r#"CMD ["php", "artisan", "serve", "--host=0.0.0.0"]"#, 2),
        (r#"CMD ["dotnet", "watch", "run"]"#, 2),
        (r#"CMD ["node", "--watch", "server.js"]"#, 2),
        (r#"CMD ["gunicorn", "--reload", "app:app"]"#, 2),
        (r#"CMD ["fastapi", "dev", "main.py"]"#, 2),
        (r#"CMD npm run start:dev"#, 2),
    ] {
        let dockerfile = format!("FROM node:20\n{cmd}\n");
        let mut expected = vec![(DEV, line)];
        if !cmd.contains('[') {
            expected.push((SHELL_FORM, line));
        }
        check(&dockerfile, IGNORE, &expected);
    }
}

#[test]
fn dev_production_servers_are_fine() {
    check(
        r#"
FROM python:3.12-slim
CMD ["sh", "-c", "exec gunicorn app:app --bind 0.0.0.0:$PORT"]
"#,
        IGNORE,
        &[],
    );
    check(
        r#"
FROM node:20
CMD ["npm", "start"]
"#,
        IGNORE,
        &[],
    );
}

// =============================================================================================
// shell-form-entrypoint
// =============================================================================================

#[test]
fn shell_form_cmd_and_entrypoint() {
    check(
        r#"
FROM python:3.12-slim
CMD gunicorn app:app --bind 0.0.0.0:8000
"#,
        IGNORE,
        &[(SHELL_FORM, 2)],
    );
    check(
        r#"
FROM python:3.12-slim
ENTRYPOINT /usr/local/bin/start --port 80
CMD ["ignored"]
"#,
        IGNORE,
        &[(SHELL_FORM, 2)],
    );
}

#[test]
fn shell_form_fine_cases() {
    check(
        r#"
FROM python:3.12-slim AS base
CMD ["python", "old.py"]

FROM base
ENTRYPOINT ["gunicorn"]
CMD app:app --bind 0.0.0.0
"#,
        IGNORE,
        &[],
    );
    // every stage's own process counts, as in BuildKit: `--target base` runs it
    check(
        r#"
FROM python:3.12-slim AS base
CMD python old.py

FROM base
ENTRYPOINT ["gunicorn"]
"#,
        IGNORE,
        &[(SHELL_FORM, 2)],
    );
    check(
        r#"
FROM python:3.12-slim
CMD exec gunicorn app:app --bind 0.0.0.0:8000
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn shell_form_inherited_from_the_parent_stage() {
    check(
        r#"
FROM python:3.12-slim AS base
CMD python app.py

FROM base
COPY app.py .
"#,
        IGNORE,
        &[(SHELL_FORM, 2)],
    );
}

#[test]
fn shell_form_under_a_shell_instruction() {
    // the SHELL in this stage, then one inherited from the parent stage: BuildKit does not warn
    check(
        r#"
FROM ruby:3.3-slim
SHELL ["/bin/bash", "-c"]
CMD bundle exec puma -C config/puma.rb
"#,
        IGNORE,
        &[],
    );
    check(
        r#"
FROM ruby:3.3-slim AS base
SHELL ["/bin/bash", "-c"]

FROM base
CMD bundle exec puma -C config/puma.rb
"#,
        IGNORE,
        &[],
    );
    // a SHELL after the CMD does not change how the CMD runs
    check(
        r#"
FROM ruby:3.3-slim
CMD bundle exec puma -C config/puma.rb
SHELL ["/bin/bash", "-c"]
"#,
        IGNORE,
        &[(SHELL_FORM, 2)],
    );
}

#[test]
fn shell_form_suppressed_by_buildkit_check_directive() {
    check(
        r#"
# check=skip=JSONArgsRecommended
FROM python:3.12-slim
CMD python app.py
"#,
        IGNORE,
        &[],
    );
}

// =============================================================================================
// add-instead-of-copy
// =============================================================================================

#[test]
fn add_of_local_files() {
    check(
        r#"
ARG JAR_FILE=target/app.jar
FROM eclipse-temurin:21-jre
ARG JAR_FILE
ADD ${JAR_FILE} /app.jar
ADD --chown=app config/ /etc/app/
ADD dist.zip /opt/
ONBUILD ADD . /app
CMD ["java", "-jar", "/app.jar"]
"#,
        IGNORE,
        &[(ADD, 4), (ADD, 5), (ADD, 6), (ADD, 7)],
    );
}

#[test]
fn add_of_urls_git_and_archives() {
    check(
        r#"
ARG TOOL_URL=https://example.com/tool.bin
FROM debian:bookworm-slim
ARG TOOL_URL
ADD ${TOOL_URL} /usr/local/bin/tool
ADD https://example.com/app.tar.gz /opt/
ADD rootfs.tar.xz /
ADD vendor.tgz /opt/vendor/
ADD git@github.com:example/repo.git /src
ADD --checksum=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef https://example.com/x /x
CMD ["tool"]
"#,
        IGNORE,
        &[],
    );
}

// =============================================================================================
// unpinned-base-image
// =============================================================================================

#[test]
fn unpinned_images() {
    check(
        r#"
ARG BASE=python
FROM ubuntu AS a
FROM node:latest AS b
FROM ${BASE} AS c
FROM registry.example.com/team/app AS d
FROM docker.io/library/alpine:LATEST AS e
FROM localhost:5000/team/base AS f
FROM localhost/base:latest AS g
FROM scratch
COPY --from=a /bin/true /true
COPY --from=b /usr/local/bin/node /b
COPY --from=c /usr/local/bin/python3 /c
COPY --from=d /app /d
COPY --from=e /bin/busybox /e
COPY --from=f /base /f
COPY --from=g /base /g
"#,
        IGNORE,
        // an image on this machine's registry is the project's own
        &[(UNPINNED, 2), (UNPINNED, 3), (UNPINNED, 4), (UNPINNED, 5)],
    );
}

#[test]
fn pinned_or_unknown_images() {
    check(
        r#"
ARG REGISTRY
ARG TAG
ARG PY=3.12
FROM ${REGISTRY}/app:${TAG} AS a
FROM python:${PY}-slim AS b
FROM python@sha256:4a4ab2e2bb8e0cd2aa9ab2e0b5d2f17c0cbba3ef5d82c4b1d4c1b2a3d4e5f6a7 AS c
FROM --platform=$BUILDPLATFORM golang:1.22-bookworm AS d
FROM node:20-alpine AS e
FROM b
COPY --from=d /go/bin /bin
CMD ["app"]
"#,
        IGNORE,
        // nothing about pinning; `docker build` without `--build-arg` pulls `/app:`, though
        &[(INVALID_DEFAULT, 4)],
    );
}

// =============================================================================================
// relative-workdir
// =============================================================================================

#[test]
fn relative_workdirs() {
    check(
        r#"
FROM python:3.12-slim
ARG DIR=app
WORKDIR src
WORKDIR ~/app
WORKDIR ${DIR}
COPY main.py .
CMD ["python", "main.py"]
"#,
        IGNORE,
        // `${DIR}` follows `src`: fixing the first relative WORKDIR fixes it too
        &[(WORKDIR, 3), (WORKDIR, 4)],
    );
}

#[test]
fn relative_workdir_after_an_absolute_one_in_a_parent_stage() {
    check(
        r#"
FROM node:20-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM deps
WORKDIR server/
COPY . .
CMD ["node", "index.js"]
"#,
        IGNORE,
        &[("npm-cache-not-cleaned", 4)],
    );
}

#[test]
fn absolute_or_unknown_workdirs() {
    check(
        r#"
FROM python:3.12-slim
ENV HOME=/home/app
ARG UNSET
WORKDIR $HOME/app
WORKDIR ${UNSET}/srv
WORKDIR "/src/web app"
WORKDIR /
COPY main.py .
CMD ["python", "main.py"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn windows_workdirs_under_backtick_escape() {
    check(
        r#"
# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
WORKDIR C:\app
WORKDIR c:/data
WORKDIR logs
COPY app.exe C:\app\
CMD ["C:\\app\\app.exe"]
"#,
        IGNORE,
        // `logs` resolves against `c:/data`
        &[],
    );
    check(
        r#"
# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
WORKDIR logs
CMD ["C:\\app\\app.exe"]
"#,
        IGNORE,
        &[(WORKDIR, 3)],
    );
}

// =============================================================================================
// suppression comments
// =============================================================================================

#[test]
fn suppressed_for_one_instruction() {
    check(
        r#"
FROM python:3.12-slim
# layerwise: ignore=pip-no-cache-dir
RUN pip install gunicorn
RUN pip install flask && echo installed && echo twice
# hadolint ignore=DL3015
RUN apt-get update && apt-get install -y curl
CMD ["gunicorn", "app:app"]
"#,
        IGNORE,
        &[(PIP_CACHE, 4), (LISTS, 6)],
    );
}

#[test]
fn suppressed_at_the_from_and_on_the_later_run() {
    check(
        r#"
# layerwise: ignore=single-stage-toolchain
# hadolint ignore=DL3006, DL3007
FROM golang
# hadolint ignore=DL3059
RUN go version
RUN go env
# layerwise: ignore=consecutive-run
RUN echo not suppressed elsewhere
COPY main.go .
CMD ["/app"]
"#,
        IGNORE,
        &[(CONSECUTIVE, 6)],
    );
}

#[test]
fn suppressed_with_all_and_several_ids() {
    check(
        r#"
FROM ubuntu
# layerwise: ignore=all
WORKDIR app
# hadolint ignore=DL3008,DL3015,DL3009
RUN apt-get update && apt-get install -y curl
CMD ["curl"]
"#,
        IGNORE,
        &[(UNPINNED, 1)],
    );
}

// =============================================================================================
// ranges: every range starts on the instruction's first line and covers its subject
// =============================================================================================

#[test]
fn ranges_are_exact() {
    let findings = run(
        r#"
FROM python:latest
WORKDIR app
COPY . .
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpq5 \
        g++ \
    && rm -rf /var/lib/apt/lists/*
RUN pip install -r requirements.txt
CMD ["uvicorn", "main:app", "--reload"]
"#,
        &[],
    );
    // the image reference
    assert_eq!(only(&findings, UNPINNED), (1, 6, 1, 19));
    // the path
    assert_eq!(only(&findings, WORKDIR), (2, 9, 2, 12));
    // the whole COPY
    assert_eq!(only(&findings, R1), (3, 1, 3, 9));
    assert_eq!(only(&findings, R3), (3, 1, 3, 9));
    // from the command that installs to the last toolchain package
    let r2: Vec<(u64, u64, u64, u64)> = findings
        .iter()
        .filter(|f| f.rule == R2)
        .map(|f| (f.line, f.column, f.end_line, f.end_column))
        .collect();
    // on one line: `apt-get install ... gcc`; over lines: from the keyword to `g++`
    assert_eq!(r2, [(4, 23, 4, 69), (5, 1, 8, 12)]);
    // `pip install`
    assert_eq!(only(&findings, PIP_CACHE), (10, 5, 10, 16));
    // the flag itself
    assert_eq!(only(&findings, DEV), (11, 29, 11, 39));
}

#[test]
fn ranges_start_on_the_instruction_line() {
    let findings = run(
        r#"
FROM \
    python:latest
WORKDIR \
    app
CMD ["python", "app.py"]
"#,
        IGNORE,
    );
    // the subject is on a continuation line: the range runs from the keyword to it
    assert_eq!(only(&findings, UNPINNED), (1, 1, 2, 18));
    assert_eq!(only(&findings, WORKDIR), (3, 1, 4, 8));
}

#[test]
fn ranges_of_the_onbuild_copy_and_the_sdk_image() {
    let findings = run(
        r#"
FROM golang:1.22
ONBUILD COPY . /src
ONBUILD RUN go build -o /app /src
CMD ["/app"]
"#,
        IGNORE,
    );
    // a base image for others (ONBUILD): its SDK is what children build with
    assert!(findings.iter().all(|f| f.rule != R2), "{findings:?}");
    // the trigger's COPY, not the ONBUILD keyword
    assert_eq!(only(&findings, R1), (2, 9, 2, 20));
}

#[test]
fn ranges_of_apt_findings() {
    let findings = run(
        r#"
FROM debian:bookworm-slim
RUN apt-get update
RUN DEBIAN_FRONTEND=noninteractive apt-get -y install curl
COPY app /app
CMD ["/app"]
"#,
        IGNORE,
    );
    // `apt-get update`
    assert_eq!(only(&findings, UPDATE_ALONE), (2, 5, 2, 19));
    assert_eq!(only(&findings, LISTS), (2, 5, 2, 19));
    // `apt-get -y install`, without the environment assignment
    assert_eq!(only(&findings, RECOMMENDS), (3, 36, 3, 54));
    // the later RUN's keyword
    assert_eq!(only(&findings, CONSECUTIVE), (3, 1, 3, 4));
}

// =============================================================================================
// syntax and invalid-exec-form
// =============================================================================================

#[test]
fn syntax_errors_are_reported_where_they_are() {
    check(
        r#"
ARG BASE=python:3.12-slim
FROM ${BASE}
COP app.py /app/
COPY app.py
CMD ["python", "/app/app.py"]
"#,
        IGNORE,
        &[(SYNTAX, 3), (SYNTAX, 4)],
    );
}

#[test]
fn invalid_exec_form_runs_as_a_shell_string() {
    check(
        r#"
FROM node:20
CMD ['node', 'app.js']
"#,
        IGNORE,
        &[(INVALID_EXEC, 2), (SHELL_FORM, 2)],
    );
    check(
        r#"
FROM node:20
ENTRYPOINT ["node", "app.js"]
"#,
        IGNORE,
        &[],
    );
}

#[test]
fn a_from_flag_without_equals_is_one_finding() {
    // BuildKit: "Missing a value on flag: platform"; nothing else is judged from this FROM
    let findings = run(
        r#"
FROM --platform linux/amd64 alpine AS tools
RUN apk add --no-cache curl

FROM tools
CMD ["curl", "--version"]
"#,
        IGNORE,
    );
    assert_eq!(only(&findings, SYNTAX), (1, 6, 1, 28));
    assert_eq!(findings.len(), 1, "{findings:?}");
}

#[test]
fn stage_links_that_fail_the_build() {
    check(
        r#"
FROM golang:1.22 AS build
COPY --from=0 /go/bin /tools
RUN go build -o /out/app .

FROM alpine:3.20 AS web
COPY --from=app /out/app /app

FROM alpine:3.20 AS app
COPY --from=web /app /srv/app
RUN --mount=type=cache,from=app,target=/cache ls /cache
COPY --from=7 /x /x
COPY --from=nginx:1.27 /etc/nginx /etc/nginx
"#,
        IGNORE,
        &[
            (SYNTAX, 2),
            (SYNTAX, 6),
            (SYNTAX, 9),
            (SYNTAX, 10),
            (SYNTAX, 11),
        ],
    );
}

#[test]
fn platform_variables_that_expand_to_nothing() {
    check(
        r#"
ARG BASE_PLATFORM
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
FROM --platform=${BASE_PLATFORM} alpine:3.20 AS base
FROM --platform=${TARGET_PLATFORM:-linux/amd64} alpine:3.20 AS other
FROM --platform=$TARGETOS/$TARGETARCH alpine:3.20 AS split
FROM --platform=$PLATFORM alpine:3.20
COPY --from=build /go/bin /bin
"#,
        IGNORE,
        &[(SYNTAX, 6)],
    );
}

#[test]
fn expose_forms() {
    check(
        r#"
FROM nginx:1.27-alpine
EXPOSE 80 443/tcp 8000-8010/udp 0
EXPOSE 8080:80 [::1]:8443:443
EXPOSE localhost:80:80
EXPOSE 70000 81-80 80/http
"#,
        IGNORE,
        &[
            (EXPOSE_FORMAT, 3),
            (EXPOSE_FORMAT, 3),
            (SYNTAX, 4),
            (SYNTAX, 5),
            (SYNTAX, 5),
            (SYNTAX, 5),
        ],
    );
}

#[test]
fn duplicate_stage_names_warn_and_follow_other_tools_suppressions() {
    check(
        r#"
FROM node:20-alpine AS deps
RUN npm ci
FROM node:20-alpine AS DEPS
RUN npm run build
"#,
        IGNORE,
        &[(DUPLICATE_STAGE, 3), (STAGE_CASING, 3)],
    );
    check(
        r#"
# check=skip=DuplicateStageName
FROM node:20-alpine AS deps
# hadolint ignore=DL3024
FROM node:20-alpine AS deps
"#,
        IGNORE,
        &[],
    );
    check(
        r#"
FROM node:20-alpine AS deps
# hadolint ignore=DL3024
FROM node:20-alpine AS deps
"#,
        IGNORE,
        &[],
    );
}
