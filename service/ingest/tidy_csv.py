"""Read tidy CSV (one row per cell, the layout of shared/data/mappa_stats.csv) into figures per source.

Columns: ``area,period_start,period_end,table,level,category,value,source_url,notes``. Every row is
checked before anything is built: the area must be a MAPPA area or England and Wales, the table one of
the statistics, the period the 31 March snapshot or the 1 April to 31 March year the table is counted
over, the value a whole number (a decimal for rates) or ``-``. The first problem stops the read with
the row's line number and what to change. Rows are grouped by source, area and reporting year: each
group becomes one data set, so that two sources for the same cell are kept side by side.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from mappa_kb.ingest import IngestError, notes
from mappa_kb.knowledge.areas import resolve_area
from mappa_kb.knowledge.cube import (
    DECIMAL_TABLES,
    NOT_COLLECTED,
    RATE_TABLES,
    SNAPSHOT_TABLES,
    AreaYear,
    Cell,
    joinable_codes,
)
from mappa_kb.knowledge.export import COLUMNS

TABLES = frozenset(
    {
        "eligible_snapshot",
        "eligible_share",
        "level23_yearly",
        "rso_breach_notification",
        "orders_sopo",
        "orders_no",
        "orders_fto",
        "orders_shpo",
        "orders_sro",
        "custody_breach_licence",
        "custody_breach_sopo",
        "rso_per_100k",
        "sfo",
        "other",
    }
)
LEVELS = {"1", "2", "3", "total", "2+3", ""}
CATEGORIES = {"1", "2", "3", "4", "total", "2+3", ""}
MAX_BYTES = 10 * 1024 * 1024  # the real file is 83 KB; anything this big is not a table of MAPPA figures
# "North East (Durham+Teesside+Northumbria)", "Wales (4 areas)": sums over MAPPA areas, not areas.
_REGIONAL_SUM = re.compile(r"\(.*(\+|\d+ areas).*\)")
_WHOLE = re.compile(r"\d+")
_DECIMAL = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class CsvRow:
    line: int
    area_slug: str
    area_written: str
    start: date
    end: date
    table: str
    level: str
    category: str
    value: int | Decimal | None
    source_url: str
    notes: str
    raw_value: str = ""  # the value column as written: "-" (a dash) or "" (no usable figure) for None

    @property
    def start_year(self) -> int:
        """The year the reporting year (1 April to 31 March) starts in."""
        return self.end.year - 1


@dataclass
class CsvRead:
    groups: list[AreaYear]
    skipped: list[str] = field(default_factory=list)  # what was left out on request, with its line


def source_key(source_url: str) -> str:
    """A short stable name for a source (its URL or document name), for URIs and file names."""
    return "s" + hashlib.sha256(source_url.strip().encode()).hexdigest()[:10]


def read_csv(
    data: bytes, *, skip_regional_sums: bool = False, skip_empty_values: bool = False, name: str = "the file"
) -> CsvRead:
    """Every row of a tidy CSV, checked and grouped into one AreaYear per source, area and year."""
    if len(data) > MAX_BYTES:
        raise IngestError(
            f"{name} is {len(data):,} bytes; a tidy CSV of MAPPA figures is at most {MAX_BYTES:,}"
        )
    text = _decode(data, name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise IngestError(f"{name} is empty: expected the header {','.join(COLUMNS)}")
        if [h.strip() for h in header] != COLUMNS:
            raise IngestError(f"the header must be {','.join(COLUMNS)} (found {','.join(header)[:200]})", 1)
        rows, skipped = [], []
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            row = _row(fields, line, skip_regional_sums, skip_empty_values)
            if isinstance(row, str):
                skipped.append(row)
            else:
                rows.append(row)
    except csv.Error as problem:
        raise IngestError(f"not valid CSV: {problem}", reader.line_num) from None
    if not rows:
        raise IngestError(f"{name} has a header but no rows of figures")
    return CsvRead(_group(rows), skipped)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as spreadsheet programs write, is fine
    except UnicodeDecodeError as problem:
        raise IngestError(f"{name} is not UTF-8 text (byte {problem.start}); save it as CSV UTF-8") from None


def _row(fields: list[str], line: int, skip_regional: bool, skip_empty: bool) -> CsvRow | str:
    if len(fields) != len(COLUMNS):
        raise IngestError(
            f"expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), found {len(fields)}; "
            "is the file cut short, or a comma not quoted?",
            line,
        )
    raw = dict(zip(COLUMNS, (f.strip() for f in fields), strict=True))
    if _REGIONAL_SUM.search(raw["area"]):
        if skip_regional:
            return f"line {line}: {raw['area']!r} is a sum over several MAPPA areas; skipped as asked"
        raise IngestError(
            f"{raw['area']!r} is a sum over several MAPPA areas, not a MAPPA area; leave it out, or pass "
            "--skip-regional-sums to skip such rows",
            line,
        )
    try:
        area_slug, _ = resolve_area(raw["area"])
    except LookupError as problem:
        raise IngestError(str(problem), line) from None
    table = raw["table"]
    if table not in TABLES:
        raise IngestError(f"unknown table {table!r}; the tables are {', '.join(sorted(TABLES))}", line)
    for column, allowed in (("level", LEVELS), ("category", CATEGORIES)):
        if raw[column] not in allowed:
            choices = ", ".join(repr(a) for a in sorted(allowed))
            raise IngestError(f"unknown {column} {raw[column]!r}; use one of {choices}", line)
    if raw["value"] == "" and skip_empty:
        return f"line {line}: no figure in the value column; skipped as asked"
    if not raw["source_url"]:
        raise IngestError("source_url is empty: every figure must say where it came from", line)
    start, end = (
        _date(raw["period_start"], "period_start", line),
        _date(raw["period_end"], "period_end", line),
    )
    _check_period(table, start, end, line)
    return CsvRow(
        line=line,
        area_slug=area_slug,
        area_written=raw["area"],
        start=start,
        end=end,
        table=table,
        level=raw["level"],
        category=raw["category"],
        value=_value(raw["value"], table, line),
        source_url=raw["source_url"],
        notes=raw["notes"],
        raw_value=raw["value"],
    )


def _date(text: str, column: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise IngestError(f"{column} {text!r} is not a date written YYYY-MM-DD", line) from None


def _check_period(table: str, start: date, end: date, line: int) -> None:
    if table == "other" and start == end and (end.month, end.day) == (3, 31):
        return  # a figure outside the tables may be a count (or a ratio) on 31 March
    if table in SNAPSHOT_TABLES:
        if not (start == end and (end.month, end.day) == (3, 31)):
            raise IngestError(
                f"{table} is a count on 31 March: period_start and period_end must both be 31 March "
                f"(found {start} to {end})",
                line,
            )
        return
    if not (
        (start.month, start.day) == (4, 1) and (end.month, end.day) == (3, 31) and end.year == start.year + 1
    ):
        raise IngestError(
            f"{table} is counted over a reporting year: the period must run from 1 April to 31 March of the "
            f"next year (found {start} to {end})",
            line,
        )


MAX_FIGURE = 10_000_000  # England and Wales has about 90,000 MAPPA offenders: larger is not a figure


def _value(text: str, table: str, line: int) -> int | Decimal | None:
    if text in ("-", ""):  # a dash: not applicable; empty: no usable figure (the note says why)
        return None
    if _DECIMAL.fullmatch(text) and Decimal(text) > MAX_FIGURE:
        raise IngestError(
            f"the value {text} is larger than any MAPPA figure (at most {MAX_FIGURE:,}); "
            "is a column shifted?",
            line,
        )
    if table in DECIMAL_TABLES and _DECIMAL.fullmatch(text):
        return Decimal(text)
    if _WHOLE.fullmatch(text):
        return int(text)
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        raise IngestError(f"the value {text} is negative; counts and rates are 0 or more", line)
    kind = "a number (a decimal is allowed for rates)" if table in DECIMAL_TABLES else "a whole number"
    raise IngestError(f"the value {text!r} is not {kind}, or '-' for not applicable", line)


def _code(text: str) -> str:
    """A level or category as the cube codes it: blank and 'total' mean all; '2+3' is its own code."""
    return "total" if text in ("", "total") else text


def _cell(row: CsvRow) -> Cell:
    level, category = joinable_codes(row.table, _code(row.level), _code(row.category))
    missing = row.value is None and row.raw_value == ""
    return Cell(
        table=row.table,
        level=level,
        category=category,
        value=row.value,
        source_table=0,
        source_line=row.line,
        note=row.notes,
        written=(row.level, row.category),
        on_day=row.start == row.end,
        status=NOT_COLLECTED if missing else notes.status_in(row.notes),
        basis=notes.basis_in(row.notes) if row.table == "eligible_snapshot" else "",
        population_base=notes.population_base_in(row.notes) if row.table in RATE_TABLES else "",
    )


def _note_cells(row: CsvRow) -> list[tuple[str | None, Cell]]:
    """The figures a row's note records beside the row's own: (the source named, or None for the
    row's own source; the cell)."""
    found = []
    for figure in notes.figures_in(row.notes, row.end.year):
        if row.table == "other":
            continue  # an other figure's cell is not a cell of the cube: nothing to compare with
        if figure.rso_count:
            if row.table not in SNAPSHOT_TABLES or row.table == "eligible_snapshot":
                continue  # "gives N RSOs" on a count row is that count again, not a second figure
            table, level, category = "eligible_snapshot", "total", "1"
        else:
            table = row.table
            level, category = joinable_codes(table, _code(row.level), _code(row.category))
        if table not in DECIMAL_TABLES and figure.value != figure.value.to_integral_value():
            continue
        value = figure.value if table in DECIMAL_TABLES else int(figure.value)
        cell = Cell(table, level, category, value, 0, row.line, quote=figure.words, from_note=row.notes)
        found.append((figure.source, cell))
    return found


def _group(rows: list[CsvRow]) -> list[AreaYear]:
    groups: dict[tuple[str, str, int], list[Cell]] = defaultdict(list)
    written: dict[tuple[str, str, int], str] = {}
    quoted_in: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        key = (row.source_url, row.area_slug, row.start_year)
        groups[key].append(_cell(row))
        written[key] = min(written.get(key, row.area_written), row.area_written)  # (any file order)
        for named, cell in _note_cells(row):
            # A source named in a note is a source of its own, known through the row's source.
            source = named if named is not None else row.source_url
            if named is not None:
                quoted_in[named].add(row.source_url)
            other = (source, row.area_slug, row.start_year)
            groups[other].append(cell)
            written[other] = min(written.get(other, row.area_written), row.area_written)
    found = []
    for (source_url, area_slug, start_year), cells in sorted(groups.items()):
        _, area_label = resolve_area(area_slug)
        group = AreaYear(
            area_slug=area_slug,
            area_label=area_label,
            start_year=start_year,
            source_slug=source_key(source_url),
            generated_by="mappa-kb ingest",
            cells=cells,
            source_url=source_url,
            area_written=written[(source_url, area_slug, start_year)],
            quoted_in=tuple(sorted(quoted_in.get(source_url, ()))),
        )
        found.append(group)
    return found
