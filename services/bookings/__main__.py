"""Bookings commands: ``python -m services.bookings {init,seed,sweep}``.

init                  create the indexes
seed [--synthetic N]  load seed/bookings (only what is missing); N: also open slots for synthetic clinics
sweep [--every S]     give back seats of bookings never recorded or cancelled halfway, and move events into the
                      event log; once, or every S seconds
"""

import json
import logging
import time

from services.common.commands import run
from services.common.observability import configure_logging

from . import events, seed, sweeper


def _sweep_arguments(parser) -> None:
    parser.add_argument("--every", type=float, default=0, metavar="SECONDS", help="keep sweeping at this interval")


def _sweep(args, settings) -> None:
    configure_logging("bookings-sweeper", settings.log_level)
    log = logging.getLogger("clinicbridge.bookings.sweeper")
    while True:
        try:
            swept = sweeper.sweep(hold_seconds=settings.seat_hold_seconds)
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


if __name__ == "__main__":
    run(
        "bookings",
        seed,
        "also open N slots for synthetic clinics",
        extra={"sweep": ("give back seats of bookings never recorded or cancelled halfway", _sweep_arguments, _sweep)},
    )
