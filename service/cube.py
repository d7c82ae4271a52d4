"""Build RDF Data Cube data sets from figures: the one cube builder every reader feeds."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from . import uris
from .uris import DCAT, FOAF, MAPPA, MCUBE, PROV, QB, SDMX_ATTRIBUTE, SDMX_DIMENSION, SDMX_MEASURE

# Statistics given as a 31 March snapshot; every other table covers 1 April to 31 March.
SNAPSHOT_TABLES = frozenset({"eligible_snapshot", "rso_per_100k"})
RATE_TABLES = frozenset({"rso_per_100k"})


@dataclass(frozen=True)
class Cell:
    """One cell of a report table. ``value`` None means the report prints a dash: not applicable."""

    table: str
    level: str
    category: str
    value: int | Decimal | None
    source_table: int
    source_line: int | None = None
    note: str = ""  # what a tidy CSV's notes column says about the figure
    written: tuple[str, str] | None = None  # level and category exactly as a tidy CSV wrote them


@dataclass(frozen=True)
class SourceTable:
    number: int
    title: str
    page: int | None = None


@dataclass
class AreaYear:
    """The figures of one area for one reporting year (the year starting 1 April ``start_year``)."""

    area_slug: str
    area_label: str
    start_year: int
    source_slug: str
    cells: list[Cell] = field(default_factory=list)
    tables: list[SourceTable] = field(default_factory=list)
    population_basis: str | None = None
    generated_by: str = "mappa-kb ingest"
    source_url: str | None = None  # a tidy CSV's source_url (a URL or a document's name)
    area_written: str | None = None  # the area as a tidy CSV wrote it

    @property
    def source_key(self) -> str | None:
        """The key of a tidy-CSV source, which names its data sets and figures; None for a report."""
        return self.source_slug if self.source_url is not None else None


def snapshot_day(start_year: int) -> date:
    return date(start_year + 1, 3, 31)


def period_for(table: str, start_year: int) -> URIRef:
    if table in SNAPSHOT_TABLES:
        return uris.day(snapshot_day(start_year))
    return uris.reporting_year(start_year)


def _describe_periods(graph: Graph, start_year: int) -> None:
    snapshot = snapshot_day(start_year)
    for period, start, end in (
        (uris.day(snapshot), snapshot, snapshot),
        (uris.reporting_year(start_year), date(start_year, 4, 1), snapshot),
    ):
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        graph.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))


def _describe_dataset(graph: Graph, figures: AreaYear) -> URIRef:
    ds = uris.dataset(figures.area_slug, figures.start_year, figures.source_key)
    year_label = f"{figures.start_year}/{(figures.start_year + 1) % 100:02d}"
    source = uris.thing("source", figures.source_slug)
    title = f"MAPPA statistics: {figures.area_label}, {year_label}"
    if figures.source_url is not None:
        title += f" (from {figures.source_url})"
        _describe_csv_source(graph, source, figures.source_url)
        graph.add((ds, MCUBE.areaAsWritten, Literal(figures.area_written or figures.area_label)))
    graph.add((ds, RDF.type, QB.DataSet))
    graph.add((ds, QB.structure, MCUBE["mappa-statistics"]))
    graph.add((ds, RDFS.label, Literal(title, lang="en")))
    graph.add((ds, DCTERMS.title, Literal(title, lang="en")))
    graph.add((ds, DCTERMS.spatial, uris.area(figures.area_slug)))
    graph.add((ds, DCTERMS.temporal, uris.reporting_year(figures.start_year)))
    graph.add((ds, DCTERMS.source, source))
    graph.add((ds, PROV.wasDerivedFrom, source))
    for table in figures.tables:
        node = uris.source_table(figures.source_slug, table.number)
        graph.add((node, RDF.type, MCUBE.SourceTable))
        graph.add((node, DCTERMS.isPartOf, source))
        graph.add((node, DCTERMS.title, Literal(table.title, lang="en")))
        graph.add((node, MCUBE.tableNumber, Literal(table.number)))
        if table.page is not None:
            graph.add((node, MAPPA.page, Literal(table.page)))
    return ds


def _describe_csv_source(graph: Graph, source: URIRef, source_url: str) -> None:
    """A tidy CSV's source: a web page (its URL) or a document named in words."""
    graph.add((source, RDF.type, PROV.Entity))
    graph.add((source, RDFS.label, Literal(source_url)))
    graph.add((source, DCTERMS.identifier, Literal(source_url)))
    if source_url.startswith(("http://", "https://")):
        with contextlib.suppress(ValueError):  # not one we can link to: the identifier keeps it as written
            graph.add((source, FOAF.page, URIRef(uris.checked_iri(source_url))))


