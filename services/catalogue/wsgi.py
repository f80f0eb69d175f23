"""gunicorn entry point: ``gunicorn services.catalogue.wsgi:app``."""
from .app import create_app

app = create_app()
