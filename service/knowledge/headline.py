"""The headline layer: exactly one figure per cell, chosen from what every source published.

A cell (area, period, statistic, level, category) is often printed by several sources. Each source's
figures stay in the knowledge base as published (``data/sources/``, one named graph per source); this
module derives the layer that queries, pages, charts and downloads see by default
(``data/headline/``, the knowledge base's default graph), by one written precedence:

1. the kind of source: official statistics and the area's own report, then parliamentary answers,
   then the press and other publications (``mcube:precedence`` in ontology/cube.ttl);
2. a figure printed as the cell's own (a table or a row) before one quoted in running text or a note;
3. the figure more sources give;
4. last, the source's key, so that the choice never depends on the order in which files were ingested.

Identical figures from several sources become one headline figure with all its sources
(``mcube:publishedAs``); where sources disagree, the headline figure also names the figures it was
preferred over (``mcube:preferredOver``), is an ``mcube:DisputedFigure`` and says why it was chosen.
A break in a series (counting rules changed: ``mcube:SeriesBreak`` in ontology/cube.ttl) marks the
first figure after it with the SDMX status B, so that no chart or reader joins the two sides.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from mappa_kb import uris
from mappa_kb.knowledge import cube, queries
from mappa_kb.uris import MCUBE, PROV, QB, SDMX_ATTRIBUTE, SDMX_DIMENSION, SDMX_MEASURE

_STATUS_OF_CODE = {str(cube.obs_status(name)): name for name in cube.OBS_STATUS}
MCUBE_LEVEL_ALL = uris.management_level("total")
LOWEST_PRECEDENCE = 99  # a source whose kind is not known ranks after every known kind


@dataclass(frozen=True)
class PublishedCell:
    """One source's word on a cell, as published: a figure, a dash, or no usable figure."""

    node: str
    kind: str  # "figure", "dash", "missing" or "quoted" (a figure in the text)
    dataset: str
    source: str
    source_label: str
    precedence: int
    area: str
    period: str
    end: str
    statistic: str
    table: str
    level: str
    category: str
    value: Decimal | None
    literal: ox.Literal | None
    unit: str
    status: str  # "estimated", "provisional", "not-collected", "not-applicable" or ""
    basis: str
    population_basis: ox.Literal | None
    population_base: str
    derived_from: str
    note: str
    labels: tuple[str, str, str, str]  # area, statistic, level and category, as people read them

    @property
    def cell(self) -> tuple[str, str, str, str, str]:
        return (self.area, self.period, self.statistic, self.level, self.category)

    @property
    def says(self) -> str:
        """What this source says of the cell, for comparing: the figure, or "-" for a dash."""
        return "-" if self.value is None else format(self.value.normalize(), "f")

    @property
    def is_statement(self) -> bool:
        """A figure or a dash: something a source asserts (no usable figure asserts nothing)."""
        return self.kind != "missing"


@dataclass(frozen=True)
class Side:
    """One figure (or dash) for a cell and the published cells that give it."""

    says: str
    cells: tuple[PublishedCell, ...]

    @property
    def sources(self) -> list[str]:
        return sorted({c.source_label for c in self.cells})


@dataclass
class Conflict:
    """A cell where sources disagree: the side the headline shows, and the sides it was preferred over."""

    headline: str
    labels: tuple[str, str, str, str]
    end: str
    chosen: Side
    others: list[Side]
    reason: str

    def describe(self) -> str:
        area, statistic, level, category = self.labels
        others = "; ".join(f"{_shown(s.says)} from {', '.join(s.sources)}" for s in self.others)
        return (
            f"{area}, {self.end}, {statistic}, {level}, {category}: the headline uses "
            f"{_shown(self.chosen.says)} from {', '.join(self.chosen.sources)} ({self.reason}); "
            f"also published: {others}"
        )


@dataclass
class Headline:
    """The headline layer: one graph per area and reporting year, and the conflicts found."""

    graphs: dict[tuple[str, int], Graph] = field(default_factory=dict)
    areas: dict[tuple[str, int], str] = field(default_factory=dict)  # each graph's area, in words
    conflicts: list[Conflict] = field(default_factory=list)
    cells: int = 0


