"""One settings object: every FOSTERMATCH_* variable, validated when read, named when wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.http.app import create_app
from api.settings import PREFIX, Settings, SettingsError, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_defaults_when_nothing_is_set() -> None:
    """With no variable set: SQLite by default, CORS closed, 2 plans per key, 4 per role."""
    settings = load_settings({})
    assert settings.database_url is None and settings.cors_origin_list == []
    assert (settings.plan_jobs_per_key, settings.plan_jobs_per_role) == (2, 4)
    assert settings.oidc_issuer == ""


def test_values_are_read_and_parsed() -> None:
    """Lists are split on commas, counts are whole numbers; other variables are ignored."""
    settings = load_settings(
        {
            "FOSTERMATCH_CORS_ORIGINS": "https://a.example, ,https://b.example",
            "FOSTERMATCH_PLAN_JOBS_PER_KEY": " 3 ",
            "FOSTERMATCH_OIDC_ISSUER": "https://login.agency.example",
            "HOME": "/root",
        }
    )
    assert settings.cors_origin_list == ["https://a.example", "https://b.example"]
    assert settings.plan_jobs_per_key == 3
    assert settings.oidc_issuer == "https://login.agency.example"


@pytest.mark.parametrize("value", ["many", "0", "3.0", "+3", "²"])
def test_a_wrong_count_names_the_variable(value: str) -> None:
    """A plan limit that is not a whole number of 1 or more is refused, naming the variable."""
    with pytest.raises(SettingsError, match=r"^FOSTERMATCH_PLAN_JOBS_PER_ROLE: must be a whole"):
        load_settings({"FOSTERMATCH_PLAN_JOBS_PER_ROLE": value})


def test_the_app_refuses_a_wrong_setting_at_start_up(
    api_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create_app reads the settings once and stops on a wrong one, before serving anything."""
    monkeypatch.setenv("FOSTERMATCH_PLAN_JOBS_PER_KEY", "lots")
    with pytest.raises(SettingsError, match="FOSTERMATCH_PLAN_JOBS_PER_KEY"):
        create_app(api_engine, run_plan_jobs=False)
    monkeypatch.setenv("FOSTERMATCH_PLAN_JOBS_PER_KEY", "5")
    app = create_app(api_engine, run_plan_jobs=False)
    assert app.state.settings.plan_jobs_per_key == app.state.plan_quota.per_key == 5


def test_the_readme_documents_every_variable() -> None:
    """The README's table of environment variables lists each field of the settings."""
    documented = set(re.findall(r"^\| `(FOSTERMATCH_[A-Z_]+)` \|", README.read_text(), re.M))
    assert documented == {PREFIX + name.upper() for name in Settings.model_fields}


def test_the_queue_needs_postgresql() -> None:
    """FOSTERMATCH_PLAN_RUNNER=queue is refused on SQLite, naming the variable; the default
    is the queue on PostgreSQL and the web process on SQLite."""
    assert load_settings({}).plan_runner_for("sqlite") == "web"
    assert load_settings({}).plan_runner_for("postgresql") == "queue"
    assert load_settings({"FOSTERMATCH_PLAN_RUNNER": "web"}).plan_runner_for("postgresql") == "web"
    with pytest.raises(SettingsError, match="FOSTERMATCH_PLAN_RUNNER: 'queue' needs PostgreSQL"):
        load_settings({"FOSTERMATCH_PLAN_RUNNER": "queue"}).plan_runner_for("sqlite")
    with pytest.raises(SettingsError, match="FOSTERMATCH_PLAN_RUNNER"):
        load_settings({"FOSTERMATCH_PLAN_RUNNER": "thread"})
