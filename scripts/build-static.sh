#!/usr/bin/env bash
# Builds the static release binaries, dist/bolinho-x86_64-linux-musl and
# dist/bolinho-aarch64-linux-musl (or the architectures named: scripts/build-static.sh x86_64),
# checks that each is fully static (no interpreter, no dynamic section) and at most
# 6,000,000 bytes (docs/RATIONALE.md, "Binary size"), and prints each one's size and sha256.
# With --demo, each binary that runs here (natively, or under qemu-aarch64 from Debian's
# qemu-user) also runs the demo job, examples/wordfreq, whose stdout must be its
# expected-stdout.txt, must refuse a .wat module saying it was built without the `wat` feature,
# and must name its target and no features in `--version --verbose`. Exits 1 if any check fails,
# 3 if a target's standard library is missing and rustup cannot fetch it.
#
# What it needs, all from Debian and rustup, nothing prebuilt downloaded:
#   - each target's standard library: rustup target add ARCH-unknown-linux-musl (rustc links
#     musl's own C runtime, which comes with it);
#   - a C compiler for ring, the one crate with C (the cryptography under rustls):
#     x86_64: musl-gcc (apt-get install -y musl-tools); aarch64: aarch64-linux-gnu-gcc
#     (apt-get install -y gcc-aarch64-linux-gnu), also the linker;
#   - x86_64: lld (apt-get install -y lld), which links it with the functions a run starts
#     with placed together (scripts/startup-functions-x86_64.txt, made by
#     scripts/startup-order.sh): a run then maps less of the binary (docs/RATIONALE.md).
# Other targets (armv7-unknown-linux-musleabihf, riscv64gc-unknown-linux-musl) have no
# standard library on this machine's toolchain mirror; README "A static binary" says how a
# user with rustup builds them and what to check.
#
# The release leaves out the default `wat` feature (WebAssembly text modules), and builds
# non-PIE (-C relocation-model=static: a static PIE carries 210 KB of relocations). Paths of
# the checkout and of cargo's registry are remapped, so that builds of one commit in any two
# directories are the same bytes (scripts/reproducible.sh checks it). The build goes to
# target/static, away from the test build's cache.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

max_bytes=6000000
demo=0
wat=0
symbols=0
archs=()
for arg in "$@"; do
    case "$arg" in
    --demo) demo=1 ;;
    --with-wat) wat=1 ;;
    --symbols) symbols=1 ;;
    x86_64 | aarch64) archs+=("$arg") ;;
    *) echo "usage: scripts/build-static.sh [--demo] [--with-wat] [--symbols] [x86_64] [aarch64]" >&2; exit 2 ;;
    esac
done
# --with-wat: the same build with WebAssembly text, for scripts/cross-arch.sh, whose jobs
# include .wat modules; not a release (dist/bolinho-ARCH-linux-musl-wat, its size not checked).
features=(--no-default-features)
suffix=""
if [ "$wat" = 1 ]; then
    features=(--no-default-features --features wat)
    suffix="-wat"
fi
# --symbols: the same build with its symbol table, for scripts/startup-order.sh and for
# profiling (dist/bolinho-ARCH-linux-musl-symbols, its size not checked): built with the
# release's flags, its symbols are named as the release's are.
if [ "$symbols" = 1 ]; then
    suffix+="-symbols"
    export CARGO_PROFILE_RELEASE_STRIP=false
    profile=(--config 'profile.release.package.bolinho.strip=false')
else
    profile=()
