"""Records: idempotent ``PUT``/``GET``/``DELETE`` by the case system's ids, lists, bulk import.

Children, homes, applicants, partners and communities are addressed by their id; episodes by
child and removal date; placements by child, start date and setting (the keys of the folder
format). A ``PUT`` answers ``201`` when it created the record, ``200`` when it replaced or
already held it; ``DELETE`` answers ``204`` whether or not the record was there (a retried
delete is harmless) and ``409`` while other records refer to it.
"""

# no `from __future__ import annotations`: the route factories below annotate parameters with
# classes held in variables, which FastAPI must see as objects, not as strings

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from api.http.auth import RecordsWriter, require
from api.http.dependencies import EngineDep
from api.http.problems import problem_responses
from api.schemas import (
    FIRST_DAY,
    LAST_DAY,
    ApplicantIn,
    ChildIn,
    CommunityIn,
    EpisodeIn,
    HomeIn,
    PartnerIn,
    PlacementIn,
    Setting,
)
from api.services.audit import audit_read
from api.services.keys import Principal
from api.services.records import (
    KINDS,
    Kind,
    delete_record,
    get_record,
    import_zip,
    list_records,
    put_record,
    record_json,
)
from data.formats import PLACEMENT_SETTINGS

router = APIRouter(prefix="/v1", tags=["records"])

