"""The nginx of docs/deploy/nginx.conf (Debian's nginx), run on loopback in front of a running service,
for the tests and the endpoint benchmark. The recipe is used as shipped; only what must differ on a
test machine is replaced (the TLS listener, the upstream's port, the cache folder, the store), and each
replacement must find its text, so that a recipe edited out of step fails loudly here."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

RECIPE = Path(__file__).resolve().parent.parent / "docs" / "deploy" / "nginx.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")  # sbin: not on a user's PATH


def missing() -> str | None:
    """Why the front cannot run here, or None."""
    if nginx_binary() is None:
        return "the nginx front needs Debian's nginx (apt-get install nginx-light)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"{RECIPE} no longer has {old!r} once: update tests/nginx_front.py with it")
    return text.replace(old, new)


@dataclass(frozen=True)
class Front:
    url: str  # the front's base URL
    pid: int  # nginx's master process


def configuration(upstream: str, store: Path, port: int, work: Path, workers: int | str) -> str:
    """A whole nginx.conf: the recipe inside an http block whose files all live in ``work``, reading
    the version of the store whose link is ``store``."""
    recipe = RECIPE.read_text()
    recipe = _replace_once(recipe, "listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    recipe = _replace_once(recipe, "server 127.0.0.1:8080;", f"server {urlsplit(upstream).netloc};")
    recipe = _replace_once(recipe, "/var/cache/nginx/mappa-kb", str(work / "cache"))
    recipe = _replace_once(recipe, "root /var/lib/mappa-kb/store;", f"root {Path(store).absolute()};")
    temporary = "\n".join(
        f"    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would otherwise drop to nobody, who cannot write the cache in ``work``.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"daemon off;\n{user}worker_processes {workers};\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    access_log off;\n{temporary}\n{recipe}\n}}\n"
    )


@contextmanager
def nginx_front(upstream: str, store: Path, workers: int | str = 1) -> Iterator[Front]:
    """nginx running the recipe on a free loopback port in front of the service at ``upstream``
    (``http://127.0.0.1:PORT``) serving the store ``store``, with ``workers`` processes ("auto": one
    per core, as Debian's own nginx.conf has it). Its error log is checked at the end."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError(missing())
    with tempfile.TemporaryDirectory(prefix="mappa-kb-nginx-") as folder:
        work = Path(folder)
        port = _free_port()
        (work / "nginx.conf").write_text(configuration(upstream, store, port, work, workers))
        command = [binary, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "error.log")]
        checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refuses the recipe: {checked.stderr}")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, process, work)
            yield Front(f"http://127.0.0.1:{port}", process.pid)
        finally:
            process.send_signal(signal.SIGQUIT)  # a graceful stop: requests in flight finish
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        errors = [line for line in _log(work).splitlines() if _is_fault(line)]
        assert not errors, "nginx logged errors:\n" + "\n".join(errors)


# What a client's own mistake makes nginx log as an error: not the front's fault.
_CLIENT_ERRORS = ("client intended to send too large body", "access forbidden by rule")


def _is_fault(line: str) -> bool:
    serious = any(level in line for level in ("[error]", "[crit]", "[alert]", "[emerg]"))
    return serious and not any(error in line for error in _CLIENT_ERRORS)


def _wait_for_port(port: int, process: subprocess.Popen, work: Path) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {_log(work)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port} in 10 s: {_log(work)}")


def _log(work: Path) -> str:
    log = work / "error.log"
    return log.read_text(errors="replace") if log.exists() else ""
