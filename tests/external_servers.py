"""Private external SPARQL servers for tests that stop, pause and restart them: Oxigraph server (PyPI)
and Virtuoso (Debian), each on its own loopback port with its own database in a temporary folder.
The shared servers that .ci/run starts (tools/start-test-servers.sh) are never touched."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _oxigraph_command() -> str | None:
    beside_python = Path(sys.executable).parent / "oxigraph"
    return str(beside_python) if beside_python.exists() else shutil.which("oxigraph")


def missing(kind: str) -> str | None:
    """Why a server of ``kind`` cannot run here, or None."""
    if kind == "oxigraph" and not _oxigraph_command():
        return "the oxigraph command (PyPI package oxigraph) is not installed"
    if kind == "virtuoso" and not (shutil.which("virtuoso-t") and VIRTUOSO_INI.exists()):
        return "virtuoso-t (Debian package virtuoso-opensource) is not installed"
    return None


class Server:
    """One external server: started, paused (it accepts connections but never answers), resumed,
    stopped and started again on the same port over the same database."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder = kind, folder
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        if kind == "virtuoso":
            self.sql_port = _free_port()
            ini = VIRTUOSO_INI.read_text()
            ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
            ini = re.sub(r"(?m)^ServerPort *= *1111$", f"ServerPort = {self.sql_port}", ini)
            ini = re.sub(r"(?m)^ServerPort *= *8890$", f"ServerPort = {self.port}", ini)
            (folder / "virtuoso.ini").write_text(ini)
            self.query_url = self.update_url = f"http://127.0.0.1:{self.port}/sparql"
        else:
            self.query_url = f"http://127.0.0.1:{self.port}/query"
            self.update_url = f"http://127.0.0.1:{self.port}/update"

    def start(self) -> None:
        if self.kind == "virtuoso":
            command = ["virtuoso-t", "+foreground", "+configfile", str(self.folder / "virtuoso.ini")]
        else:
            command = [_oxigraph_command(), "serve", "--location", str(self.folder / "db")]
            command += ["--bind", f"127.0.0.1:{self.port}"]
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            command, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
        self._wait_ready()
        if self.kind == "virtuoso":  # SPARQL Update for the anonymous user, on this throw-away database
            subprocess.run(
                ["isql-vt", str(self.sql_port), "dba", "dba", 'exec=grant SPARQL_UPDATE to "SPARQL";'],
                check=True,
                capture_output=True,
            )

    def _wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.query_url}?query=ASK%7B%7D", timeout=2).read()
                return
            except (OSError, urllib.error.URLError):
                if self.process and self.process.poll() is not None:
                    break
                time.sleep(0.25)
        log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.kind} did not start on port {self.port}: {log}")

    def pause(self) -> None:
        """Stop every thread of the server, and wait until each has stopped (one busy in the kernel,
        writing a checkpoint, say, stops only when it comes back)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(state in "Tt" for state in self._thread_states()):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not stop within 30 s of SIGSTOP")

    def _thread_states(self) -> list[str]:
        states = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # the thread ended meanwhile
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
        return states

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Gone: the process ends and its port refuses connections."""
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
