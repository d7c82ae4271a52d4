"""Server-rendered, accessible SVG charts: time series and grouped bars, for pages without JavaScript.

A time chart draws one line per series (one statistic and one category: never a mix) against time on
a proportional axis, so a six-year gap is six times as wide as one year. It joins two figures only
when their periods are adjacent: no figure (None: not collected, not applicable; never a zero), a
missing period or a break in series ends the line, and a break has a dashed mark of its own. A
figure that sources disagree about is a hollow diamond, linked to where the disagreement is set out.

The SVG is meant to be written inline into an HTML page served under ``default-src 'self'; style-src
'self'``: it has no ``style`` attributes and no ``<style>`` elements, only presentation attributes
(which any stylesheet overrides) and ``chart-*`` classes. Every chart has a ``<title>`` and a
``<desc>`` that sums the figures up in words, and every point or bar a ``<title>`` shown on hover.
Its ids come from a hash of the title and the figures, so different charts on one page never clash.
Caller text is escaped; characters that XML cannot carry (control characters) are dropped.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

# Okabe-Ito, ordered so that the first four reach 3:1 against white; every bar also has a dark outline.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
INK, MUTED, AXIS, GRID, OUTLINE = "#222222", "#555555", "#767676", "#d9d9d9", "#333333"
FONT_SIZE = 11
CHAR_WIDTH = 0.6 * FONT_SIZE  # a fair estimate for a sans-serif face
MAX_LABEL = 20  # characters of an axis or legend label before it is cut short with "…"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    """Caller text as XML character data: escaped, without the characters XML 1.0 forbids."""
    return escape(_NOT_XML.sub("", str(value)))


def _num(value: float) -> str:
    """A figure as people read it: thousands separators, at most three decimals, no trailing zeros."""
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text if text != "0" or value == 0 else f"{value:.3g}"


def _with_unit(value: float | None, unit: str) -> str:
    return "not applicable" if value is None else f"{_num(value)} {unit}".rstrip()


def _clean(value: float | None) -> float | None:
    """A figure as a float; None, NaN and infinities mean "no figure"; negative figures are refused."""
    if value is None or not math.isfinite(value):
        return None
    if value < 0:
        raise ValueError(f"charts start at zero: negative figure {value!r}")
    return float(value)


def nice_ticks(top: float) -> list[float]:
    """Four to six ticks from 0 in steps of 1, 2, 2.5 or 5 times 10**n, the last at or above ``top``."""
    top = top if top > 1e-9 else 4.0
    exponent = math.floor(math.log10(top)) - 1
    while True:
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**exponent
            intervals = math.ceil(top / step - 1e-9)
            if intervals <= 5:
                return [i * step for i in range(intervals + 1)]
        exponent += 1


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _label(x: float, y: float, text: str, chars: int, extra: str = "") -> str:
    """A centred label, cut to ``chars`` characters; a cut label keeps its whole text in a <title>."""
    shown = _clip(text, chars)
    hint = f"<title>{_text(text)}</title>" if shown != text else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle"{extra}>{hint}{_text(shown)}</text>'


def _svg(key: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    uid = "chart-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" class="chart" font-family="system-ui, sans-serif" '
        f'font-size="{FONT_SIZE}" fill="{INK}"><title id="{uid}-title">{_text(title)}</title>'
        f'<desc id="{uid}-desc">{_text(desc)}</desc>{"".join(body)}</svg>'
    )


def _left_margin(ticks: list[float]) -> float:
    return max(len(_num(t)) for t in ticks) * CHAR_WIDTH + 14


def _y_axis(
    ticks: list[float], box: tuple[float, float, float, float], unit: str
) -> tuple[list[str], Callable[[float], float]]:
    """Gridlines with their labels, the unit above them, and the value-to-y scale."""
    left, top, right, bottom = box

    def y(value: float) -> float:
        return bottom - value / ticks[-1] * (bottom - top)

    parts = [f'<g class="chart-grid" fill="{MUTED}" text-anchor="end">']
    for tick in ticks:
        colour = AXIS if tick == 0 else GRID
        at = f"{y(tick):.1f}"
        parts.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{at}" y2="{at}" stroke="{colour}"/>')
        parts.append(f'<text x="{left - 6:.1f}" y="{y(tick) + 4:.1f}">{_num(tick)}</text>')
    parts.append("</g>")
    if unit:
        parts.append(f'<text class="chart-unit" x="4" y="{top - 12:.1f}" fill="{MUTED}">{_text(unit)}</text>')
    return parts, y


def _no_figures(box: tuple[float, float, float, float]) -> str:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    where = f'x="{x:.1f}" y="{y:.1f}" text-anchor="middle"'
    return f'<text class="chart-empty" {where} font-size="14">No figures</text>'


@dataclass(frozen=True)
class Point:
    """One figure of a time series, placed on the time axis by ``at``."""

    at: float  # when, in years (see years_of); x is proportional to it
    label: str  # the period as readers know it, e.g. "2010/11"
    value: float | None  # None: no figure (not collected, not applicable): a gap, never a zero
    breaks: bool = False  # the first figure after a change in counting rules: not joined to the one before
    disputed: bool = False  # sources disagree about it; the figure shown is the headline choice
    link: str | None = None  # for a disputed figure, where the disagreement is set out
    note: str = ""  # said after the figure in its tooltip, e.g. "provisional"


@dataclass(frozen=True)
class Series:
    """One line: figures of one statistic and one category, never a mix."""

    name: str  # its legend entry; "" for the only series of a chart that needs no legend
    points: Sequence[Point]


DISPUTED = "sources disagree"
BREAK = "break in series"
_JOIN_SLACK = 1.5  # figures up to 1.5 steps apart are adjacent periods (dates drift by leap days)


def years_of(day: date) -> float:
    """A date as a number of years, exactly proportional to the days between dates."""
    return day.toordinal() / 365.2425


def _safe_href(link: str | None) -> str | None:
    """A link as an attribute value, or None for one that could run script (only http(s) or relative)."""
    if not link or re.search(r"[\s\x00-\x1f\x7f]", link):
        return None
    try:
        scheme = urlsplit(link).scheme
    except ValueError:  # not a URL at all (an unclosed "[", for one)
        return None
    return _text(link).replace('"', "&quot;") if scheme in ("", "http", "https") else None


def _prepared(series: Sequence[Series]) -> list[Series]:
    """Each series in time order, with its figures as floats and NaN or infinity as no figure."""
    return [
        Series(str(s.name), [replace(p, label=str(p.label), value=_clean(p.value)) for p in _by_time(s)])
        for s in series
    ]


def _by_time(series: Series) -> list[Point]:
    return sorted(series.points, key=lambda p: p.at)


def _adjacent(before: Point, after: Point, step: float) -> bool:
    return 0 < after.at - before.at <= step * _JOIN_SLACK


def _runs(points: Sequence[Point], step: float) -> list[list[Point]]:
    """The figures one unbroken line joins: no figure, a missing period or a break in series ends a run."""
    runs: list[list[Point]] = []
    previous: Point | None = None
    for point in points:
        if point.value is None:
            previous = None
            continue
        if previous is not None and not point.breaks and _adjacent(previous, point, step):
            runs[-1].append(point)
        else:
            runs.append([point])
        previous = point
    return runs


def _time_scale(
    times: list[float], box: tuple[float, float, float, float], pad: float
) -> Callable[[float], float]:
    """Time to x, proportionally: a six-year gap is six times as wide as one year."""
    left, right = box[0], box[2]
    first, last = min(times, default=0.0), max(times, default=0.0)
    if last - first < 1e-9:
        return lambda _: (left + right) / 2
    return lambda t: left + pad + (t - first) / (last - first) * (right - left - 2 * pad)


def _label_room(labels: list[str]) -> float:
    return min(max((len(label) for label in labels), default=0), MAX_LABEL) * CHAR_WIDTH + 8


def _x_labels(ticks: list[tuple[float, str]], y: float) -> list[str]:
    """Labels at their own x, thinned so that none runs into the next (always the first and the last),
    each cut short to fit its room, with a tick on the axis under each."""
    if not ticks:
        return []
    room = _label_room([label for _, label in ticks])
    keep = [0]
    for i in range(1, len(ticks)):
        if ticks[i][0] - ticks[keep[-1]][0] >= room:
            keep.append(i)
    last = len(ticks) - 1
    if keep[-1] != last:
        if len(keep) > 1 and ticks[last][0] - ticks[keep[-1]][0] < room:
            keep.pop()
        keep.append(last)
    gap = min((ticks[b][0] - ticks[a][0] for a, b in pairwise(keep)), default=math.inf)
    chars = MAX_LABEL if gap == math.inf else min(MAX_LABEL, max(2, int((gap - 8) / CHAR_WIDTH)))
    body = "".join(_label(ticks[i][0], y, ticks[i][1], chars) for i in keep)
    marks = "".join(
        f'<line x1="{ticks[i][0]:.1f}" x2="{ticks[i][0]:.1f}" y1="{y - 18:.1f}" y2="{y - 13:.1f}" '
        f'stroke="{AXIS}"/>'
        for i in keep
    )
    return [f'<g class="chart-x-labels" fill="{MUTED}">{marks}{body}</g>']


def _x_ticks(series: list[Series]) -> list[tuple[float, str]]:
    """One tick per period that any series has, with the first label given for it."""
    labelled: dict[float, str] = {}
    for s in series:
        for point in s.points:
            labelled.setdefault(point.at, point.label)
    return sorted(labelled.items())


def _listed(labels: list[str], most: int = 6) -> str:
    shown = ", ".join(labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


def _range_words(points: list[Point], unit: str) -> str:
    """The span, the lowest and highest figure and the latest, as words."""
    known = [p for p in points if p.value is not None]
    if len(points) == 1:
        return f"{points[0].label}: {_with_unit(known[0].value, unit)}."
    low, high = min(known, key=lambda p: p.value or 0.0), max(known, key=lambda p: p.value or 0.0)
    span = f"from {points[0].label} to {points[-1].label}"
    if low.value == high.value:
        return f"{span}, constant at {_with_unit(low.value, unit)}."
    return (
        f"{span}, ranging from {_num(low.value or 0.0)} ({low.label}) to {_with_unit(high.value, unit)} "
        f"({high.label}); latest {_with_unit(known[-1].value, unit)} ({known[-1].label})."
    )


def _caveat_words(points: list[Point], step: float) -> list[str]:
    """Sentences on what the line does not show: missing figures, gaps in time, breaks, disputes."""
    said = []
    missing = [p.label for p in points if p.value is None]
    if missing:
        said.append(f"No figure for {len(missing)} of {len(points)} periods ({_listed(missing)}).")
    jumps = [f"{a.label} and {b.label}" for a, b in pairwise(points) if b.at - a.at > step * _JOIN_SLACK]
    if jumps:
        said.append(f"No figures between {_listed(jumps)}; the line is not drawn across the gap.")
    breaks = [p.label for p in points if p.breaks and p.value is not None]
    if breaks:
        said.append(f"Break in series at {_listed(breaks)}: not joined to the figure before.")
    disputed = [p.label for p in points if p.disputed and p.value is not None]
    if disputed:
        said.append(f"Sources disagree about {_listed(disputed)}; the figure shown is the headline choice.")
    return said


def _series_words(series: Series, step: float, unit: str) -> str:
    points = list(series.points)
    if not any(p.value is not None for p in points):
        return f"{series.name}: no figures." if series.name else "No figures."
    main = _range_words(points, unit)
    joiner = ", " if len(points) == 1 else ": "  # "Category 1, 2010/11: 5" but "Category 1: from …"
    main = f"{series.name}{joiner}{main}" if series.name else main[0].upper() + main[1:]
    return " ".join([main, *_caveat_words(points, step)])


def _time_desc(series: list[Series], step: float, unit: str) -> str:
    if not any(p.value is not None for s in series for p in s.points):
        return "No figures."
    return " ".join(_series_words(s, step, unit) for s in series)


def _tip(series: Series, point: Point, unit: str) -> str:
    """A figure's tooltip: which series and period, the figure, and what to know about it."""
    where = f"{series.name}, {point.label}" if series.name else point.label
    caveats = [text for text in (point.note, BREAK if point.breaks else "") if text]
    if point.disputed:
        caveats.append(f"{DISPUTED}: the figure shown is the headline choice")
    said = f" ({'; '.join(caveats)})" if caveats else ""
    return f"{where}: {_with_unit(point.value, unit)}{said}"


