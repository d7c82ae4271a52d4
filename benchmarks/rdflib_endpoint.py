"""The rdflib baseline for benchmarks/endpoint.py: a plain Flask SPARQL endpoint over an rdflib Graph.

python benchmarks/rdflib_endpoint.py PORT FILE.nt
"""

from __future__ import annotations

import sys

from flask import Flask, Response, request
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


if __name__ == "__main__":
    import waitress

    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=4)
