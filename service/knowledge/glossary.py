"""The glossary: MAPPA's terms, looked up by label or abbreviation, for people and for other web sites.

The concepts are read from the store once (they change only when the store does) into an index that
answers a search in microseconds: exact label or abbreviation first, then label prefixes, whole words,
word prefixes, substrings, and last the definitions. A query within one edit of a label ("sopp",
"lay advisor") gets a "did you mean".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mappa_kb import uris
from mappa_kb.engine.interface import Store
from mappa_kb.knowledge import queries

SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
MAX_QUERY_LENGTH = 200
SUMMARY_LENGTH = 240
# "SOPO", "ViSOR", "ASBCPA 2014", "MAPPA": short labels written mostly in capitals.
_ABBREVIATION = re.compile(r"^(?=(?:[^a-z]*[A-Z]){2})[A-Za-z&]{2,10}(?: \d{4})?$")


@dataclass(frozen=True)
class Usage:
    """A statistic whose figures involve a concept, and how many figures."""

    statistic: str
    label: str
    figures: int


@dataclass
class Concept:
    id: str
    uri: str
    label: str = ""
    alt_labels: list[str] = field(default_factory=list)
    definition: str = ""
    scope_notes: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    editorial_notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    top_concept: bool = False
    usage: list[Usage] = field(default_factory=list)

    @property
    def abbreviations(self) -> list[str]:
        return [label for label in self.alt_labels if _ABBREVIATION.match(label)]

    @property
    def summary(self) -> str:
        """The definition's first sentence (or as much as fits a hovercard)."""
        first = re.split(r"(?<=[a-z0-9)][.;])\s+(?=[A-Z])", self.definition, maxsplit=1)[0]
        if len(first) <= SUMMARY_LENGTH:
            return first
        return first[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Match:
    concept: Concept
    score: int
    matched: str  # the label the query matched


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: list[Match]
    did_you_mean: list[Match]


class QueryError(ValueError):
    """A search text that cannot be searched for; the message says why."""


def normalize(text: str) -> str:
    """Case-folded words of ``text``, punctuation and control characters dropped."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def _edits_at_most_one(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        swapped = a[start + 2 :] == b[start + 2 :] and a[start : start + 2] == b[start : start + 2][::-1]
        return a[start + 1 :] == b[start + 1 :] or swapped
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]


def _score(query: str, words: list[str], name: str) -> int:
    """How well a normalized query matches a normalized label; 0 for not at all."""
    if name == query:
        return 100
    if name.startswith(query):
        return 80
    name_words = name.split()
    if all(word in name_words for word in words):
        return 60
    if _prefixes_in_order(words, name_words):
        return 50
    if query in name:
        return 40
    return 0


def _prefixes_in_order(words: list[str], name_words: list[str]) -> bool:
    position = 0
    for word in words:
        while position < len(name_words) and not name_words[position].startswith(word):
            position += 1
        if position == len(name_words):
            return False
        position += 1
    return True


class Glossary:
    """The concepts of the glossary scheme, indexed for search and lookup."""

    def __init__(self, concepts: list[Concept], scheme: str) -> None:
        self.scheme = scheme
        self.concepts = sorted(concepts, key=lambda c: c.label.casefold())
        self._by_id = {c.id: c for c in self.concepts}
        self._by_uri = {c.uri: c for c in self.concepts}
        self._names = [
            (concept, label, normalize(label), rank)
            for concept in self.concepts
            for rank, label in enumerate([concept.label, *concept.alt_labels])
        ]
        self._definitions = {c.id: set(normalize(c.definition).split()) for c in self.concepts}

    def __len__(self) -> int:
        return len(self.concepts)

    def get(self, concept_id: str) -> Concept | None:
        return self._by_id.get(concept_id)

    def by_uri(self, uri: str) -> Concept | None:
        return self._by_uri.get(uri)

    def search(self, text: str, limit: int = 10) -> SearchResult:
        """Concepts whose labels or abbreviations match ``text``, best first."""
        if len(text) > MAX_QUERY_LENGTH:
            raise QueryError(f"the search text has {len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
        query = normalize(text)
        if not query:
            raise QueryError("the search text has no letters or digits to search for")
        words = query.split()
        best: dict[str, Match] = {}
        for concept, label, name, rank in self._names:
            score = _score(query, words, name)
            if score == 0 and set(words) <= self._definitions[concept.id]:
                score = 10
            # The preferred label wins a tie against an alternative one.
            score = score * 2 - (rank > 0) if score else 0
            if score and (concept.id not in best or score > best[concept.id].score):
                best[concept.id] = Match(concept, score, label)
        ranked = sorted(best.values(), key=lambda m: (-m.score, len(m.concept.label), m.concept.label))
        suggestions = [] if ranked and ranked[0].score >= 80 else self._near_misses(query, best)
        return SearchResult(text, ranked[:limit], suggestions[:3])

    def _near_misses(self, query: str, found: dict[str, Match]) -> list[Match]:
        """Labels one edit from the query, or whose start is ("sexual ofences" -> "Sexual Offences ...")."""
        near: dict[str, Match] = {}
        for concept, label, name, _ in self._names:
            if concept.id in found or concept.id in near:
                continue
            starts = {name[: len(query) + delta] for delta in (-1, 0, 1)}
            if any(_edits_at_most_one(query, start) for start in starts) or any(
                _edits_at_most_one(query, word) for word in name.split() if len(query) > 3
            ):
                near[concept.id] = Match(concept, 0, label)
        return sorted(near.values(), key=lambda m: (len(m.matched), m.matched))


def load_glossary(store: Store, base_uri: str = uris.SOURCE_BASE) -> Glossary:
    """Read the glossary scheme and where its concepts are used in the statistics from ``store``."""
    scheme = uris.rebase(uris.SOURCE_BASE + "id/glossary", base_uri)
    prefix = scheme + "/"
    concepts: dict[str, Concept] = {}
    bindings = (("scheme", scheme),)
    for row in queries.select(store, "glossary-concepts", base_uri, bindings):
        uri = row["concept"]
        if uri.startswith(prefix):
            concept = concepts.setdefault(uri, Concept(id=uri[len(prefix) :], uri=uri))
            _add(concept, row["property"], row["value"])
    for concept in concepts.values():
        for broader in concept.broader:
            if broader in concepts:
                concepts[broader].narrower.append(concept.uri)
    for row in queries.select(store, "glossary-usage", base_uri, bindings):
        if row["concept"] in concepts:
            usage = Usage(row["statistic"], row["label"] or row["statistic"], int(row["figures"]))
            concepts[row["concept"]].usage.append(usage)
    return Glossary(list(concepts.values()), scheme)


_LIST_FIELDS = {
    SKOS + "altLabel": "alt_labels",
    SKOS + "scopeNote": "scope_notes",
    SKOS + "example": "examples",
    SKOS + "editorialNote": "editorial_notes",
    SKOS + "broader": "broader",
    SKOS + "related": "related",
    DCTERMS + "source": "sources",
    FOAF + "focus": "focus",
}


def _add(concept: Concept, prop: str, value: str) -> None:
    if prop == SKOS + "prefLabel":
        concept.label = value
    elif prop == SKOS + "definition":
        concept.definition = value
    elif prop == SKOS + "topConceptOf":
        concept.top_concept = True
    elif prop in _LIST_FIELDS:
        values = getattr(concept, _LIST_FIELDS[prop])
        values.append(value)
        values.sort()
