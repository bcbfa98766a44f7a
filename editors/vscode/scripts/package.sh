#!/usr/bin/env bash
# Builds the VS Code extension and packages it as a .vsix with @vscode/vsce.
#
#   editors/vscode/scripts/package.sh [--bundle BINARY] [--out FILE]
#
# --bundle BINARY  put a stripped copy of BINARY in the extension as server/layerwise, and make
#                  the package platform-specific (linux-x64, darwin-arm64, ...)
# --out FILE       where to write the .vsix (default: editors/vscode/dist/)
#
# Needs node 20+ and npm. Installs the pinned dependencies (package-lock.json) only when the lock
# changed since the last install. Prints the path of the .vsix on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bundle=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle="$(realpath "$2")"; shift 2 ;;
    --out) out="$(realpath -m "$2")"; shift 2 ;;
    *) echo "usage: $0 [--bundle BINARY] [--out FILE]" >&2; exit 2 ;;
  esac
done
cd "$here"

stamp=node_modules/.layerwise-lock
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  # no install scripts: nothing here needs one, and some download from outside the npm registry
  npm ci --ignore-scripts --no-audit --no-fund
  echo "$lock_hash" >"$stamp"
fi

rm -rf out server
npx --no-install tsc -p .

version="$(node -p 'require("./package.json").version')"
target_args=()
name="layerwise-$version"
if [ -n "$bundle" ]; then
  mkdir -p server
  cp "$bundle" server/layerwise
  strip server/layerwise 2>/dev/null || true
  chmod 755 server/layerwise
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=linux-x64 ;;
    Linux-aarch64) target=linux-arm64 ;;
    Darwin-arm64) target=darwin-arm64 ;;
    Darwin-x86_64) target=darwin-x64 ;;
    *) echo "unknown platform $(uname -s)-$(uname -m) for a bundled server" >&2; exit 2 ;;
  esac
  target_args=(--target "$target")
  name="$name-$target"
fi
if [ -z "$out" ]; then
  mkdir -p dist
  out="$here/dist/$name.vsix"
fi
mkdir -p "$(dirname "$out")"
# no LICENSE file or repository URL in this repository yet; vsce would otherwise stop and ask
npx --no-install vsce package --skip-license --allow-missing-repository "${target_args[@]}" --out "$out" >&2
rm -rf server
echo "$out"
