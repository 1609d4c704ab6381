#!/usr/bin/env bash
# Runs the official WebAssembly wasi-testsuite (its WASI preview1 tests) against bolinho, the way
# the suite's own runner (test-runner/ with adapters/wasmtime.py) drives wasmtime.
#
# Usage: scripts/wasi-testsuite.sh [SUITE_DIR [TEST...]]
#
#   SUITE_DIR  a copy of the suite's `prod/testsuite-base` branch (it holds the prebuilt tests), or
#              any directory under it; default: $WASI_TESTSUITE. With neither, the script says how
#              to get a copy and exits 0 ("skipped: no copy of the suite"), so CI without one passes.
#   TEST...    run only these tests, by name (e.g. `path_rename stdio`).
#
# Get a copy (outside this repository; its files are not ours to commit):
#   git clone --depth 1 --branch prod/testsuite-base \
#       https://github.com/WebAssembly/wasi-testsuite /tmp/wasi-testsuite
#
# What it does: builds bolinho (`cargo build --release --locked`), then for every test in each
# suite directory whose manifest says wasm32-wasip1 (other WASI versions are listed as not run),
# runs, from the test's directory,
#   bolinho run [--env K=V]... [--dir ROOT::/] NAME.wasm -- ARGS...
# (copies of the suite from before its June 2026 `root` layout list `dirs` instead, each mounted
# as `--dir D::D`, as that version of the runner did)
# and checks the exit code and, where the test's JSON gives them, stdout and stderr. The checks
# follow the suite's runner exactly, including its leniency: a stream check reads only as many
# characters as expected, so extra output after them passes. One difference: the runner runs
# each test in the suite's own ROOT directory (removing `*.cleanup` files, the tests' scratch
# names, before and after); this script runs each test in a fresh copy of ROOT, so the suite copy
# is never written to and no test sees another's leftovers.
#
# Output: one line per test, `PASS name` or `FAIL name: <what differed>`, then exactly
# `N passed, M failed`. Exit status: 0 if none failed, 1 if any did, 2 on a usage error.
#
# Environment:
#   WASI_TESTSUITE            the suite directory when SUITE_DIR is not given
#   WASI_TESTSUITE_TIMEOUT    seconds per test (default 5, the suite runner's default)
#   WASI_TESTSUITE_VERBOSE=1  print each failing test's command line, stdout and stderr
#   CARGO_TARGET_DIR          honoured when looking for the built binary
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

suite=${1:-${WASI_TESTSUITE:-}}
if [[ -z $suite ]]; then
    cat <<'EOF'
No copy of the WebAssembly wasi-testsuite was given (argument SUITE_DIR or $WASI_TESTSUITE).
Get one, outside this repository, and pass its path:
  git clone --depth 1 --branch prod/testsuite-base \
      https://github.com/WebAssembly/wasi-testsuite /tmp/wasi-testsuite
  scripts/wasi-testsuite.sh /tmp/wasi-testsuite
skipped: no copy of the suite
EOF
    exit 0
fi
if [[ ! -d $suite ]]; then
    echo "wasi-testsuite.sh: error: suite directory not found: $suite" >&2
    exit 2
fi
suite=$(cd "$suite" && pwd)
shift $(($# > 0 ? 1 : 0))

cd "$repo"
cargo build --release --locked >&2
target=${CARGO_TARGET_DIR:-target}
bolinho=$(cd "$target/release" && pwd)/bolinho

exec python3 "$repo/scripts/wasi_testsuite.py" "$bolinho" "$suite" "$@"
