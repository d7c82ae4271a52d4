"""The ``mappa-kb`` command: argument parsing and printing only; the work is in the core modules."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mappa_kb import __version__, paths

# The commands import what they use when they run: every process a command spawns imports this module
# again, and `serve` spawns its query workers' forker.
if TYPE_CHECKING:
    from mappa_kb.validation.validate import ValidationReport

# `mappa-kb serve`'s defaults: one service process per core (measured: two per core spent more on
# switching between them than keep-alive imbalance cost), each with this many threads.
SERVE_PROCESSES = os.cpu_count() or 1
SERVE_THREADS = 8

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _severity_name(severity: str) -> str:
    from mappa_kb.validation.validate import INFO, VIOLATION, WARNING

    return {VIOLATION: "violation", WARNING: "warning", INFO: "info"}.get(severity, severity)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mappa-kb", description="MAPPA knowledge base: validate and ingest the statistics and glossary."
    )
    parser.add_argument("--version", action="version", version=f"mappa-kb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser(
        "validate",
        help="validate Turtle files against the shipped SHACL shapes",
        description="Validate Turtle files or folders (default: the shipped ontology and data) against the "
        "shipped shapes. Exit 0 when they conform, 1 when a rule is broken, 2 for unreadable input.",
    )
    validate.add_argument("paths", nargs="*", type=Path, help="Turtle files or folders")
    validate.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    validate.add_argument(
        "--engine",
        choices=("fast", "pyshacl"),
        default="fast",
        help="fast (Oxigraph, one query per rule; the default) or plain pySHACL (slow, same verdicts)",
    )
    validate.add_argument("--shapes", nargs="+", type=Path, help="shapes files or folders (default: shipped)")

    query = commands.add_parser(
        "query",
        help="answer a read-only SPARQL query over the embedded knowledge base",
        description="Answer a SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) over the shipped knowledge "
        "base. "
        "SERVICE and FROM are refused: the knowledge base never fetches other URLs.",
    )
    query.add_argument("text", nargs="?", help="the query (or use --file)")
    query.add_argument("--file", type=Path, help="a file holding the query")
    query.add_argument(
        "--format",
        choices=("csv", "tsv", "json", "xml", "turtle", "nt", "jsonld", "rdfxml"),
        default="csv",
        help="csv, tsv, json or xml (SELECT, ASK); turtle, nt, jsonld or rdfxml (CONSTRUCT, DESCRIBE)",
    )

    build = commands.add_parser(
        "build",
        help="build the embedded store from the shipped Turtle",
        description="Build the embedded Oxigraph store (default: MAPPA_KB_STORE, else var/store) beside the "
        "old one and swap it in.",
    )
    build.add_argument("--store", type=Path, help="where the store lives")

    serve = commands.add_parser(
        "serve",
        help="run the web service (SPARQL endpoint) on the embedded store",
        description="Serve /sparql and /healthz with granian (several processes, each with threads), "
        "building the store first if it is missing.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=SERVE_PROCESSES,
        help="service processes (default: one per core)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=SERVE_THREADS,
        help=f"threads per service process (default {SERVE_THREADS})",
    )
    serve.add_argument("--store", type=Path, help="where the store lives")
    serve.add_argument(
        "--endpoint", help="serve from this external SPARQL server instead of the embedded store"
    )

    load = commands.add_parser(
        "load",
        help="push the knowledge base into an external SPARQL server",
        description="Replace the knowledge-base graph of an external SPARQL 1.1 server with the shipped "
        "Turtle, by SPARQL Update.",
    )
    load.add_argument("--endpoint", required=True, help="the server's SPARQL Update endpoint")

    ingest = commands.add_parser(
        "ingest",
        help="read a tidy CSV or a MAPPA annual report's statistics into data/ as an RDF Data Cube",
        description="Read figures from a tidy CSV (one row per cell, as shared/data/mappa_stats.csv) or from "
        "an annual report's text (as pdftotext gives it), validate them with what is published, and only "
        "then write them: nothing is written when a rule is broken. Exit 0 when published, 1 when a rule "
        "is broken, 2 when the input cannot be read.",
    )
    ingest.add_argument("file", type=Path, help="the tidy CSV (.csv) or the report text")
    ingest.add_argument("--out", type=Path, help="folder to write to (default: the project's data/)")
    ingest.add_argument(
        "--no-build",
        action="store_true",
        help="only publish the Turtle; by default the store is rebuilt after publishing into data/, and a "
        "running service swaps to it within a second",
    )
    ingest.add_argument(
        "--store", type=Path, help="the store to rebuild (default: MAPPA_KB_STORE, or var/store)"
    )
    ingest.add_argument("--area", help="report text: the MAPPA area, by name or slug (e.g. durham)")
    ingest.add_argument("--source", help="report text: a slug naming the source document")
    ingest.add_argument(
        "--source-kind",
        choices=("official-statistics", "parliamentary-record", "press-or-other"),
        default="official-statistics",
        help="report text: what kind of publication it is, which ranks its figures where sources disagree "
        "(default: an area's own report, official statistics)",
    )
    ingest.add_argument(
        "--year", help="report text: the reporting year (e.g. 2010/11), when the text does not say it"
    )
    ingest.add_argument(
        "--skip-regional-sums",
        action="store_true",
        help="tidy CSV: skip rows for sums over several areas (e.g. 'Wales (4 areas)') instead of refusing",
    )
    ingest.add_argument(
        "--replace-source",
        action="append",
        metavar="SOURCE",
        help="replace what came before from this source (its source_url, a report's --source name, or its "
        "key): the file corrects it. By default an ingest only adds figures, and refuses one that changes "
        "a figure its source already gave. May be given more than once",
    )
    ingest.add_argument(
        "--dry-run",
        action="store_true",
        help="print the cells the ingest would add, change and remove, and write nothing",
    )
    ingest.add_argument(
        "--skip-empty-values",
        action="store_true",
        help="tidy CSV: skip rows whose value is empty (by default each is kept as a cell without a usable "
        "figure, with its note as the reason)",
    )

    conflicts = commands.add_parser(
        "conflicts",
        help="list the cells that sources give different figures for",
        description="Report every cell for which published sources disagree (all are kept), with each "
        "figure, its sources, and the one the headline layer uses.",
    )
    conflicts.add_argument("paths", nargs="*", type=Path, help="Turtle files or folders (default: shipped)")
    conflicts.add_argument("--format", choices=("text", "json"), default="text", help="report format")

    export = commands.add_parser(
        "export",
        help="write the knowledge base's figures as tidy CSV",
        description="Write every figure as tidy CSV, the layout `mappa-kb ingest` reads; figures read from "
        "a CSV come back as they were read.",
    )
    export.add_argument("--format", choices=("csv",), default="csv", help="output format")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("paths", nargs="*", type=Path, help="Turtle files or folders (default: shipped)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args)
    if args.command == "query":
        return _query(args)
    if args.command in ("build", "serve"):
        return _build_or_serve(args)
    if args.command == "load":
        return _load(args)
    if args.command == "conflicts":
        return _conflicts(args)
    if args.command == "export":
        return _export(args)
    return _ingest(args)


def _load(args: argparse.Namespace) -> int:
    from mappa_kb.config import ConfigError, Settings
    from mappa_kb.engine.interface import QueryFailed, QueryTimeout, StoreUnavailable
    from mappa_kb.engine.remote import KB_GRAPH, load_remote

    try:
        settings = Settings.from_environment()
        triples = load_remote(args.endpoint, base_uri=settings.base_uri)
    except ConfigError as error:
        print(f"mappa-kb load: configuration: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except (StoreUnavailable, QueryFailed, QueryTimeout) as error:
        print(f"mappa-kb load: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"loaded {triples} triples into <{KB_GRAPH}> at {args.endpoint}")
    return EXIT_OK


def _build_or_serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mappa_kb.engine.forker import WorkerForker

    forker = None
    if args.command == "serve":
        _share_metrics_between_processes()
        # First of all: the forker imports the query workers' code while this process imports the rest.
        forker = WorkerForker.start()

    from mappa_kb.config import ConfigError, Settings
    from mappa_kb.engine.interface import StoreUnavailable
    from mappa_kb.engine.versions import build_store, check_store

    try:
        settings = Settings.from_environment()
    except ConfigError as error:
        print(f"mappa-kb {args.command}: configuration: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.store:
        settings = replace(settings, store_path=args.store)
    if getattr(args, "endpoint", None):
        settings = replace(settings, endpoint=args.endpoint)
    if args.command == "build" or (not settings.endpoint and not settings.store_path.exists()):
        path, triples, seconds = build_store(settings.store_path, base_uri=settings.base_uri)
        print(f"built {path}: {triples} triples in {seconds:.1f} s")
    if args.command == "build":
        return EXIT_OK
    if not 0 < args.port < 65536 or not 1 <= args.workers <= 64 or not 1 <= args.threads <= 256:
        print("mappa-kb serve: --port must be 1-65535, --workers 1-64 and --threads 1-256", file=sys.stderr)
        return EXIT_UNREADABLE
    if settings.endpoint and forker is not None:  # an external server answers: no query workers
        forker.close()
        forker = None
    if not settings.endpoint:
        try:  # here, so that a bad store stops the service with this message, not in every process
            check_store(settings.store_path)
        except StoreUnavailable as error:
            print(f"mappa-kb serve: {error}; rebuild it with `mappa-kb build`", file=sys.stderr)
            return EXIT_UNREADABLE
    from mappa_kb.web.server import serve

    print(f"serving http://{args.host}:{args.port}/sparql", flush=True)
    serve(settings, args.host, args.port, args.workers, args.threads, forker)
    return EXIT_OK


def _share_metrics_between_processes() -> None:
    """Give the service processes a folder to count metrics in; it must be set before any counter
    exists, so before the store and the app are imported."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import atexit
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="mappa-kb-metrics-")
        atexit.register(shutil.rmtree, folder, True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def _query(args: argparse.Namespace) -> int:
    from mappa_kb.config import ConfigError, Settings
    from mappa_kb.engine.query import QueryRefused, run_query

    if args.text is None and args.file is None:
        print(
            "mappa-kb query: no query given: give it as an argument, or a file with --file", file=sys.stderr
        )
        return EXIT_UNREADABLE
    if args.text is not None and args.file is not None:
        print("mappa-kb query: give the query as an argument or with --file, not both", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        settings = Settings.from_environment()
        text = args.file.read_text(encoding="utf-8-sig") if args.file else args.text
        sys.stdout.buffer.write(run_query(text, args.format, base_uri=settings.base_uri))
    except ConfigError as error:
        print(f"mappa-kb query: configuration: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except (OSError, UnicodeDecodeError) as error:
        print(f"mappa-kb query: cannot read {args.file}: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except QueryRefused as error:
        print(f"mappa-kb query: {error}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from mappa_kb.validation.validate import UnreadableInput, expand, validate_files

    try:
        files = expand(args.paths) if args.paths else paths.knowledge_base_files()
        shapes = expand(args.shapes) if args.shapes else None
        if not files:
            raise UnreadableInput(Path(" ".join(map(str, args.paths))), "no Turtle files found")
        report = validate_files(files, shapes, engine=args.engine)
    except UnreadableInput as error:
        print(f"mappa-kb validate: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(report_json(report, files) if args.format == "json" else report_text(report, files))
    return EXIT_OK if report.conforms else EXIT_INVALID


def report_text(report: ValidationReport, files: Sequence[Path]) -> str:
    """A readable report: a verdict, then each broken rule with the cells it names."""
    from mappa_kb.validation.validate import VIOLATION, WARNING

    lines = [
        f"{'Conforms' if report.conforms else 'Does not conform'}: {len(files)} file(s), "
        f"{report.count(VIOLATION)} violation(s), {report.count(WARNING)} warning(s) "
        f"({report.engine} engine, {report.seconds:.2f} s)"
    ]
    for rule, results in report.by_rule().items():
        severity = _severity_name(results[0].severity)
        lines.append("")
        lines.append(f"[{severity}] {report.rule_labels.get(rule, rule)} ({len(results)})")
        for result in results:
            lines.append(f"  - {result.message or 'rule broken'}")
            cell = report.cells.get(result.value or "") or report.cells.get(result.focus)
            if cell:
                lines.append(f"    cell: {cell}")
            lines.append(f"    at: {result.value or result.focus}")
    return "\n".join(lines)


def report_json(report: ValidationReport, files: Sequence[Path]) -> str:
    from mappa_kb.validation.validate import VIOLATION, WARNING

    return json.dumps(
        {
            "conforms": report.conforms,
            "files": [str(f) for f in files],
            "engine": report.engine,
            "seconds": round(report.seconds, 3),
            "violations": report.count(VIOLATION),
            "warnings": report.count(WARNING),
            "results": [
                {
                    "severity": _severity_name(r.severity),
                    "rule": rule_iri,
                    "rule_label": report.rule_labels.get(rule_iri, rule_iri),
                    "message": r.message,
                    "focus": r.focus,
                    "value": r.value,
                    "path": r.path,
                    "cell": report.cells.get(r.value or "") or report.cells.get(r.focus),
                }
                for rule_iri, results in report.by_rule().items()
                for r in results
            ],
        },
        indent=2,
    )


def _ingest(args: argparse.Namespace) -> int:
    from mappa_kb.ingest import IngestError
    from mappa_kb.ingest.publish import ChangeRefused, PublishRefused, publish
    from mappa_kb.validation.validate import WARNING

    out = args.out or paths.kb_root() / "data"
    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"mappa-kb ingest: cannot read {args.file}: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        if _is_tidy_csv(args.file, data):
            groups = _read_tidy_csv(args, data).groups
        else:
            groups = _read_report(args, data)
        published = publish(groups, out, replace=args.replace_source or (), dry_run=args.dry_run)
    except (IngestError, LookupError) as error:
        print(f"mappa-kb ingest: {args.file}: {error}", file=sys.stderr)
        print("mappa-kb ingest: nothing was written", file=sys.stderr)
        return EXIT_UNREADABLE
    except ChangeRefused as refused:
        print(f"mappa-kb ingest: {args.file}: {refused}", file=sys.stderr)
        print(f"mappa-kb ingest: refused; nothing was written to {out}", file=sys.stderr)
        return EXIT_INVALID
    except PublishRefused as refused:
        print(report_text(refused.report, refused.staged), file=sys.stderr)
        print(f"mappa-kb ingest: refused; nothing was written to {out}", file=sys.stderr)
        return EXIT_INVALID
    _print_changes(published.changes, args.dry_run)
    if args.dry_run:
        return EXIT_OK
    for path in published.written:
        print(f"wrote {path}")
    for path in published.removed:
        print(f"removed {path} (replaced with its source)")
    if published.conflicts:
        print(f"{published.conflicts} cell(s) where sources disagree: see `mappa-kb conflicts`")
    if published.report and published.report.count(WARNING):
        _print_warning_counts(published.report)
    if (published.written or published.removed) and not args.out:
        if args.no_build:
            print("run `mappa-kb build` to serve the new figures")
        else:
            return _rebuild_after_ingest(args.store)
    return EXIT_OK


def _print_warning_counts(report: ValidationReport) -> None:
    """After an ingest, what the knowledge base warns of, rule by rule (`validate` gives each one)."""
    from mappa_kb.validation.validate import WARNING

    for rule, results in report.by_rule().items():
        if results[0].severity == WARNING:
            label = report.rule_labels.get(rule, rule)
            print(f"mappa-kb ingest: warning: {label} ({len(results)})", file=sys.stderr)
    print(
        "mappa-kb ingest: `mappa-kb validate` lists every warning, `mappa-kb conflicts` every disagreement",
        file=sys.stderr,
    )


def _print_changes(changes: list, every: bool) -> None:  # changes: list[publish.CellChange]
    """How many cells an ingest adds, changes and removes; each one with ``every`` (a dry run), else each
    change and removal (an addition changes nothing published)."""
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in ("add", "change", "remove")}
    verb = "would" if every else "will"
    print(
        f"{counts['add']} cell(s) added, {counts['change']} changed, {counts['remove']} removed"
        + (" (a dry run: nothing was written)" if every else "")
    )
    for change in changes:
        if every or change.kind != "add":
            print(f"  {verb} {change.describe()}")


def _rebuild_after_ingest(store: Path | None) -> int:
    """Build the store from the knowledge base just published to, so a running service serves it."""
    from mappa_kb.config import ConfigError, Settings
    from mappa_kb.engine.versions import build_store

    try:
        settings = Settings.from_environment()
    except ConfigError as error:
        print(f"mappa-kb ingest: published, but the store was not rebuilt: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if settings.endpoint and store is None:
        print(
            f"published; the service reads {settings.endpoint}: push the new figures there with "
            "`mappa-kb load --endpoint URL` (its update endpoint)"
        )
        return EXIT_OK
    try:
        path, triples, seconds = build_store(store or settings.store_path, base_uri=settings.base_uri)
    except OSError as error:
        print(f"mappa-kb ingest: published, but the store could not be built: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"built {path}: {triples} triples in {seconds:.1f} s; a running service swaps to it in a second")
    return EXIT_OK


def _is_tidy_csv(path: Path, data: bytes) -> bool:
    return path.suffix.lower() == ".csv" or data.lstrip(b"\xef\xbb\xbf").startswith(b"area,period_start,")


def _read_tidy_csv(args: argparse.Namespace, data: bytes):  # -> CsvRead
    from mappa_kb.ingest.tidy_csv import read_csv
    from mappa_kb.knowledge.cube import NOT_COLLECTED

    read = read_csv(
        data,
        skip_regional_sums=args.skip_regional_sums,
        skip_empty_values=args.skip_empty_values,
        name=str(args.file),
    )
    for note in read.skipped:
        print(f"mappa-kb ingest: {args.file}: {note}", file=sys.stderr)
    rows = [c for g in read.groups for c in g.cells if not c.from_note]
    missing = sorted(c.source_line for c in rows if c.status == NOT_COLLECTED and c.source_line)
    for line in missing:
        print(f"mappa-kb ingest: {args.file}: line {line}: no usable figure; kept as such, with its note")
    noted = sum(1 for g in read.groups for c in g.cells if c.from_note)
    print(
        f"read {len(rows) + len(read.skipped)} row(s): {len(rows) - len(missing)} figure(s) or dash(es), "
        f"{len(missing)} without a usable figure, {len(read.skipped)} skipped; "
        f"{noted} more figure(s) from notes"
    )
    return read


def _read_report(args: argparse.Namespace, data: bytes) -> list:  # -> list[AreaYear]
    """Every area-year a report's text (of any era's layout, a Hansard answer, a table by area) holds;
    what was read, and each table-like line that was not, is said on the way."""
    from mappa_kb.ingest import IngestError
    from mappa_kb.ingest.report_text import read_tables
    from mappa_kb.knowledge.areas import resolve_area

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError(f"not UTF-8 text (byte {error.start})") from None
    area = resolve_area(args.area) if args.area else None
    start_year = None
    if args.year:
        found = re.fullmatch(r"(\d{4})(?:[-/](\d{2}))?", args.year.strip())
        if not found or (found.group(2) and int(found.group(2)) != (int(found.group(1)) + 1) % 100):
            raise IngestError(f"--year {args.year!r} is not a reporting year such as 2010/11")
        start_year = int(found.group(1))
    if args.source is not None and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", args.source):
        raise IngestError(
            f"--source {args.source!r} must be lowercase letters, digits and hyphens, e.g. kent-2016-17"
        )
    read = read_tables(text, area=area, source_slug=args.source or "pending", start_year=start_year)
    if read.problems:
        line, why = read.problems[0]
        raise IngestError(why, line)
    for said in read.read:
        print(f"read {said}")
    for line, why in read.skipped:
        print(f"mappa-kb ingest: {args.file}: line {line}: skipped: {why}", file=sys.stderr)
    for line, found_text in read.unrecognised:
        print(
            f"mappa-kb ingest: {args.file}: line {line}: not recognised, not read: {found_text[:120]}",
            file=sys.stderr,
        )
    for group in read.groups:
        if not args.source:  # a report of one area-year is named after it; a text of several after its file
            only = len(read.groups) == 1
            group.source_slug = group.file_name.removesuffix(".ttl") if only else _slug_of(args.file)
        group.source_kind = args.source_kind
    return read.groups


def _slug_of(path: Path) -> str:
    from mappa_kb import uris

    try:
        return uris.slug(path.stem)
    except ValueError:  # a name with no letter or digit
        return "report-" + hashlib.sha256(path.name.encode()).hexdigest()[:10]


def _conflicts(args: argparse.Namespace) -> int:
    from mappa_kb.engine.loading import load_store
    from mappa_kb.knowledge import headline
    from mappa_kb.validation.validate import UnreadableInput, expand

    try:
        files = expand(args.paths) if args.paths else paths.knowledge_base_files()
        found = headline.derive(load_store([*paths.turtle_files("ontology"), *files])).conflicts
    except UnreadableInput as error:
        print(f"mappa-kb conflicts: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.format == "json":
        print(json.dumps([_conflict_json(conflict) for conflict in found], indent=2))
    else:
        print(f"{len(found)} cell(s) where sources disagree")
        for conflict in found:
            print(f"  - {conflict.describe()}\n    headline figure: {conflict.headline}")
    return EXIT_OK


def _conflict_json(conflict) -> dict:  # conflict: headline.Conflict
    area, statistic, level, category = conflict.labels

    def side(found) -> dict:
        return {
            "figure": found.says,
            "sources": found.sources,
            "published": sorted(cell.node for cell in found.cells),
        }

    return {
        "area": area,
        "period_end": conflict.end,
        "statistic": statistic,
        "level": level,
        "category": category,
        "headline": conflict.headline,
        "chosen": side(conflict.chosen),
        "reason": conflict.reason,
        "others": [side(other) for other in conflict.others],
    }


def _export(args: argparse.Namespace) -> int:
    from mappa_kb.knowledge.export import export_rows, to_csv
    from mappa_kb.validation.validate import UnreadableInput, expand

    try:
        files = paths.turtle_files("ontology") + expand(args.paths) if args.paths else None
        text = to_csv(export_rows(files))
    except UnreadableInput as error:
        print(f"mappa-kb export: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.out:
        partial = args.out.with_name(args.out.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, args.out)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
