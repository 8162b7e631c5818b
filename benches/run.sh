#!/usr/bin/env bash
# The dataroom benchmark (results and interpretation: BENCHMARKS.md).
#
#   benches/run.sh                      # 1,000, 10,000 and 100,000 clients, 3 runs each
#   SIZES="1000 10000" RUNS=5 benches/run.sh
#   BENCH_HUGO_MAX=10000 benches/run.sh # Hugo only up to this many clients (default 10,000:
#                                       # it needed 1.5 GiB at 10k, so ~15 GiB at 100k)
#   BENCH_TMPFS= benches/run.sh         # skip the tmpfs variants
#   BENCH_KEEP=1 benches/run.sh         # keep the generated rooms and outputs
#   BENCH_IDLE_WAIT=0 benches/run.sh    # do not wait for a quiet machine
#
# For each size N it generates a synthetic room (examples/gen_room.rs: the
# example's settings without its audiences and NDA, so one DATAROOM_PASSWORD
# and figures comparable with earlier ones and Hugo), checks
# that it has 0 errors, then, RUNS times, times under /usr/bin/time -v:
#   - dataroom check ROOM
#   - dataroom build ROOM --out OUT --sign-key KEY --timings   (fresh OUT each run)
#   - hugo --quiet on the same N clients as Markdown pages (gen_room --hugo)
# with OUT on the disk next to the room, and (when BENCH_TMPFS, default /dev/shm,
# is a writable folder) again with the output on tmpfs, which leaves out the
# file system's cost of creating ~N files.
#
# It prints Markdown tables: median (fastest–slowest) wall time, median per-stage
# timings (dataroom's own `timing <stage>:` lines), median CPU time (user+sys),
# the largest max RSS, output sizes, and the median CPU load of *other*
# processes during the runs (busy CPU from /proc/stat minus the run's own CPU),
# which says how noisy the machine was. Before each timed command it waits up
# to BENCH_IDLE_WAIT seconds (default 4) for the other processes to use less
# than a fifth of a core.
#
# After the runs of each size, `dataroom verify` and `dataroom restore` of the
# built zip are timed once each (max RSS: both stream, entry by entry).
#
# A last probe builds the smallest room (output on tmpfs when available) with
# 6,000,000 PBKDF2 iterations: a ninth of the growth of seal+write over the
# default build is the cost of the default 600,000 iterations.
#
# Needs: cargo, GNU time at /usr/bin/time, hugo (Debian's is /usr/bin/hugo), python3.
set -euo pipefail

SIZES=${SIZES:-"1000 10000 100000"}
BENCH_HUGO_MAX=${BENCH_HUGO_MAX:-10000}
RUNS=${RUNS:-3}
HUGO=${HUGO:-$(command -v hugo || echo /usr/bin/hugo)}
BENCH_TMPFS=${BENCH_TMPFS-/dev/shm}
BENCH_IDLE_WAIT=${BENCH_IDLE_WAIT:-4}
PASSWORD='bench-Passw0rd-蓝色海豚-2026'
export LC_ALL=C.UTF-8
# The benchmark reads dataroom's English `timing` and `error(s)` lines; the rooms are zh-CN.
export DATAROOM_LANG=en

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

for tool in /usr/bin/time "$HUGO" python3 cargo; do
    command -v "$tool" >/dev/null || { echo "benches/run.sh: $tool not found" >&2; exit 1; }
done

echo "== building (release)" >&2
cargo build --release --quiet
cargo build --release --quiet --example gen_room
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
DATAROOM="$TARGET_DIR/release/dataroom"
GEN="$TARGET_DIR/release/examples/gen_room"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dataroom-bench.XXXXXX")
SHM=""
if [[ -n "$BENCH_TMPFS" && -d "$BENCH_TMPFS" && -w "$BENCH_TMPFS" ]]; then
    SHM=$(mktemp -d "$BENCH_TMPFS/dataroom-bench.XXXXXX")
