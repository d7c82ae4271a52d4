"""Each rule in shapes/ refuses data that breaks it, with a message a publisher understands.

Every case starts from a copy of the shipped knowledge base, breaks one thing with a SPARQL update, and
checks that validation names that rule (and, for cube rules, the area and cell). Every shape in
shapes/ must be broken by at least one case here, and the fast engine must give exactly pySHACL's
verdicts on every case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SH

from mappa_kb import paths
from mappa_kb.shacl_engine import ValidationResult
from mappa_kb.validate import VIOLATION, WARNING, rule_of, validate_files

SHAPES = "https://w3id.org/mappa-kb/def/shapes/"
PREFIXES = """
PREFIX area: <https://w3id.org/mappa-kb/id/area/>
PREFIX category: <https://w3id.org/mappa-kb/id/offender-category/>
PREFIX dataset: <https://w3id.org/mappa-kb/id/dataset/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX glossary: <https://w3id.org/mappa-kb/id/glossary/>
PREFIX level: <https://w3id.org/mappa-kb/id/management-level/>
PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdmxa: <http://purl.org/linked-data/sdmx/2009/attribute#>
PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX statistic: <https://w3id.org/mappa-kb/id/statistic/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
STEP = "\n;;\n"  # separates updates that run one after another, each with the prefixes
YEAR = "<http://reference.data.gov.uk/id/gregorian-interval/2010-04-01T00:00:00/P1Y>"
SNAPSHOT = "<http://reference.data.gov.uk/id/day/2011-03-31>"


@dataclass(frozen=True)
class Breakage:
    name: str
    update: str
    rule: str
    severity: str = VIOLATION
    says: str = "County Durham and Darlington"
    file: str = "data/durham-2010-11.ttl"  # the shipped file the update breaks

    def __str__(self) -> str:
        return self.name


def _new_observation(
    suffix: str, statistic: str, level: str, category: str, value: str, period: str = YEAR
) -> str:
    return f"""INSERT DATA {{
        obs:{suffix} a qb:Observation ; qb:dataSet dataset:durham-2010-11 ; sdmxd:refArea area:durham ;
            sdmxd:refPeriod {period} ; mcube:statistic statistic:{statistic} ; mcube:managementLevel level:{level} ;
            mcube:offenderCategory category:{category} ; sdmxm:obsValue {value} ; sdmxa:unitMeasure mcube:orders ;
            prov:wasDerivedFrom <https://w3id.org/mappa-kb/id/source/county-durham-and-darlington-2010-11/table/4> .
    }}"""


def _set_value(cell: str, old: str, new: str) -> str:
    return f"DELETE {{ obs:{cell} sdmxm:obsValue {old} }} INSERT {{ obs:{cell} sdmxm:obsValue {new} }} WHERE {{}}"


def _dash_to_figure(cell: str) -> str:
    return f"""DELETE {{ obs:{cell} a mcube:NotApplicableCell ; mcube:notApplicableIn ?ds }}
        INSERT {{ obs:{cell} a qb:Observation ; qb:dataSet ?ds ; sdmxm:obsValue 0 ; sdmxa:unitMeasure mcube:offenders }}
        WHERE {{ obs:{cell} mcube:notApplicableIn ?ds }}"""


SNAP_TOTAL = "eligible-snapshot/level-all/category-all"
CUSTODY = "custody-breach-licence"

