"""Store versions: each build is a new folder beside the old ones, and one link names the newest.

``build_store`` writes a version (the Oxigraph database, the N-Quads snapshot the workers' in-memory
copies load, the columnar copy, the triple count, the version file a cache in front reads) and points
the link at it in one rename; a running service notices and swaps (``web.store_watch``). The last few
versions are kept, since a running service may still read the one before.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from mappa_kb import paths, uris
from mappa_kb.engine import columnar
from mappa_kb.engine.interface import KB_GRAPH, StoreUnavailable
from mappa_kb.engine.loading import load_knowledge_base
from mappa_kb.engine.workers import memory_snapshot


def check_store(path: Path) -> None:
    """Raise StoreUnavailable, saying why, unless ``path`` holds a store that opens and answers."""
    try:
        store = ox.Store.read_only(str(path))
        # Read a quad, not only the catalogue (the default graph is empty): a damaged first block shows.
        list(store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"))
    except (OSError, RuntimeError) as error:  # missing, or corrupt
        raise StoreUnavailable(f"cannot open the store at {path}: {error}") from None


KEEP_VERSIONS = 3  # a running service may still read the one before; older ones go
VERSION_FILE = "mappa-kb-version"  # in each version: its name, for a cache in front (docs/deploy)


def versions_folder(target: Path) -> Path:
    """Where the built versions of the store at ``target`` live; ``target`` links to the newest."""
    return target.with_name(target.name + ".versions")


def build_store(
    target: Path, files: Sequence[Path] | None = None, base_uri: str = uris.SOURCE_BASE
) -> tuple[Path, int, float]:
    """Build a new version of the store beside the old ones, then point ``target`` at it in one step
    (a symbolic link replaced by rename): (path, triples, seconds). A running service sees the link
    change and swaps to the new version; requests in flight finish on the old one."""
    started = time.perf_counter()
    target = Path(os.path.abspath(target))
    versions = versions_folder(target)
    versions.mkdir(parents=True, exist_ok=True)
    version = versions / (time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.monotonic_ns()}")
    staging = version.with_name(version.name + ".building")
    memory = load_knowledge_base(list(files) if files is not None else paths.knowledge_base_files(), base_uri)
    disk = ox.Store(str(staging))
    # The knowledge base is one named graph, the default graph of every query unless a client names
    # others; each source's figures as published are a named graph of their own.
    graph = ox.NamedNode(uris.rebase(KB_GRAPH, base_uri))
    disk.bulk_extend(memory)
    disk.flush()
    triples = sum(1 for _ in disk.quads_for_pattern(None, None, None, graph))  # the knowledge base's own
    # The snapshot query workers load their in-memory copies from: N-Quads parse fastest.
    snapshot = memory_snapshot(staging)
    disk.dump(str(snapshot), format=ox.RdfFormat.N_QUADS)
    del disk
    quads = ox.parse(path=str(snapshot), format=ox.RdfFormat.N_QUADS)
    columnar_copy = columnar.write_copy(quads, graph, columnar.copy_file(staging))  # for aggregates
    size_record(staging).write_text(f"{triples}\n")
    _write_version_file(staging, version.name, previous=target / VERSION_FILE)
    snapshot.rename(memory_snapshot(version))
    if columnar_copy:
        columnar.copy_file(staging).rename(columnar.copy_file(version))
    size_record(staging).rename(size_record(version))
    staging.rename(version)
    _point_at(target, version)
    _prune(versions, keep=version)
    return target, triples, time.perf_counter() - started


def _write_version_file(staging: Path, name: str, previous: Path) -> None:
    """The file in each version that names it to a cache in front, read through the store's link
    (docs/deploy/nginx.conf keys its answers by nginx's ETag for it: modification time in seconds and
    size). So its time is at least a second after the previous version's, even for two builds within
    one second."""
    version_file = staging / VERSION_FILE
    version_file.write_text(f"{name}\n")
    try:
        last = int(previous.stat().st_mtime)
    except OSError:  # the first version, or one built before versions had this file
        last = 0
    seconds = max(int(time.time()), last + 1)
    os.utime(version_file, (seconds, seconds))


def link_text(path: str) -> str | None:
    """What the store's link says (the version it points at), or None if it is not a link (a store
    built before versions, made one by the next build) or is gone."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def size_record(location: Path) -> Path:
    """The file beside a store version that says how many triples it holds (a version never changes)."""
    return location.with_name(location.name + ".triples")


def recorded_size(location: Path) -> int | None:
    try:
        return int(size_record(location).read_text())
    except (OSError, ValueError):  # a version built before sizes were recorded: counted when asked
        return None


def _point_at(target: Path, version: Path) -> None:
    if target.is_dir() and not target.is_symlink():  # a store built before versions: keep it as one
        target.rename(versions_folder(target) / f"00000000T000000-earlier-{time.monotonic_ns()}")
    link = target.with_name(target.name + ".link")
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(version, target.parent))
    os.replace(link, target)


def _prune(versions: Path, keep: Path) -> None:
    built = sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.endswith(".building"))
    for old in built[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
            memory_snapshot(old).unlink(missing_ok=True)
            size_record(old).unlink(missing_ok=True)
            columnar.copy_file(old).unlink(missing_ok=True)
