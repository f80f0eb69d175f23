"""Packages commands: ``python -m services.packages {init,seed} [--synthetic N]``."""

from services.common.commands import run

from . import seed

if __name__ == "__main__":
    run("packages", seed, "also add N synthetic packages of the synthetic clinics")
