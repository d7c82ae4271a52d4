"""Memory across many new versions: does each swap leave memory behind?

Starts `mappa-kb serve` on the shipped knowledge base (query time limit 5 s, so an old version is
closed 15 s after its swap), sends the soak's mixed traffic from --connections loopback clients, and
rebuilds the store --rebuilds times, 20 s apart. After each swap it prints the service's memory (PSS)
by role: the master process, the service processes, their query workers. Memory that levels off is
caches filling; memory that climbs by the same step at every swap would be a leak.

    python benchmarks/rebuilds.py                 # 10 rebuilds, 6 connections
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import free_port, start, wait_ready
from soak import MIX, memory_by_role

from mappa_kb.engine.versions import build_store


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rebuilds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=6)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mappa-bench-rebuilds-"))
    store = work / "store"
    build_store(store)
    port = free_port()
    env = {"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000", "MAPPA_KB_QUERY_TIMEOUT": "5"}
    command = [sys.executable, "-m", "mappa_kb.cli", "serve", "--port", str(port), "--store", str(store)]
    service = start(command, env=env)
    root = f"http://127.0.0.1:{port}"
    wait_ready(f"{root}/sparql")
    stop = threading.Event()
    sent, failed = [0], [0]

    def client() -> None:
        while not stop.is_set():
            sent[0] += 1
            _, path = MIX[sent[0] % len(MIX)]
            try:
                urllib.request.urlopen(root + path.replace("{n}", str(sent[0])), timeout=60).read()
            except OSError:
                failed[0] += 1

    clients = [threading.Thread(target=client) for _ in range(args.connections)]
    for thread in clients:
        thread.start()
    time.sleep(15)
    print(f"{'':14s} {'total':>7s} {'master':>7s} {'service':>8s} {'workers':>8s}  (PSS, MB)")

    def report(label: str) -> None:
        memory = memory_by_role(service.pid)
        print(
            f"{label:14s} {memory['total']:7.0f} {memory['master']:7.0f} "
            f"{memory['service processes']:8.0f} {memory['query workers']:8.0f}",
            flush=True,
        )

    report("before")
    for number in range(1, args.rebuilds + 1):
        build_store(store)
        time.sleep(20)  # the swap (a second), the old version closed (15 s), and a margin
        report(f"after swap {number}")
    stop.set()
    for thread in clients:
        thread.join()
    os.killpg(service.pid, 15)
    print(f"{sent[0]} requests, {failed[0]} failed")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