CUBE_BREAKAGES = [
    Breakage(
        "wrong-grand-total", _set_value(SNAP_TOTAL, "593", "594"), "TotalsEqualSumOfLevels", says="is 594"
    ),
    Breakage(
        "wrong-row-total",
        _set_value("level23-yearly/level-2/category-all", "117", "118"),
        "TotalsEqualSumOfCategories",
        says="the categories add up to 117",
    ),
    Breakage(
        "wrong-column-total",
        _set_value("level23-yearly/level-all/category-1", "29", "30"),
        "TotalsEqualSumOfLevels",
        says="the levels add up to 29",
    ),
    Breakage(
        "category-3-at-level-1",
        _dash_to_figure("eligible-snapshot/level-1/category-3"),
        "Category3NeverAtLevel1",
        says="Category 3",
    ),
    Breakage(
        "sopo-breach-in-category-2",
        _dash_to_figure("custody-breach-sopo/level-2/category-2"),
        "SopoBreachOnlyCategory1",
        says="Category 2",
    ),
    Breakage(
        "negative-count",
        _set_value("eligible-snapshot/level-1/category-1", "438", "-438"),
        "ObservationHasOneValue",
        says="0 or more",
    ),
    Breakage(
        "count-with-a-fraction",
        _set_value("eligible-snapshot/level-1/category-1", "438", "438.5"),
        "UnitMatchesStatistic",
        says="whole number",
    ),
    Breakage(
        "duplicate-observation",
        _new_observation("copy", "orders-sopo", "all", "1", "43").replace("mcube:orders", "mcube:orders"),
        "NoDuplicateCells",
        says="appears twice",
    ),
    Breakage(
        "shpo-before-2015",
        _new_observation("shpo", "orders-shpo", "all", "1", "3"),
        "OrderExistedInPeriod",
        says="Sexual Harm Prevention Order",
    ),
    Breakage(
        "category-4-before-2024",
        _new_observation("cat4", "orders-no", "all", "4", "0"),
        "CategoryExistedInPeriod",
        says="2024-04-01",
    ),
    Breakage(
        "level-1-in-a-level-2-and-3-table",
        _new_observation("l1", CUSTODY, "1", "1", "0"),
        "LevelAllowedForStatistic",
        says="Level 2 and 3 offenders only",
    ),
    Breakage(
        "snapshot-given-for-a-year",
        f"DELETE {{ obs:{SNAP_TOTAL} sdmxd:refPeriod ?p }} INSERT {{ obs:{SNAP_TOTAL} sdmxd:refPeriod {YEAR} }}"
        f" WHERE {{ obs:{SNAP_TOTAL} sdmxd:refPeriod ?p }}",
        "PeriodMatchesStatistic",
        says="single 31 March",
    ),
    Breakage(
        "code-outside-its-code-list",
        f"DELETE {{ obs:{SNAP_TOTAL} mcube:offenderCategory ?c }}"
        f" INSERT {{ obs:{SNAP_TOTAL} mcube:offenderCategory category:9 }}"
        f" WHERE {{ obs:{SNAP_TOTAL} mcube:offenderCategory ?c }}",
        "CodesFromCodeLists",
        says="category/9",
    ),
    Breakage(
        "dash-with-a-figure",
        "INSERT DATA { obs:eligible-snapshot/level-1/category-3 sdmxm:obsValue 0 }",
        "NotApplicableHasNoValue",
        says="dash",
    ),
    Breakage(
        "returns-to-custody-above-yearly-total",
        _set_value(f"{CUSTODY}/level-3/category-2", "1", "4")
        + STEP
        + _set_value(f"{CUSTODY}/level-3/category-all", "1", "4")
        + STEP
        + _set_value(f"{CUSTODY}/level-all/category-2", "5", "8")
        + STEP
        + _set_value(f"{CUSTODY}/level-all/category-all", "5", "8"),
        "CustodyWithinLevel23Yearly",
        WARNING,
        says="more than the 3",
    ),
    Breakage(
        "rate-disagrees-with-population",
        "INSERT DATA { obs:rso-per-100k/level-all/category-1 mcube:population 100000 }",
        "RateAgreesWithCountAndPopulation",
        WARNING,
        says="446 registered sexual offenders",
    ),
    Breakage(
        "sopo-counted-after-replacement",
        _new_observation(
            "late",
            "orders-sopo",
            "all",
            "1",
            "2",
            "<http://reference.data.gov.uk/id/gregorian-interval/2016-04-01T00:00:00/P1Y>",
        )
        + STEP
        + """INSERT DATA { <http://reference.data.gov.uk/id/gregorian-interval/2016-04-01T00:00:00/P1Y>
                    a dcterms:PeriodOfTime ; dcat:startDate "2016-04-01"^^xsd:date ;
                    dcat:endDate "2017-03-31"^^xsd:date }""",
        "OrderStillAvailable",
        WARNING,
        says="transitional",
    ),
]

CUBE_BREAKAGES += [
    Breakage(
        "second-source-disagrees",
        f"""INSERT DATA {{
            dataset:durham-2010-11-snews a qb:DataSet ; qb:structure mcube:mappa-statistics ;
                dcterms:title "MAPPA statistics: County Durham and Darlington, 2010/11 (from a news report)"@en ;
                dcterms:source <https://w3id.org/mappa-kb/id/source/snews> ;
                prov:wasDerivedFrom <https://w3id.org/mappa-kb/id/source/snews> .
            <https://w3id.org/mappa-kb/id/source/snews> rdfs:label "https://news.example/durham-2011" .
            obs:{SNAP_TOTAL}/snews a qb:Observation ; qb:dataSet dataset:durham-2010-11-snews ;
                sdmxd:refArea area:durham ; sdmxd:refPeriod {SNAPSHOT} ; mcube:statistic statistic:eligible-snapshot ;
                mcube:managementLevel level:all ; mcube:offenderCategory category:all ; sdmxm:obsValue 600 ;
                sdmxa:unitMeasure mcube:offenders ; prov:wasDerivedFrom <https://w3id.org/mappa-kb/id/source/snews> .
        }}""",
        "NoConflictingFigures",
        WARNING,
        says="https://news.example/durham-2011 gives 600",
    ),
    Breakage(
        "figure-in-two-areas",
        f"INSERT DATA {{ obs:{SNAP_TOTAL} sdmxd:refArea area:teesside }}",
        "ObservationHasOneArea",
        says="exactly one area",
    ),
    Breakage(
        "figure-without-a-level",
        f"DELETE WHERE {{ obs:{SNAP_TOTAL} mcube:managementLevel ?l }}",
        "ObservationHasOneLevel",
        says="exactly one management level",
    ),
]

