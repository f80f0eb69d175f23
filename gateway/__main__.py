"""Gateway commands.

python -m gateway init               create the gateway database's indexes (API keys, rate counters)
python -m gateway keys create --name NAME --role AGENCY --agency seoul-trips
python -m gateway keys revoke KEY_ID
python -m gateway keys demo          development only: the demo keys `make run` prints
python -m gateway sdl                print the schema (what schemas/gateway.graphql holds)
"""

from __future__ import annotations

import argparse
import json

from services.common.config import from_env
from services.common.db import connect_database

from . import keys, ratelimit

# Development only: fixed, public demo keys so `make run` can print keys that work.
DEMO_KEYS = [
    ("Demo agency (Seoul Trips)", "AGENCY", None, "seoul-trips", "cbk_demo_agency_seoul_trips"),
    ("Demo Oracle Skin Clinic admin", "CLINIC_ADMIN", "oracle-skin-clinic", None, "cbk_demo_oracle_clinic_admin"),
    ("Demo platform admin", "PLATFORM_ADMIN", None, None, "cbk_demo_platform_admin"),
]


def init(settings) -> None:
    """The gateway database's indexes; safe to run again."""
    keys.ApiKey.ensure_indexes()
    ratelimit.ensure_indexes(settings.service)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init")
    key_cmd = commands.add_parser("keys").add_subparsers(dest="action", required=True)
    create = key_cmd.add_parser("create")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["AGENCY", "CLINIC_ADMIN", "PLATFORM_ADMIN"])
    create.add_argument("--clinic")
    create.add_argument("--agency")
    key_cmd.add_parser("revoke").add_argument("key_id")
    key_cmd.add_parser("demo")
    commands.add_parser("sdl")
    args = parser.parse_args(argv)
    if args.command == "sdl":
        from .schema import sdl

        print(sdl(), end="")
        return
    settings = from_env("gateway")
    connect_database(settings)
    init(settings)
    if args.command == "init":
        return
    if args.action == "create":
        record, key = keys.create(args.name, args.role, clinic=args.clinic, agency=args.agency)
        print(json.dumps({"id": str(record.pk), "key": key, "role": record.role, "note": "shown once; store it now"}))
    elif args.action == "revoke":
        print(json.dumps({"revoked": keys.revoke(args.key_id)}))
    else:
        if settings.is_production:
            raise SystemExit("demo keys are for development only")
        for name, role, clinic, agency, key in DEMO_KEYS:
            if keys.principal_for(key) is None:
                keys.create(name, role, clinic=clinic, agency=agency, key=key)
            print(f"  {role:<15} {key}   ({name})")


if __name__ == "__main__":
    main()
