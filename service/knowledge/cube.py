"""Build RDF Data Cube data sets from figures: the one cube builder every reader feeds."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from mappa_kb import uris
from mappa_kb.knowledge import sources
from mappa_kb.uris import (
    DCAT,
    FOAF,
    MAPPA,
    MCUBE,
    PROV,
    QB,
    SDMX_ATTRIBUTE,
    SDMX_CODE,
    SDMX_DIMENSION,
    SDMX_MEASURE,
)

# Statistics given as a 31 March snapshot; every other table covers 1 April to 31 March.
SNAPSHOT_TABLES = frozenset({"eligible_snapshot", "rso_per_100k", "eligible_share"})
RATE_TABLES = frozenset({"rso_per_100k"})
PERCENT_TABLES = frozenset({"eligible_share"})  # a report's commentary: "94% are managed at Level 1"
DECIMAL_TABLES = RATE_TABLES | PERCENT_TABLES
# Tables that count offenders managed at Levels 2 and 3 only (mcube:excludesLevel level:1 in
# ontology/cube.ttl): their total over levels is the Level 2 and 3 total, whatever a source calls it.
LEVEL_2_AND_3_TABLES = frozenset({"level23_yearly", "custody_breach_licence", "custody_breach_sopo", "sfo"})
# Orders imposed by the courts are counted as one figure, not by level or category: a source that
# says "Category 1" (as the seed's CSV rows do) and one that says nothing give the same cell.
ONE_FIGURE_TABLES = frozenset({"orders_sopo", "orders_no", "orders_fto", "orders_shpo", "orders_sro"})

# A cell's status where it is not a plain figure (SDMX observation status, sdmx-code:obsStatus-*).
NOT_COLLECTED = "not-collected"  # L: the source gives no usable figure (not collected, a misprint)
ESTIMATED = "estimated"  # E
PROVISIONAL = "provisional"  # P
OBS_STATUS = {NOT_COLLECTED: "L", ESTIMATED: "E", PROVISIONAL: "P", "break": "B", "not-applicable": "M"}


def obs_status(status: str) -> URIRef:
    """The SDMX observation-status code of one of the statuses above."""
    return SDMX_CODE[f"obsStatus-{OBS_STATUS[status]}"]


def joinable_codes(table: str, level: str, category: str) -> tuple[str, str]:
    """A cell's level and category (CSV codes: "1", "total", "2+3") coded the same way in every year
    and source, so that a statistic's series needs no special cases."""
    if table in ONE_FIGURE_TABLES:
        return "total", "total"
    if table in LEVEL_2_AND_3_TABLES and level == "total":
        return "2+3", category
    return level, category


@dataclass(frozen=True)
class Cell:
    """One cell of a source's table. ``value`` None is a dash (not applicable), or with ``status``
    NOT_COLLECTED a cell the source gives no usable figure for (``note`` says why)."""

    table: str
    level: str
    category: str
    value: int | Decimal | None
    source_table: int
    source_line: int | None = None
    note: str = ""  # what a tidy CSV's notes column says about the figure
    written: tuple[str, str] | None = None  # level and category exactly as a tidy CSV wrote them
    status: str = ""  # NOT_COLLECTED, ESTIMATED, PROVISIONAL or ""
    # A figure the source states in its running text or a note rather than as the cell's figure in a
    # table or row: ``quote`` holds the words. Kept as published (mcube:QuotedFigure), beside the cube.
    quote: str = ""
    basis: str = ""  # how a count was counted where the source says: "yearly" or "mixed"
    population_base: str = ""  # a rate's population: "aged-10-and-over" or "all-ages", where given
    from_note: str = ""  # the note of a tidy CSV's row this figure was read from (not a row of its own)
    on_day: bool = False  # an other figure counted on 31 March rather than over the year

    @property
    def is_dash(self) -> bool:
        return self.value is None and self.status != NOT_COLLECTED


@dataclass(frozen=True)
class SourceTable:
    number: int
    title: str
    page: int | None = None


@dataclass
class AreaYear:
    """One source's figures for one area and reporting year (the year starting 1 April ``start_year``)."""

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
    quoted_in: tuple[str, ...] = ()  # for a source named in others' notes: those sources' urls or names
    source_kind: str | None = None  # a report text's kind of publication (sources.OFFICIAL by default)

    @property
    def source_key(self) -> str:
        """The key of the source, which names its data sets, figures and named graph."""
        return self.source_slug

    @property
    def file_name(self) -> str:
        return f"{self.area_slug}-{self.start_year}-{(self.start_year + 1) % 100:02d}.ttl"


