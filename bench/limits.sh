#!/usr/bin/env bash
# What bolinho's limits and determinism cost on compute: bench/compute.wasm (built from
# bench/compute.c) run by the release bolinho with no flags (deterministic; every run meters
# fuel since the signal handling landed), with
# --nondeterministic, with fuel metering (--fuel at its maximum, never reached), with a
# timeout that never fires (--timeout 3600: fuel metering plus slices of run::SLICE fuel
# through wasmi's resumable calls) and with both. The configurations are interleaved run by
# run, each run starting at the next one in turn, so drift on a shared machine hits all alike.
# Prints the median and minimum wall time of each over RUNS runs, the median CPU time (user +
# system, which other work on the machine disturbs less), and their overhead against no
# flags; checks that every run printed the same checksum, and reports the fuel used (from
# the receipt of one job run of the same module, which is not timed).
# Run by hand: bench/limits.sh [RUNS] [SCALE]; results go in bench/RESULTS.md. SCALE is
# compute.c's number of rounds, about 0.5 s each on the project's build box.
# Rebuild the guest after editing compute.c with testdata/build.sh (which builds every C guest).
#
# The unmetered reference is the wasmi CLI 2.0.0 (the same interpreter, wasmi_wasi, no fuel
# unless --fuel), run when present at $WASMI (default /tmp/wasmi-cli/bin/wasmi):
#   cargo install wasmi_cli --locked --version 2.0.0 --root /tmp/wasmi-cli
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
scale="${2:-5}"
cargo build --release --locked >&2
bolinho="$PWD/target/release/bolinho"
guest="$PWD/bench/compute.wasm"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
max_fuel=18446744073709551615

# The fuel used: one job run with metering, its receipt's fuelUsed; its stdout, the checksum,
# must be what every timed run prints.
mkdir "$scratch/app"
cp "$guest" "$scratch/app/"
cat > "$scratch/job.yaml" <<EOF
Name: compute
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/compute.wasm
        Parameters: ["$scale"]
    InputSources:
      - Target: /app
        Source: {Type: local, Params: {SourcePath: ./app}}
EOF
"$bolinho" run --fuel "$max_fuel" --results "$scratch/results" "$scratch/job.yaml" > /dev/null 2>&1
python3 - "$scratch/results/receipt.json" <<'PY'
import json, sys
print(f"job run with --fuel: fuelUsed {json.load(open(sys.argv[1]))['fuelUsed']:,}")
PY
expected="$(cat "$scratch/results/stdout")"

cd "$scratch"
wasmi="${WASMI:-/tmp/wasmi-cli/bin/wasmi}"
python3 - "$runs" "$bolinho" "$guest" "$scale" "$max_fuel" "$expected" "$wasmi" <<'PY'
import os, statistics, subprocess, sys, time
runs, bolinho, guest, scale, max_fuel, expected, wasmi = int(sys.argv[1]), *sys.argv[2:]
configs = [
    ("no flags", [bolinho, "run"]),
    ("--nondeterministic", [bolinho, "run", "--nondeterministic"]),
    ("--fuel MAX", [bolinho, "run", "--fuel", max_fuel]),
    ("--timeout 3600", [bolinho, "run", "--timeout", "3600"]),
    ("--fuel MAX --timeout 3600", [bolinho, "run", "--fuel", max_fuel, "--timeout", "3600"]),
]
if os.access(wasmi, os.X_OK):
    configs += [
        ("wasmi CLI (no fuel)", [wasmi]),
        ("wasmi CLI --fuel MAX", [wasmi, "--fuel", max_fuel]),
    ]

# run COMMAND: the wall time, the CPU time (user + system, which other processes on the
# machine disturb less) and the stdout of one run of the guest under COMMAND.
def run(command):
    cmd = [*command, guest, "--", scale] if command[0] == bolinho else [*command, guest, scale]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)}: exit code {os.waitstatus_to_exitcode(status)}")
    # The checksum is the first line (the wasmi CLI adds one with --fuel).
    return wall, usage.ru_utime + usage.ru_stime, out.decode().partition("\n")[0]

run(configs[0][1])  # warm-up: page cache, CPU frequency
wall = {name: [] for name, _ in configs}
cpu = {name: [] for name, _ in configs}
checksums = {expected.strip()}
for i in range(runs):
    for k in range(len(configs)):
        name, flags = configs[(i + k) % len(configs)]
        seconds, cpu_seconds, checksum = run(flags)
        wall[name].append(seconds)
        cpu[name].append(cpu_seconds)
        checksums.add(checksum)
if len(checksums) != 1:
    sys.exit(f"the configurations disagree: {sorted(checksums)}")
print(f"the job and all {runs * len(configs)} runs printed: {checksums.pop()}")

def overhead(times, base, stat):
    return (stat(times) / stat(base) - 1) * 100

med = statistics.median
print(f"{'':<27} {'wall time':^37} {'CPU time':^19}")
print(f"{'configuration':<27} {'median':>8} {'min':>8} {'vs none':>9} {'(min)':>9} "
      f"{'median':>8} {'vs none':>9}")
for name, _ in configs:
    print(f"{name:<27} {med(wall[name]):>7.3f}s {min(wall[name]):>7.3f}s "
          f"{overhead(wall[name], wall['no flags'], med):>+8.1f}% "
          f"{overhead(wall[name], wall['no flags'], min):>+8.1f}% "
          f"{med(cpu[name]):>7.3f}s {overhead(cpu[name], cpu['no flags'], med):>+8.1f}%")
det, nondet = "no flags", "--nondeterministic"
print(f"deterministic (no flags) vs --nondeterministic: "
      f"{overhead(wall[det], wall[nondet], med):+.1f}% (median wall), "
      f"{overhead(wall[det], wall[nondet], min):+.1f}% (min wall), "
      f"{overhead(cpu[det], cpu[nondet], med):+.1f}% (median CPU)")
PY
