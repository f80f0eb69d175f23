"""The docs' GraphQL examples still run as shown: every operation of docs/flows.md answers without an
error on a seeded stack, and the page shows exactly the operations ``scripts/examples.py`` sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scripts import examples

ROOT = Path(__file__).resolve().parents[1]


def test_every_documented_operation_runs_and_the_docs_show_them_all(private_stack):
    subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "demo"],
        env={**os.environ, **private_stack["env"]},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    done = examples.run(private_stack["gateway"])  # raises on any error or refusal
    assert [example.name for example, _, _ in done] == [e.name for _, flow in examples.FLOWS for e in flow]
    flows = (ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
    for example, _, _ in done:
        assert f"```graphql\n{example.query}\n```" in flows, (
            f"docs/flows.md is stale at {example.name}: run python -m scripts.examples"
        )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert json.dumps({"query": " ".join(examples.PARTNER[0].query.split())}) in readme  # the first example
