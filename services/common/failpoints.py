"""Named crash points for fault tests: ``FAILPOINTS=bookings.after_seat,...`` makes the process kill
itself (SIGKILL, as the kernel's OOM killer or a lost machine would) when it reaches one.

Never active in production: :func:`services.common.config.from_env` refuses to start with them.
"""
from __future__ import annotations

import os
import signal

ACTIVE = frozenset(name for name in os.environ.get("FAILPOINTS", "").split(",") if name)


def failpoint(name: str) -> None:
    if name in ACTIVE:
        os.kill(os.getpid(), signal.SIGKILL)
