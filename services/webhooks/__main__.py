"""Webhooks commands: ``python -m services.webhooks {init,seed,dispatch}``.

init                      create the indexes, and seal signing secrets stored in plain text
seed                      the same (there is no seed data)
dispatch [--once]         deliver events to partners' endpoints; keeps going unless --once
reseal                    seal every signing secret with the newest of WEBHOOK_SECRET_KEYS (after adding a key)
"""

import json
import logging

from services.common.commands import run
from services.common.observability import configure_logging
from services.common.tracing import start_tracing

from . import endpoints, seed
from .dispatcher import Dispatcher
from .sealing import sealer


def _dispatch_arguments(parser) -> None:
    parser.add_argument("--once", action="store_true", help="fan out and send what is due once, then stop")


def _dispatch(args, settings) -> None:
    configure_logging("webhooks-dispatcher", settings.log_level)
    start_tracing("webhooks-dispatcher")  # each send continues the trace of the change it tells of
    seed.ensure_indexes(settings)
    dispatcher = Dispatcher(settings)
    if args.once:
        dispatcher.run_once()
        return
    logging.getLogger("clinicbridge.webhooks.dispatcher").info("dispatching", extra={"dispatcher": dispatcher.name})
    dispatcher.run(settings.webhook_poll_seconds)


def _reseal(args, settings) -> None:
    seed.ensure_indexes(settings)
    print(json.dumps({"resealed": endpoints.seal_all(sealer(settings))}))


if __name__ == "__main__":
    run(
        "webhooks",
        seed,
        "(no synthetic data)",
        extra={
            "dispatch": ("deliver events to partners' webhook endpoints", _dispatch_arguments, _dispatch),
            "reseal": ("seal every signing secret with the newest key", lambda parser: None, _reseal),
        },
    )