GLOSSARY_BREAKAGES = [
    Breakage(
        "concept-without-definition",
        "DELETE WHERE { glossary:sopo skos:definition ?d }",
        "GlossaryConceptHasDefinition",
        says="Sexual Offences Prevention Order",
    ),
    Breakage(
        "concept-without-source",
        "DELETE WHERE { glossary:visor dcterms:source ?s }",
        "GlossaryConceptHasSource",
        says="ViSOR",
    ),
    Breakage(
        "concept-without-label",
        "DELETE WHERE { glossary:visor skos:prefLabel ?s }",
        "GlossaryConceptHasPrefLabel",
        says="visor",
    ),
    Breakage(
        "two-english-preferred-labels",
        'INSERT DATA { glossary:visor skos:prefLabel "Violent and Sex Offender Register"@en }',
        "GlossaryOnePrefLabelPerLanguage",
        says="'en'",
    ),
    Breakage(
        "abbreviation-on-two-concepts",
        'INSERT DATA { glossary:notification-order skos:altLabel "sopo"@en }',
        "GlossaryLabelsAreUnique",
        says="sopo",
    ),
    Breakage(
        "broader-term-outside-glossary",
        "INSERT DATA { glossary:visor skos:broader glossary:no-such-term }",
        "GlossaryLinksStayInGlossary",
        says="no-such-term",
    ),
]


OBS = "https://w3id.org/mappa-kb/id/observation/durham/2010-11/"


def _break(source: Path, update: str, out: Path) -> Path:
    graph = Graph().parse(source)
    # Cells are written obs:statistic/level/category above; SPARQL prefixed names cannot hold '/'.
    for step in update.split(STEP):
        graph.update(PREFIXES + re.sub(r"\bobs:([\w/-]+)", lambda m: f"<{OBS}{m.group(1)}>", step))
    out.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    return out


def _broken_files(breakage: Breakage, tmp_path: Path) -> list[Path]:
    """The whole knowledge base with one file replaced by a broken copy."""
    glossary = breakage in GLOSSARY_BREAKAGES
    original = paths.kb_root() / ("ontology/glossary.ttl" if glossary else breakage.file)
    broken = _break(original, breakage.update, tmp_path / original.name)
    return [broken if p.resolve() == original.resolve() else p for p in paths.knowledge_base_files()]


ALL = CUBE_BREAKAGES + GLOSSARY_BREAKAGES


@pytest.mark.parametrize("breakage", ALL, ids=str)
def test_broken_copy_is_refused_by_its_rule_with_a_readable_message(
    breakage: Breakage, tmp_path: Path
) -> None:
    report = validate_files(_broken_files(breakage, tmp_path), include_ontology=False)
    found = [r for r in report.results if rule_of(r) == SHAPES + breakage.rule]
    assert found, f"{breakage.rule} did not fire; got {sorted({rule_of(r) for r in report.results})}"
    assert all(r.severity == breakage.severity for r in found)
    assert any(breakage.says in r.message for r in found), [r.message for r in found]
    if breakage.severity == VIOLATION:
        assert not report.conforms
    else:
        assert report.conforms and report.count(WARNING) >= 1


def test_every_shape_in_shapes_is_broken_by_some_case() -> None:
    shapes = Graph()
    for path in paths.shapes_files():
        shapes.parse(path)
    rules = {str(s) for s in shapes.subjects(RDF.type, SH.SPARQLConstraint)}
    covered = {SHAPES + b.rule for b in ALL} | {SHAPES + name for name in MISSING_PROPERTY_CASES}
    assert rules, "no SPARQL rules found in shapes/"
    assert rules - covered == set(), "rules without a breaking test case"
    property_shapes = {str(s) for s in shapes.subjects(RDF.type, SH.PropertyShape)}
    assert property_shapes - covered == set(), "property shapes without a breaking test case"


