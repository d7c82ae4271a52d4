"""``mappa-kb validate`` and ``mappa-kb ingest``, run in-process as a user would type them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mappa_kb import paths
from mappa_kb.cli import main

from .conftest import SEED


def test_validate_with_no_arguments_checks_the_shipped_knowledge_base(capsys: pytest.CaptureFixture) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("Conforms:")


def test_validate_exits_1_and_groups_results_by_rule(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    shipped = (
        paths.kb_root() / "data" / "sources" / "county-durham-and-darlington-2010-11" / "durham-2010-11.ttl"
    )
    broken = tmp_path / "durham-2010-11.ttl"
    broken.write_text(
        shipped.read_text(encoding="utf-8").replace(
            "sdmx-measure:obsValue 593 ;", "sdmx-measure:obsValue 600 ;"
        )
    )
    assert main(["validate", str(broken)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Does not conform")
    assert "[violation] A total across categories equals the sum of the categories (1)" in out
    assert "[violation] A total across levels equals the sum of the levels (1)" in out
    assert "cell: County Durham and Darlington, 2011-03-31: MAPPA-eligible offenders on 31 March" in out


def test_validate_json_is_for_machines(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["validate", "--format", "json", str(paths.kb_root() / "data")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is True and report["violations"] == 0
    # The shipped data's only results are the warnings where its sources disagree.
    assert report["results"] and {r["severity"] for r in report["results"]} == {"warning"}


def test_validate_reports_file_and_line_of_a_turtle_syntax_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "unterminated .\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 3" in err and "Turtle syntax error" in err


def test_validate_refuses_a_missing_path_with_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nowhere.ttl")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_validate_refuses_an_empty_folder_with_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "no Turtle files" in capsys.readouterr().err


def test_ingest_refuses_an_unknown_area_and_writes_nothing(tmp_path: Path, capsys) -> None:
    assert main(["ingest", str(SEED), "--area", "Atlantis", "--out", str(tmp_path)]) == 2
    assert "'Atlantis' is not a MAPPA area" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_ingest_names_the_line_of_an_unreadable_figure(tmp_path: Path, capsys) -> None:
    text = SEED.read_text(encoding="utf-8").replace("Level 2 8 8 8 24", "Level 2 8 eight 8 24")
    report = tmp_path / "report.txt"
    report.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["ingest", str(report), "--area", "durham", "--out", str(out)]) == 2
    assert "line 207: a table row needs 4 figures" in capsys.readouterr().err
    assert not out.exists()


def test_ingest_refuses_figures_that_break_a_rule_and_writes_nothing(tmp_path: Path, capsys) -> None:
    text = SEED.read_text(encoding="utf-8").replace("Total 446 139 8 593", "Total 446 139 8 599")
    report = tmp_path / "report.txt"
    report.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["ingest", str(report), "--area", "durham", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Totals equal the sum of their parts" in err and "nothing was written" in err
    assert not out.exists()  # not even an empty folder


def test_query_answers_sparql_over_the_knowledge_base(capsysbinary) -> None:
    query = (
        "PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#> "
        "SELECT ?value WHERE { <https://w3id.org/mappa-kb/id/observation/durham/2010-11/"
        "eligible-snapshot/level-all/category-all> sdmxm:obsValue ?value }"
    )
    assert main(["query", query]) == 0
    assert capsysbinary.readouterr().out.decode().splitlines() == ["value", "593"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            "SERVICE <http://127.0.0.1:9/sparql> is not allowed",
        ),
        ("SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }", "FROM and FROM NAMED are not allowed"),
        ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", "updates are not accepted"),
        ("SELEC * WHERE { ?s ?p ?o }", "line:1, col:1"),
    ],
)
def test_query_refuses_fetching_updates_and_bad_syntax(query: str, says: str, capsys) -> None:
    assert main(["query", query]) == 1
    assert says in capsys.readouterr().err


def test_a_deployment_under_its_own_domain_needs_only_configuration(monkeypatch, capsysbinary) -> None:
    monkeypatch.setenv("MAPPA_KB_BASE_URI", "https://mappa.police.example/kb/")
    query = (
        "SELECT ?label WHERE { <https://mappa.police.example/kb/id/area/durham> "
        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }"
    )
    assert main(["query", query]) == 0
    assert capsysbinary.readouterr().out.decode().splitlines() == ["label", "County Durham and Darlington"]


def test_a_bad_base_uri_setting_is_named_in_the_error(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MAPPA_KB_BASE_URI", "mappa.example.org")
    assert main(["query", "ASK {}"]) == 2
    assert "configuration: MAPPA_KB_BASE_URI: base URI 'mappa.example.org' must be" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MAPPA_KB_QUERY_TIMEOUT", "soon", "'soon' is not a number"),
        ("MAPPA_KB_MAX_ROWS", "0", "outside 1 to"),
        ("MAPPA_KB_QUERY_WORKERS", "2.5", "not a whole number"),
        ("MAPPA_KB_FORWARDED_ALLOW_IPS", "127.0.0.1, proxy.example.org", "not an IP address"),
    ],
)
def test_bad_limit_settings_are_named(monkeypatch, capsys, name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    assert main(["query", "ASK {}"]) == 2
    said = capsys.readouterr().err
    assert f"{name}: " in said and says in said


def test_conflicts_lists_the_real_disagreements_of_the_shared_sources(capsys) -> None:
    # The disagreements the shared data holds, in rows or in their notes (report_layouts.md lists them).
    assert main(["conflicts", "--format", "json"]) == 0
    found = {
        (c["area"], c["period_end"], c["chosen"]["figure"], tuple(sorted(o["figure"] for o in c["others"])))
        for c in json.loads(capsys.readouterr().out)
    }
    assert {
        ("County Durham and Darlington", "2019-03-31", "787", ("802",)),
        ("Teesside", "2019-03-31", "821", ("827",)),
        ("Northumbria", "2019-03-31", "1644", ("1652",)),
        ("Dyfed-Powys", "2019-03-31", "492", ("494",)),
        ("Suffolk", "2023-03-31", "134", ("137",)),
        ("England and Wales", "2004-03-31", "39492", ("39622",)),
        # The seed's text ("the current level of 627") against its table's 446 registered sexual offenders.
        ("County Durham and Darlington", "2011-03-31", "446", ("627",)),
    } <= found
    assert any(area == "England and Wales" and end == "2009-03-31" for area, end, _, _ in found)
    assert main(["conflicts"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{len(found)} cell(s) where sources disagree")
    assert "the headline uses 787 from https://durhamhits.co.uk/" in text


def test_query_without_a_query_says_what_is_missing(capsys) -> None:
    assert main(["query"]) == 2
    assert "no query given" in capsys.readouterr().err
    assert main(["query", "ASK {}", "--file", "q.rq"]) == 2
    assert "not both" in capsys.readouterr().err
