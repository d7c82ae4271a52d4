"""Settings with defaults: the one module that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import uris


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the setting and what was wrong."""


@dataclass(frozen=True)
class Settings:
    """What a deployment may change. The defaults run with no configuration at all."""

    # The canonical base every resource is minted under; a publisher sets their own domain here.
    base_uri: str = uris.SOURCE_BASE
    # Where the embedded store lives on disk (built by `mappa-kb build`, or on first `serve`).
    store_path: Path = Path("var/store")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        base = environ.get("MAPPA_KB_BASE_URI", "").strip() or uris.SOURCE_BASE
        try:
            uris.validate_base(base)
        except ValueError as error:
            raise ConfigError(f"MAPPA_KB_BASE_URI: {error}") from None
        store = environ.get("MAPPA_KB_STORE", "").strip() or str(cls.store_path)
        return cls(base_uri=base, store_path=Path(store))
