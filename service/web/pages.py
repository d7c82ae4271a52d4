"""Pages people read: the home page, the lists of areas and data sets, and the area and data set pages."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, current_app, render_template, send_from_directory, url_for
from markupsafe import Markup

from mappa_kb import uris
from mappa_kb.engine.interface import Store
from mappa_kb.knowledge import charts, queries, statistics
from mappa_kb.knowledge.resources import Resource
from mappa_kb.negotiation import HTML, JSON
from mappa_kb.web.glossary import glossary
from mappa_kb.web.responses import negotiate, represent
from mappa_kb.web.store_watch import current_store

blueprint = Blueprint("pages", __name__)
SNAPSHOT = "eligible-snapshot"
YEARLY = "level23-yearly"
LEVEL_NAMES = {"1": "Level 1", "2": "Level 2", "3": "Level 3", "2-and-3": "Levels 2 and 3", "all": "Total"}
CATEGORY_NAMES = {
    "1": "Category 1",
    "2": "Category 2",
    "3": "Category 3",
    "4": "Category 4",
    "2-and-3": "Categories 2 and 3",
    "all": "Total",
}


def _store_and_base() -> tuple[Store, str]:
    return current_store(), current_app.config["MAPPA_SETTINGS"].base_uri


def _areas() -> list[dict[str, str]]:
    store, base = _store_and_base()
    return queries.select(store, "areas", base)


def _datasets() -> list[dict[str, str]]:
    store, base = _store_and_base()
    return queries.select(store, "datasets", base)


@blueprint.route("/")
def home() -> Response:
    areas, datasets = _areas(), _datasets()
    page = render_template(
        "home.html",
        areas=sum(1 for a in areas if int(a["datasets"] or 0) > 0),
        datasets=len(datasets),
        concepts=len(glossary()),
        figures=sum(int(d["figures"] or 0) for d in datasets),
    )
    return Response(page, mimetype="text/html")


@blueprint.route("/areas")
def areas() -> Response:
    found = _areas()
    return represent(
        negotiate((HTML, JSON)),
        data=lambda: [{"uri": a["area"], "label": a["label"], "datasets": int(a["datasets"])} for a in found],
        page=lambda: render_template("areas.html", areas=found),
    )


@blueprint.route("/datasets")
def datasets() -> Response:
    found = _datasets()
    return represent(
        negotiate((HTML, JSON)),
        data=lambda: [
            {"uri": d["dataset"], "title": d["title"], "area": d["area"], "figures": int(d["figures"])}
            for d in found
        ],
        page=lambda: render_template("datasets.html", datasets=found),
    )


@blueprint.route("/embed.js")
def embed_script() -> Response:
    response = send_from_directory(current_app.static_folder or "", "embed.js", max_age=3600)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return response


@blueprint.route("/embed/demo")
def embed_demo() -> Response:
    return Response(render_template("embed-demo.html"), mimetype="text/html")


# --- area and data set pages (their IRIs are served by the linked-data blueprint) --------------------


def render_area_page(resource: Resource) -> str:
    store, base = _store_and_base()
    found = statistics.figures(store, base, area=resource.iri)
    years = statistics.years(found)
    return render_template(
        "area.html",
        resource=resource,
        years=years,
        headline=_totals_by_year(found),
        disputed=sorted((f for f in found if f.disputed), key=lambda f: (f.year_end, f.statistic_label)),
        figures=sorted(found, key=lambda f: (f.statistic_label, f.level, f.category, f.year_end)),
        datasets=sorted({(f.year_end, f.dataset) for f in found}),
        charts=_area_charts(found, base),
        names={
            **{f"l{k}": v for k, v in LEVEL_NAMES.items()},
            **{f"c{k}": v for k, v in CATEGORY_NAMES.items()},
        },
        show=statistics.format_value,
        conflicts_link=lambda f: _conflicts_link(f.dataset, base) or "",
    )


def _totals_by_year(found: list[statistics.Figure]) -> list[tuple[str, dict[int, statistics.Figure]]]:
    """A row per statistic and category of its totals over levels, by year: one statistic and one
    category to a row, never two mixed in one."""
    rows = []
    for statistic in _charted_statistics(found):
        cells = _total_cells(found, statistic)
        for category in statistics.CATEGORY_ORDER:
            by_year = {f.year_end: f for f in cells if f.category == category}
            if by_year:
                label = next(iter(by_year.values())).statistic_label
                rows.append((f"{label}: {_series_name(category)}", by_year))
    return rows


CONFLICTS_ANCHOR = "conflicts"  # the id of the data set page's list of cells that sources give differently


def _area_charts(found: list[statistics.Figure], base: str) -> list[tuple[str, Markup]]:
    """A chart per statistic, with a line per category of its all-levels total: (caption, SVG).
    A disputed figure links to the anchor on its data set's page where the sources are compared."""
    made = []
    for statistic in _charted_statistics(found):
        cells = _total_cells(found, statistic)
        if not cells:
            continue
        caption = cells[0].statistic_label + (", Levels 2 and 3" if cells[0].level == "2-and-3" else "")
        series = _category_series(cells, base)
        svg = charts.time_chart_svg(series, title=caption, unit=_unit(statistic), step=1.0)
        made.append((caption, Markup(svg)))
    return made