def _diamond(x: float, y: float, r: float) -> str:
    return f"M{x:.1f},{y - r:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r:.1f} L{x - r:.1f},{y:.1f} Z"


def _marker(
    series: Series, point: Point, at: tuple[float, float], radius: float, colour: str, unit: str
) -> str:
    """A filled dot; a disputed figure a hollow diamond, linked to where the disagreement is set out."""
    tip = f"<title>{_text(_tip(series, point, unit))}</title>"
    if not point.disputed:
        return (
            f'<circle class="chart-marker" cx="{at[0]:.1f}" cy="{at[1]:.1f}" r="{radius:.1f}">{tip}</circle>'
        )
    shape = (
        f'<path class="chart-marker chart-disputed" d="{_diamond(*at, radius + 1.5)}" fill="#ffffff" '
        f'stroke="{colour}" stroke-width="2">{tip}</path>'
    )
    href = _safe_href(point.link)
    return f'<a href="{href}">{shape}</a>' if href else shape


def _break_mark(x: float, y: float, colour: str, tip: str) -> str:
    """A short dashed vertical rule just before the first figure after a break in series."""
    return (
        f'<line class="chart-break" x1="{x:.1f}" x2="{x:.1f}" y1="{y - 12:.1f}" y2="{y + 12:.1f}" '
        f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 2"><title>{_text(tip)}</title></line>'
    )


