#!/usr/bin/env bash
# Builds every testdata/c/<name>.c into testdata/wasm/<name>.wasm.
#
# The .wasm files are committed, so `cargo test` needs no C toolchain; run this after editing a
# C program and commit the source and the .wasm together.
#
# Toolchain: Debian 12's clang 14 with wasi-libc:
#   apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
# Other clang or wasi-libc versions work but produce different bytes.
#
# A source adds its own flags with a line `// build-flags: <flags>` (lib_reactor.c uses it for
# -mexec-model=reactor).
#
# The build is deterministic (no debug info, relative source paths). `testdata/build.sh --check`
# builds twice into scratch directories, and fails unless both builds and the committed files
# are byte-identical.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${CC:-clang}"
cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug)

# build_into DIR: compiles every program into DIR.
build_into() {
    local out="$1" src name extra
    mkdir -p "$out"
    for src in "$here"/c/*.c; do
        name="$(basename "$src" .c)"
        extra="$(sed -n 's|^// build-flags: ||p' "$src")"
        # Compile from inside c/ with a relative path, so no host path can reach the output.
        # shellcheck disable=SC2086 # $extra is a list of flags
        (cd "$here/c" && "$cc" "${cflags[@]}" $extra "$name.c" -o "$out/$name.wasm")
        chmod a-x "$out/$name.wasm" # data, not a host executable
    done
}

case "${1:-}" in
"")
    build_into "$here/wasm"
    ls -l "$here"/wasm/*.wasm
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    build_into "$scratch/a"
    build_into "$scratch/b"
    diff -r "$scratch/a" "$scratch/b"
    diff -r "$scratch/a" "$here/wasm"
    echo "deterministic: two builds and testdata/wasm are identical"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
