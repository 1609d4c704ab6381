#!/usr/bin/env bash
# The cost of recording a tape (issue 12: at most 5% on a workload with 200,000 clock reads),
# on two workloads run by the release bolinho with --nondeterministic and --results:
#   clock_reads  bench/clock_reads.wat, 200,000 clock_time_get calls and nothing else: the worst
#                case, where every step of the guest is a recorded host call;
#   stamp        bench/stamp.wasm (bench/stamp.c) prefixing each of 200,000 lines of a mounted
#                file with the time since it started: one clock read per line, as a log
#                stamper does.
# Each is run recording (the default) and with --no-record, interleaved, then replayed by
# verify. Prints the median wall time and the median CPU time (less sensitive to a busy
# machine) of each over RUNS runs; where valgrind is installed, also the instructions of
# one run of each under callgrind. Under valgrind sha2 cannot use the SHA extensions, so the
# recorded run's count includes a software sha256 of its tape (about 52 instructions a byte).
# Run by hand: bench/tape.sh [RUNS]; results go in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-21}"
cargo build --release --locked >&2
bolinho="$PWD/target/release/bolinho"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/data"
python3 - "$scratch/data/lines.txt" <<'PY'
import random, sys
rng = random.Random(7)
alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789,.;"
with open(sys.argv[1], "w") as f:
    for _ in range(200_000):
        f.write("".join(rng.choice(alphabet) for _ in range(rng.randrange(100))) + "\n")
PY

# workload NAME ARGS...: the run's arguments after `run --nondeterministic --results DIR`.
workload() {
    case "$1" in
        clock_reads) echo "$PWD/bench/clock_reads.wat" ;;
        stamp) echo "--dir $scratch/data::/data $PWD/bench/stamp.wasm -- /data/lines.txt" ;;
    esac
}

# timed VAR COMMAND...: runs COMMAND, appending "wall cpu" in microseconds to the array VAR
# (CPU time from `perf stat`'s task-clock where perf is installed, else from getrusage's 10 ms
# ticks through /usr/bin/time).
timed() {
    local var="$1"
    shift
    local start end cpu
    start=$(date +%s%N)
    if command -v perf >/dev/null; then
        perf stat -x, -e task-clock -o "$scratch/stat" "$@" >/dev/null 2>&1
        cpu=$(awk -F, '/task-clock/ {printf "%d", $1 * 1000}' "$scratch/stat")
    else
        /usr/bin/time -o "$scratch/stat" -f '%U %S' "$@" >/dev/null 2>&1
        cpu=$(awk '{printf "%d", ($1 + $2) * 1e6}' "$scratch/stat")
    fi
    end=$(date +%s%N)
    eval "$var+=(\"$(( (end - start) / 1000 )) $cpu\")"
}

median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f ms", a[int((NR+1)/2)]/1e3}'; }

for name in clock_reads stamp; do
    # shellcheck disable=SC2207
    args=($(workload "$name"))
    rec=() plain=() replay=()
    for n in $(seq "$runs"); do
        timed rec "$bolinho" run --nondeterministic --results "$scratch/$name.rec.$n" "${args[@]}"
        timed plain "$bolinho" run --nondeterministic --no-record --results "$scratch/$name.plain.$n" "${args[@]}"
        timed replay "$bolinho" verify "$scratch/$name.rec.$n/receipt.json"
    done
    "$bolinho" verify "$scratch/$name.rec.1/receipt.json" | grep -q '^ok  tape' ||
        { echo "$name: the replay did not verify" >&2; exit 1; }
    echo "$name: tape $(stat -c %s "$scratch/$name.rec.1/tape") bytes, $runs runs each"
    for variant in rec plain replay; do
        declare -n times="$variant"
        printf '  %-7s wall %s, cpu %s\n' "$variant" \
            "$(printf '%s\n' "${times[@]}" | cut -d' ' -f1 | median)" \
            "$(printf '%s\n' "${times[@]}" | cut -d' ' -f2 | median)"
        unset -n times
    done
    if command -v valgrind >/dev/null; then
        instructions() {
            valgrind --tool=callgrind --callgrind-out-file="$scratch/cg.out" "$@" >/dev/null 2>"$scratch/cg.err"
            grep -o 'Collected : [0-9]*' "$scratch/cg.err" | grep -o '[0-9]*'
        }
        r=$(instructions "$bolinho" run --nondeterministic --results "$scratch/$name.cg.rec" "${args[@]}")
        p=$(instructions "$bolinho" run --nondeterministic --no-record --results "$scratch/$name.cg.plain" "${args[@]}")
        echo "  instructions: record $r, no-record $p ($(awk -v a="$r" -v b="$p" 'BEGIN {printf "%+.2f%%", (a/b-1)*100}'))"
    fi
done
