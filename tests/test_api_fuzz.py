"""Schemathesis, a property-based HTTP fuzzer, against every operation of /openapi.json (the glossary,
the Skosmos subset, linked data and the SPARQL endpoint's parameters) on the running service: whatever
it generates, the answer is never a server error. Run through its own command line, as a user would."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import running_service


def test_no_generated_request_gets_a_server_error(built_store: Path, tmp_path: Path) -> None:
    command = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    # A service of its own, without fair-use limits: the fuzzer sends hundreds of requests a second.
    # Generated SPARQL may be slow: a short time limit keeps the run (and the service's stop) quick.
    with running_service(built_store, MAPPA_KB_RATE_LIMIT="0", MAPPA_KB_QUERY_TIMEOUT="3") as url:
        done = subprocess.run(
            [
                command, "run", f"{url}/openapi.json",
                "--checks", "not_a_server_error",
                "--max-examples", "60",
                "--request-timeout", "30",
                "--report", "junit", "--report-dir", str(tmp_path),
            ],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its cache stays out of the checkout
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert generated and generated.group(1) == generated.group(2) and int(generated.group(1)) > 1000, (
        done.stdout[-2000:]
    )
