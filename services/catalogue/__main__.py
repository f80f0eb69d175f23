"""Catalogue commands: ``python -m services.catalogue {init,seed} [--synthetic N]``."""

from services.common.commands import run

from . import seed

if __name__ == "__main__":
    run("catalogue", seed, "also add N synthetic clinics")
