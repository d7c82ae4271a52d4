"""The SVG charts: well-formed, escaped, style-free, accessible, and drawn to scale."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappa_kb.knowledge.charts import (
    Point,
    Series,
    grouped_bars_svg,
    nice_ticks,
    time_chart_svg,
    time_series_svg,
    years_of,
)
from mappa_kb.knowledge.statistics import Figure
from mappa_kb.web import pages

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", "\"&'", "]]>", "a & b < c > d"]
PERIODS = [f"{year}-{(year + 1) % 100:02d}" for year in range(2010, 2050)]
BASE = "https://w3id.org/mappa-kb/"
BREAKDOWN = [
    ("Category 1", [("Level 1", 404), ("Level 2", 25), ("Level 3", 4)]),
    ("Category 2", [("Level 1", 150), ("Level 2", 40), ("Level 3", 6)]),
    ("Category 3", [("Level 1", None), ("Level 2", 12), ("Level 3", 3)]),
]


def year(year_end: int, value: float | None, **caveats: object) -> Point:
    """A figure for the reporting year that ends on 31 March of ``year_end``, placed by that date."""
    return Point(years_of(date(year_end, 3, 31)), f"{year_end - 1}/{year_end % 100:02d}", value, **caveats)


EVERYTHING = [
    Series(
        "Category 1",
        [
            year(2011, 10),
            year(2012, 12),
            year(2013, None),
            year(2014, 9),
            year(2015, 11, breaks=True),
            year(2021, 14, disputed=True, link="/doc/dataset/x#conflicts"),
        ],
    ),
    Series("All categories", [year(2012, 30)]),
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def title_of(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def markers(root: ET.Element) -> list[ET.Element]:
    return with_class(root, "chart-marker")


def line_subpaths(root: ET.Element) -> int:
    return sum(path.get("d", "").count("M") for path in with_class(root, "chart-line"))


@pytest.mark.parametrize(
    "points",
    [
        [("2010-11", 512), ("2011-12", 580), ("2012-13", 640)],
        [("2010-11", 512)],
        [("2010-11", None), ("2011-12", None)],
        [("2010-11", 0), ("2011-12", 0), ("2012-13", 0)],
        [("2010-11", 45.7), ("2011-12", 0.3), ("2012-13", 12.25)],
        [],
        [(period, i * 1000.5) for i, period in enumerate(PERIODS)],
    ],
    ids=["normal", "one-point", "all-none", "all-zero", "decimals", "empty", "forty-periods"],
)
def test_time_series_is_well_formed_for_normal_and_edge_inputs(points: list) -> None:
    root = parse(time_series_svg(points, title="Offenders", unit="people"))
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox") == "0 0 640 260"
    assert len(markers(root)) == sum(value is not None for _, value in points)


@pytest.mark.parametrize(
    "groups",
    [
        BREAKDOWN,
        [("Category 1", [("Level 1", None), ("Level 2", None)])],
        [],
        [("Only", [("Series", 7.5)])],
        [("A", [("x", 0), ("y", 0)]), ("B", [("x", 0), ("y", 0)])],
        [("A", [("x", 1)]), ("B", [("y", 2)])],
    ],
    ids=["normal", "all-none", "empty", "one-bar", "all-zero", "series-differ"],
)
def test_grouped_bars_are_well_formed_for_normal_and_edge_inputs(groups: list) -> None:
    root = parse(grouped_bars_svg(groups, title="Offenders by category and level", unit="people"))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None


def test_all_none_renders_an_empty_chart_saying_no_figures() -> None:
    root = parse(time_series_svg([("2010-11", None), ("2011-12", None)], title="Nothing"))
    assert [el.text for el in with_class(root, "chart-empty")] == ["No figures"]
    assert root.find(f"{SVG}desc").text == "No figures."
    assert line_subpaths(root) == 0
    bars = parse(grouped_bars_svg([("A", [("x", None)])], title="Nothing"))
    assert [el.text for el in with_class(bars, "chart-empty")] == ["No figures"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_escaped_and_round_trips(hostile: str) -> None:
    series = time_series_svg([(hostile, 3), ("2011-12", 4)], title=hostile, unit=hostile)
    bars = grouped_bars_svg([(hostile, [(hostile, 5), ("ok", None)])], title=hostile, unit=hostile)
    for svg in (series, bars):
        assert "<script" not in svg
        root = parse(svg)
        assert root.find(f"{SVG}title").text == hostile
        assert hostile in root.find(f"{SVG}desc").text
        assert hostile in list(root.itertext())  # the unit caption and the labels, as plain text
    assert title_of(markers(parse(series))[0]) == f"{hostile}: 3 {hostile}"
    assert title_of(with_class(parse(bars), "chart-bar")[0]) == f"{hostile}, {hostile}: 5 {hostile}"


def test_characters_xml_cannot_carry_are_dropped() -> None:
    root = parse(time_series_svg([("a\x00b\x1f", 1)], title="t\x0bitle"))
    assert root.find(f"{SVG}title").text == "title"
    assert title_of(markers(root)[0]) == "ab: 1"


def test_none_is_a_gap_that_splits_the_line() -> None:
    points = [("a", 1), ("b", 2), ("c", None), ("d", 3), ("e", 4), ("f", None), ("g", 5)]
    root = parse(time_series_svg(points, title="Gaps"))
    assert line_subpaths(root) == 2  # a-b and d-e; the lone g is a marker without a line
    assert len(markers(root)) == 5
    unbroken = parse(time_series_svg([("a", 1), ("b", 2), ("c", 0), ("d", 3)], title="No gaps"))
    assert line_subpaths(unbroken) == 1  # zero is a figure, not a gap


@pytest.mark.parametrize(
    "top", [0, 1e-12, 0.3, 1, 4, 5, 7, 10, 45.7, 99, 100, 101, 404, 1234, 640, 99_999, 2.5e9]
)
def test_y_ticks_are_nice_numbers_covering_the_maximum(top: float) -> None:
    ticks = nice_ticks(top)
    assert 4 <= len(ticks) <= 6
    assert ticks[0] == 0 and ticks[-1] >= top * (1 - 1e-9)
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, nice) for nice in (1, 2, 2.5, 5))
    assert all(math.isclose(b - a, step) for a, b in pairwise(ticks))


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_y_ticks_cover_any_maximum(top: float) -> None:
    ticks = nice_ticks(top)
    assert 4 <= len(ticks) <= 6 and ticks[-1] >= top * (1 - 1e-9)


def test_y_tick_labels_use_thousands_separators() -> None:
    root = parse(time_series_svg([("2010-11", 1234), ("2011-12", 512)], title="Big"))
    grid = with_class(root, "chart-grid")[0]
    labels = [el.text for el in grid.iter(f"{SVG}text")]
    assert labels == ["0", "250", "500", "750", "1,000", "1,250"]


def test_x_labels_are_thinned_for_forty_periods() -> None:
    root = parse(time_series_svg([(p, 100) for p in PERIODS], title="Forty years"))
    shown = [el.text for el in with_class(root, "chart-x-labels")[0].iter(f"{SVG}text")]
    assert 2 <= len(shown) <= 14
    assert shown[0] == PERIODS[0] and shown[-1] == PERIODS[-1]
    few = parse(time_series_svg([(p, 100) for p in PERIODS[:4]], title="Four years"))
    assert len(list(with_class(few, "chart-x-labels")[0].iter(f"{SVG}text"))) == 4


def test_point_titles_carry_the_values() -> None:
    points = [("2010-11", 1234), ("2011-12", 45.7), ("2012-13", None), ("2013-14", 0)]
    root = parse(time_series_svg(points, title="Rates", unit="per 100,000"))
    assert [title_of(m) for m in markers(root)] == [
        "2010-11: 1,234 per 100,000",
        "2011-12: 45.7 per 100,000",
        "2013-14: 0 per 100,000",
    ]


def test_desc_summarises_the_figures_in_words() -> None:
    points = [("2010-11", 512), ("2011-12", 600), ("2012-13", None), ("2013-14", 640)]
    desc = parse(time_series_svg(points, title="t", unit="people")).find(f"{SVG}desc").text
    assert desc.startswith("From 2010-11 to 2013-14, ranging from 512 (2010-11) to 640 people (2013-14)")
    assert "No figure for 1 of 4 periods" in desc
    bars = parse(grouped_bars_svg(BREAKDOWN, title="t", unit="people")).find(f"{SVG}desc").text
    assert "from 3 (Category 3, Level 3) to 404 people (Category 1, Level 1)" in bars


def test_bars_have_titles_and_none_is_not_applicable() -> None:
    root = parse(grouped_bars_svg(BREAKDOWN, title="Breakdown", unit="people"))
    tips = [title_of(bar) for bar in with_class(root, "chart-bar")]
    assert len(tips) == 8
    assert tips[0] == "Category 1, Level 1: 404 people"
    assert [title_of(g) for g in with_class(root, "chart-na")] == ["Category 3, Level 1: not applicable"]


def test_bar_heights_are_to_scale() -> None:
    root = parse(grouped_bars_svg([("A", [("x", 100), ("y", 50), ("z", 0)])], title="Scale"))
    heights = [float(bar.get("height")) for bar in with_class(root, "chart-bar")]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2) and heights[2] == 0


def test_legend_has_a_distinct_swatch_per_series() -> None:
    root = parse(grouped_bars_svg(BREAKDOWN, title="Breakdown"))
    legend = with_class(root, "chart-legend")[0]
    swatches = [rect.get("fill") for rect in legend.iter(f"{SVG}rect")]
    names = [text.text for text in legend.iter(f"{SVG}text")]
    assert names == ["Level 1", "Level 2", "Level 3"]
    assert len(set(swatches)) == 3
    bar_fills = [bar.get("fill") for bar in with_class(root, "chart-bar")[:3]]
    assert bar_fills == swatches


def test_no_style_attribute_or_element_anywhere() -> None:
    for svg in (
        time_series_svg([("2010-11", 5), ("2011-12", None)], title="a", unit="people"),
        grouped_bars_svg(BREAKDOWN, title="b", unit="people"),
        time_series_svg([], title="c"),
        time_chart_svg(EVERYTHING, title="d", unit="people"),
    ):
        assert "style=" not in svg and "<style" not in svg
        assert all("style" not in el.attrib and el.tag != f"{SVG}style" for el in parse(svg).iter())


def test_two_different_charts_have_unique_ids() -> None:
    first = parse(time_series_svg([("2010-11", 5)], title="Same title"))
    second = parse(time_series_svg([("2010-11", 6)], title="Same title"))
    third = parse(grouped_bars_svg(BREAKDOWN, title="Same title"))
    fourth = parse(time_chart_svg(EVERYTHING, title="Same title"))
    roots = (first, second, third, fourth)
    id_sets = [{el.get("id") for el in root.iter() if el.get("id")} for root in roots]
    assert all(len(ids) == 2 for ids in id_sets)
    assert len(set().union(*id_sets)) == 2 * len(roots)
    for root, ids in zip(roots, id_sets, strict=True):
        assert set(root.get("aria-labelledby").split()) == ids
        assert all(re.fullmatch(r"[A-Za-z][\w-]*", i) for i in ids)


def test_negative_figures_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        time_series_svg([("2010-11", -1)], title="t")


@given(
    st.lists(
        st.tuples(st.text(max_size=30), st.none() | st.floats(min_value=0, max_value=1e12, allow_nan=False)),
        max_size=60,
    )
)
def test_any_series_gives_well_formed_xml_with_one_marker_per_figure(points: list) -> None:
    root = parse(time_series_svg(points, title="Property", unit="people"))
    assert len(markers(root)) == sum(value is not None for _, value in points)


# --- time charts: several series on a proportional time axis ------------------------------------------


def centre(marker: ET.Element) -> tuple[float, float]:
    """The centre of a dot (a circle) or of a disputed figure's diamond (a path)."""
    if marker.tag == f"{SVG}circle":
        return float(marker.get("cx")), float(marker.get("cy"))
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", marker.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def subpaths(root: ET.Element) -> list[list[tuple[float, float]]]:
    """Every line's subpaths, each as its points."""
    found = []
    for path in with_class(root, "chart-line"):
        for run in path.get("d").split("M")[1:]:
            found.append([tuple(float(n) for n in xy.split(",")) for xy in run.replace("L", " ").split()])
    return found


