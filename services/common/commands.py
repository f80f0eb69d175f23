"""Each service's command line: ``python -m services.<name> {init,seed} [--synthetic N]``.

A service's seed module provides ``ensure_indexes()``, ``load_seed()`` and ``load_synthetic(n)``;
each service loads only its own part of ``seed/``, through its own models.
"""

from __future__ import annotations

import argparse
import json
from types import ModuleType

from .config import from_env
from .db import connect_database


def run(service: str, seed: ModuleType, synthetic_help: str, argv=None, extra: dict | None = None) -> None:
    """``extra`` adds a service's own commands: name -> (help, add_arguments(parser), handler(args, settings))."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_arguments, _) in (extra or {}).items():
        add_arguments(commands.add_parser(name, help=help_text))
    commands.add_parser("init", help=f"create the {service} indexes")
    seed_cmd = commands.add_parser("seed", help=f"load seed/{service} (only what is missing)")
    seed_cmd.add_argument("--synthetic", type=int, default=0, metavar="N", help=synthetic_help)
    args = parser.parse_args(argv)
    settings = from_env(service)
    connect_database(settings)
    if extra and args.command in extra:
        extra[args.command][2](args, settings)
        return
    if args.command == "init":
        seed.ensure_indexes()
        print(json.dumps({"indexes": "ready"}))
        return
    counts = seed.load_seed()
    if args.synthetic:
        counts["synthetic"] = seed.load_synthetic(args.synthetic)
    print(json.dumps({"inserted": counts}))
