"""Records: idempotent ``PUT``/``GET``/``DELETE`` by the case system's ids, lists, bulk import.

Children, homes, applicants, partners and communities are addressed by their id; episodes by
child and removal date; placements by child, start date and setting (the keys of the folder
format). A ``PUT`` answers ``201`` when it created the record, ``200`` when it replaced or
already held it; ``DELETE`` answers ``204`` whether or not the record was there (a retried
delete is harmless) and ``409`` while other records refer to it.

Each record has a version; ``GET`` and ``PUT`` answer its ``ETag`` (``"v<version>"``).
``PUT`` and ``DELETE`` honour ``If-Match`` (``412`` when the record changed since) and ``PUT``
``If-None-Match: *`` (create only); a ``case_system`` key's ``PUT`` of an existing record
without ``If-Match`` is refused with ``428`` (``FOSTERMATCH_REQUIRE_IF_MATCH``). ``GET``
honours ``If-None-Match`` with ``304``.
"""

# no `from __future__ import annotations`: the route factories below annotate parameters with
# classes held in variables, which FastAPI must see as objects, not as strings

import hashlib
from datetime import date
from typing import Annotated, Any, BinaryIO

from fastapi import (
    APIRouter,
    Depends,
    File,
    Header,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from api.http.auth import RecordsWriter, require
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, SettingsDep
from api.http.idempotency import IdempotencyKeyHeader, Store, answer_once
from api.http.problems import problem_responses
from api.responses import (
    ApplicantPage,
    ApplicantRecord,
    ChildPage,
    ChildRecord,
    CommunityPage,
    CommunityRecord,
    EpisodePage,
    EpisodeRecord,
    HomePage,
    HomeRecord,
    ImportReport,
    PartnerPage,
    PartnerRecord,
    PlacementPage,
    PlacementRecord,
)
from api.schemas import (
    DAY_SCHEMA,
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
    StrictDay,
)
from api.services.audit import audit_read
from api.services.idempotency import Answer
from api.services.keys import Principal
from api.services.preconditions import Preconditions, etag, matches_any
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
from api.settings import Settings
from data.formats import PLACEMENT_SETTINGS
from data.importing import ImportReport as ImportDone

router = APIRouter(prefix="/v1", tags=["records"], route_class=ContractRoute)


# the examples name an episode and a placement of the sample county (`fostermatch demo`)
ChildIdPath = Annotated[
    str,
    Path(min_length=1, max_length=64, description="the case system's id", examples=["C000001"]),
]


def _day(example: str) -> Any:
    """A day in the path, written YYYY-MM-DD, with an example of the sample county."""
    bounds: dict[str, Any] = {"ge": FIRST_DAY, "le": LAST_DAY}  # typed as numbers by FastAPI
    return Path(
        **bounds,
        description="YYYY-MM-DD",
        examples=[example],
        json_schema_extra=DAY_SCHEMA,
    )


RemovedOn = Annotated[date, StrictDay, _day("2015-12-17")]
StartedOn = Annotated[date, StrictDay, _day("2016-04-03")]
# DELETE's example is a day the sample county holds no record for: a harmless 204
AbsentDay = Annotated[date, StrictDay, _day("2026-10-31")]
SettingPath = Annotated[Setting, Path(examples=["foster_home"])]
Limit = Annotated[int, Query(ge=1, le=500, description="records per page (100)")]
After = Annotated[
    str | None, Query(max_length=64, description="the `next` value of the previous page")
]
IfMatch = Annotated[
    str | None,
    Header(
        description='the ETag of the version this write replaces (`"v3"`), or `*`: it exists; '
        "412 when the record is not at that version"
    ),
]
IfNoneMatchPut = Annotated[
    str | None, Header(description="`*`: create only (412 when the record exists)")
]
IfNoneMatchGet = Annotated[
    str | None, Header(description="the ETag the caller holds: 304 while it is current")
]
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"description": "the record; its `ETag` header is its version's"},
    304: {"description": "the record is still at the version `If-None-Match` names"},
    **problem_responses(401, 403, 404),
}
_WRITE_ERRORS = problem_responses(401, 403, 409, 412, 413, 422, 428)
_DELETE_ERRORS = problem_responses(401, 403, 409, 412)


def _page(kind: Kind, rows: list[Any], after: str | None, principal: Principal) -> dict[str, Any]:
    monitoring = principal.role != "coordinator"
    return {
        "items": [record_json(kind, r, monitoring=monitoring) for r in rows],
        "next": after,
    }


