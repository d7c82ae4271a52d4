"""What a printed label counts: the statistic (a table of tidy_csv.TABLES), level and category.

Labels differ by era: "RSOs cautioned or convicted for breach of notification requirements" (2009 on),
"breaches of the registration requirement" (2002-2008), "referred to the MAPPP" (Level 3 before 2009),
"SHPOs" and "SROs" (2015 on). Figures with no statistic of their own are table "other", and their note
says what they count (the note is how an "other" figure is told from another). A label this module
does not know gives None: the line is then reported as not recognised, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Measure:
    table: str
    level: str = "total"
    category: str = "total"
    note: str = ""  # for table "other": what the figure counts
    decimal: bool = False  # a rate, which may be printed with decimals


RSO_COUNT = Measure("eligible_snapshot", "total", "1")
REVOKED = "registered sexual offenders whose lifetime notification requirements were revoked on application"
SRO_BREACHES = (
    "breaches of Sexual Risk Orders (SROs): people who became subject to notification requirements "
    "following a breach of an SRO"
)
CASE_REVIEWS = "MAPPA serious case reviews"
ORDER_BREACH_RETURNS = (
    "Level 2 and 3 offenders returned to custody for breach of a restraining order, sex offender order "
    "or SOPO (the orders of 2002-2008, before SOPOs alone were counted)"
)

_ENUMERATOR = re.compile(r"^(?:\(?(?:[ivx]{1,5}|[a-z])\)|\d{1,2}[.)])\s+", re.IGNORECASE)


def normalise(label: str) -> str:
    """A label in lower case without its enumerator ("iv)", "(a)", "3."), with "&" as "and"."""
    text = " ".join(label.split())
    while True:
        stripped = _ENUMERATOR.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = text.replace("&", " and ").replace("\u2019", "'")
    return " ".join(text.lower().split()).strip(" ?:.;,")


def category_of(text: str) -> str:
    if re.search(r"\brsos?\b|registered sex|\bcategory 1\b|\bcat 1\b", text):
        return "1"
    if re.search(r"\bviolent\b|\bv ?and ?os\b|\bcategory 2\b|\bcat 2\b", text):
        return "2"
    if re.search(r"\bother (?:dangerous )?offenders\b|\bothos?\b|\bcategory 3\b|\bcat 3\b", text):
        return "3"
    return "total"


def level_scope(text: str) -> str:
    """The levels a count of Level 2 and 3 offenders covers: "3" when only the MAPPP (Level 3) is
    named, "2" when only Level 2, else "total" (Levels 2 and 3)."""
    both = re.search(r"levels? 2 (?:and|or) 3|level 2/3|levels two and three", text)
    three = re.search(r"\bmappp\b|\blevel (?:3|three)\b", text)
    two = re.search(r"\blevel (?:2|two)\b|local inter-agency", text)
    if both or (two and three):
        return "total"
    if three:
        return "3"
    return "2" if two else "total"


def _rate(text: str, context: str) -> Measure | None:
    if re.search(r"(?:per|for every) 100,?000\b", text):
        return Measure("rso_per_100k", "total", "1", decimal=True)
    return None


def _revocations(text: str, context: str) -> Measure | None:
    if re.search(r"\brevo(?:ked|cations?)\b", text) and "notification" in text:
        return Measure("other", "total", "1", REVOKED)
    return None


def _case_reviews(text: str, context: str) -> Measure | None:
    if re.search(r"serious case reviews?|\bscrs?\b", text):
        return Measure("other", "total", "total", CASE_REVIEWS)
    return None


def _further_offences(text: str, context: str) -> Measure | None:
    if re.search(r"serious further offen[cs]es?|\bsfos?\b|charged with (?:a |an )?(?:serious|further)", text):
        return Measure("sfo", level_scope(f"{text} {context}"), "total")
    return None


def _custody(text: str, context: str) -> Measure | None:
    if not re.search(r"\b(?:returned|recalled|sent|back) to (?:custody|prison)\b", text):
        return None
    level = level_scope(f"{text} {context}")
    if "licence" in text:
        return Measure("custody_breach_licence", level, "total")
    if re.search(r"restraining order|sex offender order|\bsoos?\b", text):
        return Measure("other", "total", "total", ORDER_BREACH_RETURNS)
    if re.search(r"\bsopos?\b|\bshpos?\b|prevention orders?", text):
        return Measure("custody_breach_sopo", level, "total")
    return None


def _sro_breaches(text: str, context: str) -> Measure | None:
    if re.search(r"\bbreach", text) and re.search(r"\bsros?\b|sexual risk orders?", text):
        return Measure("other", "total", "total", SRO_BREACHES)
    return None


def _notification_breaches(text: str, context: str) -> Measure | None:
    if re.search(r"\bbreach|\bfail", text) and re.search(r"notification|registration|\bregister\b", text):
        return Measure("rso_breach_notification", "total", "1")
    return None


# (the words of an order's name, the statistic of orders of that kind imposed, its name in a note)
_ORDERS = (
    (
        r"shpos? with (?:a )?foreign travel (?:restrictions?|prohibitions?)",
        None,
        "SHPOs with a foreign travel restriction",
    ),
    (r"sexual harm prevention orders?(?: \(shpos?\))?|shpos?", "orders_shpo", "SHPOs"),
    (r"sexual risk orders?(?: \(sros?\))?|sros?", "orders_sro", "SROs"),
    (r"sexual offences prevention orders?(?: \(sopos?\))?|sopos?", "orders_sopo", "SOPOs"),
    (r"sex offender orders?(?: \(soos?\))?|soos?", None, "sex offender orders (SOOs)"),
    (r"restraining orders?(?: \(ros?\))?", None, "restraining orders"),
    (r"notification orders?(?: \(nos?\))?|nos", "orders_no", "notification orders (NOs)"),
    (r"foreign travel orders?(?: \(ftos?\))?|ftos?", "orders_fto", "foreign travel orders (FTOs)"),
)
_ORDER_LABEL = (
    r"^(?:(?:the )?(?:total )?number of )?(?P<kind>{kind})"
    r"(?: (?P<action>imposed|made|granted|applied for|in force))?(?: by (?:the )?courts?)?"
    r"(?: in (?:the|your) area)?(?: during the year)?$"
)


def _orders(text: str, context: str) -> Measure | None:
    for kind, table, name in _ORDERS:
        found = re.match(_ORDER_LABEL.format(kind=kind), text)
        if not found:
            continue
        action = found.group("action") or "imposed"
        if action in ("imposed", "made", "granted") and table is not None:
            return Measure(table, "total", "total")
        words = "imposed by the courts" if action in ("imposed", "made", "granted") else action
        return Measure("other", "total", "total", f"{name} {words}")
    return None


def _managed_at_level(text: str, context: str) -> Measure | None:
    if re.search(r"\bmappp\b", text):
        if re.search(r"\b(?:referred|managed|considered|through|by)\b", text):
            return Measure("level23_yearly", "3", category_of(text))
        return Measure("other", "total", "total", f"MAPPP: {text}")
    level = re.search(r"\blevel (2|3|two|three)\b", text)
    if level and re.search(r"\b(?:managed|referred|placed|registered)\b", text):
        number = {"two": "2", "three": "3"}.get(level.group(1), level.group(1))
        return Measure("level23_yearly", number, category_of(text))
    if "local inter-agency risk management" in text:
        return Measure("level23_yearly", "2", category_of(text))
    return None


def _all_eligible(text: str, context: str) -> Measure | None:
    if re.search(r"^(?:the )?total (?:number of )?mappa[- ]?(?:eligible )?offenders\b", text):
        return Measure("eligible_snapshot", "total", "total")
    return None


_COUNTED_IN_AREA = (
    r"living|in the community|in (?:your|the) area|on 31 march|at 31 march|between 1 april|during"
)


def _rso_count(text: str, context: str) -> Measure | None:
    if not re.search(r"\brsos\b|registered sex(?:ual)? offenders", text):
        return None
    if re.fullmatch(r"(?:the )?(?:total )?(?:number of )?(?:rsos|registered sex(?:ual)? offenders)", text):
        return RSO_COUNT
    return RSO_COUNT if re.search(_COUNTED_IN_AREA, text) else None


def _violent_and_other(text: str, context: str) -> Measure | None:
    counted = re.search(_COUNTED_IN_AREA + r"|^(?:the )?number of", text)
    if re.search(
        r"violent (?:and|or) other sex(?:ual)? offenders|\bv ?and ?os\b|\bviolent offenders\b", text
    ):
        return Measure("eligible_snapshot", "total", "2") if counted else None
    if re.search(r"\bother (?:dangerous )?offenders\b|\bothos?\b", text):
        return Measure("eligible_snapshot", "total", "3") if counted else None
    return None


_RULES: tuple[Callable[[str, str], Measure | None], ...] = (
    _rate,
    _revocations,
    _case_reviews,
    _further_offences,
    _custody,
    _sro_breaches,
    _notification_breaches,
    _orders,
    _managed_at_level,
    _all_eligible,
    _rso_count,
    _violent_and_other,
)


# A label that names only a category ("RSOs", "V&OS", "OthO") under a heading that says what is counted.
_BARE_CATEGORY = re.compile(
    r"category [123]|rsos|registered sex(?:ual)? offenders|v and os|violent (?:and other sexual )?offenders|"
    r"othos?|other (?:dangerous )?offenders"
)
_COUNTED_BY_CATEGORY = frozenset({"level23_yearly", "custody_breach_licence", "custody_breach_sopo", "sfo"})


def _category_under_heading(text: str, context: str) -> Measure | None:
    if not context or not _BARE_CATEGORY.fullmatch(text):
        return None
    heading = classify(context)
    if heading is None or heading.table not in _COUNTED_BY_CATEGORY:
        return None
    return replace(heading, category=category_of(text))


def classify(label: str, *, context: str = "", bare_levels: bool = False) -> Measure | None:
    """The measure a label names, or None. ``context`` is the heading the label stands under (for the
    levels a count covers); ``bare_levels`` reads "Level 2" alone as a count managed at that level,
    as the rows of a table by year are labelled."""
    text = normalise(label)
    if not text or len(text.split()) > 40 or not re.search(r"[a-z]", text):
        return None
    if bare_levels:
        bare = re.fullmatch(r"level ([123])", text)
        if bare:
            level = bare.group(1)
            return (
                Measure("eligible_snapshot", "1", "total")
                if level == "1"
                else Measure("level23_yearly", level)
            )
    context = normalise(context)
    under = _category_under_heading(text, context)
    if under is not None:
        return under
    for rule in _RULES:
        found = rule(text, context)
        if found is not None:
            return found
    return None