fi
if [ ${#archs[@]} -eq 0 ]; then
    archs=(x86_64 aarch64)
fi

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_TARGET_DIR="$root/target/static"
[ "$symbols" = 0 ] || CARGO_TARGET_DIR+="-symbols"
rustflags="-C relocation-model=static --remap-path-prefix=$root/=/bolinho/ --remap-path-prefix=$cargo_home/registry/src/=/cargo/"
mkdir -p dist
failed=0

need() {
    if ! command -v "$1" > /dev/null; then
        echo "build-static.sh: $2 needs $1: $3" >&2
        exit 1
    fi
}

for arch in "${archs[@]}"; do
    target="$arch-unknown-linux-musl"
    if ! rustup target list --installed | grep -qx "$target"; then
        echo "build-static.sh: adding the $target standard library (rustup target add $target)" >&2
        if ! rustup target add "$target" >&2; then
            echo "build-static.sh: cannot build $target: its standard library is not installed" \
                "and rustup could not fetch it" >&2
            exit 3
        fi
    fi
    export RUSTFLAGS="$rustflags"
    case "$arch" in
    x86_64)
        need musl-gcc "$target" "apt-get install -y musl-tools"
        need ld.lld "$target" "apt-get install -y lld"
        export CC_x86_64_unknown_linux_musl=musl-gcc
        # Names the list has that this build lacks are passed over, silently: the list is a
        # layout, not a requirement.
        RUSTFLAGS+=" -C link-arg=-fuse-ld=lld"
        RUSTFLAGS+=" -C link-arg=-Wl,--symbol-ordering-file=$root/scripts/startup-functions-x86_64.txt"
        RUSTFLAGS+=" -C link-arg=-Wl,--no-warn-symbol-ordering"
        ;;
    aarch64)
        need aarch64-linux-gnu-gcc "$target" "apt-get install -y gcc-aarch64-linux-gnu"
        export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc
        ;;
    esac
    cargo build --release --locked "${features[@]}" "${profile[@]}" --target "$target" >&2
    out="dist/bolinho-$arch-linux-musl$suffix"
    cp "$CARGO_TARGET_DIR/$target/release/bolinho" "$out"
    bytes=$(stat -c %s "$out")
    echo "$out: $bytes bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
    if readelf -l "$out" | grep -Eq 'INTERP|DYNAMIC'; then
        echo "build-static.sh: $out is not fully static:" >&2
        readelf -l "$out" | grep -E 'INTERP|DYNAMIC' >&2
        failed=1
    fi
    if [ "$wat" = 0 ] && [ "$symbols" = 0 ] && [ "$bytes" -gt "$max_bytes" ]; then
        echo "build-static.sh: $out is $bytes bytes, over the $max_bytes allowed" >&2
        failed=1
    fi
    if [ "$demo" = 1 ]; then
        run=("$root/$out")
        if [ "$arch" != "$(uname -m)" ]; then
            need "qemu-$arch" "the demo on $arch" "apt-get install -y qemu-user"
            run=("qemu-$arch" "$root/$out")
        fi
        scratch="$(mktemp -d)"
        if "${run[@]}" run examples/wordfreq/job.yaml --results "$scratch/results" \
            > /dev/null 2> "$scratch/stderr" \
            && cmp -s "$scratch/results/stdout" examples/wordfreq/expected-stdout.txt; then
            echo "$out: the demo job's stdout is examples/wordfreq/expected-stdout.txt"
        else
            echo "build-static.sh: $out did not give the demo job's expected stdout:" >&2
            cat "$scratch/stderr" >&2
            failed=1
        fi
        rm -rf "$scratch"
        # What the release leaves out, it says: text modules are refused with the way out.
        if [ "$wat" = 0 ]; then
            if refused="$("${run[@]}" run testdata/wat/exit_code.wat 2>&1 > /dev/null)"; then
                echo "build-static.sh: $out ran a .wat module, built without the wat feature" >&2
                failed=1
            elif ! grep -q 'built without the `wat` feature' <<< "$refused"; then
                echo "build-static.sh: $out refused a .wat module without saying why: $refused" >&2
                failed=1
            fi
        fi
        about="$("${run[@]}" --version --verbose)"
        if ! grep -qx "target: $target" <<< "$about" \
            || ! grep -qx "features: $([ "$wat" = 1 ] && echo wat || echo none)" <<< "$about"; then
            echo "build-static.sh: $out --version --verbose says otherwise:" >&2
            echo "$about" >&2
            failed=1
        fi
    fi
done
exit "$failed"
