"""An installed wheel works outside the checkout: the Turtle folders ship inside the package."""

from __future__ import annotations

import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_the_turtle_and_its_mappa_kb_validates_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("mappa_kb-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("ontology", "shapes", "data"):
        assert any(n.startswith(f"mappa_kb/{folder}/") and n.endswith(".ttl") for n in names), folder
    assert (
        "mappa_kb/validation/qb_ic/ic-12.rq" in names
        and "mappa_kb/knowledge/queries/describe-cells.rq" in names
    )

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The wheel's dependencies, without a download: this environment's own packages, by a .pth line
    # (--system-site-packages would give the base interpreter's, not this virtual environment's). The
    # checkout's editable install is not among them: its hook lives in a .pth that a line does not run.
    (next((venv / "lib").glob("python3*/site-packages")) / "test-environment.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n"
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
        capture_output=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = subprocess.run([venv / "bin" / "mappa-kb", "validate"], cwd=outside, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Conforms" in run.stdout
    where = subprocess.run(
        [python, "-c", "import mappa_kb.paths as p; print(p.kb_root())"],
        cwd=outside,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(venv) in where, f"the installed package read Turtle from {where}, not from itself"
