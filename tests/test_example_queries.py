"""The example queries shipped for the query page: each parses, runs on the real service and returns rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "service" / "examples").glob("*.rq"))


def test_there_are_example_queries() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_has_a_title_and_returns_rows(live_server: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# title: ") and "\n# description: " in text
    response = requests.post(
        f"{live_server}/sparql",
        data={"query": text},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"], f"{path.name} returned no rows"
