#!/usr/bin/env bash
# Seeds the fuzz corpora (corpus/<target>/, not committed) from the test fixtures and, when it
# is beside the repository, ../shared/corpus. Files are named by content hash, as libFuzzer does,
# so seeding twice adds nothing.
#   server/fuzz/seed.sh [target...]    (default: every target)
set -euo pipefail
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$fuzz/../.." && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(split parse analysis fixes); fi
seeds=()
while IFS= read -r -d '' f; do seeds+=("$f"); done < <(
  find "$repo/tests/fixtures" "$repo/tests/regressions" -type f \
    \( -name '*Dockerfile*' -o -name '*.dockerfile' -o -name 'Containerfile*' \) -print0 2>/dev/null
  if [ -d "$repo/../shared/corpus" ]; then
    find "$repo/../shared/corpus" -mindepth 2 -maxdepth 2 -type f -name 'Dockerfile*' -print0
  fi
)
for target in "${targets[@]}"; do
  mkdir -p "$fuzz/corpus/$target"
  for f in "${seeds[@]}"; do
    cp "$f" "$fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-40)"
  done
  echo "corpus/$target: $(find "$fuzz/corpus/$target" -type f | wc -l) files"
done