@dataclass(frozen=True)
class _Frame:
    """Where things go on one time chart, and how its figures read."""

    x: Callable[[float], float]
    y: Callable[[float], float]
    radius: float
    step: float
    unit: str


def _series_shapes(series: Series, colour: str, frame: _Frame) -> tuple[list[str], list[str]]:
    """A series' line (one subpath per run) with its break marks, and its markers, as separate layers."""
    x, y = frame.x, frame.y
    runs = [run for run in _runs(series.points, frame.step) if len(run) > 1]
    d = " ".join("M" + " L".join(f"{x(p.at):.1f},{y(p.value or 0.0):.1f}" for p in run) for run in runs)
    lines = []
    if d:
        name = f"<title>{_text(series.name)}</title>" if series.name else ""
        lines.append(
            f'<path class="chart-line" d="{d}" fill="none" stroke="{colour}" stroke-width="2">{name}</path>'
        )
    known = [p for p in series.points if p.value is not None]
    where = f"{series.name}: " if series.name else ""
    lines += [
        _break_mark(x(p.at) - frame.radius - 4, y(p.value or 0.0), colour, f"{where}{BREAK} before {p.label}")
        for p in known
        if p.breaks
    ]
    dots = [_marker(series, p, (x(p.at), y(p.value or 0.0)), frame.radius, colour, frame.unit) for p in known]
    group = f'<g class="chart-markers" fill="{colour}" stroke="#ffffff" stroke-width="1.5">'
    return lines, [group, *dots, "</g>"]


