"""How long an ingest takes, validation included: one area-year, and the whole shared CSV.

Each is the real command (`mappa-kb ingest`, in this process) into a copy of the shipped data/, so the
figures are validated together with everything already published, as a publisher's ingest is.

    python benchmarks/ingest.py            # best of 5 runs each
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from mappa_kb import paths
from mappa_kb.cli import main

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
ONE_AREA_YEAR = """area,period_start,period_end,table,level,category,value,source_url,notes
Kent,2016-03-31,2016-03-31,eligible_snapshot,1,1,1100,https://news.example/kent-2016,
Kent,2016-03-31,2016-03-31,eligible_snapshot,2,1,30,https://news.example/kent-2016,
Kent,2016-03-31,2016-03-31,eligible_snapshot,3,1,4,https://news.example/kent-2016,
Kent,2016-03-31,2016-03-31,eligible_snapshot,total,1,1134,https://news.example/kent-2016,
Kent,2015-04-01,2016-03-31,level23_yearly,2,total,60,https://news.example/kent-2016,
Kent,2015-04-01,2016-03-31,level23_yearly,3,total,6,https://news.example/kent-2016,
Kent,2015-04-01,2016-03-31,level23_yearly,total,total,66,https://news.example/kent-2016,
Kent,2016-03-31,2016-03-31,rso_per_100k,,1,62,https://news.example/kent-2016,
"""


def timed(source: Path, *flags: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="mappa-bench-ingest-")) / "data"
        shutil.copytree(paths.kb_root() / "data", out)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(["ingest", str(source), "--out", str(out), *flags])
        times.append(time.perf_counter() - started)
        assert code == 0, f"ingest of {source} failed with {code}"
        shutil.rmtree(out.parent)
    return times


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mappa-bench-ingest-"))
    one = work / "kent-2015-16.csv"
    one.write_text(ONE_AREA_YEAR)
    whole = SHARED / "data" / "mappa_stats.csv"
    files = len(paths.knowledge_base_files())
    print(f"validated together with the {files} published files of data/ and ontology/")
    for label, source, flags in (
        ("one area-year (8 figures)", one, ()),
        (
            "the whole shared CSV (411 figures, 193 data sets)",
            whole,
            ("--skip-regional-sums", "--skip-empty-values"),
        ),
    ):
        times = timed(source, *flags, runs=args.runs)
        print(f"{label:52s} best {min(times):6.2f} s   median {statistics.median(times):6.2f} s")
    shutil.rmtree(work)


if __name__ == "__main__":
    main_benchmark()
