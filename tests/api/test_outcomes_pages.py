"""The outcome pages on the sample county: who may open them, the same figures as the API,
suppressed cells never drawn, both languages, bad queries answered on the page, and the
latest plan's equity audit."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.pages.i18n import TEXT
from api.pages.outcomes import DISPARITY_MEASURES, TREND_CHARTS
from data.models import AuditEntry
from data.queries import waiting_children
from outcomes import MEASURES
from tests.helpers.app import engine_of
from tests.helpers.auth import bearer
from tests.helpers.pages import a_done_plan_for_half_the_waiting, sign_in

SVG = "{http://www.w3.org/2000/svg}"


def _svg(page: str, chart_id: str) -> ElementTree.Element:
    found = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert found is not None, chart_id
    return ElementTree.fromstring(found.group(0))


def test_recruiters_supervisors_and_admins_read_outcomes_others_are_refused(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The page needs the API's ``outcomes`` permission; the navigation links it for them."""
    client, keys = county
    for role in ("recruiter", "coordinator", "admin"):
        sign_in(client, keys[role])
        page = client.get("/pages/outcomes?lang=en")
        assert page.status_code == 200, role
        assert '<a href="/pages/outcomes">Outcomes</a>' in page.text
        assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    for role in ("case_system", "monitor"):
        sign_in(client, keys[role])
        assert client.get("/pages/outcomes").status_code == 403, role
        assert 'href="/pages/outcomes"' not in client.get("/pages/").text


