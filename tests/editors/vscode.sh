#!/usr/bin/env bash
# The VS Code extension's tests: it builds and packages (.vsix, with the server bundled), its
# unit tests (the server lookup), its settings list the server's rules, and the end-to-end test
# in code-server + Chromium (tests/editors/vscode/e2e.mjs).
#
#   tests/editors/vscode.sh        (after tests/editors/setup.sh vscode)
#
# LAYERWISE_BIN: the server under test (default target/debug/layerwise). Screenshots and logs go
# to tests/out/vscode/. Prints `ok`/`FAILED` lines and ends with `N passed, N failed`.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(realpath "${LAYERWISE_BIN:-$repo/target/debug/layerwise}")"
build="$repo/tests/out/vscode-build"
rm -rf "$build"
mkdir -p "$build"
p=0
f=0

check() { # name, command...
  local name=$1; shift
  if "$@" >"$build/$(echo "$name" | tr -c 'a-z0-9\n' '-').log" 2>&1; then
    echo "ok      vscode: $name"; p=$((p + 1))
  else
    echo "FAILED  vscode: $name"; tail -n 20 "$build/$(echo "$name" | tr -c 'a-z0-9\n' '-').log" | sed 's/^/    /'
    f=$((f + 1))
  fi
}

vsix="$build/layerwise.vsix"
check "the extension compiles and packages as a .vsix with the server bundled" \
  "$repo/editors/vscode/scripts/package.sh" --bundle "$bin" --out "$vsix"

# unit tests of the server lookup (node's test runner; each test counts)
(cd "$repo/editors/vscode" && node --test out/test/) >"$build/unit.log" 2>&1
if true; then
  unit_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$build/unit.log")
  unit_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$build/unit.log")
  if [ -z "$unit_pass" ]; then
    echo "FAILED  vscode: unit tests did not run"; tail -n 20 "$build/unit.log" | sed 's/^/    /'; f=$((f + 1))
  else
    grep -E '^not ok ' "$build/unit.log" | sed 's/^/FAILED  vscode unit: /'
    [ "$unit_fail" -eq 0 ] && echo "ok      vscode: $unit_pass unit tests of the server lookup"
    p=$((p + unit_pass)); f=$((f + unit_fail))
  fi
fi

check "package.json's layerwise.rules lists the server's rules" \
  node "$repo/editors/vscode/scripts/sync-rules.mjs" --check "$bin"

if [ -f "$vsix" ]; then
  node "$repo/tests/editors/vscode/e2e.mjs" --vsix "$vsix" --layerwise "$bin" --out "$repo/tests/out/vscode" \
    >"$build/e2e.log" 2>&1
  status=$?
  grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$build/e2e.log"
  summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$build/e2e.log" | tail -n 1)"
  if [ -z "$summary" ]; then
    echo "FAILED  vscode: the end-to-end test did not finish (exit $status)"; f=$((f + 1))
  else
    read -r ep _ ef _ <<<"$summary"
    if [ "$ef" -eq 0 ] && [ "$status" -ne 0 ]; then ef=1; echo "FAILED  vscode: e2e exit $status with no failed step"; fi
    p=$((p + ep)); f=$((f + ef))
  fi
else
  echo "FAILED  vscode: no .vsix, so no end-to-end test"; f=$((f + 1))
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
