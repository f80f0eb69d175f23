"""gunicorn entry point: ``gunicorn services.packages.wsgi:app``."""
from .app import create_app

app = create_app()
