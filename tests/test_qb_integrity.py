"""Tests for mappa_kb.validation.qb_integrity: the W3C Data Cube normalization and integrity constraints IC-1 ... IC-21.

Every test starts from the well-formed cube in tests/fixtures/qb/well-formed-cube.ttl, breaks it with a
SPARQL update on the loaded store (before normalization, as a publisher's data would be), normalizes
and checks it, and asserts which constraints are reported.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest

from mappa_kb.validation import qb_integrity

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "qb"
CUBE = FIXTURE_DIR / "well-formed-cube.ttl"

ALL_ICS = [f"IC-{n}" for n in range(1, 22)]

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
PREFIX area: <https://w3id.org/mappa-kb/id/area/>
PREFIX category: <https://w3id.org/mappa-kb/id/offender-category/>
PREFIX level: <https://w3id.org/mappa-kb/id/management-level/>
PREFIX statistic: <https://w3id.org/mappa-kb/id/statistic/>
PREFIX codelist: <https://w3id.org/mappa-kb/id/code-list/>
PREFIX dataset: <https://w3id.org/mappa-kb/id/dataset/>
PREFIX obs: <https://w3id.org/mappa-kb/id/observation/>
PREFIX slice: <https://w3id.org/mappa-kb/id/slice/>
PREFIX test: <https://w3id.org/mappa-kb/id/test/>
"""

DAY = "<http://reference.data.gov.uk/id/day/2011-03-31>"

# A slice key declared by the structure, and its triples; used by the slice tests below.
SLICE_KEY = """
    mcube:mappa-statistics qb:sliceKey mcube:slice-by-category .
    mcube:slice-by-category a qb:SliceKey ;
        qb:componentProperty sdmx-dimension:refArea , sdmx-dimension:refPeriod , mcube:statistic ,
            mcube:managementLevel .
"""

# A slice (all offender categories at management level "all") with every value its key asks for;
# {dataset} is the data set that lists it with qb:slice.
SLICE = (
    """
    {dataset} qb:slice slice:durham-2010-11-eligible-level-all .
    slice:durham-2010-11-eligible-level-all qb:sliceStructure mcube:slice-by-category ;
        sdmx-dimension:refArea area:durham ;
        sdmx-dimension:refPeriod """
    + DAY
    + """ ;
        mcube:statistic statistic:eligible-snapshot ;
        mcube:managementLevel level:all ;
        qb:observation obs:durham-2010-11-eligible-all-1-count , obs:durham-2010-11-eligible-all-1-rate ,
            obs:durham-2010-11-eligible-all-2-count , obs:durham-2010-11-eligible-all-2-rate ,
            obs:durham-2010-11-eligible-all-all-count , obs:durham-2010-11-eligible-all-all-rate .
"""
)

VALID_SLICE = "INSERT DATA {" + SLICE_KEY + SLICE.replace("{dataset}", "dataset:durham-2010-11") + "}"


def load_cube() -> pyoxigraph.Store:
    """A fresh in-memory store holding the well-formed fixture cube (not yet normalized)."""
    assert CUBE.is_file(), f"fixture cube not found: {CUBE}"
    store = pyoxigraph.Store()
    store.load(path=str(CUBE), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) > 0, f"fixture cube is empty: {CUBE}"
    return store


def violations_after(update: str | None) -> set[str]:
    """Apply ``update`` (if any) to the fixture cube, normalize, check; return the violated IC ids."""
    store = load_cube()
    if update is not None:
        store.update(PREFIXES + update)
    qb_integrity.normalize(store)
    return {violation.ic for violation in qb_integrity.check_integrity(store)}


