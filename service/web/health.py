"""Health for load balancers and orchestrators: alive (the process answers) is not ready (the store
answers). ``/healthz`` is readiness, as before."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from mappa_kb.web.store_watch import current_store

blueprint = Blueprint("health", __name__)


@blueprint.after_request
def never_kept(response: Response) -> Response:
    """Health is now or never: no cache (a proxy's, a browser's) may answer for the service."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/healthz/live")
def live() -> Response:
    """200 whenever this process can answer at all: restart it only when this fails."""
    return jsonify({"status": "alive"})


@blueprint.get("/healthz")
@blueprint.get("/healthz/ready")
def ready() -> tuple[Response, int]:
    """200 when the store answers, 503 (send no traffic here) when it does not."""
    store = current_store()
    answering = store.ready()
    body = {"status": "ok" if answering else "unavailable", "store": store.describe()}
    return jsonify(body), 200 if answering else 503
