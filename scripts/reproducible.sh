#!/usr/bin/env bash
# Two builds of one commit in different directories must give the same bytes (issue 14).
# Exports HEAD twice (git archive, as a release tarball would be) into directories of different
# names and depths, builds the static binaries in each with scripts/build-static.sh (the
# architectures named, default both), and compares them byte for byte. The commit is passed in
# BOLINHO_COMMIT, as a build from a tarball must. Each build starts from nothing, so this takes
# a few minutes per architecture: run by hand, results in bench/RESULTS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
commit="$(git rev-parse HEAD)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
first="$scratch/a"
second="$scratch/elsewhere/much/deeper/b"
for dir in "$first" "$second"; do
    mkdir -p "$dir"
    git archive HEAD | tar -x -C "$dir"
    BOLINHO_COMMIT="$commit" "$dir/scripts/build-static.sh" "$@" > /dev/null
done
same=1
for binary in "$first"/dist/*; do
    name="$(basename "$binary")"
    if cmp -s "$binary" "$second/dist/$name"; then
        echo "$name: the same bytes in both builds, sha256 $(sha256sum "$binary" | cut -d' ' -f1)"
    else
        echo "$name: the two builds differ" >&2
        same=0
    fi
done
[ "$same" = 1 ]
