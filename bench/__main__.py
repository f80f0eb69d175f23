"""``make bench``: every benchmark, or the ones named (``make bench BENCH_ARGS=catalogue``)."""

from __future__ import annotations

import sys

from . import bookings, catalogue, gateway, hive, load, packages, scale, webhooks

BENCHES = {
    "catalogue": catalogue.run,
    "packages": packages.run,
    "bookings": bookings.run,
    "gateway": gateway.run,
    "load": load.run,
    "scale": scale.run,
    "hive": hive.run,
    "webhooks": webhooks.run,
}


def main(names: list[str]) -> None:
    for name in names or list(BENCHES):
        if name not in BENCHES:
            raise SystemExit(f"unknown bench {name!r}; choose from {', '.join(BENCHES)}")
        BENCHES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
