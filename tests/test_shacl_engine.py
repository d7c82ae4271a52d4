"""The fast engine on shapes it does and does not translate: verdicts never depend on which."""

from __future__ import annotations

from pathlib import Path

from mappa_kb.validation.shacl_engine import compile_shapes
from mappa_kb.validation.validate import load_shapes, validate_files

DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:Thing ; ex:size 3 ; ex:name "A" .
ex:b a ex:Thing ; ex:size -1 .
ex:c a ex:Thing ; ex:name "C" , "Cee" .
"""

SHAPES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property ex:OneName , ex:SizeNotNegative .
ex:OneName a sh:PropertyShape ; sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ;
    sh:message "a thing has one name" .
ex:SizeNotNegative a sh:PropertyShape ; sh:path ex:size ; sh:minInclusive 0 ; sh:message "size 0 or more" .
ex:EitherShape a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:or ( [ sh:path ex:name ; sh:minCount 1 ] [ sh:path ex:size ; sh:minCount 1 ] ) ;
    sh:message "a thing has a name or a size" .
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_untranslated_features_are_left_to_pyshacl(tmp_path: Path) -> None:
    shapes = _write(tmp_path, "shapes.ttl", SHAPES)
    checks, unsupported = compile_shapes(load_shapes([shapes]))
    assert [str(s) for s in unsupported] == ["http://example.org/EitherShape"]
    assert {str(c.shape) for c in checks} == {
        "http://example.org/OneName",
        "http://example.org/SizeNotNegative",
    }


def test_fast_engine_with_fallback_gives_pyshacls_verdicts(tmp_path: Path) -> None:
    data = _write(tmp_path, "data.ttl", DATA + "ex:d a ex:Thing .\n")
    shapes = _write(tmp_path, "shapes.ttl", SHAPES)
    fast = validate_files([data], [shapes], include_ontology=False)
    plain = validate_files([data], [shapes], engine="pyshacl", include_ontology=False)
    assert set(fast.results) == set(plain.results)
    found = {(r.focus, r.message) for r in fast.results}
    assert ("<http://example.org/d>", "a thing has a name or a size") in found  # from the pySHACL fallback
    assert ("<http://example.org/b>", "a thing has one name") in found  # minCount
    assert ("<http://example.org/c>", "a thing has one name") in found  # maxCount
    assert ("<http://example.org/b>", "size 0 or more") in found


def test_sparql_constraint_that_does_not_project_this_is_left_to_pyshacl(tmp_path: Path) -> None:
    shapes = _write(
        tmp_path,
        "shapes.ttl",
        """@prefix ex: <http://example.org/> . @prefix sh: <http://www.w3.org/ns/shacl#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
            sh:sparql [ sh:select "SELECT ?value WHERE { $this ex:size ?value FILTER (?value < 0) }" ;
                        sh:message "negative" ] .""",
    )
    data = _write(tmp_path, "data.ttl", DATA)
    _, unsupported = compile_shapes(load_shapes([shapes]))
    assert [str(s) for s in unsupported] == ["http://example.org/S"]
    fast = validate_files([data], [shapes], include_ontology=False)
    assert [(r.focus, r.message) for r in fast.results] == [("<http://example.org/b>", "negative")]
