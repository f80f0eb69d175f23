"""Named crash points for fault tests: ``FAILPOINTS=bookings.after_seat,...`` makes the process kill
itself (SIGKILL, as the kernel's OOM killer or a lost machine would) when it reaches one;
``name:raise`` makes it raise instead, as an unexpected bug would (the request answers 500).

Never active in production: :func:`services.common.config.from_env` refuses to start with them.
"""

from __future__ import annotations

import os
import signal

ACTIVE = dict((entry.split(":", 1) + ["kill"])[:2] for entry in os.environ.get("FAILPOINTS", "").split(",") if entry)


class Failpoint(RuntimeError):
    """Raised at a failpoint set to ``raise``."""


def failpoint(name: str) -> None:
    action = ACTIVE.get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise Failpoint(name)
