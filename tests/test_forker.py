"""`serve`'s query workers are forked by one process that has their code imported: they answer, a
runaway one is killed and reaped, they end with the service process they serve, and a stop while the
service processes are still starting ends every process at once."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from mappa_kb.engine.forker import WorkerForker
from mappa_kb.engine.guard import check_query
from mappa_kb.engine.interface import KB_GRAPH, Dataset, QueryTimeout
from mappa_kb.engine.workers import QueryWorkers

from .conftest import free_port, running_service, serve_command, wait_for

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL = "ASK { <https://w3id.org/mappa-kb/id/area/durham> ?p ?o }"


def children(pid: int) -> set[int]:
    """The processes ``pid`` started that are still running (a zombie is not running)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return {int(child) for child in found if _running(int(child))}


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name (its state first); none once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _running(pid: int) -> bool:
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"


def _children_running(main: int, command: bytes) -> set[int]:
    """The children of ``main`` whose command line holds ``command``."""
    found = set()
    for pid in children(main):
        with contextlib.suppress(OSError):
            if command in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
    return found


def _ask(pool: QueryWorkers) -> bool:
    result = pool.run(check_query(SMALL), "json", Dataset((KB_GRAPH,)))
    return b'"boolean":true' in result.body.replace(b" ", b"")


def test_forked_workers_answer_and_a_runaway_one_is_killed_and_reaped(built_store: Path) -> None:
    forker = WorkerForker.start()
    pool = QueryWorkers(built_store.resolve(), size=1, timeout=2, memory_copy_mb=0, forker=forker)
    try:
        assert wait_for(lambda: len(children(forker.process.pid)) == 1, 30)
        (first,) = children(forker.process.pid)
        # Forked by the forker, not spawned by this process.
        assert first not in {child.pid for child in multiprocessing.active_children()}
        assert first not in children(os.getpid())
        assert _ask(pool)
        with pytest.raises(QueryTimeout, match="longer than the 2 s limit"):
            pool.run(check_query(RUNAWAY), "json", Dataset((KB_GRAPH,)))
        # Killed and reaped (not left a zombie), and another worker forked in its place, which answers.
        assert wait_for(lambda: not _running(first), 10)
        assert wait_for(lambda: len(children(forker.process.pid)) == 1, 10)
        assert children(forker.process.pid) != {first}
        assert _ask(pool)
    finally:
        pool.close()
    assert wait_for(lambda: not children(forker.process.pid), 10), "closing the pool stops its workers"
    forker.close()
    forker.process.join(10)
    assert forker.process.exitcode == 0, "the forker ends once every end of its socket is closed"


def _service_processes(main: int) -> set[int]:
    """The service processes of `serve` (forked from it), as against the forker and resource tracker."""
    return _children_running(main, b"mappa_kb.cli")


def test_query_workers_end_with_their_service_process_and_its_replacement_gets_its_own(
    built_store: Path,
) -> None:
    serving = running_service(
        built_store, serve_args=("--workers", "1"), killed_process=True, MAPPA_KB_QUERY_TIMEOUT="120"
    )
    with serving as url:
        main = running_service.pid  # type: ignore[attr-defined]
        (service,) = _service_processes(main)
        (forker,) = children(main) - {service} - _resource_trackers(main)
        assert wait_for(lambda: len(children(forker)) == 2, 30)  # the service process's two workers
        workers = children(forker)
        # One worker busy with a query that would run for hours, the other idle.
        threading.Thread(target=_answers, args=(url, RUNAWAY), daemon=True).start()
        idle = {worker: _cpu_seconds(worker) for worker in workers}
        assert wait_for(lambda: any(_cpu_seconds(pid) > idle[pid] + 1 for pid in workers), 20)
        os.kill(service, signal.SIGKILL)  # as the kernel's OOM killer would
        # Both gone at once, though the service could not stop them; granian starts another service
        # process, which has its own workers forked and answers.
        assert wait_for(lambda: not any(map(_running, workers)), 10), "workers outlived their service"
        assert wait_for(lambda: len(_service_processes(main)) == 1 and _service_processes(main) != {service})
        assert wait_for(lambda: _answers(url), 30)
        assert len(children(forker) - workers) == 2


def _answers(url: str, query: str = SMALL) -> bool:
    try:
        return requests.get(f"{url}/sparql", params={"query": query}, timeout=10).json()["boolean"] is True
    except (OSError, ValueError):
        return False


def _cpu_seconds(pid: int) -> float:
    """The CPU time ``pid`` has used (user and system)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def _resource_trackers(main: int) -> set[int]:
    return _children_running(main, b"resource_tracker")


def test_a_stop_while_the_service_processes_start_ends_every_process_at_once(
    built_store: Path, tmp_path: Path
) -> None:
    port = free_port()
    # A long time limit: granian kills a process that ignores the stop only after it (plus 5 s).
    environment = {**os.environ, "MAPPA_KB_QUERY_TIMEOUT": "120"}
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            serve_command(built_store, port, "--workers", "4"),
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # granian opens the port, then forks the service processes, which take a moment to load: the
        # stop comes in that moment.
        deadline = time.monotonic() + 60
        while not _port_open(port):
            assert time.monotonic() < deadline and process.poll() is None, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.005)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"a service process ignored the stop:\n{(tmp_path / 'serve.log').read_text()}")
        # Nothing of the service is left: its forker and query workers end with it.
        assert wait_for(lambda: not _running_in_group(process.pid), 10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _running_in_group(group: int) -> list[int]:
    stats = {
        int(entry.name): _stat(int(entry.name)) for entry in Path("/proc").iterdir() if entry.name.isdigit()
    }
    return [pid for pid, fields in stats.items() if fields and fields[0] != "Z" and int(fields[2]) == group]


def test_a_service_over_an_external_server_keeps_no_forker(tmp_path: Path) -> None:
    endpoint = "http://127.0.0.1:9/sparql"  # nothing listens: the service runs, unready, all the same
    with running_service(tmp_path / "unused", check_ready=False, MAPPA_KB_ENDPOINT=endpoint):
        main = running_service.pid  # type: ignore[attr-defined]
        assert _service_processes(main)
        assert wait_for(lambda: not children(main) - _service_processes(main) - _resource_trackers(main), 10)
