"""Read the statistics tables of a MAPPA annual report from the text that ``pdftotext`` gives.

The layout is the national template the seed follows (County Durham and Darlington 2010/11): a
category-by-level table for 31 March, a Level 2 and 3 yearly table, single figures for breaches of
notification, orders and the rate per 100,000, and the returns-to-custody tables. What cannot be read
unambiguously stops with an IngestError naming the line, rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ..cube import AreaYear, Cell, SourceTable
from . import IngestError

STATISTICS_PAGE = 3  # the national template: 1 intro, 2 what is MAPPA, 3 statistics, 4 explanation, 5 local

_SNAPSHOT_HEADING = re.compile(r"MAPPA-eligible offenders on 31 March(?: (\d{4}))?")
_YEARLY_HEADING = re.compile(r"MAPPA-eligible offenders in Levels 2 and 3")
_CUSTODY_HEADING = re.compile(r"returned to custody for breach of licence")
_ROW = re.compile(r"^(Level [123]|Total)\s+(.*)$")
# A figure: digits, maybe with thousands separators ("1,234"), maybe with a footnote marker ("12*",
# "12¹", "12(a)"); or a dash. Anything else in a figure's place stops the read at that line.
_CELL = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+|-)(?:[*†‡§¹²³⁰-⁹]+|\([a-z]\))?$")
_SINGLE_FIGURES = (
    (
        re.compile(r"^RSOs cautioned or convicted for breach of notification requirements\s+(\S+)$"),
        "rso_breach_notification",
    ),
    (re.compile(r"^SOPOs\s+(\S+)$"), "orders_sopo"),
    (re.compile(r"^NOs\s+(\S+)$"), "orders_no"),
    (re.compile(r"^FTOs\s+(\S+)$"), "orders_fto"),
    (
        re.compile(r"^Total number of Registered Sexual Offenders per 100,000 population\s+(\S+)$"),
        "rso_per_100k",
    ),
)
# Lines some years' reports add for the orders that replaced SOPOs and for serious further offences.
_OPTIONAL_FIGURES = (
    (re.compile(r"^SHPOs\s+(\S+)$"), "orders_shpo", "1"),
    (re.compile(r"^SROs\s+(\S+)$"), "orders_sro", "1"),
    (re.compile(r"^(?:SFOs|Serious Further Offences)\s+(\S+)$"), "sfo", "total"),
)
_CATEGORIES = ("1", "2", "3", "total")


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


def _lines(text: str) -> list[_Line]:
    return [_Line(i, raw.strip()) for i, raw in enumerate(text.splitlines(), start=1)]


def _figure(token: str, line: int) -> int | None:
    found = _CELL.match(token)
    if not found:
        raise IngestError(f"expected a whole number or '-', found {token!r}", line)
    if found.group(1) == "-":
        return None
    return int(found.group(1).replace(",", ""))


def _column_order(lines: list[_Line], heading: int) -> tuple[str, ...]:
    """The categories of a table's columns, in the order its headings name them (then Total)."""
    found: list[str] = []
    for line in lines[heading + 1 :]:
        if _ROW.match(line.text):
            break
        for match in re.finditer(r"Category ([123])", line.text):
            if match.group(1) not in found:
                found.append(match.group(1))
    if sorted(found) != ["1", "2", "3"]:
        named = ", ".join(f"Category {c}" for c in found) or "no category"
        raise IngestError(
            f"cannot tell which column is which: the headings of this table name {named}, "
            "not Categories 1, 2 and 3",
            lines[heading].number,
        )
    return (*found, "total")


def _table_rows(
    lines: list[_Line], start: int, stop_words: tuple[str, ...]
) -> Iterator[tuple[str, list, int]]:
    """Rows ``Level N a b c total`` after ``start`` until a Total row or a stop word."""
    for line in lines[start:]:
        if any(line.text.startswith(word) for word in stop_words):
            return
        match = _ROW.match(line.text)
        if not match:
            continue
        tokens = match.group(2).split()
        if len(tokens) != len(_CATEGORIES) or not all(_CELL.match(t) for t in tokens):
            raise IngestError(
                f"a table row needs {len(_CATEGORIES)} figures (Category 1, 2, 3, Total), "
                f"found {match.group(2)!r}",
                line.number,
            )
        label = match.group(1)
        level = "total" if label == "Total" else label.split()[1]
        yield level, [_figure(t, line.number) for t in tokens], line.number
        if label == "Total":
            return


def _grid(
    table: str, number: int, rows: Iterator[tuple[str, list, int]], columns: tuple[str, ...] = _CATEGORIES
) -> list[Cell]:
    cells = [
        Cell(table, level, category, value, number, line)
        for level, values, line in rows
        for category, value in zip(columns, values, strict=True)
    ]
    return sorted(cells, key=lambda c: (c.source_line or 0, _CATEGORIES.index(c.category)))


def _find(lines: list[_Line], pattern: re.Pattern[str], after: int = 0) -> int | None:
    for index in range(after, len(lines)):
        if pattern.search(lines[index].text):
            return index
    return None


