"""``make check``'s schema diff: GraphQL Inspector compares the released SDL with the current one and fails
on a breaking change that the changelog does not list with its migration.

    python -m scripts.schema_diff [--released schemas/gateway.released.graphql] [--current schemas/gateway.graphql]
                                  [--changelog CHANGELOG.md]

GraphQL Inspector (``@graphql-inspector/cli``) is installed by the Makefile under ``tools/graphql`` from its
committed ``package-lock.json``; ``tools/graphql/changelog-check.js`` reads the changelog.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "graphql"


def diff(released: Path, current: Path, changelog: Path) -> subprocess.CompletedProcess:
    inspector = TOOLS / "node_modules" / ".bin" / "graphql-inspector"
    if not inspector.exists():
        sys.exit(f"{inspector} is missing: run `make check` (it installs tools/graphql with npm ci)")
    return subprocess.run(
        [str(inspector), "diff", str(released), str(current), "--onComplete", str(TOOLS / "changelog-check.js")],
        cwd=ROOT,
        env={**os.environ, "SCHEMA_CHANGELOG": str(changelog), "NO_COLOR": "1", "FORCE_COLOR": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--released", type=Path, default=ROOT / "schemas" / "gateway.released.graphql")
    parser.add_argument("--current", type=Path, default=ROOT / "schemas" / "gateway.graphql")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    args = parser.parse_args(argv)
    result = diff(args.released, args.current, args.changelog)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
