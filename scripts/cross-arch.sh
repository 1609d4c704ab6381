#!/usr/bin/env bash
# Cross-architecture replay (issue 5): the same guest-visible content must give byte-identical
# stdout, stderr, exit code, outputs and receipt on another CPU architecture. Builds the static
# x86_64 and aarch64 binaries as releases are built (scripts/build-static.sh, with WebAssembly
# text, since some jobs below are .wat), runs each job below with both (the aarch64 one under qemu
# user-mode emulation), each into its own results directory, and compares the two results
# trees byte for byte (receipt.json as JSON, all but its `build`, which names the binary), and
# bolinho's exit codes (a job of several partitions: all their results, and the summary); then
# each build runs `bolinho verify` on the other's receipt (or job directory), bundles its
# own run (`bolinho bundle`; the two bundles must hold the same, compared as the results are)
# and replays the other's bundle from an empty directory. Last,
# a job run and bundled by one build, its module, inputs and results then deleted, is replayed
# by the other build from its bundle alone, both ways, and so are a --nondeterministic job and
# a network run, replayed from their tapes. Prints one line a job, `same  JOB` or
# `DIFF  JOB` and what differs, and exits 1 on any difference (keeping the results for a
# look). The aarch64 timings are the emulator's, for information only.
# Run by hand (not by CI), on an x86_64 Linux host: scripts/cross-arch.sh; results go in
# bench/RESULTS.md.
#
# Needs qemu's user-mode emulator and what scripts/build-static.sh needs; on Debian 12:
#   apt-get install -y qemu-user musl-tools gcc-aarch64-linux-gnu
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -m)" != x86_64 ]; then
    echo "cross-arch.sh: runs on an x86_64 host (this is $(uname -m))" >&2
    exit 2
fi
scripts/build-static.sh --with-wat x86_64 aarch64 >&2
x86_64=("$PWD/dist/bolinho-x86_64-linux-musl-wat")
aarch64=(qemu-aarch64 "$PWD/dist/bolinho-aarch64-linux-musl-wat")
echo "x86_64:  $(file -b "${x86_64[0]}" | cut -d, -f1-2); $("${x86_64[@]}" --version)"
echo "aarch64: $(file -b "${aarch64[1]}" | cut -d, -f1-2); $("${aarch64[@]}" --version)," \
    "$(qemu-aarch64 --version | head -1)"

scratch="$(mktemp -d)"
mkdir "$scratch/x86_64" "$scratch/aarch64" "$scratch/jobs"
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$scratch"' EXIT

# Prints how two trees (results, or unpacked bundles) differ: every file byte for byte, but a
# receipt.json, compared as JSON without its `build`, which names the binary that ran it (its
# target differs by architecture; README "Receipts and verify").
same_tree() {
    python3 - "$1" "$2" <<'PY'
import filecmp, json, os, sys

def files(root):
    return {os.path.relpath(os.path.join(d, f), root) for d, _, names in os.walk(root) for f in names}

a, b = sys.argv[1:]
fa, fb = files(a), files(b)
for name in sorted(fa ^ fb):
    print(f"only in {a if name in fa else b}: {name}")
for name in sorted(fa & fb):
    pa, pb = os.path.join(a, name), os.path.join(b, name)
    if os.path.basename(name) == "receipt.json":
        ra, rb = (json.load(open(p)) for p in (pa, pb))
        if "build" not in ra or "build" not in rb:
            print(f"{name}: no build recorded")
        ra.pop("build", None)
        rb.pop("build", None)
        if ra != rb:
            print(f"{name} differs beyond its build")
    elif not filecmp.cmp(pa, pb, shallow=False):
        print(f"{name} differs")
PY
}

