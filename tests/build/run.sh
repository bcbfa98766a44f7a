#!/usr/bin/env bash
# Build proof: layerwise's fixes checked by real builds (buildah), on the fixture apps in this
# folder. For each app:
#   1. build the original Dockerfile, run the app, record its output, size and build time;
#   2. edit one application source file and rebuild: count the cached steps;
#   3. apply the fixes to a copy (`layerwise check --fix --unsafe-fixes Dockerfile`);
#   4. build the fixed Dockerfile, run it, and check: it builds, the app prints the same output,
#      the image is smaller, and after the same source edit the fixed build reuses the
#      dependency-install step while the original re-runs it.
# Prints the figures and ends with `build-proof: N passed, N failed, N skipped`.
#
#   tests/build/run.sh [--fix-with layerwise|expected] [--keep] [APP...]
#
#   --fix-with expected  use the hand-written Dockerfile.expected-fix (and dockerignore.expected-fix)
#                        instead of layerwise: a self-check of this harness, not a test of layerwise
#   --keep               keep the build stores (under the cache folder) after the run
#   APP                  fastapi, go, node (default: all)
#
# Environment: LAYERWISE_BIN (default: target/debug/layerwise, built by `cargo build`),
# LAYERWISE_BUILD_CACHE (default: .cache/build-proof), LAYERWISE_TEST_LOG (default: target/test-logs).
# Needs root (buildah with chroot isolation, debootstrap, network namespaces): skips otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

fix_with=layerwise
keep=0
apps=()
while [ $# -gt 0 ]; do
  case $1 in
    --fix-with) fix_with=${2:-}; shift 2 ;;
    --fix-with=*) fix_with=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) apps+=("$1"); shift ;;
  esac
