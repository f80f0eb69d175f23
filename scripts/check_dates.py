"""Refuse the ways of building a date that break from 15:00 to 24:00 UTC, when Seoul is a day ahead.

Tests build every date, day range and "N days from now" through ``services.common.clock`` (or the
helpers over it in ``tests/support.py``). This check reads the files it is given and names every
place that asks the system clock directly (``datetime.now()``, ``date.today()``, ``utcnow()`` of
``datetime``) or takes ``.date()`` of a moment, whose calendar day depends on the moment's zone:
``clock.seoul_date(moment)`` says which day is meant. Run as ``python -m scripts.check_dates PATH...``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

SYSTEM_CLOCK = {
    ("datetime", "now"): "clock.utcnow() or clock.seoul_now()",
    ("datetime", "utcnow"): "clock.utcnow()",
    ("datetime", "today"): "clock.seoul_now()",
    ("date", "today"): "clock.seoul_today()",
}


def findings(source: str, filename: str) -> Iterator[str]:
    """Every place in ``source`` that builds a date the refused way, in the order they appear."""
    calls = [node for node in ast.walk(ast.parse(source, filename)) if isinstance(node, ast.Call)]
    for node in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attribute, owner = node.func.attr, node.func.value
        where = f"{filename}:{node.lineno}:{node.col_offset + 1}"
        if isinstance(owner, ast.Name) and (owner.id, attribute) in SYSTEM_CLOCK:
            yield f"{where}: {owner.id}.{attribute}() reads the system clock; use {SYSTEM_CLOCK[owner.id, attribute]}"
        elif attribute == "date" and not node.args and not node.keywords:
            yield f"{where}: .date() of a moment is the day in its own zone; use clock.seoul_date(moment)"


def main(paths: list[str]) -> int:
    files = sorted(f for p in paths for f in ([Path(p)] if Path(p).is_file() else Path(p).rglob("*.py")))
    found = [line for f in files for line in findings(f.read_text(), str(f))]
    print("\n".join(found) or f"dates: {len(files)} files build every date through services.common.clock")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["tests"]))
