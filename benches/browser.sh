#!/usr/bin/env bash
# The browser benchmark (issue 10; figures in BENCHMARKS.md, "In the browser").
#
#   benches/browser.sh                    # 10,000 clients, 7 runs
#   benches/browser.sh 100000 5           # N clients, RUNS runs
#   BENCH_PROFILE=dev benches/browser.sh  # the dev build instead of --release
#
# Generates an N-client room (examples/gen_room.rs; without the example's
# audiences and NDA, so one password), builds it sealed into a
# temporary folder (output on tmpfs when /dev/shm is writable), then times
# unlock, every index (clients, contracts, payments, services, handover
# checklist and notices), a client page and five searches in headless Chromium from
# file:// (benches/browser.mjs) and prints p50/p95. Needs Chromium and
# `npm ci` in tests/browser.
set -euo pipefail

N=${1:-10000}
RUNS=${2:-7}
PROFILE=${BENCH_PROFILE:-release}
PASSWORD='bench-Passw0rd-蓝色海豚-2026'

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case "$PROFILE" in dev) OUTDIR=debug ;; *) OUTDIR=$PROFILE ;; esac

cargo build --quiet --profile "$PROFILE" --bin dataroom --example gen_room
BASE=/tmp
[ -w /dev/shm ] && BASE=/dev/shm
WORK=$(mktemp -d "$BASE/dataroom-browser-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$TARGET/$OUTDIR/examples/gen_room" "$N" "$WORK/room" >&2
printf '%s\n' "$PASSWORD" >"$WORK/pw"
"$TARGET/$OUTDIR/dataroom" keygen --out "$WORK/key" >/dev/null 2>&1
echo "== building the $N-client room" >&2
"$TARGET/$OUTDIR/dataroom" build "$WORK/room" --out "$WORK/out" --password-file "$WORK/pw" \
    --sign-key "$WORK/key" >/dev/null
echo "== measuring ($RUNS runs)" >&2
node benches/browser.mjs --site "$WORK/out/site" --password-file "$WORK/pw" --runs "$RUNS" --clients "$N" \
    --room "$WORK/room"
