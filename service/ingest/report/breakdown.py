"""Lists of counts by district with the population in brackets (Layout I, Thames Valley 2006/07):
"Oxfordshire 323 (out of a population of 631,900)". A district is part of the report's area, so its
count is an "other" figure whose note names the district; a line that names a MAPPA area is that
area's count of registered sexual offenders."""

from __future__ import annotations

import re

from mappa_kb.ingest.report.lines import Line, figure
from mappa_kb.ingest.report.measures import RSO_COUNT, Measure
from mappa_kb.ingest.report.model import Block, Found
from mappa_kb.knowledge.areas import resolve_area

_ENTRY = re.compile(
    r"^(?P<name>[A-Z][A-Za-z .'&-]*?)\s+(?P<count>\d{1,3}(?:,\d{3})+|\d+)\s*"
    r"\(out of (?:a|the) population of (?P<population>\d{1,3}(?:,\d{3})+|\d+)\)\.?$"
)


def read_breakdown(lines: list[Line], at: int) -> Block | None:
    if not _ENTRY.match(lines[at].text):
        return None
    block = Block("list by district", "Registered sexual offenders by district, with population", at, at + 1)
    index = at
    while index < len(lines):
        line = lines[index]
        entry = _ENTRY.match(line.text)
        if entry:
            block.found.append(_found(entry, line))
            block.use(line)
            block.end = index + 1
        elif line.text:
            break
        index += 1
    return block


def _found(entry: re.Match[str], line: Line) -> Found:
    name, population = entry.group("name").strip(), entry.group("population")
    printed = figure(entry.group("count"))
    try:
        area = resolve_area(name)
    except LookupError:
        note = (
            f"registered sexual offenders in {name} (part of the area), out of a population of {population}"
        )
        return Found.of(Measure("other", "total", "1", note), printed, line.number)
    return Found.of(RSO_COUNT, printed, line.number, area=area)
