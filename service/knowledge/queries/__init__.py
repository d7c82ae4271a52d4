"""Fixed SPARQL queries, kept as .rq files; values reach them only as bound IRIs or literals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from mappa_kb import uris

if TYPE_CHECKING:  # the store module reads queries too
    from mappa_kb.engine.interface import Bindings, Store

_HERE = Path(__file__).parent


def load(name: str) -> str:
    """The text of ``name``.rq from this folder."""
    return (_HERE / f"{name}.rq").read_text(encoding="utf-8")


def for_base(name: str, base_uri: str) -> str:
    """``name``.rq with our IRIs under a deployment's configured base (the store holds them so)."""
    return uris.rebase(load(name), base_uri)


def is_true(value: str) -> bool:
    """An xsd:boolean as a store writes it in results: "true" (Oxigraph) or "1" (Virtuoso)."""
    return value in ("true", "1")


class IncompleteAnswer(RuntimeError):
    """The store cut a fixed query's answer short (its row limit is lower than the data needs)."""


def select(store: Store, name: str, base_uri: str, bindings: Bindings = ()) -> list[dict[str, str]]:
    """Run ``name``.rq on ``store`` with ``bindings``: each row as variable -> value (absent: "")."""
    result = store.run(for_base(name, base_uri), "json", bindings=bindings)
    if result.truncated:
        raise IncompleteAnswer(f"the store cut the answer to {name}.rq short; raise MAPPA_KB_MAX_ROWS")
    answer = json.loads(result.body)
    names = answer["head"]["vars"]
    return [{n: row[n]["value"] if n in row else "" for n in names} for row in answer["results"]["bindings"]]
