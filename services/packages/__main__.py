"""Packages commands: ``python -m services.packages {init,seed,migrate,relay}``.

init                  create the indexes
seed [--synthetic N]  load seed/packages (only what is missing); N: also N synthetic packages of synthetic clinics
migrate               complete documents kept in an older shape (idempotent: a second run changes nothing)
relay [--every S]     log the package events a process that died left behind, and keep the event log to its
                      horizon (EVENT_HORIZON_DAYS); once, or every S seconds
"""

import json
import logging
import time
from datetime import timedelta

from services.common.commands import run
from services.common.observability import configure_logging

from . import events, seed, store


def _relay_arguments(parser) -> None:
    parser.add_argument("--every", type=float, default=0, metavar="SECONDS", help="keep relaying at this interval")


def _relay(args, settings) -> None:
    configure_logging("packages-relay", settings.log_level)
    log = logging.getLogger("clinicbridge.packages.relay")
    horizon = timedelta(days=settings.event_horizon_days)
    while True:
        try:
            done = events.relay(horizon)
            if not args.every:
                print(json.dumps(done))
            elif done["relayed"] or done["dropped"]:
                log.info("relayed", extra=done)
        except Exception:  # the database may be down for a while; keep going
            if not args.every:
                raise
            log.exception("relay failed; retrying")
        if not args.every:
            return
        time.sleep(args.every)


def _migrate(args, settings) -> None:
    store.migrate_rates()
    changed = store.migrate_documents() + store.migrate_derived()
    print(json.dumps({"migrated": changed}))


if __name__ == "__main__":
    run(
        "packages",
        seed,
        "also add N synthetic packages of the synthetic clinics",
        extra={
            "relay": ("log package events left behind, and keep the log to its horizon", _relay_arguments, _relay),
            "migrate": ("complete documents kept in an older shape, idempotently", lambda parser: None, _migrate),
        },
    )