def _shown(says: str) -> str:
    if says == "-":
        return "a dash (not applicable)"
    whole, _, fraction = says.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def _last(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def read_published(store: ox.Store) -> list[PublishedCell]:
    """Every published cell in ``store`` (the published Turtle and the ontology, in one graph)."""
    seen: dict[str, PublishedCell] = {}
    for row in store.query(queries.load("published-cells")):
        node = row["cell"].value
        if node not in seen:
            seen[node] = _published_cell(row)
    return sorted(seen.values(), key=lambda c: c.node)


def _text(row: ox.QuerySolution, name: str) -> str:
    term = row[name]
    return term.value if term is not None else ""


def _published_cell(row: ox.QuerySolution) -> PublishedCell:
    klass = _text(row, "class")
    kind = {
        str(QB.Observation): "figure",
        str(MCUBE.NotApplicableCell): "dash",
        str(MCUBE.NotCollectedCell): "missing",
        str(MCUBE.QuotedFigure): "quoted",
    }[klass]
    value = row["value"]
    precedence = _text(row, "precedence")
    return PublishedCell(
        node=_text(row, "cell"),
        kind=kind,
        dataset=_text(row, "dataset"),
        source=_text(row, "source"),
        source_label=_text(row, "sourceLabel") or _last(_text(row, "source")),
        precedence=int(precedence) if precedence else LOWEST_PRECEDENCE,
        area=_text(row, "area"),
        period=_text(row, "period"),
        end=_text(row, "end"),
        statistic=_text(row, "statistic"),
        table=_text(row, "table"),
        level=_text(row, "level"),
        category=_text(row, "category"),
        value=Decimal(value.value) if value is not None else None,
        literal=value if isinstance(value, ox.Literal) else None,
        unit=_text(row, "unit"),
        status=_STATUS_OF_CODE.get(_text(row, "status"), ""),
        basis=_text(row, "basis"),
        population_basis=row["populationBasis"],
        population_base=_text(row, "populationBase"),
        derived_from=_text(row, "derivedFrom"),
        note=_text(row, "note"),
        labels=(
            _text(row, "areaLabel") or _last(_text(row, "area")),
            _text(row, "statisticLabel") or _text(row, "table"),
            _text(row, "levelLabel") or _last(_text(row, "level")),
            _text(row, "categoryLabel") or _last(_text(row, "category")),
        ),
    )


def _rank(side: Side) -> tuple:
    """The precedence of one side of a cell (smaller first); see the module's docstring."""
    best = min(side.cells, key=lambda c: (c.precedence, c.kind == "quoted"))
    sources = {c.source for c in side.cells}
    return (best.precedence, best.kind == "quoted", -len(sources), min(sources))


def _reason(chosen: Side, runner_up: Side) -> str:
    """Which step of the precedence told the two best sides apart, in words."""
    first, second = _rank(chosen), _rank(runner_up)
    if first[0] != second[0]:
        return "the kind of source ranks higher (official statistics, then parliament, then the press)"
    if first[1] != second[1]:
        return "a figure printed in a table or row comes before one quoted in the text"
    if first[2] != second[2]:
        return f"more sources give it ({-first[2]} against {-second[2]})"
    return "nothing else tells them apart, so the source listed first by its key is used"


def choose(cells: list[PublishedCell]) -> tuple[Side, list[Side], str]:
    """For one cell's published statements: the side the headline shows, the others, and why."""
    by_says: dict[str, list[PublishedCell]] = defaultdict(list)
    for cell in cells:
        by_says[cell.says].append(cell)
    sides = sorted((Side(says, tuple(found)) for says, found in by_says.items()), key=_rank)
    chosen, others = sides[0], sides[1:]
    return chosen, others, (_reason(chosen, others[0]) if others else "")


def derive(store: ox.Store) -> Headline:
    """The headline layer of the published cells in ``store``."""
    by_cell: dict[tuple, list[PublishedCell]] = defaultdict(list)
    for cell in read_published(store):
        by_cell[cell.cell].append(cell)
    headline = Headline()
    made: list[tuple[PublishedCell, URIRef]] = []
    for key in sorted(by_cell):
        made.append(_add_cell(headline, by_cell[key]))
    _mark_breaks(headline, made, _series_breaks(store))
    _check_shares(headline, made)
    _add_other_figures(headline, store)
    _add_sources(headline, store)
    headline.cells = len(made)
    return headline


def _graph_for(headline: Headline, area: str, end: str, area_label: str) -> tuple[Graph, URIRef]:
    """The graph of the headline data set of an area (IRI) and the reporting year that ``end`` is in."""
    area_slug, start_year = _last(area), int(end[:4]) - 1
    key = (area_slug, start_year)
    dataset = uris.dataset(area_slug, start_year)
    if key not in headline.graphs:
        graph = cube.new_graph()
        _describe_dataset(graph, dataset, area_slug, start_year, area_label)
        cube.describe_periods(graph, start_year)
        headline.graphs[key] = graph
        headline.areas[key] = area_label
    return headline.graphs[key], dataset


def _describe_dataset(graph: Graph, dataset: URIRef, area_slug: str, start_year: int, area: str) -> None:
    title = f"MAPPA statistics: {area}, {cube.year_label(start_year)}"
    graph.add((dataset, RDF.type, QB.DataSet))
    graph.add((dataset, RDF.type, MCUBE.HeadlineDataSet))
    graph.add((dataset, QB.structure, MCUBE["mappa-statistics"]))
    graph.add((dataset, RDFS.label, Literal(title, lang="en")))
    graph.add((dataset, DCTERMS.title, Literal(title, lang="en")))
    graph.add((dataset, DCTERMS.spatial, uris.area(area_slug)))
    graph.add((dataset, DCTERMS.temporal, uris.reporting_year(start_year)))


def _headline_node(first: PublishedCell) -> URIRef:
    return uris.observation(
        _last(first.area),
        int(first.end[:4]) - 1,
        first.table,
        _last(first.level),
        _last(first.category),
    )


def _add_cell(headline: Headline, cells: list[PublishedCell]) -> tuple[PublishedCell, URIRef]:
    """The headline cell for one cell's published cells; returns the cell it follows and its node."""
    graph, dataset = _graph_for(headline, cells[0].area, cells[0].end, cells[0].labels[0])
    node = _headline_node(cells[0])
    for source in {c.source for c in cells}:
        graph.add((dataset, DCTERMS.source, URIRef(source)))
    for published in {c.dataset for c in cells}:
        graph.add((dataset, PROV.wasDerivedFrom, URIRef(published)))
    statements = [c for c in cells if c.is_statement]
    if not statements:
        _add_missing(graph, node, dataset, cells)
        return cells[0], node
    chosen, others, reason = choose(statements)
    best = min(chosen.cells, key=lambda c: (c.precedence, c.kind == "quoted", c.source))
    _add_dimensions(graph, node, best)
    for cell in chosen.cells:
        graph.add((node, MCUBE.publishedAs, URIRef(cell.node)))
        if cell.derived_from:
            graph.add((node, PROV.wasDerivedFrom, URIRef(cell.derived_from)))
    if chosen.says == "-":
        graph.add((node, RDF.type, MCUBE.NotApplicableCell))
        graph.add((node, MCUBE.notApplicableIn, dataset))
        graph.add((node, SDMX_ATTRIBUTE.obsStatus, cube.obs_status("not-applicable")))
    else:
        _add_figure(graph, node, dataset, best)
    if others:
        _add_dispute(graph, node, others, reason)
        headline.conflicts.append(Conflict(str(node), best.labels, best.end, chosen, others, reason))
    return best, node


def _add_dimensions(graph: Graph, node: URIRef, cell: PublishedCell) -> None:
    graph.add((node, SDMX_DIMENSION.refArea, URIRef(cell.area)))
    graph.add((node, SDMX_DIMENSION.refPeriod, URIRef(cell.period)))
    graph.add((node, MCUBE.statistic, URIRef(cell.statistic)))
    graph.add((node, MCUBE.managementLevel, URIRef(cell.level)))
    graph.add((node, MCUBE.offenderCategory, URIRef(cell.category)))


def _add_figure(graph: Graph, node: URIRef, dataset: URIRef, best: PublishedCell) -> None:
    graph.add((node, RDF.type, QB.Observation))
    graph.add((node, QB.dataSet, dataset))
    graph.add((node, SDMX_MEASURE.obsValue, cube.figure_literal(best.table, best.value or 0)))
    graph.add((node, SDMX_ATTRIBUTE.unitMeasure, URIRef(best.unit or cube.unit_for(best.table))))
    if best.status in (cube.ESTIMATED, cube.PROVISIONAL):
        graph.add((node, SDMX_ATTRIBUTE.obsStatus, cube.obs_status(best.status)))
    if best.basis:
        graph.add((node, MCUBE.countBasis, URIRef(best.basis)))
    if best.population_base:
        graph.add((node, MCUBE.populationBase, URIRef(best.population_base)))
    if best.population_basis is not None:
        graph.add((node, MCUBE.populationBasis, Literal(best.population_basis.value, lang="en")))


def _add_missing(graph: Graph, node: URIRef, dataset: URIRef, cells: list[PublishedCell]) -> None:
    """A cell that sources name but give no usable figure for: kept, with each source's reason."""
    _add_dimensions(graph, node, cells[0])
    graph.add((node, RDF.type, MCUBE.NotCollectedCell))
    graph.add((node, MCUBE.notCollectedIn, dataset))
    graph.add((node, SDMX_ATTRIBUTE.obsStatus, cube.obs_status(cube.NOT_COLLECTED)))
    for cell in cells:
        graph.add((node, MCUBE.publishedAs, URIRef(cell.node)))
        if cell.note:
            graph.add((node, RDFS.comment, Literal(cell.note)))
        if cell.derived_from:
            graph.add((node, PROV.wasDerivedFrom, URIRef(cell.derived_from)))


def _add_dispute(graph: Graph, node: URIRef, others: list[Side], reason: str) -> None:
    graph.add((node, RDF.type, MCUBE.DisputedFigure))
    graph.add(
        (
            node,
            MCUBE.choiceReason,
            Literal(f"Sources disagree; this figure is used because {reason}.", lang="en"),
        )
    )
    for side in others:
        for cell in side.cells:
            graph.add((node, MCUBE.preferredOver, URIRef(cell.node)))


@dataclass(frozen=True)
class SeriesBreak:
    statistic: str
    category: str
    first_end: str  # the end of the first period counted under the new rules


def _series_breaks(store: ox.Store) -> list[SeriesBreak]:
    return [
        SeriesBreak(row["statistic"].value, row["category"].value, row["from"].value)
        for row in store.query(queries.load("series-breaks"))
    ]


def _mark_breaks(
    headline: Headline, made: list[tuple[PublishedCell, URIRef]], breaks: list[SeriesBreak]
) -> None:
    """SDMX status B on the first figure of a series after a change in counting rules."""
    series: dict[tuple, list[tuple[PublishedCell, URIRef]]] = defaultdict(list)
    for cell, node in made:
        if cell.value is not None:
            series[(cell.area, cell.statistic, cell.level, cell.category)].append((cell, node))
    for (_, statistic, _, category), members in series.items():
        dates = [b.first_end for b in breaks if b.statistic == statistic and b.category == category]
        for (before, _), (after, node) in pairwise(sorted(members, key=lambda m: m[0].end)):
            if any(before.end < first <= after.end for first in dates):
                graph = headline.graphs[(_last(after.area), int(after.end[:4]) - 1)]
                graph.remove((node, SDMX_ATTRIBUTE.obsStatus, None))
                graph.add((node, SDMX_ATTRIBUTE.obsStatus, cube.obs_status("break")))


def _check_shares(headline: Headline, made: list[tuple[PublishedCell, URIRef]]) -> None:
    """A share at a level that a report's text states ("94% this year") against the share its counts
    give (569 of 593 is 96%): where they differ by more than rounding, the headline figure says so."""
    counts = {
        (c.area, c.period, c.level, c.category): c.value
        for c, _ in made
        if c.table == "eligible_snapshot" and c.value is not None
    }
    for cell, node in made:
        if cell.table != "eligible_share" or cell.value is None:
            continue
        part = counts.get((cell.area, cell.period, cell.level, cell.category))
        total = counts.get((cell.area, cell.period, str(MCUBE_LEVEL_ALL), cell.category))
        if not part or not total:
            continue
        computed = part * 100 / total
        if abs(computed - cell.value) > Decimal("0.5"):
            graph = headline.graphs[(_last(cell.area), int(cell.end[:4]) - 1)]
            graph.add((node, RDF.type, MCUBE.InconsistentFigure))
            message = (
                f"The text gives {_shown(cell.says)}%, but the same counts give {computed:.0f}% "
                f"({_shown(str(part))} of {_shown(str(total))})."
            )
            graph.add((node, MCUBE.inconsistency, Literal(message, lang="en")))


def _add_other_figures(headline: Headline, store: ox.Store) -> None:
    """Figures outside the report tables, each with its note: listed beside the headline's cells."""
    for row in store.query(queries.load("published-other-figures")):
        area = row["area"].value
        label = row["areaLabel"].value if row["areaLabel"] is not None else _last(area)
        graph, dataset = _graph_for(headline, area, row["end"].value, label)
        graph.add((dataset, DCTERMS.source, URIRef(row["publishedBy"].value)))
        graph.add((dataset, PROV.wasDerivedFrom, URIRef(row["dataset"].value)))
        node = _other_node(row)
        graph.add((node, MCUBE.publishedAs, URIRef(row["figure"].value)))
        graph.add((node, RDF.type, MCUBE.OtherFigure))
        graph.add((node, MCUBE.otherFigureIn, dataset))
        for predicate in ("refArea", "refPeriod"):
            graph.add((node, SDMX_DIMENSION[predicate], URIRef(row[predicate].value)))
        for predicate in ("statistic", "managementLevel", "offenderCategory"):
            graph.add((node, MCUBE[predicate], URIRef(row[predicate].value)))
        graph.add((node, PROV.wasDerivedFrom, URIRef(row["source"].value)))
        if row["value"] is not None:
            graph.add((node, SDMX_MEASURE.obsValue, _rdflib_term(row["value"])))
            graph.add((node, SDMX_ATTRIBUTE.unitMeasure, URIRef(row["unit"].value)))
        if row["note"] is not None:
            graph.add((node, RDFS.comment, Literal(row["note"].value)))


def _other_node(row: ox.QuerySolution) -> URIRef:
    """A headline node for a figure outside the tables: its cell and what it says (note and figure),
    without its source's key, so that two sources that give the same figure with the same words give
    one, with both sources (it is named like the published one, whose last-but-one segment is the key)."""
    note = row["note"].value if row["note"] is not None else ""
    value = row["value"].value if row["value"] is not None else ""
    published = row["figure"].value.rsplit("/", 2)[0]
    return URIRef(f"{published}/n{hashlib.sha256(f'{note}|{value}'.encode()).hexdigest()[:8]}")


def _add_sources(headline: Headline, store: ox.Store) -> None:
    """Each cited source's description (and its tables), so that the default graph names them."""
    cited: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for key, graph in headline.graphs.items():
        for source in graph.objects(None, DCTERMS.source):
            cited[str(source)].add(key)
    for row in store.query(queries.load("source-descriptions")):
        for key in cited.get(row["source"].value, ()):
            graph = headline.graphs[key]
            subject, predicate, value = URIRef(row["subject"].value), URIRef(row["p"].value), row["o"]
            if not isinstance(value, ox.BlankNode):  # (a source the ontology describes: it is served)
                graph.add((subject, predicate, _rdflib_term(value)))


def _rdflib_term(term: ox.NamedNode | ox.Literal) -> URIRef | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def to_turtle(headline: Headline, key: tuple[str, int]) -> str:
    """Turtle for one area-year's headline figures, saying which command generated it."""
    area, start_year = headline.areas[key], key[1]
    header = (
        "# Generated by `mappa-kb ingest` (the headline layer): do not edit by hand.\n"
        f"# One figure per cell for {area}, reporting year {cube.year_label(start_year)}, chosen from\n"
        "# the figures each source published (data/sources/) by the precedence in docs/model.md.\n"
    )
    return header + headline.graphs[key].serialize(format="turtle")
