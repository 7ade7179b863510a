"""Recruitment capacity gaps: JSON, GeoJSON (``Accept: application/geo+json``) and an SVG map.

Aggregates only, with small cells suppressed by the recruitment engine; never a child-level
record. The gaps are kept per worker until the records change (:mod:`api.services.gaps`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.http.auth import GapReader
from api.http.contract import ContractRoute
from api.http.dependencies import GapsDep
from api.http.problems import problem_responses
from api.responses import GapReport
from api.schemas import DAY_SCHEMA, FIRST_DAY, LAST_DAY, StrictDay
from api.services.errors import invalid

router = APIRouter(prefix="/v1/recruitment", tags=["recruitment"], route_class=ContractRoute)

GEOJSON = "application/geo+json"

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
    date | None,
    StrictDay,
    Query(
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="the day the figures are for",
        json_schema_extra=DAY_SCHEMA,
    ),
]


def _check_community(index: Any, community: str | None) -> None:
    if community is not None and community not in index:
        raise invalid(["query", "community"], f"unknown community {community!r}")


@router.get(
    "/gaps",
    summary="Capacity gaps per community and segment (JSON, or GeoJSON by Accept)",
    responses={
        200: {
            "model": GapReport,
            "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/GapFeatures"}}},
            "description": "the gaps; a FeatureCollection with `Accept: application/geo+json`",
        },
        **problem_responses(404),
    },
)
def get_gaps(
    request: Request,
    principal: GapReader,
    gaps: GapsDep,
    horizon_months: Horizon = 12,
    segment: SegmentQ = None,
    community: CommunityQ = None,
    as_of: AsOf = None,
) -> Response:
    result, index, key_segment = gaps.gaps(horizon_months, segment, as_of)
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
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "a choropleth map",
        },
        **problem_responses(404),
    },
)
def get_gaps_svg(
    request: Request,
    principal: GapReader,
    gaps: GapsDep,
    horizon_months: Horizon = 12,
    segment: SegmentQ = None,
    as_of: AsOf = None,
) -> Response:
    from recruitment import svg_map

    result, index, key_segment = gaps.gaps(horizon_months, segment, as_of)
    return Response(svg_map(result, index, key_segment or "all"), media_type="image/svg+xml")
