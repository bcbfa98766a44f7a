#!/usr/bin/env bash
# The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit (from PyPI, installed
# under .cache/precommit/ on first use) in a temporary git repository: a commit of a Dockerfile
# with a finding is blocked, the commit of its fixed version goes through, and a file that is
# not a Dockerfile is not handed to the hook. Prints `ok`/`FAILED` lines, then `N passed, N failed`.
#
#   tests/precommit.sh               the `layerwise-system` hook, with target/debug/layerwise
#   LAYERWISE_PRECOMMIT_RUST=1 tests/precommit.sh
#                                    also the `layerwise` hook, which pre-commit builds with
#                                    `cargo install` (a release build: minutes)
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="$repo/.cache/precommit"
bin="${LAYERWISE_BIN:-$repo/target/debug/layerwise}"
PRE_COMMIT_VERSION=4.2.0
passed=0
failed=0
check() { # name, then a command that succeeds when the case passes
  local name=$1; shift
  if "$@"; then echo "ok      precommit: $name"; passed=$((passed + 1));
  else echo "FAILED  precommit: $name"; failed=$((failed + 1)); fi
}
finish() { echo "$passed passed, $failed failed"; exit $([ "$failed" -eq 0 ] && echo 0 || echo 1); }

want="pre-commit==$PRE_COMMIT_VERSION"
if [ "$(cat "$cache.stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing $want from PyPI into .cache/precommit" >&2
  rm -rf "$cache"
  if ! python3 -m pip install --disable-pip-version-check --no-warn-script-location --quiet \
      --root-user-action=ignore --target "$cache" "$want" >&2; then
    echo "FAILED  precommit: installing $want"; failed=1; finish
  fi
  echo "$want" >"$cache.stamp"
fi
export PYTHONPATH="$cache${PYTHONPATH:+:$PYTHONPATH}"
export PRE_COMMIT_HOME="$cache/home"
[ -x "$bin" ] || { echo "FAILED  precommit: no binary at $bin (cargo build first)"; failed=1; finish; }
orig_path=$PATH
export PATH="$(dirname "$bin"):$PATH"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# the hook repository: this repository's .pre-commit-hooks.yaml (and, for the `layerwise` hook,
# its sources) committed as they are now, so uncommitted changes are tested too
hooks="$work/hooks"
mkdir -p "$hooks"
if [ "${LAYERWISE_PRECOMMIT_RUST:-0}" = 1 ]; then
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$hooks" 2>/dev/null)
fi
cp "$repo/.pre-commit-hooks.yaml" "$hooks/"
git -C "$hooks" init -q && git -C "$hooks" add -A && git -C "$hooks" commit -qm hooks
rev="$(git -C "$hooks" rev-parse HEAD)"

run_case() { # hook id
  local id=$1 project="$work/project-$1"
  mkdir -p "$project" && cd "$project" || return 1
  git init -q
  cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: $id
YAML
  python3 -m pre_commit install >/dev/null || return 1
  printf '.git\n' >.dockerignore
  printf 'FROM python:3.12-slim\nWORKDIR /app\nRUN pip install flask\n' >Dockerfile
  printf 'print("hi")\n' >app.py
  git add -A
  local out
  out="$(git commit -qm "pip keeps its cache" 2>&1)"
  check "$id: a commit with a finding is blocked" test "$(git rev-list --all --count 2>/dev/null || echo 0)" = 0
  check "$id: the finding is shown" grep -q "pip-no-cache-dir" <<<"$out"
  printf 'FROM python:3.12-slim\nWORKDIR /app\nRUN pip install --no-cache-dir flask\n' >Dockerfile
  git add -A
  out="$(git commit -qm "fixed" 2>&1)"
  check "$id: the fixed Dockerfile is committed" test "$(git rev-list --all --count)" = 1
  # a broken file that is no Dockerfile is not the hook's business
  printf 'FROM\n' >notes.txt
  git add notes.txt
  out="$(git commit -qm "notes" 2>&1)"
  check "$id: other files are not checked" test "$(git rev-list --all --count)" = 2
  cd "$repo" || return 1
}

run_case layerwise-system
if [ "${LAYERWISE_PRECOMMIT_RUST:-0}" = 1 ]; then
  # pre-commit runs `cargo install`; its build is kept for the next run
  # and its own build, not the one on PATH, runs
  export CARGO_TARGET_DIR="${LAYERWISE_PRECOMMIT_TARGET:-$cache/target}"
  PATH=$orig_path run_case layerwise
fi
finish
