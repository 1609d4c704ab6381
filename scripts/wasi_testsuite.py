#!/usr/bin/env python3
"""Runs the wasi-testsuite's preview1 tests against a bolinho binary; scripts/wasi-testsuite.sh
builds bolinho and calls this. Standard library only.

It owns: finding the suites and tests, reading each test's JSON specification, running bolinho the
way the suite's runner runs wasmtime (test-runner/wasi_test_runner and adapters/wasmtime.py on the
suite's prod/testsuite-base branch), checking the result the same way, and the report. It must not
write into the suite copy: a test's ROOT directory is copied to a scratch directory first.

Usage: wasi_testsuite.py BOLINHO SUITE_DIR [TEST...]
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# bolinho implements WASI preview1 only; the runner skips suites a runtime does not support.
SUPPORTED_VERSION = "wasm32-wasip1"
KNOWN_VERSIONS = {"wasm32-wasip1", "wasm32-wasip2", "wasm32-wasip3"}
# `dirs` is the layout before wasi-testsuite #264 (June 2026): each listed directory preopened
# under its own name (`--dir D::D`); since then, one `root` mounted at the guest's `/`.
LEGACY_KEYS = {"args", "root", "dirs", "env", "exit_code", "stderr", "stdout"}
OPERATION_KEYS = {"operations", "proposals", "world", "servers"}
# Operations a batch run can carry out; the others (connect, send, recv, request, kill) talk to a
# running guest over the network and only appear in preview3 tests.
BATCH_OPERATIONS = {"run", "read", "write", "wait"}


class SpecError(Exception):
    """A test's JSON that this script cannot run (or that the suite's runner would reject)."""


class Plan:
    """One test, resolved: what to pass to bolinho and what to expect back."""

    def __init__(self):
        self.args = []
        self.env = {}
        self.root = None  # a Path, relative to the test's directory, mounted at the guest's `/`
        self.dirs = []  # the older layout: Paths, relative to the test's directory, each at its name
        self.stdin = ""
        self.reads = []  # (stream, expected text), checked in order, as the runner reads them
        self.exit_code = 0


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    bolinho, suite, wanted = Path(argv[1]), Path(argv[2]), set(argv[3:])
    timeout = float(os.environ.get("WASI_TESTSUITE_TIMEOUT", "5"))
    verbose = os.environ.get("WASI_TESTSUITE_VERBOSE") == "1"
    if not bolinho.is_file():
        print(f"wasi_testsuite.py: error: bolinho binary not found: {bolinho}", file=sys.stderr)
        return 2

    tests = []
    for suite_dir in find_suites(suite):
        name, version = read_manifest(suite_dir)
        found = sorted(suite_dir.glob("*.wasm"))
        if version != SUPPORTED_VERSION:
            print(f"not run: {name} ({len(found)} tests): bolinho supports {SUPPORTED_VERSION} only",
                  file=sys.stderr)
            continue
        tests += [t for t in found if not wanted or t.stem in wanted]
    if not tests:
        print(f"wasi_testsuite.py: error: no {SUPPORTED_VERSION} tests found under {suite}"
              + (f" named {' '.join(sorted(wanted))}" if wanted else ""), file=sys.stderr)
        return 2
    missing = wanted - {t.stem for t in tests}
    if missing:
        print(f"wasi_testsuite.py: error: no such test: {' '.join(sorted(missing))}", file=sys.stderr)
        return 2

    passed = failed = 0
    scratch = Path(tempfile.mkdtemp(prefix="bolinho-wasi-testsuite."))
    try:
        for i, test in enumerate(tests):
            problems, detail = run_test(bolinho, test, scratch / str(i), timeout)
            if problems:
                failed += 1
                print(f"FAIL {test.stem}: {'; '.join(problems)}", flush=True)
                if verbose and detail:
                    print(indent(detail), flush=True)
            else:
                passed += 1
                print(f"PASS {test.stem}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def find_suites(suite):
    """Every directory holding a manifest.json, as the runner's find_test_dirs; tests/ if present."""
    top = suite / "tests" if (suite / "tests").is_dir() else suite
    return sorted(p.parent for p in top.rglob("manifest.json"))


def read_manifest(suite_dir):
    """The suite's name and WASI version, with the runner's defaults (_read_manifest)."""
    name, version = str(suite_dir), SUPPORTED_VERSION
    if suite_dir.name in KNOWN_VERSIONS:
        name, version = str(suite_dir.parent), suite_dir.name
    manifest = json.loads((suite_dir / "manifest.json").read_text(encoding="utf-8"))
    return manifest.get("name", name), manifest.get("version", version)