def _legend_items(series: list[Series]) -> list[tuple[str, Callable[[float, float], str]]]:
    """A line per named series, then what a break mark and a hollow diamond mean, where the chart has them."""
    items = [(s.name, _line_swatch(PALETTE[i % len(PALETTE)])) for i, s in enumerate(series) if s.name]
    known = [p for s in series for p in s.points if p.value is not None]
    if any(p.breaks for p in known):
        items.append((BREAK, _break_swatch))
    if any(p.disputed for p in known):
        items.append((DISPUTED, _disputed_swatch))
    return items


def _line_swatch(colour: str) -> Callable[[float, float], str]:
    def draw(x: float, top: float) -> str:
        return (
            f'<line x1="{x:.1f}" x2="{x + 12:.1f}" y1="{top + 6:.1f}" y2="{top + 6:.1f}" stroke="{colour}" '
            f'stroke-width="2"/><circle cx="{x + 6:.1f}" cy="{top + 6:.1f}" r="3" fill="{colour}"/>'
        )

    return draw


def _break_swatch(x: float, top: float) -> str:
    return (
        f'<line x1="{x + 6:.1f}" x2="{x + 6:.1f}" y1="{top:.1f}" y2="{top + 12:.1f}" stroke="{INK}" '
        f'stroke-width="1.5" stroke-dasharray="3 2"/>'
    )


