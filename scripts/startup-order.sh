#!/usr/bin/env bash
# Regenerates scripts/startup-functions-x86_64.txt, the order in which the static x86_64
# release places its functions (scripts/build-static.sh links it with lld's
# --symbol-ordering-file): every function a module run (testdata/wasm/hello.wasm) and a job run
# (the demo job, examples/wordfreq) execute, in the order they first run, goes first, together;
# of them, wasmi's instruction handlers go last, in the order of their names (see below).
# The kernel maps a binary's code in around each page a run touches (fault-around, 64 KiB at a
# time), so code a run needs spread over the whole binary makes it resident nearly whole:
# together, a run maps less of it (docs/RATIONALE.md, "Binary size"; bench/RESULTS.md).
#
# Names the file lists that a later build no longer has are passed over, so a stale list costs
# memory, never correctness; run this again after changes that move start-up code (new
# dependencies, a new Rust) and commit the file. Run by hand; needs valgrind and what
# build-static.sh needs for x86_64.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v valgrind > /dev/null || { echo "startup-order.sh: needs valgrind" >&2; exit 1; }
# The release with its symbols kept, so that callgrind names what runs by the very names the
# release's link looks for (they depend on the build's flags).
scripts/build-static.sh --symbols x86_64 >&2
bin="$root/dist/bolinho-x86_64-linux-musl-symbols"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$scratch/module.cg" \
    "$bin" run testdata/wasm/hello.wasm > /dev/null 2> "$scratch/module.log"
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$scratch/job.cg" \
    "$bin" run examples/wordfreq/job.yaml --results "$scratch/results" \
    > /dev/null 2> "$scratch/job.log"
python3 - "$scratch/module.cg" "$scratch/job.cg" > scripts/startup-functions-x86_64.txt <<'PY'
import re, sys
seen, names = set(), []
for path in sys.argv[1:]:
    for line in open(path):
        # A function's first mention in a callgrind file: `fn=(id) name` or `cfn=(id) name`.
        m = re.match(r"c?fn=\(\d+\) (.+)$", line.rstrip("\n"))
        # Addresses stand for code without a symbol: nothing to order by.
        if m and not m.group(1).startswith("0x") and m.group(1) not in seen:
            seen.add(m.group(1))
            names.append(m.group(1))
# wasmi's instruction handlers jump to one another, so where they lie decides how fast a
# guest computes: in the order two runs happened to first use them, sha256 ran 14% slower
# than with the handlers apart. They go last, in the order of their names, which no recorded
# run decides.
handler = "executor7handler4exec"
print("\n".join([n for n in names if handler not in n] + sorted(n for n in names if handler in n)))
PY
echo "scripts/startup-functions-x86_64.txt: $(wc -l < scripts/startup-functions-x86_64.txt) functions"