fi
cleanup() {
    if [[ -z "${BENCH_KEEP:-}" ]]; then
        rm -rf "$WORK"
    else
        echo "kept $WORK" >&2
    fi
    [[ -z "$SHM" ]] || rm -rf "$SHM"   # never keep gigabytes in RAM
}
trap cleanup EXIT
RESULTS="$WORK/results.tsv"   # size  tool  run  metric  value
: >"$RESULTS"
CLK_TCK=$(getconf CLK_TCK)

"$DATAROOM" keygen --out "$WORK/bench.key" >/dev/null

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }

# wait_idle: until the machine's busy CPU over half a second is below 0.2 cores,
# at most BENCH_IDLE_WAIT seconds.
wait_idle() {
    local deadline=$((SECONDS + BENCH_IDLE_WAIT)) u n s i w q sq st u2 n2 s2 i2 w2 q2 sq2 st2 rest
    while ((SECONDS < deadline)); do
        read -r _ u n s i w q sq st rest </proc/stat
        sleep 0.5
        read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 rest </proc/stat
        # busy ticks in 0.5 s < 0.2 cores × 0.5 s × CLK_TCK
        if (((u2 + n2 + s2 + q2 + sq2 + st2 - u - n - s - q - sq - st) * 10 < CLK_TCK)); then
            return 0
        fi
    done
}

# timed NAME SIZE RUN -- COMMAND...: runs COMMAND under /usr/bin/time -v and
# records wall time, user+sys CPU, max RSS and the other processes' CPU load.
# The command's stdout/stderr are kept in $WORK/NAME-SIZE-RUN.{out,err}.
timed() {
    local name=$1 size=$2 run=$3
    shift 4
    local base="$WORK/$name-$size-$run"
    wait_idle
    head -1 /proc/stat >"$base.stat0"
    if ! /usr/bin/time -v -o "$base.time" "$@" >"$base.out" 2>"$base.err"; then
        echo "benches/run.sh: '$*' failed:" >&2
        tail -20 "$base.err" >&2
        exit 1
    fi
    head -1 /proc/stat >"$base.stat1"
    python3 - "$base" "$size" "$name" "$run" "$CLK_TCK" >>"$RESULTS" <<'PY'
import re, sys
base, size, name, run, tck = sys.argv[1:]
text = open(base + ".time").read()
def field(label):
    return re.search(re.escape(label) + r": (\S+)", text).group(1)
secs = 0.0
for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
    secs = secs * 60 + float(part)
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss = int(field("Maximum resident set size (kbytes)"))
# /proc/stat: user nice system idle iowait irq softirq steal ...
a = [int(x) for x in open(base + ".stat0").read().split()[1:]]
b = [int(x) for x in open(base + ".stat1").read().split()[1:]]
d = [y - x for x, y in zip(a, b)]
busy = (d[0] + d[1] + d[2] + d[5] + d[6] + d[7]) / int(tck)
other = max(busy - cpu, 0.0) / secs if secs > 0 else 0.0
for metric, value in [("wall", f"{secs:.3f}"), ("cpu", f"{cpu:.2f}"), ("rss_kb", rss), ("other_load", f"{other:.2f}")]:
    print(f"{size}\t{name}\t{run}\t{metric}\t{value}")
PY
}

# build_run NAME SIZE RUN OUT [EXTRA ARGS...]: one timed sealed build into a fresh OUT.
build_run() {
    local name=$1 size=$2 run=$3 out=$4
    shift 4
    rm -rf "$out"
    sync
    DATAROOM_PASSWORD="$PASSWORD" timed "$name" "$size" "$run" -- \
        "$DATAROOM" build "$WORK/room-$size" --out "$out" --sign-key "$WORK/bench.key" --timings "$@"
    sed -n 's/^timing \(.*\): \([0-9.]*\)s$/\1\t\2/p' "$WORK/$name-$size-$run.err" |
        while IFS=$'\t' read -r stage secs; do
            record "$size" "$name" "$run" "stage:$stage" "$secs"
        done
}

# hugo_run NAME SIZE RUN DEST: one timed Hugo build into a fresh DEST.
hugo_run() {
    local name=$1 size=$2 run=$3 dest=$4
    rm -rf "$dest"
    sync
    timed "$name" "$size" "$run" -- "$HUGO" --quiet -s "$WORK/hugo-$size" -d "$dest"
}