def snapshot_day(start_year: int) -> date:
    return date(start_year + 1, 3, 31)


def period_for(table: str, start_year: int, on_day: bool = False) -> URIRef:
    if table in SNAPSHOT_TABLES or on_day:
        return uris.day(snapshot_day(start_year))
    return uris.reporting_year(start_year)


def describe_periods(graph: Graph, start_year: int) -> None:
    snapshot = snapshot_day(start_year)
    for period, start, end in (
        (uris.day(snapshot), snapshot, snapshot),
        (uris.reporting_year(start_year), date(start_year, 4, 1), snapshot),
    ):
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        graph.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))


def year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _describe_dataset(graph: Graph, figures: AreaYear) -> URIRef:
    ds = uris.dataset(figures.area_slug, figures.start_year, figures.source_key)
    source = uris.thing("source", figures.source_slug)
    title = f"MAPPA statistics: {figures.area_label}, {year_label(figures.start_year)}, as published by "
    if figures.source_url is not None:
        title += figures.source_url
        _describe_named_source(graph, source, figures)
        graph.add((ds, MCUBE.areaAsWritten, Literal(figures.area_written or figures.area_label)))
    else:
        title += "the area's MAPPA annual report"
        kind = figures.source_kind or sources.kind_of("", area_report=True)
        graph.add((source, MCUBE.sourceKind, MCUBE[kind]))
    graph.add((ds, RDF.type, QB.DataSet))
    graph.add((ds, RDF.type, MCUBE.PublishedDataSet))
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


def _describe_named_source(graph: Graph, source: URIRef, figures: AreaYear) -> None:
    """A tidy CSV's source: a web page (its URL) or a document named in words; a source that another
    source's note quotes says where it was quoted."""
    name = figures.source_url or ""
    graph.add((source, RDF.type, PROV.Entity))
    graph.add((source, RDFS.label, Literal(name)))
    graph.add((source, DCTERMS.identifier, Literal(name)))
    graph.add((source, MCUBE.sourceKind, MCUBE[sources.kind_of(name)]))
    if name.startswith(("http://", "https://")):
        with contextlib.suppress(ValueError):  # not one we can link to: the identifier keeps it as written
            graph.add((source, FOAF.page, URIRef(uris.checked_iri(name))))
    for quoting in figures.quoted_in:
        graph.add((source, MCUBE.quotedIn, Literal(quoting)))


def _cell_node(figures: AreaYear, cell: Cell) -> URIRef:
    extra = [figures.source_key]
    if cell.table == "other":  # figures the notes describe: several may share one table cell
        extra.append("n" + hashlib.sha256(cell.note.encode()).hexdigest()[:8])
    elif cell.quote:  # a figure in the text beside the table's own: kept apart from it
        extra.append("q" + hashlib.sha256(f"{cell.value}|{cell.quote}".encode()).hexdigest()[:8])
    return uris.observation(
        figures.area_slug, figures.start_year, cell.table, cell.level, cell.category, *extra
    )


def _add_cell(graph: Graph, ds: URIRef, figures: AreaYear, cell: Cell) -> None:
    node = _cell_node(figures, cell)
    graph.add((node, SDMX_DIMENSION.refArea, uris.area(figures.area_slug)))
    graph.add((node, SDMX_DIMENSION.refPeriod, period_for(cell.table, figures.start_year, cell.on_day)))
    graph.add((node, MCUBE.statistic, uris.statistic(cell.table)))
    graph.add((node, MCUBE.managementLevel, uris.management_level(cell.level)))
    graph.add((node, MCUBE.offenderCategory, uris.offender_category(cell.category)))
    if figures.source_url is not None:
        graph.add((node, PROV.wasDerivedFrom, uris.thing("source", figures.source_slug)))
        _add_csv_details(graph, node, cell)
    elif cell.quote and not cell.source_table:  # the report's running text, not one of its tables
        graph.add((node, PROV.wasDerivedFrom, uris.thing("source", figures.source_slug)))
        graph.add((node, MCUBE.sourceLine, Literal(cell.source_line)))
    else:
        graph.add((node, PROV.wasDerivedFrom, uris.source_table(figures.source_slug, cell.source_table)))
        if cell.source_line is not None:
            graph.add((node, MCUBE.sourceLine, Literal(cell.source_line)))
    _add_qualities(graph, node, figures, cell)
    kind, member_of = _kind_of(cell)
    graph.add((node, RDF.type, kind))
    graph.add((node, member_of, ds))
    if cell.value is not None:
        graph.add((node, SDMX_ATTRIBUTE.unitMeasure, unit_for(cell.table)))
        graph.add((node, SDMX_MEASURE.obsValue, figure_literal(cell.table, cell.value)))
    elif cell.table != "other":
        graph.add(
            (node, SDMX_ATTRIBUTE.obsStatus, obs_status("not-applicable" if cell.is_dash else cell.status))
        )
        if cell.is_dash and figures.source_url is None:  # a tidy CSV's dash keeps the CSV's own note, if any
            graph.add(
                (node, RDFS.comment, Literal("Printed as a dash in the report: not applicable.", lang="en"))
            )