def legend_names(root: ET.Element) -> list[str]:
    """Each legend entry's whole name (a name cut short keeps it in a <title>)."""
    texts = [text for legend in with_class(root, "chart-legend") for text in legend.iter(f"{SVG}text")]
    return [text.text if text.find(f"{SVG}title") is None else title_of(text) for text in texts]


def baseline(root: ET.Element) -> float:
    """The y of the zero gridline."""
    return float(next(with_class(root, "chart-grid")[0].iter(f"{SVG}line")).get("y1"))


def x_labels(root: ET.Element) -> list[tuple[float, str]]:
    return [(float(t.get("x")), t.text) for t in with_class(root, "chart-x-labels")[0].iter(f"{SVG}text")]


def test_years_of_is_proportional_to_the_days_between_dates() -> None:
    assert years_of(date(2018, 3, 31)) - years_of(date(2012, 3, 31)) == pytest.approx(6, abs=0.003)
    assert years_of(date(2012, 3, 31)) - years_of(date(2011, 3, 31)) == pytest.approx(1, abs=0.003)


def test_x_is_proportional_to_time_so_six_years_are_six_times_as_wide_as_one() -> None:
    points = [year(2018, 7), year(2011, 5), year(2012, 6)]  # out of order on purpose
    root = parse(time_chart_svg([Series("Total", points)], title="Proportional"))
    xs = [centre(m)[0] for m in markers(root)]
    assert xs == sorted(xs)
    assert xs[2] - xs[1] == pytest.approx(6 * (xs[1] - xs[0]), rel=0.01)
    assert x_labels(root) == [
        (pytest.approx(x, abs=0.05), label)
        for x, label in zip(xs, ["2010/11", "2011/12", "2017/18"], strict=True)
    ]


