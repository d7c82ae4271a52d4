"""Pages people read: the home page, the lists of areas and data sets, and the area and data set pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory, url_for
from markupsafe import Markup

from .. import charts, queries, statistics
from ..negotiation import HTML, JSON
from ..resources import Resource
from ..store import Store
from .glossary import glossary
from .responses import negotiate, represent
from .store_watch import current_store

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
    headline = [
        (label, statistics.totals(found, statistic))
        for label, statistic in sorted(
            {(f.statistic_label, f.statistic) for f in found if not f.outside_tables}
        )
    ]
    return render_template(
        "area.html",
        resource=resource,
        years=years,
        headline=headline,
        figures=sorted(found, key=lambda f: (f.statistic_label, f.level, f.category, f.year_end)),
        datasets=sorted({(f.year_end, f.dataset) for f in found}),
        charts=_area_charts(found, years),
        names={
            **{f"l{k}": v for k, v in LEVEL_NAMES.items()},
            **{f"c{k}": v for k, v in CATEGORY_NAMES.items()},
        },
        show=statistics.format_value,
    )


def _area_charts(found: list[statistics.Figure], years: list[int]) -> list[tuple[str, Markup]]:
    """A time series of each headline statistic's total: (caption, SVG)."""
    made = []
    for statistic in (SNAPSHOT, YEARLY):
        chosen = statistics.totals(found, _statistic_iri(found, statistic))
        if chosen:
            label = next(iter(chosen.values())).statistic_label
            points = [(_year(y), _number(chosen.get(y))) for y in years]
            made.append((label, Markup(charts.time_series_svg(points, title=label, unit="people"))))
    return made


def _statistic_iri(found: list[statistics.Figure], slug: str) -> str:
    return next((f.statistic for f in found if f.statistic.endswith("/" + slug)), "")


def _year(year_end: int) -> str:
    return f"{year_end - 1}/{year_end % 100:02d}"


def render_dataset_page(resource: Resource) -> str:
    store, base = _store_and_base()
    found = statistics.figures(store, base, dataset=resource.iri)
    tables = statistics.tables(found)
    return render_template(
        "dataset.html",
        resource=resource,
        disagreements=statistics.disagreements(store, base, resource.iri),
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
            made.append((title, Markup(charts.grouped_bars_svg(groups, title=title, unit="people"))))
    return made


def _number(figure: statistics.Figure | None) -> float | None:
    return float(figure.value) if figure is not None and figure.value is not None else None
