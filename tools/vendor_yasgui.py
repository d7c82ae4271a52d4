"""Vendor YASGUI (the SPARQL editor of the query page) from the npm registry into the package.

    python tools/vendor_yasgui.py            # fetch the pinned version with `npm pack` and copy it in
    python tools/vendor_yasgui.py --check    # verify the vendored files against the recorded checksums

The page loads YASGUI from the service itself: no CDN at run time. The version and the SHA-256 of each
file are recorded in VERSION.json beside the files; tests run the --check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@triply/yasgui"
VERSION = "4.2.28"
FILES = ("yasgui.min.js", "yasgui.min.css", "yasgui.min.js.LICENSE.txt")
TARGET = Path(__file__).resolve().parent.parent / "service" / "web" / "static" / "vendor" / "yasgui"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vendor() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True, capture_output=True)
        archive = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        TARGET.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(Path(tmp) / "package" / "build" / name, TARGET / name)
    record = {
        "package": PACKAGE,
        "version": VERSION,
        "sha256": {name: _sha256(TARGET / name) for name in FILES},
    }
    (TARGET / "VERSION.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {PACKAGE}@{VERSION} into {TARGET}")


def check() -> int:
    record = json.loads((TARGET / "VERSION.json").read_text(encoding="utf-8"))
    wrong = [name for name, digest in record["sha256"].items() if _sha256(TARGET / name) != digest]
    if record["version"] != VERSION or wrong:
        print(f"vendored YASGUI does not match {PACKAGE}@{VERSION}: {wrong or 'version'}", file=sys.stderr)
        return 1
    print(f"vendored {PACKAGE}@{VERSION} matches its checksums")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="verify instead of fetching")
    sys.exit(check() if parser.parse_args().check else vendor())
