"""Recruitment capacity gaps: JSON, GeoJSON (``Accept: application/geo+json``) and an SVG map.

Aggregates only, with small cells suppressed by the recruitment engine; never a child-level
record. Computing the gaps ranks every waiting child (for unmet demand), so results are kept
per worker until the records change (the change counter), keyed by their options.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from api.http.problems import Problem, invalid, problem_responses
from api.schemas import FIRST_DAY, LAST_DAY
from api.services.keys import GapReader
from api.services.snapshots import records_version

router = APIRouter(prefix="/v1/recruitment", tags=["recruitment"])

GEOJSON = "application/geo+json"
_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 8

Horizon = Annotated[int, Query(ge=1, le=120, description="months ahead (12)")]
SegmentQ = Annotated[
    str | None,
    Query(
        max_length=100,
        description='"all" or dim:value[,dim:value]: age:0-5|6-12|13-17, siblings:1|2|3+, '
        "needs:none|medical|..., language:CODE",
    ),
]
CommunityQ = Annotated[str | None, Query(max_length=64, description="one community only")]
AsOf = Annotated[
    date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="the day the figures are for")
]


def cached_gaps(
    request: Request, horizon: int, segment: str | None, as_of: date | None
) -> tuple[Any, Any, str | None]:
    """The gaps for a horizon and segment: (result, community index, segment key).

    Kept per worker until the records change (the change counter), so the API and the
    recruiter's pages share one computation.
    """
    from api.services.recruitment import load_recruitment_inputs
    from recruitment import compute_gaps, load_policy, parse_segment

    key_segment = None
    if segment is not None:
        try:
            key_segment = parse_segment(segment).key
        except ValueError as exc:
            raise invalid(["query", "segment"], str(exc)) from None
    engine = request.app.state.engine
    with Session(engine) as session:
        version = records_version(session)
        key = (id(engine), version, horizon, key_segment, as_of)
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return (*_cache[key], key_segment)
        try:
            data = load_recruitment_inputs(session, as_of=as_of)
        except LookupError as exc:
            raise Problem(404, str(exc)) from None
    result = compute_gaps(
        data.inputs, load_policy(), horizon_months=horizon, segments=[key_segment or "all"]
    )
    with _cache_lock:
        _cache[key] = (result, data.index)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result, data.index, key_segment


def _check_community(index: Any, community: str | None) -> None:
    if community is not None and community not in index:
        raise invalid(["query", "community"], f"unknown community {community!r}")


@router.get(
    "/gaps",
    summary="Capacity gaps per community and segment (JSON, or GeoJSON by Accept)",
    responses={
        200: {
            "content": {
                "application/json": {},
                GEOJSON: {"schema": {"type": "object"}},
            },
            "description": "the gaps; a FeatureCollection with `Accept: application/geo+json`",
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def get_gaps(
    request: Request,
    principal: GapReader,
    horizon_months: Horizon = 12,
    segment: SegmentQ = None,
    community: CommunityQ = None,
    as_of: AsOf = None,
) -> Response:
    result, index, key_segment = cached_gaps(request, horizon_months, segment, as_of)
    _check_community(index, community)
    if GEOJSON in request.headers.get("accept", ""):
        from recruitment import gap_geojson

        return JSONResponse(gap_geojson(result, index, key_segment or "all"), media_type=GEOJSON)
    return JSONResponse(result.to_json(segment=key_segment, community=community))


@router.get(
    "/gaps.svg",
    summary="The capacity-gap map as SVG (one segment; default all children)",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "a choropleth map"},
        **problem_responses(401, 403, 404, 422),
    },
)
def get_gaps_svg(
    request: Request,
    principal: GapReader,
    horizon_months: Horizon = 12,
    segment: SegmentQ = None,
    as_of: AsOf = None,
) -> Response:
    from recruitment import svg_map

    result, index, key_segment = cached_gaps(request, horizon_months, segment, as_of)
    return Response(svg_map(result, index, key_segment or "all"), media_type="image/svg+xml")