# The probe (testdata/c/probe.c) over a small input tree, as tests/integration/probe.rs runs it:
# it prints everything a program can observe (clocks, random bytes, listings, inodes, stats).
probe="$scratch/jobs/probe"
mkdir -p "$probe/inputs/sub/deeper"
cp testdata/wasm/probe.wasm "$probe/"
printf 'alpha\n' > "$probe/inputs/a.txt"
printf 'beta\n' > "$probe/inputs/sub/b.txt"
printf 'gamma\n' > "$probe/inputs/sub/deeper/c.txt"
cat > "$probe/job.yaml" <<'YAML'
Name: probe
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: /app/probe.wasm
        Parameters: [/inputs, /outputs]
    InputSources:
      - Target: /app/probe.wasm
        Source: {Type: localDirectory, Params: {SourcePath: probe.wasm}}
      - Target: /inputs
        Source: {Type: localDirectory, Params: {SourcePath: ./inputs}}
    ResultPaths:
      - Name: outputs
        Path: /outputs
YAML

# Floats: the bits of results where IEEE 754 lets hardware differ (which NaN an operation
# returns: x86 makes 0/0 negative, aarch64 positive, and they propagate different payloads when
# two operands are NaN), which wasmi's `deterministic` feature canonicalises, beside results
# IEEE fixes (rounding, subnormals, conversions, no fused multiply-add) and two float loops.
# Operands pass through calls so that the interpreter computes at run time, not at translation.
cat > "$scratch/jobs/floats.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "0123456789abcdef")
  ;; Label k, NUL-terminated, at 1024 + 32k.
  (data (i32.const 1024) "f64 0/0\00")
  (data (i32.const 1056) "f64 sqrt(-1)\00")
  (data (i32.const 1088) "f64 inf-inf\00")
  (data (i32.const 1120) "f64 0*inf\00")
  (data (i32.const 1152) "f64 snan(1)+1\00")
  (data (i32.const 1184) "f64 -qnan(123)+1\00")
  (data (i32.const 1216) "f64 1+qnan(456)\00")
  (data (i32.const 1248) "f64 qnan(1)+-qnan(2)\00")
  (data (i32.const 1280) "f64 qnan(1)+snan(2)\00")
  (data (i32.const 1312) "f64 min(qnan(456),1)\00")
  (data (i32.const 1344) "f64 max(1,-qnan(123))\00")
  (data (i32.const 1376) "f64 floor(snan(1))\00")
  (data (i32.const 1408) "f64 nearest(-qnan(123))\00")
  (data (i32.const 1440) "f64 neg(qnan(456))\00")
  (data (i32.const 1472) "f64 copysign(qnan,-1)\00")
  (data (i32.const 1504) "f32 0/0\00")
  (data (i32.const 1536) "f32 sqrt(-1)\00")
  (data (i32.const 1568) "f32 snan(1)+1\00")
  (data (i32.const 1600) "f32 demote(qnan(456))\00")
  (data (i32.const 1632) "f64 promote(f32 qnan(123))\00")
  (data (i32.const 1664) "f64 0.1+0.2\00")
  (data (i32.const 1696) "f64 1/3\00")
  (data (i32.const 1728) "f64 sqrt(2)\00")
  (data (i32.const 1760) "f64 3 ulp subnormal*0.5\00")
  (data (i32.const 1792) "f64 nearest(2.5)\00")
  (data (i32.const 1824) "f64 a*a-b unfused\00")
  (data (i32.const 1856) "i64 trunc_sat(qnan)\00")
  (data (i32.const 1888) "i64 trunc_sat(1e300)\00")
  (data (i32.const 1920) "f32 convert_u(2^64-1)\00")
  (data (i32.const 1952) "f64 convert_u(2^63+1025)\00")
  (data (i32.const 1984) "f32 harmonic sum 1e6\00")
  (data (i32.const 2016) "f64 mandelbrot sum\00")
  (data (i32.const 2048) "f32 memory(snan(123))\00")
  (data (i32.const 2080) "f64 const 0/0\00")
  (data (i32.const 2112) "f64 const snan(1)+1\00")
  (data (i32.const 2144) "f32 min(-snan(1),1)\00")

  ;; Identities the translator cannot fold.
  (func $b64 (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))
  (func $b32 (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
  (func $i64 (param i64) (result i64) (local.get 0))
  (func $d (param f64) (result f64) (local.get 0))
  (func $s (param f32) (result f32) (local.get 0))

  ;; Writes "<label k> <bits as 16 hex digits>\n" to stdout.
  (func $line (param $k i32) (param $bits i64)
    (local $lab i32) (local $p i32) (local $c i32) (local $i i32)
    (local.set $lab (i32.add (i32.const 1024) (i32.mul (local.get $k) (i32.const 32))))
    (local.set $p (i32.const 16))
    (block $done
      (loop $copy
        (local.set $c (i32.load8_u (local.get $lab)))
        (br_if $done (i32.eqz (local.get $c)))
        (i32.store8 (local.get $p) (local.get $c))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $lab (i32.add (local.get $lab) (i32.const 1)))
        (br $copy)))
    (i32.store8 (local.get $p) (i32.const 32))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (local.set $i (i32.const 60))
    (loop $hex
      (local.set $c (i32.wrap_i64 (i64.and (i64.shr_u (local.get $bits) (i64.extend_i32_u (local.get $i))) (i64.const 15))))
      (i32.store8 (local.get $p) (i32.load8_u offset=512 (local.get $c)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $i (i32.sub (local.get $i) (i32.const 4)))
      (br_if $hex (i32.ge_s (local.get $i) (i32.const 0))))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.sub (i32.add (local.get $p) (i32.const 1)) (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $l64 (param $k i32) (param f64) (call $line (local.get $k) (i64.reinterpret_f64 (local.get 1))))
  (func $l32 (param $k i32) (param f32) (call $line (local.get $k) (i64.extend_i32_u (i32.reinterpret_f32 (local.get 1)))))

  (func $harmonic (result f32)
    (local $sum f32) (local $i i32)
    (local.set $i (i32.const 1))
    (loop $next
      (local.set $sum (f32.add (local.get $sum) (f32.div (call $s (f32.const 1)) (f32.convert_i32_u (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.le_u (local.get $i) (i32.const 1000000))))
    (local.get $sum))

  ;; 200 x 200 points of [-2, 1] x [-1.5, 1.5], at most 100 iterations: the sum of the last z.
  (func $mandelbrot (result f64)
    (local $sum f64) (local $x i32) (local $y i32) (local $k i32)
    (local $cr f64) (local $ci f64) (local $zr f64) (local $zi f64) (local $t f64)
    (loop $row
      (local.set $x (i32.const 0))
      (loop $col
        (local.set $cr (f64.add (f64.const -2) (f64.div (f64.mul (f64.convert_i32_s (local.get $x)) (call $d (f64.const 3))) (f64.const 200))))
        (local.set $ci (f64.add (f64.const -1.5) (f64.div (f64.mul (f64.convert_i32_s (local.get $y)) (call $d (f64.const 3))) (f64.const 200))))
        (local.set $zr (f64.const 0))
        (local.set $zi (f64.const 0))
        (local.set $k (i32.const 0))
        (block $escaped
          (loop $iter
            (br_if $escaped (f64.gt (f64.add (f64.mul (local.get $zr) (local.get $zr)) (f64.mul (local.get $zi) (local.get $zi))) (f64.const 4)))
            (local.set $t (f64.add (f64.sub (f64.mul (local.get $zr) (local.get $zr)) (f64.mul (local.get $zi) (local.get $zi))) (local.get $cr)))
            (local.set $zi (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $zr)) (local.get $zi)) (local.get $ci)))
            (local.set $zr (local.get $t))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $iter (i32.lt_u (local.get $k) (i32.const 100)))))
        (local.set $sum (f64.add (local.get $sum) (f64.add (local.get $zr) (local.get $zi))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $col (i32.lt_u (local.get $x) (i32.const 200))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $row (i32.lt_u (local.get $y) (i32.const 200))))
    (local.get $sum))

  (func (export "_start")
    (call $l64 (i32.const 0) (f64.div (call $d (f64.const 0)) (call $d (f64.const 0))))
    (call $l64 (i32.const 1) (f64.sqrt (call $d (f64.const -1))))
    (call $l64 (i32.const 2) (f64.sub (call $d (f64.const inf)) (call $d (f64.const inf))))
    (call $l64 (i32.const 3) (f64.mul (call $d (f64.const 0)) (call $d (f64.const inf))))
    (call $l64 (i32.const 4) (f64.add (call $b64 (i64.const 0x7ff0000000000001)) (call $d (f64.const 1))))
    (call $l64 (i32.const 5) (f64.add (call $b64 (i64.const 0xfff8000000000123)) (call $d (f64.const 1))))
    (call $l64 (i32.const 6) (f64.add (call $d (f64.const 1)) (call $b64 (i64.const 0x7ff8000000000456))))
    (call $l64 (i32.const 7) (f64.add (call $b64 (i64.const 0x7ff8000000000001)) (call $b64 (i64.const 0xfff8000000000002))))
    (call $l64 (i32.const 8) (f64.add (call $b64 (i64.const 0x7ff8000000000001)) (call $b64 (i64.const 0x7ff0000000000002))))
    (call $l64 (i32.const 9) (f64.min (call $b64 (i64.const 0x7ff8000000000456)) (call $d (f64.const 1))))
    (call $l64 (i32.const 10) (f64.max (call $d (f64.const 1)) (call $b64 (i64.const 0xfff8000000000123))))
    (call $l64 (i32.const 11) (f64.floor (call $b64 (i64.const 0x7ff0000000000001))))
    (call $l64 (i32.const 12) (f64.nearest (call $b64 (i64.const 0xfff8000000000123))))
    ;; neg and copysign only move the sign bit, whatever the value: the payload stays.
    (call $l64 (i32.const 13) (f64.neg (call $b64 (i64.const 0x7ff8000000000456))))
    (call $l64 (i32.const 14) (f64.copysign (call $b64 (i64.const 0x7ff8000000000000)) (call $d (f64.const -1))))
    (call $l32 (i32.const 15) (f32.div (call $s (f32.const 0)) (call $s (f32.const 0))))
    (call $l32 (i32.const 16) (f32.sqrt (call $s (f32.const -1))))
    (call $l32 (i32.const 17) (f32.add (call $b32 (i32.const 0x7f800001)) (call $s (f32.const 1))))
    (call $l32 (i32.const 18) (f32.demote_f64 (call $b64 (i64.const 0x7ff8000000000456))))
    (call $l64 (i32.const 19) (f64.promote_f32 (call $b32 (i32.const 0x7fc00123))))
    (call $l64 (i32.const 20) (f64.add (call $d (f64.const 0.1)) (call $d (f64.const 0.2))))
    (call $l64 (i32.const 21) (f64.div (call $d (f64.const 1)) (call $d (f64.const 3))))
    (call $l64 (i32.const 22) (f64.sqrt (call $d (f64.const 2))))
    (call $l64 (i32.const 23) (f64.mul (call $b64 (i64.const 3)) (call $d (f64.const 0.5))))
    (call $l64 (i32.const 24) (f64.nearest (call $d (f64.const 2.5))))
    ;; a = 1 + 2^-27: a*a = 1 + 2^-26 + 2^-54 exactly, whose last term only a fused
    ;; multiply-add would keep (giving 2^-54 rather than 0).
    (call $l64 (i32.const 25) (f64.sub (f64.mul (call $d (f64.const 0x1.0000002p+0)) (call $d (f64.const 0x1.0000002p+0))) (call $d (f64.const 0x1.0000004p+0))))
    (call $line (i32.const 26) (i64.trunc_sat_f64_s (call $b64 (i64.const 0x7ff8000000000456))))
    (call $line (i32.const 27) (i64.trunc_sat_f64_s (call $d (f64.const 1e300))))
    (call $l32 (i32.const 28) (f32.convert_i64_u (call $i64 (i64.const -1))))
    (call $l64 (i32.const 29) (f64.convert_i64_u (call $i64 (i64.const 0x8000000000000401))))
    (call $l32 (i32.const 30) (call $harmonic))
    (call $l64 (i32.const 31) (call $mandelbrot))
    ;; Loads and stores move bits as they are, a signalling NaN too.
    (i32.store (i32.const 256) (i32.reinterpret_f32 (call $b32 (i32.const 0x7f800123))))
    (call $l32 (i32.const 32) (f32.load (i32.const 256)))
    ;; Constant operands, which the translator may evaluate itself.
    (call $l64 (i32.const 33) (f64.div (f64.const 0) (f64.const 0)))
    (call $l64 (i32.const 34) (f64.add (f64.reinterpret_i64 (i64.const 0x7ff0000000000001)) (f64.const 1)))
    (call $l32 (i32.const 35) (f32.min (call $b32 (i32.const 0xff800001)) (call $s (f32.const 1))))))
WAT

# expect NAME FILE: the stdout of job NAME (the same on both, once `compare` said so) must be
# FILE's bytes.
expect() {
    if ! cmp -s "$scratch/x86_64/$1/stdout" "$2"; then
        echo "DIFF  $1  stdout is not $2:"
        diff "$2" "$scratch/x86_64/$1/stdout" | sed 's/^/      /' || true
        failed=1
    fi
}

# bolinho ARCH ARGS...: runs that build of bolinho.
bolinho() {
    local arch="$1"
    shift
    case "$arch" in
        x86_64) "${x86_64[@]}" "$@" ;;
        aarch64) "${aarch64[@]}" "$@" ;;
    esac
}

# compare NAME BOLINHO-ARGS...: runs `bolinho run --results DIR ARGS...` with each build, from
# the repository root (so that the receipts' local source paths are the same relative paths),
# and prints the verdict. Guest output to the terminal is kept beside, not compared: bolinho's
# own lines name the results directory.
failed=0
compare() {
    local name="$1" arch start end
    shift
    local -A ms
    for arch in x86_64 aarch64; do
        start="$(date +%s%N)"
        # A job may fail on purpose (a trap, a fuel limit): its exit code is compared too.
        bolinho "$arch" run --results "$scratch/$arch/$name" "$@" \
            > "$scratch/$arch/$name.terminal" 2>&1 && echo 0 > "$scratch/$arch/$name.code" \
            || echo "$?" > "$scratch/$arch/$name.code"
        end="$(date +%s%N)"
        ms[$arch]=$(((end - start) / 1000000))
    done
    local timing
    timing="$(printf '(bolinho exit %s; x86_64 %d.%03d s, aarch64 under qemu %d.%03d s)' \
        "$(cat "$scratch/x86_64/$name.code")" $((ms[x86_64] / 1000)) $((ms[x86_64] % 1000)) \
        $((ms[aarch64] / 1000)) $((ms[aarch64] % 1000)))"
    local differ=() line
    local codes
    codes="$(cat "$scratch/x86_64/$name.code") vs $(cat "$scratch/aarch64/$name.code")"
    if ! cmp -s "$scratch/x86_64/$name.code" "$scratch/aarch64/$name.code"; then
        differ+=("bolinho's exit code: $codes")
    fi
    # A job of several partitions: its results directory holds theirs (README "Running at
    # scale"); verify takes the directory, and the bundles are of partition 0.
    local receipt=receipt.json verified="/receipt.json" run=""
    if [ -d "$scratch/x86_64/$name/partitions" ]; then
        receipt=summary.json verified="" run=/partitions/0
    fi
    for arch in x86_64 aarch64; do
        if [ ! -f "$scratch/$arch/$name/$receipt" ]; then
            line="$(tail -1 "$scratch/$arch/$name.terminal")"
            differ+=("no $receipt from $arch; bolinho's last line: $line")
        fi
    done
    while IFS= read -r line; do
        differ+=("$line")
    done < <(same_tree "$scratch/x86_64/$name" "$scratch/aarch64/$name" 2>&1 || true)
    # Each build also verifies the other's receipt (a rerun compared hash by hash).
    local other
    for arch in x86_64 aarch64; do
        other="$([ "$arch" = x86_64 ] && echo aarch64 || echo x86_64)"
        [ -f "$scratch/$other/$name/$receipt" ] || continue
        if ! bolinho "$arch" verify "$scratch/$other/$name$verified" \
            > "$scratch/$arch/$name.verify" 2>&1; then
            differ+=("$arch verify of the $other receipt failed:")
            while IFS= read -r line; do
                differ+=("  $line")
            done < <(grep -v '^ok \|^partition .* of .*:$' "$scratch/$arch/$name.verify")
        fi
    done
    # Each build bundles its own run: the same bytes from both, and each replays the other's
    # from an empty directory, where nothing but the bundle is.
    for arch in x86_64 aarch64; do
        [ -f "$scratch/$arch/$name$run/receipt.json" ] || continue
        if ! bolinho "$arch" bundle "$scratch/$arch/$name$run" -o "$scratch/$arch/$name.bundle" \
            > "$scratch/$arch/$name.bundling" 2>&1; then
            differ+=("$arch bundle failed: $(tail -1 "$scratch/$arch/$name.bundling")")
        fi
    done
    if [ -f "$scratch/x86_64/$name.bundle" ] && [ -f "$scratch/aarch64/$name.bundle" ]; then
        for arch in x86_64 aarch64; do
            mkdir "$scratch/$arch/$name.unpacked"
            tar -xzf "$scratch/$arch/$name.bundle" -C "$scratch/$arch/$name.unpacked"
        done
        while IFS= read -r line; do
            differ+=("the two builds' bundles: $line")
        done < <(same_tree "$scratch/x86_64/$name.unpacked" "$scratch/aarch64/$name.unpacked" 2>&1 || true)
        for arch in x86_64 aarch64; do
            other="$([ "$arch" = x86_64 ] && echo aarch64 || echo x86_64)"
            mkdir "$scratch/$arch/$name.empty"
            if ! (cd "$scratch/$arch/$name.empty" \
                && bolinho "$arch" verify "$scratch/$other/$name.bundle") \
                > "$scratch/$arch/$name.replay" 2>&1; then
                differ+=("$arch replay of the $other bundle failed:")
                while IFS= read -r line; do
                    differ+=("  $line")
                done < <(grep -v '^ok ' "$scratch/$arch/$name.replay")
            fi
        done
    fi
    if [ "${#differ[@]}" = 0 ]; then
        echo "same  $name  $timing"
    else
        echo "DIFF  $name  $timing"
        printf '      %s\n' "${differ[@]}"
        failed=1
    fi
}

compare wordfreq examples/wordfreq/job.yaml
# A job of three partitions run together: each partition's results and receipt, and the summary.
compare partitions examples/partitions/job.yaml
compare probe "$probe/job.yaml"
compare transform testdata/jobs/transform/job.yaml
compare trap testdata/jobs/trap/job.yaml
compare limit-fuel testdata/jobs/limit-fuel/job.yaml
compare compute bench/compute.wasm -- 1
compare floats "$scratch/jobs/floats.wat"
# SIMD (testdata/wat/simd.wat, README "WebAssembly proposals"): f32x4 and f64x2 results where
# the hardware's NaNs differ, as floats.wat's, relaxed SIMD and integer SIMD, all as bits; its
# output must also be the committed one, which tests/integration/simd.rs checks on this host.
compare simd testdata/wat/simd.wat
expect simd testdata/wat/simd.stdout
# A C program clang vectorised (testdata/c/bytestats.c), over the committed modules.
compare bytestats testdata/wasm/bytestats.wasm --dir testdata/wasm::/data -- \
    /data/bytestats.wasm /data/probe.wasm /data/transform.wasm
# Stack exhaustion: its fuelUsed records how deep the guest got before the trap.
compare recurse testdata/wasm/recurse.wasm

# A bundle replays with nothing else, on the other architecture: a job is run and bundled by
# one build in a directory of its own, which is then deleted (module, inputs, results), and the
# other build replays the bundle from another directory.
originals_deleted() {
    local arch="$1" other="$2" dir="$scratch/originals-$1"
    # testdata's transform job, laid out as in testdata (its module is ../../wasm/), with
    # inputs of its own: a link among them.
    local job="$dir/jobs/transform"
    mkdir -p "$job/inputs/sub" "$dir/wasm" "$scratch/elsewhere-$1"
    cp testdata/wasm/transform.wasm "$dir/wasm/"
    cp testdata/jobs/transform/job.yaml "$job/"
    printf 'alpha\n' > "$job/inputs/a.txt"
    printf 'beta\n' > "$job/inputs/sub/b.txt"
    ln -s a.txt "$job/inputs/link"
    local log="$scratch/originals-$arch.log"
    if ! (cd "$job" && bolinho "$arch" run job.yaml --results out --quiet-portability \
        && bolinho "$arch" bundle out -o "$scratch/originals-$arch.bundle") > "$log" 2>&1; then
        echo "DIFF  originals-deleted ($arch run and bundle)"
        sed 's/^/      /' "$log"
        failed=1
        return
    fi
    rm -rf "$dir"
    if (cd "$scratch/elsewhere-$arch" \
        && bolinho "$other" verify "$scratch/originals-$arch.bundle") > "$log" 2>&1; then
        echo "same  originals-deleted  (bundled on $arch, replayed on $other)"
    else
        echo "DIFF  originals-deleted  (bundled on $arch, replayed on $other)"
        sed 's/^/      /' "$log"
        failed=1
    fi
}
originals_deleted x86_64 aarch64
originals_deleted aarch64 x86_64

# Recorded runs replay on the other architecture from their bundles alone (issue 12): the probe
# job with --nondeterministic (host clocks, OS random bytes, real sleeps), and a module run
# fetching from a loopback server that is stopped before the replay. Both outputs differ from
# run to run, so they are replayed, not compared.
recorded_elsewhere() {
    local arch="$1" other="$2" dir="$scratch/recorded-$1"
    mkdir -p "$dir/www" "$scratch/replayed-$1"
    cp -r "$probe/." "$dir/probe"
    cp testdata/wat/net_request.wat "$dir/"
    date +%s%N > "$dir/www/now.txt"
    python3 -m http.server --bind 127.0.0.1 --directory "$dir/www" 0 > "$dir/server.log" 2>&1 &
    local server=$!
    local port=""
    for _ in $(seq 50); do
        port="$(grep -o 'port [0-9]*' "$dir/server.log" | grep -o '[0-9]*' || true)"
        [ -n "$port" ] && break
        sleep 0.1
    done
    local log="$scratch/recorded-$arch.log"
    if ! (cd "$dir/probe" \
        && bolinho "$arch" run job.yaml --nondeterministic --results out --quiet-portability \
        && bolinho "$arch" bundle out -o "$scratch/nondeterministic-$arch.bundle" \
        && cd "$dir" \
        && bolinho "$arch" run --network host --results net "$dir/net_request.wat" -- \
            GET "http://127.0.0.1:$port/now.txt" "" "" 4096 4096 \
        && bolinho "$arch" bundle net -o "$scratch/network-$arch.bundle") > "$log" 2>&1; then
        echo "DIFF  recorded ($arch run and bundle)"
        sed 's/^/      /' "$log"
        kill "$server" 2>/dev/null || true
        failed=1
        return
    fi
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -rf "$dir"
    local kind
    for kind in nondeterministic network; do
        if (cd "$scratch/replayed-$arch" \
            && bolinho "$other" verify "$scratch/$kind-$arch.bundle") > "$log" 2>&1 \
            && grep -q '^ok  tape  ' "$log"; then
            echo "same  $kind-replayed  (recorded on $arch, replayed on $other: $(grep '^ok  tape' "$log" | cut -c11-))"
        else
            echo "DIFF  $kind-replayed  (recorded on $arch, replayed on $other)"
            sed 's/^/      /' "$log"
            failed=1
        fi
    done
}
recorded_elsewhere x86_64 aarch64
recorded_elsewhere aarch64 x86_64

if [ "$failed" = 1 ]; then
    keep=1
    echo "results kept in $scratch: x86_64/ and aarch64/, each with JOB/ and JOB.code," \
        "JOB.terminal, JOB.verify, JOB.bundle and JOB.replay"
    exit 1
fi
