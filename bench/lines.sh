#!/usr/bin/env bash
# One fd_write per line of a 50 MB text file: bench/lines.wasm (built from bench/lines.c) run by
# the release bolinho and by the wasmi CLI (the same interpreter with wasmi_wasi), stdout to a
# file in a scratch directory. Prints the median wall time of each over RUNS runs, and checks
# that both copied the file byte for byte.
# Run by hand: bench/lines.sh [RUNS] [MB]; results go in bench/RESULTS.md.
#
# Needs the wasmi CLI 2.0.0 at $WASMI (default /tmp/wasmi-cli/bin/wasmi):
#   cargo install wasmi_cli --locked --version 2.0.0 --root /tmp/wasmi-cli
# Rebuild the guest after editing lines.c with testdata/build.sh (which builds every C guest).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
mb="${2:-50}"
wasmi="${WASMI:-/tmp/wasmi-cli/bin/wasmi}"
cargo build --release --locked >&2
bolinho="$PWD/target/release/bolinho"
guest="$PWD/bench/lines.wasm"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Lines of 0 to 99 printable characters (about 50 on average), the same file on every run.
python3 - "$scratch/data.txt" "$mb" <<'PY'
import random, sys
rng = random.Random(7)
alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789,.;"
target = int(sys.argv[2]) * 1000 * 1000
with open(sys.argv[1], "w") as f:
    size = 0
    while size < target:
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(100))) + "\n"
        f.write(line)
        size += len(line)
PY
echo "input: $(du -h "$scratch/data.txt" | cut -f1), $(wc -l < "$scratch/data.txt") lines"

# measure NAME COMMAND...: median and minimum wall time of COMMAND over $runs runs, stdout to
# $scratch/out.NAME, which must equal the input.
measure() {
    local name="$1"
    shift
    python3 - "$runs" "$scratch/out.$name" "$@" <<'PY'
import subprocess, sys, time
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times = []
for _ in range(runs):
    with open(out, "wb") as f:
        start = time.perf_counter()
        subprocess.run(cmd, stdout=f, check=True)
        times.append(time.perf_counter() - start)
times.sort()
print(f"median {times[len(times) // 2]:.3f} s, min {times[0]:.3f} s")
PY
    cmp "$scratch/data.txt" "$scratch/out.$name"
}

echo -n "bolinho run:   "
measure bolinho "$bolinho" run "$guest" --dir "$scratch::/data" -- /data/data.txt
echo -n "wasmi CLI:     "
measure wasmi "$wasmi" --dir "$scratch" "$guest" "$scratch/data.txt"