def test_a_mix_of_categories_is_two_series_and_never_one_line() -> None:
    # England and Wales: an all-categories total for 2021/22 and a Category 1 count for 2023/24.
    series = [Series("All categories", [year(2022, 89_438)]), Series("Category 1", [year(2024, 70_052)])]
    root = parse(time_chart_svg(series, title="Eligible offenders", unit="offenders"))
    assert subpaths(root) == []  # two lone figures: two dots, no line from one to the other
    groups = with_class(root, "chart-markers")
    assert [len(markers(g)) for g in groups] == [1, 1]
    assert len({g.get("fill") for g in groups}) == 2
    assert legend_names(root) == ["All categories", "Category 1"]
    swatches = [line.get("stroke") for line in with_class(root, "chart-legend")[0].iter(f"{SVG}line")]
    assert swatches == [g.get("fill") for g in groups]
    assert [title_of(m) for m in markers(root)] == [
        "All categories, 2021/22: 89,438 offenders",
        "Category 1, 2023/24: 70,052 offenders",
    ]
    desc = root.find(f"{SVG}desc").text
    assert "All categories, 2021/22: 89,438 offenders." in desc and "Category 1, 2023/24: 70,052" in desc


def test_adjacent_years_are_joined_and_a_missing_year_is_a_gap() -> None:
    points = [year(2011, 1), year(2012, 2), year(2013, 3), year(2016, 4), year(2017, 5)]
    root = parse(time_chart_svg([Series("Total", points)], title="Gap"))
    at = [centre(m) for m in markers(root)]
    assert subpaths(root) == [
        [pytest.approx(at[0], abs=0.05), pytest.approx(at[1], abs=0.05), pytest.approx(at[2], abs=0.05)],
        [pytest.approx(at[3], abs=0.05), pytest.approx(at[4], abs=0.05)],
    ]
    desc = root.find(f"{SVG}desc").text
    assert "No figures between 2012/13 and 2015/16" in desc


