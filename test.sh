#!/usr/bin/env bash
# Runs every check and test bolinho has, on a fresh machine: format, lints, unit and integration
# tests. Installs what the tests need first (today: nothing beyond the Rust toolchain; the C test
# programs are committed pre-built, see testdata/build.sh).
set -euo pipefail
cd "$(dirname "$0")"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
