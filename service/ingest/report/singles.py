"""Figures printed one to a line after their label: "RSOs cautioned or convicted for breach of
notification requirements 21", "SOPOs 43", "iii) ... between 1 April 2005 and 31 March 2006 12".

Lines under one heading ("SOPOs, NOs & FTOs imposed by the courts", a numbered section of the Home
Office template) make one table titled by the heading; a line with no heading above it is a table of
its own, titled by its label. A label broken over two lines is read with the line above it. One line
may hold sub-items, "(a) applied for 2 (b) imposed by the courts 1": each is read with the words before
the first.
"""

from __future__ import annotations

import re

from mappa_kb.ingest.report.lines import Line, ends_in_figure, figure, is_heading_like, march_year
from mappa_kb.ingest.report.measures import Measure, classify, normalise
from mappa_kb.ingest.report.model import Block, Found

_SUB_ITEM = re.compile(r"\(([a-h])\)\s*([^()]*?)\s+(\S+)(?=\s+\([a-h]\)|$)")
_BETWEEN = re.compile(r"between 1 April (\d{4}) and 31 March (\d{4})", re.IGNORECASE)


def _items(text: str) -> list[tuple[str, str]]:
    """(label, printed figure) for each item a line holds."""
    first = re.search(r"\([a-h]\)", text)
    subs = _SUB_ITEM.findall(text[first.start() :]) if first else []
    if len(subs) >= 2:
        prefix = text[: first.start()].strip()
        return [(f"{prefix} {words}".strip(), token) for _, words, token in subs]
    if not ends_in_figure(text):
        return []
    label, _, token = text.rpartition(" ")
    return [(label, token)]


def _read_items(text: str, context: str) -> list[tuple[Measure, str, str]] | None:
    """The measure, label and printed figure of every item of a line, if every item is understood."""
    found = []
    for label, token in _items(text):
        measure = classify(label, context=context)
        if measure is None or figure(token, decimal=measure.decimal) is None:
            return None
        found.append((measure, label, token))
    return found or None


def _previous(lines: list[Line], at: int, used: set[int]) -> int | None:
    """The index of the nearest line above with words, if it is a heading not used by another table."""
    index = at - 1
    while index >= 0 and not lines[index].text:
        index -= 1
    if index < 0 or lines[index].number in used or not is_heading_like(lines[index]):
        return None
    return index


def read_single_figures(lines: list[Line], at: int, used: set[int]) -> Block | None:
    """A run of labelled figures starting at line ``at``, with the heading above it if any."""
    heading_at = _previous(lines, at, used)
    heading = lines[heading_at].text if heading_at is not None else ""
    first = _line_items(lines, at, heading, heading_at, used)
    if first is None:
        return None
    items, label_lines = first
    titled = heading_at is not None and heading_at not in label_lines
    title = heading if titled else " ".join(lines[i].text for i in label_lines).rpartition(" ")[0]
    block = Block("figures", _title(title, items), at, at + 1)
    _add(block, lines, label_lines, items)
    if titled:
        block.use(lines[heading_at])
        _more_under_heading(lines, block, heading, used)
    return block


def _title(title: str, items: list[tuple[Measure, str, str]]) -> str:
    if len(items) > 1:  # a line of sub-items: its words before the first
        title = re.split(r"\([a-h]\)", title)[0].strip() or title
    return " ".join(title.replace(" & ", " and ").split())


def _line_items(
    lines: list[Line], at: int, heading: str, heading_at: int | None, used: set[int]
) -> tuple[list[tuple[Measure, str, str]], list[int]] | None:
    """The items of line ``at``, read alone or with the line above as the start of its label (first
    with it, where the line goes on from it in lower case: "following a breach(es) of ...")."""
    alone = (lambda: _read_items(lines[at].text, heading), [at])
    if heading_at is None:
        ways = [alone]
    else:
        above = _previous(lines, heading_at, used)
        context = lines[above].text if above is not None else ""
        joined = f"{lines[heading_at].text} {lines[at].text}"
        with_above = (lambda: _read_items(joined, context), [heading_at, at])
        ways = [with_above, alone] if _goes_on(lines[at].text) else [alone, with_above]
    for read, label_lines in ways:
        items = read()
        if items is not None:
            return items, label_lines
    return None


def _goes_on(text: str) -> bool:
    """Whether a line goes on from the line above: it starts in lower case, with no enumerator."""
    return text[:1].islower() and normalise(text)[:1] == text[:1]


def _more_under_heading(lines: list[Line], block: Block, heading: str, used: set[int]) -> None:
    index = block.end
    while index < len(lines):
        if not lines[index].text:
            index += 1
            continue
        items = _read_items(lines[index].text, heading)
        if items is None:
            break
        _add(block, lines, [index], items)
        index += 1


def _add(
    block: Block, lines: list[Line], label_lines: list[int], items: list[tuple[Measure, str, str]]
) -> None:
    line = lines[label_lines[-1]]
    label_text = " ".join(lines[i].text for i in label_lines)
    year = _year_of(label_text)
    for measure, _label, token in items:
        printed = figure(token, decimal=measure.decimal)
        block.found.append(Found.of(measure, printed, line.number, start_year=year))
    for index in label_lines:
        block.use(lines[index])
    if year is not None and block.year_said is None:
        block.year_said = (year, line.number, _said(label_text))
    block.end = max(block.end, label_lines[-1] + 1)


def _year_of(label: str) -> int | None:
    """The reporting year a label dates its figure to: "on 31 March 2006" or "between 1 April 2005 and
    31 March 2006" (the year starting 1 April 2005)."""
    between = _BETWEEN.search(label)
    if between:
        return int(between.group(1))
    said = march_year(label)
    return said - 1 if said is not None else None


def _said(label: str) -> str:
    found = _BETWEEN.search(label) or re.search(r"31(?:st)? March,? \d{4}", label, re.IGNORECASE)
    return found.group(0) if found else label
