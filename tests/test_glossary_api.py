"""The glossary API over HTTP against the running service: search, lookups, formats, caching, CORS, and
hostile input. Expected answers come from the shipped Turtle (read by rdflib), never from the service."""

from __future__ import annotations

import json

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

GLOSSARY = "https://w3id.org/mappa-kb/id/glossary/"


def get(url: str, path: str, **kwargs) -> requests.Response:
    return requests.get(f"{url}{path}", timeout=10, **kwargs)


def concepts_in(kb: Graph) -> set[str]:
    return {str(c) for c in kb.subjects(SKOS.inScheme, URIRef(GLOSSARY.rstrip("/")))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sopo", "sopo"),
        ("SOPO", "sopo"),
        ("Sexual Offences Prev", "sopo"),
        ("category 3", "category-3"),
        ("lay adviser", "lay-adviser"),
        ("Lay Advisor", "lay-adviser"),
        ("visor", "visor"),
        ("  sexual   harm prevention order ", "shpo"),
    ],
)
def test_search_finds_the_term_first(live_server: str, text: str, expected: str) -> None:
    response = get(live_server, "/glossary/search", params={"q": text})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results and results[0]["id"] == expected, [r["id"] for r in results]


@pytest.mark.parametrize(
    ("typo", "meant"), [("sopp", "sopo"), ("lay advisr", "lay-adviser"), ("sexual ofences", "sopo")]
)
def test_a_typo_within_one_edit_gets_a_did_you_mean(live_server: str, typo: str, meant: str) -> None:
    answer = get(live_server, "/glossary/search", params={"q": typo}).json()
    assert meant in [m["id"] for m in answer["results"] + answer["didYouMean"]]
    page = get(live_server, "/glossary/search", params={"q": typo}, headers={"Accept": "text/html"})
    assert "Did you mean" in page.text or answer["results"]


def test_the_list_pages_through_every_concept(live_server: str, kb: Graph) -> None:
    first = get(live_server, "/glossary", params={"per_page": 20})
    body = first.json()
    assert body["total"] == len(concepts_in(kb))
    assert 'rel="next"' in first.headers["Link"]
    seen = [c["uri"] for c in body["concepts"]]
    while body["next"]:
        body = requests.get(body["next"], timeout=10).json()
        seen += [c["uri"] for c in body["concepts"]]
    assert sorted(seen) == sorted(concepts_in(kb))


def test_a_concept_has_what_the_turtle_says(live_server: str, kb: Graph) -> None:
    node = URIRef(GLOSSARY + "sopo")
    concept = get(live_server, "/glossary/sopo").json()
    assert concept["label"] == str(kb.value(node, SKOS.prefLabel))
    assert concept["definition"] == str(kb.value(node, SKOS.definition))
    assert "SOPO" in concept["abbreviations"]
    assert {r["uri"] for r in concept["narrower"]} == {str(s) for s in kb.subjects(SKOS.broader, node)}
    assert {r["uri"] for r in concept["related"]} == {str(o) for o in kb.objects(node, SKOS.related)}
    figures = kb.query(
        """PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT (COUNT(?o) AS ?n) WHERE { ?o a qb:Observation ; qb:dataSet/a mcube:HeadlineDataSet ;
            mcube:statistic <https://w3id.org/mappa-kb/id/statistic/orders-sopo> }"""
    )
    expected = int(next(iter(figures))[0])
    used = {u["statistic"].rsplit("/", 1)[-1]: u["figures"] for u in concept["usedIn"]}
    assert used["orders-sopo"] == expected > 0


@pytest.mark.parametrize(
    ("accept", "rdf_format"), [("application/ld+json", "json-ld"), ("text/turtle", "turtle")]
)
def test_a_concept_as_rdf(live_server: str, kb: Graph, accept: str, rdf_format: str) -> None:
    response = get(live_server, "/glossary/lay-adviser", headers={"Accept": accept})
    assert response.headers["Content-Type"].startswith(accept)
    graph = Graph().parse(data=response.text, format=rdf_format)
    node = URIRef(GLOSSARY + "lay-adviser")
    assert (node, SKOS.prefLabel, kb.value(node, SKOS.prefLabel)) in graph
    assert set(graph.objects(node, SKOS.altLabel)) == set(kb.objects(node, SKOS.altLabel))


def test_the_format_parameter_overrides_accept(live_server: str) -> None:
    response = get(
        live_server, "/glossary/sopo", params={"format": "turtle"}, headers={"Accept": "application/json"}
    )
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert get(live_server, "/glossary/sopo", params={"format": "png"}).status_code == 406


def test_the_summary_for_hovercards(live_server: str, kb: Graph) -> None:
    definition = str(kb.value(URIRef(GLOSSARY + "sopo"), SKOS.definition))
    brief = get(live_server, "/glossary/sopo/summary").json()
    assert definition.startswith(brief["summary"].rstrip("…")) and len(brief["summary"]) <= 240
    text = get(live_server, "/glossary/sopo/summary", headers={"Accept": "text/plain"})
    assert text.headers["Content-Type"].startswith("text/plain") and text.text.startswith("Sexual Offences")
    html = get(live_server, "/glossary/sopo/summary", params={"format": "html"})
    assert "<strong>Sexual Offences Prevention Order</strong>" in html.text and 'href="http' in html.text


