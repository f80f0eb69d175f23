"""Run a command and start it again when it dies, loudly: ``python -m scripts.keep_running CMD ...``.

``make run`` wraps every Procfile process in it. Honcho stops the whole stack when any process
exits, which is right for a crash loop (an import error would otherwise scroll by forever) and
wrong for one crash (the rest of the stack, and the developer's place in it, would be lost). So
a process that dies is started again after a short pause, with a line that cannot be missed;
one that dies ``GIVE_UP_AFTER`` times within ``WINDOW_SECONDS`` is left dead, and honcho stops
everything as before. SIGTERM and SIGINT are passed on, and stop the loop.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

GIVE_UP_AFTER = 5
WINDOW_SECONDS = 60.0
PAUSE_SECONDS = 1.0


def main(command: list[str]) -> int:
    name = " ".join(command[:3])
    stopping = False
    child: subprocess.Popen | None = None

    def forward(signum, _frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    crashes: list[float] = []
    while True:
        child = subprocess.Popen(command)
        code = child.wait()
        if stopping:
            return code
        now = time.monotonic()
        crashes = [at for at in crashes if now - at < WINDOW_SECONDS] + [now]
        if len(crashes) >= GIVE_UP_AFTER:
            print(
                f"!!! [keep_running] {name} died {len(crashes)} times in {WINDOW_SECONDS:.0f} s (exit {code}); "
                "giving up, so the whole stack stops",
                file=sys.stderr,
                flush=True,
            )
            return code or 1
        print(
            f"!!! [keep_running] {name} died (exit {code}); starting it again in {PAUSE_SECONDS:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