def _cell_node(figures: AreaYear, cell: Cell) -> URIRef:
    extra = [figures.source_key] if figures.source_key else []
    if cell.table == "other":  # figures the notes describe: several may share one table cell
        extra.append("n" + hashlib.sha256(cell.note.encode()).hexdigest()[:8])
    return uris.observation(
        figures.area_slug, figures.start_year, cell.table, cell.level, cell.category, *extra
    )


def _add_cell(graph: Graph, ds: URIRef, figures: AreaYear, cell: Cell) -> None:
    node = _cell_node(figures, cell)
    graph.add((node, SDMX_DIMENSION.refArea, uris.area(figures.area_slug)))
    graph.add((node, SDMX_DIMENSION.refPeriod, period_for(cell.table, figures.start_year)))
    graph.add((node, MCUBE.statistic, uris.statistic(cell.table)))
    graph.add((node, MCUBE.managementLevel, uris.management_level(cell.level)))
    graph.add((node, MCUBE.offenderCategory, uris.offender_category(cell.category)))
    if figures.source_url is not None:
        graph.add((node, PROV.wasDerivedFrom, uris.thing("source", figures.source_slug)))
        _add_csv_details(graph, node, cell)
    else:
        graph.add((node, PROV.wasDerivedFrom, uris.source_table(figures.source_slug, cell.source_table)))
        if cell.source_line is not None:
            graph.add((node, MCUBE.sourceLine, Literal(cell.source_line)))
    if cell.table == "other":
        graph.add((node, RDF.type, MCUBE.OtherFigure))
        graph.add((node, MCUBE.otherFigureIn, ds))
        graph.add((node, SDMX_ATTRIBUTE.unitMeasure, unit_for(cell.table)))
        if cell.value is not None:
            graph.add((node, SDMX_MEASURE.obsValue, Literal(int(cell.value), datatype=XSD.integer)))
        return
    if cell.value is None:
        graph.add((node, RDF.type, MCUBE.NotApplicableCell))
        graph.add((node, MCUBE.notApplicableIn, ds))
        if figures.source_url is None:  # a tidy CSV's dash keeps the CSV's own note, if any
            graph.add(
                (node, RDFS.comment, Literal("Printed as a dash in the report: not applicable.", lang="en"))
            )
        return
    graph.add((node, RDF.type, QB.Observation))
    graph.add((node, QB.dataSet, ds))
    graph.add((node, SDMX_ATTRIBUTE.unitMeasure, unit_for(cell.table)))
    if cell.table in RATE_TABLES:
        graph.add((node, SDMX_MEASURE.obsValue, Literal(Decimal(cell.value), datatype=XSD.decimal)))
        if figures.population_basis:
            graph.add((node, MCUBE.populationBasis, Literal(figures.population_basis, lang="en")))
    else:
        graph.add((node, SDMX_MEASURE.obsValue, Literal(int(cell.value), datatype=XSD.integer)))


def _add_csv_details(graph: Graph, node: URIRef, cell: Cell) -> None:
    """What a tidy CSV says beyond the figure: its row, its note, and a level or category left blank."""
    if cell.source_line is not None:
        graph.add((node, MCUBE.sourceRow, Literal(cell.source_line)))
    if cell.note:
        graph.add((node, RDFS.comment, Literal(cell.note)))
    level, category = cell.written or ("", "")
    if cell.written and level == "":
        graph.add((node, MCUBE.levelAsWritten, Literal("")))
    if cell.written and category == "":
        graph.add((node, MCUBE.categoryAsWritten, Literal("")))


def unit_for(table: str) -> URIRef:
    """The unit of a statistic's figures (as ontology/cube.ttl declares with mcube:unit)."""
    if table in RATE_TABLES:
        return MCUBE["per-100000-population"]
    return MCUBE.orders if table.startswith("orders_") else MCUBE.offenders


def build_dataset(figures: AreaYear) -> Graph:
    """The Data Cube graph of one area-year: data set, observations, not-applicable cells, periods."""
    graph = Graph()
    for prefix, namespace in uris.PREFIXES.items():
        graph.bind(prefix, namespace)
    ds = _describe_dataset(graph, figures)
    _describe_periods(graph, figures.start_year)
    for cell in figures.cells:
        _add_cell(graph, ds, figures, cell)
    return graph


def to_turtle(figures: AreaYear) -> str:
    """Turtle for one area-year, with a header that says which command generated it."""
    header = (
        f"# Generated by `{figures.generated_by}`: do not edit by hand.\n"
        f"# MAPPA statistics for {figures.area_label}, reporting year {figures.start_year}/"
        f"{(figures.start_year + 1) % 100:02d}.\n"
    )
    if figures.source_url is not None:
        # The source may be any text; one line, so that it cannot end the comment.
        header += f"# Read from a tidy CSV; source: {' '.join(figures.source_url.split())}\n"
    return header + build_dataset(figures).serialize(format="turtle")
