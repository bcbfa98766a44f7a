#!/usr/bin/env bash
# `layerwise context` on a 300,000-file build context (server/PERFORMANCE.md, "The build
# context"). Generates the context once under ${LAYERWISE_BENCH_DIR:-/tmp/layerwise-ctx300k}:
# node_modules/ (150,000 files of 64 B in 1,500 folders), src/ (100,000 files of 200 B in 1,000
# folders), data/ (50,000 files of 10 B in 50 folders), and a Node Dockerfile with three COPYs.
# Then runs the release binary once to warm the page cache and RUNS times more (default 5),
# with and without a .dockerignore that excludes node_modules and re-includes one package
# (`!node_modules/pkg7/**`, so the walker must enter the excluded folder).
#
# Usage: server/benches/context.sh   (builds the release binary when it is missing)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=${LAYERWISE_BENCH_DIR:-/tmp/layerwise-ctx300k}
runs=${RUNS:-5}
bin=$repo/target/release/layerwise
[ -x "$bin" ] || (cd "$repo" && cargo build --release --quiet)

if [ ! -f "$dir.complete" ]; then
  rm -rf "$dir"
  python3 - "$dir" <<'EOF'
import os, sys
root = sys.argv[1]
def mk(d, count, size):
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        with open(os.path.join(d, f"f{i}.js"), "wb") as f:
            f.write(b"x" * size)
for a in range(150):
    for b in range(10):
        mk(f"{root}/node_modules/pkg{a}/lib{b}", 100, 64)
for a in range(100):
    for b in range(10):
        mk(f"{root}/src/mod{a}/sub{b}", 100, 200)
for a in range(50):
    mk(f"{root}/data/set{a}", 1000, 10)
open(f"{root}/package.json", "w").write("{}")
open(f"{root}/Dockerfile", "w").write(
    "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN npm ci\nCOPY src ./src\nCOPY . .\n"
    'CMD ["node", "src/index.js"]\n')
open(root + ".complete", "w").write("")
EOF
fi

measure() { # label
  "$bin" context "$dir" >/dev/null # warm
  local i
  for i in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" "$bin" context "$dir" 2>&1 >/dev/null | tail -n1
  done | sort -n | awk -v label="$1" '
    { wall[NR] = $1; cpu[NR] = $2 + $3; rss[NR] = $4 }
    END { m = int((NR + 1) / 2); printf "%-40s wall median %.2f s (min %.2f, max %.2f), CPU %.2f s, max RSS %d MB\n", label, wall[m], wall[1], wall[NR], cpu[m], rss[m] / 1024 }'
}

rm -f "$dir/.dockerignore"
measure "300,000 files, no .dockerignore"
printf 'node_modules\n!node_modules/pkg7/**\n' >"$dir/.dockerignore"
measure "node_modules ignored, one package back"
rm -f "$dir/.dockerignore"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
