"""Tables whose columns are years: Hansard's written answers (Layout E) and multi-year tables by area
(Layout F).

A header of financial years ("2003-04 2004-05 ...", "Area 2010/11 ... 2023/24") is followed by rows,
each a label and one figure per year. Hansard prints the whole table on one line, rows run together,
so the rows are read as a stream of words: a label, then exactly as many figures as there are years.
A row's label is either a measure ("Total MAPPA eligible offenders", "Level 2": the report's own area)
or an area (then the table's heading says what is counted: registered sexual offenders on 31 March
unless it names another statistic). A row for a sum of areas ("North East", "Wales (4 areas)") is
skipped; a row for a place that is not a MAPPA area is named as a problem.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from mappa_kb.ingest.report.lines import (
    Line,
    figure,
    financial_year,
    footnote_marker,
    is_figure,
    is_heading_like,
)
from mappa_kb.ingest.report.measures import RSO_COUNT, Measure, classify
from mappa_kb.ingest.report.model import Block, Found
from mappa_kb.knowledge.areas import resolve_area

_MAX_PREFIX_WORDS = 4  # "Area", "MAPPA area", "Police force area" before the years
_LABEL_ENDS_IN_NUMBER = frozenset({"level", "category", "tier", "cat"})
# Sums of MAPPA areas as publishers print them: "North East (Durham+Teesside+Northumbria)", "Wales (4 areas)".
_SUM_OF_AREAS = re.compile(r"\(.*(?:\+|\d+ areas).*\)|^(?:total|england|wales|all areas)$", re.IGNORECASE)
_REGIONS = frozenset(
    [
        "north east",
        "north west",
        "yorkshire",
        "yorkshire and the humber",
        "yorkshire and humber",
        "east midlands",
        "east of england",
        "eastern",
        "south east",
        "south west",
        "midlands",
        "england",
    ]
)
_FOOTNOTE = re.compile(r"(?:^|\s)(\d|[¹²³*†])\s+([A-Z][^.]*\.?)")


@dataclass(frozen=True)
class _Word:
    text: str
    line: int  # index into lines


def header_years(text: str) -> tuple[int, list[int]] | None:
    """(how many words precede the years, the years' start years) of a header of financial years."""
    tokens = text.split()
    starts = [i for i, token in enumerate(tokens) if financial_year(token) is not None]
    if len(starts) < 2 or starts[0] > _MAX_PREFIX_WORDS:
        return None
    years = []
    for token in tokens[starts[0] :]:
        year = financial_year(token)
        if year is None:
            break
        years.append(year)
    if len(years) < 2 or any(b != a + 1 for a, b in itertools.pairwise(years)):
        return None
    return starts[0], years


def read_year_columns(lines: list[Line], at: int, used: set[int]) -> Block | None:
    found = header_years(lines[at].text)
    if found is None:
        return None
    prefix_words, years = found
    header = lines[at]
    heading = _heading_above(lines, at, used)
    title = heading.text if heading is not None else _header_title(header.text, years)
    block = Block("table by year", title, at, at + 1)
    block.use(header)
    if heading is not None:
        block.use(heading)
    context = " ".join(filter(None, [heading.text if heading else "", *header.text.split()[:prefix_words]]))
    words = _stream(lines, at, prefix_words + len(years), years)
    _Rows(lines, block, years, context).read(words)
    return block


def _header_title(text: str, years: list[int]) -> str:
    first, last = years[0], years[-1]
    return f"Figures by year, {first}/{(first + 1) % 100:02d} to {last}/{(last + 1) % 100:02d}"


def _heading_above(lines: list[Line], at: int, used: set[int]) -> Line | None:
    index = at - 1
    while index >= 0 and not lines[index].text:
        index -= 1
    if index < 0 or lines[index].number in used or not is_heading_like(lines[index]):
        return None
    line = lines[index]
    return line if len(line.text.split()) <= 20 else None


def _stream(lines: list[Line], at: int, skip: int, years: list[int]) -> list[_Word]:
    """The words after the header, over the lines that follow it, up to the first line that cannot be
    part of the table (a line of words only, that is not the header printed again)."""
    words = [_Word(t, at) for t in lines[at].text.split()[skip:]]
    index = at + 1
    while index < len(lines):
        text = lines[index].text
        if text:
            repeated = header_years(text)
            if repeated is not None and repeated[1] == years:
                words.append(_Word("\n", index))  # the header again, after a page break: a row boundary
            elif not _looks_like_rows(text, len(years)):
                break
            else:
                words += [_Word(t, index) for t in text.split()]
        index += 1
    return words


def _looks_like_rows(text: str, columns: int) -> bool:
    """A line of a table's rows: a figure for every year, or figures for at least half its words (a
    sentence has a few at most)."""
    tokens = text.split()
    figures = sum(1 for t in tokens if is_figure(t))
    return figures >= columns or 2 * figures >= len(tokens)


class _Rows:
    def __init__(self, lines: list[Line], block: Block, years: list[int], context: str) -> None:
        self.lines, self.block, self.years, self.context = lines, block, years, context
        self.footnotes: dict[str, str] = {}
        self.statistic: Measure | None = None

    def read(self, words: list[_Word]) -> None:
        rows = []
        at = 0
        while at < len(words):
            label, values, at = self._next_row(words, at)
            if label is None:
                if _FOOTNOTE.match(" ".join(w.text for w in words[at:])):
                    self._footnotes(words[at:])
                break
            rows.append((label, values))
        for label, values in rows:
            self._row(label, values)
        if self.block.used:
            last = max(self.block.used)
            self.block.end = next(i for i, line in enumerate(self.lines) if line.number == last) + 1

    def _next_row(self, words: list[_Word], at: int) -> tuple[list[_Word] | None, list[_Word], int]:
        label: list[_Word] = []
        while at < len(words) and (words[at].text == "\n" or not is_figure(words[at].text)):
            if words[at].text != "\n":
                label.append(words[at])
            at += 1
        values: list[_Word] = []
        while at < len(words) and words[at].text != "\n" and is_figure(words[at].text):
            if values and label and words[at].line != values[-1].line and len(values) >= len(self.years):
                break  # a new line of figures after a full row: the next row has no label
            values.append(words[at])
            at += 1
        if not label:
            return None, values, at - len(values)
        wanted = len(self.years)
        if len(values) > wanted and label[-1].text.lower() in _LABEL_ENDS_IN_NUMBER:
            label, values = [*label, values[0]], values[1:]  # "Level 2": the 2 is the label's
        if len(values) == wanted + 1 and _footnote_follows(words, at):
            return label, values[:-1], at - 1  # the last figure is the marker of a footnote that follows
        return label, values, at

    def _footnotes(self, words: list[_Word]) -> None:
        text = " ".join(w.text for w in words)
        for marker, words_of in _FOOTNOTE.findall(text):
            self.footnotes[marker] = words_of
        for word in words:
            self.block.used.add(self.lines[word.line].number)

    def _row(self, label_words: list[_Word], values: list[_Word]) -> None:
        label = " ".join(w.text for w in label_words)
        line = self.lines[label_words[0].line]
        for word in (*label_words, *values):
            self.block.used.add(self.lines[word.line].number)
        placed = self._place(label, line)
        if placed is None:
            return
        measure, area = placed
        if len(values) != len(self.years):
            self.block.problems.append(
                (
                    line.number,
                    f"the row {label!r} needs {len(self.years)} figures (one per year, "
                    f"{_year(self.years[0])} to {_year(self.years[-1])}), found {len(values)}",
                )
            )
            return
        for year, word in zip(self.years, values, strict=True):
            self._cell(measure, area, year, word, label)

    def _cell(
        self, measure: Measure, area: tuple[str, str] | None, year: int, word: _Word, label: str
    ) -> None:
        line = self.lines[word.line].number
        printed = figure(word.text, decimal=measure.decimal)
        if printed is None:
            self.block.problems.append(
                (line, f"{word.text!r} in the row {label!r} ({_year(year)}) is not a figure")
            )
            return
        marker = footnote_marker(word.text)
        note = printed.note
        if marker is not None and marker in self.footnotes:
            note = f"{note} (footnote {marker}: {self.footnotes[marker]!r})"
        self.block.found.append(Found(measure, printed.value, line, printed.status, note, area, year))

    def _place(self, label: str, line: Line) -> tuple[Measure, tuple[str, str] | None] | None:
        """What a row counts, and for which area (None: the report's own)."""
        measure = classify(label, bare_levels=True)
        if measure is not None:
            return measure, None
        area = _area(label)
        if area is not None:
            statistic = self._statistic(line)
            return (statistic, area) if statistic is not None else None
        if _SUM_OF_AREAS.search(label) or label.lower() in _REGIONS:
            self.block.skipped.append(
                (line.number, f"{label!r} is a sum of several MAPPA areas: row not read")
            )
        else:
            self.block.problems.append(
                (line.number, f"{label!r} is not a MAPPA area (nor a figure this reader knows): row not read")
            )
        return None

    def _statistic(self, line: Line) -> Measure | None:
        if self.statistic is not None:
            return self.statistic
        measure = classify(self.context) if self.context else None
        if (
            measure is None
            and self.context
            and not re.search(r"sex(?:ual)? offenders?|\brsos?\b|mappa|area", self.context, re.I)
        ):
            self.block.problems.append(
                (
                    line.number,
                    f"the heading {self.context!r} names no statistic this reader knows: table not read",
                )
            )
            return None
        self.statistic = measure or RSO_COUNT
        if measure is None:
            self.block.notes.append("each figure read as the registered sexual offenders on 31 March")
        return self.statistic


def _area(name: str) -> tuple[str, str] | None:
    """The MAPPA area a row names: as written, or without a leading "County" ("County Durham")."""
    for candidate in (name, re.sub(r"^County ", "", name), re.sub(r"\s*[*†‡§¹²³]+$", "", name)):
        try:
            return resolve_area(candidate)
        except LookupError:
            continue
    return None


def _footnote_follows(words: list[_Word], at: int) -> bool:
    """Whether the words from ``at`` are a footnote's text on the same line ("1 Not collected.")."""
    return at < len(words) and words[at].line == words[at - 1].line and words[at].text[:1].isupper()


def _year(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"