# Each break: (IC it violates, SPARQL update that breaks the fixture, other ICs the same break
# necessarily violates too).
BREAKS = [
    pytest.param(
        "IC-1",
        # Both observations of one cell lose their data set (they stay typed qb:Observation).
        """DELETE { ?o qb:dataSet ?d } WHERE { ?o qb:dataSet ?d ; mcube:managementLevel level:2 }""",
        set(),
        id="IC-1 observation without a data set",
    ),
    pytest.param(
        "IC-2",
        """DELETE DATA { dataset:durham-2010-11 qb:structure mcube:mappa-statistics }""",
        set(),
        id="IC-2 data set without a structure",
    ),
    pytest.param(
        "IC-3",
        """DELETE { mcube:mappa-statistics qb:component ?cs }
           WHERE { mcube:mappa-statistics qb:component ?cs . ?cs qb:measure ?m }""",
        set(),
        id="IC-3 structure without a measure",
    ),
    pytest.param(
        "IC-4",
        """DELETE DATA { mcube:statistic rdfs:range skos:Concept }""",
        set(),
        id="IC-4 dimension without a range",
    ),
    pytest.param(
        "IC-5",
        """DELETE DATA { mcube:statistic qb:codeList codelist:statistic }""",
        set(),
        id="IC-5 concept dimension without a code list",
    ),
    pytest.param(
        "IC-6",
        """INSERT DATA { mcube:mappa-statistics-statistic qb:componentRequired false }""",
        set(),
        id="IC-6 optional dimension",
    ),
    pytest.param(
        "IC-7",
        """INSERT DATA {
               mcube:slice-by-category a qb:SliceKey ; qb:componentProperty mcube:managementLevel .
           }""",
        set(),
        id="IC-7 slice key not declared by a structure",
    ),
    pytest.param(
        "IC-8",
        """INSERT DATA {
               mcube:mappa-statistics qb:sliceKey mcube:slice-by-sex .
               mcube:slice-by-sex a qb:SliceKey ; qb:componentProperty sdmx-dimension:sex .
           }""",
        set(),
        id="IC-8 slice key with a property the structure lacks",
    ),
    pytest.param(
        "IC-9",
        """INSERT DATA { dataset:durham-2010-11 qb:slice slice:durham-2010-11-eligible-level-all }""",
        set(),
        id="IC-9 slice without a slice structure",
    ),
    pytest.param(
        "IC-10",
        VALID_SLICE
        + """;
        DELETE DATA { slice:durham-2010-11-eligible-level-all mcube:managementLevel level:all }""",
        set(),
        id="IC-10 slice without a value its key asks for",
    ),
    pytest.param(
        "IC-11",
        "DELETE DATA { obs:durham-2010-11-eligible-all-1-count sdmx-dimension:refPeriod " + DAY + " }",
        set(),
        id="IC-11 observation without a dimension value",
    ),
    pytest.param(
        "IC-12",
        """INSERT { obs:durham-2010-11-eligible-all-1-count-again ?p ?o }
           WHERE { obs:durham-2010-11-eligible-all-1-count ?p ?o }""",
        # A third observation in one cell of a measure-dimension cube is also one too many for IC-17,
        # which counts the observations in each cell.
        {"IC-17"},
        id="IC-12 duplicate observation",
    ),
    pytest.param(
        "IC-13",
        """INSERT DATA {
               mcube:mappa-statistics qb:component mcube:mappa-statistics-unitMeasure .
               mcube:mappa-statistics-unitMeasure qb:attribute sdmx-attribute:unitMeasure ;
                   qb:componentRequired true .
           }""",
        set(),
        id="IC-13 required attribute missing",
    ),
    pytest.param(
        "IC-14",
        # Turn the cube into one without a measure dimension (drop qb:measureType from the structure
        # and the observations, and the rate observations): each observation then lacks ratePer100k.
        """DELETE { mcube:mappa-statistics qb:component ?cs . ?cs ?p ?o }
           WHERE { mcube:mappa-statistics qb:component ?cs . ?cs qb:dimension qb:measureType ; ?p ?o } ;
           DELETE { ?obs ?p ?o } WHERE { ?obs qb:measureType mcube:ratePer100k ; ?p ?o } ;
           DELETE { ?obs qb:measureType ?m } WHERE { ?obs qb:measureType ?m }""",
        set(),
        id="IC-14 measure missing without a measure dimension",
    ),
    pytest.param(
        "IC-15",
        """DELETE DATA {
               obs:durham-2010-11-eligible-all-1-count mcube:count "400"^^xsd:nonNegativeInteger
           }""",
        set(),
        id="IC-15 no value for the observation's measure type",
    ),
    pytest.param(
        "IC-16",
        """INSERT DATA { obs:durham-2010-11-eligible-all-1-count mcube:ratePer100k "80.0"^^xsd:decimal }""",
        set(),
        id="IC-16 second measure on a measure-dimension observation",
    ),
    pytest.param(
        "IC-17",
        """DELETE WHERE { obs:durham-2010-11-eligible-all-2-rate ?p ?o }""",
        set(),
        id="IC-17 cell without an observation for each measure",
    ),
    pytest.param(
        "IC-18",
        # A well-formed slice, but listed by a data set that its observations do not belong to.
        "INSERT DATA {" + SLICE_KEY + SLICE.replace("{dataset}", "test:another-data-set") + "}",
        set(),
        id="IC-18 slice observation in another data set",
    ),
    pytest.param(
        "IC-19",
        # Both observations of one cell (so that IC-17 still holds) move to an area outside the list.
        """INSERT DATA { test:atlantis a skos:Concept ; skos:prefLabel "Atlantis"@en } ;
           DELETE { ?o sdmx-dimension:refArea area:durham } INSERT { ?o sdmx-dimension:refArea test:atlantis }
           WHERE { ?o sdmx-dimension:refArea area:durham ; mcube:offenderCategory category:1 }""",
        set(),
        id="IC-19 code not in the concept scheme",
    ),
    pytest.param(
        "IC-19",
        # The spec's second IC-19 query: a skos:Collection code list that lacks the code used.
        """DELETE DATA { mcube:statistic qb:codeList codelist:statistic } ;
           INSERT DATA {
               mcube:statistic qb:codeList test:statistic-collection .
               test:statistic-collection a skos:Collection ; skos:member test:some-other-statistic .
               test:some-other-statistic a skos:Concept .
           }""",
        set(),
        id="IC-19 code not in the collection",
    ),
    pytest.param(
        "IC-20",
        # level:2 is used by observations, but is no longer reachable along skos:narrower from level:all
        # (it still has skos:broader level:all, so IC-21 still holds).
        """DELETE DATA { level:all skos:narrower level:2 }""",
        set(),
        id="IC-20 code not reachable along the parent-child property",
    ),
    pytest.param(
        "IC-21",
        # category:2 is used by observations, but is no longer reachable from category:all along the
        # inverse of skos:broader (it still is along skos:narrower, so IC-20 still holds).
        """DELETE DATA { category:2 skos:broader category:all }""",
        set(),
        id="IC-21 code not reachable along the inverse parent-child property",
    ),
]


