"""Named crash points for fault tests: ``FAILPOINTS=bookings.after_seat,...`` makes the process kill
itself (SIGKILL, as the kernel's OOM killer or a lost machine would) when it reaches one;
``name:raise`` makes it raise instead, as an unexpected bug would (the request answers 500), and
``name:sleep=S`` makes it stall for S seconds, as a paused process would.

``FAILPOINTS_FILE`` names a file read at every failpoint instead, in the same format, so a test can
change the points of a running process (a SIGKILLed gunicorn worker is started again by its master,
with the file as the test left it). In-process tests may set a callable in ``ACTIVE``.

Never active in production: :func:`services.common.config.from_env` refuses to start with them.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path


class Failpoint(RuntimeError):
    """Raised at a failpoint set to ``raise``."""


def parse(spec: str) -> dict[str, str]:
    """``a,b:raise,c:sleep=2`` -> {a: kill, b: raise, c: sleep=2}."""
    return dict((entry.split(":", 1) + ["kill"])[:2] for entry in spec.replace("\n", ",").split(",") if entry.strip())


ACTIVE: dict[str, str | Callable[[], None]] = {**parse(os.environ.get("FAILPOINTS", ""))}
FILE = os.environ.get("FAILPOINTS_FILE")


def _from_file() -> dict[str, str]:
    try:
        return parse(Path(FILE).read_text()) if FILE else {}
    except FileNotFoundError:
        return {}


def failpoint(name: str) -> None:
    action = ACTIVE.get(name) or (_from_file().get(name) if FILE else None)
    if action is None:
        return
    if callable(action):
        action()
    elif action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise Failpoint(name)
    elif action.startswith("sleep="):
        time.sleep(float(action.removeprefix("sleep=")))


def active() -> bool:
    """Whether any failpoint may fire in this process (production refuses to start if so)."""
    return bool(ACTIVE) or bool(FILE)