def read_plan(test):
    """The test's specification (TEST.json beside TEST.wasm, else the defaults), as a Plan."""
    plan = Plan()
    spec_path = test.with_suffix(".json")
    if not spec_path.exists():
        return plan
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    keys = set(spec)
    if keys & OPERATION_KEYS and keys & LEGACY_KEYS:
        raise SpecError("specification mixes the legacy and operation styles")
    if not keys & OPERATION_KEYS:
        unknown = keys - LEGACY_KEYS
        if unknown:
            raise SpecError(f"unknown keys in specification: {', '.join(sorted(unknown))}")
        # The runner turns the legacy form into run, read stdout, read stderr, wait.
        run = ("args", "env", "root", "dirs")
        operations = [{"type": "run", **{k: spec[k] for k in run if k in spec}}]
        for stream in ("stdout", "stderr"):
            if spec.get(stream) is not None:
                operations.append({"type": "read", "id": stream, "payload": spec[stream]})
        operations.append({"type": "wait", "exit_code": spec.get("exit_code", 0)})
    else:
        unknown = keys - OPERATION_KEYS
        if unknown:
            raise SpecError(f"unknown keys in specification: {', '.join(sorted(unknown))}")
        if spec.get("proposals") or spec.get("servers"):
            raise SpecError("needs proposals or servers bolinho does not have")
        if spec.get("world", "wasi:cli/command") != "wasi:cli/command":
            raise SpecError(f"needs the {spec['world']} world")
        operations = spec.get("operations") or []
    runs = [op for op in operations if op.get("type") == "run"]
    if len(runs) != 1 or not any(op.get("type") == "wait" for op in operations):
        raise SpecError("expected exactly one run and one wait operation")
    for op in operations:
        kind = op.get("type")
        if kind not in BATCH_OPERATIONS:
            raise SpecError(f"operation {kind!r} is not supported by this script")
        if kind == "run":
            plan.args = list(op.get("args", []))
            plan.env = dict(op.get("env", {}))
            plan.root = Path(op["root"]) if op.get("root") else None
            plan.dirs = [Path(d) for d in op.get("dirs", [])]
        elif kind == "read":
            plan.reads.append((op.get("id", "stdout"), op.get("payload", "")))
        elif kind == "write":
            plan.stdin += op.get("payload", "")
        elif kind == "wait":
            plan.exit_code = op.get("exit_code", 0)
    return plan


def run_test(bolinho, test, scratch, timeout):
    """Runs one test; returns (problems, detail): problems empty on a pass."""
    try:
        plan = read_plan(test)
    except (SpecError, ValueError, KeyError, TypeError) as error:
        return [f"cannot run: {error}"], ""

    argv = [str(bolinho), "run"]
    for key, value in plan.env.items():
        argv += ["--env", f"{key}={value}"]
    # The runner mounts the test's directories themselves and removes `*.cleanup` files around
    # the test; mounting fresh copies keeps the suite untouched and the tests independent.
    for host, guest in ([(plan.root, "/")] if plan.root else []) + [(d, str(d)) for d in plan.dirs]:
        copy = scratch / host.name
        shutil.copytree(test.parent / host, copy, symlinks=True)
        remove_cleanup_files(copy)
        argv += ["--dir", f"{copy}::{guest}"]
    argv += [test.name, "--", *plan.args]

    try:
        done = subprocess.run(argv, cwd=test.parent, input=plan.stdin.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        return [f"timed out after {timeout:g}s"], describe(argv, expired.stdout, expired.stderr)

    streams = {"stdout": text(done.stdout), "stderr": text(done.stderr)}
    problems = []
    if done.returncode != plan.exit_code:
        problems.append(f"expected exit {plan.exit_code}, got {done.returncode}")
    for stream, expected in plan.reads:
        # As the runner's do_read: read as many characters as expected, compare those.
        got, streams[stream] = streams[stream][:len(expected)], streams[stream][len(expected):]
        if got != expected:
            problems.append(f"{stream} differs: expected {shorten(expected)}, got {shorten(got)}")
    if problems:
        hint = stderr_hint(text(done.stderr))
        if hint:
            problems.append(f"stderr: {shorten(hint, 320)}")
    return problems, describe(argv, done.stdout, done.stderr)


def stderr_hint(stderr):
    """The most telling part of stderr for a one-line report: a Rust guest's panic message
    (the `panicked at` line and the message under it, noting the trap that follows), else the
    last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    trapped = any(line.startswith("bolinho: error: the guest trapped") for line in lines)
    for i, line in enumerate(lines):
        if "panicked at" in line:
            message = [line[line.index("panicked at"):]]
            for more in lines[i + 1:]:
                if more.startswith(("note:", "bolinho:")):
                    break
                message.append(more)
            return " ".join(message) + (" (then trapped)" if trapped else "")
    return lines[-1] if lines else ""


def remove_cleanup_files(directory):
    """The runner's _cleanup_test_output: tests name what they create `*.cleanup`."""
    for path in directory.glob("**/*.cleanup"):
        if path.is_symlink():
            continue
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def text(data):
    """Decodes output as the runner's text-mode pipes do (UTF-8, universal newlines)."""
    decoded = (data or b"").decode("utf-8", errors="replace")
    return decoded.replace("\r\n", "\n").replace("\r", "\n")


def shorten(value, limit=120):
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "..."


def describe(argv, stdout, stderr):
    return "\n".join([
        "command: " + shlex.join(argv),
        "==stdout==", text(stdout).rstrip("\n"),
        "==stderr==", text(stderr).rstrip("\n"),
    ])


def indent(block):
    return "\n".join("    " + line for line in block.splitlines())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
