"""The figures of a data set or an area, read from the store and laid out the way annual reports lay them.

A report prints each statistic as a table of offender categories (rows) by management levels (columns),
with totals; a figure printed as a dash is "not applicable" (``Figure.value is None``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from mappa_kb.engine.interface import Store
from mappa_kb.knowledge import queries

LEVEL_ORDER = ["1", "2", "3", "2-and-3", "all"]
CATEGORY_ORDER = ["1", "2", "3", "4", "2-and-3", "all"]


@dataclass(frozen=True)
class Figure:
    dataset: str
    area: str
    observation: str
    statistic: str
    statistic_label: str
    level: str  # "1", "2", "3" or "all"
    category: str  # "1" ... "4" or "all"
    year_end: int  # the calendar year the reporting year ends in (31 March)
    value: Decimal | None  # None: printed as a dash, not applicable
    source: str
    note: str = ""  # for a figure outside the report tables, what it counts
    # The SDMX observation status of a figure, where it is not a plain figure: "break" (the first
    # figure after a change in counting rules), "estimated", "provisional"; or, for a cell without a
    # figure, "not-applicable" (a dash) or "not-collected" (the source gives no usable figure).
    status: str = ""
    disputed: bool = False  # sources disagree about this cell; the figure is the headline's choice
    inconsistency: str = ""  # how a share stated in words disagrees with the same counts
    quoted: bool = False  # a figure a source states in its text, beside its table's (published layer)

    @property
    def marks(self) -> str:
        """The shorthand the Government Statistical Service uses for a figure's status."""
        return {"break": "[b]", "estimated": "[e]", "provisional": "[p]", "not-collected": "[x]"}.get(
            self.status, ""
        )

    @property
    def outside_tables(self) -> bool:
        return self.statistic.endswith("/other") or self.quoted

    @property
    def year(self) -> str:
        """The reporting year as reports write it: 2011 -> "2010/11"."""
        return f"{self.year_end - 1}/{self.year_end % 100:02d}"


@dataclass
class Table:
    """One statistic as a report prints it: categories by levels."""

    statistic: str
    label: str
    levels: list[str]
    categories: list[str]
    cells: dict[tuple[str, str], Figure]

    def cell(self, category: str, level: str) -> Figure | None:
        return self.cells.get((category, level))


def figures(
    store: Store,
    base_uri: str,
    *,
    dataset: str | None = None,
    area: str | None = None,
    published: bool = False,
) -> list[Figure]:
    """Every cell of one data set or of one area (give exactly one IRI): of the headline layer, or with
    ``published`` of one source's data set as published."""
    if (dataset is None) == (area is None):
        raise ValueError("give a data set or an area, not both")
    bindings = (("dataset", dataset),) if dataset else (("area", area or ""),)
    rows = queries.select(store, "published-figures" if published else "figures", base_uri, bindings)
    first = {}
    for row in rows:  # a figure with several sources (or reasons) comes once for each
        first.setdefault(row["observation"], row)
    return [_figure(row) for row in first.values()]


def _last_segment(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def _figure(row: dict[str, str]) -> Figure:
    return Figure(
        dataset=row["dataset"],
        area=row["area"],
        observation=row["observation"],
        statistic=row["statistic"],
        statistic_label=row["statisticLabel"] or _last_segment(row["statistic"]),
        level=_last_segment(row["level"]),
        category=_last_segment(row["category"]),
        year_end=int(row["end"][:4]),
        value=Decimal(row["value"]) if row["value"] else None,
        source=row["source"],
        note=row["note"],
        inconsistency=row["inconsistency"],
        quoted=queries.is_true(row["quoted"]),
        status=_STATUS.get(row["status"].rsplit("-", 1)[-1], "") if row["status"] else "",
        disputed=queries.is_true(row["disputed"]),
    )


# SDMX observation-status codes (sdmx-code:obsStatus-X) as the pages name them.
_STATUS = {
    "B": "break",
    "E": "estimated",
    "P": "provisional",
    "L": "not-collected",
    "M": "not-applicable",
}


@dataclass(frozen=True)
class PublishedFigure:
    """What one source published for a cell that sources disagree about."""

    published: str  # the published cell, in the source's own graph
    used: bool  # whether the headline figure is this one
    value: str  # "-" for a dash
    dataset: str  # the source's data set as published
    source: str  # the source, in words
    quote: str  # the words, for a figure quoted in a source's text
    reason: str  # why the headline chose as it did


def disagreements(store: Store, base_uri: str, dataset: str) -> dict[str, list[PublishedFigure]]:
    """For each cell of the headline data set ``dataset`` that sources disagree about, every figure
    published for it (the one the headline uses first)."""
    found: dict[str, list[PublishedFigure]] = defaultdict(list)
    for row in queries.select(store, "conflicts", base_uri, (("dataset", dataset),)):
        found[row["observation"]].append(
            PublishedFigure(
                row["published"],
                queries.is_true(row["used"]),
                row["value"] or "-",
                row["publishedDataset"],
                row["sourceLabel"] or row["publishedDataset"],
                row["quote"],
                row["reason"],
            )
        )
    return found


def tables(found: list[Figure]) -> list[Table]:
    """The figures of one data set as report tables, one per statistic, in a stable order."""
    by_statistic: dict[str, list[Figure]] = defaultdict(list)
    for figure in found:
        if not figure.outside_tables:  # several may share a cell: listed apart, with their notes
            by_statistic[figure.statistic].append(figure)
    result = []
    for statistic, cells in sorted(by_statistic.items()):
        levels = [level for level in LEVEL_ORDER if any(c.level == level for c in cells)]
        categories = [category for category in CATEGORY_ORDER if any(c.category == category for c in cells)]
        grid = {(c.category, c.level): c for c in cells}
        result.append(Table(statistic, cells[0].statistic_label, levels, categories, grid))
    return result


def outside_tables(found: list[Figure]) -> list[Figure]:
    """The figures that fit none of the report tables, oldest first."""
    return sorted((f for f in found if f.outside_tables), key=lambda f: (f.year_end, f.note))


def totals(found: list[Figure], statistic: str) -> dict[int, Figure]:
    """One statistic's total for each year: the all-levels, all-categories cell, or for a statistic
    counted for one category only (orders, for example: Category 1), that category's total."""
    cells = [f for f in found if f.statistic == statistic and f.level == "all"]
    chosen: dict[int, Figure] = {}
    for figure in sorted(cells, key=lambda f: f.category != "all"):
        chosen.setdefault(figure.year_end, figure)
    return chosen


def years(found: list[Figure]) -> list[int]:
    return sorted({f.year_end for f in found})


def format_value(value: Decimal | None, status: str = "") -> str:
    """A figure as reports print it: thousands separated, a dash for not applicable, [x] (the
    Government Statistical Service's symbol) for a cell without a usable figure."""
    if value is None:
        return "[x]" if status == "not-collected" else "\u2013"  # an en dash, as reports print it
    return f"{int(value):,}" if value == value.to_integral_value() else f"{value:,.1f}"
