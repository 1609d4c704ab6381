#!/usr/bin/env bash
# The minimum Rust version Cargo.toml declares (`rust-version`) must be at least what every
# locked dependency declares: `cargo metadata` lists each one's. This machine has no older
# toolchain to build with, so this is the check; std APIs newer than the declared version are
# clippy's `incompatible_msrv` lint, which test.sh's clippy run denies. Run by test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 - <<'PY'
import json, subprocess, sys

def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

metadata = json.loads(subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--locked"],
    check=True, capture_output=True, text=True).stdout)
used = {node["id"] for node in metadata["resolve"]["nodes"]}
members = set(metadata["workspace_members"])
packages = [p for p in metadata["packages"] if p["id"] in used]
declared = {p["name"]: p.get("rust_version") for p in packages if p["id"] in members}
missing = [name for name, v in declared.items() if not v]
if missing:
    sys.exit(f"msrv.sh: {', '.join(missing)} declare no rust-version")
floor = min(declared.values(), key=version)
needs = [(p["rust_version"], p["name"], p["version"]) for p in packages
         if p["id"] not in members and p.get("rust_version")]
newest = max(needs, key=lambda n: version(n[0]))
over = sorted(n for n in needs if version(n[0]) > version(floor))
if over:
    listed = ", ".join(f"{name} {v} needs {rv}" for rv, name, v in over)
    sys.exit(f"msrv.sh: Cargo.toml declares rust-version {floor}, but {listed}")
print(f"msrv.sh: rust-version {floor}; the most any dependency needs is "
      f"{newest[0]} ({newest[1]} {newest[2]})")
PY
