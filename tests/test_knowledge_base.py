"""The shipped knowledge model: ontology, areas, glossary and cube, read back as a user would."""

from __future__ import annotations

import csv

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD

from mappa_kb import paths
from mappa_kb.engine.loading import load_store
from mappa_kb.knowledge import headline
from mappa_kb.uris import FOAF, MAPPA, SOURCE_BASE
from mappa_kb.validation import qb_integrity
from mappa_kb.validation.validate import rule_of, validate_files

from .conftest import shared_file

GLOSSARY = URIRef(SOURCE_BASE + "id/glossary")


def test_shipped_knowledge_base_conforms_and_warns_only_where_sources_disagree() -> None:
    report = validate_files(paths.knowledge_base_files())
    assert report.conforms
    rules = {rule_of(r).rsplit("/", 1)[-1] for r in report.results}
    assert rules == {"NoConflictingFigures", "TextAgreesWithTables"}, [r.message for r in report.results]
    # The rule and the headline layer find disagreements on their own: they must name the same cells.
    flagged = {report.cells[r.value] for r in report.results if rule_of(r).endswith("/NoConflictingFigures")}
    derived = headline.derive(load_store(paths.knowledge_base_files())).conflicts
    assert len(derived) >= 7
    described = [
        {report.cells.get(f"<{cell.node}>") for side in (c.chosen, *c.others) for cell in side.cells} - {None}
        for c in derived
    ]
    assert all(len(d) == 1 for d in described)  # every conflict is flagged, as one cell
    assert flagged == set().union(*described)
    (text,) = [r for r in report.results if rule_of(r).endswith("/TextAgreesWithTables")]
    assert "94%" in text.message and "569 of 593" in text.message


def test_cube_passes_all_21_w3c_integrity_constraints_after_normalisation() -> None:
    assert qb_integrity.check_graph_files(paths.knowledge_base_files()) == []


def test_there_are_42_mappa_areas_each_police_force_area_linked_once(kb: Graph) -> None:
    areas = set(kb.subjects(RDF.type, MAPPA.MappaArea))
    assert len(areas) == 42
    with shared_file("data/police_force_areas.csv").open(encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle)]
    assert len(codes) == 43
    for code in codes:
        force = URIRef(f"http://statistics.data.gov.uk/id/statistical-geography/{code}")
        assert len(list(kb.subjects(MAPPA.policeForceArea, force))) == 1, code
    london = URIRef(SOURCE_BASE + "id/area/london")
    assert len(list(kb.objects(london, MAPPA.policeForceArea))) == 2


def test_offender_categories_include_category_4_with_its_start_date(kb: Graph) -> None:
    categories = set(kb.subjects(RDF.type, MAPPA.OffenderCategory))
    assert {str(c).rsplit("/", 1)[1] for c in categories} == {"1", "2", "3", "4"}
    start = kb.value(URIRef(SOURCE_BASE + "id/offender-category/4"), MAPPA.availableFrom)
    assert start == Literal("2024-04-01", datatype=XSD.date)


def test_2015_orders_replace_sopo_fto_and_rsho_on_8_march_2015(kb: Graph) -> None:
    def order(key: str) -> URIRef:
        return URIRef(SOURCE_BASE + "id/order/" + key)

    assert kb.value(order("sopo"), MAPPA.replacedBy) == order("shpo")
    assert kb.value(order("fto"), MAPPA.replacedBy) == order("shpo")
    assert kb.value(order("rsho"), MAPPA.replacedBy) == order("sro")
    assert kb.value(order("shpo"), MAPPA.availableFrom) == Literal("2015-03-08", datatype=XSD.date)
    assert kb.value(order("sopo"), MAPPA.availableUntil) == Literal("2015-03-07", datatype=XSD.date)
    assert kb.value(order("no"), MAPPA.availableUntil) is None  # notification orders remain


def test_law_is_named_by_legislation_gov_uk_uris(kb: Graph) -> None:
    for section in ("325", "326", "327", "327A", "327B"):
        uri = URIRef(f"http://www.legislation.gov.uk/id/ukpga/2003/44/section/{section}")
        assert (uri, RDF.type, MAPPA.Legislation) in kb
    assert (
        URIRef("http://www.legislation.gov.uk/id/ukpga/2003/42/part/2"),
        RDF.type,
        MAPPA.Legislation,
    ) in kb
    assert (URIRef("http://www.legislation.gov.uk/id/ukpga/2014/12"), RDF.type, MAPPA.Legislation) in kb


def test_every_class_and_property_used_in_the_ontology_is_declared(kb: Graph) -> None:
    declared = set(kb.subjects(RDF.type, OWL.Class)) | set(kb.subjects(RDF.type, OWL.ObjectProperty))
    declared |= set(kb.subjects(RDF.type, OWL.DatatypeProperty))
    used = {p for p in kb.predicates() if str(p).startswith(str(MAPPA))}
    used |= {o for o in kb.objects(None, RDF.type) if str(o).startswith(str(MAPPA))}
    assert used - declared == set()


def test_glossary_has_at_least_40_concepts_with_the_abbreviations_people_look_up(kb: Graph) -> None:
    concepts = set(kb.subjects(SKOS.inScheme, GLOSSARY))
    assert len(concepts) >= 40
    labels = {str(label).casefold() for c in concepts for label in kb.objects(c, SKOS.altLabel)}
    labels |= {str(label).casefold() for c in concepts for label in kb.objects(c, SKOS.prefLabel)}
    for abbreviation in (
        "SOPO",
        "NO",
        "FTO",
        "SHPO",
        "SRO",
        "RSO",
        "DTC",
        "SMB",
        "MAPPA",
        "MARAC",
        "PPU",
        "SFO",
    ):
        assert abbreviation.casefold() in labels, abbreviation


def test_glossary_links_reach_the_ontology_things_they_describe(kb: Graph) -> None:
    focus = list(kb.subject_objects(FOAF.focus))
    assert len(focus) >= 20
    for concept, thing in focus:
        assert (concept, SKOS.inScheme, GLOSSARY) in kb
        assert (thing, RDF.type, None) in kb, (
            f"{concept} describes {thing}, which the ontology does not define"
        )
    sopo = URIRef(SOURCE_BASE + "id/glossary/sopo")
    assert kb.value(sopo, FOAF.focus) == URIRef(SOURCE_BASE + "id/order/sopo")
