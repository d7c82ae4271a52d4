"""Server-rendered, accessible SVG charts: a time series and grouped bars, for pages without JavaScript.

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
from itertools import groupby, pairwise
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


def _x_labels(labels: list[str], xs: list[float], band: float, y: float) -> list[str]:
    """Every k-th label (always the first and the last), each cut short to fit its room."""
    if not labels:
        return []
    widest = min(max(len(label) for label in labels), MAX_LABEL) * CHAR_WIDTH + 8
    step = max(1, math.ceil(widest / band))
    keep = list(range(0, len(labels), step))
    if keep[-1] != len(labels) - 1:
        if len(keep) > 1 and len(labels) - 1 - keep[-1] < step:
            keep.pop()
        keep.append(len(labels) - 1)
    gap = min((b - a for a, b in pairwise(keep)), default=len(labels) + 1)
    chars = min(MAX_LABEL, max(2, int((gap * band - 8) / CHAR_WIDTH)))
    body = "".join(_label(xs[i], y, labels[i], chars) for i in keep)
    return [f'<g class="chart-x-labels" fill="{MUTED}">{body}</g>']


def _series_desc(labels: list[str], values: list[float | None], unit: str) -> str:
    known = [(label, v) for label, v in zip(labels, values, strict=True) if v is not None]
    if not known:
        return "No figures."
    if len(labels) == 1:
        return f"{labels[0]}: {_with_unit(known[0][1], unit)}."
    low, high = min(known, key=lambda p: p[1]), max(known, key=lambda p: p[1])
    span = f"From {labels[0]} to {labels[-1]}"
    if low[1] == high[1]:
        text = f"{span}, constant at {_with_unit(low[1], unit)}."
    else:
        text = f"{span}, ranging from {_num(low[1])} ({low[0]}) to {_with_unit(high[1], unit)} ({high[0]})"
        text += f"; latest {_with_unit(known[-1][1], unit)} ({known[-1][0]})."
    missing = len(labels) - len(known)
    return text + (f" No figure for {missing} of {len(labels)} periods." if missing else "")


def _line_path(coords: list[tuple[float, float] | None]) -> str:
    """One subpath ("M … L …") per run of two or more consecutive figures; a None breaks the line."""
    runs = [list(run) for known, run in groupby(coords, key=lambda c: c is not None) if known]
    d = " ".join("M" + " L".join(f"{c[0]:.1f},{c[1]:.1f}" for c in run if c) for run in runs if len(run) > 1)
    line = f'<path class="chart-line" d="{d}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
    return line if d else ""


def time_series_svg(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """A line chart of figures by period, in the given order; None is a gap in the line, not a zero."""
    labels = [str(label) for label, _ in points]
    values = [_clean(value) for _, value in points]
    present = [v for v in values if v is not None]
    ticks = nice_ticks(max(present, default=0.0))
    box = (_left_margin(ticks), 34.0, width - 24.0, height - 30.0)
    parts, y = _y_axis(ticks, box, unit)
    band = (box[2] - box[0]) / max(len(labels), 1)
    xs = [box[0] + (i + 0.5) * band for i in range(len(labels))]
    parts += _x_labels(labels, xs, band, box[3] + 18)
    if not present:
        parts.append(_no_figures(box))
    coords = [None if v is None else (x, y(v)) for x, v in zip(xs, values, strict=True)]
    parts.append(_line_path(coords))
    radius = min(3.5, max(1.5, band / 3))
    parts.append(f'<g class="chart-markers" fill="{PALETTE[0]}" stroke="#ffffff" stroke-width="1.5">')
    for label, value, coord in zip(labels, values, coords, strict=True):
        if coord is not None:
            parts.append(
                f'<circle class="chart-marker" cx="{coord[0]:.1f}" cy="{coord[1]:.1f}" r="{radius:.1f}">'
                f"<title>{_text(label)}: {_text(_with_unit(value, unit))}</title></circle>"
            )
    parts.append("</g>")
    key = repr((title, unit, width, height, labels, values))
    return _svg(key, title, _series_desc(labels, values, unit), width, height, parts)


def _legend(series: list[str], width: int) -> tuple[list[str], float]:
    """A swatch and name per series, wrapped into rows; returns the parts and the height used."""
    parts, x, row = ['<g class="chart-legend">'], 4.0, 0
    for i, name in enumerate(series):
        shown = _clip(name, MAX_LABEL)
        item = 18 + len(shown) * CHAR_WIDTH + 14
        if x > 4 and x + item > width:
            x, row = 4.0, row + 1
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{4 + row * 18}" width="12" height="12" fill="{colour}" ')
        parts.append(f'stroke="{OUTLINE}" stroke-width="0.5"/>')
        parts.append(f'<text x="{x + 18:.1f}" y="{14 + row * 18}">{_text(shown)}</text>')
        x += item
    parts.append("</g>")
    return parts, (row + 1) * 18.0 if series else 0.0


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
    parts, legend_height = _legend(series, width)
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
