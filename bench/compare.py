"""``make bench BENCH_ARGS="compare REV load bookings"``: benches run on an earlier commit and on this
tree, one after the other in the same run, each on a fresh stack, their figures printed side by side.

The earlier commit is checked out into a scratch folder (``git worktree``) with this tree's benches
copied over it, so both are measured the same way, and run with this tree's virtual environment;
nothing of it is kept.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_output(tree: Path, name: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", f"from bench import {name}; {name}.run()"],  # that bench alone, whatever else changed
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
    )
    return done.stdout + (f"\n(exit {done.returncode})\n{done.stderr[-3000:]}" if done.returncode else "")


def run(revision: str, names: list[str]) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as scratch:
        earlier = Path(scratch) / "earlier"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(earlier), commit], cwd=ROOT, check=True, capture_output=True
        )
        shutil.copytree(
            ROOT / "bench", earlier / "bench", dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules")
        )
        try:
            for name in names:
                before = bench_output(earlier, name)
                after = bench_output(ROOT, name)
                print(f"\n===== {name} at {commit} (earlier) =====\n{before.strip()}")
                print(f"\n===== {name} on this tree =====\n{after.strip()}", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(earlier)], cwd=ROOT, capture_output=True)
