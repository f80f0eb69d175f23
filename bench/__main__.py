"""``make bench``: every benchmark, or the ones named (``make bench BENCH_ARGS=catalogue``); ``compare REV
NAME...`` runs the named ones on commit REV and on this tree, side by side (``bench/compare.py``)."""

from __future__ import annotations

import sys

from . import bookings, catalogue, compare, gateway, hive, load, packages, scale, seeding, webhooks

BENCHES = {
    "catalogue": catalogue.run,
    "packages": packages.run,
    "bookings": bookings.run,
    "gateway": gateway.run,
    "load": load.run,
    "scale": scale.run,
    "hive": hive.run,
    "webhooks": webhooks.run,
    "seed": seeding.run,
}


def main(names: list[str]) -> None:
    if names[:1] == ["compare"]:
        if len(names) < 3 or any(name not in BENCHES for name in names[2:]):
            raise SystemExit(f"usage: compare REV NAME... with names from {', '.join(BENCHES)}")
        compare.run(names[1], names[2:])
        return
    for name in names or list(BENCHES):
        if name not in BENCHES:
            raise SystemExit(f"unknown bench {name!r}; choose from {', '.join(BENCHES)}")
        BENCHES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