def link_next(request: Request, response: Response, after: str | int | None) -> None:
    """``Link: <URL>; rel="next"`` beside a page's ``next`` (the same query, a later page)."""
    if after is not None:
        url = request.url.include_query_params(after=after)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'


def _child_ids(kind: Kind, rows: list[Any]) -> list[str]:
    return [r.id if kind.name == "children" else r.child_id for r in rows]


def _conditions(
    principal: Principal, settings: Settings, if_match: str | None, if_none_match: str | None
) -> Preconditions:
    """The write's conditions; a case system must name the version it replaces when the
    setting says so (the pages and the command line do not write through here)."""
    return Preconditions(
        if_match=if_match,
        if_none_match=if_none_match,
        require_if_match=settings.require_if_match and principal.role == "case_system",
    )


def _put(
    kind: Kind,
    key: dict[str, Any],
    body: BaseModel,
    engine: Engine,
    response: Response,
    principal: Principal,
    conditions: Preconditions,
) -> dict[str, Any]:
    outcome, row = put_record(engine, kind, key, body, principal, conditions)
    response.status_code = status.HTTP_201_CREATED if outcome == "inserted" else 200
    response.headers["X-Record-Outcome"] = outcome
    response.headers["ETag"] = etag(row.version)
    return record_json(kind, row)


def _get(
    kind: Kind,
    key: dict[str, Any],
    engine: Engine,
    principal: Principal,
    if_none_match: str | None,
) -> Response:
    """The record with its ETag, or ``304`` while the caller's copy is current (the read is
    audited either way: the answer confirms what the caller holds)."""
    with Session(engine) as session:
        row = get_record(session, kind, key)
    _audit(engine, principal, kind, f"read_{kind.singular}", [row])
    tag = etag(row.version)
    if if_none_match is not None and matches_any(if_none_match, tag, weak=True):
        return Response(status_code=304, headers={"ETag": tag})
    body = record_json(kind, row, monitoring=principal.role != "coordinator")
    return JSONResponse(body, headers={"ETag": tag})


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


def _id_path(example: str) -> Any:
    return Annotated[
        str,
        Path(min_length=1, max_length=64, description="the case system's id", examples=[example]),
    ]


def _by_id_routes(
    kind: Kind, body_model: type[BaseModel], record_model: type[BaseModel], example_id: str
) -> None:
    """PUT, GET, DELETE on /v1/{kind}/{id} for a kind keyed by its id.

    ``example_id`` is a record of the sample county; DELETE's example is an id it does not
    hold (a delete of a missing record answers 204, and the example stays harmless).
    """
    reader = Annotated[Principal, Depends(require(kind.read_permission))]
    one = kind.singular
    record_id_path = _id_path(example_id)
    missing_id_path = _id_path(example_id[0] + "999999")

    @router.put(
        f"/{kind.name}/{{record_id}}",
        summary=f"Create or replace a {one} (idempotent)",
        response_model=record_model,
        response_model_exclude_unset=True,
        responses={
            201: {"model": record_model, "description": f"the {one} was created"},
            **_WRITE_ERRORS,
        },
        name=f"put_{one}",
    )
    def put(
        record_id: record_id_path,  # type: ignore[valid-type]
        body: body_model,  # type: ignore[valid-type]
        engine: EngineDep,
        settings: SettingsDep,
        response: Response,
        principal: RecordsWriter,
        if_match: IfMatch = None,
        if_none_match: IfNoneMatchPut = None,
    ) -> dict[str, Any]:
        conditions = _conditions(principal, settings, if_match, if_none_match)
        return _put(kind, {"id": record_id}, body, engine, response, principal, conditions)

    @router.get(
        f"/{kind.name}/{{record_id}}",
        summary=f"Read a {one}",
        response_model=record_model,
        response_model_exclude_unset=True,
        responses=_READ_ERRORS,
        name=f"get_{one}",
    )
    def get(
        record_id: record_id_path,  # type: ignore[valid-type]
        engine: EngineDep,
        principal: reader,
        if_none_match: IfNoneMatchGet = None,
    ) -> Response:
        return _get(kind, {"id": record_id}, engine, principal, if_none_match)

    @router.delete(
        f"/{kind.name}/{{record_id}}",
        summary=f"Delete a {one}",
        status_code=204,
        responses=_DELETE_ERRORS,
        name=f"delete_{one}",
    )
    def remove(
        record_id: missing_id_path,  # type: ignore[valid-type]
        engine: EngineDep,
        principal: RecordsWriter,
        if_match: IfMatch = None,
    ) -> Response:
        delete_record(engine, kind, {"id": record_id}, principal, Preconditions(if_match))
        return Response(status_code=204)

    del put, get, remove


