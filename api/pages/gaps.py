"""The recruiter's pages: the capacity-gap map (and its CSV, GeoJSON and SVG) and a community."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.http.dependencies import GapsDep, get_gaps
from api.http.problems import status_of
from api.pages.engine_text import language_name_in
from api.pages.i18n import TEXT, format_date, format_number, translate
from api.pages.render import (
    code_translator,
    gate,
    page_lang,
    render,
    router,
)
from api.services.errors import ServiceError
from recruitment.segments import NEEDS, is_segment_value

if TYPE_CHECKING:
    from recruitment.maps import MapText

# the segments every area has; the languages children speak first come from the gaps
SEGMENTS = (
    "all",
    "age:0-5", "age:6-12", "age:13-17",
    "siblings:1", "siblings:2", "siblings:3+",
    "needs:none", *(f"needs:{need}" for need in NEEDS),
)  # fmt: skip
HORIZONS = (6, 12, 24)


# -- recruiter: gaps, a community ---------------------------------------------------------------


def _gap_query(segment: str, horizon: str) -> tuple[str, int]:
    language = segment.startswith("language:") and is_segment_value(segment)
    chosen = segment if segment in SEGMENTS or language else "all"
    months = next((h for h in HORIZONS if horizon == str(h)), 12)
    return chosen, months


def segment_label(key: str, lang: str) -> str:
    """A segment's name in the page's language; a language segment by the language's name."""
    dimension, _, value = key.partition(":")
    if dimension == "language":
        return translate("segment.language", lang, language=language_name_in(value, lang))
    return code_translator(lang)("segment", key)


def page_segments(result: Any) -> list[str]:
    """The segments the page offers: :data:`SEGMENTS` and the languages the gaps found."""
    return [*SEGMENTS, *(s for s in result.segments if s.startswith("language:"))]


def map_text(lang: str) -> MapText:
    """The gap map's words in the page's language: from the table, numbers and days as the
    language writes them, segment and rule names translated where the table has them."""
    from recruitment.maps import MapText

    def t(name: str) -> str:
        return TEXT[f"gapmap.{name}"][lang]

    code = code_translator(lang)
    return MapText(
        heading=t("heading"),
        community=t("community"),
        no_figures=t("no_figures"),
        tip_suppressed=t("tip.suppressed"),
        tip_homes=t("tip.homes"),
        tip_segment=t("tip.segment"),
        tip_gap=t("tip.gap"),
        tip_need=t("tip.need"),
        tip_supply=t("tip.supply"),
        tip_recruit=t("tip.recruit"),
        tip_unmet=t("tip.unmet"),
        legend_title=t("legend.title"),
        legend_subtitle=t("legend.subtitle"),
        class_spare_many=t("class.spare_many"),
        class_spare=t("class.spare"),
        class_even=t("class.even"),
        class_short=t("class.short"),
        class_short_many=t("class.short_many"),
        suppressed=t("suppressed"),
        notes=t("notes"),
        number=lambda value, digits: format_number(value, lang, digits),
        day=lambda value: format_date(value, lang),
        segment=lambda value: segment_label(value, lang),
        rule=lambda value: code("rule", value),
    )


def _gap_map(
    result: Any, index: Any, key: str, lang: str, link: Callable[[str], str] | None = None
) -> str:
    """The gap map as SVG in the page's language (see :func:`map_text`)."""
    from recruitment.maps import svg_map

    return svg_map(result, index, key, text=map_text(lang), link=link)


