#!/usr/bin/env bash
# Peak RSS of a guest with 1 GiB of linear memory (issue 13: at most 1 GiB + 10 MiB):
# bench/memory.wat grown in steps and touched page by page, run by the release bolinho (as a
# module run, and as a job with results, which hashes and writes a receipt) and, when present
# at $WASMI (default /tmp/wasmi-cli/bin/wasmi), by the wasmi CLI 2.0.0 for reference.
# Run by hand: bench/memory.sh; results go in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked >&2
bolinho="$PWD/target/release/bolinho"
guest="$PWD/bench/memory.wat"
wasmi="${WASMI:-/tmp/wasmi-cli/bin/wasmi}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# peak LABEL COMMAND...: the peak RSS of COMMAND, and how far above 1 GiB it is.
peak() {
    local label="$1"
    shift
    if ! /usr/bin/time -f "%M" "$@" > /dev/null 2> "$scratch/rss.txt"; then
        echo "$label failed:" >&2
        cat "$scratch/rss.txt" >&2
        exit 1
    fi
    python3 - "$label" "$(tail -n 1 "$scratch/rss.txt")" <<'PY'
import sys
label, kib = sys.argv[1], int(sys.argv[2])
print(f"{label}: peak RSS {kib:,} KiB, 1 GiB + {(kib - 1024 * 1024) / 1024:.1f} MiB")
PY
}

peak "bolinho, module run" "$bolinho" run "$guest"
peak "bolinho, with results" "$bolinho" run "$guest" --results "$scratch/results"
if [ -x "$wasmi" ]; then
    peak "wasmi CLI" "$wasmi" "$guest"
fi
