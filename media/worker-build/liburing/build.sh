#!/usr/bin/env bash
# Builds the io_uring variant of the mediasoup worker, for the benchmark's A/B only
# (docs/decisions/0012-worker-liburing.md). The worker Seduta runs is the one scripts/setup.mjs
# builds, without liburing. Needs the packages setup installs plus liburing-dev (Debian 12: 2.3).
#
#   media/worker-build/liburing/build.sh [output binary, default ~/.cache/seduta/mediasoup-worker-liburing]
#   MEDIASOUP_WORKER_BIN=<that binary> npx tsx test/bench/liburing-ab.ts 200 3
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$HOME/.cache/seduta/mediasoup-worker-liburing}"
pkg-config --exists liburing || { echo 'liburing-dev is missing: apt-get install -y liburing-dev' >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/node_modules/mediasoup/worker" "$work/worker"
rm -rf "$work/worker/out"
cp -r "$root/media/worker-build/subprojects/." "$work/worker/subprojects/"
cd "$work/worker"
for p in "$root"/media/worker-build/patches/*.patch "$here/liburing-2.3-compat.patch"; do
  patch -p1 --forward --batch -i "$p" >/dev/null
  echo "applied $(basename "$p")"
done
# Debian's liburing stands in for the wrap mediasoup would download (same pattern as libuv).
stub="subprojects/liburing-liburing-2.5"
mkdir -p "$stub"
printf '%s\n' "project('liburing-liburing-2.5', 'c')" "uring = dependency('liburing')" \
  "liburing = static_library('stub_liburing', files('stub.c'))" >"$stub/meson.build"
echo 'int ms_stub_liburing(void) { return 0; }' >"$stub/stub.c"
meson setup --buildtype release -Db_ndebug=true --wrap-mode=nodownload out/build >/dev/null
ninja -C out/build fbs/FBS >/dev/null
ninja -C out/build mediasoup-worker | grep -E '^\[[0-9]+/[0-9]+\]' | awk 'NR % 25 == 0'
mkdir -p "$(dirname "$out")"
cp out/build/mediasoup-worker "$out"
echo "built $out"
