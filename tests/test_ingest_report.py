"""Reading report text (as pdftotext gives it, or an HTML page, a Hansard answer, a news table).

The seed's layout: what other years' reports vary (thousands separators, footnote markers, columns in
another order, extra rows for SHPOs, SROs and SFOs, a table that does not say its year) is read when it
is unambiguous and refused by read_report, naming the line, when it is not. A property test renders
random valid figures in the report layout and reads them back exactly.

Every layout of shared/data/report_layouts.md has a text under fixtures/reports/ (one file per layout,
used by no other test), written from the layout's description with real figures from
shared/data/mappa_stats.csv where they exist (the rest are made up, consistent with the real totals; a
figure the CSV does not have is printed "n/a" rather than invented). The expected cells below are
written out by hand from those texts.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappa_kb.cli import main
from mappa_kb.ingest import IngestError
from mappa_kb.ingest.report_text import ReportRead, read_report, read_tables
from mappa_kb.knowledge.cube import NOT_COLLECTED, AreaYear, joinable_codes

from .conftest import SEED, shared_file

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
    got = {(c.table, c.level, c.category): c.value for c in read.cells if not c.quote}
    for (table, level, category), value in ((k, v) for k, v in figures.items() if isinstance(k, tuple)):
        # (a table that counts Levels 2 and 3 only codes its total as 2+3, as every source's is)
        coded = joinable_codes(table, level, category)
        assert got[(table, *coded)] == value, (table, level, category)
    singles = {
        "rso_breach_notification": "breach",
        "orders_sopo": "sopo",
        "orders_no": "no",
        "orders_fto": "fto",
    }
    for table, name in singles.items():
        assert got[(table, *joinable_codes(table, "total", "1"))] == figures[name]
    if extra:
        assert got[("orders_shpo", "total", "total")] == figures["shpo"]
        assert got[("sfo", "2+3", "total")] == figures["sfo"]
    else:
        assert ("orders_shpo", "total", "total") not in got


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
    assert (out / "sources" / "durham-2010-11" / "durham-2010-11.ttl").exists()
    assert (out / "headline" / "durham-2010-11.ttl").exists()
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


# --- every layout of report_layouts.md --------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
COLUMNS = ("1", "2", "3", "total")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def read(name: str, area: tuple[str, str] | None, start_year: int | None = None) -> ReportRead:
    return read_tables(fixture(name), area=area, source_slug="test", start_year=start_year)


def cells(group: AreaYear) -> list[tuple]:
    """(table, level, category, value) of every cell read from a table (not the commentary's words)."""
    return sorted(((c.table, c.level, c.category, c.value) for c in group.cells if not c.quote), key=repr)


def grid(table: str, rows: dict[str, tuple], columns: tuple[str, ...] = COLUMNS) -> list[tuple]:
    """The cells of a category-by-level table: ``rows`` maps a level code to its figures in the
    order ``columns`` prints them."""
    return [
        (table, level, c, v) for level, values in rows.items() for c, v in zip(columns, values, strict=True)
    ]


def expect(*parts: list[tuple] | tuple) -> list[tuple]:
    found: list[tuple] = []
    for part in parts:
        found += part if isinstance(part, list) else [part]
    return sorted(found, key=repr)


def only_group(result: ReportRead) -> AreaYear:
    assert len(result.groups) == 1, [(g.area_slug, g.start_year) for g in result.groups]
    return result.groups[0]


def other_note(group: AreaYear, value: int) -> str:
    (note,) = [c.note for c in group.cells if c.table == "other" and c.value == value]
    return note


def test_layout_a_template_with_page_breaks_repeated_headers_and_footnote_markers() -> None:
    result = read("layout-a-2013-14-wiltshire-area-report.txt", ("wiltshire", "Wiltshire"))
    group = only_group(result)
    assert (group.area_slug, group.start_year) == ("wiltshire", 2013)
    assert cells(group) == expect(
        grid(
            "eligible_snapshot",
            {"1": (520, 163, None, 683), "2": (4, 9, 2, 15), "3": (0, 1, 0, 1), "total": (524, 173, 2, 699)},
        ),
        grid("level23_yearly", {"2": (21, 35, 9, 65), "3": (2, 5, 2, 9), "2+3": (23, 40, 11, 74)}),
        ("rso_breach_notification", "total", "1", 6),  # printed "6*"
        ("orders_sopo", "total", "total", 18),
        ("orders_no", "total", "total", 0),
        ("orders_fto", "total", "total", 1),
        grid("custody_breach_licence", {"2": (0, 3, 1, 4), "3": (0, 1, 0, 1), "2+3": (0, 4, 1, 5)}),
        grid(
            "custody_breach_sopo",
            {"2": (1, None, None, 1), "3": (0, None, None, 0), "2+3": (1, None, None, 1)},
        ),
        ("rso_per_100k", "total", "1", Decimal(88)),
    )
    # Pages come from the form feeds; each table keeps its heading as title.
    assert [(t.number, t.title, t.page) for t in group.tables] == [
        (1, "MAPPA-eligible offenders on 31 March 2014", 2),
        (2, "MAPPA-eligible offenders in Levels 2 and 3 by category (yearly total)", 2),
        (3, "RSOs cautioned or convicted for breach of notification requirements", 2),
        (4, "SOPOs, NOs and FTOs imposed by the courts", 2),
        (
            5,
            "Level 2 and 3 offenders returned to custody for breach of licence or sent to custody for breach of SOPO",
            3,
        ),
        (6, "Total number of Registered Sexual Offenders per 100,000 population", 4),
    ]
    by_place = {(c.table, c.level, c.category): c for c in group.cells}
    assert (
        by_place[("eligible_snapshot", "1", "1")].source_line,
        by_place[("eligible_snapshot", "1", "1")].source_table,
    ) == (27, 1)
    assert by_place[("custody_breach_sopo", "2+3", "total")].source_line == 125
    assert by_place[("rso_per_100k", "total", "1")].population_base == "aged-10-and-over"
    assert result.unrecognised == [(77, "Number of MAPPA meetings held 212")]
    assert result.problems == [] and result.skipped == []
    assert result.read[0].startswith(
        "lines 9-33: table 'MAPPA-eligible offenders on 31 March 2014': 16 cell(s)"
    )


def test_layout_b_html_with_repeated_table_and_paragraphs_reads_each_figure_once() -> None:
    result = read("layout-b-2014-15-dorset-html.txt", ("dorset", "Dorset"))
    group = only_group(result)
    assert group.start_year == 2014
    assert cells(group) == expect(
        grid(
            "eligible_snapshot",
            {"1": (590, 76, None, 666), "2": (9, 12, 3, 24), "3": (1, 1, 0, 2), "total": (600, 89, 3, 692)},
        ),
        ("rso_breach_notification", "total", "1", 19),
        ("orders_sopo", "total", "total", 25),  # under "SOPOs, NOs &amp; FTOs imposed by the courts"
        ("orders_no", "total", "total", 0),
        ("orders_fto", "total", "total", 0),
    )
    quoted = [(c.table, c.level, c.category, c.value) for c in group.cells if c.quote]
    assert quoted == [
        ("eligible_snapshot", "1", "total", 666)
    ]  # "(666 this year) ... (Level 1)", printed twice
    assert [t.title for t in group.tables] == [
        "MAPPA-eligible offenders on 31 March 2015",
        "RSOs cautioned or convicted for breach of notification requirements",
        "SOPOs, NOs and FTOs imposed by the courts",
    ]
    assert any("a repeat of figures already read" in said for said in result.read)
    assert result.problems == [] and result.unrecognised == []


def test_layout_c_shpo_era_report_after_a_contents_page() -> None:
    result = read("layout-c-2018-19-lancashire-area-report.txt", ("lancashire", "Lancashire"))
    group = only_group(result)
    assert group.start_year == 2018
    assert cells(group) == expect(
        grid(
            "eligible_snapshot",
            {
                "1": (2048, 812, None, 2860),
                "2": (50, 61, 9, 120),
                "3": (3, 4, 1, 8),
                "total": (2101, 877, 10, 2988),
            },
        ),
        grid("level23_yearly", {"2": (98, 120, 14, 232), "3": (6, 9, 2, 17), "2+3": (104, 129, 16, 249)}),
        ("rso_breach_notification", "total", "1", 71),
        ("other", "total", "1", 4),
        ("orders_shpo", "total", "total", 127),
        ("other", "total", "total", 2),
        ("orders_no", "total", "total", 0),
        ("other", "total", "total", 1),
        ("orders_sro", "total", "total", 5),
        grid("custody_breach_licence", {"2": (4, 22, 5, 31), "3": (1, 2, 0, 3), "2+3": (5, 24, 5, 34)}),
        grid(
            "custody_breach_sopo",
            {"2": (2, None, None, 2), "3": (0, None, None, 0), "2+3": (2, None, None, 2)},
        ),
        ("sfo", "2+3", "total", 3),
        ("rso_per_100k", "total", "1", Decimal(159)),
    )
    # An "other" figure is told by its note.
    assert "lifetime notification" in other_note(group, 4) and "revoked" in other_note(group, 4)
    assert "foreign travel restriction" in other_note(group, 2)
    assert "Sexual Risk Order" in other_note(group, 1)
    # The label broken over two lines is read with its first line, as one table.
    sro = next(c for c in group.cells if c.table == "other" and c.value == 1)
    assert sro.source_line == 60
    assert group.tables[sro.source_table - 1].title.startswith("Number of people who became subject")
    pages = {t.title: t.page for t in group.tables}
    assert pages["MAPPA-eligible offenders on 31 March 2019"] == 12
    assert pages["Level 2 and 3 offenders returned to custody"] == 13
    assert result.unrecognised == [(64, "Number of MAPPA meetings held 312")]
    assert result.read[0] == "lines 3-7: a contents page (section titles and page numbers), no figures"


def test_issue_19_a_report_without_the_yearly_table_or_orders_reads_all_18_figures() -> None:
    # The 31 March matrix (columns Category 2, 1, 3; thousands separators), revocations, custody
    # returns and notification breaches; no Level 2/3 yearly table, no orders, no rate figure.
    text = fixture("issue-19-2021-22-north-wales-area-report.txt")
    figures = read_report(text, "north-wales", "North Wales", "test")
    assert figures.start_year == 2021
    assert cells(figures) == expect(
        grid(
            "eligible_snapshot",
            {
                "1": (196, 980, None, 1176),
                "2": (20, 37, 6, 63),
                "3": (2, 2, 1, 5),
                "total": (218, 1019, 7, 1244),
            },
            columns=("2", "1", "3", "total"),
        ),
        ("other", "total", "1", 3),
        ("custody_breach_licence", "2+3", "total", 31),
        ("rso_breach_notification", "total", "1", 28),
    )
    assert sum(1 for c in figures.cells if c.value is not None) == 18
    assert "revoked" in other_note(figures, 3)
    result = read_tables(text, area=("north-wales", "North Wales"), source_slug="test")
    assert result.problems == [] and result.unrecognised == []


def test_layout_d_home_office_template_with_the_mappp_and_yearly_categories() -> None:
    result = read("layout-d-2005-06-suffolk-area-report.txt", ("suffolk", "Suffolk"))
    group = only_group(result)
    assert group.start_year == 2005  # "on 31 March 2006", "between 1 April 2005 and 31 March 2006"
    assert cells(group) == expect(
        ("eligible_snapshot", "total", "1", 393),
        ("rso_per_100k", "total", "1", Decimal(53)),
        ("rso_breach_notification", "total", "1", 15),
        ("other", "total", "total", 21),  # SOPOs applied for
        ("orders_sopo", "total", "total", 19),
        ("other", "total", "total", 2),  # restraining orders imposed
        ("other", "total", "total", 1),  # FTOs applied for
        ("orders_fto", "total", "total", 0),
        ("eligible_snapshot", "total", "2", 109),
        ("eligible_snapshot", "total", "3", 14),
        # "referred to the MAPPP" is Level 3; "local inter-agency risk management" Level 2
        ("level23_yearly", "3", "1", 8),
        ("level23_yearly", "3", "2", 6),
        ("level23_yearly", "3", "3", 3),
        ("level23_yearly", "2", "1", 61),
        ("level23_yearly", "2", "2", 55),
        ("level23_yearly", "2", "3", 11),
        ("custody_breach_licence", "2+3", "total", 16),
        ("other", "total", "total", 1),  # returned to custody for breach of a restraining order or SOPO
        ("sfo", "2+3", "total", 0),
    )
    notes = sorted(c.note for c in group.cells if c.table == "other")
    assert notes[0].startswith(
        "Level 2 and 3 offenders returned to custody for breach of a restraining order"
    )
    assert notes[1:] == [
        "SOPOs applied for",
        "foreign travel orders (FTOs) applied for",
        "restraining orders imposed by the courts",
    ]
    basis = {(c.table, c.category): c.basis for c in group.cells if c.table == "eligible_snapshot"}
    assert basis == {
        ("eligible_snapshot", "1"): "",
        ("eligible_snapshot", "2"): "yearly",
        ("eligible_snapshot", "3"): "yearly",
    }
    assert result.problems == [] and result.unrecognised == []


def test_layout_e_hansard_flattened_table_with_a_footnoted_dash_not_collected() -> None:
    result = read("layout-e-2009-06-08-hansard-staffordshire.txt", ("staffordshire", "Staffordshire"))
    by_year = {g.start_year: g for g in result.groups}
    assert sorted(by_year) == [2003, 2004, 2005, 2006, 2007]
    printed = {
        2003: (652, None, 48),
        2004: (722, 298, 43),
        2005: (798, 277, 33),
        2006: (841, 295, 46),
        2007: (920, 283, 37),
    }
    for year, (total, level2, level3) in printed.items():
        assert cells(by_year[year]) == expect(
            ("eligible_snapshot", "total", "total", total),
            ("level23_yearly", "2", "total", level2),
            ("level23_yearly", "3", "total", level3),
        ), year
        assert all(c.source_line == 13 for c in by_year[year].cells)
    (not_collected,) = [c for c in by_year[2003].cells if c.value is None]
    assert not_collected.status == NOT_COLLECTED and not not_collected.is_dash
    assert "not collected" in not_collected.note and "footnote 1: 'Not collected.'" in not_collected.note
    # Totals before 2008/09 mix a 31 March count with yearly ones.
    assert {c.basis for g in result.groups for c in g.cells if c.table == "eligible_snapshot"} == {"mixed"}
    # The caseload and tier tables of the same answer are not MAPPA tables: named, not read.
    assert [line for line, _ in result.unrecognised] == [7, 9]
    assert result.unrecognised[1] == (9, "Number 2006 522 2007 752 2008 825")


def test_layout_f_wide_table_by_area_and_year_matches_the_shared_csv() -> None:
    result = read("layout-f-2010-11-to-2023-24-north-east-by-area.txt", area=None)
    got = {(g.area_slug, g.start_year): g for g in result.groups}
    assert sorted({area for area, _ in got}) == ["durham", "northumbria", "teesside"]
    teesside = [417, 545, 559, 620, 662, 674, 704, 814, 821, 814, 1084, 1104, 1116, 912]
    for year, value in zip(range(2010, 2024), teesside, strict=True):
        assert cells(got[("teesside", year)]) == [("eligible_snapshot", "total", "1", value)]
    durham = got[("durham", 2011)].cells[0]  # printed n/a: a figure not given, neither a dash nor zero
    assert (durham.value, durham.status, durham.note) == (
        None,
        NOT_COLLECTED,
        "printed 'n/a': no figure given",
    )
    assert cells(got[("durham", 2023)]) == [("eligible_snapshot", "total", "1", 1123)]
    assert got[("northumbria", 2012)].cells[0].status == NOT_COLLECTED
    assert got[("northumbria", 2013)].cells[0].source_line == 9  # after the page break and repeated header
    # Every figure the shared CSV took from the same table is read the same.
    rows = list(csv.DictReader(shared_file("data/mappa_stats.csv").open(encoding="utf-8")))
    checked = 0
    for row in rows:
        if "durhamhits" in row["source_url"] and row["table"] == "eligible_snapshot":
            slug = {"Durham": "durham", "Teesside": "teesside", "Northumbria": "northumbria"}[row["area"]]
            (cell,) = got[(slug, int(row["period_end"][:4]) - 1)].cells
            assert cell.value == int(row["value"]), row
            checked += 1
    assert checked >= 35
    assert result.skipped == [
        (11, "'North East (Durham+Teesside+Northumbria)' is a sum of several MAPPA areas: row not read")
    ]
    assert result.problems == [] and result.unrecognised == []


def test_layout_g_contents_page_reads_no_figure_and_says_so() -> None:
    with pytest.raises(IngestError, match=r"no figure found; lines 6-19 are a contents page"):
        read("layout-g-2017-18-bulletin-contents.txt", area=("england-and-wales", "England and Wales"))


def test_layout_h_scottish_report_is_refused_not_misread() -> None:
    with pytest.raises(
        IngestError, match=r"Scottish MAPPA report .* not MAPPA figures for England and Wales"
    ):
        read(
            "layout-h-2022-23-south-lanarkshire-scotland.txt", area=("durham", "County Durham and Darlington")
        )


def test_layout_i_counts_by_district_are_other_figures_of_the_area() -> None:
    result = read("layout-i-2006-07-thames-valley-by-district.txt", ("thames-valley", "Thames Valley"), 2006)
    group = only_group(result)
    assert cells(group) == expect([("other", "total", "1", v) for v in (323, 227, 152, 130, 150)])
    assert other_note(group, 323) == (
        "registered sexual offenders in Oxfordshire (part of the area), out of a population of 631,900"
    )
    assert "Milton Keynes" in other_note(group, 130)


def test_layout_j_press_agency_template_sentences() -> None:
    result = read("layout-j-2019-20-essex-press-article.txt", ("essex", "Essex"))
    group = only_group(result)
    assert group.start_year == 2019  # "during 2019-20"; "as of March this year" is 31 March 2020
    assert cells(group) == expect(
        ("eligible_snapshot", "total", "1", 1596),  # not the headline's "Almost 1,600"
        ("rso_per_100k", "total", "1", Decimal(99)),
        ("level23_yearly", "2", "1", 6),  # "six times"
        ("rso_breach_notification", "total", "1", 11),
        ("eligible_snapshot", "total", "2", 351),
    )
    with pytest.raises(IngestError, match="the text is for 2019-20, but --year"):
        read("layout-j-2019-20-essex-press-article.txt", ("essex", "Essex"), 2020)


# --- bad input ----------------------------------------------------------------------------------------


def test_binary_data_is_refused() -> None:
    with pytest.raises(IngestError, match="not UTF-8 text"):
        read_tables(bytes([0xFF, 0xFE, 0x00, 0x81]) * 64, area=None, source_slug="test")
    with pytest.raises(IngestError, match="binary data, not text"):
        read_tables(bytes(range(256)).decode("latin-1") * 4, area=None, source_slug="test")


@pytest.mark.parametrize("text", ["", "  \n\f\n \t \n"])
def test_an_empty_text_is_refused(text: str) -> None:
    with pytest.raises(IngestError, match="no figure found: the text is empty"):
        read_tables(text, area=("kent", "Kent"), source_slug="test", start_year=2020)


def test_a_text_with_no_figure_is_refused() -> None:
    text = "This report describes the work of MAPPA in Kent.\n\nIt has no tables.\n"
    with pytest.raises(IngestError, match="no figure found; no line holds a label and a figure"):
        read_tables(text, area=("kent", "Kent"), source_slug="test", start_year=2020)


def test_a_row_cut_short_is_named_and_the_rest_of_the_table_read() -> None:
    text = fixture("layout-a-2013-14-wiltshire-area-report.txt").replace("Level 2 4 9 2 15", "Level 2 4 9")
    result = read_tables(text, area=("wiltshire", "Wiltshire"), source_slug="test")
    assert result.problems == [(29, "a table row needs 4 figures (Category 1, 2, 3, Total), found '4 9'")]
    snapshot = [c for c in cells(only_group(result)) if c[0] == "eligible_snapshot"]
    assert snapshot == expect(
        grid(
            "eligible_snapshot", {"1": (520, 163, None, 683), "3": (0, 1, 0, 1), "total": (524, 173, 2, 699)}
        )
    )
    with pytest.raises(IngestError, match="line 29: a table row needs 4 figures"):
        read_report(text, "wiltshire", "Wiltshire", "test")


def test_a_wide_table_row_for_a_place_that_is_no_mappa_area_is_named() -> None:
    text = (
        "Registered sex offenders on 31 March, by area\n"
        "Area 2021/22 2022/23 2023/24\n"
        "Teesside 1,104 1,116 912\n"
        "Scunthorpe 120 131 140\n"
        "Wales (4 areas) 4,180 4,229 4,301\n"
        "Northumbria 1,895 2,053\n"
    )
    result = read_tables(text, area=None, source_slug="test")
    assert result.problems == [
        (4, "'Scunthorpe' is not a MAPPA area (nor a figure this reader knows): row not read"),
        (6, "the row 'Northumbria' needs 3 figures (one per year, 2021/22 to 2023/24), found 2"),
    ]
    assert result.skipped == [(5, "'Wales (4 areas)' is a sum of several MAPPA areas: row not read")]
    assert [(g.area_slug, g.start_year, cells(g)) for g in result.groups] == [
        ("teesside", year, [("eligible_snapshot", "total", "1", value)])
        for year, value in ((2021, 1104), (2022, 1116), (2023, 912))
    ]
    with pytest.raises(IngestError, match="line 4: 'Scunthorpe' is not a MAPPA area"):
        read_report(text, "teesside", "Teesside", "test")


def test_read_report_refuses_a_text_of_several_years() -> None:
    text = "Registered sex offenders on 31 March\nArea 2022/23 2023/24\nTeesside 1,116 912\n"
    with pytest.raises(
        IngestError, match=r"figures for Teesside 2022/23, Teesside 2023/24, not for one year of Teesside"
    ):
        read_report(text, "teesside", "Teesside", "test")


AREA_NAMES = [
    "County Durham",
    "Teesside",
    "Northumbria",
    "Devon and Cornwall",
    "Thames Valley",
    "West Mercia",
    "Dyfed-Powys",
]
SLUGS = {"County Durham": "durham"}


@settings(max_examples=30, deadline=None)
@given(
    first=st.integers(2003, 2020),
    span=st.integers(2, 8),
    areas=st.lists(st.sampled_from(AREA_NAMES), min_size=1, max_size=5, unique=True),
    data=st.data(),
)
def test_any_wide_table_by_area_and_year_reads_back_exactly(first, span, areas, data) -> None:
    years = list(range(first, first + span))
    values = {a: data.draw(st.lists(st.integers(0, 9_999), min_size=span, max_size=span)) for a in areas}
    lines = [
        "Registered sexual offenders by MAPPA area, 31 March",
        "MAPPA area " + " ".join(f"{y}/{(y + 1) % 100:02d}" for y in years),
    ]
    lines += [f"{a} " + " ".join(f"{v:,}" for v in values[a]) for a in areas]
    result = read_tables("\n\n".join(lines) + "\n", area=None, source_slug="test")
    got = {(g.area_slug, g.start_year): cells(g) for g in result.groups}
    expected = {
        (SLUGS.get(a, a.lower().replace(" ", "-")), y): [("eligible_snapshot", "total", "1", v)]
        for a in areas
        for y, v in zip(years, values[a], strict=True)
    }
    assert got == expected
    assert result.problems == result.unrecognised == []


def test_an_english_report_that_names_police_scotland_once_is_still_read() -> None:
    text = fixture("issue-19-2021-22-north-wales-area-report.txt") + (
        "\nAn offender who moved from Scotland was managed jointly with Police Scotland.\n"
    )
    assert read_report(text, "north-wales", "North Wales", "test").start_year == 2021
    with pytest.raises(IngestError, match="Scottish MAPPA report"):
        read_report(text + "Risk of Sexual Harm Orders (RSHOs) 2\n", "north-wales", "North Wales", "test")


def test_the_seed_read_from_bytes_or_from_read_tables_gives_the_same_cells() -> None:
    seed = _seed_text()
    figures = read_report(seed, "durham", "County Durham and Darlington", "seed")
    result = read_tables(
        seed.encode("utf-8"), area=("durham", "County Durham and Darlington"), source_slug="seed"
    )
    assert only_group(result).cells == figures.cells
    assert result.unrecognised == [] and result.problems == [] and result.skipped == []
    assert len(result.read) == 8  # six tables and two figures of the commentary
    assert result.read[-1].startswith(
        "line 476: the commentary's words give eligible_snapshot level total category 1 = 627"
    )
