"""A report's text as numbered lines, and the figures, years and table-like lines in them.

Line numbers count newlines only, as an editor or ``sed -n`` does, so that a line named in a message
can be found. Tags of an HTML rendering (``<br />``) are removed, whitespace is collapsed, and page
breaks (form feeds, or a transcript's ``Page N:``) give each line its page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal

from mappa_kb.ingest import IngestError
from mappa_kb.knowledge.cube import NOT_COLLECTED


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    page: int | None = None


@dataclass(frozen=True)
class Figure:
    """One printed figure: a number, or None for a dash (not applicable) or a figure not given
    (``status`` NOT_COLLECTED, ``note`` says how it was printed)."""

    value: int | Decimal | None
    status: str = ""
    note: str = ""


_MARK = r"(?:[*†‡§¹²³⁰-⁹]+|\([a-z]\))"  # a footnote marker glued to a figure: 12*, 12¹, 12(a)
_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_FIGURE = re.compile(rf"^(?P<number>{_NUMBER})(?P<fraction>\.\d+)?{_MARK}?$")
_DASH = re.compile(r"^(?P<before>\d|[¹²³⁰-⁹*†‡§])?[-\u2013\u2014](?P<after>\d|[¹²³⁰-⁹*†‡§])?$")
_NOT_GIVEN = frozenset({"n/a", "..", "N/A"})  # the statistical offices' "not available"
_FINANCIAL_YEAR = re.compile(r"^(\d{4})[/-](\d{2}|\d{4})$")
_MARCH = re.compile(r"\b31(?:st)? March,? (\d{4})\b", re.IGNORECASE)
_PAGE_MARK = re.compile(r"^Page (\d{1,4}):\s*")
_TAG = re.compile(r"<[^>]{0,200}>")
_LOOKS_HTML = re.compile(r"<br\s*/?>|</p>|<p[ >]|</td>|</div>", re.IGNORECASE)
_YEAR_LIKE = re.compile(r"^(?:19[89]\d|20[0-4]\d)$")
_MONTH = re.compile(
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December)\b", re.I
)
# Words after which a number is part of a phrase, not a figure: "Category 1", "sections 325 to 327".
_REFERENCE_WORDS = frozenset(
    [
        "category",
        "categories",
        "level",
        "levels",
        "section",
        "sections",
        "tier",
        "tiers",
        "page",
        "pages",
        "aged",
        "under",
        "over",
        "of",
        "to",
        "and",
        "the",
        "a",
        "an",
        "in",
        "for",
        "by",
        "from",
        "than",
        "at",
        "on",
        "per",
        "with",
        "chapter",
        "paragraph",
        "schedule",
        "part",
        "act",
        "stage",
        "phase",
        "no",
        "number",
        "cat",
        "about",
        "around",
        "almost",
        "nearly",
    ]
)


def as_text(data: str | bytes) -> str:
    """The text of a report; bytes are read as UTF-8. Binary data is refused rather than searched."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as problem:
            raise IngestError(
                f"not UTF-8 text (byte {problem.start}): give the report's text, e.g. from pdftotext"
            ) from None
    controls = sum(1 for c in data if ord(c) < 32 and c not in "\t\n\r\f\v")
    if "\x00" in data or controls > max(8, len(data) // 100):
        raise IngestError(
            "this is binary data, not text (it holds NUL or other control bytes): "
            "give the report's text, e.g. from pdftotext"
        )
    return data


def split_lines(text: str) -> list[Line]:
    """The text's lines, numbered from 1, cleaned, each with its page where the text marks pages."""
    is_html = bool(_LOOKS_HTML.search(text))
    has_form_feeds = "\f" in text
    page = 1 if has_form_feeds else None
    found = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line_page = page
        if has_form_feeds:
            page += raw.count("\f")
            line_page = page if raw.lstrip(" \t").startswith("\f") else line_page
        if is_html:
            raw = html.unescape(_TAG.sub(" ", raw))
        cleaned = " ".join(raw.split())
        marked = _PAGE_MARK.match(cleaned)
        if marked:  # a transcript's "Page 7:" starts page 7
            page = int(marked.group(1))
            line_page = page
            cleaned = cleaned[marked.end() :]
        found.append(Line(number, cleaned, line_page))
    return found


def has_pages(lines: list[Line]) -> bool:
    return any(line.page is not None for line in lines)


def figure(token: str, *, decimal: bool = False) -> Figure | None:
    """The figure a token prints, or None if it is not one. Counts are whole numbers; a rate may have
    decimals. A dash is "not applicable"; a dash with a footnote marker ("1—") is "not collected"."""
    found = _FIGURE.match(token)
    if found:
        if found.group("fraction") and not decimal:
            return None
        digits = found.group("number").replace(",", "") + (found.group("fraction") or "")
        return Figure(Decimal(digits) if decimal else int(digits))
    dash = _DASH.match(token)
    if dash:
        marker = dash.group("before") or dash.group("after")
        if marker is None:
            return Figure(None)
        return Figure(
            None, NOT_COLLECTED, f"printed {token!r}, a dash with footnote marker {marker}: not collected"
        )
    if token in _NOT_GIVEN:
        return Figure(None, NOT_COLLECTED, f"printed {token!r}: no figure given")
    return None


def is_figure(token: str) -> bool:
    return figure(token, decimal=True) is not None


def footnote_marker(token: str) -> str | None:
    dash = _DASH.match(token)
    return (dash.group("before") or dash.group("after")) if dash else None


def financial_year(token: str) -> int | None:
    """The year a financial year such as 2010/11, 2003-04 or 2010/2011 starts in."""
    found = _FINANCIAL_YEAR.match(token)
    if not found:
        return None
    start, end = int(found.group(1)), found.group(2)
    return start if int(end) % 100 == (start + 1) % 100 else None


def march_year(text: str) -> int | None:
    """The year of the first "31 March YYYY" the text names."""
    found = _MARCH.search(text)
    return int(found.group(1)) if found else None


def numbers_in(text: str) -> list[str]:
    """The tokens of a line that print a figure (not a year, a percentage or a reference such as
    "Category 1")."""
    tokens = text.split()
    found = []
    for index, token in enumerate(tokens):
        if _YEAR_LIKE.match(token) or not _FIGURE.match(token):
            continue
        if index and tokens[index - 1].lower().strip("(,:;") in _REFERENCE_WORDS:
            continue
        if index + 1 < len(tokens) and _MONTH.match(tokens[index + 1]):
            continue  # the day of a date: "1 April 2005"
        found.append(token)
    return found


def ends_in_figure(text: str) -> bool:
    """Whether a line's last word is a figure after a label: not the number of "at Level 2", nor the
    year of "31 March 2006"."""
    tokens = text.split()
    if len(tokens) < 2 or not is_figure(tokens[-1]):
        return False
    before = tokens[-2].lower().strip("(,:;")
    return before not in _REFERENCE_WORDS and not (_YEAR_LIKE.match(tokens[-1]) and _MONTH.match(before))


def is_table_like(text: str) -> bool:
    """A line that looks like part of a table: two or more figures, or a label and then a figure."""
    figures = numbers_in(text)
    if len(figures) >= 2:
        return True
    tokens = text.split()
    return bool(figures) and len(tokens) >= 2 and tokens[-1] == figures[-1] and len(tokens) <= 20


def is_heading_like(line: Line) -> bool:
    """A short line of words without figures: a table's heading or a label printed above its figure."""
    words = line.text.split()
    return 0 < len(words) <= 30 and not numbers_in(line.text) and any(c.isalpha() for c in line.text)
