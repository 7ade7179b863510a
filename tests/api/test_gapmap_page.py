"""The gap page's interactive map as the server hands it over: its data block, its files, the
tile server an operator may set (and the policy that lets its images in), the needs and
language segments, and the community page's horizon and partners' contacts."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.headers import PAGE_CSP
from api.pages.signin import MAP_ASSETS
from api.services.keys import create_key
from api.settings import SettingsError, load_settings
from data.db import make_engine, session_scope
from recruitment.maps import PALETTE, gap_classes
from recruitment.segments import NEEDS
from tests.helpers.pages import sign_in

TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"


def _live(page: str) -> dict[str, Any]:
    """The JSON block the map's script reads."""
    found = re.search(
        r'<script type="application/json" id="gapmap-data">(.*?)</script>', page, re.S
    )
    assert found is not None, "the page carries the map's data"
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


@pytest.fixture
def tiled(county_database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """A client over a copy of the sample county whose operator set a tile server; a
    recruiter's key."""
    copy = tmp_path / "county.db"
    shutil.copy(county_database_url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with session_scope(engine) as session:
        key = create_key(session, "recruiter", "tiles recruiter")[1]
    settings = load_settings(
        {"FOSTERMATCH_TILE_URL": TILES, "FOSTERMATCH_TILE_ATTRIBUTION": "© Example tiles"}
    )
    with TestClient(create_app(engine, run_plan_jobs=False, settings=settings)) as client:
        yield client, key
    engine.dispose()


def test_the_map_data_has_the_fixed_classes_and_every_community(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Without a tile server: no tiles and the plain policy; the classes, and each community's
    figures and page, in the page's language."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    answer = client.get("/pages/gaps?segment=age:13-17&horizon=24")
    assert answer.headers["content-security-policy"] == PAGE_CSP
    live = _live(answer.text)
    assert live["tiles"] is None
    assert live["geojson"] == "/pages/gaps.geojson?segment=age%3A13-17&horizon=24"
    assert [c["colour"] for c in live["classes"]] == list(PALETTE)
    assert [c["label"] for c in live["classes"]] == gap_classes()
    features = client.get(live["geojson"]).json()["features"]
    assert set(live["communities"]) == {f["id"] for f in features}
    for feature in features:
        shown = live["communities"][feature["id"]]
        assert shown["class"] == feature["properties"]["gap_class"]
        assert shown["href"].startswith(f"/pages/communities/{feature['id']}?")
        assert shown["lines"][0].startswith(feature["properties"]["name"])
    spanish = _live(client.get("/pages/gaps?lang=es").text)
    assert spanish["classes"][-1]["label"] == "faltan 21 o más hogares"
    assert spanish["words"]["open"] == "Abrir la página de la comunidad"


def test_an_operators_tile_server_reaches_the_map_and_the_policy(
    tiled: tuple[TestClient, str],
) -> None:
    """With FOSTERMATCH_TILE_URL the map gets the template and attribution, and the pages'
    policy lets images come from that server (and nothing else is loosened)."""
    client, key = tiled
    sign_in(client, key)
    answer = client.get("/pages/gaps")
    live = _live(answer.text)
    assert live["tiles"] == {"url": TILES, "attribution": "© Example tiles"}
    policy = answer.headers["content-security-policy"]
    assert policy == f"{PAGE_CSP}; img-src 'self' https://*.tiles.example.org"
    assert client.get("/v1/health").headers["content-security-policy"] != policy


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("ftp://tiles.example.org/{z}/{x}/{y}.png", "http(s) URL template"),
        ("https://tiles.example.org/{z}/{x}.png", "must hold {y}"),
        ("tiles.example.org/{z}/{x}/{y}.png", "http(s) URL template"),
    ],
)
def test_a_tile_url_that_is_no_template_is_refused(value: str, says: str) -> None:
    """A tile URL without http(s) or one of {z}, {x}, {y} stops start-up, naming the variable."""
    with pytest.raises(SettingsError, match=r"FOSTERMATCH_TILE_URL: .*" + re.escape(says)):
        load_settings({"FOSTERMATCH_TILE_URL": value})


def test_the_map_files_are_served_and_nothing_else(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Leaflet and the map's script come from the service with their media types; another
    name is 404; Leaflet's licence ships beside it."""
    client, _ = county
    for name, media_type in MAP_ASSETS.items():
        answer = client.get(f"/pages/static/map/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type)
    assert "Leaflet 1.9.4" in client.get("/pages/static/map/leaflet.js").text
    missing = client.get("/pages/static/map/pages.py")
    assert missing.status_code == 404 and "pages.py" in missing.text
    licence = (files("api.pages") / "static" / "leaflet.LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("BSD 2-Clause License")


def test_the_page_offers_the_needs_and_language_segments(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Every needs segment and each language children speak first are offered, named in the
    page's language, and a language segment draws its map."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/gaps").text
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert {"needs:none", *(f"needs:{n}" for n in NEEDS)} <= set(offered)
    languages = [s for s in offered if s.startswith("language:")]
    assert "language:es" in languages
    assert '<option value="language:es">Speaking Spanish first</option>' in page
    answer = client.get("/pages/gaps?segment=language:es&lang=es")
    assert answer.status_code == 200
    assert '<option value="language:es" selected>Con español como primera lengua</option>' in (
        answer.text
    )
    assert _live(answer.text)["geojson"].startswith("/pages/gaps.geojson?segment=language%3Aes")
    medical = client.get("/pages/gaps?segment=needs:medical&lang=en").text
    assert '<option value="needs:medical" selected>Medical needs</option>' in medical
    # an unknown segment falls back to all children, as before
    assert '<option value="all" selected>' in client.get("/pages/gaps?segment=pets:cats").text


def test_the_community_page_states_its_horizon_and_partners_contacts(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The projection's horizon and day are stated; each partner shows its contact."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/communities/51?segment=all&horizon=24").text
    assert re.search(r'<p id="horizon">Projected 24 months ahead from \d+ \w+ \d{4}', page)
    contacts = re.findall(r'<td class="contact">([^<]+)</td>', page)
    assert contacts and all(c.strip() for c in contacts)
    assert any(c != "none on record" for c in contacts)
    spanish = client.get("/pages/communities/51?segment=all&horizon=6&lang=es").text
    assert re.search(r'<p id="horizon">Proyección a 6 meses desde el ', spanish)
    assert '<th scope="col">Contacto</th>' in spanish
