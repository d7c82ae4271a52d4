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

from ..areas import resolve_area
from ..cube import RATE_TABLES, SNAPSHOT_TABLES, AreaYear, Cell
from . import IngestError

COLUMNS = ["area", "period_start", "period_end", "table", "level", "category", "value", "source_url", "notes"]
TABLES = frozenset(
    {
        "eligible_snapshot",
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
    if raw["value"] == "":
        if skip_empty:
            return f"line {line}: no figure in the value column; skipped as asked"
        raise IngestError("the value is empty: give a figure, or '-' for not applicable", line)
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
    )


def _date(text: str, column: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise IngestError(f"{column} {text!r} is not a date written YYYY-MM-DD", line) from None


def _check_period(table: str, start: date, end: date, line: int) -> None:
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


def _value(text: str, table: str, line: int) -> int | Decimal | None:
    if text == "-":
        return None
    if table in RATE_TABLES and _DECIMAL.fullmatch(text):
        return Decimal(text)
    if _WHOLE.fullmatch(text):
        return int(text)
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        raise IngestError(f"the value {text} is negative; counts and rates are 0 or more", line)
    kind = "a number (a decimal is allowed for rates)" if table in RATE_TABLES else "a whole number"
    raise IngestError(f"the value {text!r} is not {kind}, or '-' for not applicable", line)


def _code(text: str) -> str:
    """A level or category as the cube codes it: blank and 'total' mean all; '2+3' is its own code."""
    return "total" if text in ("", "total") else text


def _group(rows: list[CsvRow]) -> list[AreaYear]:
    groups: dict[tuple[str, str, int], list[CsvRow]] = defaultdict(list)
    for row in rows:
        groups[(row.source_url, row.area_slug, row.start_year)].append(row)
    found = []
    for (source_url, area_slug, start_year), members in sorted(groups.items()):
        first = members[0]
        _, area_label = resolve_area(area_slug)
        group = AreaYear(
            area_slug=area_slug,
            area_label=area_label,
            start_year=start_year,
            source_slug=source_key(source_url),
            generated_by="mappa-kb ingest",
        )
        group.source_url = source_url
        group.area_written = first.area_written
        for row in members:
            group.cells.append(
                Cell(
                    table=row.table,
                    level=_code(row.level),
                    category=_code(row.category),
                    value=row.value,
                    source_table=0,
                    source_line=row.line,
                    note=row.notes,
                    written=(row.level, row.category),
                )
            )
        found.append(group)
    return found
