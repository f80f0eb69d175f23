"""Catalogue commands: ``python -m services.catalogue {init,seed} [--synthetic N]``."""
from __future__ import annotations

import argparse
import json

from services.common.config import from_env
from services.common.db import connect_database

from . import seed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.catalogue")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the catalogue's indexes")
    seed_cmd = commands.add_parser("seed", help="load seed/catalogue (only what is missing)")
    seed_cmd.add_argument("--synthetic", type=int, default=0, metavar="N", help="also add N synthetic clinics")
    args = parser.parse_args(argv)
    connect_database(from_env("catalogue"))
    if args.command == "init":
        seed.ensure_indexes()
        print(json.dumps({"indexes": "ready"}))
    else:
        counts = seed.load_seed()
        if args.synthetic:
            counts["syntheticClinics"] = seed.load_synthetic(args.synthetic)
        print(json.dumps({"inserted": counts}))


if __name__ == "__main__":
    main()