done
case $fix_with in layerwise | expected) ;; *) echo "--fix-with: layerwise or expected" >&2; exit 2 ;; esac
[ ${#apps[@]} -gt 0 ] || apps=(fastapi go node)

passed=0
failed=0
skipped=0
finish() {
  echo "build-proof: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
}
check_ok() { echo "ok      build-proof/$1"; passed=$((passed + 1)); }
check_fail() { # name, reason...
  local name=$1; shift
  echo "FAILED  build-proof/$name: $*"; failed=$((failed + 1))
}
not_run() { echo "--      build-proof/$1: not run ($2)"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED build-proof: needs root (buildah builds with chroot isolation, debootstrap, network namespaces); run tests/run.sh as root to prove the fixes with real builds"
  skipped=1
  finish
fi

cache=${LAYERWISE_BUILD_CACHE:-$repo/.cache/build-proof}
logs=${LAYERWISE_TEST_LOG:-$repo/target/test-logs}/build-proof
mkdir -p "$cache" "$logs"
cache=$(cd "$cache" && pwd)
logs=$(cd "$logs" && pwd)
export TMPDIR=$cache/tmp
mkdir -p "$TMPDIR"

# One run at a time: the base store and the work folders are shared.
exec 9>"$cache/lock"
if ! flock -w 1800 9; then
  check_fail setup "another build proof holds $cache/lock"
  finish
fi

t_start=$(date +%s)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Tools

ensure_tools() {
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v python3 >/dev/null || missing+=(python3)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} (apt-get)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 \
      --no-install-recommends "${missing[@]}" ca-certificates; } >"$logs/apt-install.log" 2>&1
}
if ! ensure_tools; then
  check_fail setup "could not install buildah/debootstrap (see $logs/apt-install.log)"
  finish
fi

# ---------------------------------------------------------------------------------------------
# Base images: no image can be pulled here. A Debian bookworm minbase made by debootstrap from the
# machine's Debian mirror stands in for debian:bookworm-slim (with the machine's extra CA
# certificates, since registries are reached through a TLS-intercepting proxy), and the
# Dockerfiles in bases/ build python, golang, node and distroless stand-ins on it. They live in one
# store under the cache folder, reused across runs, and every build store reads them from there
# (an additional image store), so no base is copied per build.

bases_root=$cache/bases/root
bases=(buildah --root "$bases_root" --runroot "$cache/bases/runroot" --storage-driver overlay)
BASES_FORMAT=1 # bump to rebuild the debootstrapped base

debian_mirror() {
  local f url=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    url=$(awk '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print u; exit } }' "$f")
    [ -n "$url" ] && break
  done
  if [ -z "$url" ] && [ -e /etc/apt/sources.list ]; then
    url=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${url:-http://deb.debian.org/debian}"
}

make_debian_base() { # key
  local key=$1 rootfs=$cache/bases/rootfs mirror f
  mirror=$(debian_mirror)
  rm -rf "$rootfs"
  echo "  $(date +%T) debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" || return 1
  # The machine's Debian sources (deb822 files) and extra CA certificates.
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    for f in /etc/apt/sources.list.d/*.sources; do
      grep -q '^Types:.*deb' "$f" && cp "$f" "$rootfs/etc/apt/sources.list.d/"
    done
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null
  env -u TMPDIR chroot "$rootfs" update-ca-certificates >/dev/null || return 1
  # What the official slim images do: no docs, man pages or locales; no .deb cache.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/info/* \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/log/* "$rootfs"/tmp/*
  echo "  $(date +%T) import"
  tar --numeric-owner -C "$rootfs" -cf "$cache/bases/debian-rootfs.tar" . || return 1
  rm -rf "$rootfs"
  local ctr
  "${bases[@]}" rmi --all --force >/dev/null 2>&1
  ctr=$("${bases[@]}" from scratch) || return 1
  "${bases[@]}" add "$ctr" "$cache/bases/debian-rootfs.tar" / >/dev/null &&
    "${bases[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --cmd bash --created-by "debootstrap --variant=minbase bookworm" "$ctr" &&
    "${bases[@]}" commit -q "$ctr" docker.io/library/debian:bookworm-slim >/dev/null || return 1
  "${bases[@]}" rm "$ctr" >/dev/null
  rm -f "$cache/bases/debian-rootfs.tar"
  echo "$key" >"$cache/bases/debian.key"
  echo "  $(date +%T) done"
}

ensure_bases() {
  local t0 key def name
  t0=$(now)
  key=$(
    {
      echo "$BASES_FORMAT"
      debian_mirror
      cat /etc/apt/sources.list.d/*.sources 2>/dev/null
      cat /usr/local/share/ca-certificates/*.crt 2>/dev/null
    } | sha256sum | cut -c1-16
  )
  mkdir -p "$cache/bases"
  if [ "$(cat "$cache/bases/debian.key" 2>/dev/null)" != "$key" ] ||
    ! "${bases[@]}" inspect --type image docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
    echo "making the Debian base image (debootstrap, about a minute)"
    make_debian_base "$key" >"$logs/base-debian.log" 2>&1 || {
      cat "$logs/base-debian.log" | tail -n 20 | sed 's/^/    /'
      return 1
    }
  fi
  # Derived bases: skipped when their definitions are unchanged and every tag is there; else
  # rebuilt (buildah's layer cache keeps what did not change). They are independent and mostly
  # wait on the mirror: built side by side.
  local derived_key have absent=0
  derived_key=$( { echo "$key"; cat "$here"/bases/*; } | sha256sum | cut -c1-16)
  have=$("${bases[@]}" images --format '{{.Name}}:{{.Tag}}' 2>/dev/null)
  while read -r name def; do
    case $name in '#'* | '') continue ;; esac
    case ${name##*/} in *:*) ;; *) name=$name:latest ;; esac
    grep -qxF "$name" <<<"$have" || absent=1
  done <"$here/bases/tags"
  if [ "$absent" -eq 0 ] && [ "$(cat "$cache/bases/derived.key" 2>/dev/null)" = "$derived_key" ]; then
    echo "base images ready (cached) in $(elapsed "$t0") s"
    return 0
  fi
  echo "building the base images (python, golang, node, distroless stand-ins)"
  local defs=() pids=() i bad=0
  mapfile -t defs < <(awk '!/^#/ && NF == 2 && $2 != "debian" { print $2 }' "$here/bases/tags" | sort -u)
  for def in "${defs[@]}"; do
    timeout 1200 "${bases[@]}" build --layers --isolation chroot --pull=never \
      -f "$here/bases/$def.Dockerfile" -t "localhost/layerwise-base/$def" "$here/bases" \
      >"$logs/base-$def.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!defs[@]}"; do
    if ! wait "${pids[$i]}"; then
      tail -n 20 "$logs/base-${defs[$i]}.log" | sed 's/^/    /'
      echo "base image ${defs[$i]} did not build (log: $logs/base-${defs[$i]}.log)"
      bad=1
    fi
  done
  [ "$bad" -eq 0 ] || return 1
  while read -r name def; do
    case $name in '#'* | '') continue ;; esac
    [ "$def" = debian ] && [ "$name" = docker.io/library/debian:bookworm-slim ] && continue
    if [ "$def" = debian ]; then
      "${bases[@]}" tag docker.io/library/debian:bookworm-slim "$name" || return 1
    else
      "${bases[@]}" tag "localhost/layerwise-base/$def" "$name" || return 1
    fi
  done <"$here/bases/tags"
  "${bases[@]}" rmi --prune >/dev/null 2>&1 # superseded base layers
  echo "$derived_key" >"$cache/bases/derived.key"
  echo "base images ready in $(elapsed "$t0") s"
}

