"""Publishing is additive and all or nothing: an ingest adds figures and never loses one; a correction
is explicit; a dry run touches nothing; any split and order of the same rows gives the same bytes; and a
killed ingest leaves data/ exactly as it was."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mappa_kb import paths
from mappa_kb.cli import main
from mappa_kb.ingest.tidy_csv import COLUMNS
from mappa_kb.knowledge.export import export_rows

from .conftest import shared_file

HEADER = ",".join(COLUMNS)
NEWS = "https://news.example/kent-figures"


def _csv(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _exported(folder: Path) -> list[list[str]]:
    return export_rows(paths.turtle_files("ontology") + sorted((folder / "sources").rglob("*.ttl")))


def _ingest(path: Path, out: Path, *flags: str) -> int:
    return main(["ingest", str(path), "--out", str(out), *flags])


def test_new_rows_from_sources_already_published_add_and_lose_nothing(tmp_path: Path, kb_root: Path) -> None:
    # A file of new rows whose source URLs (news articles quote many areas) are already in the data.
    out = tmp_path / "data"
    shutil.copytree(kb_root / "data", out)
    before = _exported(out)
    durhamhits = next(row[7] for row in before if "durhamhits" in row[7])
    new = _csv(
        tmp_path / "more.csv",
        f"Durham,2012-03-31,2012-03-31,eligible_snapshot,total,1,470,{durhamhits},a year the source also gives",
        f"Kent,2020-03-31,2020-03-31,eligible_snapshot,total,1,1500,{durhamhits},",
    )
    assert _ingest(new, out) == 0
    after = _exported(out)
    assert all(row in after for row in before), "a figure published before is gone"
    assert len(after) == len(before) + 2


def test_the_same_file_twice_changes_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "data"
    rows = _csv(tmp_path / "kent.csv", f"Kent,2016-03-31,2016-03-31,eligible_snapshot,total,1,1200,{NEWS},")
    assert _ingest(rows, out) == 0
    first = _snapshot(out)
    capsys.readouterr()
    assert _ingest(rows, out) == 0
    assert _snapshot(out) == first
    assert "0 cell(s) added, 0 changed, 0 removed" in capsys.readouterr().out


def test_a_changed_figure_is_refused_unless_its_source_is_replaced(tmp_path: Path, capsys) -> None:
    out = tmp_path / "data"
    first = _csv(
        tmp_path / "first.csv",
        f"Kent,2016-03-31,2016-03-31,eligible_snapshot,total,1,1200,{NEWS},",
        f"Kent,2017-03-31,2017-03-31,eligible_snapshot,total,1,1250,{NEWS},",
    )
    assert _ingest(first, out) == 0
    published = _snapshot(out)
    corrected = _csv(
        tmp_path / "fix.csv", f"Kent,2016-03-31,2016-03-31,eligible_snapshot,total,1,1201,{NEWS},"
    )
    capsys.readouterr()
    assert _ingest(corrected, out) == 1
    said = capsys.readouterr().err
    assert (
        "change 1200 to 1201" in said
        and f"--replace-source '{NEWS}'" in said
        and "nothing was written" in said
    )
    assert _snapshot(out) == published

    # A dry run of the correction says what it would do, cell by cell, and touches nothing.
    assert _ingest(corrected, out, "--replace-source", NEWS, "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "0 cell(s) added, 1 changed, 1 removed (a dry run: nothing was written)" in plan
    assert "would change 1200 to 1201" in plan and "would remove 1250" in plan
    assert _snapshot(out) == published

    assert _ingest(corrected, out, "--replace-source", NEWS) == 0
    values = [row[6] for row in _exported(out)]
    assert values == ["1201"]


def test_a_dry_run_of_new_figures_lists_them_and_writes_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "data"
    rows = _csv(tmp_path / "kent.csv", f"Kent,2016-03-31,2016-03-31,eligible_snapshot,total,1,1200,{NEWS},")
    assert _ingest(rows, out, "--dry-run") == 0
    assert "would add 1200: https://w3id.org/mappa-kb/id/observation/kent/2015-16/" in capsys.readouterr().out
    assert not out.exists()


def _write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), parts=st.integers(2, 3))
def test_any_split_and_order_of_the_shared_files_gives_the_same_bytes(tmp_path_factory, seed, parts) -> None:
    # The shipped data/ was ingested from the two shared CSVs and the seed report whole; rows split at
    # random among several files, ingested in a random order with the report among them, give every byte.
    work = tmp_path_factory.mktemp("split")
    chance = random.Random(seed)
    header, *rows = [
        *csv.reader(io.StringIO(shared_file("data/mappa_stats.csv").read_text(encoding="utf-8")))
    ]
    more = [*csv.reader(io.StringIO(shared_file("data/mappa_stats_more.csv").read_text(encoding="utf-8")))][
        1:
    ]
    everything = rows + more
    chance.shuffle(everything)
    files = [_write_rows(work / f"part-{n}.csv", header, everything[n::parts]) for n in range(parts)]
    seed_report = ["--area", "Durham", "--source", "county-durham-and-darlington-2010-11"]
    steps = [[str(f), "--skip-regional-sums"] for f in files] + [
        [str(shared_file("seeds/000_fa645a06b25c6f03.txt")), *seed_report]
    ]
    chance.shuffle(steps)
    out = work / "data"
    for step in steps:
        assert main(["ingest", *step, "--out", str(out)]) == 0
    assert _snapshot(out) == _snapshot(paths.kb_root() / "data")


def test_a_killed_ingest_leaves_data_exactly_as_it_was(tmp_path: Path, kb_root: Path) -> None:
    # Many sources in one file: each killed at a different moment of its work; data/ is always either
    # exactly what it was or exactly the finished ingest, never a mixture.
    out = tmp_path / "data"
    shutil.copytree(kb_root / "data", out)
    before = _snapshot(out)
    rows = [
        f"Kent,{year}-03-31,{year}-03-31,eligible_snapshot,total,1,{1000 + n},https://news{n}.example/{year},"
        for n in range(40)
        for year in (2016, 2017)
    ]
    source = _csv(tmp_path / "many.csv", *rows)
    command = [sys.executable, "-m", "mappa_kb.cli", "ingest", str(source), "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    whole = time.perf_counter() - started
    after = _snapshot(out)
    assert after != before
    outcomes = set()
    for attempt in range(8):
        shutil.rmtree(out)
        shutil.copytree(kb_root / "data", out)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * (0.15 + 0.1 * attempt))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        state = _snapshot(out)
        assert state in (before, after), f"data/ is a mixture after a kill at attempt {attempt}"
        outcomes.add("before" if state == before else "after")
    assert "before" in outcomes  # some kills came before the swap (none may leave a half-written tree)
    # What a killed ingest left beside data/ is cleared by the next one, which then succeeds.
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    assert _snapshot(out) == after
    assert not list(tmp_path.glob(".data.ingest-*"))


def test_every_shared_input_ingested_again_changes_nothing(tmp_path: Path, kb_root: Path, capsys) -> None:
    # Rates (82 is read back from Turtle as 82.0) and shares compare as figures, not as text.
    out = tmp_path / "data"
    shutil.copytree(kb_root / "data", out)
    before = _snapshot(out)
    seed = ["--area", "Durham", "--source", "county-durham-and-darlington-2010-11"]
    assert _ingest(shared_file("seeds/000_fa645a06b25c6f03.txt"), out, *seed) == 0
    assert _ingest(shared_file("data/mappa_stats.csv"), out, "--skip-regional-sums") == 0
    assert _ingest(shared_file("data/mappa_stats_more.csv"), out) == 0
    assert capsys.readouterr().out.count("0 cell(s) added, 0 changed, 0 removed") == 3
    assert _snapshot(out) == before
