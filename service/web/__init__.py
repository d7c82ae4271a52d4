"""The Flask application factory: configuration in, blueprints registered, nothing global."""

from __future__ import annotations

from flask import Flask

from ..config import Settings
from ..forker import WorkerForker
from ..store import EmbeddedStore, Store
from . import (
    fair_use,
    front,
    glossary,
    health,
    linked_data,
    operations,
    pages,
    publication,
    responses,
    skosmos,
    sparql,
    store_watch,
)
from .fair_use import ClientTable


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    clients: ClientTable | None = None,
    forker: WorkerForker | None = None,
) -> Flask:
    """Build the web service over ``store`` (default: the embedded store at ``settings.store_path``).

    ``clients`` counts fair use and ``forker`` starts the embedded store's query workers; ``mappa-kb
    serve`` passes one of each, shared by all its processes.
    """
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

        def open_store() -> Store:
            return EmbeddedStore(
                settings.store_path,
                workers=settings.query_workers,
                memory_copy_mb=settings.memory_copy_mb,
                forker=forker,
                **limits,
            )

        store = store_watch.open_or_stand_in(open_store, settings.base_uri)
        app.extensions["mappa_store"] = store
        store_watch.install(app, open_store)
    app.extensions["mappa_store"] = store
    for module in (health, operations, sparql, glossary, skosmos, linked_data, pages, publication):
        app.register_blueprint(module.blueprint)
    responses.install(app)
    fair_use.install(app, clients)
    operations.install(app)
    # Outermost: plain SPARQL GETs are answered, and repeated lookups sent again, in front of Flask.
    app.wsgi_app = front.Front(app, app.extensions["mappa_clients"])  # type: ignore[method-assign]

    glossary.preload(app)

    @app.context_processor
    def links() -> dict:
        # Templates link our IRIs to their pages on this service, whatever its host.
        return {"local": lambda iri: responses.local_link(iri, settings.base_uri)}

    return app
