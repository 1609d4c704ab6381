#!/usr/bin/env bash
# Runs every check and test bolinho has, on a fresh machine: no import cycle between the crates'
# areas (scripts/module-cycles), the minimum Rust version (scripts/msrv.sh), format, lints, unit
# and integration tests, then the static x86_64 release build and the demo job run with it
# (scripts/build-static.sh). Installs what the tests need first: the C test programs are committed pre-built (see testdata/build.sh); the
# S3 tests need an S3-compatible server, moto_server from PyPI's moto[server] (pinned below),
# which this script installs if it is missing, starts on a free loopback port for the tests
# (BOLINHO_TEST_S3_ENDPOINT), and stops when it exits. BOLINHO_SKIP_S3=1 skips the server and
# the S3 tests; without either, those tests fail.
set -euo pipefail
cd "$(dirname "$0")"

MOTO_VERSION=5.2.1

start_s3_server() {
    if ! python3 -c 'import moto.server' 2>/dev/null; then
        echo "test.sh: installing moto[server]==$MOTO_VERSION (the S3 server of the S3 tests)"
        python3 -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    fi
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    S3_LOG=$(mktemp -t bolinho-moto.XXXXXX)
    python3 -m moto.server -H 127.0.0.1 -p "$port" >"$S3_LOG" 2>&1 &
    S3_PID=$!
    trap 'kill "$S3_PID" 2>/dev/null || true; wait "$S3_PID" 2>/dev/null || true; rm -f "$S3_LOG"' EXIT
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            export BOLINHO_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
            return
        fi
        if ! kill -0 "$S3_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "test.sh: the S3 test server (moto) did not start:" >&2
    cat "$S3_LOG" >&2
    exit 1
}

# Each area of a crate (a top-level module) uses only the ones before it: no cycle among them.
python3 scripts/module-cycles src wasi-shim/src validate/src
# The declared minimum Rust version covers every locked dependency.
scripts/msrv.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
if [ "${BOLINHO_SKIP_S3:-}" != 1 ]; then
    start_s3_server
fi
cargo test --workspace --locked

# The static x86_64 release binary: built as users get it, fully static, within its size, and
# running the demo job. It needs musl-gcc for ring's C (Debian's musl-tools), and lld, which
# links it with its start-up functions together.
for tool in musl-gcc:musl-tools ld.lld:lld; do
    if ! command -v "${tool%%:*}" > /dev/null; then
        echo "test.sh: installing ${tool#*:} (${tool%%:*}, for the static build)"
        apt-get install -y -qq "${tool#*:}" > /dev/null \
            || { apt-get update -qq && apt-get install -y -qq "${tool#*:}" > /dev/null; }
    fi
done
# A machine whose rustup cannot fetch the musl standard library (exit 3) cannot build it: that is
# said, loudly, and is the only way this check is passed over.
status=0
scripts/build-static.sh --demo x86_64 || status=$?
if [ "$status" = 3 ]; then
    echo "test.sh: NOT CHECKED: the static release build (no x86_64-unknown-linux-musl standard library here)" >&2
elif [ "$status" != 0 ]; then
    exit "$status"
fi
