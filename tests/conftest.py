"""Shared fixtures: where the shipped knowledge base and the shared real data live."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from rdflib import Graph

from mappa_kb import paths

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "000_fa645a06b25c6f03.txt"
SEED_DATA = "durham-2010-11.ttl"
ARTIFACTS = REPO / "test-artifacts"  # screenshots from the browser tests


def shared_file(relative: str) -> Path:
    """A file of ../shared, which CI lays beside the clone; its absence is a failure, not a skip."""
    path = SHARED / relative
    assert path.is_file(), f"{path} is missing: the tests need ../shared beside the checkout"
    return path


@pytest.fixture(scope="session")
def kb_root() -> Path:
    return paths.kb_root()


@pytest.fixture
def data_copy(tmp_path: Path, kb_root: Path) -> Path:
    """A private copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(kb_root / "data", target)
    return target


@pytest.fixture(scope="session")
def kb() -> Graph:
    """The shipped knowledge base (ontology, glossary, areas, statistics) as one rdflib graph."""
    graph = Graph()
    for path in paths.knowledge_base_files():
        graph.parse(path)
    return graph


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded store, freshly built from the shipped Turtle."""
    from mappa_kb.engine.versions import build_store

    store_path = tmp_path_factory.mktemp("store") / "store"
    build_store(store_path)
    return store_path


_STOPPED_WHILE_STARTING = re.compile(
    r"Traceback \(most recent call last\):\n(?:  .*\n)*?.*multiprocessing/spawn\.py.*\n(?:  .*\n)*EOFError: Ran out of input\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(store: Path, port: int, *serve_args: str) -> list[str]:
    """`mappa-kb serve` on ``port`` of loopback, over the embedded store at ``store``."""
    return [
        sys.executable,
        "-m",
        "mappa_kb.cli",
        "serve",
        "--port",
        str(port),
        "--store",
        str(store),
        *serve_args,
    ]


@contextmanager
def running_service(
    store: Path,
    check_ready: bool = True,
    serve_args: tuple[str, ...] = (),
    killed_process: bool = False,
    **environment: str,
) -> Iterator[str]:
    """The real service, started as `mappa-kb serve` on a free loopback port; yields its base URL.
    While it runs, ``running_service.log`` is the file its output goes to and ``running_service.pid``
    its main process. ``killed_process``: the test kills a service process, so its log says so."""
    port = free_port()
    env = {**os.environ, **environment}
    command = serve_command(store, port, *serve_args)
    # A file, not a pipe: a pipe nobody reads would fill and stall the server.
    log = tempfile.NamedTemporaryFile(prefix="mappa-kb-serve-", suffix=".log", delete=False)  # noqa: SIM115
    # Its own process group: a stop that hangs is ended by killing every process of the service (granian's
    # service processes and their query workers too), not the first alone, which would orphan the rest.
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    running_service.log = Path(log.name)  # type: ignore[attr-defined]
    running_service.pid = process.pid  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"mappa-kb serve exited: {Path(log.name).read_text()}")
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except urllib.error.HTTPError:
                if not check_ready:
                    break  # the service answers, unhealthy as the test wants it
                time.sleep(0.1)
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("mappa-kb serve did not become ready in 30 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:  # a graceful stop waits for queries still running
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()
        output = Path(log.name).read_text(errors="replace")
        Path(log.name).unlink()
        # A stack trace in the log is a 500 some test provoked, whether or not it looked. One is not: a
        # query worker still starting when a short-lived test stops the service finds its parent gone.
        output = re.sub(_STOPPED_WHILE_STARTING, "", output)
        first = output.find("Traceback")
        assert first < 0, f"the service logged an error:\n{output[max(0, first - 300) : first + 6000]}"
        # A service process that dies (one once did at every stop: RocksDB at exit) is a fault.
        crashed = re.search(r"Unexpected exit from worker-\d+|Worker crash loop", output)
        assert killed_process or not crashed, f"a service process crashed: {crashed.group(0)}"


def logged_requests(route: str = "/sparql") -> list[dict]:
    """The request log lines of the running service (``running_service.log``) for ``route``, oldest first."""
    lines = running_service.log.read_text().splitlines()  # type: ignore[attr-defined]
    return [fields for fields in map(json.loads, filter(_is_json, lines)) if fields.get("route") == route]


def _is_json(line: str) -> bool:
    return line.startswith("{")


def not_here(reason: str, tests: str) -> NoReturn:
    """Skip tests whose tool or server is missing here, saying why; under CI, fail: CI must run them."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the {tests}; {reason}")
    pytest.skip(reason)


def wait_for(check: Callable[[], bool], seconds: float = 30) -> bool:
    """Whether ``check()`` came true within ``seconds`` (asked every quarter second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture(scope="session")
def live_server(built_store: Path) -> Iterator[str]:
    with running_service(built_store) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium, headless, driven by Selenium, with the browser console log kept."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        not_here(
            "they need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
            "browser tests",
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()