def _disputed_swatch(x: float, top: float) -> str:
    return f'<path d="{_diamond(x + 6, top + 6, 5)}" fill="#ffffff" stroke="{INK}" stroke-width="2"/>'


def _radius(times: list[float], x: Callable[[float], float]) -> float:
    """Dots no wider than a third of the narrowest space between two periods."""
    closest = min((x(b) - x(a) for a, b in pairwise(times)), default=math.inf)
    return min(3.5, max(1.5, closest / 3))


def time_chart_svg(
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    step: float = 1.0,
    width: int = 640,
    height: int = 260,
) -> str:
    """A line chart with one line per series on a proportional time axis.

    ``step`` is the time, in the units of ``Point.at``, from one period to the next: figures further
    apart are not joined (a missing period is a gap), nor is a figure marked ``breaks`` joined to the
    one before it. A figure of None is a gap, never a zero; a lone figure is a dot without a line.
    """
    drawn = _prepared(series)
    ticks_at = _x_ticks(drawn)
    present = [p.value for s in drawn for p in s.points if p.value is not None]
    parts, legend_height = _legend(_legend_items(drawn), width)
    ticks = nice_ticks(max(present, default=0.0))
    box = (_left_margin(ticks), min(legend_height + 34, height - 80.0), width - 24.0, height - 30.0)
    axis, y = _y_axis(ticks, box, unit)
    parts += axis
    pad = min(_label_room([label for _, label in ticks_at]) / 2, (box[2] - box[0]) / 4)
    x = _time_scale([at for at, _ in ticks_at], box, pad)
    parts += _x_labels([(x(at), label) for at, label in ticks_at], box[3] + 18)
    if not present:
        parts.append(_no_figures(box))
    frame = _Frame(x, y, _radius([at for at, _ in ticks_at], x), step, unit)
    layers = [_series_shapes(s, PALETTE[i % len(PALETTE)], frame) for i, s in enumerate(drawn)]
    parts += [part for lines, _ in layers for part in lines]
    parts += [part for _, dots in layers for part in dots]
    key = repr((title, unit, step, width, height, drawn))
    return _svg(key, title, _time_desc(drawn, step, unit), width, height, parts)


