"""The SVG charts: well-formed, escaped, style-free, accessible, and drawn to scale."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappa_kb.charts import grouped_bars_svg, nice_ticks, time_series_svg

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", "\"&'", "]]>", "a & b < c > d"]
PERIODS = [f"{year}-{(year + 1) % 100:02d}" for year in range(2010, 2050)]
BREAKDOWN = [
    ("Category 1", [("Level 1", 404), ("Level 2", 25), ("Level 3", 4)]),
    ("Category 2", [("Level 1", 150), ("Level 2", 40), ("Level 3", 6)]),
    ("Category 3", [("Level 1", None), ("Level 2", 12), ("Level 3", 3)]),
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
    ):
        assert "style=" not in svg and "<style" not in svg
        assert all("style" not in el.attrib and el.tag != f"{SVG}style" for el in parse(svg).iter())


def test_two_different_charts_have_unique_ids() -> None:
    first = parse(time_series_svg([("2010-11", 5)], title="Same title"))
    second = parse(time_series_svg([("2010-11", 6)], title="Same title"))
    third = parse(grouped_bars_svg(BREAKDOWN, title="Same title"))
    id_sets = [{el.get("id") for el in root.iter() if el.get("id")} for root in (first, second, third)]
    assert all(len(ids) == 2 for ids in id_sets)
    assert not (id_sets[0] & id_sets[1] or id_sets[0] & id_sets[2] or id_sets[1] & id_sets[2])
    for root, ids in zip((first, second, third), id_sets, strict=True):
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