# Property shapes broken by removing (minCount) or doubling (maxCount) their property on one cell.
MISSING_PROPERTY_CASES = {
    "ObservationInOneDataSet": ("obs", "qb:dataSet"),
    "ObservationHasOneArea": ("obs", "sdmxd:refArea"),
    "ObservationHasOnePeriod": ("obs", "sdmxd:refPeriod"),
    "ObservationHasOneStatistic": ("obs", "mcube:statistic"),
    "ObservationHasOneLevel": ("obs", "mcube:managementLevel"),
    "ObservationHasOneCategory": ("obs", "mcube:offenderCategory"),
    "ObservationHasUnit": ("obs", "sdmxa:unitMeasure"),
    "ObservationHasProvenance": ("obs", "prov:wasDerivedFrom"),
    "NotApplicableInOneDataSet": ("na", "mcube:notApplicableIn"),
    "NotApplicableHasOneStatistic": ("na", "mcube:statistic"),
    "NotApplicableHasOneLevel": ("na", "mcube:managementLevel"),
    "NotApplicableHasOneCategory": ("na", "mcube:offenderCategory"),
    "DataSetHasOneStructure": ("ds", "qb:structure"),
    "DataSetHasTitle": ("ds", "dcterms:title"),
    "DataSetHasSource": ("ds", "prov:wasDerivedFrom"),
    "OtherFigureHasNote": ("other", "rdfs:comment"),
    "OtherFigureHasValue": ("other", "sdmxm:obsValue"),
    "OtherFigureHasProvenance": ("other", "prov:wasDerivedFrom"),
}
SUBJECTS = {
    "obs": "obs:eligible-snapshot/level-1/category-1",
    "na": "obs:eligible-snapshot/level-1/category-3",
    "ds": "dataset:durham-2010-11",
    # A figure of shared/data/mappa_stats.csv that fits no report table (England and Wales, 2004/05).
    "other": "<https://w3id.org/mappa-kb/id/observation/england-and-wales/2004-05/other/level-all/category-all/s2d2c7102d5/na677894f>",
}
FILES = {"other": "data/sources/s2d2c7102d5/england-and-wales-2004-05.ttl"}


@pytest.mark.parametrize("shape", sorted(MISSING_PROPERTY_CASES))
def test_missing_property_is_refused_by_its_shape(shape: str, tmp_path: Path) -> None:
    kind, prop = MISSING_PROPERTY_CASES[shape]
    update = f"DELETE WHERE {{ {SUBJECTS[kind]} {prop} ?any }}"
    breakage = Breakage(f"missing-{shape}", update, shape, file=FILES.get(kind, Breakage.file))
    report = validate_files(_broken_files(breakage, tmp_path), include_ontology=False)
    assert SHAPES + shape in {rule_of(r) for r in report.results}
    assert not report.conforms


COMPARED = ALL[:4] + CUBE_BREAKAGES[-5:] + GLOSSARY_BREAKAGES[-2:]


def _for_pyshacl(files: list[Path]) -> list[Path]:
    """The files pySHACL is compared on: all but the tidy-CSV sources past the first few. pySHACL runs
    each SPARQL rule once per data set over the whole graph, so all 190-odd of them take it many minutes;
    the fast engine checks all of them in every other test."""
    sources = sorted({p.parent for p in files if "sources" in p.parts})
    return [p for p in files if "sources" not in p.parts or p.parent in sources[:3]]


@pytest.mark.parametrize("breakage", COMPARED, ids=str)
def test_fast_engine_gives_exactly_pyshacls_verdicts(breakage: Breakage, tmp_path: Path) -> None:
    files = _for_pyshacl(_broken_files(breakage, tmp_path))
    fast = validate_files(files, include_ontology=False, engine="fast")
    plain = validate_files(files, include_ontology=False, engine="pyshacl")
    assert fast.results, "the case must produce results to compare"
    assert {_comparable(r) for r in fast.results} == {_comparable(r) for r in plain.results}
    assert fast.conforms == plain.conforms


def _comparable(result: ValidationResult) -> ValidationResult:
    """The result with numbers in its message written alike: Oxigraph prints the decimal 82.0 as 82."""
    return replace(result, message=re.sub(r"\b(\d+)\.0\b", r"\1", result.message))


def test_fast_engine_and_pyshacl_agree_that_the_shipped_data_conforms() -> None:
    files = _for_pyshacl(paths.knowledge_base_files())
    assert validate_files(files, engine="pyshacl").results == validate_files(files).results == []
