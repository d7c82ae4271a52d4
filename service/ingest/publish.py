"""Publishing into data/: add what an ingest read to every source's figures as published, derive the
headline layer again from all of them, validate the whole, and only then put it in place, in one step.

- Every source's figures are one folder, ``data/sources/{key}/{area}-{year}.ttl`` (a report's key is the
  name given with ``--source``; a tidy CSV source's is a hash of its ``source_url``).
- **Additive**: an ingest adds its figures to what each source already has; it never removes or changes
  a figure. A figure that a source already gives differently is refused, unless the ingest names that
  source to replace (``replace``): then what came from it before is replaced whole. The same file twice
  changes nothing, and a file split in two gives the same bytes in either order (nothing from the
  ingested file itself, such as its line numbers, is kept).
- **All or nothing**: the new data/ is built beside the old one (unchanged files linked, not copied) and
  swapped in with one atomic rename (Linux's RENAME_EXCHANGE), so a refused, failed or killed ingest
  leaves data/ exactly as it was.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import Graph

from mappa_kb import paths
from mappa_kb.engine.loading import load_store
from mappa_kb.knowledge import headline
from mappa_kb.knowledge.cube import AreaYear, build_dataset, new_graph, to_turtle
from mappa_kb.uris import MCUBE, QB, SDMX_MEASURE
from mappa_kb.validation.validate import ValidationReport, validate_files

SOURCES = "sources"
HEADLINE = "headline"
_MEMBERSHIP = (
    QB.dataSet,
    MCUBE.notApplicableIn,
    MCUBE.notCollectedIn,
    MCUBE.quotedFigureIn,
    MCUBE.otherFigureIn,
)


class PublishRefused(Exception):
    """The new figures break a rule; ``report`` says which, where. Nothing was written."""

    def __init__(self, report: ValidationReport, staged: list[Path]) -> None:
        super().__init__("the new figures break the rules; nothing was written")
        self.report, self.staged = report, staged


class ChangeRefused(Exception):
    """The new figures would change what a source already published; nothing was written."""

    def __init__(self, changes: list[CellChange]) -> None:
        self.changes = changes
        lines = [f"  - {c.describe()}" for c in changes[:20]]
        more = [f"  ... and {len(changes) - 20} more"] if len(changes) > 20 else []
        sources = sorted({c.source for c in changes})
        super().__init__(
            "these figures differ from what their source already gave; an ingest adds figures and never "
            "changes one. If the file corrects its source, replace what came from it with "
            + " ".join(f"--replace-source {s!r}" for s in sources)
            + ":\n"
            + "\n".join(lines + more)
        )


@dataclass(frozen=True)
class CellChange:
    """One published cell an ingest adds, changes or removes."""

    kind: str  # "add", "change" or "remove"
    source: str  # the source's name (URL or words), or its key
    cell: str  # the published cell's IRI
    before: str = ""  # its figure before ("-" a dash, "" none)
    after: str = ""

    def describe(self) -> str:
        shown = {"add": f"add {self.after}", "remove": f"remove {self.before}"}.get(
            self.kind, f"change {self.before} to {self.after}"
        )
        return f"{shown or self.kind}: {self.cell} (from {self.source})"


@dataclass
class Published:
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    changes: list[CellChange] = field(default_factory=list)
    report: ValidationReport | None = None
    conflicts: int = 0


def published_files(out: Path) -> list[Path]:
    """The published Turtle of every source under ``out``."""
    root = out / SOURCES
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*.ttl") if not p.parent.name.startswith("."))


def derive_headline(published: list[Path], target: Path) -> headline.Headline:
    """Write the headline layer of ``published`` into the folder ``target`` (made anew)."""
    derived = headline.derive(load_store([*paths.turtle_files("ontology"), *published]))
    target.mkdir(parents=True)
    for key in sorted(derived.graphs):
        area, start_year = key
        name = f"{area}-{start_year}-{(start_year + 1) % 100:02d}.ttl"
        (target / name).write_text(headline.to_turtle(derived, key), encoding="utf-8")
    return derived


def _cells(graph: Graph) -> dict[str, str]:
    """Each published cell of a graph and what it says: its figure, "-" for a dash, "" for none."""
    found = {}
    for predicate in _MEMBERSHIP:
        for cell in graph.subjects(predicate, None):
            value = graph.value(cell, SDMX_MEASURE.obsValue)
            if value is None:
                found[str(cell)] = "-" if predicate == _MEMBERSHIP[1] else ""
            else:  # 46 and 46.0 are one figure: compared as numbers, written without trailing zeros
                found[str(cell)] = format(Decimal(str(value)).normalize(), "f")
    return found


def _merge(group: AreaYear, existing: Path | None, replacing: bool) -> tuple[str, list[CellChange]]:
    """The Turtle of a source's area-year with ``group``'s figures added, and the changes that makes."""
    new = build_dataset(group)
    source = group.source_url or group.source_slug
    if existing is None or replacing:
        before: dict[str, str] = {}
        if existing is not None:
            before = _cells(Graph().parse(existing, format="turtle"))
        after = _cells(new)
        changes = _compare(before, after, source)
        return to_turtle(group, new), changes
    old = Graph().parse(existing, format="turtle")
    before, incoming = _cells(old), _cells(new)
    changes = [c for c in _compare(before, incoming, source) if c.kind != "remove"]
    merged = new_graph()
    for triple in old:
        merged.add(triple)
    for triple in new:  # a cell the source already gives (as it gives it now) is kept as it was written
        if str(triple[0]) not in before:
            merged.add(triple)
    for dataset in set(merged.subjects(MCUBE.areaAsWritten, None)):  # one spelling, whatever the order
        first = min(merged.objects(dataset, MCUBE.areaAsWritten), key=str)
        merged.set((dataset, MCUBE.areaAsWritten, first))
    return to_turtle(group, merged), changes


def _compare(before: dict[str, str], after: dict[str, str], source: str) -> list[CellChange]:
    changes = [CellChange("add", source, c, after=after[c]) for c in sorted(after.keys() - before.keys())]
    changes += [
        CellChange("change", source, c, before[c], after[c])
        for c in sorted(after.keys() & before.keys())
        if before[c] != after[c]
    ]
    changes += [
        CellChange("remove", source, c, before=before[c]) for c in sorted(before.keys() - after.keys())
    ]
    return changes


def plan(
    groups: list[AreaYear], out: Path, replace: Iterable[str] = ()
) -> tuple[dict[Path, str], list[CellChange]]:
    """What publishing ``groups`` into ``out`` would write (path -> Turtle) and change, cell by cell.
    ``replace`` names sources (their URL, name or key) whose earlier figures are replaced whole."""
    replacing = set(replace)
    files: dict[Path, str] = {}
    changes: list[CellChange] = []
    by_key: dict[str, list[AreaYear]] = {}
    for group in groups:
        by_key.setdefault(group.source_slug, []).append(group)
    for key, members in sorted(by_key.items()):
        folder = out / SOURCES / key
        replaced = bool({key, members[0].source_url or key} & replacing)
        for group in members:
            target = folder / group.file_name
            text, found = _merge(group, target if target.exists() else None, replaced)
            files[target] = text
            changes += found
        if replaced:  # an area-year the source no longer gives goes with the rest of it
            for old in sorted(folder.glob("*.ttl")) if folder.is_dir() else []:
                if old not in files:
                    files[old] = ""
                    source = members[0].source_url or key
                    changes += _compare(_cells(Graph().parse(old, format="turtle")), {}, source)
    unchanged = [c for c in changes if c.kind == "change" and not _replacing(c, replacing, by_key)]
    if unchanged:
        raise ChangeRefused(unchanged)
    return files, changes


def _replacing(change: CellChange, replacing: set[str], by_key: dict[str, list[AreaYear]]) -> bool:
    return any(
        change.source in replacing or key in replacing
        for key, members in by_key.items()
        if (members[0].source_url or key) == change.source
    )


def publish(
    groups: list[AreaYear], out: Path, replace: Iterable[str] = (), dry_run: bool = False
) -> Published:
    """Add ``groups`` to the sources' figures under ``out``, derive the headline layer, validate, and
    swap the new tree in with one rename (see the module's docstring)."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        _clear_leftovers(out)
        files, changes = plan(groups, out, replace)
        result = Published(changes=changes)
        result.written = sorted(p for p, text in files.items() if text and _differs(p, text))
        result.removed = sorted(p for p, text in files.items() if not text)
        if dry_run:
            return result
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.ingest-", dir=out.parent))
        try:
            _stage(out, staging, files)
            sources = published_files(staging)
            derived = derive_headline(sources, staging / HEADLINE)
            report = validate_files([*sources, *sorted((staging / HEADLINE).glob("*.ttl"))])
            if not report.conforms:
                raise PublishRefused(report, [staging / p.relative_to(out) for p in result.written])
            _swap(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result.report, result.conflicts = report, len(derived.conflicts)
        return result


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") != text
    except OSError:
        return True


def _stage(out: Path, staging: Path, files: dict[Path, str]) -> None:
    """The new tree in ``staging``: every other file of ``out`` linked (or copied), the new ones written;
    the headline is derived afresh, so the old one is not carried over."""
    if out.is_dir():
        for old in sorted(out.rglob("*")):
            relative = old.relative_to(out)
            if relative.parts[0] == HEADLINE or old in files or old.is_dir():
                continue
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(old, target)
            except OSError:  # another file system, or links not allowed: a copy serves as well
                shutil.copy2(old, target)
    for path, text in files.items():
        if text:
            target = staging / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


_RENAME_EXCHANGE = 2


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` in the place of ``out`` in one step; the old tree is left at ``staging``."""
    if not out.exists():
        staging.rename(out)
        staging.mkdir()
        return
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    at_cwd = -100
    if renameat2 is not None and renameat2(at_cwd, bytes(staging), at_cwd, bytes(out), _RENAME_EXCHANGE) == 0:
        return
    # Without an atomic exchange: two renames, with the moment between them recovered by the next ingest
    # (_clear_leftovers), since the new tree is complete before the first.
    aside = out.with_name(f".{out.name}.old")
    shutil.rmtree(aside, ignore_errors=True)
    out.rename(aside)
    staging.rename(out)
    aside.rename(staging)


def _clear_leftovers(out: Path) -> None:
    """Remove what a killed ingest left beside ``out`` (its staging tree); restore ``out`` if a kill came
    between the two renames of a swap without atomic exchange."""
    aside = out.with_name(f".{out.name}.old")
    if not out.exists() and aside.exists():
        aside.rename(out)
    shutil.rmtree(aside, ignore_errors=True)
    for leftover in out.parent.glob(f".{out.name}.ingest-*"):
        shutil.rmtree(leftover, ignore_errors=True)


class _locked:
    """One ingest at a time beside the same folder: a lock on the folder that holds it."""

    def __init__(self, out: Path) -> None:
        self.parent = out.parent

    def __enter__(self) -> None:
        self.descriptor = os.open(self.parent, os.O_RDONLY)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        os.close(self.descriptor)  # (closing releases the lock)