def _charted_statistics(found: list[statistics.Figure]) -> list[str]:
    """The statistics of the report tables: the headline ones first, then the others by label."""
    labels = {f.statistic: f.statistic_label for f in found if not f.outside_tables}
    return sorted(labels, key=lambda iri: (_headline_rank(iri), labels[iri], iri))


def _headline_rank(statistic: str) -> int:
    headline = (SNAPSHOT, YEARLY, "rso-per-100k")
    slug = statistic.rsplit("/", 1)[-1]
    return headline.index(slug) if slug in headline else len(headline)


def _total_cells(found: list[statistics.Figure], statistic: str) -> list[statistics.Figure]:
    """A statistic's all-levels cells: level "all", or "2-and-3" for one counted over Levels 2 and 3 only."""
    cells = [f for f in found if f.statistic == statistic]
    for level in ("all", "2-and-3"):
        at_level = [f for f in cells if f.level == level]
        if at_level:
            return at_level
    return []


def _category_series(cells: list[statistics.Figure], base: str) -> list[charts.Series]:
    """A line per category, in the reports' order: two categories are never one line."""
    by_category: dict[str, list[statistics.Figure]] = {}
    for figure in sorted(cells, key=lambda f: f.year_end):
        by_category.setdefault(figure.category, []).append(figure)
    order = statistics.CATEGORY_ORDER
    ranked = sorted(by_category, key=lambda c: (order.index(c) if c in order else len(order), c))
    return [
        charts.Series(_series_name(category), [_point(f, base) for f in by_category[category]])
        for category in ranked
    ]


def _series_name(category: str) -> str:
    return "All categories" if category == "all" else CATEGORY_NAMES.get(category, f"Category {category}")


def _point(figure: statistics.Figure, base: str) -> charts.Point:
    # Every period here ends on 31 March of year_end, so year_end is proportional to the end date.
    return charts.Point(
        at=float(figure.year_end),
        label=_year(figure.year_end),
        value=_number(figure),
        breaks=figure.status == "break",
        disputed=figure.disputed,
        link=_conflicts_link(figure.dataset, base) if figure.disputed else None,
        note=figure.status if figure.status in ("estimated", "provisional") else "",
    )


def _conflicts_link(dataset: str, base: str) -> str | None:
    """The anchor on a data set's page where its figures that other sources give differently are listed."""
    if not dataset.startswith(base + "id/"):
        return None
    return url_for("linked_data.document", path=dataset[len(base) + 3 :], _anchor=CONFLICTS_ANCHOR)


def _unit(statistic: str) -> str:
    """What a statistic counts (its mcube:unit), as the chart's axis says it."""
    slug = statistic.rsplit("/", 1)[-1]
    if slug.endswith("per-100k"):
        return "per 100,000 population"
    return "orders" if slug.startswith("orders-") else "offenders"


def _year(year_end: int) -> str:
    return f"{year_end - 1}/{year_end % 100:02d}"


PUBLISHED_DATA_SET = "https://w3id.org/mappa-kb/def/cube/PublishedDataSet"


def render_dataset_page(resource: Resource) -> str:
    """A headline data set (one figure per cell), or one source's data set as it published it."""
    store, base = _store_and_base()
    published = any(t.text == uris.rebase(PUBLISHED_DATA_SET, base) for t in resource.types)
    found = statistics.figures(store, base, dataset=resource.iri, published=published)
    tables = statistics.tables(found)
    return render_template(
        "dataset.html",
        resource=resource,
        published=published,
        disagreements={} if published else statistics.disagreements(store, base, resource.iri),
        show_published=lambda says: statistics.format_value(None if says == "-" else Decimal(says)),
        cells={f.observation: f for f in found},
        others=statistics.outside_tables(found),
        tables=tables,
        levels=LEVEL_NAMES,
        categories=CATEGORY_NAMES,
        charts=_dataset_charts(tables),
        show=statistics.format_value,
        csv=url_for("publication.dataset_csv", slug=resource.iri.rstrip("/").rsplit("/", 1)[-1]),
    )


def _dataset_charts(tables: list[statistics.Table]) -> list[tuple[str, Markup]]:
    """The category-by-level breakdown of the eligible offenders: (caption, SVG)."""
    made = []
    for table in tables:
        if not table.statistic.endswith("/" + SNAPSHOT):
            continue
        levels = [level for level in table.levels if level != "all"]
        groups = [
            (
                CATEGORY_NAMES[category],
                [(LEVEL_NAMES[level], _number(table.cell(category, level))) for level in levels],
            )
            for category in table.categories
            if category != "all"
        ]
        if groups and levels:
            title = f"{table.label}, by category and level"
            svg = charts.grouped_bars_svg(groups, title=title, unit=_unit(table.statistic))
            made.append((title, Markup(svg)))
    return made


def _number(figure: statistics.Figure | None) -> float | None:
    """A figure as a float, or None for no figure: a cell not collected or not applicable is a gap,
    never a zero, whatever value it carries."""
    if figure is None or figure.value is None or figure.status in ("not-collected", "not-applicable"):
        return None
    return float(figure.value)
