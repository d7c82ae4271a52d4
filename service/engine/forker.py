"""Query workers forked from one process that has already imported what they run.

Spawning a query worker costs a fresh interpreter and its imports (pyoxigraph, numpy, the columnar
copy's code): 0.3 to 0.6 s of CPU each, and ``serve`` starts two for each of its service processes,
all at once. So ``serve`` first starts one forker: a process with no threads, which imports the
workers' code once and then forks a worker (a few milliseconds) for each service process that asks.
The service processes run threads, which is why they never fork a worker themselves.

Every service process forks from ``serve``'s main process after the forker has started, so all of
them hold one end of the same socket. A message on it is a request: start a worker (the message
carries the worker's end of its pipe to the service) or kill one. Only the forker reaps its
children, so it kills a worker by the name the service gave it, never by a pid that may be reused.
The forker ends when every holder of the other end has closed it: the service is gone.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import select
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

_CONTEXT = multiprocessing.get_context("spawn")  # the forker itself starts clean: no threads, no locks
_MESSAGE_BYTES = 64 * 1024  # a request: a store's path and a name


class WorkerForker:
    """The service processes' end of the forker: ask it to start or kill a query worker."""

    def __init__(self, process: multiprocessing.process.BaseProcess, requests: socket.socket) -> None:
        self.process, self._requests = process, requests
        self._names = itertools.count()

    @classmethod
    def start(cls) -> WorkerForker:
        """Start the forker (it imports the workers' code while the caller goes on)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # one message a request
        process = _CONTEXT.Process(target=_forker_main, args=(theirs,), name="mappa-kb forker", daemon=True)
        process.start()
        theirs.close()
        return cls(process, ours)

    def fork(self, connection: Connection, store_path: Path, memory_copy: bool) -> str:
        """Start a query worker on ``connection`` (the worker's end, which the caller then closes) and
        return its name. Raises OSError if the forker is gone."""
        name = f"{os.getpid()}.{next(self._names)}"  # unique across the service processes
        request = {"start": name, "store": str(store_path), "memory_copy": memory_copy}
        socket.send_fds(self._requests, [json.dumps(request).encode()], [connection.fileno()])
        return name

    def close(self) -> None:
        """Close this process's end: once every process holding one has, the forker kills what it still
        runs and ends. (``serve`` never calls it: its ends close as its processes exit.)"""
        self._requests.close()

    def kill(self, name: str) -> None:
        """Kill the worker ``name`` (if it is still running)."""
        with contextlib.suppress(OSError):  # the forker is gone, and its workers with their service
            self._requests.send(json.dumps({"kill": name}).encode())


def _forker_main(requests: socket.socket) -> None:
    # What every worker runs, imported once here rather than in each worker.
    from mappa_kb.engine import workers

    # Ctrl-C reaches the whole process group: the service stops, and then its end of the socket closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    running: dict[str, int] = {}  # the workers not yet reaped, by name
    while True:
        if select.select([requests], [], [], 1.0)[0]:  # at least once a second, reap the ended
            message, fds, _flags, _address = socket.recv_fds(requests, _MESSAGE_BYTES, 1)
            if not message:  # every service process has closed its end
                break
            request = json.loads(message)
            if "kill" in request:
                _kill(running.pop(request["kill"], None))
            elif fds:
                pid = _fork_worker(requests, fds[0], request, workers.worker_main)
                if pid is not None:
                    running[request["start"]] = pid
            for fd in fds[1:]:
                os.close(fd)
        _reap(running)
    for pid in running.values():
        _kill(pid)


def _fork_worker(
    requests: socket.socket, fd: int, request: dict, worker_main: Callable[[Connection, str, bool], None]
) -> int | None:
    try:
        pid = os.fork()
    except OSError as error:  # out of processes or memory: the service sees its pipe close, and asks again
        print(f"mappa-kb forker: cannot start a query worker: {error}", file=sys.stderr)
        os.close(fd)
        return None
    if pid:
        os.close(fd)  # the worker holds it now
        return pid
    status = 0
    try:
        requests.close()  # the worker's only line is its pipe to the service
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        worker_main(Connection(fd), request["store"], request["memory_copy"])
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        sys.stderr.flush()
        os._exit(status)  # never back into the forker's loop


def _kill(pid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):  # ended, not yet reaped: the pid is still its own
            os.kill(pid, signal.SIGKILL)


def _reap(running: dict[str, int]) -> None:
    """Collect every worker that has ended, so that none is left a zombie and no name outlives its pid."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        for name in [name for name, running_pid in running.items() if running_pid == pid]:
            del running[name]