if ! ensure_bases; then
  check_fail setup "the base images could not be made (logs: $logs/base-*.log)"
  finish
fi

# ---------------------------------------------------------------------------------------------
# Per-build stores: one per compared Dockerfile, so the two never share layers (the cache counts
# would lie). Removed at exit unless --keep.

stores=()
store_cmd() { # name -> sets the array `bx` to the buildah command for that store
  local dir=$cache/stores/$1
  bx=(buildah --root "$dir/root" --runroot "$dir/runroot" --storage-driver overlay
    --storage-opt "overlay.imagestore=$bases_root")
}
drop_store() { # name
  local dir=$cache/stores/$1 bx
  [ -d "$dir" ] || return 0
  store_cmd "$1"
  "${bx[@]}" rm --all >/dev/null 2>&1
  findmnt -rn -o TARGET | grep -F "$dir/" | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$dir"
}
cleanup() {
  local s
  for s in "${stores[@]}"; do
    if [ "$keep" -eq 1 ]; then
      store_cmd "$s"
      "${bx[@]}" rm --all >/dev/null 2>&1
    else
      drop_store "$s"
    fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build STORE CONTEXT TAG LOG: buildah build; sets build_secs
build() {
  local store=$1 ctx=$2 tag=$3 log=$4 t0 rc bx
  store_cmd "$store"
  t0=$(now)
  timeout 1500 "${bx[@]}" build --layers --isolation chroot --pull=never \
    -f "$ctx/Dockerfile" -t "$tag" "$ctx" >"$log" 2>&1
  rc=$?
  build_secs=$(elapsed "$t0")
  return $rc
}

# steps LOG DEP_REGEX -> "cached total dep_cached dep_total" (FROM steps are not counted)
steps() {
  python3 - "$1" "$2" <<'EOF'
import re, sys
log, dep = sys.argv[1], re.compile(sys.argv[2])
steps = []  # [instruction, cached]
for line in open(log, errors="replace"):
    m = re.match(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: (.*)$", line.rstrip("\n"))
    if m:
        steps.append([m.group(1), False])
    elif line.startswith("--> Using cache") and steps:
        steps[-1][1] = True
counted = [s for s in steps if not s[0].upper().startswith("FROM ")]
deps = [s for s in counted if s[0].upper().startswith("RUN ") and dep.search(s[0])]
print(sum(s[1] for s in counted), len(counted), sum(s[1] for s in deps), len(deps))
EOF
}

# image_size STORE TAG -> bytes: the sum of the image's layer sizes from its manifest
image_size() {
  local bx
  store_cmd "$1"
  "${bx[@]}" inspect --type image "$2" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(l["size"] for l in json.loads(d["Manifest"])["layers"]))'
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# run_app STORE TAG OUT: runs the image's ENTRYPOINT + CMD in a fresh network and PID namespace
# (loopback only; every process of the app ends with it). PROBE=stdout: OUT gets what it prints;
# PROBE=http: OUT gets the body of GET http://127.0.0.1:$PORT$URL_PATH once it answers.
run_app() {
  local store=$1 tag=$2 out=$3 bx ctr cfg script rc
  store_cmd "$store"
  ctr=$("${bx[@]}" from --pull=never "$tag") || return 1
  cfg=$("${bx[@]}" inspect --type image "$tag")
  script=$out.sh
  {
    echo "set -u"
    printf 'bx=(%s)\n' "$(printf '%q ' "${bx[@]}")"
    python3 -c '
import json, shlex, sys
c = json.loads(sys.argv[1])["OCIv1"].get("config") or {}
argv = (c.get("Entrypoint") or []) + (c.get("Cmd") or [])
wd = c.get("WorkingDir") or "/"
print("argv=(" + " ".join(shlex.quote(a) for a in argv) + ")")
print("wd=" + shlex.quote(wd))' "$cfg"
    printf 'ctr=%q\nprobe=%q\nport=%q\nurl_path=%q\nlog=%q\n' "$ctr" "$PROBE" "${PORT:-}" "${URL_PATH:-/}" "$out.log"
    cat <<'EOF'
ip link set lo up
if [ "$probe" = stdout ]; then
  exec "${bx[@]}" run --isolation chroot --workingdir "$wd" "$ctr" -- "${argv[@]}" 2>"$log"
fi
"${bx[@]}" run --isolation chroot --workingdir "$wd" "$ctr" -- "${argv[@]}" >"$log" 2>&1 &
app=$!
for _ in $(seq 1 240); do
  if body=$(curl -fsS -m 5 "http://127.0.0.1:$port$url_path" 2>/dev/null); then
    printf '%s\n' "$body"
    exit 0
  fi
  kill -0 "$app" 2>/dev/null || { echo "the app exited before answering" >>"$log"; exit 1; }
  sleep 0.5
done
echo "no answer on port $port after 120 s" >>"$log"
exit 1
EOF
  } >"$script"
  timeout 180 unshare --pid --net --mount --mount-proc --fork --kill-child bash "$script" >"$out"
  rc=$?
  "${bx[@]}" rm "$ctr" >/dev/null 2>&1
  return $rc
}

edit_source() { # DIR NONCE: append a comment to the app's EDIT_FILE
  printf '\n%s build-proof edit %s\n' "$EDIT_COMMENT" "$2" >>"$1/$EDIT_FILE"
}

copy_app() { # APP DEST: the build context, without this harness's files
  mkdir -p "$2"
  (cd "$here/$1" && tar --exclude=app.conf --exclude='*.expected-fix' -cf - .) | tar -C "$2" -xf -
}

# The FROM images of a Dockerfile that are neither stages nor `scratch` nor in the base store.
missing_bases() {
  local df=$1 name
  python3 - "$df" <<'EOF' | while read -r name; do
import re, sys
stages, images = set(), []
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
for line in text.splitlines():
    w = line.split()
    if not w or w[0].upper() != "FROM":
        continue
    args = [a for a in w[1:] if not a.startswith("--")]
    if not args:
        continue
    if args[0].lower() not in stages and args[0] != "scratch":
        images.append(args[0])
    if len(args) >= 3 and args[1].upper() == "AS":
        stages.add(args[2].lower())
for i in images:
    print(i)
EOF
    local full=$name
    case $name in
      */*/*) ;;
      */*) case ${name%%/*} in *.* | *:* | localhost) ;; *) full=docker.io/$name ;; esac ;;
      *) full=docker.io/library/$name ;;
    esac
    case $full in *:* | *@*) ;; *) full=$full:latest ;; esac
    "${bases[@]}" inspect --type image "$full" >/dev/null 2>&1 || echo "$name"
  done
}

# ---------------------------------------------------------------------------------------------
# Layerwise

# The debug build: the test suite has just built it, and the fixes do not need speed.
layerwise_bin=${LAYERWISE_BIN:-$repo/target/debug/layerwise}
if [ "$fix_with" = layerwise ] && [ -z "${LAYERWISE_BIN:-}" ]; then
  if ! (cd "$repo" && cargo build --locked -q) >"$logs/cargo-build.log" 2>&1; then
    echo "cargo build failed (log: $logs/cargo-build.log)"
  fi
fi

# apply_fix DIR: rewrites DIR/Dockerfile; sets fix_note; fails with fix_error
apply_fix() {
  local dir=$1 rc
  fix_note=""
  fix_error=""
  cp "$dir/Dockerfile" "$dir/.Dockerfile.before"
  if [ "$fix_with" = expected ]; then
    cp "$here/$app/Dockerfile.expected-fix" "$dir/Dockerfile"
    [ -e "$here/$app/dockerignore.expected-fix" ] && cp "$here/$app/dockerignore.expected-fix" "$dir/.dockerignore"
    fix_note="Dockerfile.expected-fix (hand-written, not layerwise)"
  else
    if [ ! -x "$layerwise_bin" ]; then
      fix_error="no layerwise binary at $layerwise_bin"
      return 1
    fi
    (cd "$dir" && timeout 300 "$layerwise_bin" check --fix --unsafe-fixes Dockerfile) >"$logs/$app-fix.log" 2>&1
    rc=$?
    if [ "$rc" -ge 2 ]; then
      fix_error="\`layerwise check --fix --unsafe-fixes Dockerfile\` exited $rc: $(grep -m1 -v '^\s*$' "$logs/$app-fix.log" | cut -c1-200) (the fixes are not implemented yet?)"
      return 1
    fi
    fix_note="layerwise check --fix --unsafe-fixes (exit $rc: $(grep -v '^\s*$' "$logs/$app-fix.log" | tail -n 1 | cut -c1-120))"
  fi
  if cmp -s "$dir/.Dockerfile.before" "$dir/Dockerfile"; then
    fix_error="\`layerwise check --fix --unsafe-fixes Dockerfile\` left the Dockerfile unchanged (log: $logs/$app-fix.log)"
    return 1
  fi
  diff -u --label Dockerfile.original --label Dockerfile.fixed "$dir/.Dockerfile.before" "$dir/Dockerfile" >"$logs/$app-fix.diff"
  [ -e "$dir/.dockerignore" ] && fix_note="$fix_note; .dockerignore created"
  rm -f "$dir/.Dockerfile.before"
  return 0
}

# ---------------------------------------------------------------------------------------------
# The proof, app by app

figures=$logs/figures.tsv
printf 'app\torig_bytes\torig_build_s\torig_edit_cached\torig_edit_total\torig_dep_rerun\torig_edit_s\tfixed_bytes\tfixed_build_s\tfixed_edit_cached\tfixed_edit_total\tfixed_dep_reused\tfixed_edit_s\n' >"$figures"

prove() {
  local app=$1 work=$cache/work/$1 nonce orig_store fixed_store
  local o_bytes o_secs o_out f_bytes f_secs
  local o_edit_secs f_edit_secs o_c o_t o_dc o_dt f_c f_t f_dc f_dt
  TITLE=$app PROBE=stdout PORT="" URL_PATH=/ EDIT_FILE="" EDIT_COMMENT="#" DEP_STEP='install'
  # shellcheck disable=SC1090
  source "$here/$app/app.conf"
  echo
  echo "== $app: $TITLE"
  orig_store=$app-original
  fixed_store=$app-fixed
  drop_store "$orig_store"
  drop_store "$fixed_store"
  stores+=("$orig_store" "$fixed_store")
  rm -rf "$work"
  copy_app "$app" "$work/original"
  copy_app "$app" "$work/fixed"
  nonce=$(date +%s%N)

  # 1. the original: build, run
  if ! build "$orig_store" "$work/original" "localhost/$app:original" "$logs/$app-original.log"; then
    check_fail "$app/original" "the original Dockerfile did not build (log: $logs/$app-original.log)"
    tail -n 15 "$logs/$app-original.log" | sed 's/^/    /'
    not_run "$app/fix" "no original to compare with"
    return
  fi
  o_secs=$build_secs
  o_bytes=$(image_size "$orig_store" "localhost/$app:original")
  if ! run_app "$orig_store" "localhost/$app:original" "$work/original.out"; then
    check_fail "$app/original" "the original image built but the app did not run (log: $work/original.out.log)"
    tail -n 15 "$work/original.out.log" | sed 's/^/    /'
    not_run "$app/fix" "no original output to compare with"
    return
  fi
  o_out=$(cat "$work/original.out")
  echo "   original: built in $o_secs s, $(mb "$o_bytes"); the app prints: $o_out"

  # 2. the original after a source edit
  edit_source "$work/original" "$nonce"
  if ! build "$orig_store" "$work/original" "localhost/$app:original-edited" "$logs/$app-original-edited.log"; then
    check_fail "$app/original" "the original did not rebuild after editing $EDIT_FILE (log: $logs/$app-original-edited.log)"
    return
  fi
  o_edit_secs=$build_secs
  read -r o_c o_t o_dc o_dt < <(steps "$logs/$app-original-edited.log" "$DEP_STEP")
  echo "   original after editing $EDIT_FILE: $o_c/$o_t steps cached, dependency install $([ "$o_dc" -lt "$o_dt" ] && echo re-ran || echo reused) ($((o_dt - o_dc))/$o_dt re-ran), $o_edit_secs s"
  check_ok "$app/original"

  # 3. the fix
  if ! apply_fix "$work/fixed"; then
    check_fail "$app/fix" "$fix_error"
    not_run "$app/fixed-builds, same-output, smaller, cache" "no fixed Dockerfile"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\n' "$app" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" >>"$figures"
    return
  fi
  echo "   fix: $fix_note (diff: $logs/$app-fix.diff)"
  sed 's/^/      /' "$work/fixed/Dockerfile"
  check_ok "$app/fix"

  # 4. the fixed Dockerfile: builds, runs the same, is smaller, keeps the dependency layer
  if ! build "$fixed_store" "$work/fixed" "localhost/$app:fixed" "$logs/$app-fixed.log"; then
    local missing
    missing=$(missing_bases "$work/fixed/Dockerfile" | tr '\n' ' ')
    if [ -n "$missing" ]; then
      check_fail "$app/fixed-builds" "the fixed Dockerfile names base images this test cannot provide (no pulls here): $missing- add a stand-in to tests/build/bases/tags or use the original's base (log: $logs/$app-fixed.log)"
    else
      check_fail "$app/fixed-builds" "the fixed Dockerfile did not build (log: $logs/$app-fixed.log)"
      tail -n 15 "$logs/$app-fixed.log" | sed 's/^/    /'
    fi
    not_run "$app/same-output, smaller, cache" "no fixed image"
    return
  fi
  f_secs=$build_secs
  f_bytes=$(image_size "$fixed_store" "localhost/$app:fixed")
  local pct
  pct=$(awk -v o="$o_bytes" -v f="$f_bytes" 'BEGIN { printf "%+.0f%%", (f - o) * 100 / o }')
  echo "   fixed: built in $f_secs s, $(mb "$f_bytes") ($pct: $(mb "$o_bytes") -> $(mb "$f_bytes"), ratio $(awk -v o="$o_bytes" -v f="$f_bytes" 'BEGIN { printf "%.2f", f / o }'))"
  check_ok "$app/fixed-builds"

  if ! run_app "$fixed_store" "localhost/$app:fixed" "$work/fixed.out"; then
    check_fail "$app/same-output" "the fixed image built but the app did not run (log: $work/fixed.out.log)"
    tail -n 15 "$work/fixed.out.log" | sed 's/^/    /'
  elif [ "$(cat "$work/fixed.out")" != "$o_out" ]; then
    check_fail "$app/same-output" "the fixed app prints something else: $(cat "$work/fixed.out") (original: $o_out)"
  else
    check_ok "$app/same-output"
  fi

  if [ "$f_bytes" -lt "$o_bytes" ]; then
    check_ok "$app/smaller"
  else
    check_fail "$app/smaller" "the fixed image is not smaller: $(mb "$f_bytes") vs $(mb "$o_bytes")"
  fi

  edit_source "$work/fixed" "$nonce"
  if ! build "$fixed_store" "$work/fixed" "localhost/$app:fixed-edited" "$logs/$app-fixed-edited.log"; then
    check_fail "$app/cache" "the fixed Dockerfile did not rebuild after editing $EDIT_FILE (log: $logs/$app-fixed-edited.log)"
    return
  fi
  f_edit_secs=$build_secs
  read -r f_c f_t f_dc f_dt < <(steps "$logs/$app-fixed-edited.log" "$DEP_STEP")
  echo "   fixed after editing $EDIT_FILE: $f_c/$f_t steps cached, dependency install $([ "$f_dt" -gt 0 ] && [ "$f_dc" -eq "$f_dt" ] && echo reused || echo re-ran) ($f_dc/$f_dt reused), $f_edit_secs s (original: $o_c/$o_t cached, $o_edit_secs s)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$app" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" \
    "$f_bytes" "$f_secs" "$f_c" "$f_t" "$f_dc/$f_dt" "$f_edit_secs" >>"$figures"
  if [ "$f_dt" -eq 0 ]; then
    check_fail "$app/cache" "no dependency-install step (/$DEP_STEP/) found in the fixed build"
  elif [ "$f_dc" -lt "$f_dt" ]; then
    check_fail "$app/cache" "after editing $EDIT_FILE the fixed build re-ran the dependency install ($f_dc/$f_dt reused)"
  elif [ "$o_dt" -eq 0 ] || [ "$o_dc" -eq "$o_dt" ]; then
    check_fail "$app/cache" "the original build did not re-run its dependency install after the edit: this fixture proves nothing"
  else
    check_ok "$app/cache"
  fi

  if [ "$keep" -eq 0 ]; then
    drop_store "$orig_store"
    drop_store "$fixed_store"
  fi
}

for app in "${apps[@]}"; do
  if [ ! -f "$here/$app/app.conf" ]; then
    check_fail "$app" "no such fixture app: tests/build/$app"
    continue
  fi
  prove "$app"
done

# ---------------------------------------------------------------------------------------------
# Figures

echo
echo "build proof figures (fixed by: $([ "$fix_with" = expected ] && echo 'the hand-written Dockerfile.expected-fix, not layerwise' || echo 'layerwise check --fix --unsafe-fixes'))"
python3 - "$figures" "$logs/figures.md" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def mb(b): return f"{int(b) / 1e6:.0f} MB" if b else "-"
def s(x): return f"{float(x):.0f} s" if x else "-"
head = ["app", "original", "fixed", "change", "cold build (orig / fixed)",
        "rebuild after a source edit: original", "fixed"]
out = []
for r in rows:
    o, f = r["orig_bytes"], r["fixed_bytes"]
    change = f"{(int(f) - int(o)) * 100 / int(o):+.0f}% (x{int(f) / int(o):.2f})" if o and f else "-"
    orig_edit = (f"{r['orig_edit_cached']}/{r['orig_edit_total']} cached, deps re-ran {r['orig_dep_rerun']}, {s(r['orig_edit_s'])}"
                 if r["orig_edit_total"] else "-")
    fixed_edit = (f"{r['fixed_edit_cached']}/{r['fixed_edit_total']} cached, deps reused {r['fixed_dep_reused']}, {s(r['fixed_edit_s'])}"
                  if r["fixed_edit_total"] else "-")
    out.append([r["app"], mb(o), mb(f), change, f"{s(r['orig_build_s'])} / {s(r['fixed_build_s'])}", orig_edit, fixed_edit])
widths = [max(len(x) for x in col) for col in zip(head, *out)] if out else [len(h) for h in head]
for line in [head] + out:
    print("  " + "  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())
with open(sys.argv[2], "w") as md:
    md.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
    for line in out:
        md.write("| " + " | ".join(line) + " |\n")
EOF
echo "  (sizes: sum of the image's layer sizes, uncompressed; table: $logs/figures.md; logs: $logs)"
echo "build proof took $(($(date +%s) - t_start)) s"
finish
