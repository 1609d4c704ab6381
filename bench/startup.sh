#!/usr/bin/env bash
# Start-up cost of a small job: wall time (median of N runs) and peak memory (max RSS) of the
# static release binary, as scripts/build-static.sh makes it, running testdata/wasm/hello.wasm
# and the examples/wordfreq job. A binary's resident pages depend on how its file came into the
# page cache (bench/RESULTS.md): where the kernel lets it, the caches are dropped first, so the
# binary is read in by exec, as a deployed one is.
# Run by hand: bench/startup.sh [RUNS]; results go in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-50}"
target="$(uname -m)-unknown-linux-musl"
scripts/build-static.sh "$(uname -m)" >&2
bin="$PWD/dist/bolinho-$(uname -m)-linux-musl"
sync
echo 3 2> /dev/null > /proc/sys/vm/drop_caches || echo "startup.sh: page cache not dropped" >&2
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# measure COMMAND...: prints the median wall time and the peak RSS of COMMAND.
measure() {
    python3 - "$runs" "$@" <<'PY'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    subprocess.run(["rm", "-rf", "results"])
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - start)
times.sort()
print(f"median {times[len(times) // 2] * 1000:.2f} ms, min {times[0] * 1000:.2f} ms, ", end="")
PY
    rm -rf results
    # Peak RSS from GNU time: Python's own rusage would count its pre-exec fork.
    /usr/bin/time -f "peak RSS %M KiB" "$@" > /dev/null 2> rss.txt || true
    tail -n 1 rss.txt
}

cd "$scratch"
echo "binary: $(du -h "$bin" | cut -f1) ($target)"
echo -n "hello.wasm (module run): "
measure "$bin" run "$OLDPWD/testdata/wasm/hello.wasm"
echo -n "examples/wordfreq (job with import module, input, output): "
measure "$bin" run "$OLDPWD/examples/wordfreq/job.yaml" --results results