def test_no_figure_is_a_gap_never_a_zero() -> None:
    points = [year(2011, 100), year(2012, None), year(2013, 100), year(2014, 100)]
    root = parse(time_chart_svg([Series("Total", points)], title="Gap"))
    assert len(markers(root)) == 3
    assert all(centre(m)[1] < baseline(root) - 50 for m in markers(root))  # nothing drawn at zero
    assert [len(run) for run in subpaths(root)] == [2]  # 2013-14 only; 2011 stands alone
    assert "No figure for 1 of 4 periods (2011/12)" in root.find(f"{SVG}desc").text


def test_a_break_in_series_starts_a_new_line_with_a_dashed_mark() -> None:
    points = [year(2011, 10), year(2012, 12), year(2013, 30, breaks=True), year(2014, 32)]
    root = parse(time_chart_svg([Series("Category 1", points)], title="Break"))
    at = [centre(m) for m in markers(root)]
    assert [[x for x, _ in run] for run in subpaths(root)] == [
        [pytest.approx(at[0][0], abs=0.05), pytest.approx(at[1][0], abs=0.05)],
        [pytest.approx(at[2][0], abs=0.05), pytest.approx(at[3][0], abs=0.05)],
    ]
    (mark,) = with_class(root, "chart-break")
    assert at[1][0] < float(mark.get("x1")) == float(mark.get("x2")) < at[2][0]
    assert float(mark.get("y1")) < at[2][1] < float(mark.get("y2"))  # across the figure it stands before
    assert mark.get("stroke-dasharray")
    assert "break in series" in title_of(mark)
    assert "break in series" in title_of(markers(root)[2])
    assert legend_names(root) == ["Category 1", "break in series"]
    assert "Break in series at 2012/13" in root.find(f"{SVG}desc").text
    plain = parse(time_chart_svg([Series("Category 1", [year(2011, 10), year(2012, 12)])], title="No break"))
    assert with_class(plain, "chart-break") == [] and legend_names(plain) == ["Category 1"]