def test_fixture_cube_exists() -> None:
    assert CUBE.is_file(), f"fixture cube not found: {CUBE}"


def test_constraint_files_cover_ic_1_to_21() -> None:
    assert list(qb_integrity.constraint_titles()) == ALL_ICS
    for name in qb_integrity.NORMALIZE_PHASES:
        assert (qb_integrity.QB_IC_DIR / name).is_file()


def test_breaks_cover_every_constraint() -> None:
    assert {param.values[0] for param in BREAKS} == set(ALL_ICS)


def test_well_formed_cube_passes_all_constraints() -> None:
    assert violations_after(None) == set()


def test_well_formed_cube_with_a_slice_passes_all_constraints() -> None:
    assert violations_after(VALID_SLICE) == set()


def test_check_graph_files_on_the_fixture() -> None:
    assert qb_integrity.check_graph_files([CUBE]) == []


def test_normalization_adds_component_properties_and_types() -> None:
    store = load_cube()
    ask = PREFIXES + "ASK { mcube:mappa-statistics-count qb:componentProperty mcube:count }"
    assert not store.query(ask)
    qb_integrity.normalize(store)
    assert store.query(ask)
    assert store.query(PREFIXES + "ASK { qb:measureType a qb:DimensionProperty }")


def test_normalization_pushes_slice_dimension_values_down() -> None:
    store = load_cube()
    store.update(PREFIXES + VALID_SLICE)
    store.update(
        PREFIXES + "DELETE WHERE { obs:durham-2010-11-eligible-all-1-count mcube:managementLevel ?v }"
    )
    qb_integrity.normalize(store)
    assert store.query(
        PREFIXES + "ASK { obs:durham-2010-11-eligible-all-1-count mcube:managementLevel level:all }"
    )
    assert qb_integrity.check_integrity(store) == []


@pytest.mark.parametrize(("ic", "update", "also"), BREAKS)
def test_break_is_reported(ic: str, update: str, also: set[str]) -> None:
    found = violations_after(update)
    assert ic in found
    assert found == {ic} | also


def test_violations_carry_the_spec_titles() -> None:
    store = load_cube()
    store.update(PREFIXES + "DELETE DATA { level:all skos:narrower level:2 }")
    qb_integrity.normalize(store)
    assert qb_integrity.check_integrity(store) == [
        qb_integrity.IntegrityViolation(ic="IC-20", title="Codes from hierarchy")
    ]


def test_hierarchy_checks_are_vacuous_without_hierarchical_code_lists() -> None:
    # Without qb:HierarchicalCodeList there is no ?p to instantiate IC-20 / IC-21 with.
    update = """
        DELETE WHERE { ?list a qb:HierarchicalCodeList } ;
        DELETE WHERE { ?code skos:narrower ?child } ;
        DELETE WHERE { ?code skos:broader ?parent }
    """
    assert violations_after(update) == set()


def test_hierarchy_property_that_is_not_a_well_formed_iri_is_rejected() -> None:
    store = load_cube()
    # A lenient parse lets an IRI with "{" through; it must not be written into a query.
    store.load(
        input="<https://w3id.org/mappa-kb/id/code-list/management-level> "
        "<http://purl.org/linked-data/cube#parentChildProperty> <http://example.org/p{x}> .",
        format=pyoxigraph.RdfFormat.TURTLE,
        lenient=True,
    )
    qb_integrity.normalize(store)
    with pytest.raises(ValueError, match="not a well-formed IRI"):
        qb_integrity.check_integrity(store)
