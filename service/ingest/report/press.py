"""Press-agency articles written from a fixed template (Layout J, many areas 2019-2023): the figures
sit in sentences such as "N registered sex offenders ... as of March this year", "a rate of R offenders
for every 100,000 people", "placed in the level two category six times during 2019-20", "N offenders
were cautioned or convicted for failing to do so". Only these sentences are read, and only in a text
that has one of the first two (the template's own): the same words in a report's commentary are not
the template. The year is the one a "during 2019-20" names, else the caller's."""

from __future__ import annotations

import re
from decimal import Decimal

from mappa_kb.ingest.report.lines import Line
from mappa_kb.ingest.report.measures import RSO_COUNT, Measure
from mappa_kb.ingest.report.model import Block, Found
from mappa_kb.ingest.report.prose import joined, lines_of

_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
]
_NUMBER_WORDS = {word: index for index, word in enumerate(_WORDS, start=1)}
_N = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+|" + "|".join(_WORDS) + r")"
_YEAR = r"(?P<year>(?:19|20)\d{2})[-/](?P<next>\d{2})"
_RSOS = re.compile(
    _N + r" registered sex(?:ual)? offenders\b(?:(?!\d)[^.]){0,120}?\bas of (?:the end of )?March this year",
    re.I,
)
_RATE = re.compile(
    r"\ba rate of (?P<n>\d+(?:\.\d+)?) (?:offenders )?(?:for|per) every 100,000 (?:people|residents)", re.I
)
_LEVEL_TIMES = re.compile(
    r"placed in (?:the )?level (?P<level>two|three|2|3) category "
    + _N
    + r" times?\b[^.]{0,20}?\b(?:during|in) "
    + _YEAR,
    re.I,
)
_LEVEL_COUNT = re.compile(
    _N + r" (?:sex )?offenders? (?:were|was) placed in (?:the )?level (?P<level>two|three|2|3) category "
    r"(?:during|in) " + _YEAR,
    re.I,
)
_FAILED = re.compile(
    _N + r" (?:offenders |people )?(?:were|was) cautioned or convicted for failing to do so", re.I
)
_VIOLENT = re.compile(r"\b(?:there were|and) (?:also )?" + _N + r" violent offenders\b", re.I)
_DURING = re.compile(r"\b(?:during|in) " + _YEAR, re.I)


def _value(text: str) -> int:
    return _NUMBER_WORDS.get(text.lower()) or int(text.replace(",", ""))


def _level(word: str) -> str:
    return {"two": "2", "three": "3"}.get(word.lower(), word)


def read_press(lines: list[Line], used: set[int]) -> Block | None:
    free = [line for line in lines if line.number not in used]
    text, starts = joined(free)
    if not (_RSOS.search(text) or _RATE.search(text)):
        return None
    block = Block("press-agency sentences", "Press article: template sentences", 0, 0)
    for pattern, measure in (
        (_RSOS, RSO_COUNT),
        (_RATE, Measure("rso_per_100k", "total", "1", decimal=True)),
        (_LEVEL_TIMES, None),
        (_LEVEL_COUNT, None),
        (_FAILED, Measure("rso_breach_notification", "total", "1")),
        (_VIOLENT, Measure("eligible_snapshot", "total", "2")),
    ):
        for match in pattern.finditer(text):
            _add(block, match, measure, starts)
    year = _DURING.search(text)
    if year and _next_year(year):
        number = lines_of(starts, year.start(), year.end())
        block.year_said = (int(year.group("year")), min(number), f"{year.group('year')}-{year.group('next')}")
    return block if block.found else None


def _next_year(match: re.Match[str]) -> bool:
    return int(match.group("next")) == (int(match.group("year")) + 1) % 100


def _add(block: Block, match: re.Match[str], measure: Measure | None, starts: list[tuple[int, int]]) -> None:
    numbers = lines_of(starts, match.start(), match.end())
    if measure is None:  # a count at a level: of registered sexual offenders, as the template counts it
        measure = Measure("level23_yearly", _level(match.group("level")), "1")
    value: int | Decimal = Decimal(match.group("n")) if measure.decimal else _value(match.group("n"))
    block.found.append(Found(measure, value, min(numbers)))
    block.used |= numbers
