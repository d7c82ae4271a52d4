"""``/healthz`` for load balancers: 200 when the store answers, 503 when it does not."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    store = current_app.extensions["mappa_store"]
    ready = store.ready()
    body = {"status": "ok" if ready else "unavailable", "store": store.describe()}
    return jsonify(body), 200 if ready else 503
