#!/usr/bin/env bash
# Builds the container image of bolinho (Containerfile) for x86_64 and aarch64 from the static
# release binaries (scripts/build-static.sh, run first if dist/ lacks them), with the first of
# buildah, podman or docker that can build here: buildah and podman need no daemon (Debian:
# apt-get install -y buildah); docker needs its daemon running. Tags bolinho:VERSION-ARCH
# (IMAGE=name to change `bolinho`); pushing and a multi-arch manifest are left to the user's
# registry tooling. Says why and exits 1 when no builder works. Run by hand.
# With --check (buildah only), the image of this machine's architecture is also opened as a
# container's root (buildah mount) and checked: its user, entrypoint and working directory,
# and the demo job run in it as its user (chroot), whose stdout must be the expected one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
image="${IMAGE:-bolinho}"
check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) echo "usage: scripts/build-image.sh [--check]" >&2; exit 2 ;;
esac
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"

builder=""
why=()
for candidate in buildah podman docker; do
    if ! command -v "$candidate" > /dev/null; then
        why+=("$candidate: not installed")
        continue
    fi
    if [ "$candidate" = docker ] && ! docker info > /dev/null 2>&1; then
        why+=("docker: installed, but its daemon does not answer (docker info fails)")
        continue
    fi
    builder="$candidate"
    break
done
if [ -z "$builder" ]; then
    echo "build-image.sh: no builder can build an image on this machine:" >&2
    printf '  %s\n' "${why[@]}" >&2
    echo "  (Debian: apt-get install -y buildah, which needs no daemon)" >&2
    exit 1
fi

for arch in x86_64 aarch64; do
    binary="dist/bolinho-$arch-linux-musl"
    [ -f "$binary" ] || scripts/build-static.sh "$arch" >&2
    platform="linux/$([ "$arch" = x86_64 ] && echo amd64 || echo arm64)"
    context="$(mktemp -d)"
    cp "$binary" "$context/bolinho"
    mkdir -p "$context/rootfs/tmp" "$context/rootfs/work"
    chmod 1777 "$context/rootfs/tmp"
    tag="$image:$version-$arch"
    case "$builder" in
    buildah) buildah build --quiet --platform "$platform" -f "$root/Containerfile" -t "$tag" "$context" >&2 ;;
    podman) podman build --quiet --platform "$platform" -f "$root/Containerfile" -t "$tag" "$context" >&2 ;;
    docker) docker build --quiet --platform "$platform" -f "$root/Containerfile" -t "$tag" "$context" >&2 ;;
    esac
    rm -rf "$context"
    echo "$tag ($platform), built with $builder"
done

if [ "$check" = 1 ]; then
    if [ "$builder" != buildah ]; then
        echo "build-image.sh: --check needs buildah (this machine builds with $builder)" >&2
        exit 1
    fi
    tag="$image:$version-$(uname -m)"
    container="$(buildah from "$tag")"
    trap 'buildah umount "$container" > /dev/null; buildah rm "$container" > /dev/null' EXIT
    config="$(buildah inspect --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.WorkingDir}}' "$container")"
    if [ "$config" != "65532:65532 [/usr/local/bin/bolinho] /work" ]; then
        echo "build-image.sh: $tag is configured otherwise: $config" >&2
        exit 1
    fi
    rootfs="$(buildah mount "$container")"
    cp -r examples/wordfreq "$rootfs/work/"
    chown -R 65532:65532 "$rootfs/work/wordfreq"
    chroot --userspec=65532:65532 "$rootfs" /usr/local/bin/bolinho run /work/wordfreq/job.yaml \
        --results /work/results > /dev/null 2>&1
    if ! cmp -s "$rootfs/work/results/stdout" examples/wordfreq/expected-stdout.txt; then
        echo "build-image.sh: the demo job run in $tag did not give its expected stdout" >&2
        exit 1
    fi
    echo "$tag: runs as 65532:65532 from /work; the demo job gives its expected stdout"
fi
