"""A client generated from the OpenAPI document, as an integrator generates it, drives the API.

openapi-python-client turns docs/openapi.json into a typed Python package; the test fails on
any generator warning (a warning means a part of the API is missing from the client), then
imports the package and runs a case system's flow over HTTP against the sample county, reading
only typed attributes of the answers, never dict keys.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine

from api.http.app import create_app
from tests.helpers.auth import make_keys
from tests.helpers.server import serve

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "fostermatch_client"
# the generator reads JSON and +json bodies and text/*; the SVG map is bytes to the client
CONFIG = "content_type_overrides:\n  image/svg+xml: application/octet-stream\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from docs/openapi.json, imported."""
    root = tmp_path_factory.mktemp("client")
    config = root / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(ROOT / "docs" / "openapi.json"),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        # its post-generation hook formats the package with ruff: from this environment
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def base_url(county_engine: Engine) -> Iterator[tuple[str, str]]:
    """The API over a writable copy of the sample county on loopback, running plans; an
    admin key."""
    key = make_keys(county_engine)["admin"]
    with serve(create_app(county_engine)) as url:
        yield url, key


def _module(client_package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{client_package.__name__}.{name}")


def test_the_generated_client_runs_the_integration_flow(
    generated: ModuleType, base_url: tuple[str, str]
) -> None:
    """Upsert a child (and update it with If-Match) and an episode, list homes, rank, plan
    and poll, decide, read the placements back: every answer a typed model of the generated
    package."""
    url, key = base_url
    models = _module(generated, "models")
    records = _module(generated, "api.records")
    matching = _module(generated, "api.matching")
    decisions = _module(generated, "api.decisions")
    with generated.AuthenticatedClient(base_url=url, token=key) as client:
        _integrate(client, models, records, matching, decisions)


def _integrate(client: Any, models: Any, records: Any, matching: Any, decisions: Any) -> None:

    # upsert a child and an episode (201 with the record, then 200 on a repeat)
    child = models.ChildIn.from_dict(
        {"birth_date": "2014-05-06", "sex": "female", "languages": ["en"], "needs": []}
    )
    put_child = importlib.import_module(f"{records.__name__}.put_child")
    created = put_child.sync_detailed("C900001", client=client, body=child)
    assert created.status_code == 201
    assert created.headers["x-record-outcome"] == "inserted"
    assert isinstance(created.parsed, models.ChildRecord)
    assert created.parsed.id == "C900001" and created.parsed.birth_date == date(2014, 5, 6)
    again = put_child.sync_detailed("C900001", client=client, body=child)
    assert again.status_code == 200 and isinstance(again.parsed, models.ChildRecord)

    # read it, change it naming the version read (If-Match), and be refused with a stale one
    get_child = importlib.import_module(f"{records.__name__}.get_child")
    read = get_child.sync_detailed("C900001", client=client)
    assert isinstance(read.parsed, models.ChildRecord) and read.parsed.version == 1
    assert read.headers["etag"] == '"v1"'
    changed = models.ChildIn.from_dict({**child.to_dict(), "languages": ["en", "es"]})
    updated = put_child.sync_detailed(
        "C900001", client=client, body=changed, if_match=read.headers["etag"]
    )
    assert updated.status_code == 200 and isinstance(updated.parsed, models.ChildRecord)
    assert updated.parsed.version == 2 and updated.headers["etag"] == '"v2"'
    stale = put_child.sync("C900001", client=client, body=child, if_match=read.headers["etag"])
    assert isinstance(stale, models.Problem) and stale.status == 412
    assert stale.current_etag == '"v2"'
    episode = models.EpisodeIn(removal_latitude=41.85, removal_longitude=-87.68)
    put_episode = importlib.import_module(f"{records.__name__}.put_episode")
    stay = put_episode.sync("C900001", date(2026, 10, 1), client=client, body=episode)
    assert isinstance(stay, models.EpisodeRecord)
    assert stay.child_id == "C900001" and stay.removal_community_id

    # list homes: a typed page with the next page's key
    list_homes = importlib.import_module(f"{records.__name__}.list_homes")
    page = list_homes.sync_detailed(client=client, status="active", limit=5)
    assert isinstance(page.parsed, models.HomePage) and len(page.parsed.items) == 5
    assert page.headers["link"].endswith('rel="next"') and isinstance(page.parsed.next_, str)
    assert all(isinstance(home, models.HomeRecord) for home in page.parsed.items)

    # rank the homes for the new child
    post_matches = importlib.import_module(f"{matching.__name__}.post_matches")
    ranked = post_matches.sync(
        client=client,
        body=models.MatchRequest(child_id="C900001", limit=3, as_of=date(2026, 10, 31)),
    )
    assert isinstance(ranked, models.MatchResult), ranked
    assert ranked.children == ["C900001"] and ranked.candidates
    best = ranked.candidates[0]
    assert isinstance(best, models.Candidate) and best.rank == 1
    assert all(isinstance(f, models.Factor) for f in best.factors)

    # start a plan and poll it until it is done
    post_plans = importlib.import_module(f"{matching.__name__}.post_plans")
    started = post_plans.sync_detailed(
        client=client,
        body=models.PlanRequest(time_limit_s=5.0, as_of=date(2026, 10, 31), baseline="greedy"),
    )
    assert started.status_code == 202 and isinstance(started.parsed, models.PlanJob)
    assert started.headers["location"] == f"/v1/plans/{started.parsed.id}"
    get_plan = importlib.import_module(f"{matching.__name__}.get_plan")
    job = started.parsed
    for _ in range(600):
        job = get_plan.sync(started.parsed.id, client=client)
        assert isinstance(job, models.PlanJob)
        if job.status.value in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job.status.value == "done", job.error
    assert isinstance(job.result, models.PlanResult)
    assert job.result.summary.children > 0
    assert any(a.child_id == "C900001" for a in job.result.assignments) or any(
        u.child_id == "C900001" for u in job.result.unplaced
    )

    # record the team's decision for the top-ranked home
    decision = models.DecisionIn(
        placements=[models.DecidedPlacement(child_id="C900001", home_id=best.home_id)],
        participants=[models.Participant(role=models.ParticipantRole("caseworker"))],
        options_shown=[c.home_id for c in ranked.candidates],
        started_on=date(2026, 10, 31),
    )
    post_decisions = importlib.import_module(f"{decisions.__name__}.post_decisions")
    decided = post_decisions.sync(client=client, body=decision)
    assert isinstance(decided, models.Decision), decided
    assert decided.placements[0].home_id == best.home_id and decided.ended == []

    # read the placements back
    list_placements = importlib.import_module(f"{records.__name__}.list_placements")
    placed = list_placements.sync(client=client, child_id="C900001")
    assert isinstance(placed, models.PlacementPage)
    assert [(p.home_id, p.setting.value) for p in placed.items] == [(best.home_id, "foster_home")]

    # an error is a typed Problem, with the fields at fault
    refused = put_child.sync(
        "C900002",
        client=client,
        body=models.ChildIn.from_dict(
            {
                "birth_date": "2014-05-06",
                "sex": "female",
                "sibling_group": "G-none",
                "separate_from": ["nobody"],
            }
        ),
    )
    assert isinstance(refused, models.Problem) and refused.status == 422
    assert all(isinstance(e, models.FieldProblem) for e in refused.errors)
