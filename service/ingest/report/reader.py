"""Read every MAPPA table a text holds, whatever its era's layout, and say what was and was not read.

The text is walked line by line; at each line not yet accounted for, the block readers are tried in
turn (category-by-level tables, tables by year, lists by district, labelled figures). Each hands back
its figures unplaced; they are then placed in one AreaYear per area and reporting year, their codes
made joinable, and repeats (an HTML copy prints paragraphs twice) kept once. Lines that look like
part of a table but that no reader used are named with their line numbers. Nothing is refused but a
text with no figure at all (or one that is not an English or Welsh report's text): judging the figures
(totals, impossible cells) is validation's work, after reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from mappa_kb.ingest import IngestError, notes
from mappa_kb.ingest.report.breakdown import read_breakdown
from mappa_kb.ingest.report.lines import Line, as_text, has_pages, is_table_like, split_lines
from mappa_kb.ingest.report.matrix import read_matrix
from mappa_kb.ingest.report.model import Block, Found
from mappa_kb.ingest.report.press import read_press
from mappa_kb.ingest.report.prose import prose_figures
from mappa_kb.ingest.report.scope import contents_lines, refuse_scottish
from mappa_kb.ingest.report.singles import read_single_figures
from mappa_kb.ingest.report.year_columns import read_year_columns
from mappa_kb.knowledge.cube import AreaYear, Cell, SourceTable, joinable_codes, year_label

STATISTICS_PAGE = 3  # the 2009/10-2014/15 template: 1 intro, 2 what is MAPPA, 3 statistics, 4 explanation
_LAST_TEMPLATE_YEAR = 2014  # the template with statistics on page 3 ran to 2014/15
_LAST_MIXED_YEAR = 2007  # to 2007/08 Categories 2 and 3 were counted over the year, not on 31 March


@dataclass
class ReportRead:
    """Everything a text holds: one AreaYear per area and reporting year, and an account of the read."""

    groups: list[AreaYear]
    read: list[str]  # what was read, in words, with line numbers
    unrecognised: list[tuple[int, str]]  # (line, text): table-like lines that no reader used
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, why): recognised, not readable
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why): left out by design


def read_tables(
    text: str | bytes,
    *,
    area: tuple[str, str] | None = None,
    source_slug: str,
    start_year: int | None = None,
) -> ReportRead:
    """The figures of every table a report, Hansard answer or article holds. ``area`` (slug, label) is
    the area the text is about (rows of a table by area name their own); ``start_year`` the year the
    reporting year starts in, for figures whose year the text does not say."""
    lines = split_lines(as_text(text))
    if not any(line.text for line in lines):
        raise IngestError("no figure found: the text is empty")
    refuse_scottish(lines)
    contents = contents_lines(lines)
    blocks = _scan(lines, contents)
    used = set(contents).union(*(block.used for block in blocks))
    press = read_press(lines, used) if area is not None else None
    if press is not None:
        blocks.append(press)
        used |= press.used
    placing = _Placing(lines, blocks, area, source_slug, start_year)
    used |= placing.add_prose()
    unrecognised = [
        (line.number, line.text) for line in lines if line.number not in used and is_table_like(line.text)
    ]
    if contents:
        placing.read.insert(
            0, f"{_span(contents)}: a contents page (section titles and page numbers), no figures"
        )
    if not any(group.cells for group in placing.groups.values()):
        _refuse(placing.problems, contents, unrecognised)
    return ReportRead(
        groups=list(placing.groups.values()),
        read=placing.read,
        unrecognised=unrecognised,
        problems=sorted(placing.problems),
        skipped=sorted(placing.skipped),
    )


def read_report(
    text: str, area_slug: str, area_label: str, source_slug: str, start_year: int | None = None
) -> AreaYear:
    """The figures of one area's report for one year. What a table holds but cannot be read
    unambiguously (a row cut short, columns not named) stops the read at its line."""
    read = read_tables(text, area=(area_slug, area_label), source_slug=source_slug, start_year=start_year)
    if read.problems:
        line, message = read.problems[0]
        raise IngestError(message, line)
    if len(read.groups) != 1 or read.groups[0].area_slug != area_slug:
        held = ", ".join(f"{g.area_label} {year_label(g.start_year)}" for g in read.groups)
        raise IngestError(
            f"the text holds figures for {held or 'no year'}, not for one year of {area_label}: read it "
            "with read_tables, which gives one set of figures for each area and year"
        )
    return read.groups[0]


def _scan(lines: list[Line], contents: set[int]) -> list[Block]:
    blocks: list[Block] = []
    used = set(contents)
    index = 0
    while index < len(lines):
        if not lines[index].text or lines[index].number in used:
            index += 1
            continue
        block = (
            read_matrix(lines, index)
            or read_year_columns(lines, index, used)
            or read_breakdown(lines, index)
            or read_single_figures(lines, index, used)
        )
        if block is None:
            index += 1
            continue
        blocks.append(block)
        used |= block.used
        index = max(block.end, index + 1)
    return blocks


def era_basis(table: str, category: str, start_year: int) -> str:
    """How the reports of 2002/03 to 2007/08 counted: Categories 2 and 3 over the year, so that their
    total mixes a 31 March count with yearly ones (report_layouts.md, Layout D)."""
    if table != "eligible_snapshot" or start_year > _LAST_MIXED_YEAR:
        return ""
    return {"2": "yearly", "3": "yearly", "total": "mixed"}.get(category, "")


class _Placing:
    """The figures of the blocks placed in one AreaYear per area and reporting year."""

    def __init__(
        self,
        lines: list[Line],
        blocks: list[Block],
        area: tuple[str, str] | None,
        source_slug: str,
        start_year: int | None,
    ) -> None:
        self.lines, self.blocks, self.area, self.source_slug = lines, blocks, area, source_slug
        self.groups: dict[tuple[str, int], AreaYear] = {}
        self.read: list[str] = []
        self.problems: list[tuple[int, str]] = [p for block in blocks for p in block.problems]
        self.skipped: list[tuple[int, str]] = [s for block in blocks for s in block.skipped]
        self.first_of: dict[tuple[str, int], dict[tuple, Cell]] = {}
        self.report_year = self._report_year(start_year)
        self.population_basis = _population_basis(lines)
        self.template_page = self._template_page()
        number = 0
        for block in blocks:
            number = self._place(block, number)

    def _report_year(self, start_year: int | None) -> int | None:
        said = next((block.year_said for block in self.blocks if block.year_said is not None), None)
        if said is None:
            return start_year
        year, line, words = said
        if start_year is not None and year != start_year:
            raise IngestError(
                f"the text is for {words}, but --year says the year starting April {start_year}", line
            )
        return year

    def _template_page(self) -> int | None:
        """Page 3 for the 2009/10-2014/15 template's tables, when the text does not mark its pages."""
        if has_pages(self.lines) or self.report_year is None or self.report_year > _LAST_TEMPLATE_YEAR:
            return None
        return STATISTICS_PAGE if any(block.kind == "table" for block in self.blocks) else None

    def _page(self, block: Block) -> int | None:
        if has_pages(self.lines):
            return self.lines[block.first].page
        return self.template_page if block.kind in ("table", "figures") else None

    def _place(self, block: Block, number: int) -> int:
        table: SourceTable | None = None
        placed: list[AreaYear] = []
        unplaced: set[str] = set()
        for found in block.found:
            where = found.area or self.area
            year = found.start_year if found.start_year is not None else self.report_year
            if where is None or year is None:
                unplaced.add("area" if where is None else "year")
                continue
            group = self._group(where, year)
            if group not in placed:
                placed.append(group)
            cell = self._cell(found, year, block, group)
            if self._is_repeat(group, cell):
                continue
            if table is None:  # a table is numbered once a figure of it is kept
                number += 1
                table = SourceTable(number, block.title, self._page(block))
            if table not in group.tables:
                group.tables.append(table)
            self._keep(group, replace(cell, source_table=table.number))
        self._unplaced(block, unplaced)
        if block.found:
            self.read.append(self._account(block, placed))
        return number

    def _unplaced(self, block: Block, unplaced: set[str]) -> None:
        line = self.lines[block.first].number
        if "area" in unplaced:
            self.problems.append(
                (line, "the text does not say which area these figures are for; give the area")
            )
        if "year" in unplaced:
            self.problems.append((line, "the table does not say which 31 March it is for; give --year"))

    def _group(self, area: tuple[str, str], year: int) -> AreaYear:
        key = (area[0], year)
        if key not in self.groups:
            self.groups[key] = AreaYear(area[0], area[1], year, self.source_slug)
            if self.area is not None and area[0] == self.area[0] and year == self.report_year:
                self.groups[key].population_basis = self.population_basis
        return self.groups[key]

    def _cell(self, found: Found, year: int, block: Block, group: AreaYear) -> Cell:
        measure = found.measure
        level, category = joinable_codes(measure.table, measure.level, measure.category)
        base = ""
        if measure.table == "rso_per_100k":
            base = notes.population_base_in(f"{group.population_basis or ''} {block.title}")
        return Cell(
            measure.table,
            level,
            category,
            found.value,
            0,
            found.line,
            note=measure.note if measure.table == "other" else found.note,
            status=found.status,
            basis=era_basis(measure.table, category, year) if found.by_era else "",
            population_base=base,
        )

    def _is_repeat(self, group: AreaYear, cell: Cell) -> bool:
        """Whether the group has this cell already: a repeat with the same figure is dropped quietly
        (an HTML copy prints paragraphs twice); one with another figure is a problem, and dropped."""
        first = self._seen(group).get(_key(cell))
        if first is None:
            return False
        if (first.value, first.status) != (cell.value, cell.status):
            self.problems.append(
                (
                    cell.source_line or 0,
                    f"a second figure {_shown(cell)} for {_named(cell)} in {group.area_label} "
                    f"{year_label(group.start_year)} (line {first.source_line} gave {_shown(first)}): "
                    "the first is kept",
                )
            )
        return True

    def _keep(self, group: AreaYear, cell: Cell) -> None:
        self._seen(group)[_key(cell)] = cell
        group.cells.append(cell)

    def _seen(self, group: AreaYear) -> dict[tuple, Cell]:
        return self.first_of.setdefault((group.area_slug, group.start_year), {})

    def add_prose(self) -> set[int]:
        """The commentary's figures, quoted beside the tables of the report's own area and year."""
        if self.area is None:
            return set()
        cells = prose_figures(self.lines)
        if cells and self.report_year is None:
            self.skipped.append(
                (cells[0].source_line or 0, "the commentary's figures need the report's year")
            )
            return set()
        used = set()
        for cell in cells:
            group = self._group(self.area, self.report_year)
            if not self._is_repeat(group, cell):
                self._keep(group, cell)
                self.read.append(
                    f"line {cell.source_line}: the commentary's words give {_named(cell)} = {cell.value} "
                    "(kept as a quoted figure)"
                )
            used.add(cell.source_line or 0)
        return used

    def _account(self, block: Block, placed: list[AreaYear]) -> str:
        count = sum(1 for group in placed for cell in group.cells if _from(cell, block, self.lines))
        tables = sorted({found.measure.table for found in block.found})
        said = f"{_span(block.used)}: {block.kind} {block.title!r}: {count} cell(s) for {_where(placed)}"
        if not count and block.found:
            said += " (a repeat of figures already read)"
        return "; ".join([f"{said} ({', '.join(tables)})", *block.notes])


