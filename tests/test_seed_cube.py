"""Every figure of the seed report is in the cube, read back by SPARQL, cell by cell.

The expected figures come from ../shared/data/mappa_stats.csv, which transcribed the seed's tables
independently of our reader; a dash there must be a not-applicable cell here, never a zero.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef

from mappa_kb import paths, uris
from mappa_kb.knowledge.cube import joinable_codes

from .conftest import shared_file

SEED_SOURCE = "seed document 000_fa645a06b25c6f03.txt"


def seed_rows() -> list[dict[str, str]]:
    with shared_file("data/mappa_stats.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["source_url"] == SEED_SOURCE and r["table"] != "other"]
    assert len(rows) >= 57, "the shared CSV no longer holds the seed's figures"
    return rows


CELL_QUERY = """
PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX mappa: <https://w3id.org/mappa-kb/def/mappa/>
SELECT ?cell ?value ?kind ?page ?line WHERE {
    ?cell sdmxd:refArea ?area ; sdmxd:refPeriod ?period ; mcube:statistic ?statistic ;
          mcube:managementLevel ?level ; mcube:offenderCategory ?category ; a ?kind ;
          prov:wasDerivedFrom ?table ; mcube:sourceLine ?line .
    ?table mappa:page ?page .
    FILTER (?kind IN (qb:Observation, mcube:NotApplicableCell))
    OPTIONAL { ?cell sdmxm:obsValue ?value }
}
"""


@pytest.mark.parametrize(
    "row", seed_rows(), ids=lambda r: f"{r['table']}-L{r['level'] or 'all'}-C{r['category'] or 'all'}"
)
def test_seed_figure_is_in_the_cube(kb: Graph, row: dict[str, str]) -> None:
    start_year = int(row["period_end"][:4]) - 1
    level, category = joinable_codes(row["table"], row["level"] or "total", row["category"] or "total")
    bindings = {
        "area": uris.area("durham"),
        "period": (
            uris.day(date.fromisoformat(row["period_end"]))
            if row["period_start"] == row["period_end"]
            else uris.reporting_year(start_year)
        ),
        "statistic": uris.statistic(row["table"]),
        # (coded as the cube codes every source: a Level 2 and 3 total is level:2-and-3, an order one figure)
        "level": uris.management_level(level),
        "category": uris.offender_category(category),
    }
    answers = list(kb.query(CELL_QUERY, initBindings=bindings))
    assert len(answers) == 1, f"expected one cell for {row}, found {len(answers)}"
    answer = answers[0]
    assert answer.page == Literal(3) and int(answer.line) > 0
    if row["value"] == "-":
        assert answer.kind == URIRef("https://w3id.org/mappa-kb/def/cube/NotApplicableCell")
        assert answer.value is None
    else:
        assert answer.kind == URIRef("http://purl.org/linked-data/cube#Observation")
        assert Decimal(str(answer.value)) == Decimal(row["value"])


def test_a_dash_is_neither_zero_nor_missing(kb: Graph) -> None:
    query = """
    PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
    PREFIX qb: <http://purl.org/linked-data/cube#>
    SELECT (COUNT(?na) AS ?dashes) (COUNT(?obs) AS ?observations) WHERE {
        { ?na a mcube:NotApplicableCell ; mcube:notApplicableIn ?seed }
        UNION
        { ?obs a qb:Observation ; qb:dataSet ?seed ; mcube:statistic ?s ; mcube:managementLevel ?l ; mcube:offenderCategory ?c .
          ?na2 a mcube:NotApplicableCell ; mcube:notApplicableIn ?seed ; mcube:statistic ?s ; mcube:managementLevel ?l ;
               mcube:offenderCategory ?c }
        VALUES ?seed {
            <https://w3id.org/mappa-kb/id/dataset/durham-2010-11>
            <https://w3id.org/mappa-kb/id/dataset/durham-2010-11-county-durham-and-darlington-2010-11>
        }
    }"""
    row = next(iter(kb.query(query)))
    # Category 3 at Level 1, and six SOPO-breach cells for Categories 2 and 3: in the report as
    # published, and in the headline layer
    assert int(row.dashes) == 14
    assert int(row.observations) == 0  # no dash has a figure beside it


def test_the_shipped_seed_file_is_what_ingest_generates(tmp_path) -> None:
    from mappa_kb.cli import main

    from .conftest import SEED

    out = tmp_path / "data"
    assert (
        main(
            [
                "ingest",
                str(SEED),
                "--area",
                "Durham",
                "--source",
                "county-durham-and-darlington-2010-11",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    name = "sources/county-durham-and-darlington-2010-11/durham-2010-11.ttl"
    generated = (out / name).read_text(encoding="utf-8")
    shipped = (paths.kb_root() / "data" / name).read_text(encoding="utf-8")
    assert generated == shipped, f"data/{name} is stale: regenerate it with mappa-kb ingest"
