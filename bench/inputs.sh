#!/usr/bin/env bash
# How fast a job's inputs are hashed for its receipt (issue 13: >= 1 GB/s of content on the
# project's machine): 10,000 files of 100,000 bytes (1 GB of random bytes, made once in a
# scratch directory and read once before timing, so the page cache holds them) given to
# testdata/wasm/hello.wasm as a read-only input, against the same run with an empty input.
# The difference of the medians is the hashing; peak RSS shows no file is held whole.
# Run by hand: bench/inputs.sh [RUNS]; results go in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
cargo build --release --locked >&2
bolinho="$PWD/target/release/bolinho"
hello="$PWD/testdata/wasm/hello.wasm"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

python3 - "$scratch" <<'PY'
import os, sys
root = sys.argv[1]
os.mkdir(f"{root}/many")
os.mkdir(f"{root}/empty")
for i in range(10_000):
    with open(f"{root}/many/f{i:05}", "wb") as f:
        f.write(os.urandom(100_000))
PY
cat "$scratch"/many/* > /dev/null

python3 - "$runs" "$bolinho" "$hello" "$scratch" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
runs, bolinho, hello, scratch = int(sys.argv[1]), *sys.argv[2:]
results = f"{scratch}/results"

def run(source):
    shutil.rmtree(results, ignore_errors=True)
    cmd = [bolinho, "run", hello, "-i", f"file://{scratch}/{source}:/inputs", "--results", results]
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start

times = {"many": [], "empty": []}
for _ in range(runs):
    for source in times:
        times[source].append(run(source))
many, empty = (statistics.median(times[s]) for s in ("many", "empty"))
run("many")
with open(f"{results}/receipt.json") as f:
    hashed = sum(1 for k in json.load(f)["inputs"] if k.startswith("/inputs/"))
assert hashed == 10_000, hashed
content = 10_000 * 100_000
print(f"10,000 files, {content:,} bytes: median {many * 1000:.1f} ms, empty input "
      f"{empty * 1000:.1f} ms; hashing {content / (many - empty) / 1e9:.2f} GB/s "
      f"({runs} runs each, interleaved)")
PY
cd "$scratch"
/usr/bin/time -f "peak RSS %M KiB" "$bolinho" run "$hello" -i "file://$scratch/many:/inputs" \
    --results "$scratch/rss" > /dev/null 2> rss.txt
tail -n 1 rss.txt
