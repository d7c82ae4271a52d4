"""Reading report text (as pdftotext gives it): what other years' reports vary (thousands separators,
footnote markers, columns in another order, extra rows for SHPOs, SROs and SFOs, a table that does not
say its year) is read when it is unambiguous and refused, naming the line, when it is not. A property
test renders random valid figures in the report layout and reads them back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappa_kb.cli import main
from mappa_kb.ingest import IngestError
from mappa_kb.ingest.report_text import read_report

from .conftest import SEED

LEVELS = ("1", "2", "3")
ORDER = ("1", "2", "3", "total")
HEADINGS = {"1": "Category 1:\nRSOs", "2": "Category 2:\nViolent", "3": "Category 3:\nOther dangerous"}


def _number(value: int | None, style: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,}" if style == "separators" else str(value)
    return text + ("*" if style == "footnote" else "")


def render(figures: dict, year: int | None, columns: tuple[str, ...], style: str, extra: bool) -> str:
    """Report text in the seed's layout, with the categories' columns in the order ``columns``."""

    def header() -> str:
        return "\n".join(HEADINGS[c] for c in columns) + "\noffenders Total\n"

    def rows(table: str, levels: tuple[str, ...]) -> str:
        lines = []
        for level in (*levels, "total"):
            values = [figures[(table, level, c)] for c in (*columns, "total")]
            label = "Total" if level == "total" else f"Level {level}"
            lines.append(f"{label} " + " ".join(_number(v, style) for v in values))
        return "\n\n".join(lines) + "\n"

    parts = [
        f"MAPPA-eligible offenders on 31 March{f' {year + 1}' if year is not None else ''}\n",
        header(),
        rows("eligible_snapshot", LEVELS),
        "MAPPA-eligible offenders in Levels 2 and 3 by category (yearly total)\n",
        header(),
        rows("level23_yearly", ("2", "3")),
        f"RSOs cautioned or convicted for breach of notification requirements {_number(figures['breach'], style)}\n",
        f"SOPOs {figures['sopo']}\nNOs {figures['no']}\nFTOs {figures['fto']}\n",
    ]
    if extra:
        parts.append(f"SHPOs {figures['shpo']}\nSROs {figures['sro']}\nSFOs {figures['sfo']}\n")
    parts += [
        "Level 2 and 3 offenders returned to custody for breach of licence or sent to custody for breach of SOPO\n",
        header(),
        "Breach of licence\n",
        rows("custody_breach_licence", ("2", "3")),
        "Breach of SOPO\n",
        rows("custody_breach_sopo", ("2", "3")),
        f"Total number of Registered Sexual Offenders per 100,000 population {figures['rate']}\n",
    ]
    return "\n".join(parts)


count = st.integers(0, 25_000)


@st.composite
def report_figures(draw) -> dict:
    """Every cell of the four grids (a figure or a dash) and the single figures."""
    figures: dict = {}
    for table, levels in (
        ("eligible_snapshot", LEVELS),
        ("level23_yearly", ("2", "3")),
        ("custody_breach_licence", ("2", "3")),
        ("custody_breach_sopo", ("2", "3")),
    ):
        for level in (*levels, "total"):
            for category in ORDER:
                figures[(table, level, category)] = draw(st.one_of(count, st.none()))
    for name in ("breach", "sopo", "no", "fto", "shpo", "sro", "sfo"):
        figures[name] = draw(count)
    figures["rate"] = draw(st.integers(0, 300))
    return figures


@settings(max_examples=40, deadline=None)
@given(
    figures=report_figures(),
    year=st.integers(2003, 2024),
    columns=st.permutations(["1", "2", "3"]),
    style=st.sampled_from(["plain", "separators", "footnote"]),
    extra=st.booleans(),
)
def test_any_figures_rendered_as_report_text_read_back_exactly(figures, year, columns, style, extra) -> None:
    text = render(figures, year, tuple(columns), style, extra)
    read = read_report(text, "kent", "Kent", "kent-report")
    assert read.start_year == year
    got = {(c.table, c.level, c.category): c.value for c in read.cells}
    for (table, level, category), value in ((k, v) for k, v in figures.items() if isinstance(k, tuple)):
        assert got[(table, level, category)] == value, (table, level, category)
    singles = {
        "rso_breach_notification": "breach",
        "orders_sopo": "sopo",
        "orders_no": "no",
        "orders_fto": "fto",
    }
    for table, name in singles.items():
        assert got[(table, "total", "1")] == figures[name]
    if extra:
        assert got[("orders_shpo", "total", "1")] == figures["shpo"]
        assert got[("sfo", "total", "total")] == figures["sfo"]
    else:
        assert ("orders_shpo", "total", "1") not in got


def _seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_a_table_without_its_year_needs_year(tmp_path: Path, capsys) -> None:
    text = _seed_text().replace(
        "MAPPA-eligible offenders on 31 March 2011", "MAPPA-eligible offenders on 31 March"
    )
    with pytest.raises(IngestError, match="give --year"):
        read_report(text, "durham", "County Durham and Darlington", "seed")
    assert read_report(text, "durham", "County Durham and Darlington", "seed", 2010).start_year == 2010
    report = tmp_path / "no-year.txt"
    report.write_text(text)
    out = tmp_path / "data"
    assert main(["ingest", str(report), "--area", "Durham", "--year", "2010/11", "--out", str(out)]) == 0
    assert (out / "durham-2010-11.ttl").exists()
    assert main(["ingest", str(report), "--area", "Durham", "--year", "2010/12", "--out", str(out)]) == 2
    assert "not a reporting year" in capsys.readouterr().err


def test_a_year_that_contradicts_the_text_is_refused() -> None:
    with pytest.raises(IngestError, match="31 March 2011, but --year"):
        read_report(_seed_text(), "durham", "County Durham and Darlington", "seed", 2012)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("Level 1 438 131 - 569", "Level 1 438 131 569"), "line 205: a table row needs 4 figures"),
        (("Level 1 438 131 - 569", "Level 1 438 131 ? 569"), "line 205"),
        (("Level 2 8 8 8 24", "Level 2 8 8 8 2,4"), "line 207"),
        (("Category 2:", "Categoria 2:"), "cannot tell which column is which"),
    ],
)
def test_what_cannot_be_read_unambiguously_stops_at_its_line(change: tuple[str, str], says: str) -> None:
    text = _seed_text().replace(*change, 1)
    with pytest.raises(IngestError, match=says):
        read_report(text, "durham", "County Durham and Darlington", "seed")