_by_id_routes(KINDS["children"], ChildIn, ChildRecord, "C000001")
_by_id_routes(KINDS["homes"], HomeIn, HomeRecord, "H000001")
_by_id_routes(KINDS["applicants"], ApplicantIn, ApplicantRecord, "A00001")
_by_id_routes(KINDS["partners"], PartnerIn, PartnerRecord, "P0001")
_by_id_routes(KINDS["communities"], CommunityIn, CommunityRecord, "1")

# -- episodes: by child and removal date ---------------------------------------------------

_EPISODES = KINDS["episodes"]
_PLACEMENTS = KINDS["placements"]
EpisodeReader = Annotated[Principal, Depends(require(_EPISODES.read_permission))]


@router.put(
    "/episodes/{child_id}/{removed_on}",
    summary="Create or replace an episode (idempotent)",
    response_model=EpisodeRecord,
    response_model_exclude_unset=True,
    responses={
        201: {"model": EpisodeRecord, "description": "the episode was created"},
        **_WRITE_ERRORS,
    },
)
def put_episode(
    child_id: ChildIdPath,
    removed_on: RemovedOn,
    body: EpisodeIn,
    engine: EngineDep,
    settings: SettingsDep,
    response: Response,
    principal: RecordsWriter,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatchPut = None,
) -> dict[str, Any]:
    key = {"child_id": child_id, "removed_on": removed_on}
    conditions = _conditions(principal, settings, if_match, if_none_match)
    return _put(_EPISODES, key, body, engine, response, principal, conditions)


@router.get(
    "/episodes/{child_id}/{removed_on}",
    summary="Read an episode",
    response_model=EpisodeRecord,
    response_model_exclude_unset=True,
    responses=_READ_ERRORS,
)
def get_episode(
    child_id: ChildIdPath,
    removed_on: RemovedOn,
    engine: EngineDep,
    principal: EpisodeReader,
    if_none_match: IfNoneMatchGet = None,
) -> Response:
    key = {"child_id": child_id, "removed_on": removed_on}
    return _get(_EPISODES, key, engine, principal, if_none_match)


@router.delete(
    "/episodes/{child_id}/{removed_on}",
    summary="Delete an episode",
    status_code=204,
    responses=_DELETE_ERRORS,
)
def delete_episode(
    child_id: ChildIdPath,
    removed_on: AbsentDay,
    engine: EngineDep,
    principal: RecordsWriter,
    if_match: IfMatch = None,
) -> Response:
    key = {"child_id": child_id, "removed_on": removed_on}
    delete_record(engine, _EPISODES, key, principal, Preconditions(if_match))
    return Response(status_code=204)


# -- placements: by child, start date and setting -------------------------------------------


@router.put(
    "/placements/{child_id}/{started_on}/{setting}",
    summary="Create or replace a placement (idempotent)",
    response_model=PlacementRecord,
    response_model_exclude_unset=True,
    responses={
        201: {"model": PlacementRecord, "description": "the placement was created"},
        **_WRITE_ERRORS,
    },
)
def put_placement(
    child_id: ChildIdPath,
    started_on: StartedOn,
    setting: SettingPath,
    body: PlacementIn,
    engine: EngineDep,
    settings: SettingsDep,
    response: Response,
    principal: RecordsWriter,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatchPut = None,
) -> dict[str, Any]:
    key = {"child_id": child_id, "started_on": started_on, "setting": setting}
    conditions = _conditions(principal, settings, if_match, if_none_match)
    return _put(_PLACEMENTS, key, body, engine, response, principal, conditions)


@router.get(
    "/placements/{child_id}/{started_on}/{setting}",
    summary="Read a placement",
    response_model=PlacementRecord,
    response_model_exclude_unset=True,
    responses=_READ_ERRORS,
)
def get_placement(
    child_id: ChildIdPath,
    started_on: StartedOn,
    setting: SettingPath,
    engine: EngineDep,
    principal: EpisodeReader,
    if_none_match: IfNoneMatchGet = None,
) -> Response:
    key = {"child_id": child_id, "started_on": started_on, "setting": setting}
    return _get(_PLACEMENTS, key, engine, principal, if_none_match)


