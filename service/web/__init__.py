"""The web: the Flask application factory (configuration in, blueprints registered, nothing global).

It owns every HTTP request: the blueprints (``sparql``, ``glossary``, ``skosmos``, ``linked_data``,
``pages``, ``publication``, ``health``), how answers go on the wire (``responses``: negotiation, caching
headers, errors), fair use, the request log and metrics (``fair_use``, ``operations``), the store a
request reads and its swaps (``store_watch``) and production serving with granian (``server``).
"""

from __future__ import annotations

from flask import Flask

from mappa_kb.config import Settings
from mappa_kb.engine.embedded import EmbeddedStore
from mappa_kb.engine.forker import WorkerForker
from mappa_kb.engine.interface import Store
from mappa_kb.web import (
    fair_use,
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
from mappa_kb.web.fair_use import ClientTable


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
        from mappa_kb.engine.remote import RemoteStore

        store = RemoteStore(settings.endpoint, **limits)
    elif store is None:

        def open_store() -> Store:
            return EmbeddedStore(
                settings.store_path,
                workers=settings.query_workers,
                memory_copy_mb=settings.memory_copy_mb,
                max_bytes=settings.max_answer_bytes,
                memory_mb=settings.query_memory_mb,
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

    glossary.preload(app)

    @app.context_processor
    def links() -> dict:
        # Templates link our IRIs to their pages on this service, whatever its host.
        return {"local": lambda iri: responses.local_link(iri, settings.base_uri)}

    return app
