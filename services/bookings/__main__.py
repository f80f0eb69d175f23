"""Bookings commands: ``python -m services.bookings {init,seed,sweep,check}``.

init                  create the indexes; bring what was stored before the current shapes up to date
seed [--synthetic N]  load seed/bookings (only what is missing); N: also open slots for synthetic clinics
sweep [--every S]     finish or undo what a process that died halfway left (the seat ledger's claims past
                      their expiry), and move events into the event log; once, or every S seconds
check                 prove the seat ledger's books on the live database: print every broken invariant,
                      exit 1 if there is one
expiring              tell each registration expiring within 60 days (registration.expiring), once per
                      expiry; the sweeper's every round does it too
"""

import json
import logging
import sys
import time

from services.common.commands import run
from services.common.http import UpstreamFailure
from services.common.observability import configure_logging

from . import checker, events, registrations, seed, sweeper
from .app import create_app

SWEEP_EVERY = 15  # the Procfile's and Compose's sweep interval: the checker allows a claim that long past expiry


def _sweep_arguments(parser) -> None:
    parser.add_argument("--every", type=float, default=0, metavar="SECONDS", help="keep sweeping at this interval")


def _sweep(args, settings) -> None:
    configure_logging("bookings-sweeper", settings.log_level)
    log = logging.getLogger("clinicbridge.bookings.sweeper")
    with create_app(settings).app_context():  # the packages service is called to give quotes back
        while True:
            try:
                swept = sweeper.sweep(hold_seconds=settings.seat_hold_seconds)
                if args.every:  # a round of the long-running sweeper also tells registrations about to expire
                    registrations.warn_expiring()
                relayed = events.relay()
                if not args.every:
                    print(json.dumps(swept))
                elif any(swept.values()) or relayed:
                    log.info("swept", extra={**swept, "relayed": relayed})
            except Exception:  # the database may be down for a while; keep going
                if not args.every:
                    raise
                log.exception("sweep failed; retrying")
            if not args.every:
                return
            time.sleep(args.every)


def _check_arguments(parser) -> None:
    parser.add_argument(
        "--sweep-every", type=float, default=SWEEP_EVERY, metavar="SECONDS", help="the sweepers' interval"
    )


def _check(args, settings) -> None:
    with create_app(settings).app_context():
        try:
            problems = checker.lasting(args.sweep_every)
        except UpstreamFailure:
            print(json.dumps({"error": "the packages service could not be asked for its locked quotes"}))
            sys.exit(2)
    print(json.dumps({"broken": problems}, indent=1))
    sys.exit(1 if problems else 0)


def _expiring(args, settings) -> None:
    with create_app(settings).app_context():
        print(json.dumps({"told": registrations.warn_expiring()}))


if __name__ == "__main__":
    run(
        "bookings",
        seed,
        "also open N slots for synthetic clinics",
        extra={
            "sweep": (
                "give back seats of reservations never completed, settle moves and cancellations halfway",
                _sweep_arguments,
                _sweep,
            ),
            "check": ("prove the seat ledger's invariants on the live database", _check_arguments, _check),
            "expiring": (
                "tell each registration expiring within 60 days, once per expiry",
                lambda parser: None,
                _expiring,
            ),
        },
    )
