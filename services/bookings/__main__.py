"""Bookings commands: ``python -m services.bookings {init,seed} [--synthetic N]``."""
from services.common.commands import run

from . import seed

if __name__ == "__main__":
    run("bookings", seed, "also open N slots for synthetic clinics")
