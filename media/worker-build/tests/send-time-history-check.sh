#!/bin/sh
# Differential check of patches/0003-send-time-history-ring.patch (docs/decisions/0035-worker-ab.md):
# builds the patched SendTimeHistory alone (with a stub logger) and runs the same random operation
# sequences with SEDUTA_WORKER_SEND_HISTORY=map and =ring; every checksum must match. About 15 s.
#
#   media/worker-build/tests/send-time-history-check.sh            the check
#   media/worker-build/tests/send-time-history-check.sh bench      + per-packet cost and memory of both
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/node_modules/mediasoup/worker/deps" "$root/node_modules/mediasoup/worker/include" "$work/"
for p in "$root"/media/worker-build/patches/*.patch; do
  # Only the patches that touch the sources copied here.
  if grep -q '^+++ b/deps/libwebrtc' "$p"; then patch -d "$work" -p1 --forward --batch --quiet -i "$p"; fi
done
mkdir -p "$work/stub"
cat >"$work/stub/Logger.hpp" <<'STUB'
#pragma once
#define MS_TRACE()
#define MS_WARN_TAG(tag, ...)
#define MS_WARN_DEV(...)
#define MS_DEBUG_DEV(...)
#define MS_DEBUG_TAG(tag, ...)
#define MS_ASSERT(c, ...)
#define MS_ERROR(...)
#define MS_DUMP(...)
STUB
lw="$work/deps/libwebrtc/libwebrtc"
g++ -std=c++17 -O2 -Wall -DMS_LITTLE_ENDIAN -I"$work/stub" -I"$lw" -I"$work/deps/libwebrtc" -I"$work/include" \
  "$here/send-time-history-check.cc" "$lw/modules/congestion_controller/rtp/send_time_history.cc" \
  "$lw/modules/rtp_rtcp/include/rtp_rtcp_defines.cc" "$lw/api/transport/network_types.cc" "$lw"/api/units/*.cc \
  -o "$work/check"
SEDUTA_WORKER_SEND_HISTORY=map "$work/check" >"$work/map.txt"
SEDUTA_WORKER_SEND_HISTORY=ring "$work/check" >"$work/ring.txt"
if ! diff "$work/map.txt" "$work/ring.txt"; then
  echo "send-time history: ring and map differ" >&2
  exit 1
fi
echo "send-time history: ring and map agree on $(wc -l <"$work/map.txt") scenarios"
if [ "${1:-}" = bench ]; then
  for mode in map ring; do
    SEDUTA_WORKER_SEND_HISTORY=$mode /usr/bin/time -f "  $mode: max RSS %M kB" "$work/check" bench 200 10
    SEDUTA_WORKER_SEND_HISTORY=$mode /usr/bin/time -f "  $mode: max RSS %M kB" "$work/check" feedback 200 70
  done
fi