def time_series_svg(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """One line of figures for periods known only by their labels, evenly spaced in the given order;
    None is a gap in the line, not a zero. Periods with dates belong in ``time_chart_svg``."""
    line = Series("", [Point(float(i), str(label), value) for i, (label, value) in enumerate(points)])
    return time_chart_svg([line], title=title, unit=unit, width=width, height=height)


def _legend(items: list[tuple[str, Callable[[float, float], str]]], width: int) -> tuple[list[str], float]:
    """A symbol (drawn in a 12-unit square at x, top) and a name per item, wrapped into rows; returns
    the parts and the height used. A name cut short keeps its whole text in a <title>."""
    if not items:
        return [], 0.0
    parts, x, row = ['<g class="chart-legend">'], 4.0, 0
    for name, symbol in items:
        shown = _clip(name, MAX_LABEL)
        item = 18 + len(shown) * CHAR_WIDTH + 14
        if x > 4 and x + item > width:
            x, row = 4.0, row + 1
        hint = f"<title>{_text(name)}</title>" if shown != name else ""
        parts.append(symbol(x, 4.0 + row * 18))
        parts.append(f'<text x="{x + 18:.1f}" y="{14 + row * 18}">{hint}{_text(shown)}</text>')
        x += item
    parts.append("</g>")
    return parts, (row + 1) * 18.0


def _swatch(colour: str) -> Callable[[float, float], str]:
    def draw(x: float, top: float) -> str:
        return (
            f'<rect x="{x:.1f}" y="{top:.1f}" width="12" height="12" fill="{colour}" '
            f'stroke="{OUTLINE}" stroke-width="0.5"/>'
        )

    return draw


def _bars_desc(table: list[tuple[str, dict[str, float | None]]], series: list[str], unit: str) -> str:
    cells = [(g, s, row.get(s)) for g, row in table for s in series]
    known = [c for c in cells if c[2] is not None]
    if not known:
        return "No figures."
    low, high = min(known, key=lambda c: c[2]), max(known, key=lambda c: c[2])
    text = (
        f"{len(table)} groups ({', '.join(g for g, _ in table)}) by {', '.join(series)}: "
        f"from {_num(low[2])} ({low[0]}, {low[1]}) to {_with_unit(high[2], unit)} ({high[0]}, {high[1]})."
    )
    missing = len(cells) - len(known)
    return text + (f" Not applicable: {missing} of {len(cells)}." if missing else "")


def _bar(x: float, w: float, value: float | None, colour: str, tip: str, y: Callable[[float], float]) -> str:
    """A bar with its value above it when that fits, or, for None, a "n/a" note that still has a tooltip."""
    top, base = y(value or 0.0), y(0.0)
    if value is None:
        note = f'<text x="{x + w / 2:.1f}" y="{base - 4:.1f}" text-anchor="middle" font-size="9">n/a</text>'
        return (
            f'<g class="chart-na" fill="{MUTED}"><title>{_text(tip)}</title>'
            f'<rect x="{x:.1f}" y="{base - 40:.1f}" width="{w:.1f}" height="40" fill-opacity="0"/>'
            f"{note if w >= 16 else ''}</g>"
        )
    label = _num(value)
    above = f'<text x="{x + w / 2:.1f}" y="{top - 4:.1f}" text-anchor="middle" font-size="10">{label}</text>'
    above = above if len(label) * 6 <= w + 4 else ""
    return (
        f'<rect class="chart-bar" x="{x:.1f}" y="{top:.1f}" width="{w:.1f}" height="{base - top:.1f}" '
        f'fill="{colour}" stroke="{OUTLINE}" stroke-width="0.5"><title>{_text(tip)}</title></rect>{above}'
    )


def grouped_bars_svg(
    groups: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 280,
) -> str:
    """Bars per group, one per series (in the order first met), with a legend; None is "not applicable"."""
    table = [(str(g), {str(s): _clean(v) for s, v in bars}) for g, bars in groups]
    series = list(dict.fromkeys(s for _, row in table for s in row))
    present = [v for _, row in table for v in row.values() if v is not None]
    parts, legend_height = _legend(
        [(s, _swatch(PALETTE[i % len(PALETTE)])) for i, s in enumerate(series)], width
    )
    ticks = nice_ticks(max(present, default=0.0))
    box = (_left_margin(ticks), min(legend_height + 34, height - 80.0), width - 12.0, height - 30.0)
    axis, y = _y_axis(ticks, box, unit)
    parts += axis
    band = (box[2] - box[0]) / max(len(table), 1)
    width_each = band * 0.8 / max(len(series), 1)
    chars = max(2, int((band - 6) / CHAR_WIDTH))
    for gi, (group, row) in enumerate(table):
        x0 = box[0] + gi * band + band * 0.1
        for si, name in enumerate(series):
            colour, value = PALETTE[si % len(PALETTE)], row.get(name)
            tip = f"{group}, {name}: {_with_unit(value, unit)}"
            parts.append(_bar(x0 + si * width_each, width_each, value, colour, tip, y))
        parts.append(_label(x0 + band * 0.4, box[3] + 18, group, chars, f' fill="{MUTED}"'))
    if not present:
        parts.append(_no_figures(box))
    key = repr((title, unit, width, height, table))
    return _svg(key, title, _bars_desc(table, series, unit), width, height, parts)