def _live_map(
    request: Request, result: Any, index: Any, key: str, query: str, link: Callable[[str], str]
) -> dict[str, Any]:
    """What the interactive map's script reads from the page: where the GeoJSON is, the fixed
    classes (colour and label), each community's figures and page, the tile server if any."""
    from recruitment.maps import PALETTE, community_figures, gap_classes

    lang = page_lang(request)
    text = map_text(lang)
    settings = request.app.state.settings
    tiles = None
    if settings.tile_url:
        tiles = {"url": settings.tile_url, "attribution": settings.tile_attribution}
    return {
        "geojson": f"/pages/gaps.geojson?{query}",
        "tiles": tiles,
        "classes": [
            {"colour": c, "label": label}
            for c, label in zip(PALETTE, gap_classes(text), strict=True)
        ],
        "communities": {
            f["id"]: {"lines": f["lines"], "class": f["class"], "href": link(f["id"])}
            for f in community_figures(result, index, key, text)
        },
        "words": {
            "open": translate("gaps.map.open", lang),
            "suppressed": TEXT["gapmap.suppressed"][lang],
        },
    }


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request, gaps: GapsDep, segment: str = "all", horizon: str = "12"
) -> Response:
    who = gate(request, "gaps")
    if isinstance(who, Response):
        return who
    chosen, months = _gap_query(segment, horizon)
    try:
        result, index, key = gaps.gaps(months, chosen, None)
    except ServiceError as exc:
        return render(request, "problem.html", who, status_of(exc), detail=str(exc))
    back = urlencode({"segment": chosen, "horizon": months})

    def link(community_id: str) -> str:
        return f"/pages/communities/{quote(community_id, safe='')}?{back}"

    lang = page_lang(request)
    svg = _gap_map(result, index, key or "all", lang, link)
    svg = svg[svg.index("<svg") :]  # inline: without the XML declaration
    largest = result.largest(15, segment=key or "all").to_dict("records")
    query = urlencode({"segment": chosen, "horizon": months})
    live = _live_map(request, result, index, key or "all", query, link)
    return render(
        request,
        "gaps.html",
        who,
        svg=Markup(svg),  # recruitment.maps escapes every name, tooltip and link
        live=live,
        largest=largest,
        segments=[(s, segment_label(s, lang)) for s in page_segments(result)],
        horizons=HORIZONS,
        segment=chosen,
        horizon=months,
        as_of=result.as_of,
        threshold=result.policy.suppression_threshold,
        query=query,
    )


def _gap_download(
    request: Request,
    segment: str,
    horizon: str,
    render: Callable[[Any, Any, str], str],
    media_type: str,
    filename: str,
) -> Response:
    """The gaps for the chosen segment and horizon as a file, for a role that may see them."""
    who = gate(request, "gaps")
    if isinstance(who, Response):
        return who
    chosen, months = _gap_query(segment, horizon)
    result, index, key = get_gaps(request).gaps(months, chosen, None)
    return Response(
        render(result, index, key or "all"),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/gaps.csv")
def gaps_csv(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    def render(result: Any, _index: Any, key: str) -> str:
        return str(result.to_csv(segment=key))

    return _gap_download(request, segment, horizon, render, "text/csv", "gaps.csv")


@router.get("/gaps.geojson")
def gaps_geojson(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    import json

    from api.http.routers.recruitment import GEOJSON
    from recruitment import gap_geojson

    def render(result: Any, index: Any, key: str) -> str:
        return json.dumps(gap_geojson(result, index, key))

    return _gap_download(request, segment, horizon, render, GEOJSON, "gaps.geojson")


@router.get("/gaps.svg")
def gaps_svg(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    lang = page_lang(request)

    def render(result: Any, index: Any, key: str) -> str:
        return _gap_map(result, index, key, lang)  # a file to keep: no links

    return _gap_download(request, segment, horizon, render, "image/svg+xml", "gaps.svg")


@router.get("/communities/{community_id}", response_class=HTMLResponse)
def community_page(
    request: Request, gaps: GapsDep, community_id: str, segment: str = "all", horizon: str = "12"
) -> Response:
    who = gate(request, "gaps")
    if isinstance(who, Response):
        return who
    chosen, months = _gap_query(segment, horizon)
    result, index, key = gaps.gaps(months, chosen, None)
    if community_id not in index:
        return render(request, "notfound.html", who, 404)
    offered, lang = page_segments(result), page_lang(request)
    rows = [
        {**r, "label": segment_label(r["segment"], lang)}
        for r in result.to_json(community=community_id)["gaps"]
        if r["segment"] in offered
    ]
    name = next(c.name for c in index if c.id == community_id)
    overall = next((r for r in rows if r["segment"] == (key or "all")), None)
    partners = (overall or {}).get("partners") or []
    return render(
        request,
        "community.html",
        who,
        name=name,
        community_id=community_id,
        rows=rows,
        partners=partners,
        horizon=months,
        as_of=result.as_of,
        back=urlencode({"segment": chosen, "horizon": months}),
    )
