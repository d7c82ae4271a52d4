"""Category-by-level tables of the area reports of 2009/10 on (Layouts A, B and C).

A heading names the table: the 31 March snapshot, the Level 2 and 3 yearly totals, or the returns to
custody (with parts "Breach of licence" and "Breach of SOPO" or "Breach of SHPO"). The column headings,
broken over several lines, name the categories in the order the columns print them; each row is
"Level N" or "Total" and four figures (the categories, then their total). A table ends at its Total
row, or where something else begins.
"""

from __future__ import annotations

import re

from mappa_kb.ingest.report.lines import Line, ends_in_figure, figure, is_heading_like, march_year
from mappa_kb.ingest.report.measures import Measure
from mappa_kb.ingest.report.model import Block, Found

_SNAPSHOT = re.compile(r"MAPPA[- ]eligible offenders (?:on|at) 31(?:st)? March\b", re.IGNORECASE)
_YEARLY = re.compile(r"MAPPA[- ]eligible offenders in Levels? 2 (?:and|&) 3", re.IGNORECASE)
_CUSTODY = re.compile(r"\b(?:returned|sent|recalled) to custody\b", re.IGNORECASE)
_ROW = re.compile(
    r"^(Level [123]|Total)\s+([\d\-\u2013\u2014].*)$"
)  # a label, then figures (or what stands for them)
_PART = re.compile(r"^Breach of (licence|SOPO|SHPO|SOPO/SHPO|SHPO/SOPO|SOPO or SHPO|SHPO or SOPO)s?$", re.I)
_CATEGORY = re.compile(r"\bCat(?:egory)?\.? ?([123])\b")
_CATEGORIES = ("1", "2", "3", "total")
_MAX_HEADER_LINES = 16  # the seed's broken column headings take 12 lines


def matrix_kind(text: str) -> str | None:
    """Which category-by-level table a heading names, if it is one."""
    if _ROW.match(text):
        return None
    if _YEARLY.search(text):
        return "level23_yearly"
    if _SNAPSHOT.search(text):
        return "eligible_snapshot"
    if (
        _CUSTODY.search(text)
        and re.search(r"\blevels? 2\b", text, re.IGNORECASE)
        and not ends_in_figure(text)
    ):
        return "custody"
    return None


def read_matrix(lines: list[Line], at: int) -> Block | None:
    kind = matrix_kind(lines[at].text)
    if kind is None:
        return None
    heading = lines[at]
    block = Block("table", heading.text, at, at + 1)
    block.use(heading)
    if kind == "eligible_snapshot":
        said = march_year(heading.text)
        if said is not None:
            block.year_said = (said - 1, heading.number, f"31 March {said}")
    _Reading(lines, block, kind).run()
    return block


class _Reading:
    """The walk down one table's lines after its heading. Heading lines seen after the last row are
    only the table's if more rows follow; where the table ends they are handed back."""

    def __init__(self, lines: list[Line], block: Block, kind: str) -> None:
        self.lines, self.block, self.kind = lines, block, kind
        self.part = None if kind == "custody" else kind
        self.columns: list[str] = []
        self.columns_refused = False
        self.tentative: list[Line] = []  # heading lines since the last row or part
        self.parts_done: set[str] = set()
        self.rows = 0

    def run(self) -> None:
        index = self.block.first + 1
        while index < len(self.lines):
            step = self._step(self.lines[index])
            if step == "stop":
                break
            if step != "blank":
                self.block.end = index + 1
            if step == "done":
                break
            index += 1
        self._hand_back()
        if not self.rows:
            heading = self.lines[self.block.first]
            self.block.skipped.append(
                (heading.number, f"the table headed {heading.text!r} has no rows of figures")
            )

    def _hand_back(self) -> None:
        for line in self.tentative:
            self.block.used.discard(line.number)
        if self.tentative:
            self.block.end = self.lines.index(self.tentative[0])

    def _commit(self, line: Line) -> None:
        self.tentative = []
        self.block.use(line)

    def _step(self, line: Line) -> str:
        text = line.text
        if not text:
            return "blank"
        if matrix_kind(text) is not None:
            return "stop"
        part = _PART.match(text)
        if part and self.kind == "custody":
            self.part = (
                "custody_breach_licence" if part.group(1).lower() == "licence" else "custody_breach_sopo"
            )
            self._commit(line)
            return "go"
        row = _ROW.match(text)
        if row:
            self._commit(line)
            return self._row(line, row.group(1), row.group(2))
        if is_heading_like(line) and len(text.split()) <= 8 and len(self.tentative) < _MAX_HEADER_LINES:
            self._column_headings(text)
            self.tentative.append(line)
            self.block.use(line)
            return "go"
        return "stop"

    def _column_headings(self, text: str) -> None:
        for number in _CATEGORY.findall(text):
            if len(self.columns) == 3:  # the headings printed again (after a page break): a new order
                self.columns = []
            if number not in self.columns:
                self.columns.append(number)

    def _row(self, line: Line, label: str, rest: str) -> str:
        self.rows += 1
        level = "total" if label == "Total" else label.split()[1]
        if self.part is None:
            self.block.problems.append(
                (
                    line.number,
                    "a row of the returns-to-custody table comes before 'Breach of licence' or "
                    "'Breach of SOPO' says what it counts",
                )
            )
        elif self._columns_known():
            self._figures(line, level, rest)
        return self._after_row(label)

    def _figures(self, line: Line, level: str, rest: str) -> None:
        tokens = rest.split()
        printed = [figure(token) for token in tokens]
        if len(tokens) != len(_CATEGORIES) or any(p is None for p in printed):
            self.block.problems.append(
                (
                    line.number,
                    f"a table row needs {len(_CATEGORIES)} figures (Category 1, 2, 3, Total), found {rest!r}",
                )
            )
            return
        measures = (Measure(self.part, level, category) for category in (*self.columns, "total"))
        for measure, value in zip(measures, printed, strict=True):
            self.block.found.append(Found.of(measure, value, line.number, by_era=False))

    def _after_row(self, label: str) -> str:
        if label != "Total":
            return "go"
        if self.kind != "custody":
            return "done"
        self.parts_done.add(self.part or "")
        return "done" if len(self.parts_done) >= 2 else "go"

    def _columns_known(self) -> bool:
        if sorted(self.columns) == ["1", "2", "3"]:
            return True
        if not self.columns_refused:
            named = ", ".join(f"Category {c}" for c in self.columns) or "no category"
            self.block.problems.append(
                (
                    self.lines[self.block.first].number,
                    f"cannot tell which column is which: the headings of this table name {named}, "
                    "not Categories 1, 2 and 3",
                )
            )
            self.columns_refused = True
        return False