def test_a_disputed_figure_is_a_hollow_diamond_saying_so_and_linking_to_the_conflicts() -> None:
    link = "/doc/dataset/england-and-wales-2021-22#conflicts"
    points = [year(2021, 80), year(2022, 89_438, disputed=True, link=link), year(2023, 90)]
    root = parse(time_chart_svg([Series("All categories", points)], title="Disputed", unit="offenders"))
    (anchor,) = root.iter(f"{SVG}a")
    assert anchor.get("href") == link
    (diamond,) = with_class(anchor, "chart-disputed")
    assert diamond in markers(root) and diamond.tag == f"{SVG}path"
    assert diamond.get("fill") == "#ffffff"  # hollow: unlike the filled dots
    assert "sources disagree" in title_of(diamond) and "89,438 offenders" in title_of(diamond)
    assert centre(diamond)[0] == pytest.approx(
        (centre(markers(root)[0])[0] + centre(markers(root)[2])[0]) / 2, abs=0.1
    )
    assert [m.tag for m in markers(root)] == [f"{SVG}circle", f"{SVG}path", f"{SVG}circle"]
    assert len(subpaths(root)) == 1  # a disputed figure is still a figure on the line
    assert "sources disagree" in legend_names(root)
    assert "Sources disagree about 2021/22" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize(
    "link", [None, "", "javascript:alert(1)", " javascript:alert(1)", "java\tscript:x", "data:text/html,x"]
)
def test_a_disputed_figure_without_a_safe_link_is_not_wrapped(link: str | None) -> None:
    root = parse(time_chart_svg([Series("T", [year(2011, 5, disputed=True, link=link)])], title="t"))
    assert list(root.iter(f"{SVG}a")) == []
    assert "sources disagree" in title_of(with_class(root, "chart-disputed")[0])


