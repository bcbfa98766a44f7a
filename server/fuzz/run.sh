#!/usr/bin/env bash
# Runs one fuzz target for a wall-clock budget on one core and prints libFuzzer's figures and the
# CPU time used; crash inputs land in artifacts/<target>/. From the repository root:
#   server/fuzz/run.sh TARGET [SECONDS]     (default 600)
set -euo pipefail
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$fuzz/../.." && pwd)
target=$1
seconds=${2:-600}
"$fuzz/seed.sh" "$target" >/dev/null
mkdir -p "$fuzz/artifacts/$target" "$fuzz/logs"
log="$fuzz/logs/$target.log"
cd "$repo"
start=$(date +%s)
# -timeout: an input taking longer is a hang; -rss_limit_mb: a blow-up is a crash too
/usr/bin/env time -f 'cpu_seconds user=%U sys=%S wall=%e' \
  cargo +nightly fuzz run --fuzz-dir server/fuzz -O "$target" "server/fuzz/corpus/$target" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -dict=server/fuzz/dockerfile.dict -print_final_stats=1 \
  -artifact_prefix="server/fuzz/artifacts/$target/" >"$log" 2>&1 || true
echo "$target: $(( $(date +%s) - start )) s wall"
grep -E '^#[0-9]+.*(DONE|INITED)|^Done|stat::number_of_executed_units|stat::peak_rss|cpu_seconds|SUMMARY|panicked|deadly signal|Test unit written|timeout' "$log" | tail -n 12