@router.delete(
    "/placements/{child_id}/{started_on}/{setting}",
    summary="Delete a placement",
    status_code=204,
    responses=_DELETE_ERRORS,
)
def delete_placement(
    child_id: ChildIdPath,
    started_on: AbsentDay,
    setting: SettingPath,
    engine: EngineDep,
    principal: RecordsWriter,
    if_match: IfMatch = None,
) -> Response:
    key = {"child_id": child_id, "started_on": started_on, "setting": setting}
    delete_record(engine, _PLACEMENTS, key, principal, Preconditions(if_match))
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
    request: Request,
    response: Response,
) -> dict[str, Any]:
    with Session(engine) as session:
        rows, more = list_records(session, kind, filters, after=after, limit=limit)
    _audit(engine, principal, kind, f"list_{kind.name}", rows)
    link_next(request, response, more)
    return _page(kind, rows, more, principal)


_LIST_ERRORS: dict[int | str, dict[str, Any]] = {}


@router.get(
    "/children",
    summary="List children (paged; filters)",
    response_model=ChildPage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_children(
    engine: EngineDep,
    request: Request,
    response: Response,
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
    return _list(engine, principal, KINDS["children"], filters, after, limit, request, response)


@router.get(
    "/homes",
    summary="List homes (paged; filters)",
    response_model=HomePage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_homes(
    engine: EngineDep,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require("homes:read"))],
    status: Annotated[str | None, Query(pattern="^(active|on_hold|closed)$")] = None,
    kind: Annotated[str | None, Query(pattern="^(kin|foster|therapeutic|pre_adoptive)$")] = None,
    community_id: Text = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"status": status, "kind": kind, "community_id": community_id}
    return _list(engine, principal, KINDS["homes"], filters, after, limit, request, response)


@router.get(
    "/episodes",
    summary="List episodes (paged; filters)",
    response_model=EpisodePage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_episodes(
    engine: EngineDep,
    request: Request,
    response: Response,
    principal: EpisodeReader,
    child_id: Text = None,
    open: Annotated[bool | None, Query(description="not discharged yet")] = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    return _list(
        engine,
        principal,
        _EPISODES,
        {"child_id": child_id, "open": open},
        after,
        limit,
        request,
        response,
    )


@router.get(
    "/placements",
    summary="List placements (paged; filters)",
    response_model=PlacementPage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_placements(
    engine: EngineDep,
    request: Request,
    response: Response,
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
    return _list(engine, principal, _PLACEMENTS, filters, after, limit, request, response)


@router.get(
    "/applicants",
    summary="List applicants (paged; filters)",
    response_model=ApplicantPage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_applicants(
    engine: EngineDep,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require("applicants:read"))],
    stage: Annotated[
        str | None, Query(pattern="^(inquiry|application|training|home_study|licensed|withdrawn)$")
    ] = None,
    community_id: Text = None,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    filters = {"stage": stage, "community_id": community_id}
    return _list(engine, principal, KINDS["applicants"], filters, after, limit, request, response)


@router.get(
    "/partners",
    summary="List partner organisations (paged; filters)",
    response_model=PartnerPage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_partners(
    engine: EngineDep,
    request: Request,
    response: Response,
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
    return _list(engine, principal, KINDS["partners"], filters, after, limit, request, response)


@router.get(
    "/communities",
    summary="List communities (paged)",
    response_model=CommunityPage,
    response_model_exclude_unset=True,
    responses=_LIST_ERRORS,
)
def list_communities(
    engine: EngineDep,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require("partners:read"))],
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    return _list(engine, principal, KINDS["communities"], {}, after, limit, request, response)


# -- bulk import -------------------------------------------------------------------------------


@router.post(
    "/imports",
    summary="Import a zipped folder of records (the folder format), all or nothing",
    response_model=ImportReport,
    response_model_exclude_unset=True,
    responses=problem_responses(409, 413, 422),
    name="post_imports",
)
def import_records(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: RecordsWriter,
    file: Annotated[
        UploadFile,
        File(description="a .zip of the folder: communities.geojson, homes.csv, children.csv, ..."),
    ],
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """With an ``Idempotency-Key``, a retry of the same zip gets the first import's report
    (``Idempotent-Replayed: true``) and imports nothing again."""

    def work(store: Store | None) -> Answer:
        def before_commit(session: Session, report: ImportDone) -> None:
            if store is not None:
                store(session, Answer(200, {"imported": True, **report.to_json()}))

        report = import_zip(engine, file.file, principal, before_commit)
        return Answer(200, {"imported": True, **report.to_json()})

    key_hash = _file_hash(file.file) if idempotency_key is not None else ""
    return answer_once(request, engine, settings, principal, idempotency_key, key_hash, work)


def _file_hash(source: BinaryIO) -> str:
    """The SHA-256 of an upload (read in blocks), the file left at its start for the import."""
    digest = hashlib.sha256()
    for block in iter(lambda: source.read(1 << 20), b""):
        digest.update(block)
    source.seek(0)
    return digest.hexdigest()