def test_a_link_with_quotes_and_ampersands_round_trips() -> None:
    link = '/doc/x?a="b"&c=<d>#conflicts'
    root = parse(time_chart_svg([Series("T", [year(2011, 5, disputed=True, link=link)])], title="t"))
    assert next(root.iter(f"{SVG}a")).get("href") == link


def test_a_lone_figure_is_a_dot_without_a_line() -> None:
    root = parse(
        time_chart_svg([Series("Category 4", [year(2011, None), year(2012, 7), year(2013, None)])], title="t")
    )
    assert len(markers(root)) == 1 and with_class(root, "chart-line") == []


def test_time_chart_values_are_to_scale() -> None:
    root = parse(time_chart_svg([Series("T", [year(2011, 100), year(2012, 50), year(2013, 0)])], title="t"))
    heights = [baseline(root) - centre(m)[1] for m in markers(root)]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2) and heights[2] == pytest.approx(0, abs=0.05)


def test_time_chart_labels_are_thinned_without_overlapping() -> None:
    points = [year(y, 100) for y in range(2001, 2041)]
    root = parse(time_chart_svg([Series("T", points)], title="Forty years"))
    shown = x_labels(root)
    assert 2 <= len(shown) <= 14
    assert shown[0][1] == "2000/01" and shown[-1][1] == "2039/40"
    widest = max(len(label) for _, label in shown) * 0.6 * 11
    assert all(b[0] - a[0] >= widest for a, b in pairwise(shown))


def test_hostile_series_names_are_escaped() -> None:
    for hostile in HOSTILE:
        root = parse(time_chart_svg([Series(hostile, [year(2011, 3), year(2012, 4)])], title="t"))
        assert hostile in list(root.itertext())  # in the legend, whole (in a <title> when cut short)
        assert title_of(markers(root)[0]) == f"{hostile}, 2010/11: 3"
        assert root.find(f"{SVG}desc").text.startswith(f"{hostile}: from 2010/11 to 2011/12")


@given(
    st.lists(
        st.lists(
            st.tuples(
                st.integers(2000, 2030),
                st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False),
                st.booleans(),
                st.booleans(),
            ),
            max_size=12,
        ),
        max_size=4,
    )
)
def test_lines_join_only_figures_a_year_apart_without_a_break(raw: list) -> None:
    series, joins = [], 0
    for i, cells in enumerate(raw):
        by_year = {y: (value, breaks, disputed) for y, value, breaks, disputed in cells}  # one figure a cell
        years = sorted(by_year)
        joins += sum(
            1
            for a, b in pairwise(years)
            if b == a + 1 and by_year[a][0] is not None and by_year[b][0] is not None and not by_year[b][1]
        )
        points = [year(y, v, breaks=b, disputed=d, link="#c") for y, (v, b, d) in by_year.items()]
        series.append(Series(f"Series {i}", points))
    root = parse(time_chart_svg(series, title="Property"))
    runs = subpaths(root)
    assert all(len(run) >= 2 for run in runs)
    assert sum(len(run) - 1 for run in runs) == joins
    assert len(markers(root)) == sum(p.value is not None for s in series for p in s.points)
    breaks = sum(p.breaks and p.value is not None for s in series for p in s.points)
    assert len(with_class(root, "chart-break")) == breaks


# --- the area page's charts: what they are given, and what they draw ---------------------------------


