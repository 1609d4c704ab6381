#!/usr/bin/env bash
# Builds the C sources of the test programs and the examples into WebAssembly:
#   testdata/c/<name>.c            -> testdata/wasm/<name>.wasm
#   examples/<example>/src/<name>.c -> examples/<example>/app/<name>.wasm
#   bench/<name>.c                 -> bench/<name>.wasm
#
# The .wasm files are committed, so `cargo test` and the examples need no C toolchain; run this
# after editing a C source and commit the source and the .wasm together.
#
# Toolchain: Debian 12's clang 14 with wasi-libc:
#   apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32
# Other clang or wasi-libc versions work but produce different bytes.
#
# A source adds its own flags with a line `// build-flags: <flags>` (the reactors use it for
# -mexec-model=reactor).
#
# The build is deterministic (no debug info, relative source paths). `testdata/build.sh --check`
# builds twice into scratch directories, and fails unless both builds and the committed files
# are byte-identical.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cc="${CC:-clang}"
cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-debug)

# Each source directory, relative to the repository root, and where its modules go.
pairs() {
    echo "testdata/c testdata/wasm"
    echo "bench bench"
    for src in "$root"/examples/*/src; do
        local example="${src%/src}"
        echo "${example#"$root"/}/src ${example#"$root"/}/app"
    done
}

# build_into ROOT: compiles every source into ROOT/<its output directory>.
build_into() {
    local out_root="$1" src_dir out_dir src name extra
    while read -r src_dir out_dir; do
        mkdir -p "$out_root/$out_dir"
        for src in "$root/$src_dir"/*.c; do
            name="$(basename "$src" .c)"
            extra="$(sed -n 's|^// build-flags: ||p' "$src")"
            # Compile from inside the source directory with a relative path, so no host path
            # can reach the output.
            # shellcheck disable=SC2086 # $extra is a list of flags
            (cd "$root/$src_dir" && "$cc" "${cflags[@]}" $extra "$name.c" -o "$out_root/$out_dir/$name.wasm")
            chmod a-x "$out_root/$out_dir/$name.wasm" # data, not a host executable
        done
    done < <(pairs)
}

case "${1:-}" in
"")
    build_into "$root"
    pairs | while read -r _ out_dir; do ls -l "$root/$out_dir"/*.wasm; done
    ;;
--check)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    build_into "$scratch/a"
    build_into "$scratch/b"
    diff -r "$scratch/a" "$scratch/b"
    pairs | while read -r _ out_dir; do
        for built in "$scratch/a/$out_dir"/*.wasm; do
            cmp "$built" "$root/$out_dir/$(basename "$built")"
        done
    done
    echo "deterministic: two builds and the committed modules are identical"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