def _kind_of(cell: Cell) -> tuple[URIRef, URIRef]:
    """The class of a published cell and the property that ties it to its data set."""
    if cell.table == "other":
        return MCUBE.OtherFigure, MCUBE.otherFigureIn
    if cell.quote:
        return MCUBE.QuotedFigure, MCUBE.quotedFigureIn
    if cell.value is not None:
        return QB.Observation, QB.dataSet
    if cell.is_dash:
        return MCUBE.NotApplicableCell, MCUBE.notApplicableIn
    return MCUBE.NotCollectedCell, MCUBE.notCollectedIn


def _add_qualities(graph: Graph, node: URIRef, figures: AreaYear, cell: Cell) -> None:
    """What a source says about how a figure was counted: its status, basis, population and words."""
    if cell.status in (ESTIMATED, PROVISIONAL) and cell.value is not None:
        graph.add((node, SDMX_ATTRIBUTE.obsStatus, obs_status(cell.status)))
    if cell.basis:
        graph.add((node, MCUBE.countBasis, MCUBE[f"{cell.basis}-count"]))
    if cell.table in RATE_TABLES and cell.value is not None:
        if figures.population_basis:
            graph.add((node, MCUBE.populationBasis, Literal(figures.population_basis, lang="en")))
        if cell.population_base:
            graph.add((node, MCUBE.populationBase, MCUBE[cell.population_base]))
    if cell.quote:
        graph.add((node, MCUBE.quote, Literal(cell.quote)))
    if cell.from_note:
        graph.add((node, MCUBE.fromNote, Literal(cell.from_note)))


def figure_literal(table: str, value: int | Decimal) -> Literal:
    """A figure as the cube types it: xsd:decimal for rates and shares, xsd:integer for counts."""
    if table in DECIMAL_TABLES:
        return Literal(Decimal(value), datatype=XSD.decimal)
    return Literal(int(value), datatype=XSD.integer)


def _add_csv_details(graph: Graph, node: URIRef, cell: Cell) -> None:
    """What a tidy CSV says beyond the figure: its note, and a level or category written otherwise than
    the cell's code (blank for all, or a category the cube codes as all). Not the row's line: the same
    figures ingested from two files, or from one file split in two, are the same knowledge."""
    if cell.note:
        graph.add((node, RDFS.comment, Literal(cell.note)))
    if cell.written is None:
        return
    level, category = cell.written
    if level != cell.level:
        graph.add((node, MCUBE.levelAsWritten, Literal(level)))
    if category != cell.category:
        graph.add((node, MCUBE.categoryAsWritten, Literal(category)))


def unit_for(table: str) -> URIRef:
    """The unit of a statistic's figures (as ontology/cube.ttl declares with mcube:unit)."""
    if table in RATE_TABLES:
        return MCUBE["per-100000-population"]
    if table in PERCENT_TABLES:
        return MCUBE.percent
    return MCUBE.orders if table.startswith("orders_") else MCUBE.offenders


def new_graph() -> Graph:
    """An empty graph with the prefixes the project writes Turtle with."""
    graph = Graph()
    for prefix, namespace in uris.PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def build_dataset(figures: AreaYear) -> Graph:
    """The Data Cube graph of one source's area-year: data set, cells, periods."""
    graph = new_graph()
    ds = _describe_dataset(graph, figures)
    describe_periods(graph, figures.start_year)
    for cell in figures.cells:
        _add_cell(graph, ds, figures, cell)
    return graph


def to_turtle(figures: AreaYear, graph: Graph | None = None) -> str:
    """Turtle for one area-year (``graph``, else the one its figures build), with a header that says which
    command generated it."""
    header = (
        f"# Generated by `{figures.generated_by}`: do not edit by hand.\n"
        f"# MAPPA statistics for {figures.area_label}, reporting year {year_label(figures.start_year)},"
        " as one source published them.\n"
    )
    if figures.source_url is not None:
        # The source may be any text; one line, so that it cannot end the comment.
        header += f"# Read from a tidy CSV; source: {' '.join(figures.source_url.split())}\n"
    return header + (graph if graph is not None else build_dataset(figures)).serialize(format="turtle")