def figure(
    year_end: int, value: int | None, *, category: str = "all", level: str = "all", **more: object
) -> Figure:
    statistic = more.pop("statistic", "eligible-snapshot")
    return Figure(
        dataset=f"{BASE}id/dataset/{more.pop('dataset', 'england-and-wales-2021-22')}",
        area=f"{BASE}id/area/england-and-wales",
        observation=f"{BASE}id/observation/{statistic}-{year_end}-{level}-{category}",
        statistic=f"{BASE}id/statistic/{statistic}",
        statistic_label=str(more.pop("label", "MAPPA-eligible offenders on 31 March")),
        level=level,
        category=category,
        year_end=year_end,
        value=None if value is None else Decimal(value),
        source="report",
        **more,
    )


def test_the_area_page_draws_a_line_per_category_and_per_statistic() -> None:
    found = [
        figure(2022, 89_438),  # all categories
        figure(2024, 70_052, category="1"),  # Category 1 only: its own line
        figure(2023, 69_000, category="1"),
        figure(2022, 61_234, category="all", level="1"),  # a level, not the total: not drawn
        figure(2022, 3_000, level="2-and-3", statistic="level23-yearly", label="Levels 2 and 3 in the year"),
        figure(2023, 3_100, level="2-and-3", statistic="level23-yearly", label="Levels 2 and 3 in the year"),
        figure(2022, 5, statistic="other", label="Other"),  # outside the tables: no chart
    ]
    made = pages._area_charts(found, BASE)
    assert [caption for caption, _ in made] == [
        "MAPPA-eligible offenders on 31 March",
        "Levels 2 and 3 in the year, Levels 2 and 3",
    ]
    snapshot, yearly = (parse(str(svg)) for _, svg in made)
    assert legend_names(snapshot) == ["Category 1", "All categories"]
    assert [len(run) for run in subpaths(snapshot)] == [2]  # 2023-24 of Category 1, never to 2022's total
    assert [title_of(m) for m in markers(snapshot)] == [
        "Category 1, 2022/23: 69,000 offenders",
        "Category 1, 2023/24: 70,052 offenders",
        "All categories, 2021/22: 89,438 offenders",
    ]
    assert "61,234" not in "".join(snapshot.itertext())
    assert len(markers(yearly)) == 2 and len(subpaths(yearly)) == 1


def test_the_area_page_leaves_gaps_for_cells_without_a_figure_and_breaks_the_line() -> None:
    found = [
        figure(2011, 100),
        figure(2012, 0, status="not-collected"),  # whatever value it carries, it is no figure
        figure(2013, 100, status="not-applicable"),
        figure(2014, 120),
        figure(2015, 130, status="break"),
        figure(2016, 140, status="provisional"),
    ]
    ((_, svg),) = pages._area_charts(found, BASE)
    root = parse(str(svg))
    assert len(markers(root)) == 4
    assert [len(run) for run in subpaths(root)] == [2]  # 2015-16 only: 2014 is before the break
    assert len(with_class(root, "chart-break")) == 1
    assert "provisional" in title_of(markers(root)[-1])
    assert pages._number(figure(2012, 0, status="not-collected")) is None
    assert pages._number(figure(2012, 0)) == 0.0


def test_the_area_page_links_a_disputed_figure_to_its_data_sets_conflicts() -> None:
    from flask import Flask

    from mappa_kb.web import linked_data

    app = Flask(__name__)
    app.register_blueprint(linked_data.blueprint)
    found = [figure(2021, 88_000), figure(2022, 89_438, disputed=True)]
    with app.test_request_context():
        ((_, svg),) = pages._area_charts(found, BASE)
    (anchor,) = parse(str(svg)).iter(f"{SVG}a")
    assert anchor.get("href") == "/doc/dataset/england-and-wales-2021-22#conflicts"
    assert "sources disagree" in title_of(with_class(anchor, "chart-disputed")[0])
