#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time each, one after the other, and prints one
# summary line per target (docs/FUZZING.md). Not part of ./test.sh or CI: it needs nightly and
# takes SECONDS per target (default 60) after a first build of several minutes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Each target's corpus grows in fuzz/work/<target>/ (git-ignored), starting from the committed
# seeds in fuzz/corpus/<target>/; crashing inputs land in fuzz/artifacts/<target>/, and the
# fuzzer's output in fuzz/work/<target>.log. Installs cargo-fuzz if it is missing. Exits 1 if
# any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs a nightly toolchain: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

# The tar target expands every input into a fresh directory: on a disk that costs milliseconds
# an input, on tmpfs microseconds.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi

echo "fuzz.sh: building ${#targets[@]} targets"
(cd fuzz && cargo +nightly fuzz build)

# The crashing inputs (and leaks, timeouts, out-of-memory inputs) kept for a target so far.
artifacts() {
    find "fuzz/artifacts/$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) | wc -l
}

crashed=0
for target in "${targets[@]}"; do
    work=fuzz/work/$target
    log=fuzz/work/$target.log
    mkdir -p "$work" "fuzz/artifacts/$target"
    before=$(artifacts "$target")
    # libFuzzer writes new inputs to the first corpus directory and only reads the others.
    status=0
    (cd fuzz && cargo +nightly fuzz run "$target" "work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    found=$(($(artifacts "$target") - before))
    result=ok
    if [ "$status" -ne 0 ]; then
        result="FAILED (exit $status; see $log)"
        crashed=1
    fi
    printf 'fuzz.sh: %-14s %5ss  runs %-10s cov %-6s crashes %s  %s\n' \
        "$target" "$seconds" "${runs:-?}" "${cov:-?}" "$found" "$result"
done
exit "$crashed"
