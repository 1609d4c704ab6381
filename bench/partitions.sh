#!/usr/bin/env bash
# Throughput of a job's partitions run together (issue 14): the demo job (examples/wordfreq)
# made a job of PARTITIONS partitions (default 64), run by one bolinho with its default
# --parallel (one per core), against PARTITIONS `bolinho run --partition I` processes one after
# another, as a shell loop without bolinho's partitions would run them. Both do the same work:
# every partition's guest, results and receipt.
#
# Also the memory bound: the peak RSS of one bolinho running the partitions of a job whose
# guest fills MEMORY_MIB of memory (default 64, the job's memory limit) at --parallel 1 and
# --parallel 2, which must stay within K x the limit plus the constant of one bolinho.
#
# Interleaved rounds (default 5), medians. Run by hand: bench/partitions.sh [ROUNDS];
# record the output in bench/RESULTS.md. Uses the static release binary users are given.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-5}"
partitions="${PARTITIONS:-64}"
memory_mib="${MEMORY_MIB:-64}"
cd "$root"
scripts/build-static.sh --with-wat "$(uname -m)" >&2
bolinho="$root/dist/bolinho-$(uname -m)-linux-musl-wat"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The demo job with Count: PARTITIONS and its sources where they are.
example="$root/examples/wordfreq"
sed -e "s/^Count: 1$/Count: $partitions/" -e "s|SourcePath: ./|SourcePath: $example/|" \
    "$example/job.yaml" > "$scratch/job.yaml"
grep -q "^Count: $partitions$" "$scratch/job.yaml"

# Each fails the benchmark if any run fails.
together() {
    "$bolinho" run "$scratch/job.yaml" --quiet-portability --results "$scratch/together" \
        > /dev/null 2>&1 || return 1
    [ "$(cat "$scratch/together/exitCode")" = 0 ] || return 1
    rm -rf "$scratch/together"
}

one_by_one() {
    mkdir "$scratch/one"
    for ((i = 0; i < partitions; i++)); do
        "$bolinho" run "$scratch/job.yaml" --quiet-portability --partition "$i" \
            --results "$scratch/one/$i" > /dev/null 2>&1 || return 1
    done
    rm -rf "$scratch/one"
}

# Both must give each partition the same results.
"$bolinho" run "$scratch/job.yaml" --quiet-portability --results "$scratch/check" > /dev/null 2>&1
for i in 0 $((partitions - 1)); do
    "$bolinho" run "$scratch/job.yaml" --quiet-portability --partition "$i" \
        --results "$scratch/check-$i" > /dev/null 2>&1
    cmp "$scratch/check/partitions/$i/outputs/report.txt" "$scratch/check-$i/outputs/report.txt"
    cmp "$scratch/check/partitions/$i/receipt.json" "$scratch/check-$i/receipt.json" ||
        diff <(grep -v '"build"' "$scratch/check/partitions/$i/receipt.json") \
            <(grep -v '"build"' "$scratch/check-$i/receipt.json")
done

export -f together one_by_one
export bolinho scratch partitions
python3 - "$rounds" "$partitions" <<'PY'
import statistics, subprocess, sys, time
rounds, partitions = int(sys.argv[1]), int(sys.argv[2])
times = {"together": [], "one_by_one": []}
for r in range(rounds):
    order = ["together", "one_by_one"] if r % 2 == 0 else ["one_by_one", "together"]
    for name in order:
        start = time.perf_counter()
        subprocess.run(["bash", "-c", name], check=True)
        times[name].append(time.perf_counter() - start)
t = statistics.median(times["together"])
o = statistics.median(times["one_by_one"])
print(f"| {partitions} partitions of the demo job | one bolinho | {partitions} processes | speed-up |")
print("| --- | --- | --- | --- |")
print(f"| median of {rounds} | {t * 1000:.0f} ms | {o * 1000:.0f} ms | {o / t:.2f}x |")
PY

# The memory bound: a job whose guest grows its memory to the limit and touches every page.
cat > "$scratch/fill.wat" <<WAT
(module
  (memory 1)
  (func (export "_start")
    (local \$page i32)
    (drop (memory.grow (i32.const $((memory_mib * 16 - 1)))))
    (loop \$touch
      (i32.store (i32.mul (local.get \$page) (i32.const 65536)) (i32.const 1))
      (local.set \$page (i32.add (local.get \$page) (i32.const 1)))
      (br_if \$touch (i32.lt_u (local.get \$page) (i32.const $((memory_mib * 16))))))))
WAT
cat > "$scratch/fill.yaml" <<YAML
Name: fill
Count: 8
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /fill.wat, Entrypoint: _start}}
    Network: {Type: None}
    Resources: {Memory: ${memory_mib}Mi}
    InputSources:
      - Target: /fill.wat
        Source: {Type: localDirectory, Params: {SourcePath: $scratch/fill.wat}}
YAML
echo
echo "| 8 partitions filling ${memory_mib} MiB each | peak RSS | K x limit |"
echo "| --- | --- | --- |"
for k in 1 2; do
    rm -rf "$scratch/fill-out"
    /usr/bin/time -f "%M" -o "$scratch/rss" "$bolinho" run "$scratch/fill.yaml" \
        --quiet-portability --parallel "$k" --results "$scratch/fill-out" > /dev/null 2>&1
    [ "$(cat "$scratch/fill-out/exitCode")" = 0 ]
    echo "| --parallel $k | $(( $(cat "$scratch/rss") / 1024 )) MiB | $((k * memory_mib)) MiB |"
done