def test_the_page_shows_the_apis_figures_and_no_child(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Every overall figure of ``GET /v1/outcomes`` is in the measures table, the period is the
    API's default one, and no child id appears anywhere."""
    client, keys = county
    api = client.get("/v1/outcomes", headers=bearer(keys["recruiter"])).json()
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/outcomes?lang=en").text
    for m in MEASURES:
        row = re.search(rf'<tr id="m-{m.key}"[^>]*>(.*?)</tr>', page, re.S)
        assert row is not None, m.key
        cell = api["overall"][m.key]
        if cell["suppressed"]:
            assert "suppressed (&lt;11)" in row.group(1)
        elif cell["numerator"] is not None:
            assert f"{cell['numerator']:,}" in row.group(1), m.key
    assert api["period"]["from"][:4] in page
    with Session(engine_of(client)) as session:
        some_child = waiting_children(session)[0]
    assert some_child not in page
    assert not re.search(r"\bC\d{6}\b", page)


def test_suppressed_trend_cells_are_in_the_table_and_not_in_the_chart(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A year suppressed for a measure is "suppressed" in the table, named in the caption, and
    has no marker on its line; every other year with a value has one."""
    client, keys = county
    api = client.get("/v1/outcomes", headers=bearer(keys["recruiter"])).json()
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/outcomes?lang=en").text
    hidden_somewhere = False
    for chart, measures in TREND_CHARTS:
        svg = _svg(page, f"trend-{chart}")
        caption = re.search(
            rf'id="figure-trend-{chart}">.*?<figcaption>(.*?)</figcaption>', page, re.S
        )
        assert caption is not None
        for key in measures:
            cells = api["trends"]["measures"][key]
            shown = [c for c in cells if not c["suppressed"] and c["value"] is not None]
            line = next(e for e in svg.iter() if e.get("id") == f"trend-{chart}-line-{key}")
            assert len(list(line.iter(f"{SVG}use"))) == len(shown), key
            for c in cells:
                if c["suppressed"]:
                    hidden_somewhere = True
                    assert f"{TEXT[f'outcomes.m.{key}']['en']} {c['year']}" in caption.group(1)
    assert hidden_somewhere, "the sample county has small early years"


def test_disparities_leave_out_suppressed_groups(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Each group with an index has a dot (the reference none), a suppressed group has none
    and is named under the chart; the table gives the same indices."""
    client, keys = county
    measure = DISPARITY_MEASURES[0]
    api = client.get("/v1/outcomes?by=race&by=sex&by=age", headers=bearer(keys["recruiter"])).json()
    sign_in(client, keys["recruiter"])
    page = client.get(f"/pages/outcomes?lang=en&measure={measure}").text
    svg = _svg(page, "disparity")
    dots = {e.get("id") for e in svg.iter() if (e.get("id") or "").startswith("disparity-di-")}
    expected, suppressed = set(), []
    for breakdown in ("race", "sex", "age"):
        part = api["breakdowns"][breakdown]
        for group in part["groups"]:
            cell = group["measures"][measure]
            if cell["suppressed"]:
                suppressed.append(group["group"])
            elif group["group"] != part["reference"] and cell["disparity"]["index"] is not None:
                expected.add(f"disparity-di-{breakdown}-{group['group']}")
                assert f"{cell['disparity']['index']:.2f}" in page
    assert dots == expected and expected
    assert suppressed, "the sample county has small groups"
    assert "(suppressed)" in page
    line = [e for e in svg.iter() if e.get("id") == "disparity-reference-line"]
    assert len(line) == 1


def test_spanish_titles_axes_and_tables(county: tuple[TestClient, dict[str, str]]) -> None:
    """The page, its charts' titles and axis labels and its tables are in Spanish."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/outcomes?lang=es").text
    assert "<h1>Resultados y disparidades</h1>" in page
    words = {e.text for e in _svg(page, "trend-percent").iter(f"{SVG}text")}
    assert {"Año", "% de niños", "Colocaciones y permanencia, por año"} <= words
    assert "Year" not in words
    disparity = {e.text for e in _svg(page, "disparity").iter(f"{SVG}text")}
    assert "Raza/etnia" in disparity and "Grupo de edad" in disparity
    assert "Permanencia en 12 meses" in page and "Intervalo del 95 %" in page


def test_bad_queries_are_answered_on_the_page_in_its_language(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A year that is not one, a date that is not one, a period that ends before it starts,
    an unknown measure: 422 with what was wrong and where, no figures, never a default."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    cases = {
        "year=abc": ("&#39;year&#39;: &#39;abc&#39; is not a year", "no es un año"),
        "from=2024-13-01": (
            "&#39;from&#39;: &#39;2024-13-01&#39; is not a date",
            "no es una fecha",
        ),
        "from=2024-06-01&to=2024-01-01": ("ends (&#39;to&#39; 2024-01-01) before", "antes de"),
        "measure=nope": ("&#39;measure&#39;: &#39;nope&#39; is not one", "no es una de"),
        "year=2024&from=2024-01-01": ("either a year or a period", "no ambos"),
    }
    for query, (english, spanish) in cases.items():
        page = client.get(f"/pages/outcomes?{query}&lang=en")
        assert page.status_code == 422, query
        assert english in page.text, query
        assert 'id="outcomes-errors"' in page.text and "<svg" not in page.text
        assert spanish in client.get(f"/pages/outcomes?{query}&lang=es").text, query


def test_a_year_is_that_calendar_year(county: tuple[TestClient, dict[str, str]]) -> None:
    """``year=2024`` shows 1 January to 31 December 2024, as the API's from/to would."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/outcomes?year=2024&lang=en").text
    assert "Period 1 January 2024 to 31 December 2024" in page


def test_the_latest_plans_equity_for_supervisors(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Before any plan the page says so; then admins and coordinators see the latest plan
    beside today's practice (chart and tables, suppressed groups not drawn), the read is
    audit-logged; recruiters and case systems are refused."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    empty = client.get("/pages/outcomes/equity?lang=en")
    assert empty.status_code == 200 and 'id="no-plan"' in empty.text
    job_id = a_done_plan_for_half_the_waiting(engine_of(client))
    for role in ("admin", "coordinator"):
        sign_in(client, keys[role])
        page = client.get("/pages/outcomes/equity?lang=en").text
        assert f'href="/pages/plans/{job_id}"' in page
        assert page.count('class="list equity"') == 3
        svg = _svg(page, "equity")
        dots = {e.get("id") for e in svg.iter() if (e.get("id") or "").startswith("equity-pt-")}
        suppressed = re.findall(r'<tr class="suppressed">\s*<th scope="row">([^<]+)<', page)
        assert suppressed, "the plan has small groups"
        assert any(d.startswith("equity-pt-second-") for d in dots if d)  # today's practice
        assert "(suppressed)" in page
    spanish = client.get("/pages/outcomes/equity?lang=es&measure=kin_pct").text
    assert "Equidad del último plan" in spanish and "% con familiares" in spanish
    assert client.get("/pages/outcomes/equity?measure=nope").status_code == 422
    for role in ("recruiter", "case_system"):
        sign_in(client, keys[role])
        assert client.get("/pages/outcomes/equity").status_code == 403, role
    with Session(engine_of(client)) as session:
        logged = session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "plan_equity")
        ).scalars()
        assert {e.role for e in logged} == {"admin", "coordinator"}


def test_every_measure_and_unit_has_its_words() -> None:
    """The page names every measure and unit from the table, in both languages."""
    for m in MEASURES:
        assert set(TEXT[f"outcomes.m.{m.key}"]) == {"en", "es"}
        assert set(TEXT[f"outcomes.unit.{m.unit}"]) == {"en", "es"}
