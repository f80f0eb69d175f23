"""One module owns every claim on a seat: nothing but the seat ledger calls the store's seat and claim writes."""

from __future__ import annotations

import ast
from pathlib import Path

from services.bookings import store

ROOT = Path(__file__).resolve().parents[2]
SEAT_WRITES = {
    "take_seat",
    "give_seat_back",
    "take_units",
    "give_units_back",
    "insert_claim",
    "move_claim",
    "fence_booking",
}
LEDGER = ROOT / "services" / "bookings" / "ledger.py"


def callers(name: str) -> list[str]:
    """Every place outside the data-access module that calls ``store.<name>``, or imports it by name."""
    found = []
    for path in sorted((ROOT / "services").rglob("*.py")) + sorted((ROOT / "gateway").rglob("*.py")):
        if path == ROOT / "services" / "bookings" / "store.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            called = (
                isinstance(node, ast.Attribute) and node.attr == name and getattr(node.value, "id", None) == "store"
            )
            imported = isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names)
            if called or imported:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_ledger_writes_seats_and_claims():
    assert set(store.registry.writes()) >= SEAT_WRITES  # they are the store's registered writes
    strangers = {
        name: [c for c in callers(name) if not c.startswith("services/bookings/ledger.py")] for name in SEAT_WRITES
    }
    assert strangers == {name: [] for name in SEAT_WRITES}
    assert all(callers(name) for name in SEAT_WRITES)  # and the ledger does call each one