def _population_basis(lines: list[_Line]) -> str | None:
    for index, line in enumerate(lines):
        if line.text.startswith("This figure has been calculated using"):
            words = []
            for follow in lines[index:]:
                if not follow.text:
                    break
                words.append(follow.text)
            return " ".join(words)
    return None


def read_report(
    text: str, area_slug: str, area_label: str, source_slug: str, start_year: int | None = None
) -> AreaYear:
    """The figures of one annual report's statistics page. ``start_year`` (the year the reporting
    year starts in) is needed only when the text does not say which 31 March its table is for."""
    lines = _lines(text)
    snapshot_at = _find(lines, _SNAPSHOT_HEADING)
    if snapshot_at is None:
        raise IngestError("no table headed 'MAPPA-eligible offenders on 31 March YYYY' was found")
    said = _SNAPSHOT_HEADING.search(lines[snapshot_at].text).group(1)
    if said is None and start_year is None:
        raise IngestError(
            "the table does not say which 31 March it is for; give --year", lines[snapshot_at].number
        )
    if said is not None and start_year is not None and int(said) != start_year + 1:
        raise IngestError(
            f"the table is for 31 March {said}, but --year says the year starting April {start_year}",
            lines[snapshot_at].number,
        )
    figures = AreaYear(area_slug, area_label, int(said) - 1 if said else start_year, source_slug)
    figures.population_basis = _population_basis(lines)

    def table(number: int, title: str) -> int:
        figures.tables.append(SourceTable(number, title, STATISTICS_PAGE))
        return number

    figures.cells += _grid(
        "eligible_snapshot",
        table(1, lines[snapshot_at].text),
        _table_rows(lines, snapshot_at + 1, ("MAPPA-eligible offenders in",)),
        _column_order(lines, snapshot_at),
    )
    yearly_at = _find(lines, _YEARLY_HEADING, snapshot_at + 1)
    if yearly_at is None:
        raise IngestError("no table headed 'MAPPA-eligible offenders in Levels 2 and 3' was found")
    figures.cells += _grid(
        "level23_yearly",
        table(2, lines[yearly_at].text),
        _table_rows(lines, yearly_at + 1, ()),
        _column_order(lines, yearly_at),
    )
    figures.cells += _single_figures(lines, table)
    figures.cells += _optional_figures(lines, table)
    figures.cells += _custody_tables(lines, table)
    return figures


def _optional_figures(lines: list[_Line], table) -> list[Cell]:
    """SHPOs, SROs and serious further offences, for the years whose reports print them."""
    cells = []
    for pattern, name, category in _OPTIONAL_FIGURES:
        index = _find(lines, pattern)
        if index is not None:
            line = lines[index]
            number = table(7 + len(cells), line.text.rsplit(" ", 1)[0])
            cells.append(
                Cell(
                    name,
                    "total",
                    category,
                    _figure(pattern.match(line.text).group(1), line.number),
                    number,
                    line.number,
                )
            )
    return cells


def _single_figures(lines: list[_Line], table) -> list[Cell]:
    cells = []
    numbers = {
        "rso_breach_notification": (3, "RSOs cautioned or convicted for breach of notification requirements"),
        "orders_sopo": (4, "SOPOs, NOs and FTOs imposed by the courts"),
        "orders_no": (4, "SOPOs, NOs and FTOs imposed by the courts"),
        "orders_fto": (4, "SOPOs, NOs and FTOs imposed by the courts"),
        "rso_per_100k": (6, "Total number of Registered Sexual Offenders per 100,000 population"),
    }
    seen_tables: set[int] = set()
    for pattern, name in _SINGLE_FIGURES:
        index = _find(lines, pattern)
        if index is None:
            raise IngestError(f"no line for {numbers[name][1]!r} was found")
        line = lines[index]
        token = pattern.match(line.text).group(1)
        number, title = numbers[name]
        if number not in seen_tables:
            table(number, title)
            seen_tables.add(number)
        if name == "rso_per_100k":
            if not re.fullmatch(r"\d+(\.\d+)?", token):
                raise IngestError(f"expected a rate such as 82 or 82.5, found {token!r}", line.number)
            value: int | Decimal | None = Decimal(token)
        else:
            value = _figure(token, line.number)
        cells.append(Cell(name, "total", "1", value, number, line.number))
    return cells


def _custody_tables(lines: list[_Line], table) -> list[Cell]:
    heading = _find(lines, _CUSTODY_HEADING)
    if heading is None:
        raise IngestError("no table of offenders returned to custody was found")
    number = table(5, lines[heading].text)
    licence = _find(lines, re.compile(r"^Breach of licence$"), heading + 1)
    sopo = _find(lines, re.compile(r"^Breach of SOPO$"), heading + 1)
    if licence is None or sopo is None:
        raise IngestError(
            "the returns-to-custody table needs 'Breach of licence' and 'Breach of SOPO' parts",
            lines[heading].number,
        )
    columns = _column_order(lines, heading)
    return _grid(
        "custody_breach_licence", number, _table_rows(lines, licence + 1, ("Breach of SOPO",)), columns
    ) + _grid("custody_breach_sopo", number, _table_rows(lines, sopo + 1, ()), columns)
