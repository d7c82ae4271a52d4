"""Linked data over HTTP: /id/ 303s to /doc/, documents in every format, pages people read, helpful 404s,
and the canonical base whatever host the service runs on."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from mappa_kb.engine.versions import build_store

from .conftest import running_service

BASE = "https://w3id.org/mappa-kb/"
DURHAM = URIRef(BASE + "id/area/durham")
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def get(url: str, path: str, **kwargs) -> requests.Response:
    return requests.get(f"{url}{path}", timeout=10, **kwargs)


@pytest.mark.parametrize(
    "path",
    [
        "area/durham",
        "dataset/durham-2010-11",
        "glossary/sopo",
        "statistic/orders-sopo",
        "offender-category/1",
    ],
)
def test_an_id_uri_answers_303_to_its_document(live_server: str, path: str) -> None:
    response = get(live_server, f"/id/{path}", allow_redirects=False, headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/doc/{path}")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("how", "rdf_format"),
    [
        ({"headers": {"Accept": "text/turtle"}}, "turtle"),
        ({"headers": {"Accept": "application/ld+json"}}, "json-ld"),
        ({"headers": {"Accept": "application/n-triples"}}, "nt"),
        ({"headers": {"Accept": "application/rdf+xml"}}, "xml"),
        ({"params": {"format": "turtle"}}, "turtle"),
        ({"suffix": ".ttl"}, "turtle"),
        ({"suffix": ".jsonld"}, "json-ld"),
        ({"suffix": ".nt"}, "nt"),
        ({"suffix": ".rdf"}, "xml"),
    ],
)
def test_a_document_in_every_rdf_format(live_server: str, kb: Graph, how: dict, rdf_format: str) -> None:
    suffix = how.pop("suffix", "")
    response = get(live_server, f"/id/area/durham{suffix}", **how)
    assert response.status_code == 200, response.text
    graph = Graph().parse(data=response.content, format=rdf_format)
    assert set(graph.predicate_objects(DURHAM)) == set(kb.predicate_objects(DURHAM))


def test_a_browser_gets_a_page(live_server: str, kb: Graph) -> None:
    response = get(live_server, "/id/statistic/orders-sopo", headers=HTML)
    assert response.headers["Content-Type"].startswith("text/html")
    label = kb.value(URIRef(BASE + "id/statistic/orders-sopo"), SKOS.prefLabel)
    assert f"<h1>{label}</h1>" in response.text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_vocabulary_terms_dereference_under_def(live_server: str, kb: Graph) -> None:
    term = URIRef(BASE + "def/mappa/OffenderCategory")
    assert (term, RDF.type, None) in kb
    page = get(live_server, "/def/mappa/OffenderCategory", headers=HTML)
    assert page.status_code == 200 and f"<h1>{kb.value(term, RDFS.label)}</h1>" in page.text
    graph = Graph().parse(data=get(live_server, "/def/mappa/OffenderCategory.ttl").text, format="turtle")
    assert set(graph.predicate_objects(term)) == set(kb.predicate_objects(term))


def test_the_data_set_page_lays_out_the_report_tables_and_draws_the_chart(live_server: str) -> None:
    page = get(live_server, "/doc/dataset/durham-2010-11", headers=HTML).text
    assert "MAPPA-eligible offenders on 31 March" in page
    # The seed report's total of eligible offenders on 31 March 2011 is 593; dashes print as en dashes.
    assert ">593</a>" in page and ">\u2013</a>" in page
    assert page.count("<svg") >= 1 and 'role="img"' in page


def test_the_area_page_shows_every_year_and_a_series(live_server: str) -> None:
    page = get(live_server, "/doc/area/durham", headers=HTML).text
    assert "County Durham and Darlington" in page and "2010/11" in page
    assert "<svg" in page and "593" in page


@pytest.mark.parametrize(
    "path", ["/doc/area/atlantis", "/id/area/atlantis", "/def/mappa/NoSuchClass", "/doc/..%2f..%2fetc/passwd"]
)
def test_an_unknown_uri_is_a_helpful_404(live_server: str, path: str) -> None:
    page = get(live_server, path, headers=HTML)
    assert page.status_code == 404
    assert "Traceback" not in page.text and "search" in page.text.lower()
    plain = get(live_server, path, headers={"Accept": "text/turtle"})
    assert plain.status_code == 404


def test_a_hostile_path_is_reflected_escaped(live_server: str) -> None:
    page = get(live_server, "/doc/area/<script>alert(1)</script>", headers=HTML)
    assert page.status_code == 404 and "<script>alert(1)" not in page.text


def test_an_unknown_route_is_a_404_page_not_a_trace(live_server: str) -> None:
    response = get(live_server, "/nothing/here", headers=HTML)
    assert response.status_code == 404 and "home page" in response.text


def test_an_unsupported_extension_is_406(live_server: str) -> None:
    assert get(live_server, "/doc/area/durham", params={"format": "xlsx"}).status_code == 406


def test_the_canonical_base_is_kept_whatever_the_host(tmp_path: Path) -> None:
    base = "https://data.example.org/mappa/"
    store, _, _ = build_store(tmp_path / "store", base_uri=base)
    with running_service(store, MAPPA_KB_BASE_URI=base) as url:
        moved = get(url, "/id/area/durham", allow_redirects=False)
        assert moved.status_code == 303 and moved.headers["Location"].endswith("/doc/area/durham")
        graph = Graph().parse(data=get(url, "/doc/area/durham.ttl").text, format="turtle")
        assert (URIRef(base + "id/area/durham"), SKOS.prefLabel, None) in graph
        assert not any(str(s).startswith(BASE) for s in graph.subjects())
        concept = get(url, "/glossary/sopo").json()
        assert concept["uri"] == base + "id/glossary/sopo"


def test_pages_show_where_sources_disagree_with_every_figure_and_its_source(live_server: str) -> None:
    area = get(live_server, "/doc/area/durham", headers=HTML).text
    section = area[area.index('id="conflicts"') :]
    assert "2018/19" in section and "/doc/dataset/durham-2018-19#conflicts" in section
    page = get(live_server, "/doc/dataset/durham-2018-19", headers=HTML).text
    listed = page[page.index('id="conflicts"') : page.index("</section>", page.index('id="conflicts"'))]
    assert "787 from" in listed and "(the headline figure)" in listed
    assert listed.count("802 from") == 2 and "thenorthernecho.co.uk" in listed
    assert 'class="flag" href="#conflicts"' in page  # the cell itself is marked


def test_the_seed_page_flags_its_text_against_its_tables(live_server: str) -> None:
    page = get(live_server, "/doc/dataset/durham-2010-11", headers=HTML).text
    assert 'id="inconsistencies"' in page and "569 of 593" in page
    conflicts = page[page.index('id="conflicts"') :]
    assert "627 from" in conflicts and "446 from" in conflicts
