"""The OpenAPI document as the code defines it (``intervisie openapi`` and its drift test)."""

from __future__ import annotations

import yaml

from shared.config import Settings


def spec_dict() -> dict:
    from services.api.app import create_app

    # No connection is made: creating the app only declares the engine.
    app = create_app(Settings(database_url="sqlite://"))
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


def render_yaml() -> str:
    return yaml.safe_dump(spec_dict(), sort_keys=False, allow_unicode=True, width=100)
