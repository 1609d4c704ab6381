#!/usr/bin/env bash
# Builds each example's C sources, examples/<example>/src/<name>.c, into
# examples/<example>/app/<name>.wasm (the directory its job mounts at /app).
#
# The .wasm files are committed, so running an example needs no C toolchain; run this after
# editing an example's source and commit both. Same toolchain and conventions as
# testdata/build.sh:
#   apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
# a source adds flags with a line `// build-flags: <flags>` (textlib.c: -mexec-model=reactor),
# and `examples/build.sh --check` fails unless two builds and the committed files are identical.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cc="${CC:-clang}"
cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug)

# build_into ROOT: compiles every example into ROOT/<example>/app/.
build_into() {
    local root="$1" src example name extra
    for src in "$here"/*/src/*.c; do
        example="$(basename "$(dirname "$(dirname "$src")")")"
        name="$(basename "$src" .c)"
        extra="$(sed -n 's|^// build-flags: ||p' "$src")"
        mkdir -p "$root/$example/app"
        # Compile from inside src/ with a relative path, so no host path can reach the output.
        # shellcheck disable=SC2086 # $extra is a list of flags
        (cd "$(dirname "$src")" && "$cc" "${cflags[@]}" $extra "$name.c" -o "$root/$example/app/$name.wasm")
        chmod a-x "$root/$example/app/$name.wasm" # data, not a host executable
    done
}

case "${1:-}" in
"")
    build_into "$here"
    ls -l "$here"/*/app/*.wasm
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    build_into "$scratch/a"
    build_into "$scratch/b"
    diff -r "$scratch/a" "$scratch/b"
    for app in "$scratch"/a/*/app; do
        diff -r "$app" "$here/$(basename "$(dirname "$app")")/app"
    done
    echo "deterministic: two builds and the committed examples are identical"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
