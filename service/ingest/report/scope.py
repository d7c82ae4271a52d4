"""Texts that hold no MAPPA figures for England and Wales, told apart before anything is read: a
Scottish MAPPA report (Layout H), and the contents page of a bulletin or report (Layout G), whose
section numbers and page numbers must never be read as figures."""

from __future__ import annotations

import re

from mappa_kb.ingest import IngestError
from mappa_kb.ingest.report.lines import Line

# Words only a Scottish report uses: its orders (RSHOs), its police and prison services, its government.
_SCOTTISH = re.compile(
    r"\bRSHOs?\b|Risk of Sexual Harm Orders?|Police Scotland|Scottish Prison Service|Scottish Government|"
    r"Scottish Ministers|\(Scotland\) Act|Community Justice Scotland",
    re.IGNORECASE,
)
_CONTENTS_ENTRY = re.compile(r"^(\d{1,2})\.\s+(.*[A-Za-z].*?)\s+(\d{1,3})$")
_TITLE_AND_PAGE = re.compile(r"^(\D*[A-Za-z]\D*?)\s+(\d{1,3})$")
_MIN_ENTRIES = 3


def refuse_scottish(lines: list[Line]) -> None:
    """Stop at a Scottish report: its tables count other things (RSHOs, wanted and missing RSOs)."""
    found: dict[str, int] = {}
    for line in lines:
        for match in _SCOTTISH.finditer(line.text):
            found.setdefault(match.group(0), line.number)
    orders_of_scotland = any(re.match(r"RSHO|Risk of Sexual Harm", w, re.IGNORECASE) for w in found)
    says_england_and_wales = any("England and Wales" in line.text for line in lines)
    # An English or Welsh report may name Police Scotland once (an offender who moved); RSHOs, never.
    if not orders_of_scotland and (len(found) < 2 or says_england_and_wales):
        return
    words = ", ".join(f"{w!r} (line {n})" for w, n in list(found.items())[:3])
    raise IngestError(
        f"this is a Scottish MAPPA report (it names {words}): Scottish figures are not MAPPA figures for "
        "England and Wales, and are not read"
    )


def contents_lines(lines: list[Line]) -> set[int]:
    """The line numbers of a contents page: numbered section titles with page numbers that rise
    ("3. Category and Management Level Breakdown 7"), or the titles and pages after a "Contents" line."""
    numbered = [(line, _CONTENTS_ENTRY.match(line.text)) for line in lines]
    entries = [(line, int(m.group(1)), int(m.group(3))) for line, m in numbered if m]
    found = _rising(entries)
    for index, line in enumerate(lines):
        if line.text.lower() in ("contents", "table of contents", "contents page"):
            found |= {line.number} | _titles_after(lines, index + 1)
    return found


def _rising(entries: list[tuple[Line, int, int]]) -> set[int]:
    """The entries of a run in which section numbers and page numbers both rise."""
    found: set[int] = set()
    run: list[tuple[Line, int, int]] = []
    for entry in entries:
        if run and not (entry[1] > run[-1][1] and entry[2] >= run[-1][2]):
            found |= _if_long(run)
            run = []
        run.append(entry)
    return found | _if_long(run)


def _if_long(run: list[tuple[Line, int, int]]) -> set[int]:
    return {line.number for line, _, _ in run} if len(run) >= _MIN_ENTRIES else set()


def _titles_after(lines: list[Line], start: int) -> set[int]:
    found: set[int] = set()
    last_page = 0
    for line in lines[start:]:
        if not line.text:
            continue
        entry = _TITLE_AND_PAGE.match(line.text)
        if not entry or int(entry.group(2)) < last_page:
            break
        last_page = int(entry.group(2))
        found.add(line.number)
    return found
