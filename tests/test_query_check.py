"""The query check: a quick path for the many queries that cannot name another server, and a full parse
for the rest. Both must give the same verdict wherever both apply."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappa_kb.engine.guard import _full_check, check_query
from mappa_kb.engine.interface import QueryRefused
from mappa_kb.knowledge.examples import examples

PLAIN = [
    "SELECT * WHERE { ?s ?p ?o }",
    "ask { ?s ?p ?o }",
    "# a comment\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nCONSTRUCT WHERE { ?s skos:prefLabel ?o }",
    "BASE <http://example.org/>\nPREFIX : <x#>\nDESCRIBE :a",
    "PREFIX a:<http://a/>PREFIX b:<http://b/>SELECT ?x { ?x a:p b:o } LIMIT 1",
    *(e.text for e in examples()),
]


@pytest.mark.parametrize("text", PLAIN)
def test_the_quick_path_agrees_with_the_full_parse(text: str) -> None:
    assert check_query(text).form == _full_check(text, frozenset())


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT ?endpoint { ?s ?p ?o } }",
        "SELECT * FROM <http://127.0.0.1:9/> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://127.0.0.1:9/> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "PREFIX s: <http://127.0.0.1:9/>\nSELECT * WHERE { SERVICE s: { ?s ?p ?o } }",
    ],
)
def test_service_and_from_are_refused(text: str) -> None:
    with pytest.raises(QueryRefused):
        check_query(text)


def test_the_words_in_strings_and_comments_do_not_refuse_a_query() -> None:
    text = 'SELECT ?x WHERE { BIND("National Probation Service, from 2014" AS ?x) } # SERVICE FROM'
    assert check_query(text).form == "SELECT"


@given(
    st.lists(
        st.sampled_from(
            ["SELECT", "ASK", "PREFIX p: <http://x/>", "BASE <http://b/>", "#c\n", " ", "\n", "{", "<"]
        ),
        max_size=12,
    )
)
def test_the_quick_path_never_names_a_form_the_full_parse_rejects(parts: list[str]) -> None:
    text = " ".join(parts) + " { ?s ?p ?o }"
    try:
        expected = _full_check(text, frozenset())
    except QueryRefused:
        return  # malformed: the store's parser rejects it when it runs, and the message comes from rdflib
    assert check_query(text).form == expected


def test_the_prologue_check_does_not_backtrack_on_long_input() -> None:
    # Possessive quantifiers: a long run of spaces and comments is read once, not in every split.
    text = " " * 200_000 + "#" * 1000 + "\n" + "PREFIX a: <b> " * 2000 + "SELEC"
    with pytest.raises(QueryRefused, match="syntax"):
        check_query(text)
