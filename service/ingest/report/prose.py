"""Figures a report's commentary states in words (kept as quoted figures beside its tables).

The share of eligible offenders at a level: "the majority (94% this year) are actually managed under
ordinary agency (Level 1) arrangements"; or its count: "(666 this year) ... (Level 1)". The registered
sexual offenders living in the area: "registered sex offenders in County Durham and Darlington has
increased to the current level of 627".
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from mappa_kb.ingest.report.lines import Line
from mappa_kb.knowledge.cube import Cell

TEXT_TABLE = 0  # the report's running text, not one of its tables

_SHARE_AT_LEVEL = re.compile(r"\((\d{1,3}(?:\.\d+)?)% this year\)[^.]{0,120}?\(Level ([123])\)")
_COUNT_AT_LEVEL = re.compile(r"\((\d{1,3}(?:,\d{3})*|\d+) this year\)[^.]{0,120}?\(Level ([123])\)")
_RSOS_IN_AREA = re.compile(
    r"registered sex(?:ual)? offenders\b[^.]{0,80}?\b(?:current level of|now stands at|total of) "
    r"(\d{1,3}(?:,\d{3})+|\d+)\b",
    re.IGNORECASE,
)


def prose_figures(lines: list[Line]) -> list[Cell]:
    """The figures the report's text states in words, each a figure quoted in the text (the report's
    tables may give the same cell another figure: then the headline layer shows the conflict)."""
    text, starts = joined(lines)
    found = []
    for pattern, table in (
        (_SHARE_AT_LEVEL, "eligible_share"),
        (_COUNT_AT_LEVEL, "eligible_snapshot"),
        (_RSOS_IN_AREA, "rso_count"),
    ):
        for match in pattern.finditer(text):
            line = line_at(starts, match.start())
            words = " ".join(match.group(0).split())
            if table == "rso_count":
                cell = Cell("eligible_snapshot", "total", "1", int(match.group(1).replace(",", "")), 0, line)
            elif table == "eligible_share":
                cell = Cell(table, match.group(2), "total", Decimal(match.group(1)), 0, line)
            else:
                cell = Cell(table, match.group(2), "total", int(match.group(1).replace(",", "")), 0, line)
            found.append(_quoted(cell, words))
    return found


def _quoted(cell: Cell, words: str) -> Cell:
    return replace(cell, quote=words, source_table=TEXT_TABLE)


def joined(lines: list[Line]) -> tuple[str, list[tuple[int, int]]]:
    """The text as one string (lines joined with spaces, words broken by a hyphen at a line's end
    joined again), and where each line starts in it."""
    parts, starts, at = [], [], 0
    for line in lines:
        starts.append((at, line.number))
        piece = line.text[:-1] if line.text.endswith("-") else line.text + " "
        parts.append(piece)
        at += len(piece)
    return "".join(parts), starts


def line_at(starts: list[tuple[int, int]], offset: int) -> int:
    number = starts[0][1]
    for at, line in starts:
        if at > offset:
            break
        number = line
    return number


def lines_of(starts: list[tuple[int, int]], start: int, end: int) -> set[int]:
    """The numbers of the lines a stretch of the joined text runs over."""
    return {line for at, line in starts if start <= at < end} | {line_at(starts, start)}
