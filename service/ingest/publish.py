"""Publishing into data/: validate what an ingest made together with what is already published, and only
then write it, so that a refused ingest writes nothing and changes nothing.

A report's area-year is one file (``data/{area}-{year}.ttl``). A tidy CSV's figures are one folder per
source (``data/sources/{key}/{area}-{year}.ttl``): ingesting a source again replaces its folder whole,
so a corrected source replaces what came from it, and the same source ingested twice writes the same
bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..cube import AreaYear, to_turtle
from ..validate import ValidationReport, validate_files

SOURCES = "sources"


class PublishRefused(Exception):
    """The new figures break a rule; ``report`` says which, where. Nothing was written."""

    def __init__(self, report: ValidationReport, staged: list[Path]) -> None:
        super().__init__("the new figures break the rules; nothing was written")
        self.report, self.staged = report, staged


@dataclass
class Published:
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    report: ValidationReport | None = None


def _published(out: Path, leaving_out: set[Path]) -> list[Path]:
    return [p for p in sorted(out.rglob("*.ttl")) if not any(p.is_relative_to(x) for x in leaving_out)]


def publish_report(figures: AreaYear, out: Path) -> Published:
    """One report's area-year as ``{area}-{year}.ttl``, replacing the file from an earlier ingest."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{figures.area_slug}-{figures.start_year}-{(figures.start_year + 1) % 100:02d}.ttl"
    with tempfile.NamedTemporaryFile("w", suffix=".ttl", dir=out, delete=False, encoding="utf-8") as handle:
        handle.write(to_turtle(figures))
        staged = Path(handle.name)
    try:
        report = validate_files([*_published(out, {staged, target}), staged])
        if not report.conforms:
            raise PublishRefused(report, [staged])
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    return Published(written=[target], report=report)


def publish_sources(groups: list[AreaYear], out: Path) -> Published:
    """A tidy CSV's figures, one folder per source; each source's folder is replaced whole."""
    by_source: dict[str, list[AreaYear]] = {}
    for group in groups:
        by_source.setdefault(group.source_slug, []).append(group)
    root = out / SOURCES
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ingest-", dir=root))
    try:
        for key, members in by_source.items():
            folder = staging / key
            folder.mkdir()
            for group in members:
                name = f"{group.area_slug}-{group.start_year}-{(group.start_year + 1) % 100:02d}.ttl"
                (folder / name).write_text(to_turtle(group), encoding="utf-8")
        replaced = {root / key for key in by_source} | {staging}
        staged = sorted(staging.rglob("*.ttl"))
        report = validate_files([*_published(out, replaced), *staged])
        if not report.conforms:
            raise PublishRefused(report, staged)
        return _swap_in(staging, root, list(by_source), report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, root: Path, keys: list[str], report: ValidationReport) -> Published:
    """Move each staged source folder into place; the old one goes only once the new one is there."""
    result = Published(report=report)
    for key in keys:
        target, old = root / key, root / f".old-{key}"
        shutil.rmtree(old, ignore_errors=True)
        before = {p.name for p in target.glob("*.ttl")} if target.exists() else set()
        if target.exists():
            target.rename(old)
        (staging / key).rename(target)
        shutil.rmtree(old, ignore_errors=True)
        after = {p.name for p in target.glob("*.ttl")}
        result.written += sorted(target / name for name in after)
        result.removed += sorted(target / name for name in before - after)
    return result