for n in $SIZES; do
    room="$WORK/room-$n"
    echo "== $n clients: generating" >&2
    "$GEN" "$n" "$room" 2>/dev/null
    with_hugo=""
    if ((n <= BENCH_HUGO_MAX)); then
        with_hugo=1
        "$GEN" --hugo "$n" "$WORK/hugo-$n" 2>/dev/null
        record "$n" input 0 hugo_bytes "$(du -sb "$WORK/hugo-$n/content" | cut -f1)"
    fi
    record "$n" input 0 room_bytes "$(du -sb "$room/clients" | cut -f1)"

    # The generated room must be clean: 0 errors (and, by construction, 0 warnings).
    summary=$("$DATAROOM" check "$room" 2>&1 | grep -E '^[0-9]+ error\(s\)' || true)
    echo "   dataroom check: $summary" >&2
    [[ "$summary" == "0 error(s), "* ]] || { echo "benches/run.sh: the generated room has errors" >&2; exit 1; }

    for run in $(seq 1 "$RUNS"); do
        echo "== $n clients: run $run/$RUNS" >&2
        timed check "$n" "$run" -- "$DATAROOM" check "$room"
        build_run build "$n" "$run" "$WORK/out-$n"
        [[ -z "$with_hugo" ]] || hugo_run hugo "$n" "$run" "$WORK/public-$n"
        if [[ -n "$SHM" ]]; then
            build_run build_tmpfs "$n" "$run" "$SHM/out-$n"
            [[ -z "$with_hugo" ]] || hugo_run hugo_tmpfs "$n" "$run" "$SHM/public-$n"
            rm -rf "$SHM/out-$n" "$SHM/public-$n"
        fi
    done
    out="$WORK/out-$n"
    record "$n" build 0 site_bytes "$(du -sb "$out/site" | cut -f1)"
    record "$n" build 0 site_files "$(find "$out/site" -type f | wc -l)"
    record "$n" build 0 zip_bytes "$(stat -c %s "$out"/*.zip)"
    if [[ -n "$with_hugo" ]]; then
        record "$n" hugo 0 site_bytes "$(du -sb "$WORK/public-$n" | cut -f1)"
        record "$n" hugo 0 site_files "$(find "$WORK/public-$n" -type f | wc -l)"
    fi
    # The buyer's side: verify and restore the zip (both stream).
    printf '%s\n' "$PASSWORD" >"$WORK/password"
    timed verify "$n" 1 -- "$DATAROOM" verify "$out"/*.zip
    rm -rf "$WORK/restored-$n"
    timed restore "$n" 1 -- "$DATAROOM" restore "$out"/*.zip --out "$WORK/restored-$n" \
        --password-file "$WORK/password"
    rm -rf "$WORK/restored-$n"
    if [[ -z "${BENCH_KEEP:-}" ]]; then
        rm -rf "$out" "$WORK/public-$n"
    fi
done

# PBKDF2 probe: the smallest size with 6,000,000 instead of 600,000 iterations.
probe_n=$(printf '%s\n' $SIZES | sort -n | head -1)
probe_base=build
probe_dir="$WORK"
if [[ -n "$SHM" ]]; then probe_base=build_tmpfs probe_dir="$SHM"; fi
for run in $(seq 1 "$RUNS"); do
    echo "== PBKDF2 probe ($probe_n clients, 6,000,000 iterations): run $run/$RUNS" >&2
    build_run kdf10x "$probe_n" "$run" "$probe_dir/out-kdf" --kdf-iterations 6000000
done
rm -rf "$probe_dir/out-kdf"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- src themes Cargo.toml Cargo.lock build.rs 2>/dev/null)" ]]; then
    commit="$commit + uncommitted changes in src/ or themes/"
fi
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
hugo_version=$("$HUGO" version | cut -d' ' -f2)

python3 - "$RESULTS" "$commit" "$(nproc)" "$cpu_model" "$mem" "$hugo_version" "$RUNS" "$probe_base" <<'PY'
import collections, statistics, sys
path, commit, nproc, cpu_model, mem, hugo_version, runs, probe_base = sys.argv[1:]
data = collections.defaultdict(list)
for line in open(path):
    size, tool, run, metric, value = line.rstrip("\n").split("\t")
    data[(int(size), tool, metric)].append(float(value))
sizes = sorted({k[0] for k in data if k[1] == "build" and k[2] == "wall"})
tmpfs = any(k[1] == "build_tmpfs" for k in data)

def med(n, tool, metric):
    v = data.get((n, tool, metric))
    return statistics.median(v) if v else None

def lo(n, tool, metric):
    v = data.get((n, tool, metric))
    return min(v) if v else None

def hi(n, tool, metric):
    v = data.get((n, tool, metric))
    return max(v) if v else None

def sec(x):
    return "–" if x is None else f"{x:.3f} s" if x < 0.1 else f"{x:.2f} s"

def wall(n, tool):
    m = med(n, tool, "wall")
    if m is None:
        return "–"
    return "–" if m is None else f"**{m:.2f} s** ({lo(n, tool, 'wall'):.2f}–{hi(n, tool, 'wall'):.2f})"

def mib(kb):
    return "–" if kb is None else f"{kb / 1024:.0f} MiB"

def mb(b):
    return "–" if b is None else f"{b / 1e6:.1f} MB"

# The stages as dataroom reports them, in its order (e.g. load, check, render,
# seal+write, sign+zip+publish).
stages = []
for line in open(path):
    metric = line.split("\t")[3]
    if metric.startswith("stage:") and metric[6:] not in stages:
        stages.append(metric[6:])

# The stage that derives the keys (PBKDF2): the sealed build streams render,
# seal and write as one stage since issue 11.
SEAL_STAGE = "render+seal+write" if "render+seal+write" in stages else "seal+write"

def outside(n, tool):
    w = med(n, tool, "wall")
    parts = [med(n, tool, "stage:" + st) for st in stages]
    return None if w is None or None in parts else w - sum(parts)

print(f"Machine: {nproc} cores, {cpu_model}, {mem} RAM. dataroom {commit}. Hugo {hugo_version}.")
print(f"Median of {runs} runs; wall times as **median** (fastest–slowest).\n")
print("| | " + " | ".join(f"{n:,} clients" for n in sizes) + " |")
print("|---|" + "---:|" * len(sizes))
rows = [("`dataroom build`, output on disk: wall", lambda n: wall(n, "build"))]
rows += [(f"  stage {st}", lambda n, st=st: sec(med(n, "build", "stage:" + st))) for st in stages]
rows += [
    ("  not in a stage (start-up, the CLI's pre-build check, exit)", lambda n: sec(outside(n, "build"))),
    ("  CPU time (user+sys)", lambda n: sec(med(n, "build", "cpu"))),
    ("  max RSS", lambda n: mib(hi(n, "build", "rss_kb"))),
]
if tmpfs:
    rows += [("`dataroom build`, output on tmpfs: wall", lambda n: wall(n, "build_tmpfs"))]
    rows += [(f"  stage {st}", lambda n, st=st: sec(med(n, "build_tmpfs", "stage:" + st))) for st in stages]
    rows += [("  CPU time (user+sys)", lambda n: sec(med(n, "build_tmpfs", "cpu")))]
rows += [
    ("output site/", lambda n: f"{int(med(n, 'build', 'site_files')):,} files, {mb(med(n, 'build', 'site_bytes'))}"),
    ("output zip", lambda n: mb(med(n, "build", "zip_bytes"))),
    ("`dataroom check`: wall", lambda n: wall(n, "check")),
    ("  max RSS", lambda n: mib(hi(n, "check", "rss_kb"))),
    ("`dataroom verify` of the zip: wall", lambda n: wall(n, "verify")),
    ("  max RSS", lambda n: mib(hi(n, "verify", "rss_kb"))),
    ("`dataroom restore` of the zip: wall", lambda n: wall(n, "restore")),
    ("  max RSS", lambda n: mib(hi(n, "restore", "rss_kb"))),
    ("`hugo --quiet`, output on disk: wall", lambda n: wall(n, "hugo")),
    ("  CPU time (user+sys)", lambda n: sec(med(n, "hugo", "cpu"))),
    ("  max RSS", lambda n: mib(hi(n, "hugo", "rss_kb"))),
]
if tmpfs:
    rows += [("`hugo --quiet`, output on tmpfs: wall", lambda n: wall(n, "hugo_tmpfs"))]
rows += [
    ("hugo public/", lambda n: "–" if med(n, 'hugo', 'site_files') is None else
     f"{int(med(n, 'hugo', 'site_files')):,} files, {mb(med(n, 'hugo', 'site_bytes'))}"),
    ("input: clients/*.yaml (Hugo: content/*.md)",
     lambda n: f"{mb(med(n, 'input', 'room_bytes'))} ({mb(med(n, 'input', 'hugo_bytes'))})"),
    ("other processes' CPU load during the runs (cores, median)",
     lambda n: f"{statistics.median(v for k, vs in data.items() if k[0] == n and k[2] == 'other_load' for v in vs):.2f}"),
]
for label, f in rows:
    print(f"| {label} | " + " | ".join(f(n) for n in sizes) + " |")

for a, b in zip(sizes, sizes[1:]):
    print(f"\nScaling {a:,} → {b:,} clients (×{b / a:g} records); medians:\n")
    print(f"| | {a:,} | {b:,} | ratio | per 1,000 clients beyond {a:,} |")
    print("|---|---:|---:|---:|---:|")
    series = [("build wall (disk)", "build", "wall")]
    series += [(f"  {st} (disk)", "build", "stage:" + st) for st in stages]
    if tmpfs:
        series += [("build wall (tmpfs)", "build_tmpfs", "wall")]
        series += [(f"  {st} (tmpfs)", "build_tmpfs", "stage:" + st) for st in stages]
    series += [("check wall", "check", "wall"), ("hugo wall (disk)", "hugo", "wall")]
    if tmpfs:
        series += [("hugo wall (tmpfs)", "hugo_tmpfs", "wall")]
    # CPU time does not grow when other processes compete for the cores.
    series += [("build CPU time (disk)", "build", "cpu")]
    if tmpfs:
        series += [("build CPU time (tmpfs)", "build_tmpfs", "cpu")]
    series += [("check CPU time", "check", "cpu"), ("hugo CPU time (disk)", "hugo", "cpu")]
    if tmpfs:
        series += [("hugo CPU time (tmpfs)", "hugo_tmpfs", "cpu")]
    series += [("build max RSS (MiB)", "build", "rss_kb"), ("check max RSS (MiB)", "check", "rss_kb"),
               ("verify max RSS (MiB)", "verify", "rss_kb"), ("restore max RSS (MiB)", "restore", "rss_kb")]
    for label, tool, metric in series:
        x, y = med(a, tool, metric), med(b, tool, metric)
        if x is not None and y is not None and x > 0:
            if metric == "rss_kb":
                print(f"| {label} | {x / 1024:.0f} | {y / 1024:.0f} | ×{y / x:.1f} | {(y - x) / 1024 / (b - a) * 1000:.1f} MiB |")
            else:
                print(f"| {label} | {sec(x)} | {sec(y)} | ×{y / x:.1f} | {(y - x) / (b - a) * 1000:.3f} s |")

for n in sizes:
    base = med(n, probe_base, "stage:" + SEAL_STAGE)
    slow = med(n, "kdf10x", "stage:" + SEAL_STAGE)
    if base is not None and slow is not None:
        where = "tmpfs" if probe_base == "build_tmpfs" else "disk"
        print(f"\nPBKDF2 probe ({n:,} clients, output on {where}): {SEAL_STAGE} {base:.3f} s with 600,000 iterations, "
              f"{slow:.3f} s with 6,000,000 → 600,000 iterations cost ≈ {(slow - base) / 9:.3f} s")
PY
