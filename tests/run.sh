#!/usr/bin/env bash
# Runs the whole test suite and ends with one line: `N passed, N failed` (then `, N skipped` when
# some tests could not run here).
#
#   tests/run.sh            all tests: cargo's unit + integration tests, fmt and clippy, and the
#                           editor end-to-end tests (Neovim, VS Code in code-server)
#   LAYERWISE_EDITOR_TESTS=0 tests/run.sh     the same without the editor tests
#   LAYERWISE_BUILD_PROOF=0 tests/run.sh      the same without the build proof (tests/build/)
#
# Every cargo test counts once; a cargo test that prints `SKIPPED <its name>: <why>` (the corpus
# tests without ../shared/corpus, tests whose tool is missing) counts as skipped, not passed, and
# the reason is shown; `cargo fmt --check` and `cargo clippy` count as one test each; the
# pre-commit hook test (tests/precommit.sh) counts each of its cases;
# every case of the editor suites counts once (tests/editors/*.sh print their own
# `N passed, N failed`). The editor suites install what they need on first use, under
# .cache/editors/ (tests/editors/setup.sh); a failed install counts as one failure.
# Exit status: 0 when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
log_dir=${LAYERWISE_TEST_LOG:-target/test-logs}
mkdir -p "$log_dir"

step() { # name, command...
  local name=$1; shift
  if "$@" >"$log_dir/$name.log" 2>&1; then
    echo "ok      $name"; passed=$((passed + 1))
  else
    echo "FAILED  $name (log: $log_dir/$name.log)"; tail -n 30 "$log_dir/$name.log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

skipped=0
echo "        cargo fmt, then cargo clippy (the first run compiles every dependency: a few minutes)"
step fmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets --locked -- -D warnings

# cargo test: count every test of every test binary. Output is not captured (RUST_TEST_NOCAPTURE)
# so that the SKIPPED lines reach the log.
echo "        cargo test (compiles the test binaries first)"
RUST_TEST_NOCAPTURE=1 cargo test --locked --all-targets --no-fail-fast 2>&1 | tee "$log_dir/cargo-test.log" | grep -E '^(test .* \.\.\. (FAILED|ok)$|test result:|SKIPPED [a-z0-9_]+:|error(\[|:))' | grep -vE '\.\.\. ok$' || true
read -r t_pass t_fail < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } } END { print p + 0, f + 0 }' "$log_dir/cargo-test.log")
if ! grep -q '^test result:' "$log_dir/cargo-test.log"; then
  echo "FAILED  cargo test did not run (see $log_dir/cargo-test.log)"; tail -n 30 "$log_dir/cargo-test.log"
  t_fail=$((t_fail + 1))
fi
# a test that skipped itself passed in cargo's count: count it as skipped instead
t_skip=$(grep -oE '^SKIPPED [a-z0-9_]+:' "$log_dir/cargo-test.log" | sort -u | wc -l)
passed=$((passed + t_pass - t_skip))
failed=$((failed + t_fail))
skipped=$((skipped + t_skip))

# editor end-to-end tests, against the debug build the cargo tests use
suite() { # name, command...: a runner that prints `ok`/`FAILED` lines, then `N passed, N failed`
  local name=$1; shift
  local start=$SECONDS
  "$@" >"$log_dir/$name.log" 2>&1
  local status=$? summary p f
  grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$log_dir/$name.log"
  summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log_dir/$name.log" | tail -n 1)"
  if [ -z "$summary" ]; then
    echo "FAILED  $name did not finish (exit $status; log: $log_dir/$name.log)"; p=0; f=1
  else
    read -r p _ f _ <<<"$summary"
    if [ "$f" -eq 0 ] && [ "$status" -ne 0 ]; then echo "FAILED  $name exited $status"; f=1; fi
  fi
  echo "        $name: $p passed, $f failed in $((SECONDS - start)) s (log: $log_dir/$name.log)"
  passed=$((passed + p))
  failed=$((failed + f))
}
setup() { # part: tests/editors/setup.sh PART; a failure counts once
  local start=$SECONDS
  if tests/editors/setup.sh "$1" >"$log_dir/editors-setup-$1.log" 2>&1; then
    if [ -s "$log_dir/editors-setup-$1.log" ]; then echo "        installed the $1 test tools in $((SECONDS - start)) s"; fi
  else
    echo "FAILED  installing the $1 test tools (log: $log_dir/editors-setup-$1.log)"
    tail -n 30 "$log_dir/editors-setup-$1.log" | sed 's/^/    /'
    failed=$((failed + 1))
    return 1
  fi
}
if cargo build --locked >"$log_dir/editors-build.log" 2>&1; then
  export LAYERWISE_BIN="$PWD/target/debug/layerwise"
  if [ "${LAYERWISE_EDITOR_TESTS:-1}" != 0 ]; then
    echo "        editor tests (the first run installs Neovim, code-server and Chromium: about 2 minutes)"
    setup neovim && suite editors-neovim tests/editors/neovim.sh
    setup vscode && suite editors-vscode tests/editors/vscode.sh
  fi
  # the pre-commit hooks, run by the real pre-commit (installed from PyPI on first use)
  suite precommit tests/precommit.sh
else
  echo "FAILED  cargo build for the editor and pre-commit tests (log: $log_dir/editors-build.log)"
  failed=$((failed + 1))
fi

# --- build proof (tests/build/run.sh) ----------------------------------------------------------
# layerwise's fixes checked by real buildah builds of the fixture apps in tests/build/: each check
# counts once, from the runner's closing line `build-proof: N passed, N failed, N skipped`. It
# installs buildah and debootstrap when missing and keeps its base images under .cache/build-proof/
# (about 15 minutes the first time, then 7 to 10 for the 17 fixtures). Skipped (not passed) when
# not root; LAYERWISE_BUILD_PROOF=0 leaves it out.
build_proof() {
  local start=$SECONDS status summary p f s
  tests/build/run.sh 2>&1 | tee "$log_dir/build-proof.log" | grep -vE '^build-proof: [0-9]+ passed'
  status=${PIPESTATUS[0]}
  summary=$(grep -E '^build-proof: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log_dir/build-proof.log" | tail -n 1)
  if [ -z "$summary" ]; then
    echo "FAILED  build-proof did not finish (exit $status; log: $log_dir/build-proof.log)"
    p=0 f=1 s=0
  else
    read -r _ p _ f _ s _ <<<"$summary"
    if [ "$f" -eq 0 ] && [ "$status" -ne 0 ]; then echo "FAILED  build-proof exited $status"; f=1; fi
  fi
  echo "        build-proof: $p passed, $f failed, $s skipped in $((SECONDS - start)) s (log: $log_dir/build-proof.log)"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
}
if [ "${LAYERWISE_BUILD_PROOF:-1}" != 0 ]; then
  echo "        build proof (the first run makes its base images: about 15 minutes)"
  build_proof
fi
# --- end build proof ---------------------------------------------------------------------------

echo "$passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ]
