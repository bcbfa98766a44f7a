#!/usr/bin/env bash
# Runs the whole test suite and ends with one line: `N passed, N failed`.
#
#   tests/run.sh            all tests: cargo's unit + integration tests, fmt and clippy
#
# Every cargo test counts once; `cargo fmt --check` and `cargo clippy` count as one test each.
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

step fmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets --locked -- -D warnings

# cargo test: count every test of every test binary
cargo test --locked --all-targets --no-fail-fast 2>&1 | tee "$log_dir/cargo-test.log" | grep -E '^(test .* \.\.\. (FAILED|ok)$|test result:|SKIPPED|error(\[|:))' | grep -vE '\.\.\. ok$' || true
read -r t_pass t_fail < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } } END { print p + 0, f + 0 }' "$log_dir/cargo-test.log")
if ! grep -q '^test result:' "$log_dir/cargo-test.log"; then
  echo "FAILED  cargo test did not run (see $log_dir/cargo-test.log)"; tail -n 30 "$log_dir/cargo-test.log"
  t_fail=$((t_fail + 1))
fi
passed=$((passed + t_pass))
failed=$((failed + t_fail))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