PathDay = Annotated[date, Path(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD")]
IdPath = Annotated[str, Path(min_length=1, max_length=64, description="the case system's id")]
Limit = Annotated[int, Query(ge=1, le=500, description="records per page (100)")]
After = Annotated[
    str | None, Query(max_length=64, description="the `next` value of the previous page")
]
_READ_ERRORS = problem_responses(401, 403, 404)
_WRITE_ERRORS = problem_responses(401, 403, 409, 413, 422)


def _page(kind: Kind, rows: list[Any], after: str | None, principal: Principal) -> dict[str, Any]:
    monitoring = principal.role != "coordinator"
    return {
        "items": [record_json(kind, r, monitoring=monitoring) for r in rows],
        "next": after,
    }


def _child_ids(kind: Kind, rows: list[Any]) -> list[str]:
    return [r.id if kind.name == "children" else r.child_id for r in rows]


def _written(response: Response, outcome: str) -> None:
    response.status_code = status.HTTP_201_CREATED if outcome == "inserted" else 200
    response.headers["X-Record-Outcome"] = outcome


def _audit(
    engine: Engine,
    principal: Principal,
    kind: Kind,
    action: str,
    rows: list[Any],
    detail: str | None = None,
) -> None:
    if kind.child_level:
        audit_read(
            engine,
            principal,
            action,
            kind.singular,
            _child_ids(kind, rows),
            detail,
        )


def _by_id_routes(kind: Kind, body_model: type[BaseModel]) -> None:
    """PUT, GET, DELETE on /v1/{kind}/{id} for a kind keyed by its id."""
    reader = Annotated[Principal, Depends(require(kind.read_permission))]
    one = kind.singular

    @router.put(
        f"/{kind.name}/{{record_id}}",
        summary=f"Create or replace a {one} (idempotent)",
        responses={201: {"description": f"the {one} was created"}, **_WRITE_ERRORS},
        name=f"put_{one}",
    )
    def put(
        record_id: IdPath,
        body: body_model,  # type: ignore[valid-type]
        engine: EngineDep,
        response: Response,
        principal: RecordsWriter,
    ) -> dict[str, Any]:
        outcome, row = put_record(engine, kind, {"id": record_id}, body, principal)
        _written(response, outcome)
        return record_json(kind, row)

    @router.get(
        f"/{kind.name}/{{record_id}}",
        summary=f"Read a {one}",
        responses=_READ_ERRORS,
        name=f"get_{one}",
    )
    def get(record_id: IdPath, engine: EngineDep, principal: reader) -> dict[str, Any]:
        with Session(engine) as session:
            row = get_record(session, kind, {"id": record_id})
        _audit(engine, principal, kind, f"read_{one}", [row])
        return record_json(kind, row, monitoring=principal.role != "coordinator")

    @router.delete(
        f"/{kind.name}/{{record_id}}",
        summary=f"Delete a {one}",
        status_code=204,
        responses=problem_responses(401, 403, 409),
        name=f"delete_{one}",
    )
    def remove(record_id: IdPath, engine: EngineDep, principal: RecordsWriter) -> Response:
        delete_record(engine, kind, {"id": record_id}, principal)
        return Response(status_code=204)

    del put, get, remove


_by_id_routes(KINDS["children"], ChildIn)
_by_id_routes(KINDS["homes"], HomeIn)
_by_id_routes(KINDS["applicants"], ApplicantIn)
_by_id_routes(KINDS["partners"], PartnerIn)
_by_id_routes(KINDS["communities"], CommunityIn)

# -- episodes: by child and removal date ---------------------------------------------------

_EPISODES = KINDS["episodes"]
_PLACEMENTS = KINDS["placements"]
EpisodeReader = Annotated[Principal, Depends(require(_EPISODES.read_permission))]


@router.put(
    "/episodes/{child_id}/{removed_on}",
    summary="Create or replace an episode (idempotent)",
    responses={201: {"description": "the episode was created"}, **_WRITE_ERRORS},
)
def put_episode(
    child_id: IdPath,
    removed_on: PathDay,
    body: EpisodeIn,
    engine: EngineDep,
    response: Response,
    principal: RecordsWriter,
) -> dict[str, Any]:
    key = {"child_id": child_id, "removed_on": removed_on}
    outcome, row = put_record(engine, _EPISODES, key, body, principal)
    _written(response, outcome)
    return record_json(_EPISODES, row)


@router.get("/episodes/{child_id}/{removed_on}", summary="Read an episode", responses=_READ_ERRORS)
def get_episode(
    child_id: IdPath, removed_on: PathDay, engine: EngineDep, principal: EpisodeReader
) -> dict[str, Any]:
    with Session(engine) as session:
        row = get_record(session, _EPISODES, {"child_id": child_id, "removed_on": removed_on})
    _audit(engine, principal, _EPISODES, "read_episode", [row])
    return record_json(_EPISODES, row)


@router.delete(
    "/episodes/{child_id}/{removed_on}",
    summary="Delete an episode",
    status_code=204,
    responses=problem_responses(401, 403, 409),
)
def delete_episode(
    child_id: IdPath, removed_on: PathDay, engine: EngineDep, principal: RecordsWriter
) -> Response:
    key = {"child_id": child_id, "removed_on": removed_on}
    delete_record(engine, _EPISODES, key, principal)
    return Response(status_code=204)


# -- placements: by child, start date and setting -------------------------------------------


@router.put(
    "/placements/{child_id}/{started_on}/{setting}",
    summary="Create or replace a placement (idempotent)",
    responses={201: {"description": "the placement was created"}, **_WRITE_ERRORS},
)
def put_placement(
    child_id: IdPath,
    started_on: PathDay,
    setting: Setting,
    body: PlacementIn,
    engine: EngineDep,
    response: Response,
    principal: RecordsWriter,
) -> dict[str, Any]:
    key = {"child_id": child_id, "started_on": started_on, "setting": setting}
    outcome, row = put_record(engine, _PLACEMENTS, key, body, principal)
    _written(response, outcome)
    return record_json(_PLACEMENTS, row)


@router.get(
    "/placements/{child_id}/{started_on}/{setting}",
    summary="Read a placement",
    responses=_READ_ERRORS,
)
def get_placement(
    child_id: IdPath,
    started_on: PathDay,
    setting: Setting,
    engine: EngineDep,
    principal: EpisodeReader,
) -> dict[str, Any]:
    key = {"child_id": child_id, "started_on": started_on, "setting": setting}
    with Session(engine) as session:
        row = get_record(session, _PLACEMENTS, key)
    _audit(engine, principal, _PLACEMENTS, "read_placement", [row])
    return record_json(_PLACEMENTS, row)


@router.delete(
    "/placements/{child_id}/{started_on}/{setting}",
    summary="Delete a placement",
    status_code=204,
    responses=problem_responses(401, 403, 409),
)
def delete_placement(
    child_id: IdPath,
    started_on: PathDay,
    setting: Setting,
    engine: EngineDep,
    principal: RecordsWriter,
) -> Response:
    key = {"child_id": child_id, "started_on": started_on, "setting": setting}
    delete_record(engine, _PLACEMENTS, key, principal)
    return Response(status_code=204)


# -- lists -------------------------------------------------------------------------------------

Bool = Annotated[bool | None, Query()]
Text = Annotated[str | None, Query(max_length=64)]


def _list(
    engine: Engine,
    principal: Principal,
    kind: Kind,
    filters: dict[str, Any],
    after: str | None,
    limit: int,
) -> dict[str, Any]:
    with Session(engine) as session:
        rows, more = list_records(session, kind, filters, after=after, limit=limit)
    _audit(engine, principal, kind, f"list_{kind.name}", rows)
    return _page(kind, rows, more, principal)


_LIST_ERRORS = problem_responses(401, 403, 422)


@router.get("/children", summary="List children (paged; filters)", responses=_LIST_ERRORS)
def list_children(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(require("children:read"))],
    waiting: Annotated[
        bool | None, Query(description="waiting for a family home: in care, not in one")
    ] = None,
    in_care: Annotated[bool | None, Query(description="with an open episode")] = None,
    sibling_group: Text = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"waiting": waiting, "in_care": in_care, "sibling_group_id": sibling_group}
    return _list(engine, principal, KINDS["children"], filters, after, limit)


@router.get("/homes", summary="List homes (paged; filters)", responses=_LIST_ERRORS)
def list_homes(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(require("homes:read"))],
    status: Annotated[str | None, Query(pattern="^(active|on_hold|closed)$")] = None,
    kind: Annotated[str | None, Query(pattern="^(kin|foster|therapeutic|pre_adoptive)$")] = None,
    community_id: Text = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"status": status, "kind": kind, "community_id": community_id}
    return _list(engine, principal, KINDS["homes"], filters, after, limit)


