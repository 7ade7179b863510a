"""The pages in a real browser: a coordinator places a child, a recruiter reads the gap map,
and the interface switches to Spanish."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers.browser import SCREENSHOTS, shoot, sign_in
from tests.helpers.pages import (
    a_child_in_a_family_home,
    a_spanish_teen_turning_18,
    icwa_siblings_split_by_a_kin_home,
)

pytestmark = pytest.mark.browser


def test_coordinator_places_a_waiting_child(page: Any, page_server: dict[str, Any]) -> None:
    """Sign in, open a waiting child, read the ranked homes, record a decision: a bed goes."""
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["coordinator"])
    assert page.url.endswith("/pages/children")
    shoot(page, "coordinator-children")
    page.fill("#f-days", "0")
    page.click("form.filters button[type=submit]")
    page.locator("table.list tbody th a").first.click()
    page.wait_for_load_state()
    assert re.search(r"/pages/children/C\d+$", page.url)
    cards = page.locator(".home-card")
    assert cards.count() >= 1
    first = cards.first
    assert first.locator("td.reason").first.inner_text().strip()  # a plain-language reason
    assert first.locator(".bar").count() >= 1  # a bar per factor
    assert page.locator("svg.childmap path.removal").count() == 1
    # every ranked home is on the map: near ones where they are, far ones as an edge arrow
    # listed below with its distance
    far = page.locator("svg.childmap g.home.far")
    assert page.locator("svg.childmap g.home").count() == cards.count()
    assert far.count() == page.locator("ul.far-homes li").count()
    assert page.locator("svg.childmap g.home:not(.far)").count() >= min(3, cards.count())
    page.locator("section[aria-labelledby=map-h]").screenshot(
        path=str(SCREENSHOTS / "coordinator-child-map.png")
    )
    assert re.search(
        r"waiting \d[\d,]* days|no waiting time", page.locator("#waiting").inner_text()
    )
    assert first.locator(".reasons .for li").count() >= 1
    home = first.get_attribute("id").removeprefix("home-")
    before = int(first.locator(".beds").get_attribute("data-free"))
    shoot(page, "coordinator-child")
    assert page.is_checked(f"#choose-{home}")
    assert page.is_checked("#p-caseworker")
    page.check("#p-youth")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    shoot(page, "coordinator-decided")
    assert page.locator("h1").inner_text() == "Decision recorded"
    after = int(page.locator(f'.beds[data-home="{home}"]').get_attribute("data-free"))
    assert after == before - 1


def test_coordinator_compares_a_plan_with_greedy(page: Any, page_server: dict[str, Any]) -> None:
    """Start a plan, watch it finish, read it beside the greedy baseline, open an explanation."""
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["coordinator"])
    page.click("nav a[href='/pages/plans']")
    page.wait_for_load_state()
    shoot(page, "plans-start")
    page.select_option("#plan-limit", "5")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#assignments", timeout=120_000)  # the page refreshes itself
    shoot(page, "plan-side-by-side")
    page.locator("#assignments tbody a").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Explanation for")
    shoot(page, "plan-explanation")


def test_coordinator_reads_the_equity_of_a_plan(page: Any, page_server: dict[str, Any]) -> None:
    """A finished plan shows its equity by group beside greedy, small groups as suppressed;
    the section is screenshot in English and in Spanish."""
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["coordinator"])
    page.goto(f"{url}/pages/plans")
    page.select_option("#plan-limit", "5")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#equity", timeout=120_000)  # the page refreshes until both finish
    section = page.locator("#equity")
    assert section.locator("h2").inner_text() == "Equity"
    assert section.locator("table.equity").count() == 3  # race/ethnicity, sex, age band
    race = section.locator("#equity-race")
    assert race.locator("tbody tr").count() >= 3
    assert race.locator("th", has_text="(reference)").count() == 1
    assert race.locator("tr.suppressed").count() >= 1  # the sample county has small groups
    assert "suppressed (small group)" in race.inner_text()
    assert "today" in race.locator("thead").inner_text()  # today's practice beside the plan
    section.screenshot(path=str(SCREENSHOTS / "plan-equity.png"))
    shoot(page, "plan-with-equity")
    page.goto(page.url + ("&" if "?" in page.url else "?") + "lang=es")
    section = page.locator("#equity")
    assert section.locator("h2").inner_text() == "Equidad"
    assert "omitido (grupo pequeño)" in section.locator("#equity-race").inner_text()
    section.screenshot(path=str(SCREENSHOTS / "es-plan-equity.png"))


def test_recruiter_reads_the_gap_map_and_no_child(
    page_without_javascript: Any, page_server: dict[str, Any]
) -> None:
    """Without JavaScript (the server's SVG map; the interactive one has its own tests): sign
    in as a recruiter, switch segment, read a tooltip, reach that community with Tab (its link
    is named with its figures) and open it with Enter; child pages answer 403."""
    from playwright.sync_api import expect

    page = page_without_javascript
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["recruiter"])
    assert page.locator(".gapmap svg").is_visible()
    assert not page.locator("#gapmap").is_visible()  # no empty interactive map
    assert not page.locator("#gapmap-legend").is_visible()
    assert page.url.endswith("/pages/gaps")
    assert page.locator("nav a", has_text="Waiting children").count() == 0
    shoot(page, "recruiter-gaps")
    page.select_option("#g-segment", "age:0-5")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "segment=age%3A0-5" in page.url
    link = page.locator(".gapmap a").first
    link.hover()
    tooltip = link.locator("title").text_content()
    assert "Ages 0-5" in tooltip and "homes now" in tooltip
    shoot(page, "recruiter-gaps-age-0-5")
    for _ in range(40):  # through the frame and the filters to the map's first community
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.gapmap') !== null"):
            break
    focused = page.locator(".gapmap a:focus")
    expect(focused).to_have_count(1)
    community = focused.locator("path.community").get_attribute("data-id")
    assert community == link.locator("path.community").get_attribute("data-id")
    expect(focused).to_have_accessible_name(" ".join(tooltip.split()))
    shoot(page, "recruiter-gaps-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/pages/communities/{community}?segment=age%3A0-5&horizon=12")
    assert tooltip.split(" (")[0] in page.locator("h1").inner_text()  # the community's name
    assert page.locator("h2#partners-h").count() == 1
    page.go_back()
    page.locator("table.list tbody th a").first.click()
    page.wait_for_load_state()
    assert page.locator("h2#partners-h").count() == 1
    shoot(page, "recruiter-community")
    for path in ("/pages/children", "/pages/children/C000155"):
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 403
    shoot(page, "recruiter-denied")


def test_switch_to_spanish(page: Any, page_server: dict[str, Any]) -> None:
    """The language selector turns the interface Spanish, and it stays after signing in."""
    url = page_server["url"]
    page.goto(f"{url}/pages/signin")
    page.select_option("#lang-select", "es")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Iniciar sesión"
    assert page.locator("html").get_attribute("lang") == "es"
    shoot(page, "es-signin")
    page.fill("#api-key", page_server["keys"]["coordinator"])
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Niños en espera"
    shoot(page, "es-children")
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet
    shoot(page, "es-children-tablet")
    # a child's ranked homes: the engine's reasons are Spanish too, with a decimal comma
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("table.list tbody a").first.click()
    page.wait_for_load_state()
    reasons = page.locator("li.home-card").first.locator("td.reason").all_inner_texts()
    assert any(
        re.fullmatch(r"a \d+,\d km del domicilio del que fue separado/a.*", r) for r in reasons
    )
    assert not any(" from the " in r or " km from " in r for r in reasons), reasons
    assert page.locator("#decide-h").inner_text() == "Decisión del equipo"
    shoot(page, "es-child")


def test_coordinator_sees_the_coming_18th_birthday_and_what_counts_against(
    page: Any, page_server: dict[str, Any]
) -> None:
    """A Spanish-only 17-year-old turning 18 in 100 days: the page says her days waiting and
    the birthday, and lists "does not speak Spanish" against her only home."""
    url = page_server["url"]
    ids = a_spanish_teen_turning_18(page_server["engine"])
    sign_in(page, url, page_server["keys"]["coordinator"])
    page.goto(f"{url}/pages/children/{ids['eva']}")
    waiting = page.locator(f"#waiting-{ids['eva']}").inner_text()
    assert f"{ids['eva']}: waiting 30 days for a family home" in waiting
    assert f"(in {ids['days']} days)" in page.locator(".turns-18").inner_text()
    card = page.locator(f"#home-{ids['home']}")
    against = card.locator(".reasons .against li").all_inner_texts()
    assert "does not speak Spanish, the child's first language" in against
    assert card.locator(".reasons .for li").count() >= 1
    shoot(page, "child-waiting-against")


def test_coordinator_records_icwa_good_cause(page: Any, page_server: dict[str, Any]) -> None:
    """An ICWA child for whom the team prefers a home below the best ICWA tier: without good
    cause the page says so and no bed is taken; with it the decision is recorded."""
    import json
    from urllib.request import Request, urlopen

    url = page_server["url"]
    ids = icwa_siblings_split_by_a_kin_home(page_server["engine"])
    asked = Request(
        f"{url}/v1/matches",
        data=json.dumps({"child_id": ids["ana"]}).encode(),
        headers={
            "Authorization": f"Bearer {page_server['keys']['coordinator']}",
            "Content-Type": "application/json",
        },
    )
    with urlopen(asked, timeout=30) as answer:  # the API ranks the pair as the page does
        ranked = json.load(answer)
    takes = {c["home_id"]: (c["children"], c["icwa_tier"]) for c in ranked["candidates"]}
    # Ana is proposed her best tier, the aunt's home of Ben; ZW takes Ben; keeping them
    # together in ZW places Ana in tier 4: an alternative that needs good cause
    assert takes == {ids["tribal"]: ([ids["ana"]], 2), ids["other"]: ([ids["ben"]], None)}
    (alternative,) = ranked["alternatives"]
    assert alternative["home_id"] == ids["other"] and alternative["good_cause_required"]
    assert alternative["icwa_tiers"] == {ids["ana"]: 4}

    sign_in(page, url, page_server["keys"]["coordinator"])
    page.goto(f"{url}/pages/children/{ids['ana']}")
    assert page.locator(f"#home-{ids['tribal']} .badge.icwa").inner_text() == "ICWA tier 2"
    assert "good cause" in page.locator(f"#together-{ids['other']}").inner_text()
    before = int(page.locator(f"#home-{ids['other']} .beds").get_attribute("data-free"))
    assert before == 2
    assert page.locator("#icwa h2").inner_text() == "ICWA applies"
    assert page.locator("#icwa ol.tiers li").count() == 4
    page.locator("#icwa").screenshot(path=str(SCREENSHOTS / "icwa-section.png"))
    shoot(page, "icwa-child")
    page.check(f"#choose-together-{ids['other']}")
    page.fill("#reason", "Ana and Ben have never lived apart")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    problem = page.locator("section.decide #error-icwa_good_cause")
    assert problem.inner_text().startswith("Not recorded: the chosen home departs from the ICWA")
    assert page.locator("h1").inner_text() == f"Child {ids['ana']}"
    beds = page.locator(f"#home-{ids['other']} .beds")
    assert int(beds.get_attribute("data-free")) == before  # nothing was recorded
    assert page.is_checked(f"#choose-together-{ids['other']}")
    assert page.input_value("#reason") == "Ana and Ben have never lived apart"
    shoot(page, "icwa-good-cause-missing")
    page.fill("#good-cause", "The court found good cause: the siblings' attachment")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    shoot(page, "icwa-decided")
    assert page.locator("h1").inner_text() == "Decision recorded"
    after = int(page.locator(f'.beds[data-home="{ids["other"]}"]').get_attribute("data-free"))
    assert after == before - 2  # both siblings, together


def test_coordinator_sees_a_child_placed_over_capacity(
    page: Any, page_server: dict[str, Any]
) -> None:
    """A child living in a family home placed over its beds: the page says where, since when,
    and the capacity waiver, in English and in Spanish."""
    url = page_server["url"]
    child, home = a_child_in_a_family_home(
        page_server["engine"], "a sibling arrived at night; the room is shared"
    )
    sign_in(page, url, page_server["keys"]["coordinator"])
    page.goto(f"{url}/pages/children/{child}")
    line = page.locator("#lives-in").inner_text()
    assert f"{child} lives in home {home} since" in line
    assert "(capacity waiver: a sibling arrived at night; the room is shared)" in line
    shoot(page, "child-lives-in-over-capacity")
    page.goto(f"{url}/pages/children/{child}?lang=es")
    assert "excepción de capacidad" in page.locator("#lives-in").inner_text()
    page.locator("#lives-in").screenshot(path=str(SCREENSHOTS / "es-child-lives-in.png"))
