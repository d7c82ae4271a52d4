"""The rdflib baseline for benchmarks/endpoint.py: a plain Flask SPARQL endpoint over an rdflib Graph.

rdflib's query parser is not thread-safe, so this runs the way such an endpoint is deployed: gunicorn
with one synchronous process per core, the graph parsed once before the fork.

python benchmarks/rdflib_endpoint.py PORT FILE.nt
"""

from __future__ import annotations

import os
import sys

from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication
from rdflib import Graph

graph = Graph().parse(sys.argv[2], format="nt")
app = Flask(__name__)


@app.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    query = request.values.get("query", "")
    result = graph.query(query)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return Response(result.serialize(format="nt"), mimetype="application/n-triples")
    return Response(result.serialize(format="json"), mimetype="application/sparql-results+json")


class _Server(BaseApplication):
    def load_config(self) -> None:
        self.cfg.set("bind", f"127.0.0.1:{sys.argv[1]}")
        self.cfg.set("workers", os.cpu_count() or 2)
        self.cfg.set("timeout", 600)

    def load(self) -> Flask:
        return app


if __name__ == "__main__":
    _Server().run()
