"""The figures of a data set or an area, read from the store and laid out the way annual reports lay them.

A report prints each statistic as a table of offender categories (rows) by management levels (columns),
with totals; a figure printed as a dash is "not applicable" (``Figure.value is None``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from . import queries
from .store import Store

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

    @property
    def outside_tables(self) -> bool:
        return self.statistic.endswith("/other")

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
    store: Store, base_uri: str, *, dataset: str | None = None, area: str | None = None
) -> list[Figure]:
    """Every cell of one data set or of one area (give exactly one IRI)."""
    if (dataset is None) == (area is None):
        raise ValueError("give a data set or an area, not both")
    bindings = (("dataset", dataset),) if dataset else (("area", area or ""),)
    return [_figure(row) for row in queries.select(store, "figures", base_uri, bindings)]


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
    )


@dataclass(frozen=True)
class Disagreement:
    """Another data set's figure for a cell of this one."""

    observation: str
    other_value: str  # "-" for a dash
    other_dataset: str
    other_source: str


def disagreements(store: Store, base_uri: str, dataset: str) -> dict[str, list[Disagreement]]:
    """For each cell of ``dataset`` that another source gives differently, what the others say."""
    found: dict[str, list[Disagreement]] = defaultdict(list)
    for row in queries.select(store, "conflicts", base_uri, (("dataset", dataset),)):
        found[row["observation"]].append(
            Disagreement(row["observation"], row["otherValue"], row["otherDataset"], row["otherSource"])
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


def format_value(value: Decimal | None) -> str:
    """A figure as reports print it: thousands separated, a dash for not applicable."""
    if value is None:
        return "\u2013"  # an en dash, as reports print it
    return f"{int(value):,}" if value == value.to_integral_value() else f"{value:,.1f}"
