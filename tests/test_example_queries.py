"""The example queries shipped for the query page: each parses, runs on the real service and returns rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

EXAMPLES = sorted(
    (Path(__file__).resolve().parent.parent / "service" / "knowledge" / "examples").glob("*.rq")
)


def test_there_are_example_queries() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_has_a_title_and_returns_rows(live_server: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# title: ") and "\n# description: " in text
    assert _select(live_server, text), f"{path.name} returned no rows"


def _select(live_server: str, text: str) -> list[dict]:
    response = requests.post(
        f"{live_server}/sparql",
        data={"query": text},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def _readme_first_query() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("```sparql\n", readme.index("A first SPARQL query")) + len("```sparql\n")
    return readme[start : readme.index("```", start)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_returns_no_row_twice(live_server: str, path: Path) -> None:
    rows = _select(live_server, path.read_text(encoding="utf-8"))
    seen = [tuple(sorted((k, v["value"]) for k, v in row.items())) for row in rows]
    assert len(seen) == len(set(seen)), f"{path.name} returns rows twice"


def test_readme_first_query_gives_each_figure_of_the_report_once(live_server: str) -> None:
    rows = _select(live_server, _readme_first_query())
    cells = [(r["statistic"]["value"], r["level"]["value"], r["category"]["value"]) for r in rows]
    assert len(cells) == len(set(cells)) > 50


def test_share_at_levels_2_and_3_is_the_reports_4_percent(live_server: str) -> None:
    text = (EXAMPLES[0].parent / "02-share-managed-at-levels-2-and-3.rq").read_text(encoding="utf-8")
    durham = [
        r for r in _select(live_server, text)
        if r["area"]["value"] == "County Durham and Darlington" and r["day"]["value"] == "2011-03-31"
    ]  # fmt: skip
    assert [(r["levels2and3"]["value"], r["percent"]["value"]) for r in durham] == [("24", "4")]


def test_the_default_graph_has_one_figure_per_cell(live_server: str) -> None:
    text = """
        PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
        PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
        PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>
        SELECT (COUNT(*) AS ?cells) (SUM(IF(?figures > 1, 1, 0)) AS ?twice) WHERE {
          SELECT ?a ?p ?s ?l ?c (COUNT(?v) AS ?figures) WHERE {
            ?obs sdmxd:refArea ?a ; sdmxd:refPeriod ?p ; mcube:statistic ?s ;
                 mcube:managementLevel ?l ; mcube:offenderCategory ?c ; sdmxm:obsValue ?v .
            FILTER NOT EXISTS { ?obs a mcube:OtherFigure }
          } GROUP BY ?a ?p ?s ?l ?c
        }"""
    (row,) = _select(live_server, text)
    assert int(row["cells"]["value"]) > 400
    assert row["twice"]["value"] == "0"


def test_every_source_as_published_is_one_clause_away(live_server: str) -> None:
    text = """
        PREFIX area: <https://w3id.org/mappa-kb/id/area/>
        PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
        PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
        PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>
        PREFIX statistic: <https://w3id.org/mappa-kb/id/statistic/>
        PREFIX category: <https://w3id.org/mappa-kb/id/offender-category/>
        SELECT ?value ?source WHERE {
          GRAPH ?source {
            ?obs sdmxd:refArea area:durham ; sdmxd:refPeriod <http://reference.data.gov.uk/id/day/2019-03-31> ;
                 mcube:statistic statistic:eligible-snapshot ; mcube:offenderCategory category:1 ; sdmxm:obsValue ?value .
          }
        }"""
    published = {(r["value"]["value"], r["source"]["value"]) for r in _select(live_server, text)}
    assert {value for value, _ in published} == {"787", "802"}
    assert all("/id/graph/source/" in source for _, source in published)
    assert (
        len(published) == 3
    )  # durhamhits; the Northern Echo's own page; the Northern Echo as durhamhits quotes it
