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
#   APP                  a fixture folder in tests/build with an app.conf (default: all of them;
#                        with --fix-with expected, those with a Dockerfile.expected-fix)
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
if [ ${#apps[@]} -eq 0 ]; then
  for f in "$here"/*/app.conf; do
    # the harness's self-check uses the fixtures that have a hand-written fix
    [ "$fix_with" = expected ] && ! ls "$(dirname "$f")"/*.expected-fix >/dev/null 2>&1 && continue
    apps+=("$(basename "$(dirname "$f")")")
  done
fi

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

# desugar_heredocs IN OUT: buildah 1.28 does not parse heredocs, so a `RUN <<WORD` whose whole
# command is the heredoc is rewritten as BuildKit runs it, `RUN ["/bin/sh", "-c", "BODY"]`
# (no `set -e`: only the body's last command decides the step's status). Other lines unchanged.
desugar_heredocs() {
  python3 - "$1" "$2" <<'EOF'
import json, re, sys
lines = open(sys.argv[1]).read().split("\n")
out, i = [], 0
while i < len(lines):
    m = re.match(r"^\s*RUN\s+<<(-?)([\"']?)(\w+)\2\s*$", lines[i], re.I)
    if not m:
        out.append(lines[i]); i += 1; continue
    strip, word, body, i = m.group(1), m.group(3), [], i + 1
    while i < len(lines) and (lines[i].lstrip("\t") if strip else lines[i]) != word:
        body.append(lines[i].lstrip("\t") if strip else lines[i]); i += 1
    i += 1
    out.append("RUN " + json.dumps(["/bin/sh", "-c", "\n".join(body) + "\n"]))
open(sys.argv[2], "w").write("\n".join(out))
EOF
}

# build STORE CONTEXT TAG LOG: buildah build of CONTEXT/$DF; sets build_secs
build() {
  local store=$1 ctx=$2 tag=$3 log=$4 t0 rc bx df
  store_cmd "$store"
  df=$ctx/${DF:-Dockerfile}
  if grep -qiE '^\s*RUN\s+<<' "$df"; then
    desugar_heredocs "$df" "$ctx.${DF:-Dockerfile}.buildah"
    df=$ctx.${DF:-Dockerfile}.buildah
  fi
  t0=$(now)
  timeout 1500 "${bx[@]}" build --layers --isolation chroot --pull=never \
    -f "$df" -t "$tag" "$ctx" >"$log" 2>&1
  rc=$?
  # buildah's chroot runner sometimes fails to start a RUN for reasons of the machine, not of
  # the Dockerfile (seen on CI: `Close_Fd sealing memfd copy: Device or resource busy`); such a
  # build is tried once more, with its first log kept above the second
  if [ $rc -ne 0 ] && grep -qE 'sealing memfd copy|Device or resource busy' "$log"; then
    mv "$log" "$log.first-try"
    { echo "(retried: the first try failed in buildah's runner, see below)"; cat "$log.first-try"; echo "---- second try ----"; } >"$log"
    timeout 1500 "${bx[@]}" build --layers --isolation chroot --pull=never \
      -f "$df" -t "$tag" "$ctx" >>"$log" 2>&1
    rc=$?
    rm -f "$log.first-try"
  fi
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
    if line.rstrip("\n") == "---- second try ----":
        steps = []  # a retried build (see build): only the second try counts
        continue
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
  local try rc
  for try in 1 2 3; do
    run_app_once "$@"
    rc=$?
    # buildah's chroot runner sometimes fails to start ("Close_Fd sealing memfd copy: Device
    # or resource busy") before the app runs: an infrastructure error, retried
    [ "$rc" -ne 0 ] && grep -q 'sealing memfd copy' "$3.log" 2>/dev/null || break
    echo "   (buildah run: \"sealing memfd copy\" error, retrying)"
    sleep 2
  done
  return $rc
}
run_app_once() {
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
  # OUTPUT_FILTER (app.conf): a sed script for what differs between runs (timings)
  [ -n "${OUTPUT_FILTER:-}" ] && sed -i -E "$OUTPUT_FILTER" "$out"
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

# findings DIR DOCKERFILE OUT: `layerwise check --format json` of DIR/DOCKERFILE into OUT
findings() {
  (cd "$1" && timeout 300 "$layerwise_bin" check --format json "$2") >"$3" 2>/dev/null
  [ -s "$3" ] || echo '[]' >"$3"
}

# refusals JSON [RULE]: "rule: reason" for every finding (of RULE) whose message says
# "no automatic fix: ...", one a line
refusals() {
  python3 - "$1" "${2:-}" <<'EOF'
import json, re, sys
try:
    items = json.load(open(sys.argv[1]))
except ValueError:
    items = []
seen = []
for f in items:
    if sys.argv[2] and f.get("rule") != sys.argv[2]:
        continue
    m = re.search(r"no automatic fix: (.*?)\)?$", f.get("message", ""))
    if m:
        line = f"{f.get('rule')}: {m.group(1)}"
        if line not in seen:
            seen.append(line)
print("\n".join(seen))
EOF
}

# has_rule JSON RULE: does the check report RULE?
has_rule() {
  python3 -c 'import json, sys; sys.exit(0 if any(f.get("rule") == sys.argv[2] for f in json.load(open(sys.argv[1]))) else 1)' "$1" "$2"
}

# apply_fix DIR: rewrites DIR's Dockerfiles ($DOCKERFILES, all in one run, since they share the
# folder and its .dockerignore); sets fix_note and fix_changed (whether $DF changed); fails with
# fix_error
apply_fix() {
  local dir=$1 rc d
  fix_note=""
  fix_error=""
  fix_changed=0
  local ctx_before
  ctx_before=$(context_sum "$dir")
  cp "$dir/$DF" "$dir/.Dockerfile.before"
  if [ "$fix_with" = expected ]; then
    if [ -e "$here/$app/$DF.expected-fix" ]; then
      for d in $DOCKERFILES; do
        [ -e "$here/$app/$d.expected-fix" ] && cp "$here/$app/$d.expected-fix" "$dir/$d"
      done
      [ -e "$here/$app/dockerignore.expected-fix" ] && cp "$here/$app/dockerignore.expected-fix" "$dir/.dockerignore"
      fix_note="$DF.expected-fix (hand-written, not layerwise)"
    else
      fix_note="no $DF.expected-fix: left as it is"
    fi
  else
    if [ ! -x "$layerwise_bin" ]; then
      fix_error="no layerwise binary at $layerwise_bin"
      return 1
    fi
    # shellcheck disable=SC2086
    (cd "$dir" && timeout 300 "$layerwise_bin" check --fix --unsafe-fixes $DOCKERFILES) >"$logs/$key-fix.log" 2>&1
    rc=$?
    if [ "$rc" -ge 2 ]; then
      fix_error="\`layerwise check --fix --unsafe-fixes $DOCKERFILES\` exited $rc: $(grep -m1 -v '^\s*$' "$logs/$key-fix.log" | cut -c1-200)"
      return 1
    fi
    fix_note="layerwise check --fix --unsafe-fixes (exit $rc: $(grep -v '^\s*$' "$logs/$key-fix.log" | tail -n 1 | cut -c1-120))"
  fi
  cmp -s "$dir/.Dockerfile.before" "$dir/$DF" || fix_changed=1
  # The Dockerfile unchanged but the context not (a .dockerignore created): built and compared
  # all the same, since what the build sees changed.
  if [ "$fix_changed" -eq 0 ] && [ "$(rm -f "$dir/.Dockerfile.before"; context_sum "$dir")" != "$ctx_before" ]; then
    fix_changed=1
    fix_note="$fix_note; $DF unchanged, the context changed"
  fi
  [ -e "$dir/.Dockerfile.before" ] || cp "$dir/$DF" "$dir/.Dockerfile.before"
  diff -u --label "$DF.original" --label "$DF.fixed" "$dir/.Dockerfile.before" "$dir/$DF" >"$logs/$key-fix.diff"
  [ -e "$dir/.dockerignore" ] && fix_note="$fix_note; .dockerignore: $(grep -v '^#' "$dir/.dockerignore" | tr '\n' ' ' | cut -c1-100)"
  rm -f "$dir/.Dockerfile.before"
  return 0
}

# context_sum DIR: a digest of every file (names and contents) in DIR
context_sum() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# from_count FILE: the number of FROM lines (stages)
from_count() { grep -ciE '^\s*FROM\s' "$1"; }

# ---------------------------------------------------------------------------------------------
# The proof, app by app (and Dockerfile by Dockerfile when a fixture has several)

figures=$logs/figures.tsv
printf 'app\torig_bytes\torig_build_s\torig_edit_cached\torig_edit_total\torig_dep_rerun\torig_edit_s\tfixed_bytes\tfixed_build_s\tfixed_edit_cached\tfixed_edit_total\tfixed_dep_reused\tfixed_edit_s\tresult\n' >"$figures"

# figure KEY ...: one row of figures.tsv (14 fields; missing ones empty)
figure() {
  local row=("$@")
  while [ ${#row[@]} -lt 14 ]; do row+=(""); done
  (IFS=$'\t'; echo "${row[*]}") >>"$figures"
}

# prove APP DOCKERFILE
prove() {
  app=$1
  DF=$2
  local work orig_store fixed_store nonce name tag
  local o_bytes o_secs o_out f_bytes f_secs
  local o_edit_secs f_edit_secs o_c o_t o_dc o_dt f_c f_t f_dc f_dt
  local refused_all refused_cbc applied result
  TITLE=$app PROBE=stdout PORT="" URL_PATH=/ EDIT_FILE="" EDIT_COMMENT="#" DEP_STEP='install' FIXED_DEP_STEP=""
  DOCKERFILES=Dockerfile EXPECT=build FAIL_PATTERN="" EXPECT_SMALLER=auto OUTPUT_FILTER=""
  unset -f prepare_context
  prepare_context() { :; }
  # shellcheck disable=SC1090
  source "$here/$app/app.conf"
  if [ "$DF" = Dockerfile ] && [ "$DOCKERFILES" = Dockerfile ]; then
    name=$app
  else
    name=$app:$DF
  fi
  key=$(echo "$name" | tr ':' '-')
  tag=$(echo "$key" | tr 'A-Z.' 'a-z-')
  work=$cache/work/$key
  echo
  echo "== $name: $TITLE"
  orig_store=$key-original
  fixed_store=$key-fixed
  drop_store "$orig_store"
  drop_store "$fixed_store"
  stores+=("$orig_store" "$fixed_store")
  rm -rf "$work"
  copy_app "$app" "$work/original"
  copy_app "$app" "$work/fixed"
  (cd "$work/original" && prepare_context)
  (cd "$work/fixed" && prepare_context)
  nonce=$(date +%s%N)
  findings "$work/original" "$DF" "$logs/$key-findings-original.json"

  # A fixture whose original build must fail (EXPECT=fail, with FAIL_PATTERN in its log): the
  # fixed Dockerfile must fail the same way.
  if [ "$EXPECT" = fail ]; then
    if build "$orig_store" "$work/original" "localhost/$tag:original" "$logs/$key-original.log"; then
      check_fail "$name/original-fails" "the original built, but this fixture's build must fail (log: $logs/$key-original.log)"
      return
    elif ! grep -qE "$FAIL_PATTERN" "$logs/$key-original.log"; then
      check_fail "$name/original-fails" "the original failed, but not with /$FAIL_PATTERN/ (log: $logs/$key-original.log)"
      tail -n 15 "$logs/$key-original.log" | sed 's/^/    /'
      return
    fi
    o_secs=$build_secs
    echo "   original: fails as it must in $o_secs s: $(grep -m1 -E "$FAIL_PATTERN" "$logs/$key-original.log" | cut -c1-150)"
    check_ok "$name/original-fails"
    if ! apply_fix "$work/fixed"; then
      check_fail "$name/fix" "$fix_error"
      figure "$name" "" "$o_secs" "" "" "" "" "" "" "" "" "" "" "fix failed"
      return
    fi
    refused_all=$(refusals "$logs/$key-findings-original.json" | paste -sd ';' -)
    if [ "$fix_changed" -eq 0 ]; then
      echo "   fix: the Dockerfile is unchanged${refused_all:+ (layerwise: $refused_all)}"
      check_ok "$name/fix"
      check_ok "$name/fixed-still-fails"
      figure "$name" "" "$o_secs" "" "" "" "" "" "" "" "" "" "" "original fails as it must; unchanged${refused_all:+; refused: $refused_all}"
      return
    fi
    echo "   fix: $fix_note (diff: $logs/$key-fix.diff)"
    sed 's/^/      /' "$work/fixed/$DF"
    check_ok "$name/fix"
    if build "$fixed_store" "$work/fixed" "localhost/$tag:fixed" "$logs/$key-fixed.log"; then
      check_fail "$name/fixed-still-fails" "the fixed Dockerfile BUILDS although the original fails: the fix hid a failing install (log: $logs/$key-fixed.log)"
      result="BROKEN: the fixed build succeeds"
    elif ! grep -qE "$FAIL_PATTERN" "$logs/$key-fixed.log"; then
      check_fail "$name/fixed-still-fails" "the fixed Dockerfile fails, but not with /$FAIL_PATTERN/ (log: $logs/$key-fixed.log)"
      tail -n 15 "$logs/$key-fixed.log" | sed 's/^/    /'
      result="BROKEN: fails otherwise"
    else
      echo "   fixed: fails the same way in $build_secs s"
      check_ok "$name/fixed-still-fails"
      result="both fail as they must"
    fi
    figure "$name" "" "$o_secs" "" "" "" "" "" "$build_secs" "" "" "" "" "$result"
    return
  fi

  # 1. the original: build, run
  if ! build "$orig_store" "$work/original" "localhost/$tag:original" "$logs/$key-original.log"; then
    check_fail "$name/original" "the original Dockerfile did not build (log: $logs/$key-original.log)"
    tail -n 15 "$logs/$key-original.log" | sed 's/^/    /'
    not_run "$name/fix" "no original to compare with"
    return
  fi
  o_secs=$build_secs
  o_bytes=$(image_size "$orig_store" "localhost/$tag:original")
  if ! run_app "$orig_store" "localhost/$tag:original" "$work/original.out"; then
    check_fail "$name/original" "the original image built but the app did not run (log: $work/original.out.log)"
    tail -n 15 "$work/original.out.log" | sed 's/^/    /'
    not_run "$name/fix" "no original output to compare with"
    return
  fi
  o_out=$(cat "$work/original.out")
  echo "   original: built in $o_secs s, $(mb "$o_bytes"); the app prints: $o_out"

  # 2. the original after a source edit
  edit_source "$work/original" "$nonce"
  if ! build "$orig_store" "$work/original" "localhost/$tag:original-edited" "$logs/$key-original-edited.log"; then
    check_fail "$name/original" "the original did not rebuild after editing $EDIT_FILE (log: $logs/$key-original-edited.log)"
    return
  fi
  o_edit_secs=$build_secs
  read -r o_c o_t o_dc o_dt < <(steps "$logs/$key-original-edited.log" "$DEP_STEP")
  echo "   original after editing $EDIT_FILE: $o_c/$o_t steps cached, dependency install $([ "$o_dc" -lt "$o_dt" ] && echo re-ran || echo reused) ($((o_dt - o_dc))/$o_dt re-ran), $o_edit_secs s"
  check_ok "$name/original"

  # 3. the fix
  if ! apply_fix "$work/fixed"; then
    check_fail "$name/fix" "$fix_error"
    not_run "$name/fixed-builds, same-output, smaller, cache" "no fixed Dockerfile"
    figure "$name" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" "" "" "" "" "" "" "fix failed"
    return
  fi
  findings "$work/fixed" "$DF" "$logs/$key-findings-fixed.json"
  # The manifests-first fix applied: the original had a cache-busting-copy finding and the
  # fixed Dockerfile has none. Refused: the finding stays and says "no automatic fix: why".
  applied=0
  if has_rule "$logs/$key-findings-original.json" cache-busting-copy &&
    ! has_rule "$logs/$key-findings-fixed.json" cache-busting-copy; then
    applied=1
  fi
  refused_cbc=$(refusals "$logs/$key-findings-fixed.json" cache-busting-copy | paste -sd ';' -)
  refused_all=$(refusals "$logs/$key-findings-fixed.json" | paste -sd ';' -)
  if [ "$fix_changed" -eq 0 ]; then
    if [ -n "$refused_all" ]; then
      echo "   fix: the Dockerfile is unchanged; layerwise says why: $refused_all"
      check_ok "$name/fix"
      not_run "$name/fixed-builds, same-output, cache" "nothing changed: the original's build is the fixed one"
      figure "$name" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" "" "" "" "" "" "" "refused: $refused_all"
    else
      check_fail "$name/fix" "\`layerwise check --fix --unsafe-fixes\` left $DF unchanged and no finding says \"no automatic fix:\" (log: $logs/$key-fix.log)"
      figure "$name" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" "" "" "" "" "" "" "unchanged, no reason given"
    fi
    return
  fi
  echo "   fix: $fix_note (diff: $logs/$key-fix.diff)"
  sed 's/^/      /' "$work/fixed/$DF"
  [ -n "$refused_all" ] && echo "   layerwise refused: $refused_all"
  check_ok "$name/fix"

  # 4. the fixed Dockerfile: builds, runs the same, is smaller, keeps the dependency layer
  if ! build "$fixed_store" "$work/fixed" "localhost/$tag:fixed" "$logs/$key-fixed.log"; then
    local missing
    missing=$(missing_bases "$work/fixed/$DF" | tr '\n' ' ')
    if [ -n "$missing" ]; then
      check_fail "$name/fixed-builds" "the fixed Dockerfile names base images this test cannot provide (no pulls here): $missing- add a stand-in to tests/build/bases/tags or use the original's base (log: $logs/$key-fixed.log)"
    else
      check_fail "$name/fixed-builds" "the fixed Dockerfile did not build (log: $logs/$key-fixed.log)"
      tail -n 15 "$logs/$key-fixed.log" | sed 's/^/    /'
    fi
    not_run "$name/same-output, smaller, cache" "no fixed image"
    figure "$name" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" "" "" "" "" "" "" "BROKEN: the fixed Dockerfile does not build"
    return
  fi
  f_secs=$build_secs
  f_bytes=$(image_size "$fixed_store" "localhost/$tag:fixed")
  local pct
  pct=$(awk -v o="$o_bytes" -v f="$f_bytes" 'BEGIN { printf "%+.0f%%", (f - o) * 100 / o }')
  echo "   fixed: built in $f_secs s, $(mb "$f_bytes") ($pct: $(mb "$o_bytes") -> $(mb "$f_bytes"), ratio $(awk -v o="$o_bytes" -v f="$f_bytes" 'BEGIN { printf "%.2f", f / o }'))"
  check_ok "$name/fixed-builds"

  result=""
  if ! run_app "$fixed_store" "localhost/$tag:fixed" "$work/fixed.out"; then
    check_fail "$name/same-output" "the fixed image built but the app did not run (log: $work/fixed.out.log)"
    tail -n 15 "$work/fixed.out.log" | sed 's/^/    /'
    result="BROKEN: the fixed app does not run"
  elif [ "$(cat "$work/fixed.out")" != "$o_out" ]; then
    check_fail "$name/same-output" "the fixed app prints something else: $(cat "$work/fixed.out") (original: $o_out)"
    result="BROKEN: the fixed app prints something else"
  else
    check_ok "$name/same-output"
  fi

  # Smaller: required when the fix extracted a builder stage (EXPECT_SMALLER=auto), or always
  # (EXPECT_SMALLER=1); otherwise the sizes are only reported.
  if [ "$EXPECT_SMALLER" = 1 ] || { [ "$EXPECT_SMALLER" = auto ] && [ "$(from_count "$work/fixed/$DF")" -gt "$(from_count "$work/original/$DF")" ]; }; then
    if [ "$f_bytes" -lt "$o_bytes" ]; then
      check_ok "$name/smaller"
    else
      check_fail "$name/smaller" "the fixed image is not smaller: $(mb "$f_bytes") vs $(mb "$o_bytes")"
    fi
  fi

  edit_source "$work/fixed" "$nonce"
  if ! build "$fixed_store" "$work/fixed" "localhost/$tag:fixed-edited" "$logs/$key-fixed-edited.log"; then
    check_fail "$name/cache" "the fixed Dockerfile did not rebuild after editing $EDIT_FILE (log: $logs/$key-fixed-edited.log)"
    figure "$name" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" "$f_bytes" "$f_secs" "" "" "" "" "BROKEN: no rebuild after an edit"
    return
  fi
  f_edit_secs=$build_secs
  read -r f_c f_t f_dc f_dt < <(steps "$logs/$key-fixed-edited.log" "${FIXED_DEP_STEP:-$DEP_STEP}")
  echo "   fixed after editing $EDIT_FILE: $f_c/$f_t steps cached, dependency install $([ "$f_dt" -gt 0 ] && [ "$f_dc" -eq "$f_dt" ] && echo reused || echo re-ran) ($f_dc/$f_dt reused), $f_edit_secs s (original: $o_c/$o_t cached, $o_edit_secs s)"
  if [ "$f_dt" -gt 0 ] && [ "$f_dc" -eq "$f_dt" ] && [ "$o_dt" -gt 0 ] && [ "$o_dc" -lt "$o_dt" ]; then
    check_ok "$name/cache"
    if [ "$applied" -eq 1 ]; then
      result=${result:-"manifests first"}
    else
      result=${result:-"deps reused (no cache-busting-copy finding)"}
    fi
  elif [ "$applied" -eq 1 ]; then
    if [ "$f_dt" -eq 0 ]; then
      check_fail "$name/cache" "no dependency-install step (/${FIXED_DEP_STEP:-$DEP_STEP}/) found in the fixed build"
    elif [ "$f_dc" -lt "$f_dt" ]; then
      check_fail "$name/cache" "after editing $EDIT_FILE the fixed build re-ran the dependency install ($f_dc/$f_dt reused)"
    elif [ "$o_dt" -eq 0 ] || [ "$o_dc" -eq "$o_dt" ]; then
      check_fail "$name/cache" "the original build did not re-run its dependency install after the edit: this fixture proves nothing"
    else
      check_ok "$name/cache"
    fi
    result=${result:-"manifests first"}
  elif [ -n "$refused_cbc" ]; then
    echo "   cache: the manifests-first fix was refused: $refused_cbc"
    check_ok "$name/cache"
    result=${result:-"refused: $refused_cbc"}
  elif has_rule "$logs/$key-findings-fixed.json" cache-busting-copy; then
    check_fail "$name/cache" "cache-busting-copy is still reported after the fix and does not say why (\"no automatic fix:\")"
    result=${result:-"cache-busting-copy left without a reason"}
  else
    not_run "$name/cache" "no cache-busting-copy finding in the original"
    result=${result:-"no manifests-first finding"}
  fi
  case $result in refused:* | BROKEN*) ;; *) [ -n "$refused_all" ] && result="$result; refused: $refused_all" ;; esac
  figure "$name" "$o_bytes" "$o_secs" "$o_c" "$o_t" "$((o_dt - o_dc))/$o_dt" "$o_edit_secs" \
    "$f_bytes" "$f_secs" "$f_c" "$f_t" "$f_dc/$f_dt" "$f_edit_secs" "$result"

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
  DOCKERFILES=Dockerfile
  # shellcheck disable=SC1090
  eval "$(grep -E '^DOCKERFILES=' "$here/$app/app.conf")"
  for df in $DOCKERFILES; do
    prove "$app" "$df"
  done
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
        "rebuild after a source edit: original", "fixed", "result"]
out = []
for r in rows:
    o, f = r["orig_bytes"], r["fixed_bytes"]
    change = f"{(int(f) - int(o)) * 100 / int(o):+.0f}% (x{int(f) / int(o):.2f})" if o and f else "-"
    orig_edit = (f"{r['orig_edit_cached']}/{r['orig_edit_total']} cached, deps re-ran {r['orig_dep_rerun']}, {s(r['orig_edit_s'])}"
                 if r["orig_edit_total"] else "-")
    fixed_edit = (f"{r['fixed_edit_cached']}/{r['fixed_edit_total']} cached, deps reused {r['fixed_dep_reused']}, {s(r['fixed_edit_s'])}"
                  if r["fixed_edit_total"] else "-")
    out.append([r["app"], mb(o), mb(f), change, f"{s(r['orig_build_s'])} / {s(r['fixed_build_s'])}", orig_edit, fixed_edit,
                r.get("result") or "-"])
widths = [max(len(x) for x in col) for col in zip(head, *out)] if out else [len(h) for h in head]
for line in [head] + out:
    print("  " + "  ".join(x.ljust(w) for x, w in zip(line[:-1], widths)).rstrip())
    print("    " + line[-1])
with open(sys.argv[2], "w") as md:
    md.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
    for line in out:
        md.write("| " + " | ".join(line) + " |\n")
EOF
echo "  (sizes: sum of the image's layer sizes, uncompressed; table: $logs/figures.md; logs: $logs)"
echo "build proof took $(($(date +%s) - t_start)) s"
finish
