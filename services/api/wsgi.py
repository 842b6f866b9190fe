"""WSGI entry point for gunicorn: ``gunicorn services.api.wsgi:app``."""

from services.api.app import create_app
from services.telemetry import configure_logging
from shared.config import Settings

settings = Settings.from_env()
configure_logging(settings.log_format, settings.log_level)  # the application's log lines as JSON, like the access log
app = create_app(settings)