def test_an_unknown_concept_is_a_helpful_404(live_server: str) -> None:
    response = get(live_server, "/glossary/sopoo")
    assert response.status_code == 404
    assert "did you mean 'sopo'" in response.json()["error"]


def test_conditional_requests_get_304(live_server: str) -> None:
    first = get(live_server, "/glossary/sopo")
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = get(live_server, "/glossary/sopo", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    other = get(live_server, "/glossary/shpo", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


@pytest.mark.parametrize(
    "path", ["/glossary/sopo", "/glossary/nothing-here", "/id/glossary/sopo", "/glossary/search"]
)
def test_cors_on_every_response(live_server: str, path: str) -> None:
    response = get(live_server, path, headers={"Origin": "https://council.example"}, allow_redirects=False)
    assert response.headers["Access-Control-Allow-Origin"] == "*", response.status_code


def test_cors_preflight(live_server: str) -> None:
    response = requests.options(
        f"{live_server}/glossary/search",
        headers={
            "Origin": "https://council.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


HOSTILE = [
    "x" * 300,
    "sexual " * 1000,
    '"} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #',
    "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }",
    "<script>alert(1)</script>",
    "sopo\x00\x01\x1b[31m",
    "\u202e\ufeffsopo",
    "%00%27%22",
    "",
    " ",
    "*",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("accept", ["application/json", "text/html", "text/turtle"])
def test_hostile_search_text_gets_an_answer_or_a_400(live_server: str, text: str, accept: str) -> None:
    response = get(live_server, "/glossary/search", params={"q": text}, headers={"Accept": accept})
    # 431: a request head past the server's 16 KB, refused before it reaches the application.
    assert response.status_code in (200, 400) or (response.status_code == 431 and len(text) > 4000)
    assert "<script>alert" not in response.text
    assert "Traceback" not in response.text
    if response.status_code == 400 and accept == "application/json":
        assert response.json()["error"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "missing 'q'"),
        ({"q": "sopo", "limit": "abc"}, "'limit'"),
        ({"q": "sopo", "limit": "0"}, "'limit'"),
    ],
)
def test_bad_parameters_are_400_with_a_message(live_server: str, params: dict, says: str) -> None:
    response = get(live_server, "/glossary/search", params=params)
    assert response.status_code == 400 and says in response.json()["error"]


def test_a_hostile_concept_id_is_reflected_escaped(live_server: str) -> None:
    response = get(live_server, "/glossary/<img src=x onerror=alert(1)>", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "<img src=x" not in response.text and "&lt;img src=x" in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_search_page_escapes_what_it_shows(live_server: str) -> None:
    response = get(
        live_server, "/glossary/search", params={"q": "<b>sopo</b>"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    assert "<b>sopo</b>" not in response.text and "&lt;b&gt;sopo&lt;/b&gt;" in response.text


def test_openapi_describes_the_glossary(live_server: str) -> None:
    from openapi_spec_validator import validate

    document = get(live_server, "/openapi.json").json()
    validate(document)  # a valid OpenAPI 3.1 document, or this raises saying where not
    assert document["servers"] == [{"url": live_server}]
    for path in ("/glossary", "/glossary/search", "/glossary/{concept_id}", "/glossary/{concept_id}/summary"):
        assert "get" in document["paths"][path]
    json.dumps(document)  # serializable as it came


def test_glossary_rdf_agrees_with_the_store_for_every_concept(live_server: str, kb: Graph) -> None:
    graph = Graph().parse(
        data=get(live_server, "/glossary", params={"per_page": 200, "format": "turtle"}).text
    )
    for concept in concepts_in(kb):
        node = URIRef(concept)
        assert set(graph.objects(node, SKOS.prefLabel)) == set(kb.objects(node, SKOS.prefLabel)), concept
        assert Literal(str(kb.value(node, SKOS.definition)), lang="en") in set(
            graph.objects(node, SKOS.definition)
        )


def test_a_conditional_request_never_spoils_the_kept_answer(live_server: str) -> None:
    # The first request a service process sees for a URL may be a conditional one (an ETag from another
    # process, which hashes the same content): its 304 must not become what later requests get.
    url = f"{live_server}/glossary/visor/summary?format=text"
    etag = requests.get(url, timeout=10).headers["ETag"]
    conditional = [requests.get(url, headers={"If-None-Match": etag}, timeout=10) for _ in range(20)]
    assert {r.status_code for r in conditional} == {304}
    plain = [requests.get(url, timeout=10) for _ in range(20)]
    assert {(r.status_code, r.text.startswith("ViSOR")) for r in plain} == {(200, True)}
