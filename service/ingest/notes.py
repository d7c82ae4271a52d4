"""What a tidy CSV's notes column says about a figure, read conservatively.

Compilers of MAPPA figures write down in the notes what a source says beside the figure: that the same
page prints another figure for the cell, that another publication gives another figure, that a count
was made over the year or mixes bases, the population a rate is counted against. This module reads
those few phrasings and nothing more; a note it does not understand stays a note (it is always kept
whole with its figure), so a wrong reading here can only ever miss a figure, never invent one for
another cell: a second figure is taken only when the note ties it to the same date or year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
# "same page also says '39,622 offenders ...'": the row's source prints a second figure for the cell.
_SAME_PAGE = re.compile(r"\bsame page also (?:says|gives|prints) '?" + _NUMBER, re.IGNORECASE)
# "article gives 802 RSOs", "article also gives 559 RSOs (2012/13)": the row's own source gives the
# count of registered sexual offenders on the row's date (the row itself is another statistic).
_SAME_SOURCE_RSOS = re.compile(
    r"\b(?:article|page|report) (?:also )?(?:gives|says|prints) "
    + _NUMBER
    + r" (?:RSOs|registered sex(?:ual)? offenders)(?: \((\d{4})/(\d{2})\))?(?=$|[;,.)]|\s\()",
    re.IGNORECASE,
)
# "Northern Echo (2019) reported 802 for the same date", "Cambrian News (2022) gives 494 for 2019",
# "Ely Standard gives 137 for the same year": another publication, named in words, gives the cell
# another figure. The name starts with a capital and stops at punctuation other than '.', '&', "'".
_OTHER_SOURCE = re.compile(
    r"(?:^|[;:,(]\s*|\s-\s)(?P<name>[A-Z][\w.&' ]*?(?: \(\d{4}\))?) (?:gives|gave|reported|reports|says) '?"
    + _NUMBER
    + r"'? (?:RSOs )?for (?:the same (?:date|year)\b|(?P<year>\d{4})(?:/(?P<next>\d{2}))?\b)"
)
_YEARLY = re.compile(r"\byearly (?:basis|count)|\bcounted over the year", re.IGNORECASE)
_MIXED = re.compile(r"\bmix(?:ed|es|ing)?\b", re.IGNORECASE)
_PROVISIONAL = re.compile(r"\bprovisional\b", re.IGNORECASE)
_ESTIMATED = re.compile(r"\b(?:estimated|an estimate)\b", re.IGNORECASE)
_POPULATION_ESTIMATE = re.compile(r"\b(?:mid-year|population) estimate", re.IGNORECASE)
_AGED_10 = re.compile(r"\baged 10\b|\b10\+|\b10 and over\b|\bunder 10\b|\bover 10\b", re.IGNORECASE)
_ALL_AGES = re.compile(r"\ball ages\b", re.IGNORECASE)


@dataclass(frozen=True)
class NoteFigure:
    """A figure a note records: from the row's own source (``source`` None) or another one, named."""

    value: Decimal
    words: str  # the words of the note that give it
    source: str | None = None
    rso_count: bool = False  # the count of registered sexual offenders, not the row's own cell


def _value(whole: str, fraction: str | None) -> Decimal:
    return Decimal(whole.replace(",", "") + (f".{fraction}" if fraction else ""))


def figures_in(note: str, end_year: int) -> list[NoteFigure]:
    """The second figures a note gives for the cell of its row (or for the count of registered
    sexual offenders on the row's date), by the phrasings above; ``end_year`` is the year of the 31
    March the row's period ends on."""
    found = [NoteFigure(_value(m[1], m[2]), m[0].strip()) for m in _SAME_PAGE.finditer(note)]
    for m in _SAME_SOURCE_RSOS.finditer(note):
        if m[3] is None or int(m[3]) + 1 == end_year:
            found.append(NoteFigure(_value(m[1], m[2]), m[0].strip(), rso_count=True))
    for m in _OTHER_SOURCE.finditer(note):
        name = m["name"].strip()
        if name.lower().startswith(("existing", "same", "article")) or " row" in name:
            continue  # another row of the same file, or the row's own page: not a publication named
        if m["year"] is not None and not _same_year(int(m["year"]), m["next"], end_year):
            continue
        found.append(NoteFigure(_value(m[2], m[3]), m[0].strip(" ;:,(-"), source=name))
    return found


def _same_year(year: int, next_two: str | None, end_year: int) -> bool:
    """Whether "for 2019" or "for 2008/09" names the year that ends on the row's 31 March."""
    if next_two is not None:
        return year + 1 == end_year and int(next_two) == end_year % 100
    return year == end_year


def status_in(note: str) -> str:
    """'provisional' or 'estimated' where the note says the figure is; else ''."""
    if _PROVISIONAL.search(note):
        return "provisional"
    if _ESTIMATED.search(_POPULATION_ESTIMATE.sub("", note)):
        return "estimated"
    return ""


def basis_in(note: str) -> str:
    """How a 31 March count was counted where the note says it was not a snapshot: 'yearly' or
    'mixed'; else ''."""
    if _MIXED.search(note):
        return "mixed"
    if _YEARLY.search(note):
        return "yearly"
    return ""


def population_base_in(note: str) -> str:
    """The population a rate is counted against where the note says: 'aged-10-and-over' or
    'all-ages'; else ''."""
    if _AGED_10.search(note):
        return "aged-10-and-over"
    if _ALL_AGES.search(note):
        return "all-ages"
    return ""
