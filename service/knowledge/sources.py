"""What kind of publication a source is, which decides whose figure the headline layer shows.

The precedence is written down once, here and in ontology/cube.ttl (``mcube:precedence`` on each kind):
official statistics and the area's own MAPPA report before parliamentary answers before the press.
A source is known by how a publisher names it: a report read by ``mappa-kb ingest`` is the area's own
report; a tidy CSV's ``source_url`` is classed by its host; a source named in words (no URL) is an
other publication, ranked with the press, since nothing says it is more.
"""

from __future__ import annotations

from urllib.parse import urlsplit

OFFICIAL = "official-statistics"
PARLIAMENTARY = "parliamentary-record"
PRESS = "press-or-other"

# Hosts (and their subdomains) of official statistics and MAPPA reports: the Ministry of Justice and
# other departments on gov.uk, police forces (police.uk), and the MAPPA areas' own report sites.
_OFFICIAL_HOSTS = ("gov.uk", "police.uk", "mappa.org.uk", "probation.gov.uk", "gov.wales", "llyw.cymru")
# Hansard and written answers.
_PARLIAMENTARY_HOSTS = ("parliament.uk", "hansard.parliament.uk", "theyworkforyou.com")


def _host(source: str) -> str | None:
    if not source.startswith(("http://", "https://")):
        return None
    try:
        host = urlsplit(source).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _within(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def kind_of(source: str, *, area_report: bool = False) -> str:
    """The kind of a source: OFFICIAL, PARLIAMENTARY or PRESS (see the module's docstring)."""
    if area_report:
        return OFFICIAL
    host = _host(source)
    if host is None:
        return PRESS
    if _within(host, _OFFICIAL_HOSTS):
        return OFFICIAL
    if _within(host, _PARLIAMENTARY_HOSTS):
        return PARLIAMENTARY
    return PRESS