@router.get("/episodes", summary="List episodes (paged; filters)", responses=_LIST_ERRORS)
def list_episodes(
    engine: EngineDep,
    principal: EpisodeReader,
    child_id: Text = None,
    open: Annotated[bool | None, Query(description="not discharged yet")] = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    return _list(engine, principal, _EPISODES, {"child_id": child_id, "open": open}, after, limit)


@router.get("/placements", summary="List placements (paged; filters)", responses=_LIST_ERRORS)
def list_placements(
    engine: EngineDep,
    principal: EpisodeReader,
    child_id: Text = None,
    home_id: Text = None,
    setting: Annotated[
        str | None, Query(pattern="^(" + "|".join(PLACEMENT_SETTINGS) + ")$")
    ] = None,
    open: Annotated[bool | None, Query(description="not ended yet")] = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"child_id": child_id, "home_id": home_id, "setting": setting, "open": open}
    return _list(engine, principal, _PLACEMENTS, filters, after, limit)


@router.get("/applicants", summary="List applicants (paged; filters)", responses=_LIST_ERRORS)
def list_applicants(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(require("applicants:read"))],
    stage: Annotated[
        str | None, Query(pattern="^(inquiry|application|training|home_study|licensed|withdrawn)$")
    ] = None,
    community_id: Text = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"stage": stage, "community_id": community_id}
    return _list(engine, principal, KINDS["applicants"], filters, after, limit)


@router.get(
    "/partners", summary="List partner organisations (paged; filters)", responses=_LIST_ERRORS
)
def list_partners(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(require("partners:read"))],
    kind: Annotated[
        str | None,
        Query(pattern="^(faith|school|community_centre|health|cultural_association|other)$"),
    ] = None,
    community_id: Text = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"kind": kind, "community_id": community_id}
    return _list(engine, principal, KINDS["partners"], filters, after, limit)


@router.get("/communities", summary="List communities (paged)", responses=_LIST_ERRORS)
def list_communities(
    engine: EngineDep,
    principal: Annotated[Principal, Depends(require("partners:read"))],
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    return _list(engine, principal, KINDS["communities"], {}, after, limit)


# -- bulk import -------------------------------------------------------------------------------


@router.post(
    "/imports",
    summary="Import a zipped folder of records (the folder format), all or nothing",
    responses=_WRITE_ERRORS,
)
def import_records(
    engine: EngineDep,
    principal: RecordsWriter,
    file: Annotated[
        UploadFile,
        File(description="a .zip of the folder: communities.geojson, homes.csv, children.csv, ..."),
    ],
) -> dict[str, Any]:
    report = import_zip(engine, file.file, principal)
    return {"imported": True, **report.to_json()}
