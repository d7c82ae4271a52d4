"""Settings with defaults: the one module that reads the environment."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mappa_kb import uris


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the setting and what was wrong."""


@dataclass(frozen=True)
class Settings:
    """What a deployment may change. The defaults run with no configuration at all."""

    # The canonical base every resource is minted under; a publisher sets their own domain here.
    base_uri: str = uris.SOURCE_BASE
    # Where the embedded store lives on disk (built by `mappa-kb build`, or on first `serve`).
    store_path: Path = Path("var/store")
    # Every query is stopped after this many seconds, and its results cut after this many rows.
    query_timeout: float = 30.0
    max_rows: int = 10000
    # An answer is also cut before its values pass this many bytes (the header says so), and a query is
    # stopped (503) if it makes its worker grow by more than this many MB.
    max_answer_bytes: int = 32 * 1024 * 1024
    query_memory_mb: int = 1024
    # Worker processes that run queries, for each service process (`serve` starts two per core); a
    # runaway query holds one of them, never the others.
    query_workers: int = 2
    # Each query worker may also answer from its own in-memory copy of the store (2-3x faster on joins
    # that the columnar copy does not answer), if the copy fits in this many MB (about 300 bytes a
    # triple). Off by default: the copies are not shared, so memory would grow with the workers.
    memory_copy_mb: int = 0
    # An external SPARQL 1.1 server to serve from instead of the embedded store (None: embedded).
    endpoint: str | None = None
    # SPARQL endpoints a query may call with SERVICE; none by default: the server fetches nothing.
    service_allow: frozenset[str] = frozenset()
    # Fair use of /sparql, per client address (one count for all the service processes): queries a
    # minute (0: no limit), and queries one client may have running at once.
    rate_limit: int = 600
    concurrent_queries: int = 4
    # The largest request body accepted (a POSTed query); larger ones get 413.
    max_request_bytes: int = 1024 * 1024
    # How long HTTP caches (browsers, a proxy) may reuse an answer without asking again; the data can
    # change at any rebuild, so this is how stale a cached answer may be. 0: always revalidate (ETag).
    cache_seconds: int = 300
    # The proxies whose X-Forwarded-Proto and X-Forwarded-For are believed (so that links say https
    # behind TLS, and fair use counts each client rather than the proxy); "*": any.
    forwarded_allow: frozenset[str] = frozenset({"127.0.0.1", "::1"})

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from a TOML file named by MAPPA_KB_CONFIG (if any), then the environment, which wins."""
        environ = dict(os.environ if environ is None else environ)
        config_file = environ.get("MAPPA_KB_CONFIG", "").strip()
        if config_file:
            environ = {**_read_file(Path(config_file)), **environ}
        base = environ.get("MAPPA_KB_BASE_URI", "").strip() or uris.SOURCE_BASE
        try:
            uris.validate_base(base)
        except ValueError as error:
            raise ConfigError(f"MAPPA_KB_BASE_URI: {error}") from None
        store = environ.get("MAPPA_KB_STORE", "").strip() or str(cls.store_path)
        return cls(
            base_uri=base,
            store_path=Path(store),
            query_timeout=_number(environ, "MAPPA_KB_QUERY_TIMEOUT", cls.query_timeout, float, 0.1, 3600),
            max_rows=_number(environ, "MAPPA_KB_MAX_ROWS", cls.max_rows, int, 1, 10_000_000),
            max_answer_bytes=_number(
                environ, "MAPPA_KB_MAX_ANSWER_BYTES", cls.max_answer_bytes, int, 1024, 2**31
            ),
            query_memory_mb=_number(
                environ, "MAPPA_KB_QUERY_MEMORY_MB", cls.query_memory_mb, int, 16, 1_000_000
            ),
            query_workers=_number(environ, "MAPPA_KB_QUERY_WORKERS", cls.query_workers, int, 1, 64),
            memory_copy_mb=_number(environ, "MAPPA_KB_MEMORY_COPY_MB", cls.memory_copy_mb, int, 0, 1_000_000),
            endpoint=_endpoint(environ.get("MAPPA_KB_ENDPOINT", "").strip() or None, "MAPPA_KB_ENDPOINT"),
            service_allow=frozenset(
                _endpoint(url, "MAPPA_KB_SERVICE_ALLOW")
                for url in environ.get("MAPPA_KB_SERVICE_ALLOW", "").replace(",", " ").split()
            ),
            rate_limit=_number(environ, "MAPPA_KB_RATE_LIMIT", cls.rate_limit, int, 0, 1_000_000),
            concurrent_queries=_number(
                environ, "MAPPA_KB_CONCURRENT_QUERIES", cls.concurrent_queries, int, 1, 1000
            ),
            max_request_bytes=_number(
                environ, "MAPPA_KB_MAX_REQUEST_BYTES", cls.max_request_bytes, int, 1024, 100 * 1024 * 1024
            ),
            cache_seconds=_number(environ, "MAPPA_KB_CACHE_SECONDS", cls.cache_seconds, int, 0, 86400),
            forwarded_allow=_addresses(environ, "MAPPA_KB_FORWARDED_ALLOW_IPS", cls.forwarded_allow),
        )


def _endpoint(value: str | None, name: str) -> str | None:
    """An http(s) URL of a SPARQL server, or None."""
    if value is not None and not re.match(r"^https?://[^/\s?#]+(/[^\s#]*)?$", value):
        raise ConfigError(f"{name}: {value!r} is not an http(s) URL of a SPARQL endpoint")
    return value


def _addresses(environ: Mapping[str, str], name: str, default: frozenset[str]) -> frozenset[str]:
    """IP addresses, separated by commas or spaces, or "*" for any."""
    addresses = set()
    for address in environ.get(name, "").replace(",", " ").split():
        try:  # written as the server writes a client's address, so that the two compare equal
            addresses.add(address if address == "*" else str(ipaddress.ip_address(address)))
        except ValueError:
            raise ConfigError(f"{name}: {address!r} is not an IP address (or *)") from None
    return frozenset(addresses) if addresses else default


def _number(environ: Mapping[str, str], name: str, default, kind, low, high):
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a {'whole ' if kind is int else ''}number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: {raw} is outside {low} to {high}")
    return value


# Keys of the configuration file and the environment variables they stand for.
FILE_KEYS = {
    "base_uri": "MAPPA_KB_BASE_URI",
    "store": "MAPPA_KB_STORE",
    "query_timeout": "MAPPA_KB_QUERY_TIMEOUT",
    "max_rows": "MAPPA_KB_MAX_ROWS",
    "max_answer_bytes": "MAPPA_KB_MAX_ANSWER_BYTES",
    "query_memory_mb": "MAPPA_KB_QUERY_MEMORY_MB",
    "query_workers": "MAPPA_KB_QUERY_WORKERS",
    "memory_copy_mb": "MAPPA_KB_MEMORY_COPY_MB",
    "endpoint": "MAPPA_KB_ENDPOINT",
    "service_allow": "MAPPA_KB_SERVICE_ALLOW",
    "rate_limit": "MAPPA_KB_RATE_LIMIT",
    "concurrent_queries": "MAPPA_KB_CONCURRENT_QUERIES",
    "max_request_bytes": "MAPPA_KB_MAX_REQUEST_BYTES",
    "cache_seconds": "MAPPA_KB_CACHE_SECONDS",
    "forwarded_allow_ips": "MAPPA_KB_FORWARDED_ALLOW_IPS",
}


def _read_file(path: Path) -> dict[str, str]:
    """A TOML configuration file as environment-style settings; unknown keys are errors, not ignored."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"MAPPA_KB_CONFIG: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"MAPPA_KB_CONFIG: {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(FILE_KEYS)}")
    return {
        FILE_KEYS[key]: " ".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in data.items()
    }
