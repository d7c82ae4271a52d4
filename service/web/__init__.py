"""The Flask application factory: configuration in, blueprints registered, nothing global."""

from __future__ import annotations

from flask import Flask, Response

from ..config import Settings
from ..store import Store


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    """Build the web service over ``store`` (default: the embedded store at ``settings.store_path``)."""
    from ..store import EmbeddedStore
    from . import health, sparql

    settings = settings or Settings.from_environment()
    app = Flask(__name__)
    app.config["MAPPA_SETTINGS"] = settings
    limits = {
        "timeout": settings.query_timeout,
        "max_rows": settings.max_rows,
        "base_uri": settings.base_uri,
        "service_allow": settings.service_allow,
    }
    if store is None and settings.endpoint:
        from ..remote import RemoteStore

        store = RemoteStore(settings.endpoint, **limits)
    elif store is None:
        store = EmbeddedStore(settings.store_path, workers=settings.query_workers, **limits)
    app.extensions["mappa_store"] = store
    app.register_blueprint(health.blueprint)
    app.register_blueprint(sparql.blueprint)

    @app.after_request
    def allow_cross_origin(response: Response) -> Response:
        # Browser tools on other sites query us; the endpoint is read-only, so any origin may.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Content-Type, MAPPA-Results-Truncated"
        return response

    return app
