#!/usr/bin/env bash
# Context proof: what `layerwise context` says each COPY takes, checked file for file against
# real buildah builds.
#
# Each layout in tests/build/context/<name>/ is a build context with one or more Dockerfiles
# (`Dockerfile*`, not their `.dockerignore`) built `FROM scratch`, each COPY to a destination of
# its own (`/c1/`, `/c2/`...), so the image's files say which COPY brought them. For every
# Dockerfile: `layerwise context --format json --list` predicts the image path of every file
# each COPY takes, the build runs in a fresh store, and the files and links in the image are
# compared with the prediction, both ways. A layout with `expect.conf` holding `FAIL=1` must
# fail to build, and layerwise must predict that (a source that matches nothing sent).
#
# Usage: tests/build/context-proof.sh [LAYOUT...]   (root; no base image is needed)
# Closing line: `context-proof: N passed, N failed, N skipped`.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
passed=0 failed=0 skipped=0
finish() {
  echo "context-proof: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
}
if [ "$(id -u)" -ne 0 ] || ! command -v buildah >/dev/null; then
  echo "SKIPPED context-proof: needs root and buildah"
  skipped=1
  finish
fi
bin=${LAYERWISE_BIN:-$repo/target/debug/layerwise}
[ -x "$bin" ] || (cd "$repo" && cargo build --quiet) || { echo "FAILED  context-proof: cargo build"; failed=1; finish; }

work=$(mktemp -d "${TMPDIR:-/tmp}/layerwise-context-proof.XXXXXX")
stores=()
cleanup() {
  local s
  for s in "${stores[@]}"; do
    buildah --root "$s/root" --runroot "$s/run" --storage-driver overlay umount --all >/dev/null 2>&1
    buildah --root "$s/root" --runroot "$s/run" --storage-driver overlay rm --all >/dev/null 2>&1
    buildah --root "$s/root" --runroot "$s/run" --storage-driver overlay rmi --all --force >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
export TMPDIR=$work

layouts=("$@")
if [ ${#layouts[@]} -eq 0 ]; then
  for d in "$here"/context/*/; do layouts+=("$(basename "$d")"); done
fi

for layout in "${layouts[@]}"; do
  src=$here/context/$layout
  want_fail=0
  [ -f "$src/expect.conf" ] && grep -q '^FAIL=1' "$src/expect.conf" && want_fail=1
  for df in "$src"/Dockerfile*; do
    case $df in *.dockerignore) continue ;; esac
    name=$layout:$(basename "$df")
    store=$work/store-$(basename "$layout")-$(basename "$df")
    stores+=("$store")
    b=(buildah --root "$store/root" --runroot "$store/run" --storage-driver overlay)
    predicted=$work/$layout-$(basename "$df").predicted
    actual=$work/$layout-$(basename "$df").actual
    if ! "$bin" context "$src" --file "$df" --format json --list >"$work/prediction.json"; then
      echo "FAILED  context-proof/$name: layerwise context failed"; failed=$((failed + 1)); continue
    fi
    python3 - "$work/prediction.json" >"$predicted" <<'EOF' || { echo "FAILED  context-proof/$name: bad JSON"; failed=$((failed + 1)); continue; }
import json, sys
report = json.load(open(sys.argv[1]))
missing = [m for c in report["copies"] for m in c["missing"]]
print("FAILS " + missing[0] if missing else "BUILDS")
for c in report["copies"]:
    for t in c.get("taken", []):
        print(t["image_path"])
EOF
    log=$work/$layout-$(basename "$df").log
    if "${b[@]}" build --layers --isolation chroot --pull=never -f "$df" -t "ctx-proof" "$src" >"$log" 2>&1; then
      ctr=$("${b[@]}" from ctx-proof) && mnt=$("${b[@]}" mount "$ctr") || {
        echo "FAILED  context-proof/$name: cannot mount the image"; failed=$((failed + 1)); continue
      }
      { echo BUILDS; (cd "$mnt" && find . \( -type f -o -type l \) -printf '/%P\n'); } >"$actual"
    else
      echo FAILS >"$actual"
    fi
    # the outcome line first, then the files in any order
    outcome=$(head -n1 "$predicted")
    if [ "${outcome%% *}" = FAILS ] && [ "$(head -n1 "$actual")" = FAILS ]; then
      # the build must fail on the source layerwise names
      if grep -iE "error" "$log" | grep -qF "${outcome#FAILS }"; then
        echo "ok      context-proof/$name: fails on ${outcome#FAILS } as predicted"
        passed=$((passed + 1))
      else
        echo "FAILED  context-proof/$name: the build failed, but not on ${outcome#FAILS } (log: $log)"
        failed=$((failed + 1))
      fi
      continue
    fi
    if [ "${outcome%% *}" != "$(head -n1 "$actual")" ]; then
      echo "FAILED  context-proof/$name: layerwise says the build ${outcome%% *}, buildah: $(head -n1 "$actual") (log: $log)"
      tail -n 3 "$log" | sed 's/^/    /'
      failed=$((failed + 1)); continue
    fi
    if [ "$want_fail" -eq 1 ] && [ "$(head -n1 "$actual")" != FAILS ]; then
      echo "FAILED  context-proof/$name: this layout must fail to build"; failed=$((failed + 1)); continue
    fi
    if diff <(tail -n +2 "$predicted" | sort) <(tail -n +2 "$actual" | sort) >"$work/diff"; then
      echo "ok      context-proof/$name: $(head -n1 "$actual" | tr 'A-Z' 'a-z'), $(($(wc -l <"$actual") - 1)) files as predicted"
      passed=$((passed + 1))
    else
      echo "FAILED  context-proof/$name: image files differ from the prediction (< layerwise, > buildah)"
      sed 's/^/    /' "$work/diff"
      failed=$((failed + 1))
    fi
  done
done
finish
