"""gunicorn entry point: ``gunicorn services.catalogue.wsgi:app``."""

from services.common.app import start_read_models

from .app import create_app

app = start_read_models(create_app())