def _key(cell: Cell) -> tuple:
    return (cell.table, cell.level, cell.category, cell.note if cell.table == "other" else "", cell.quote)


def _where(placed: list[AreaYear]) -> str:
    if len(placed) == 1:
        return f"{placed[0].area_label} {year_label(placed[0].start_year)}"
    areas, years = len({g.area_slug for g in placed}), len({g.start_year for g in placed})
    return f"{areas} area(s) and {years} year(s)"


def _from(cell: Cell, block: Block, lines: list[Line]) -> bool:
    return not cell.quote and cell.source_line in block.used


def _refuse(problems: list[tuple[int, str]], contents: set[int], unrecognised: list[tuple[int, str]]) -> None:
    if problems:
        line, message = sorted(problems)[0]
        raise IngestError(message, line)
    said = ["no figure found"]
    if contents:
        said.append(f"{_span(contents)} are a contents page (section titles and page numbers), not figures")
    if unrecognised:
        line, text = unrecognised[0]
        said.append(
            f"{len(unrecognised)} table-like line(s) not recognised, the first at line {line}: {text[:80]!r}"
        )
    else:
        said.append("no line holds a label and a figure that this reader knows")
    raise IngestError("; ".join(said))


def _span(numbers: set[int]) -> str:
    low, high = min(numbers), max(numbers)
    return f"line {low}" if low == high else f"lines {low}-{high}"


def _named(cell: Cell) -> str:
    named = f"{cell.table} level {cell.level} category {cell.category}"
    return f"{named} ({cell.note})" if cell.table == "other" else named


def _shown(cell: Cell) -> str:
    return "-" if cell.value is None else str(cell.value)


def _population_basis(lines: list[Line]) -> str | None:
    """The sentence that names the population a rate per 100,000 was worked out with."""
    for index, line in enumerate(lines):
        if line.text.startswith("This figure has been calculated using"):
            words = []
            for follow in lines[index:]:
                if not follow.text:
                    break
                words.append(follow.text)
            return " ".join(words)
    return None
